"""JSON API of the governance bodies (docs/bodies.md): bodies with their members, meetings with agenda,
attendance, quorum and decisions, the agenda proposed from the platform's state, the iCalendar of a body's
meetings, and the writes. Thin: every rule is in raigov.bodies.service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from raigov.bodies import agenda, workforce
from raigov.bodies import service as bodies
from raigov.bodies.schemas import (
    AppointIn,
    AttendanceIn,
    DecisionIn,
    ItemIn,
    MeetingIn,
    MinutesIn,
    PublishIn,
    body_out,
    decision_out,
    meeting_out,
    member_out,
)
from raigov.identity.permissions import Actor
from raigov.web.api.v1 import ERRORS
from raigov.web.deps import api_actor, uow
from raigov.web.params import RowId

router = APIRouter(prefix="/api/v1/bodies", tags=["bodies"], responses=ERRORS)
ActorDep = Annotated[Actor, Depends(api_actor)]


def _meeting(s, actor: Actor, meeting_id: int) -> dict:
    m = bodies.get_meeting(s, actor, meeting_id)
    return meeting_out(m, bodies.attendance_of(s, m), bodies.meeting_quorum(s, m), bodies.decisions_of(s, m))


@router.get("", summary="The bodies whose records the caller may read, with their members")
def list_bodies(request: Request, actor: ActorDep):
    with uow(request) as s:
        return [body_out(b, bodies.members_of(s, b.key)) for b in bodies.readable_bodies(s, actor)]


@router.get("/workforce", summary="The bodies' members and the reviewers, with their training status")
def workforce_list(request: Request, actor: ActorDep):
    with uow(request) as s:
        return [vars(p) for p in workforce.workforce(s, actor)]


@router.get("/decisions/{decision_id}", summary="A decision or recommendation with its votes")
def get_decision(request: Request, actor: ActorDep, decision_id: RowId):
    with uow(request) as s:
        return decision_out(bodies.get_decision(s, actor, decision_id))


@router.post("/decisions/{decision_id}/publish", summary="Publish a decision (or withdraw it)")
def publish_decision(request: Request, actor: ActorDep, decision_id: RowId, body: PublishIn):
    with uow(request) as s:
        return decision_out(bodies.publish_decision(s, actor, decision_id, body.published))


@router.get("/meetings/{meeting_id}", summary="A meeting: agenda, attendance, quorum, decisions, minutes")
def get_meeting(request: Request, actor: ActorDep, meeting_id: RowId):
    with uow(request) as s:
        return _meeting(s, actor, meeting_id)


@router.get("/meetings/{meeting_id}/proposals", summary="What the platform's state proposes for the agenda")
def proposals(request: Request, actor: ActorDep, meeting_id: RowId):
    with uow(request) as s:
        m = bodies.get_meeting(s, actor, meeting_id)
        return [{"subject_kind": p.subject_kind, "subject_ref": p.subject_ref, "title": p.title, "why": p.why}
                for p in agenda.proposals(s, actor, m.body, meeting=m)]


@router.post("/meetings/{meeting_id}/items", status_code=201, summary="Put an item on the agenda")
def add_item(request: Request, actor: ActorDep, meeting_id: RowId, body: ItemIn):
    with uow(request) as s:
        bodies.add_item(s, actor, meeting_id, **body.model_dump())
        return _meeting(s, actor, meeting_id)


@router.post("/meetings/{meeting_id}/attendance", summary="Record who attended (and the quorum)")
def attendance(request: Request, actor: ActorDep, meeting_id: RowId, body: AttendanceIn):
    with uow(request) as s:
        bodies.record_attendance(s, actor, meeting_id, body.present)
        return _meeting(s, actor, meeting_id)


@router.post("/meetings/{meeting_id}/decisions", status_code=201, summary="Record a decision or recommendation with its votes")
def decide(request: Request, actor: ActorDep, meeting_id: RowId, body: DecisionIn):
    with uow(request) as s:
        return decision_out(bodies.record_decision(s, actor, meeting_id, **body.model_dump()))


@router.post("/meetings/{meeting_id}/minutes", summary="Record the minutes")
def minutes(request: Request, actor: ActorDep, meeting_id: RowId, body: MinutesIn):
    with uow(request) as s:
        bodies.record_minutes(s, actor, meeting_id, body.text)
        return _meeting(s, actor, meeting_id)


@router.post("/meetings/{meeting_id}/minutes/publish", summary="Publish the minutes (or withdraw them)")
def publish_minutes(request: Request, actor: ActorDep, meeting_id: RowId, body: PublishIn):
    with uow(request) as s:
        bodies.publish_minutes(s, actor, meeting_id, body.published)
        return _meeting(s, actor, meeting_id)


@router.get("/{key}", summary="A body: charter, seats, members")
def get_body(request: Request, actor: ActorDep, key: str):
    with uow(request) as s:
        return body_out(bodies.check_read(s, actor, key), bodies.members_of(s, key))


@router.post("/{key}/members", status_code=201, summary="Appoint a person to a seat")
def appoint(request: Request, actor: ActorDep, key: str, body: AppointIn):
    with uow(request) as s:
        return member_out(bodies.appoint(s, actor, key, body.seat, body.username, body.since))


@router.get("/{key}/meetings", summary="The body's meetings, newest first")
def meetings(request: Request, actor: ActorDep, key: str):
    with uow(request) as s:
        return [meeting_out(m) for m in bodies.meetings_of(s, actor, key)]


@router.post("/{key}/meetings", status_code=201, summary="Schedule a meeting")
def schedule(request: Request, actor: ActorDep, key: str, body: MeetingIn):
    with uow(request) as s:
        m = bodies.schedule(s, actor, key, **body.model_dump())
        return meeting_out(m)


@router.get("/{key}/meetings.ics", summary="The body's meetings as iCalendar",
            responses={200: {"content": {"text/calendar": {}}}})
def calendar(request: Request, actor: ActorDep, key: str):
    with uow(request) as s:
        text = bodies.calendar(s, actor, bodies.meetings_of(s, actor, key))
    return Response(text, media_type="text/calendar; charset=utf-8")
