"""What the sandbox's Jira handlers share (``sandbox.jira.rest`` and ``sandbox.jira.bulk``).

``Ctx`` is one request's view (state, caller, render settings, parameters);
``ApiError`` is an error answer; ``render_view`` renders an issue as Jira does
for the ``fields`` and ``expand`` parameters (search, issue and bulkfetch alike).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from sandbox.jira import payloads as P
from sandbox.state import SandboxState


class Ctx:
    """One request's view: state, caller, render settings, params (query string or JSON body)."""

    def __init__(self, state: SandboxState, request: Request, render: P.Render, person, params: dict[str, Any]):
        self.state, self.request, self.render, self.person, self.params = state, request, render, person, params

    def visible_issues(self) -> list:
        return [i for i in self.state.world.jira_issues if self.state.visible(i.created)]

    def param_list(self, name: str) -> list[str]:
        """A list parameter given repeated, comma-separated or as a JSON list."""
        if isinstance(self.params.get(name), list):
            raw = self.params[name]
        else:
            raw = (
                self.request.query_params.getlist(name)
                if self.request.method == "GET"
                else ([self.params[name]] if self.params.get(name) is not None else [])
            )
        return [part.strip() for item in raw for part in str(item).split(",") if part.strip()]

    def param_int(self, name: str, default: int) -> int:
        value = self.params.get(name)
        if value in (None, ""):
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ApiError(400, f"'{name}' must be an integer, got {value!r}") from None


class ApiError(Exception):
    """An error answer: status code and Jira's ``errorMessages`` text."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def visible_keys(ctx: Ctx) -> set[str]:
    """Keys of the issues visible as of the sandbox clock."""
    return {i.key for i in ctx.visible_issues()}


def render_view(ctx: Ctx, view, wanted: list[str], expand: list[str]) -> dict[str, Any]:
    """An issue view as Jira answers it: the ``wanted`` fields, plus ``changelog``/``names`` when expanded."""
    i, r = view.issue, ctx.render
    every = P.render_all_fields(ctx.state.world, view, ctx.state.now, r)
    out: dict[str, Any] = {
        "expand": "renderedFields,names,schema,operations,editmeta,changelog",
        "id": i.id,
        "self": r.api(f"issue/{i.id}"),
        "key": i.key,
        "fields": {k: every[k] for k in select_fields(every, wanted)},
    }
    if "changelog" in expand:  # Cloud embeds the first 40 histories; total says how many there are
        shown = view.histories[: P.CLOUD_EMBEDDED_HISTORIES] if r.cloud else view.histories
        histories = [P.render_history(ctx.state.world, h, r) for h in shown]
        out["changelog"] = {
            "startAt": 0,
            "maxResults": P.CLOUD_EMBEDDED_HISTORIES if r.cloud else len(histories),
            "total": len(view.histories),
            "histories": histories,
        }
    if "names" in expand:
        names = {f["id"]: f["name"] for f in P.render_fields_list()}
        out["names"] = {k: names[k] for k in out["fields"] if k in names}
    return out


def select_fields(every: dict[str, Any], wanted: list[str]) -> list[str]:
    """Jira's ``fields`` parameter: ``*all``, ``*navigable``, ids, and ``-id`` exclusions."""
    chosen: list[str] = []
    for item in wanted:
        if item == "*all":
            chosen += list(every)
        elif item == "*navigable":
            chosen += [k for k in every if k not in P.NON_NAVIGABLE]
        elif item in every:
            chosen.append(item)
    excluded = {item[1:] for item in wanted if item.startswith("-")}
    return [k for k in dict.fromkeys(chosen) if k not in excluded]
