"""Governance bodies' pages for their members and the CAIO's office: the list of bodies, a body (charter, seats and
members, meetings; appoint, schedule), a meeting (agenda with proposals from the platform's state, attendance and
quorum, decisions and votes, minutes; their forms, errors shown at the field), a decision, the workforce, and the
iCalendar files of meetings."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from raigov.bodies import agenda, workforce
from raigov.bodies import service as bodies
from raigov.bodies.charters import body
from raigov.bodies.vocab import KIND_WORDS, MEETING_WORDS, OUTCOME_WORDS, SUBJECT_WORDS, VOTE_WORDS, Subject
from raigov.clock import agency_today, agency_zone
from raigov.errors import RaigovError, ValidationFailed
from raigov.identity.permissions import can
from raigov.web import flash
from raigov.web.deps import CSRF_FIELD, check_csrf, require_page_actor, settings_of, uow
from raigov.web.pages.forms import field_errors
from raigov.web.params import RowId
from raigov.web.templating import render

router = APIRouter(prefix="/bodies", include_in_schema=False)

flash.register({
    "bodies.appointed": "The member is appointed.", "bodies.scheduled": "The meeting is scheduled.",
    "bodies.item_added": "The item is on the agenda.", "bodies.attendance": "The attendance is recorded.",
    "bodies.minutes": "The minutes are recorded.", "bodies.decided": "The vote is recorded.",
    "bodies.published": "Publication updated.", "bodies.member_left": "The membership has ended.",
    "bodies.cancelled": "The meeting is cancelled.",
})
WORDS = {"subjects": SUBJECT_WORDS, "outcomes": OUTCOME_WORDS, "kinds": KIND_WORDS, "vote_words": VOTE_WORDS,
         "statuses": MEETING_WORDS}


def refused(exc: RaigovError) -> int:
    """The status of a refused form shown again: 422 (its errors at their fields), or 403/404 as the service said."""
    return exc.status if exc.status in (403, 404) else 422


async def _form(request: Request) -> dict:
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    return form


@router.get("")
def index(request: Request):
    actor = require_page_actor(request)
    with uow(request) as s:
        found = bodies.readable_bodies(s, actor)
        if not found:
            bodies.check_read(s, actor, "board")  # PermissionDenied: the page says so
        rows = [(b, bodies.members_of(s, b.key), bodies.meetings_of(s, actor, b.key)[:1]) for b in found]
    return render(request, "bodies/index.html", {"nav": "bodies", "rows": rows, **WORDS})


def _body_page(request: Request, key: str, errors: dict | None = None, values: dict | None = None, act: str = "",
               status: int = 200):
    actor = require_page_actor(request)
    with uow(request) as s:
        b = bodies.check_read(s, actor, key)
        members = bodies.members_of(s, key)
        meetings = bodies.meetings_of(s, actor, key)
        ctx = {"nav": "bodies", "b": b, "members": {m.seat: m for m in members}, "meetings": meetings,
               "may_appoint": can(actor, "bodies.member.manage"),
               "may_schedule": bodies.may_keep_records(actor, b, "bodies.meeting.manage"),
               "errors": errors or {}, "values": values or {}, "act": act, "flash": flash.banner(request),
               "local": lambda t: t.astimezone(agency_zone()), **WORDS}
        return render(request, "bodies/body.html", ctx, status)


@router.get("/workforce")
def workforce_page(request: Request):
    actor = require_page_actor(request)
    with uow(request) as s:
        people = workforce.workforce(s, actor)
    return render(request, "bodies/workforce.html", {"nav": "bodies", "people": people})


@router.get("/{key}")
def body_page(request: Request, key: str):
    return _body_page(request, key)


@router.post("/{key}/members")
async def appoint(request: Request, key: str):
    actor = require_page_actor(request)
    form = await _form(request)
    values = {k: (form.get(k) or "").strip() for k in ("seat", "username")}
    try:
        with uow(request) as s:
            bodies.appoint(s, actor, key, values["seat"], values["username"])
    except RaigovError as exc:
        return _body_page(request, key, field_errors(exc), values, "appoint", refused(exc))
    return RedirectResponse(flash.done_url(f"/bodies/{key}", "bodies.appointed"), status_code=303)


@router.post("/{key}/members/{member_id}/end")
async def end_membership(request: Request, key: str, member_id: RowId):
    actor = require_page_actor(request)
    await _form(request)
    try:
        with uow(request) as s:
            bodies.end_membership(s, actor, member_id)
    except RaigovError as exc:
        return _body_page(request, key, field_errors(exc), {}, "appoint", refused(exc))
    return RedirectResponse(flash.done_url(f"/bodies/{key}", "bodies.member_left"), status_code=303)


def parse_start(day: str, time: str) -> dt.datetime:
    """The meeting's start from the form's date and time (the agency's time zone)."""
    try:
        d = dt.date.fromisoformat((day or "").strip())
    except ValueError:
        raise ValidationFailed.one("day", "a date (YYYY-MM-DD)") from None
    try:
        t = dt.time.fromisoformat((time or "").strip())
    except ValueError:
        raise ValidationFailed.one("time", "a time of day (HH:MM)") from None
    return dt.datetime.combine(d, t, tzinfo=agency_zone())


def parse_minutes(value: str) -> int:
    try:
        return int((value or "60").strip())
    except ValueError:
        raise ValidationFailed.one("duration_minutes", "a number of minutes") from None


@router.post("/{key}/meetings")
async def schedule(request: Request, key: str):
    actor = require_page_actor(request)
    form = await _form(request)
    values = {k: (form.get(k) or "").strip() for k in ("title", "day", "time", "duration_minutes", "location")}
    try:
        starts = parse_start(values["day"], values["time"])
        with uow(request) as s:
            m = bodies.schedule(s, actor, key, title=values["title"], starts_at=starts, location=values["location"],
                                duration_minutes=parse_minutes(values["duration_minutes"]))
            mid = m.id
    except RaigovError as exc:
        return _body_page(request, key, field_errors(exc), values, "schedule", refused(exc))
    return RedirectResponse(flash.done_url(f"/bodies/meetings/{mid}", "bodies.scheduled"), status_code=303)


@router.get("/{key}/meetings.ics")
def body_calendar(request: Request, key: str):
    actor = require_page_actor(request)
    with uow(request) as s:
        text = bodies.calendar(s, actor, bodies.meetings_of(s, actor, key))
    return Response(text, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{key}-meetings.ics"'})


# ---------------------------------------------------------------- a meeting


def _meeting_page(request: Request, meeting_id: int, errors: dict | None = None, values: dict | None = None,
                  act: str = "", status: int = 200):
    actor = require_page_actor(request)
    with uow(request) as s:
        m = bodies.get_meeting(s, actor, meeting_id)
        b = body(m.body)
        keeper = bodies.may_keep_records(actor, b, "bodies.meeting.manage")
        attendance = bodies.attendance_of(s, m)
        present = [a.member for a in attendance if a.present]
        ctx = {"nav": "bodies", "m": m, "b": b, "items": list(m.items), "attendance": attendance,
               "members": bodies.members_of(s, b.key, m.starts_at.astimezone(agency_zone()).date()),
               "quorum": bodies.meeting_quorum(s, m), "decisions": bodies.decisions_of(s, m),
               "voters": [mb for mb in present if b.seat(mb.seat).voting],
               "proposals": agenda.proposals(s, actor, b.key, agency_today(settings_of(request)), m) if keeper else [],
               "keeper": keeper and m.status != "cancelled",
               "may_decide": bodies.may_keep_records(actor, b, "bodies.decision.record") and m.status == "held",
               "may_publish": can(actor, "bodies.publication.manage"),
               "starts": m.starts_at.astimezone(agency_zone()), "errors": errors or {}, "values": values or {},
               "act": act, "flash": flash.banner(request), "subject_kinds": list(Subject), **WORDS}
        return render(request, "bodies/meeting.html", ctx, status)


@router.get("/meetings/{meeting_id}")
def meeting_page(request: Request, meeting_id: RowId):
    return _meeting_page(request, meeting_id)


@router.get("/meetings/{meeting_id}/calendar.ics")
def meeting_calendar(request: Request, meeting_id: RowId):
    actor = require_page_actor(request)
    with uow(request) as s:
        text = bodies.calendar(s, actor, [bodies.get_meeting(s, actor, meeting_id)])
    return Response(text, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="meeting-{meeting_id}.ics"'})


def _back(meeting_id: int, code: str, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(flash.done_url(f"/bodies/meetings/{meeting_id}", code) + anchor, status_code=303)


@router.post("/meetings/{meeting_id}/items")
async def add_item(request: Request, meeting_id: RowId):
    actor = require_page_actor(request)
    form = await _form(request)
    values = {k: (form.get(k) or "").strip() for k in ("subject_kind", "subject_ref", "title", "notes")}
    try:
        with uow(request) as s:
            bodies.add_item(s, actor, meeting_id, **values)
    except RaigovError as exc:
        return _meeting_page(request, meeting_id, field_errors(exc), values, "item", refused(exc))
    return _back(meeting_id, "bodies.item_added", "#agenda")


@router.post("/meetings/{meeting_id}/attendance")
async def attendance(request: Request, meeting_id: RowId):
    actor = require_page_actor(request)
    form = await _form(request)
    present = [str(p) for p in form.getlist("present")]
    try:
        with uow(request) as s:
            bodies.record_attendance(s, actor, meeting_id, present)
    except RaigovError as exc:
        return _meeting_page(request, meeting_id, field_errors(exc), {"present": present}, "attendance", refused(exc))
    return _back(meeting_id, "bodies.attendance", "#attendance")


@router.post("/meetings/{meeting_id}/decisions")
async def decide(request: Request, meeting_id: RowId):
    actor = require_page_actor(request)
    form = await _form(request)
    values = {k: (form.get(k) or "").strip() for k in ("kind", "subject_kind", "subject_ref", "text")}
    votes = {k.removeprefix("vote-"): v for k, v in form.items() if k.startswith("vote-") and v}
    try:
        with uow(request) as s:
            bodies.record_decision(s, actor, meeting_id, votes=votes, **values)
    except RaigovError as exc:
        return _meeting_page(request, meeting_id, field_errors(exc), {**values, **{f"vote-{k}": v for k, v in votes.items()}},
                             "decide", refused(exc))
    return _back(meeting_id, "bodies.decided", "#decisions")


@router.post("/meetings/{meeting_id}/minutes")
async def minutes(request: Request, meeting_id: RowId):
    actor = require_page_actor(request)
    form = await _form(request)
    values = {"minutes": form.get("minutes") or ""}
    try:
        with uow(request) as s:
            bodies.record_minutes(s, actor, meeting_id, values["minutes"])
    except RaigovError as exc:
        return _meeting_page(request, meeting_id, field_errors(exc), values, "minutes", refused(exc))
    return _back(meeting_id, "bodies.minutes", "#minutes")


@router.post("/meetings/{meeting_id}/cancel")
async def cancel(request: Request, meeting_id: RowId):
    actor = require_page_actor(request)
    form = await _form(request)
    values = {"reason": (form.get("reason") or "").strip()}
    try:
        with uow(request) as s:
            bodies.cancel(s, actor, meeting_id, values["reason"])
    except RaigovError as exc:
        return _meeting_page(request, meeting_id, field_errors(exc), values, "cancel", refused(exc))
    return _back(meeting_id, "bodies.cancelled")


@router.post("/meetings/{meeting_id}/publish")
async def publish(request: Request, meeting_id: RowId):
    actor = require_page_actor(request)
    form = await _form(request)
    try:
        with uow(request) as s:
            if form.get("decision"):
                d = bodies.get_decision(s, actor, int(form.get("decision")))
                bodies.publish_decision(s, actor, d.id, form.get("published") == "1")
            else:
                bodies.publish_minutes(s, actor, meeting_id, form.get("published") == "1")
    except ValueError:
        return _meeting_page(request, meeting_id, {"form": "no such decision"}, {}, "", 422)
    except RaigovError as exc:
        return _meeting_page(request, meeting_id, field_errors(exc), {}, "", refused(exc))
    return _back(meeting_id, "bodies.published", "#decisions")


@router.get("/decisions/{decision_id}")
def decision_page(request: Request, decision_id: RowId):
    actor = require_page_actor(request)
    with uow(request) as s:
        d = bodies.get_decision(s, actor, decision_id)
        m = d.meeting
        ctx = {"nav": "bodies", "d": d, "m": m, "b": body(m.body), "votes": list(d.votes),
               "starts": m.starts_at.astimezone(agency_zone()), **WORDS}
        return render(request, "bodies/decision.html", ctx)
