"""The bodies' JSON: the input of the API's writes (pydantic) and the plain dicts the API and `raigov bodies
--json` return."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from raigov.bodies.charters import Body, body
from raigov.bodies.models import BodyDecision, BodyMeeting, BodyMember


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AppointIn(_In):
    seat: str = Field(max_length=40)
    username: str = Field(max_length=64)
    since: dt.date | None = None


class MeetingIn(_In):
    title: str = Field(max_length=300)
    starts_at: dt.datetime = Field(description="aware, or naive in the agency's time zone")
    duration_minutes: int = Field(60, ge=5, le=1440)
    location: str = Field("", max_length=300)


class ItemIn(_In):
    subject_kind: str = Field(description="use_case | waiver | policy_pack | report | other")
    subject_ref: str | None = Field(None, max_length=200)
    title: str | None = Field(None, max_length=500)
    notes: str = ""


class AttendanceIn(_In):
    present: list[str] = Field(description="user names of the members present; the others are absent")


class DecisionIn(_In):
    kind: str = Field(description="decision | recommendation")
    subject_kind: str
    subject_ref: str | None = None
    text: str
    votes: dict[str, str] = Field(default_factory=dict, description="user name -> yes | no | abstain")


class MinutesIn(_In):
    text: str


class PublishIn(_In):
    published: bool = True


def member_out(m: BodyMember) -> dict:
    seat = body(m.body).seat(m.seat)
    return {"id": m.id, "body": m.body, "seat": m.seat, "seat_title": seat.title, "office": seat.office,
            "role": seat.role, "voting": seat.voting, "username": m.user.username, "name": m.user.display_name,
            "since": m.since, "until": m.until}


def body_out(b: Body, members: list[BodyMember] | None = None) -> dict:
    out = {"key": b.key, "name": b.name, "charter": b.charter, "citation": b.citation,
           "chair": b.chair.title if b.chair else None, "vice_chair": b.vice_chair.title if b.vice_chair else None,
           "seats": [{"key": s.key, "title": s.title, "office": s.office, "role": s.role, "voting": s.voting}
                     for s in b.seats],
           "quorum": b.quorum.words(), "quorum_needed": b.quorum.needed(b.voting_seats), "majority": b.majority}
    if members is not None:
        out["members"] = [member_out(m) for m in members]
    return out


def decision_out(d: BodyDecision) -> dict:
    return {"id": d.id, "meeting": d.meeting_id, "kind": d.kind, "subject_kind": d.subject_kind,
            "subject_ref": d.subject_ref, "subject": d.subject_label, "text": d.text, "outcome": d.outcome,
            "yes": d.yes, "no": d.no, "abstain": d.abstain, "present": d.present, "quorum_needed": d.quorum_needed,
            "published": d.published, "evidence": d.evidence_id, "recorded_by": d.recorded_by,
            "recorded_at": d.recorded_at,
            "votes": {v.member.user.username: v.vote for v in d.votes}}


def meeting_out(m: BodyMeeting, attendance=None, quorum=None, decisions=None) -> dict:
    out = {"id": m.id, "body": m.body, "title": m.title, "starts_at": m.starts_at, "duration_minutes": m.duration_minutes,
           "location": m.location, "status": m.status, "minutes": m.minutes, "minutes_published": m.minutes_published,
           "agenda": [{"position": i.position, "subject_kind": i.subject_kind, "subject_ref": i.subject_ref,
                       "title": i.title, "notes": i.notes} for i in m.items]}
    if attendance is not None:
        out["attendance"] = {a.member.user.username: a.present for a in attendance}
        out["quorum"] = None if quorum is None else {"met": quorum.met, "present": quorum.present,
                                                     "needed": quorum.needed, "reason": quorum.reason}
    if decisions is not None:
        out["decisions"] = [decision_out(d) for d in decisions]
    return out
