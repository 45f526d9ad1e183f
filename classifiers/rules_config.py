"""Rules written in YAML: path globs, keywords, GitHub labels and Jira types/labels/components -> a signal.

``default_rules.yaml`` ships with the package; a user file passed as
``rules_path`` adds rules, replaces a default rule of the same name, or turns
one off with ``enabled: false``.  Files are validated with pydantic and every
error names the file, the rule and what to change.

Rules are meant to be precise (docs/signals.md measures each one): keywords
match whole words and phrases, never inside another word; a generic word
(``GENERIC_KEYWORDS``: model, script, rfc, docs …) is refused as a lone
keyword and may only count next to its context words (``keywords_in_context``);
and exclusions (``exclude_keywords``, ``exclude_paths``,
``exclude_conventional_types``) veto a hit where the word is incidental.
"""

from __future__ import annotations

import fnmatch
import re
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from classifiers.contract import ACTIVITY_KINDS, SIGNALS
from classifiers.errors import RuleFileError
from classifiers.rules import RULES, Hit, Rule, is_on_others_work
from classifiers.text import CONVENTIONAL_TYPES, parse_conventional_header, shorten, strip_conventional_header
from miners import yaml_strict
from miners.validation import indexed_path, message, validation_problems, yaml_problem

Kind = Literal["pull_request", "review", "review_comment", "issue_comment", "ticket", "ticket_comment", "incident"]
assert set(Kind.__args__) == set(ACTIVITY_KINDS)  # type: ignore[attr-defined]

KeywordField = Literal["title", "subject", "body"]


def _default_kinds() -> list[Kind]:
    return ["pull_request", "ticket"]


def _default_keyword_fields() -> list[KeywordField]:
    return ["title"]


# Words that say nothing about the kind of work on their own ("script setup", "v-model", "update the rfc link",
# "automated tests"): a rule may use them only in keywords_in_context, next to the words that give them a
# meaning, or inside a longer phrase ("cron job", "design doc").
GENERIC_KEYWORDS = frozenset(
    {
        "adr",
        "alert",
        "alerts",
        "automated",
        "automation",
        "bug",
        "change",
        "check",
        "cleanup",
        "clean up",
        "clean-up",
        "comment",
        "comments",
        "config",
        "cron",
        "dashboard",
        "dashboards",
        "data",
        "design",
        "doc",
        "docs",
        "documentation",
        "error",
        "eval",
        "evals",
        "evaluate",
        "evaluation",
        "experiment",
        "experiments",
        "feature",
        "fix",
        "issue",
        "job",
        "jobs",
        "metric",
        "metrics",
        "model",
        "models",
        "monitor",
        "monitors",
        "notebook",
        "rfc",
        "script",
        "scripts",
        "spec",
        "test",
        "tests",
        "testing",
        "train",
        "training",
        "update",
    }
)
CONVENTIONAL_TYPE_NAMES = frozenset(CONVENTIONAL_TYPES)


class ContextKeywords(BaseModel):
    """Generic ``words`` that count only with one of the ``context`` words in the same field."""

    model_config = ConfigDict(extra="forbid")

    words: list[str] = Field(min_length=1)
    context: list[str] = Field(min_length=1)


class RuleSpec(BaseModel):
    """One configurable rule: any matcher that hits gives ``label``, unless an exclusion applies."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    label: str
    description: str = ""
    enabled: bool = True
    kinds: list[Kind] = Field(default_factory=_default_kinds)
    paths: list[str] = Field(default_factory=list)
    paths_mode: Literal["any", "all"] = "any"
    keywords: list[str] = Field(default_factory=list)
    keywords_in_context: list[ContextKeywords] = Field(default_factory=list)
    patterns: list[str] = Field(default_factory=list)
    keyword_fields: list[KeywordField] = Field(default_factory=_default_keyword_fields)
    github_labels: list[str] = Field(default_factory=list)
    jira_types: list[str] = Field(default_factory=list)
    jira_labels: list[str] = Field(default_factory=list)
    jira_components: list[str] = Field(default_factory=list)
    exclude_keywords: list[str] = Field(default_factory=list)
    exclude_paths: list[str] = Field(default_factory=list)
    exclude_conventional_types: list[str] = Field(default_factory=list)
    on_others_work: bool = False
    skip_own_work: bool = False

    @field_validator("patterns")
    @classmethod
    def _valid_patterns(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(
                    f"pattern {pattern!r} is not a valid regular expression ({exc}); fix or quote it"
                ) from None
        return value

    @field_validator("keywords")
    @classmethod
    def _no_lone_generic_words(cls, value: list[str]) -> list[str]:
        generic = [k for k in value if " ".join(k.lower().split()) in GENERIC_KEYWORDS]
        if generic:
            listed = ", ".join(repr(k) for k in generic)
            what = "is a generic word that fires" if len(generic) == 1 else "are generic words that fire"
            raise ValueError(
                f"{listed} {what} on unrelated work on its own (e.g. 'script' in 'script setup'); "
                "use a longer phrase ('cron job', 'design doc'), or list it under keywords_in_context "
                "with the words that must come with it"
            )
        return value

    @field_validator("keywords", "exclude_keywords")
    @classmethod
    def _no_empty_keywords(cls, value: list[str]) -> list[str]:
        if any(not k.strip() for k in value):
            raise ValueError("empty keyword; remove it")
        return value

    @field_validator("exclude_conventional_types")
    @classmethod
    def _known_types(cls, value: list[str]) -> list[str]:
        unknown = [t for t in value if t.lower() not in CONVENTIONAL_TYPE_NAMES]
        if unknown:
            raise ValueError(
                f"unknown conventional type(s) {', '.join(map(repr, unknown))}; use: "
                f"{', '.join(sorted(CONVENTIONAL_TYPE_NAMES))}"
            )
        return [t.lower() for t in value]

    @field_validator("label")
    @classmethod
    def _known_signal(cls, value: str) -> str:
        if value not in SIGNALS:
            raise ValueError(f"{value!r} is not a signal; use one of: {', '.join(SIGNALS)}")
        return value

    @model_validator(mode="after")
    def _has_matcher(self) -> RuleSpec:
        if self.enabled and not (
            self.paths
            or self.keywords
            or self.keywords_in_context
            or self.patterns
            or self.github_labels
            or self.jira_types
            or self.jira_labels
            or self.jira_components
        ):
            raise ValueError(
                f"rule {self.name!r} has no matcher; add paths, keywords, keywords_in_context, "
                "patterns, github_labels, jira_types, jira_labels or jira_components (exclusions "
                "alone match nothing), or set enabled: false"
            )
        return self


class RuleFile(BaseModel):
    """A rules YAML document."""

    model_config = ConfigDict(extra="forbid")

    version: str
    rules: list[RuleSpec]

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, value: object) -> object:
        return str(value) if isinstance(value, (int, float)) else value

    @model_validator(mode="after")
    def _unique_names(self) -> RuleFile:
        seen: set[str] = set()
        for spec in self.rules:
            if spec.name in seen:
                raise ValueError(f"rule name {spec.name!r} appears twice; rename one of them")
            seen.add(spec.name)
        return self


def read_rule_file(path: Path | None = None) -> RuleFile:
    """Parse and validate a rules YAML file; ``None`` reads the packaged defaults."""
    if path is None:
        text = resources.files("classifiers").joinpath("default_rules.yaml").read_text(encoding="utf-8")
        origin = "classifiers/default_rules.yaml"
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise RuleFileError(
                f"cannot read rules file {path}: {exc.strerror}; check classifiers.rules in the config"
            ) from exc
        origin = str(path)
    return parse_rule_file(text, origin=origin)


def parse_rule_file(text: str, *, origin: str) -> RuleFile:
    """Validate YAML ``text``; errors name ``origin``, the key and the fix."""
    try:
        data = yaml_strict.load(text)
    except yaml.YAMLError as exc:
        raise RuleFileError(f"{origin}: not valid YAML {yaml_problem(exc)}; fix it there") from None
    if not isinstance(data, dict):
        raise RuleFileError(f"{origin}: expected a mapping with 'version' and 'rules', got {type(data).__name__}")
    try:
        return RuleFile.model_validate(data)
    except ValidationError as exc:
        raise RuleFileError(_describe(exc, data, origin)) from None


def _describe(exc: ValidationError, data: dict, origin: str) -> str:
    def where(loc: tuple) -> str:
        name = ""
        if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
            rules = data.get("rules") or []
            if loc[1] < len(rules) and isinstance(rules[loc[1]], dict) and "name" in rules[loc[1]]:
                name = f" (rule {rules[loc[1]]['name']!r})"
        return f"  {indexed_path(loc)}{name}"

    def what(err: Any) -> str:
        if err["type"] == "extra_forbidden":
            return f"unknown key; allowed keys: {', '.join(_allowed(tuple(err['loc'])))}"
        return message(err)

    lines, _ = validation_problems(exc, where=where, what=what)
    return "\n".join([f"{origin}: {exc.error_count()} problem(s) in the rules file:", *lines])


def _allowed(loc: tuple) -> list[str]:
    if len(loc) > 4 and loc[0] == "rules" and loc[2] == "keywords_in_context":
        return list(ContextKeywords.model_fields)
    model = RuleSpec if len(loc) > 2 and loc[0] == "rules" else RuleFile
    return list(model.model_fields)


# --- compiled form ------------------------------------------------------------


class CompiledRule:
    """A ``RuleSpec`` turned into one fast function over activity rows.

    Keywords and context words match whole words and phrases only ('transform' never matches inside
    'pretransform', 'rfc' never inside 'rfc3339').  Exclusions (keywords, paths, the title's conventional
    type) are checked only after a matcher hit, so they cost nothing on the rows a rule does not match."""

    def __init__(self, spec: RuleSpec, version: str):
        self.spec = spec
        self.version = version
        self._paths = _glob(spec.paths)
        self._exclude_paths = _glob(spec.exclude_paths)
        self._keywords = _words(spec.keywords)
        self._context = [(_word_regex(group.words), _word_regex(group.context)) for group in spec.keywords_in_context]
        self._exclude_keywords = _words(spec.exclude_keywords)
        self._exclude_types = frozenset(spec.exclude_conventional_types)
        self._patterns = (
            re.compile("|".join(f"(?:{p})" for p in spec.patterns), re.IGNORECASE | re.MULTILINE)
            if spec.patterns
            else None
        )
        self._github = {x.lower(): x for x in spec.github_labels}
        self._jira_types = {x.lower() for x in spec.jira_types}
        self._jira_labels = {x.lower() for x in spec.jira_labels + spec.jira_components}
        # Only the matchers this rule configures run: rules are called once per activity of their kinds.
        self._matchers = [
            m
            for m, used in (
                (self._match_paths, self._paths),
                (self._match_keywords, self._keywords),
                (self._match_context, self._context),
                (self._match_patterns, self._patterns),
                (self._match_labels, self._github or self._jira_types or self._jira_labels),
            )
            if used
        ]

    def __call__(self, row: dict) -> list[Hit]:
        if self.spec.on_others_work and not is_on_others_work(row):
            return []
        if (
            self.spec.skip_own_work
            and row.get("person_id") is not None
            and row.get("person_id") == row.get("subject_person_id")
        ):
            return []
        reasons = []
        for match in self._matchers:
            reason = match(row)
            if reason:
                reasons.append(reason)
        if not reasons or self._excluded(row):
            return []
        return [(self.spec.label, "; ".join(reasons))]

    def _excluded(self, row: dict) -> bool:
        if self._exclude_types:
            parsed = parse_conventional_header(row.get("title"))
            if parsed is not None and parsed[0] in self._exclude_types:
                return True
        if self._exclude_keywords is not None:
            for field in self.spec.keyword_fields:
                if self._exclude_keywords.search(_field(row, field)):
                    return True
        if self._exclude_paths is not None:
            if any(self._exclude_paths.match(p.lower()) for p in row.get("paths") or ()):
                return True
        return False

    def _match_paths(self, row: dict) -> str | None:
        paths = row.get("paths") or []
        if self._paths is None or not paths:
            return None
        hits = [p for p in paths if self._paths.match(p.lower())]
        if not hits:
            return None
        if self.spec.paths_mode == "all":
            if len(hits) != len(paths):
                return None
            return (
                f"all {len(paths)} touched files match {self.spec.paths[0]!r}…, e.g. {hits[0]}"
                if len(paths) > 1
                else f"only touches {hits[0]}"
            )
        more = f" and {len(hits) - 1} more matching file{'s' if len(hits) > 2 else ''}" if len(hits) > 1 else ""
        return f"touches {hits[0]}{more}"

    def _match_keywords(self, row: dict) -> str | None:
        if self._keywords is None:
            return None
        for field in self.spec.keyword_fields:
            text = _field(row, field)
            match = self._keywords.search(text)
            if match:
                return f"{field} says '{match.group(1)}' ({shorten(text, 50)})"
        return None

    def _match_context(self, row: dict) -> str | None:
        for field in self.spec.keyword_fields:
            text = _field(row, field)
            if not text:
                continue
            for words, context in self._context:
                word = words.search(text)
                if word is None:
                    continue
                near = context.search(text)
                if near is not None:
                    return f"{field} says '{word.group(1)}' with '{near.group(1)}' ({shorten(text, 50)})"
        return None

    def _match_patterns(self, row: dict) -> str | None:
        if self._patterns is None:
            return None
        for field in self.spec.keyword_fields:
            text = _field(row, field)
            match = self._patterns.search(text)
            if match:
                return (
                    f"{field} matches {shorten(match.group(0).strip() or match.group(0), 30)!r} ({shorten(text, 50)})"
                )
        return None

    def _match_labels(self, row: dict) -> str | None:
        source = row.get("source")
        if source != "jira" and not row.get("labels"):
            return None
        if source == "github" and self._github:
            for label in row.get("labels") or []:
                if label.lower() in self._github:
                    return f"GitHub label '{label}'"
        if source == "jira":
            issue_type = (row.get("issue_type") or "").strip()
            if issue_type.lower() in self._jira_types:
                return f"Jira issue type '{issue_type}'"
            for label in row.get("labels") or []:
                if label.lower() in self._jira_labels:
                    return f"Jira label/component '{label}'"
        return None


def _field(row: dict, field: str) -> str:
    """The text of ``field``; ``subject`` is the title without its conventional header and '(#123)'."""
    if field == "subject":
        return strip_conventional_header(row.get("title"))
    return row.get(field) or ""


def _glob(patterns: list[str]) -> re.Pattern[str] | None:
    return re.compile("|".join(f"(?:{fnmatch.translate(p.lower())})" for p in patterns)) if patterns else None


def _words(keywords: list[str]) -> re.Pattern[str] | None:
    """``_word_regex(keywords)``, or None without keywords."""
    if not keywords:
        return None
    return _word_regex(keywords)


def _word_regex(keywords: list[str]) -> re.Pattern[str]:
    """One case-insensitive regex matching any of ``keywords`` (at least one) as whole words or phrases (group 1)."""
    return re.compile(r"(?<![\w-])(" + "|".join(_phrase(k) for k in keywords) + r")(?![\w-])", re.IGNORECASE)


def _phrase(keyword: str) -> str:
    return r"\s+".join(re.escape(part) for part in keyword.split())


def build_rules(rules_path: Path | None = None) -> list[Rule]:
    """The code rules plus the default YAML rules, with ``rules_path`` adding to or overriding them."""
    specs: dict[str, tuple[RuleSpec, str]] = {}
    default = read_rule_file(None)
    for spec in default.rules:
        specs[spec.name] = (spec, default.version)
    if rules_path is not None:
        extra = read_rule_file(rules_path)
        for spec in extra.rules:
            specs[spec.name] = (spec, extra.version)
    code_names = {r.name for r in RULES}
    rules = list(RULES)
    for name, (spec, version) in specs.items():
        if name in code_names:
            raise RuleFileError(
                f"rule {name!r} in {rules_path or 'default_rules.yaml'} has the name of a "
                f"built-in rule; pick another name (built-ins: {', '.join(sorted(code_names))})"
            )
        if spec.enabled:
            compiled = CompiledRule(spec, version)
            rules.append(
                Rule(
                    name=name,
                    version=f"yaml-{version}",
                    kinds=frozenset(spec.kinds),
                    apply=compiled,
                    description=spec.description,
                )
            )
    return rules
