"""YAML for files people write by hand: PyYAML's safe loader, minus its two silent surprises.

- A key written twice in one mapping is an error naming both lines (``yaml.safe_load`` keeps the last
  value and drops the first without a word).
- An unquoted date that cannot exist (``2026-02-30``) is an error at its line and column (``safe_load``
  raises a bare ``ValueError`` from ``datetime``, which is no ``YAMLError`` and escaped as a traceback).

Both surface as ``yaml.constructor.ConstructorError`` (a ``yaml.YAMLError`` with ``problem_mark``), so
``miners.validation.yaml_problem`` reports them as one "at line L, column C: problem" line like any other
YAML error.  Every product reader of a hand-written YAML file (config, roster, identity overrides, rules,
rubric) loads through ``load``.

Calls: none (pure).
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode

# libyaml's parser when PyYAML was built with it (its wheels are): the same documents, nodes and marks as the
# pure-Python one, about ten times faster (a 2,000-person roster is parsed on every sync).
SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class StrictLoader(SafeLoader):
    """``yaml.SafeLoader`` that refuses duplicate keys and impossible dates (see module doc)."""

    def construct_mapping(self, node: Node, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if not isinstance(key_node, ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = key_node.value
                if key in seen:
                    raise ConstructorError(
                        "while reading a mapping",
                        node.start_mark,
                        f"duplicate key {key!r} (first at line {seen[key] + 1}); a key may appear once per "
                        "mapping: keep one and delete the other",
                        key_node.start_mark,
                    )
                seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node: Node) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as exc:
            raise ConstructorError(
                None,
                None,
                f"{node.value!r} is not a real date ({exc}); write an existing date such as 2026-02-28 "
                "(quote it if it is meant as text)",
                node.start_mark,
            ) from None


StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", StrictLoader.construct_yaml_timestamp)


def load(text: str) -> Any:
    """Parse one YAML document like ``yaml.safe_load``, refusing duplicate keys and impossible dates."""
    return yaml.load(text, Loader=StrictLoader)  # noqa: S506 - StrictLoader is a SafeLoader
