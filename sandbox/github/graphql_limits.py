"""How long GitHub would take to answer a GraphQL query, and what it does when that is too long.

Pure: no HTTP.  GitHub gives a query about ten seconds and also limits the resources one
query may use; a big page of pull requests with long timelines and many files is what runs
into both (other miners moved to 25 or 10 PRs a page, or dropped ``files``, for this reason).
The sandbox models it from the answer it is about to send:

- ``compute_ms(data, weights)``: a base cost plus, for every node of a connection, the weight of
  that connection's field (``pullRequests`` 15 ms, ``files`` 10 ms, ``timelineItems`` 5 ms,
  anything else 1 ms).  A page of 49 ordinary PRs (a handful of files, about ten timeline items)
  takes about 5 s; each PR with 100 files and 100 timeline items adds about 1.5 s.
- over ``resource_ms`` (7 s by default): ``limit_resources`` drops the heaviest parts until the answer fits, as
  GitHub's ``RESOURCE_LIMITS_EXCEEDED`` does: first the ``files`` (nullable) of the heaviest PRs become
  null, then, if that is not enough, PRs whose ``timelineItems`` (non-null) must go become null
  nodes; one error per dropped field, with its path;
- over ``timeout_ms`` (10 s): the endpoint answers 502, like GitHub after ten seconds (and charges
  penalty points).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

BASE_MS = 20.0
DEFAULT_WEIGHTS: Mapping[str, float] = {"pullRequests": 15.0, "files": 10.0, "timelineItems": 5.0}
OTHER_WEIGHT = 1.0
TIMEOUT_MESSAGE = (
    "We couldn't respond to your request in time. Sorry about that. Please try resubmitting your request "
    "and contact us if the problem persists."
)
RESOURCE_MESSAGE = "Resource limits for this query exceeded."


def _connection_nodes(value: Any) -> list[Any] | None:
    if isinstance(value, Mapping):
        if isinstance(value.get("nodes"), list):
            return value["nodes"]
        if isinstance(value.get("edges"), list):
            return [e.get("node") if isinstance(e, Mapping) else None for e in value["edges"]]
    return None


def compute_ms(data: Any, weights: Mapping[str, float] = DEFAULT_WEIGHTS) -> float:
    """The modelled time to answer ``data`` (see the module docstring)."""
    total = BASE_MS

    def walk(value: Any) -> None:
        nonlocal total
        if isinstance(value, Mapping):
            for key, child in value.items():
                nodes = _connection_nodes(child)
                if nodes is not None:
                    total += weights.get(key, OTHER_WEIGHT) * len(nodes)
                walk(child)
        elif isinstance(value, list):
            for child in value:
                walk(child)

    walk(data)
    return total


def _pull_pages(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], list[Any]]]:
    """Every ``pullRequests`` node list in ``data`` with its path."""
    found: list[tuple[tuple[Any, ...], list[Any]]] = []
    if isinstance(data, Mapping):
        for key, child in data.items():
            if key == "pullRequests" and isinstance(child, Mapping) and isinstance(child.get("nodes"), list):
                found.append(((*path, key, "nodes"), child["nodes"]))
            else:
                found.extend(_pull_pages(child, (*path, key)))
    return found


def limit_resources(
    data: dict[str, Any], limit_ms: float, weights: Mapping[str, float] = DEFAULT_WEIGHTS
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Drop the heaviest PR connections until ``data`` fits ``limit_ms``: (data, GitHub-shaped errors)."""
    errors: list[dict[str, Any]] = []
    candidates: list[tuple[float, tuple[Any, ...], list[Any], int]] = []
    for path, nodes in _pull_pages(data):
        for index, node in enumerate(nodes):
            if isinstance(node, Mapping):
                candidates.append((compute_ms(node, weights), path, nodes, index))
    candidates.sort(key=lambda c: -c[0])
    # First the nullable connections (files) of the heaviest PRs, then, if that is not enough, whole PR nodes
    # (timelineItems is non-null: its null goes up to the node).
    for _, path, nodes, index in candidates:
        if compute_ms(data, weights) <= limit_ms:
            return data, errors
        node = nodes[index]
        if isinstance(node, dict) and node.get("files") is not None:
            node["files"] = None
            errors.append(
                {"type": "RESOURCE_LIMITS_EXCEEDED", "path": [*path, index, "files"], "message": RESOURCE_MESSAGE}
            )
    for _, path, nodes, index in candidates:
        if compute_ms(data, weights) <= limit_ms:
            break
        if isinstance(nodes[index], dict) and "timelineItems" in nodes[index]:
            nodes[index] = None
            errors.append(
                {
                    "type": "RESOURCE_LIMITS_EXCEEDED",
                    "path": [*path, index, "timelineItems"],
                    "message": RESOURCE_MESSAGE,
                }
            )
    return data, errors
