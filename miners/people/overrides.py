"""The identity overrides file: a human's accept / reject decisions on suggested matches.

```yaml
accept:                       # link the account to the person
  - {github: zmueller-old, person: zoe}
  - {jira: 5b10ac8d82e05b22cc7d4ef5, person: zoe}
reject:
  - {github: zoe-m2, person: zoe}   # not this person: never match or suggest them
  - {github: octo-contractor}       # nobody on the roster: stop suggesting
```

Read on every run (``identities:`` in ladder.yaml).  Problems are reported
together, each with file and line.

Calls: none (reads a local file).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from miners import yaml_strict
from miners.people.identity import Override
from miners.people.roster import RosterError
from miners.validation import yaml_problem


class OverridesError(RosterError):
    """An overrides file that cannot be used; the message names file, line and fix (people input, like the roster)."""


def read_overrides(path: Path | None) -> list[Override]:
    """The overrides in ``path`` ([] when ``path`` is None); raise OverridesError listing every problem."""
    if path is None:
        return []
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise OverridesError(
            f"identity overrides file {path} not found: create it (format in docs/identity.md) "
            f"or remove `identities:` from the config"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise OverridesError(f"cannot read identity overrides file {path}: {exc}; check the path") from None
    return parse_overrides(text, str(path))


def parse_overrides(text: str, source: str = "<overrides>") -> list[Override]:
    """Parse overrides YAML ``text``; ``source`` names it in messages."""
    try:
        root = yaml.compose(text, Loader=yaml_strict.SafeLoader)
    except yaml.YAMLError as exc:
        raise OverridesError(f"{source}: not valid YAML {yaml_problem(exc)}; fix it there") from None
    if root is None:
        return []
    if not isinstance(root, yaml.MappingNode):
        raise OverridesError(f"{source}:1: expected a mapping with `accept:` and/or `reject:` lists")
    out: list[Override] = []
    problems: list[str] = []
    for key_node, value_node in root.value:
        decision = key_node.value
        if decision not in ("accept", "reject"):
            problems.append(
                f"{source}:{key_node.start_mark.line + 1}: unknown key {decision!r}; use accept: or reject:"
            )
            continue
        if not isinstance(value_node, yaml.SequenceNode):
            problems.append(f"{source}:{value_node.start_mark.line + 1}: {decision}: must be a list of entries")
            continue
        for item in value_node.value:
            where = f"{source}:{item.start_mark.line + 1}"
            try:
                entry = yaml_strict.load(yaml.serialize(item)) if isinstance(item, yaml.MappingNode) else None
            except yaml.YAMLError as exc:
                problems.append(f"{where}: {getattr(exc, 'problem', None) or exc}")
                continue
            if not isinstance(entry, dict):
                problems.append(f"{where}: an entry is a mapping like {{github: LOGIN, person: ID}}")
                continue
            systems = [s for s in ("github", "jira") if s in entry]
            unknown = sorted(set(entry) - {"github", "jira", "person", "note"})
            if unknown:
                problems.append(f"{where}: unknown key {unknown[0]!r}; use github or jira, person, note")
                continue
            if len(systems) != 1 or not str(entry[systems[0]] or "").strip():
                problems.append(f"{where}: name exactly one account, as github: LOGIN or jira: ACCOUNT_ID")
                continue
            person = entry.get("person")
            if decision == "accept" and not person:
                problems.append(f"{where}: accept needs person: (the roster id to link the account to)")
                continue
            out.append(
                Override(systems[0], str(entry[systems[0]]).strip(), str(person) if person else None, decision, where)
            )
    seen: dict[tuple, Override] = {}
    for o in out:
        if o.decision == "accept" and (o.key, "accept") in seen and seen[(o.key, "accept")].person_id != o.person_id:
            problems.append(
                f"{o.where}: {o.system} {o.identity} is also accepted for "
                f"{seen[(o.key, 'accept')].person_id!r} at {seen[(o.key, 'accept')].where}; keep one"
            )
        seen.setdefault((o.key, o.decision), o)
    if problems:
        noun = "problem" if len(problems) == 1 else "problems"
        raise OverridesError(
            f"invalid identity overrides {source} ({len(problems)} {noun}):\n  " + "\n  ".join(problems)
        )
    return out
