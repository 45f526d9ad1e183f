"""Each rule on crafted rows (a hit and a miss), and the YAML rule file: validation, extension, override."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from classifiers import RuleFileError, build_rules, read_rule_file
from classifiers.contract import ACTIVITY_SCHEMA, SIGNALS
from classifiers.rules import (
    RULES,
    classify_conventional_title,
    classify_cross_team,
    classify_delivery,
    classify_dependency_bump_title,
    classify_discussion,
    classify_incident_followup,
    classify_incident_role,
    classify_mentorship,
    classify_project_role,
    classify_review_links,
    classify_review_substance,
    classify_revert_title,
    classify_title_verb,
)

UTC = dt.timezone.utc


def activity(**values) -> dict:
    """An activity row with every ACTIVITY_SCHEMA column, null unless given."""
    unknown = set(values) - set(ACTIVITY_SCHEMA.names)
    assert not unknown, f"not in ACTIVITY_SCHEMA: {unknown}"
    return {name: values.get(name) for name in ACTIVITY_SCHEMA.names}


def labels(hits) -> list[str]:
    return [label for label, _ in hits]


def yaml_rule(name: str, rules=None):
    """The compiled YAML rule called ``name``."""
    for r in rules or build_rules():
        if r.name == name:
            return r.apply
    raise AssertionError(f"no rule {name}")


# --- code rules -------------------------------------------------------------------


@pytest.mark.parametrize("title,expected,reason_part", [
    ("fix(parser): handle empty query", ["work.bugfix"], "'fix(parser):'"),
    ("feat: add early stopping", ["work.feature"], "'feat:'"),
    ("docs: explain config", ["work.docs"], "'docs:'"),
    ("ci: cache pip", ["work.build_ci"], "'ci:'"),
    ("style: format", ["work.chore"], "'style:'"),
    ("perf!: faster ranking", ["work.perf"], "'perf!:'"),
    ("chore(deps): bump numpy", ["work.chore", "work.dependency_bump"], "scope 'deps'"),
])
def test_conventional_title_hits(title, expected, reason_part):
    hits = classify_conventional_title(activity(kind="pull_request", title=title))
    assert labels(hits) == expected
    assert any(reason_part in reason for _, reason in hits)


@pytest.mark.parametrize("title", ["Add early stopping", "WIP: parser", "release: 1.2", None, "fix the thing: now"])
def test_conventional_title_misses(title):
    assert classify_conventional_title(activity(kind="pull_request", title=title)) == []


def test_title_verb():
    assert labels(classify_title_verb(activity(title="Fix timeout in ranking client"))) == ["work.bugfix"]
    assert labels(classify_title_verb(activity(title="[SRCH] Refactor query parser"))) == ["work.refactor"]
    assert classify_title_verb(activity(title="Fixture cleanup")) == []
    assert classify_title_verb(activity(title="fix: conventional is another rule's job")) == []


def test_revert_title():
    hit = classify_revert_title(activity(title='Revert "feat: add early stopping"'))
    assert labels(hit) == ["work.revert"] and "Revert" in hit[0][1]
    assert classify_revert_title(activity(title="Reverted behaviour is documented")) == []


def test_dependency_bump_title():
    hit = classify_dependency_bump_title(activity(title="Bump numpy from 1.26 to 2.0"))
    assert labels(hit) == ["work.dependency_bump"] and "numpy" in hit[0][1]
    assert labels(classify_dependency_bump_title(activity(title="chore(deps): update vite to v7.1.2"))) == \
        ["work.dependency_bump"]
    assert classify_dependency_bump_title(activity(title="Update the README with examples")) == []


def review(**values) -> dict:
    base = dict(kind="review", source="github", person_id="ana", subject_person_id="bo", state="APPROVED",
                body="", comment_count=0, occurred_at=dt.datetime(2026, 10, 2, 14, tzinfo=UTC))
    base.update(values)
    return activity(**base)


def test_review_approval_only_vs_substantive():
    assert labels(classify_review_substance(review())) == ["review.approval_only"]
    stock = classify_review_substance(review(body="LGTM!"))
    assert labels(stock) == ["review.approval_only"] and "LGTM" in stock[0][1]
    with_comments = classify_review_substance(review(comment_count=2))
    assert labels(with_comments) == ["review.substantive"] and "2 inline comments" in with_comments[0][1]
    written = classify_review_substance(review(state="CHANGES_REQUESTED", body="The cache key ignores the locale."))
    assert labels(written) == ["review.substantive"] and "6 words" in written[0][1]
    # a comment-less, body-less non-approval carries nothing either way
    assert classify_review_substance(review(state="COMMENTED")) == []


def test_mentorship_by_level_and_by_tenure():
    body = "This resets the patience counter every epoch; move it outside the loop."
    by_level = classify_mentorship(review(body=body, person_level_rank=4, subject_level_rank=2))
    assert labels(by_level) == ["mentorship"] and "level rank 2 is below the reviewer's 4" in by_level[0][1]
    by_tenure = classify_mentorship(review(body=body, person_level_rank=3, subject_level_rank=3,
                                           subject_start_date=dt.date(2026, 8, 1)))
    assert labels(by_tenure) == ["mentorship"] and "62 days before" in by_tenure[0][1]
    comment = classify_mentorship(activity(kind="review_comment", person_id="ana", subject_person_id="bo",
                                           person_level_rank=4, subject_level_rank=2, body=body))
    assert labels(comment) == ["mentorship"]


@pytest.mark.parametrize("change", [
    dict(person_level_rank=2, subject_level_rank=4),  # reviewing a more senior engineer
    dict(person_level_rank=3, subject_level_rank=3, subject_start_date=dt.date(2025, 1, 1)),  # peer, not new
    dict(person_level_rank=4, subject_level_rank=2, body="LGTM"),  # no substance
    dict(person_level_rank=4, subject_level_rank=2, subject_person_id="ana"),  # own PR
    dict(person_level_rank=None, subject_level_rank=2),  # unknown levels
])
def test_mentorship_misses(change):
    values = dict(body="This resets the patience counter every epoch; move it outside the loop.")
    values.update(change)
    assert classify_mentorship(review(**values)) == []


def test_discussion_on_others_work_only():
    hit = classify_discussion(activity(kind="ticket_comment", person_id="ana", subject_person_id="bo"))
    assert labels(hit) == ["collaboration.discussion"] and "bo's ticket" in hit[0][1]
    assert classify_discussion(activity(kind="issue_comment", person_id="bo", subject_person_id="bo")) == []
    assert classify_discussion(activity(kind="issue_comment", person_id="bo", subject_person_id=None)) == []


def test_review_links():
    hit = classify_review_links(review(body="See https://wiki.acme.test/eval-loop for how we did it"))
    assert labels(hit) == ["review.knowledge_transfer"] and "wiki.acme.test" in hit[0][1]
    assert classify_review_links(review(body="no link here, just words")) == []


def test_cross_team():
    hit = classify_cross_team(activity(kind="pull_request", person_team_id="ml-platform", container="acme/search-api",
                                       container_team_id="search"))
    assert labels(hit) == ["cross_team"] and "owned by search" in hit[0][1]
    assert classify_cross_team(activity(person_team_id="search", container_team_id="search")) == []
    assert classify_cross_team(activity(person_team_id=None, container_team_id="search")) == []


def test_delivery():
    assert labels(classify_delivery(activity(kind="pull_request", state="merged"))) == ["delivery.merged"]
    assert classify_delivery(activity(kind="pull_request", state="closed")) == []
    on_time = classify_delivery(activity(kind="ticket", state="done", resolved_at=dt.datetime(2026, 10, 10, 23, tzinfo=UTC),
                                         due_date=dt.date(2026, 10, 10)))
    assert labels(on_time) == ["delivery.resolved", "delivery.on_time"]
    late = classify_delivery(activity(kind="ticket", state="done", resolved_at=dt.datetime(2026, 10, 11, 0, 5, tzinfo=UTC),
                                      due_date=dt.date(2026, 10, 10)))
    assert labels(late) == ["delivery.resolved"]
    assert classify_delivery(activity(kind="ticket", state="indeterminate")) == []


def test_project_role():
    assert labels(classify_project_role(activity(kind="ticket", issue_type="Epic"))) == ["project.epic_lead"]
    dep = classify_project_role(activity(kind="ticket", issue_type="Task", cross_team_links=2))
    assert labels(dep) == ["project.cross_team_dependency"] and "2 links" in dep[0][1]
    assert classify_project_role(activity(kind="ticket", issue_type="Story", cross_team_links=0)) == []


@pytest.mark.parametrize("role,pm,expected", [
    ("declared", None, ["incident.declared"]),
    ("assignee", "https://wiki/pm", ["incident.responder"]),
    ("commander", None, ["incident.commander"]),
    ("commander", "https://wiki/pm/1", ["incident.commander", "incident.postmortem"]),
    ("watcher", "https://wiki/pm/1", []),
])
def test_incident_role(role, pm, expected):
    assert labels(classify_incident_role(activity(kind="incident", role=role, postmortem_url=pm,
                                                  severity="SEV2"))) == expected


def test_incident_followup():
    hit = classify_incident_followup(activity(kind="ticket", is_incident_followup=True, state="done"))
    assert labels(hit) == ["incident.followup_done"]
    assert classify_incident_followup(activity(kind="ticket", is_incident_followup=True, state="new")) == []
    assert classify_incident_followup(activity(kind="ticket", is_incident_followup=False, state="done")) == []


def test_registry_names_versions_and_kinds():
    names = [r.name for r in RULES]
    assert len(names) == len(set(names))
    for r in RULES:
        assert r.version and r.kinds and r.description, r.name


# --- YAML rules ---------------------------------------------------------------------


def test_default_yaml_rules_hit_and_miss():
    rules = build_rules()
    playbook = yaml_rule("paths-playbook", rules)
    hit = playbook(activity(kind="pull_request", source="github", title="Add page",
                            paths=["src/a.py", "docs/runbooks/ranking.md"]))
    assert hit == [("work.playbook", "touches docs/runbooks/ranking.md")]
    assert playbook(activity(kind="pull_request", source="github", title="Add page", paths=["src/a.py"])) == []

    tests_only = yaml_rule("paths-tests", rules)
    assert labels(tests_only(activity(paths=["tests/test_a.py", "pkg/__tests__/b.spec.ts"]))) == ["work.test"]
    assert tests_only(activity(paths=["tests/test_a.py", "trainer/loop.py"])) == []  # "all" mode

    ci = yaml_rule("paths-build-ci", rules)
    assert "touches .github/workflows/ci.yml" in ci(activity(paths=["src/x.py", ".github/workflows/ci.yml"]))[0][1]

    ml = yaml_rule("ml-experiment", rules)
    assert "title mentions 'Eval'" in ml(activity(title="Eval harness for ranking v3"))[0][1]
    assert ml(activity(title="Evaluate nothing: retraining is elsewhere", paths=[]))[0][0] == "work.ml_experiment"
    assert ml(activity(title="Tidy up the medal table")) == []  # 'model' inside a word does not count

    toil = yaml_rule("toil-automation", rules)
    assert labels(toil(activity(title="Automate the nightly index cleanup"))) == ["work.toil_automation"]
    assert toil(activity(title="Add ranking feature")) == []

    monitoring = yaml_rule("monitoring", rules)
    assert labels(monitoring(activity(paths=["ops/grafana/ranking.json"]))) == ["work.monitoring"]

    bug = yaml_rule("labels-bugfix", rules)
    assert bug(activity(source="jira", issue_type="Bug")) == [("work.bugfix", "Jira issue type 'Bug'")]
    assert bug(activity(source="github", labels=["bug"])) == [("work.bugfix", "GitHub label 'bug'")]
    assert bug(activity(source="github", labels=["enhancement"], issue_type="Bug")) == []

    ctx = yaml_rule("review-context-phrases", rules)
    assert labels(ctx(activity(kind="review", person_id="a", subject_person_id="b",
                               body="For context, we used to cache this per request."))) == ["review.knowledge_transfer"]
    assert ctx(activity(kind="review", person_id="a", subject_person_id="a", body="For context, mine.")) == []


def test_every_default_rule_names_a_signal():
    spec = read_rule_file(None)
    assert spec.rules and all(rule.label in SIGNALS for rule in spec.rules)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_user_file_adds_overrides_and_disables(tmp_path):
    path = write(tmp_path, """
version: 7
rules:
  - name: feature-store
    label: work.ml_experiment
    paths: ["feature_store/*"]
  - name: monitoring
    label: work.monitoring
    keywords: [sentry]
  - name: toil-automation
    label: work.toil_automation
    enabled: false
""")
    rules = build_rules(path)
    names = {r.name: r for r in rules}
    assert "toil-automation" not in names
    assert names["feature-store"].version == "yaml-7"
    assert labels(names["feature-store"].apply(activity(paths=["feature_store/defs.py"]))) == ["work.ml_experiment"]
    assert names["monitoring"].apply(activity(title="Add dashboard")) == []  # replaced, not merged
    assert labels(names["monitoring"].apply(activity(title="Wire Sentry errors"))) == ["work.monitoring"]


@pytest.mark.parametrize("text,expected", [
    ("version: 1\nrules:\n  - name: x\n    label: work.bogus\n    keywords: [a]\n",
     ["rules[0].label (rule 'x')", "'work.bogus' is not a signal", "work.feature"]),
    ("version: 1\nrules:\n  - name: x\n    label: work.docs\n    keyword: [a]\n",
     ["rules[0].keyword (rule 'x')", "unknown key", "keywords"]),
    ("version: 1\nrules:\n  - name: x\n    label: work.docs\n",
     ["has no matcher", "add paths, keywords"]),
    ("version: 1\nrules:\n  - name: x\n    label: work.docs\n    kinds: [commit]\n    keywords: [a]\n",
     ["rules[0].kinds[0] (rule 'x')", "pull_request"]),
    ("version: 1\nrules:\n  - {name: x, label: work.docs, keywords: [a]}\n  - {name: x, label: work.docs, keywords: [b]}\n",
     ["appears twice"]),
    ("version: 1\nrules: [\n", ["not valid YAML"]),
    ("- just a list\n", ["expected a mapping"]),
    ("version: 1\nrules:\n  - {name: delivery, label: work.docs, keywords: [a]}\n", ["name of a built-in rule"]),
])
def test_invalid_rule_files_name_file_key_and_fix(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(RuleFileError) as info:
        build_rules(path)
    message = str(info.value)
    assert str(path) in message or "default_rules.yaml" in message
    for part in expected:
        assert part in message


def test_missing_rule_file_says_where_to_fix(tmp_path):
    with pytest.raises(RuleFileError, match="cannot read rules file .*classifiers.rules"):
        build_rules(tmp_path / "nope.yaml")


def test_title_verb_after_a_non_type_prefix():
    hit = classify_title_verb(activity(title="WIP: refactor query parser"))
    assert hit == [("work.refactor", "title starts with 'refactor' after its prefix")]
    assert classify_title_verb(activity(title="WIP: parser")) == []
