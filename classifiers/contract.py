"""Arrow contracts between the warehouse and the classifiers, and the signal vocabulary.

The warehouse exports activities as an Arrow table with ``ACTIVITY_SCHEMA``;
classifiers return labels with ``LABEL_SCHEMA``.  Classifiers never touch the
network or the database.  ``SIGNALS`` is the closed vocabulary of labels; the
rubric YAML may only reference these names.
"""

from __future__ import annotations

import pyarrow as pa

TS = pa.timestamp("us", tz="UTC")

# One row per thing a person did.  ``person_*`` describe the actor as of the
# activity; ``subject_*`` describe the owner of the thing acted on (the PR's
# author for a review, the ticket's assignee for a ticket comment).
ACTIVITY_SCHEMA = pa.schema(
    [
        ("activity_id", pa.string()),  # gh:pr:org/repo#12, gh:review:991, jira:ticket:ML-4 ...
        ("kind", pa.string()),  # see ACTIVITY_KINDS
        ("source", pa.string()),  # github | jira
        ("person_id", pa.string()),  # roster person, null when unresolved / bot / ghost
        ("actor", pa.string()),  # raw identity: GitHub login or Jira accountId
        ("is_bot", pa.bool_()),
        ("occurred_at", TS),
        ("url", pa.string()),
        ("title", pa.string()),
        ("body", pa.string()),
        ("container", pa.string()),  # repo full name or Jira project key
        ("container_team_id", pa.string()),  # team owning the repo / project
        ("person_team_id", pa.string()),
        ("person_level_rank", pa.int32()),
        ("person_start_date", pa.date32()),
        ("subject_activity_id", pa.string()),
        ("subject_person_id", pa.string()),
        ("subject_team_id", pa.string()),
        ("subject_level_rank", pa.int32()),
        ("subject_start_date", pa.date32()),
        ("state", pa.string()),  # PR: open|merged|closed; review state; ticket status category
        ("role", pa.string()),  # incident: declared|commander|assignee; ticket: assignee
        ("labels", pa.list_(pa.string())),  # GitHub labels; Jira labels + components
        ("paths", pa.list_(pa.string())),  # files a PR touched
        ("additions", pa.int64()),
        ("deletions", pa.int64()),
        ("issue_type", pa.string()),
        ("priority", pa.string()),
        ("severity", pa.string()),
        ("parent_key", pa.string()),
        ("due_date", pa.date32()),
        ("resolved_at", TS),
        ("comment_count", pa.int32()),  # review: inline comments in it; PR: review comments
        ("response_hours", pa.float64()),  # review: hours from PR opened to review
        ("cross_team_links", pa.int32()),  # ticket: links to issues of other teams' projects
        ("is_incident_followup", pa.bool_()),  # ticket: linked as caused by / follow-up of an incident
        ("postmortem_url", pa.string()),  # incident: link to its postmortem
    ]
)

ACTIVITY_KINDS = (
    "pull_request",  # authored a PR
    "review",  # submitted a review on someone's PR
    "review_comment",  # inline comment on a PR diff
    "issue_comment",  # conversation comment on a PR
    "ticket",  # assigned Jira ticket (not an incident)
    "ticket_comment",
    "incident",  # one row per role a person held on an incident
)

LABEL_SCHEMA = pa.schema(
    [
        ("activity_id", pa.string()),
        ("label", pa.string()),  # a key of SIGNALS
        ("confidence", pa.float64()),  # 1.0 for rules
        ("classifier_kind", pa.string()),  # rule | model
        ("classifier_id", pa.string()),  # rule name or model id
        ("classifier_version", pa.string()),
        ("reason", pa.string()),  # why, in words a person can check
    ]
)

SIGNALS: dict[str, str] = {
    # work type of a PR or ticket
    "work.feature": "adds a capability",
    "work.bugfix": "fixes a defect",
    "work.refactor": "restructures code without changing behaviour",
    "work.docs": "documentation",
    "work.test": "tests",
    "work.perf": "performance improvement",
    "work.build_ci": "build, CI or packaging",
    "work.chore": "routine maintenance",
    "work.revert": "reverts an earlier change",
    "work.dependency_bump": "dependency update",
    "work.ml_experiment": "ML experiment, model training or evaluation",
    "work.monitoring": "monitoring, alerting or dashboards",
    "work.playbook": "runbook or playbook",
    "work.toil_automation": "automates away manual, repetitive work",
    "work.design_doc": "design document or RFC",
    # review substance
    "review.approval_only": "approved with no written substance",
    "review.changes_requested": "requested changes before the PR could merge",
    "review.substantive": "review with written substance",
    "review.defect": "points out a defect",
    "review.design": "discusses design or approach",
    "review.question": "asks a clarifying question",
    "review.suggestion": "proposes a concrete change",
    "review.nit": "minor style remark",
    "review.praise": "praise",
    "review.knowledge_transfer": "explains context, links or teaches",
    "review.documentation": "asks for or improves documentation",
    # structure
    "cross_team": "own work (a PR, ticket or incident role) on a repo or project owned by another team",
    "cross_team.feedback": "a review or comment on work in a repo or project owned by another team",
    "mentorship": "substantive help on the work of a less senior or newer engineer",
    "delivery.merged": "a merged pull request",
    "delivery.resolved": "a resolved ticket",
    "delivery.on_time": "a ticket resolved by its due date",
    "project.epic_lead": "leads an epic",
    "project.cross_team_dependency": "ticket coordinating a dependency with another team",
    "incident.declared": "declared an incident",
    "incident.commander": "commanded / owned an incident",
    "incident.responder": "worked on an incident",
    "incident.postmortem": "wrote or linked the postmortem",
    "incident.followup_done": "closed an incident follow-up",
    "collaboration.discussion": "discussion on another person's work",
}
