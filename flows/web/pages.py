"""``ladder serve``'s pages of people: the list, a report (HTML and JSON), notes, and managers' decisions on
disputes (confirm: the item leaves the evidence; reject: it stays, and the rejection is shown on the dispute).

Every route asks ``flows.web.policy.grant_for`` and answers 404 when it says no, exactly as for a
person who does not exist.  Every view, export and write is a line in the audit log.  Reports are
built from the current snapshot by the nightly's own functions (``flows.stages``) and rendered by the
report renderer (``rubric.render``) through a template that extends the static report's; what people
wrote is attached to the items it is about (``rubric.feedback``).
"""

from __future__ import annotations

import copy
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from classifiers.disputes import dispute_decisions, labels_for_kind
from flows.rubrics import no_rubric_message
from flows.web.core import PACKAGE, FormTooLarge, Web, csrf_ok, csrf_token, read_form, session_user
from flows.web.policy import ROLE_TEXT, Grant, grant_for, readable_people
from rubric.render import drop_unsafe_chars, render_report_page, safe_url
from warehouse.feedback import DISPUTE_REASONS

MAX_NOTE_CHARS = 5000
REASON_TEXT = {
    "wrong_label": "wrong label",
    "not_my_work": "not my work",
    "not_this_behaviour": "doesn't show this behaviour",
}
assert set(REASON_TEXT) == set(DISPUTE_REASONS)


def _report(web: Web, view: Any, grant: Grant, notes: list) -> dict:
    """The subject's report from the snapshot, less confirmed disputes, with the notes attached."""
    from flows import stages
    from rubric.feedback import attach_notes, confirmed_disputes

    period = view.cache["period"]
    rubric = view.cache["rubrics"].for_person(grant.subject)
    confirmed = confirmed_disputes(notes)
    subject_id = grant.subject["person_id"]
    window = grant.window  # a former manager's part of the period (rubric.access_teams), else all of it
    since, until = (window.since, window.until) if window else period
    key = ("report", subject_id, since, until, frozenset(confirmed))
    if key not in view.cache:  # the snapshot never changes: a report is built once per period and confirmations
        view.cache[key] = stages.render_person_report(
            view.wh,
            rubric,
            grant.subject,
            since=since,
            until=until,
            generated_at=view.published_at,
            history_start=view.cache["history_start"],
            # the snapshot's norms and monthly counts are for the whole period; a window computes its own
            calibration=None if window else view.cache["calibration"].get(rubric.id),
            monthly=None if window else view.cache["monthly"],
            coverage=view.cache["coverage"],
            access_note=window.note(grant.subject.get("name") or subject_id, period) if window else None,
            confirmed=confirmed,
        )
    report = copy.deepcopy(view.cache[key])
    names = {p["person_id"]: p["name"] for p in view.wh.query_people()}
    if window:  # only the notes on the items of their part: extra evidence has no date to place it by
        notes = [n for n in notes if n.kind != "extra"]
    return attach_notes(report, notes, names)


def page_routes(web: Web) -> list[Route]:
    def signed_in(request: Request) -> dict | None:
        return session_user(request, web.clock())

    def grant(view: Any, user: dict, person_id: str) -> Grant | None:
        viewer = view.wh.query_person_by_id(user["person_id"])
        if viewer is None:
            return None
        return grant_for(
            view.wh, viewer, person_id, web.config.web.admins, period=view.cache["period"], today=web.clock().date()
        )

    async def home(request: Request) -> Response:
        user = signed_in(request)
        if user is None:
            return RedirectResponse("/sign-in", 303)
        with web.reader.read() as view:
            viewer = view.wh.query_person_by_id(user["person_id"])
            people = (
                readable_people(
                    view.wh, viewer, web.config.web.admins, period=view.cache["period"], today=web.clock().date()
                )
                if viewer
                else []
            )
            published = view.published_at
        web.audit("view_home", user, None, 200)
        rows = [dict(p, role=ROLE_TEXT[role]) for p, role in people]
        return web.page(
            request,
            "home.html.j2",
            title="Reports",
            people=rows,
            is_admin=user["person_id"] in web.config.web.admins,
            snapshot_at=published.isoformat(timespec="minutes"),
        )

    async def person(request: Request) -> Response:
        user = signed_in(request)
        if user is None:
            return RedirectResponse("/sign-in", 303)
        person_id = request.path_params["person_id"]
        as_json = request.url.path.endswith("/report.json")
        with web.reader.read() as view:
            found = grant(view, user, person_id)
            if found is None:
                web.audit("export_report" if as_json else "view_report", user, person_id, 404)
                return web.not_found(request)
            if view.cache["rubrics"].for_person(found.subject) is None:
                # an allowed reader, a person whose level the config gives no report (reports.rubrics)
                web.audit("export_report" if as_json else "view_report", user, person_id, 200, found.role)
                return web.problem(request, 200, "No report", no_rubric_message(web.config, found.subject))
            with web.reader.feedback() as store:
                notes = store.query_notes(found.subject["person_id"])
            report = _report(web, view, found, notes)
            published, published_name = view.published_at, view.path.name
        snapshot = {"X-Ladder-Snapshot": published_name}
        if as_json:
            web.audit("export_report", user, person_id, 200)
            return JSONResponse(report, headers=snapshot)
        web.audit("view_report", user, person_id, 200, found.role)
        behaviours = {b["id"]: b["text"] for d in report["dimensions"] for b in d["behaviours"] if b["observable"]}
        html = render_report_page(
            report,
            "report_page.html.j2",
            PACKAGE,
            me=user,
            csrf=csrf_token(request),
            role=found.role,
            snapshot_at=published.isoformat(timespec="minutes"),
            behaviour_text=behaviours,
            reason_text=REASON_TEXT,
            labels_for=labels_for_kind,
            max_chars=MAX_NOTE_CHARS,
        )
        return Response(html, media_type="text/html; charset=utf-8", headers=snapshot)

    async def write(request: Request, action: str) -> tuple[dict, dict[str, str], Grant] | Response:
        """The signed-in user, the form and their grant on the page's person, or the refusal to send."""
        person_id = request.path_params["person_id"]
        try:
            form = await read_form(request)
        except FormTooLarge:
            return web.problem(request, 413, "Too large", f"A note is at most {MAX_NOTE_CHARS} characters.")
        user = signed_in(request)
        if user is None or not csrf_ok(request, form):
            web.audit("write_refused", user, person_id, 403, "no session" if user is None else "csrf")
            return web.problem(request, 403, "Refused", "Sign in, then send the form from its page.")
        with web.reader.read() as view:
            found = grant(view, user, person_id)
        if found is None:
            web.audit(action, user, person_id, 404)
            return web.not_found(request)
        return user, form, found

    async def add_note(request: Request) -> Response:
        person_id = request.path_params["person_id"]
        allowed = await write(request, "add_note")
        if isinstance(allowed, Response):
            return allowed
        user, form, found = allowed
        back = f"/people/{person_id}"
        problem, note = _note_fields(form, found)
        if problem is not None:
            web.audit("add_note", user, person_id, 400, problem)
            return web.problem(request, 400, "Not saved", problem, back)
        assert note is not None
        if note["activity_id"] is not None:
            with web.reader.read() as view:
                shown = view.wh.query_evidence_signals(
                    found.subject["person_id"], note["activity_id"], note["behaviour_id"]
                )
            if shown is None:
                web.audit("add_note", user, person_id, 404, "no such item")
                return web.not_found(request)
            note["disputed_label"] = ", ".join(shown) if note["kind"] == "dispute" else None
        with web.reader.feedback() as store:
            saved = store.add_note(
                subject_id=found.subject["person_id"],
                author_id=user["person_id"],
                author_role=found.role.replace("self", "subject"),
                **note,
            )
        web.audit("add_note", user, person_id, 303, f"{saved.kind} {saved.note_id}")
        return RedirectResponse(back, 303)

    def decide(kind: str) -> Any:
        """The route a manager (or admin) confirms (``confirm``) or rejects (``reject``) a dispute by."""
        action = f"{kind}_dispute"

        async def route(request: Request) -> Response:
            person_id = request.path_params["person_id"]
            allowed = await write(request, action)
            if isinstance(allowed, Response):
                return allowed
            user, form, found = allowed
            back = f"/people/{person_id}"
            if not found.may_decide:
                web.audit(action, user, person_id, 404)
                return web.not_found(request)
            body = drop_unsafe_chars(form.get("body", "")).strip() if kind == "reject" else ""
            if len(body) > MAX_NOTE_CHARS:
                web.audit(action, user, person_id, 400, "too long")
                return web.problem(request, 400, "Not saved", f"At most {MAX_NOTE_CHARS} characters.", back)
            with web.reader.feedback() as store:
                dispute = store.query_note(request.path_params["note_id"])
                # Another person's note id answers exactly like one that does not exist.
                if dispute is None or dispute.kind != "dispute" or dispute.subject_id != found.subject["person_id"]:
                    store.add_audit(action, viewer_id=user["person_id"], subject=person_id, status=404)
                    return web.not_found(request)
                earlier = dispute_decisions(store.query_notes(dispute.subject_id)).get(dispute.note_id)
                if earlier is not None:  # decided once; the engineer may dispute the item again
                    store.add_audit(
                        action, viewer_id=user["person_id"], subject=person_id, status=409, detail=earlier.note_id
                    )
                    done = "confirmed" if earlier.kind == "confirm" else "rejected"
                    return web.problem(request, 409, "Already decided", f"That dispute was {done} already.", back)
                saved = store.add_note(
                    subject_id=dispute.subject_id,
                    author_id=user["person_id"],
                    author_role=found.role,
                    kind=kind,
                    activity_id=dispute.activity_id,
                    behaviour_id=dispute.behaviour_id,
                    refers_to=dispute.note_id,
                    body=body,
                )
                store.add_audit(
                    action, viewer_id=user["person_id"], subject=person_id, status=303, detail=saved.note_id
                )
            return RedirectResponse(back, 303)

        return route

    return [
        Route("/", home),
        Route("/people/{person_id}", person),
        Route("/people/{person_id}/report.json", person),
        Route("/people/{person_id}/notes", add_note, methods=["POST"]),
        Route("/people/{person_id}/notes/{note_id}/confirm", decide("confirm"), methods=["POST"]),
        Route("/people/{person_id}/notes/{note_id}/reject", decide("reject"), methods=["POST"]),
    ]


def _note_fields(form: dict[str, str], grant: Grant) -> tuple[str | None, dict | None]:
    """The note a form asks for, checked (or the problem, in words).  Only the subject writes notes."""
    if grant.role != "self":
        return "Only the engineer adds notes to their evidence; a manager confirms or rejects disputes.", None
    kind = form.get("kind", "")
    if kind not in ("context", "dispute", "pin", "extra"):
        return "Choose what to add: context, dispute, pin or extra evidence.", None
    body = drop_unsafe_chars(form.get("body", "")).strip()
    if len(body) > MAX_NOTE_CHARS:
        return f"A note is at most {MAX_NOTE_CHARS} characters; this one has {len(body)}.", None
    if kind in ("context", "extra") and not body:
        return "Write something first.", None
    behaviour_id = form.get("behaviour_id", "")[:200]
    if not behaviour_id:
        return "The note names no behaviour.", None
    note: dict[str, Any] = {"kind": kind, "behaviour_id": behaviour_id, "body": body, "activity_id": None}
    if kind == "extra":
        link = form.get("link", "").strip()
        if link and safe_url(link) is None:
            return "A link must be an http(s) address.", None
        note["link"] = link or None
        return None, note
    note["activity_id"] = form.get("activity_id", "")[:200] or None
    if note["activity_id"] is None:
        return "The note names no evidence item.", None
    if kind == "dispute":
        reason = form.get("reason", "")
        if reason not in DISPUTE_REASONS:
            return "Say why you dispute the item: wrong label, not my work, or doesn't show this behaviour.", None
        note["reason"] = reason
        note["label"] = form.get("label", "")[:100] or None
    return None, note
