"""Coverage warnings: say when a report's data is incomplete for its person, instead of showing less evidence.

Pure: ``coverage_warnings(facts, since=, until=)`` takes the plain facts
``Warehouse.query_coverage_facts`` reads (warehouse/coverage.py) and returns
warnings, each ``{"code", "source", "message", "details"}``:

- ``not_on_roster`` (roster): the person is not in the roster the warehouse holds.
- ``source_not_synced`` (github / jira): the source was never synced (``details.reason`` ``never_synced``),
  its data stops more than ``STALE_GRACE_DAYS`` before the period ends (``stale``), begins more than
  ``LATE_START_DAYS`` after it starts (``starts_late``), or one of its repositories / projects failed to
  sync at the latest attempt (``partition_failing``: "acme/api not synced since …").
- ``no_account_linked`` (github / jira): a synced source where no account is linked to the person and none
  is suggested.
- ``unlinked_account_suggested`` (github / jira): an account identity resolution only suggests for the
  person (name or shared e-mail), one warning per account.
- ``joined_mid_period`` (roster): the roster's start date is after the period's first day, not after its last.
- ``left_mid_period`` (roster): the person's roster enrollment ends inside the period.
- ``not_enrolled_in_period`` (roster): the person started after the period, or left before it.
- ``activity_gap`` (None): ``GAP_DAYS`` or more consecutive days with no activity at all from the person
  while the sources held data.

Messages are one sentence addressed to the person, name the fix, and never
show an e-mail address or a token; ``details`` holds JSON-able values (dates
as ISO strings).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

GAP_DAYS = 42  # six weeks
LATE_START_DAYS = 7  # a source whose data begins more than this many days after the period starts is flagged
# A sync that finds nothing new leaves no trace (no row or cursor changes), so data that seems to stop
# a few days before the period's end may only be a quiet weekend: flagged only beyond this many days.
STALE_GRACE_DAYS = 3
MAX_FAILING = 5  # failing partitions named one by one; the rest are counted in one more warning

SOURCE_NAMES = {"github": "GitHub", "jira": "Jira"}
WHAT_IS_MISSING = {
    "github": "GitHub pull requests, reviews and comments",
    "jira": "Jira tickets, comments and incidents",
}
ACCOUNT_FIX = {
    "github": "add your GitHub login to the roster",
    "jira": "add your Jira account id to the roster",
}
CODE_ORDER = (
    "not_on_roster",
    "source_not_synced",
    "no_account_linked",
    "unlinked_account_suggested",
    "joined_mid_period",
    "left_mid_period",
    "not_enrolled_in_period",
    "activity_gap",
)
CONFIRM = "Ask the operator to confirm the suggested match (`ladder identities`) or add an override."


def _name(source: str) -> str:
    return SOURCE_NAMES.get(source, source)


def _as_date(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc)
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _no_email(text: str | None) -> str | None:
    """``text`` unless it is or holds an e-mail address (some Jira servers show one as the display name)."""
    return text if text and "@" not in text else None


def _warning(code: str, source: str | None, message: str, **details: Any) -> dict[str, Any]:
    return {"code": code, "source": source, "message": message, "details": details}


def _weeks(days: int) -> str:
    weeks = days // 7
    return f"{weeks} week{'s' if weeks != 1 else ''}" if weeks else f"{days} day{'s' if days != 1 else ''}"


def _source_warnings(source: str, state: dict[str, Any], since: dt.date, until: dt.date) -> list[dict[str, Any]]:
    name = _name(source)
    if not state.get("synced"):
        return [
            _warning(
                "source_not_synced",
                source,
                f"{name} has never been synced into this warehouse: your {WHAT_IS_MISSING.get(source, 'activity')} "
                f"are missing from this report. Ask the operator to configure {name} in ladder.yaml and run "
                f"`ladder sync`.",
                reason="never_synced",
                synced_through=None,
            )
        ]
    out = []
    through = _as_date(state.get("synced_through"))
    if through is not None and through < until - dt.timedelta(days=STALE_GRACE_DAYS):
        out.append(
            _warning(
                "source_not_synced",
                source,
                f"{name} data in this warehouse stops at {through.isoformat()}, before this period ends on "
                f"{until.isoformat()}: your later {name} activity is missing. Ask the operator to run `ladder sync` "
                f"and rebuild the report.",
                reason="stale",
                synced_through=through.isoformat(),
            )
        )
    for failing in (state.get("failing") or [])[:MAX_FAILING]:
        out.append(_failing_warning(source, failing))
    if len(state.get("failing") or []) > MAX_FAILING:
        more = len(state["failing"]) - MAX_FAILING
        out.append(
            _warning(
                "source_not_synced",
                source,
                f"{more} more {name} {'repositories' if source == 'github' else 'projects'} failed to sync at the "
                "latest attempt: your activity there may be missing. Ask the operator to check `ladder sync`'s "
                "partial-sync report.",
                reason="partition_failing",
                partition=None,
                more=more,
            )
        )
    begins = _as_date(state.get("data_from"))
    if begins is not None and begins > since + dt.timedelta(days=LATE_START_DAYS):
        out.append(
            _warning(
                "source_not_synced",
                source,
                f"{name} data in this warehouse begins on {begins.isoformat()}, after this period starts on "
                f"{since.isoformat()}: your earlier {name} activity is missing. Ask the operator to run "
                f"`ladder sync --since {since.isoformat()}` and rebuild the report.",
                reason="starts_late",
                data_from=begins.isoformat(),
            )
        )
    return out


def _failing_warning(source: str, failing: dict[str, Any]) -> dict[str, Any]:
    partition = str(failing.get("partition") or "")
    what = partition.split(":", 1)[-1]
    label = f"the repository {what}" if source == "github" and "/" in what else f"the {_name(source)} project {what}"
    if source == "github" and "/" not in what:
        label = f"the GitHub organization {what}'s listing"
    since = _as_date(failing.get("last_success_at"))
    when = f"since {since.isoformat()}" if since else "yet"
    return _warning(
        "source_not_synced",
        source,
        f"{label[0].upper()}{label[1:]} has not synced {when}: the latest sync could not read it, so your activity "
        f"there{' after that date' if since else ''} may be missing from this report. Ask the operator to look at "
        "`ladder sync`'s partial-sync report and run it again.",
        reason="partition_failing",
        partition=partition,
        last_success=since.isoformat() if since else None,
        failures=int(failing.get("failures") or 0),
    )


def _suggested_warning(person_id: str, account: dict[str, Any]) -> dict[str, Any]:
    system = account["system"]
    name = _name(system)
    identity = _no_email(account.get("identity"))
    if system == "github" and identity:
        label = f'The GitHub account "{identity}"'
    elif _no_email(account.get("display_name")):
        label = f'The {name} account "{account["display_name"]}"'
    else:
        label = f"An unnamed {name} account"
    why = (
        "it shares an e-mail address with you and someone else"
        if account.get("basis") == "shared_email"
        else "by its name"
    )
    count = int(account.get("activities_in_period") or 0)
    missing = (
        f"its {count} activit{'y' if count == 1 else 'ies'} in this period {'is' if count == 1 else 'are'} "
        f"missing from this report"
        if count
        else "nothing it does is credited to you"
    )
    message = f"{label} is only suggested as yours ({why}), not linked to you: {missing}. {CONFIRM}"
    return _warning(
        "unlinked_account_suggested",
        system,
        message,
        account=identity,
        display_name=_no_email(account.get("display_name")),
        score=account.get("score"),
        basis=account.get("basis"),
        activities_in_period=count,
        override=({"accept": [{system: identity, "person": person_id}]} if identity else None),
    )


def _identity_warnings(facts: dict[str, Any], synced: list[str], person_id: str) -> list[dict[str, Any]]:
    linked = {a["system"] for a in facts.get("linked_accounts") or []}
    suggested = [a for a in facts.get("suggested_accounts") or [] if a["system"] in synced]
    out = []
    for source in synced:
        mine = [a for a in suggested if a["system"] == source]
        if source not in linked and not mine:
            name = _name(source)
            out.append(
                _warning(
                    "no_account_linked",
                    source,
                    f"No {name} account is linked to you: your {WHAT_IS_MISSING.get(source, 'activity')} are "
                    f"missing from this report. Ask the operator to {ACCOUNT_FIX.get(source, 'link your account')} "
                    f"or accept your account in the identities overrides file (`ladder identities` lists "
                    f"unmatched accounts).",
                    linked_accounts=0,
                )
            )
        out.extend(_suggested_warning(person_id, a) for a in mine)
    return out


def _enrollment_warnings(person: dict[str, Any], since: dt.date, until: dt.date) -> list[dict[str, Any]]:
    start, end = _as_date(person.get("start_date")), _as_date(person.get("end_date"))
    period_days = (until - since).days + 1
    span = f"this period ({since.isoformat()} to {until.isoformat()})"
    if (start is not None and start > until) or (end is not None and end < since):
        if start is not None and start > until:
            when = f"starting on {start.isoformat()}"
        else:
            assert end is not None  # the test above: not a late start, so the roster's end precedes the period
            when = f"leaving on {end.isoformat()}"
        return [
            _warning(
                "not_enrolled_in_period",
                "roster",
                f"The roster shows you {when}, outside {span}: no activity is expected here; if the date is wrong, "
                f"ask the operator to correct it in the roster.",
                start_date=start.isoformat() if start else None,
                end_date=end.isoformat() if end else None,
                active_days=0,
                period_days=period_days,
            )
        ]
    first = max(since, start) if start else since
    last = min(until, end) if end else until
    active = (last - first).days + 1
    out = []
    if start is not None and since < start <= until:
        out.append(
            _warning(
                "joined_mid_period",
                "roster",
                f"You started on {start.isoformat()}, inside {span}: only {active} of its {period_days} days can "
                f"show activity, so read the evidence against that shorter time (if the date is wrong, ask the "
                f"operator to correct it in the roster).",
                start_date=start.isoformat(),
                active_from=first.isoformat(),
                active_until=last.isoformat(),
                active_days=active,
                period_days=period_days,
            )
        )
    if end is not None and since <= end < until:
        out.append(
            _warning(
                "left_mid_period",
                "roster",
                f"Your roster enrollment ends on {end.isoformat()}, inside {span}: only {active} of its "
                f"{period_days} days can show activity, so read the evidence against that shorter time (if the "
                f"date is wrong, ask the operator to correct it in the roster).",
                end_date=end.isoformat(),
                active_from=first.isoformat(),
                active_until=last.isoformat(),
                active_days=active,
                period_days=period_days,
            )
        )
    return out


def _gaps(days: list[dt.date], first: dt.date, last: dt.date, minimum: int) -> list[tuple[dt.date, dt.date]]:
    """Runs of at least ``minimum`` consecutive days in [first, last] holding none of ``days``."""
    runs = []
    cursor = first
    for day in sorted({d for d in days if first <= d <= last}) + [last + dt.timedelta(days=1)]:
        if (day - cursor).days >= minimum:
            runs.append((cursor, day - dt.timedelta(days=1)))
        cursor = max(cursor, day + dt.timedelta(days=1))
    return runs


def _gap_warnings(facts: dict[str, Any], synced: list[str], since: dt.date, until: dt.date) -> list[dict[str, Any]]:
    person = facts["person"]
    states = [facts["sources"][s] for s in synced]
    starts = [d for d in (_as_date(s.get("data_from")) for s in states) if d is not None]
    ends = [d for d in (_as_date(s.get("synced_through")) for s in states) if d is not None]
    if not starts or not ends:
        return []  # no source holds activity yet: nothing to say about this person's
    start, end = _as_date(person.get("start_date")), _as_date(person.get("end_date"))
    first = max([since, min(starts)] + ([start] if start else []))
    last = min([until, max(ends)] + ([end] if end else []))
    if (last - first).days + 1 < GAP_DAYS:
        return []
    dates = [_as_date(d) for s in synced for d in (facts.get("activity_dates") or {}).get(s, [])]
    names = " or ".join(_name(s) for s in synced)
    out = []
    for gap_first, gap_last in _gaps([d for d in dates if d], first, last, GAP_DAYS):
        days = (gap_last - gap_first).days + 1
        out.append(
            _warning(
                "activity_gap",
                None,
                f"No {names} activity of yours is recorded from {gap_first.isoformat()} to {gap_last.isoformat()} "
                f"({_weeks(days)}): if you were on leave or working outside these tools, tell your manager so the "
                f"gap is read that way; if not, ask the operator to check your linked accounts (`ladder identities`).",
                first_day=gap_first.isoformat(),
                last_day=gap_last.isoformat(),
                days=days,
                sources=list(synced),
            )
        )
    return out


def coverage_warnings(facts: dict, *, since: dt.date, until: dt.date) -> list[dict]:
    """The coverage warnings of one person's report for [since, until] (dates, inclusive); [] when complete.

    ``facts``: ``Warehouse.query_coverage_facts(person_id, since=since, until=until, ...)``.
    Ordered by ``CODE_ORDER``, then source, then as produced.
    """
    if since > until:
        raise ValueError(f"coverage_warnings: since ({since}) is after until ({until}); swap them")
    sources: dict[str, dict[str, Any]] = facts.get("sources") or {}
    warnings: list[dict[str, Any]] = []
    for source, state in sources.items():
        warnings.extend(_source_warnings(source, state, since, until))
    synced = [s for s, state in sources.items() if state.get("synced")]
    person = facts.get("person")
    if person is None:
        warnings.append(
            _warning(
                "not_on_roster",
                "roster",
                f"{facts.get('person_id')!s} is not on the roster this warehouse holds, so no activity can be credited "
                f"to them: ask the operator to add them to the roster and run `ladder sync`.",
                person_id=facts.get("person_id"),
            )
        )
    else:
        warnings.extend(_identity_warnings(facts, synced, person["person_id"]))
        warnings.extend(_enrollment_warnings(person, since, until))
        if not any(w["code"] == "not_enrolled_in_period" for w in warnings):
            warnings.extend(_gap_warnings(facts, synced, since, until))
    rank = {code: i for i, code in enumerate(CODE_ORDER)}
    order = {s: i for i, s in enumerate(sources)}
    return sorted(
        warnings,
        key=lambda w: (rank.get(w["code"], len(rank)), order.get(w["source"], len(order)) if w["source"] else -1),
    )
