"""GitHub's GraphQL schema for the sandbox: loading, document validation and GitHub's cost formula.

Pure: no HTTP, no world.  ``github_schema()`` builds the vendored SDL
(``sandbox/schema/github.graphql``, see its PROVENANCE.md) once per process;
``check_document()`` parses and validates a document against it, so an unknown
field or a wrong argument is reported as GitHub reports it; ``query_cost()``
applies GitHub's documented rate-limit formula:

    for every connection in the query, count the requests needed to fill it,
    assuming every ``first``/``last`` is reached (a connection nested under
    ``pullRequests(first: 100)`` needs 100 requests); add them up, divide by
    100 and round to the nearest whole number; the minimum is 1.

It also counts nodes (the sum of every connection's ``first``/``last`` times
its parents'), which GitHub limits to 500,000 per query.
"""

from __future__ import annotations

import functools
import importlib.resources
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    build_schema,
    get_named_type,
    parse,
    validate,
    value_from_ast,
)
from graphql.type.definition import GraphQLInterfaceType, GraphQLUnionType

MAX_NODES = 500_000
MAX_PAGE = 100


@functools.lru_cache(maxsize=1)
def github_schema() -> GraphQLSchema:
    """The vendored GitHub schema (built once; about 0.7 s)."""
    sdl = importlib.resources.files("sandbox.schema").joinpath("github.graphql").read_text(encoding="utf-8")
    # The published SDL repeats some field definitions and marks some interface implementations
    # deprecated where the interface field is not, both of which graphql-core's schema validation
    # rejects; the vendor's schema is taken as already validated (also for validate() and execute(),
    # which check the schema first unless its validation result is recorded).
    schema = build_schema(sdl, assume_valid_sdl=True)
    schema._validation_errors = []  # graphql-core's cache of "schema validated, no errors"
    return schema


def check_document(query: str) -> tuple[DocumentNode | None, list[GraphQLError]]:
    """Parse and validate ``query`` against GitHub's schema: (document, errors)."""
    try:
        document = parse(query)
    except GraphQLError as exc:
        return None, [exc]
    return document, list(validate(github_schema(), document))


def pick_operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode:
    """The operation to run: the named one, or the only one (GraphQLError otherwise)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name:
        for op in operations:
            if op.name and op.name.value == name:
                return op
        raise GraphQLError(f"Unknown operation named '{name}'.")
    if len(operations) != 1:
        raise GraphQLError("Must provide operation name if query contains multiple operations.")
    return operations[0]


@dataclass(frozen=True)
class Cost:
    """What a query costs: connection requests, nodes, and the rate-limit points charged."""

    requests: int
    nodes: int

    @property
    def points(self) -> int:
        return max(1, int(self.requests / 100 + 0.5))


def query_cost(
    document: DocumentNode, operation: OperationDefinitionNode, variables: dict[str, Any] | None = None
) -> Cost:
    """GitHub's static cost of ``operation`` (see the module docstring); raises GraphQLError on bad limits."""
    schema = github_schema()
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    root = schema.get_root_type(operation.operation)
    variables = variables or {}
    totals = {"requests": 0, "nodes": 0}

    def walk(selection_set: SelectionSetNode | None, parent: Any, multiplier: int, seen: frozenset) -> None:
        if selection_set is None:
            return
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                field_def = _field(parent, sel.name.value)
                if field_def is None:
                    continue  # __typename and friends
                child = get_named_type(field_def.type)
                child_multiplier = multiplier
                if _is_connection(child):
                    args = {
                        a.name.value: value_from_ast(a.value, field_def.args[a.name.value].type, variables)
                        for a in sel.arguments or ()
                        if a.name.value in field_def.args
                    }
                    page = page_size(sel.name.value, args)
                    totals["requests"] += multiplier
                    totals["nodes"] += multiplier * page
                    child_multiplier = multiplier * page
                walk(sel.selection_set, child, child_multiplier, seen)
            elif isinstance(sel, InlineFragmentNode):
                target = schema.get_type(sel.type_condition.name.value) if sel.type_condition else parent
                walk(sel.selection_set, target, multiplier, seen)
            elif isinstance(sel, FragmentSpreadNode) and sel.name.value not in seen:
                frag = fragments.get(sel.name.value)
                if frag is not None:
                    walk(
                        frag.selection_set,
                        schema.get_type(frag.type_condition.name.value),
                        multiplier,
                        seen | {sel.name.value},
                    )

    walk(operation.selection_set, root, 1, frozenset())
    cost = Cost(totals["requests"], totals["nodes"])
    if cost.nodes > MAX_NODES:
        raise GraphQLError(
            f"By the time this query traverses to the deepest connection, it is requesting up to "
            f"{cost.nodes:,} possible nodes which exceeds the maximum limit of {MAX_NODES:,}.",
            extensions={"type": "MAX_NODE_LIMIT_EXCEEDED"},
        )
    return cost


def page_size(field_name: str, args: dict[str, Any]) -> int:
    """``first`` or ``last`` of a connection, checked as GitHub checks it."""
    first, last = args.get("first"), args.get("last")
    if first is None and last is None:
        raise GraphQLError(
            f"You must provide a `first` or `last` value to properly paginate the `{field_name}` connection.",
            extensions={"type": "MISSING_PAGINATION_BOUNDARIES"},
        )
    for name, value in (("first", first), ("last", last)):
        if value is not None and value > MAX_PAGE:
            raise GraphQLError(
                f"Requesting {value} records on the `{field_name}` connection exceeds the "
                f"`{name}` limit of {MAX_PAGE} records.",
                extensions={"type": "EXCESSIVE_PAGINATION"},
            )
        if value is not None and value < 1:  # GitHub wants 1..100
            raise GraphQLError(
                f"`{name}` on the `{field_name}` connection must be between 1 and {MAX_PAGE}; {value} was given.",
                extensions={"type": "INVALID_PAGINATION"},
            )
    return max(first or 0, last or 0)


def _field(parent: Any, name: str):
    if isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
        return parent.fields.get(name)
    if isinstance(parent, GraphQLUnionType):
        return None
    return None


def _is_connection(named: Any) -> bool:
    return isinstance(named, GraphQLObjectType) and named.name.endswith("Connection") and "pageInfo" in named.fields
