"""The governance bodies: the only code that writes their members, meetings, agendas, attendance, minutes and
decisions. Each write checks its permission (and that the actor keeps the body's records: bodies.yaml's
``record_keepers``), validates, writes and records its audit event in one transaction.

- a seat holds one person at a time; a meeting's attendance is of the body's members on the meeting's date;
- a decision or recommendation is voted by the voting members present, and decided by the body's quorum and
  majority rules (raigov.bodies.rules); without a quorum it is recorded as not decided;
- a carried recommendation of a body that gives the independent review (the Responsible Use Group) on a use case
  becomes evidence of the use case's independent review, through the governance service, in the same transaction;
- the public gets what the body publishes (``published_decisions``, ``published_minutes``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from raigov.audit.canonical import sha256_json
from raigov.audit.service import record
from raigov.bodies import ics, rules
from raigov.bodies.charters import Body, bodies, body
from raigov.bodies.models import BodyAgendaItem, BodyAttendance, BodyDecision, BodyMeeting, BodyMember, BodyVote
from raigov.bodies.subjects import resolve
from raigov.bodies.vocab import DecisionKind, MeetingStatus, Outcome, Subject, Vote
from raigov.clock import agency_today, agency_zone
from raigov.db.base import utcnow
from raigov.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from raigov.governance import service as gov
from raigov.governance.common import active_user, clean
from raigov.identity.models import User
from raigov.identity.permissions import Actor, can, require

READ = "bodies.body.read"


# ---------------------------------------------------------------- reading


def members_of(session: Session, body_key: str, on: dt.date | None = None) -> list[BodyMember]:
    """The body's members on a date (default: the agency's today), in the order of the charter's seats."""
    on = on or agency_today()
    rows = session.scalars(select(BodyMember).options(selectinload(BodyMember.user)).where(
        BodyMember.body == body_key, BodyMember.since <= on,
        (BodyMember.until.is_(None)) | (BodyMember.until >= on))).all()
    order = {s.key: i for i, s in enumerate(body(body_key).seats)}
    return sorted(rows, key=lambda m: (order.get(m.seat, 99), m.id))


def is_member(session: Session, actor: Actor, body_key: str) -> bool:
    return actor.user_id is not None and any(m.user_id == actor.user_id for m in members_of(session, body_key))


def may_read(session: Session, actor: Actor, body_key: str) -> bool:
    """The body's records are read by who holds bodies.body.read, and by the body's own members."""
    return can(actor, READ) or is_member(session, actor, body_key)


def check_read(session: Session, actor: Actor, body_key: str) -> Body:
    b = body(body_key)
    if not may_read(session, actor, body_key):
        raise PermissionDenied(f"{actor.label} may not read the records of the {b.name}")
    return b


def may_keep_records(actor: Actor, b: Body, action: str) -> bool:
    if not can(actor, action):
        return False
    return actor.kind == "system" or any(actor.has_role(r) for r in b.record_keepers)


def _keeper(actor: Actor, b: Body, action: str) -> None:
    require(actor, action)
    if not may_keep_records(actor, b, action):
        raise PermissionDenied(f"only the {b.name}'s record keepers keep its records")


def readable_bodies(session: Session, actor: Actor) -> list[Body]:
    return [b for b in bodies().values() if may_read(session, actor, b.key)]


def get_meeting(session: Session, actor: Actor, meeting_id: int) -> BodyMeeting:
    m = session.get(BodyMeeting, meeting_id)
    if m is None:
        raise NotFound(f"no meeting {meeting_id}")
    check_read(session, actor, m.body)
    return m


def meetings_of(session: Session, actor: Actor, body_key: str) -> list[BodyMeeting]:
    check_read(session, actor, body_key)
    return list(session.scalars(select(BodyMeeting).where(BodyMeeting.body == body_key).order_by(BodyMeeting.starts_at.desc())))


def attendance_of(session: Session, meeting: BodyMeeting) -> list[BodyAttendance]:
    return list(session.scalars(select(BodyAttendance).options(selectinload(BodyAttendance.member).selectinload(
        BodyMember.user)).where(BodyAttendance.meeting_id == meeting.id).order_by(BodyAttendance.id)))


def meeting_quorum(session: Session, meeting: BodyMeeting) -> rules.Quorum | None:
    """The quorum of the meeting from its recorded attendance (None before attendance is recorded)."""
    rows = attendance_of(session, meeting)
    if not rows:
        return None
    b = body(meeting.body)
    present = [a.member for a in rows if a.present]
    voting = sum(1 for m in present if b.seat(m.seat).voting)
    presiding = not b.presiding or any(m.seat in b.presiding for m in present)
    return rules.quorum(b.quorum, b.voting_seats, voting, presiding)


def decisions_of(session: Session, meeting: BodyMeeting) -> list[BodyDecision]:
    return list(session.scalars(select(BodyDecision).options(selectinload(BodyDecision.votes).selectinload(
        BodyVote.member).selectinload(BodyMember.user)).where(BodyDecision.meeting_id == meeting.id).order_by(BodyDecision.id)))


def get_decision(session: Session, actor: Actor, decision_id: int) -> BodyDecision:
    d = session.get(BodyDecision, decision_id)
    if d is None:
        raise NotFound(f"no decision {decision_id}")
    check_read(session, actor, d.meeting.body)
    return d


# ---------------------------------------------------------------- members


def appoint(session: Session, actor: Actor, body_key: str, seat: str, username: str,
            since: dt.date | None = None) -> BodyMember:
    b = body(body_key)
    require(actor, "bodies.member.manage")
    s = b.seat(seat)
    user = active_user(session, username)
    since = since or agency_today()
    held = [m for m in members_of(session, body_key, since) if m.seat == s.key]
    if held:
        raise Conflict(f"the seat '{s.title}' of the {b.name} is held by {held[0].user.username}: "
                       "end that membership first")
    m = BodyMember(body=b.key, seat=s.key, user_id=user.id, since=since, appointed_by=actor.label, appointed_at=utcnow())
    session.add(m)
    session.flush()
    record(session, actor, "bodies.member.appoint", "body_member", m.id,
           {"body": b.key, "seat": s.key, "user": user.username, "since": since.isoformat()},
           {"body": b.key, "seat": s.key, "user": user.username})
    return m


def end_membership(session: Session, actor: Actor, member_id: int, until: dt.date | None = None) -> BodyMember:
    require(actor, "bodies.member.manage")
    m = session.get(BodyMember, member_id)
    if m is None:
        raise NotFound(f"no membership {member_id}")
    until = until or agency_today()
    if m.until is not None:
        raise Conflict("this membership has already ended")
    if until < m.since:
        raise ValidationFailed.one("until", "a membership cannot end before it began")
    m.until = until
    record(session, actor, "bodies.member.remove", "body_member", m.id, {"until": until.isoformat()},
           {"body": m.body, "seat": m.seat, "until": until.isoformat()})
    return m


# ---------------------------------------------------------------- meetings


def schedule(session: Session, actor: Actor, body_key: str, *, title: str, starts_at: dt.datetime,
             duration_minutes: int = 60, location: str = "") -> BodyMeeting:
    """A meeting; `starts_at` aware, or naive in the agency's time zone."""
    b = body(body_key)
    _keeper(actor, b, "bodies.meeting.manage")
    title = clean(title, "title", "a meeting needs a title")[:300]
    if not isinstance(starts_at, dt.datetime):
        raise ValidationFailed.one("starts_at", "a date and time")
    if starts_at.tzinfo is None:
        starts_at = starts_at.replace(tzinfo=agency_zone())
    if not 5 <= duration_minutes <= 24 * 60:
        raise ValidationFailed.one("duration_minutes", "between 5 minutes and a day")
    m = BodyMeeting(body=b.key, title=title, starts_at=starts_at.astimezone(dt.UTC), duration_minutes=duration_minutes,
                location=(location or "").strip()[:300], status=MeetingStatus.SCHEDULED, created_by=actor.label,
                created_at=utcnow())
    session.add(m)
    session.flush()
    record(session, actor, "bodies.meeting.schedule", "body_meeting", m.id,
           {"body": b.key, "starts_at": m.starts_at.isoformat(), "title": title},
           {"body": b.key, "starts_at": m.starts_at.isoformat()})
    return m


def _meeting_for_write(session: Session, actor: Actor, meeting_id: int, action: str) -> tuple[BodyMeeting, Body]:
    m = session.scalar(select(BodyMeeting).where(BodyMeeting.id == meeting_id).with_for_update())
    if m is None:
        raise NotFound(f"no meeting {meeting_id}")
    b = body(m.body)
    _keeper(actor, b, action)
    if m.status == MeetingStatus.CANCELLED:
        raise Conflict("the meeting was cancelled")
    return m, b


def cancel(session: Session, actor: Actor, meeting_id: int, reason: str) -> BodyMeeting:
    m, _ = _meeting_for_write(session, actor, meeting_id, "bodies.meeting.manage")
    reason = clean(reason, "reason", "say why the meeting is cancelled")
    if m.status == MeetingStatus.HELD:
        raise Conflict("the meeting was held: it cannot be cancelled")
    m.status = MeetingStatus.CANCELLED
    record(session, actor, "bodies.meeting.cancel", "body_meeting", m.id, {"reason": reason}, {"body": m.body})
    return m


def add_item(session: Session, actor: Actor, meeting_id: int, *, subject_kind: str, subject_ref: str | None = None,
             title: str | None = None, notes: str = "") -> BodyAgendaItem:
    m, _ = _meeting_for_write(session, actor, meeting_id, "bodies.meeting.manage")
    subject = resolve(session, actor, subject_kind, subject_ref)
    title = (title or "").strip() or (subject.label if subject.kind != Subject.OTHER else "")
    title = clean(title, "title", "an item of other business needs a title")[:500]
    if subject.ref and any(i.subject_kind == subject.kind and i.subject_ref == subject.ref for i in m.items):
        raise Conflict(f"{subject.label} is already on this meeting's agenda")
    position = (session.scalar(select(func.max(BodyAgendaItem.position)).where(BodyAgendaItem.meeting_id == m.id)) or 0) + 1
    item = BodyAgendaItem(meeting_id=m.id, position=position, subject_kind=subject.kind, subject_ref=subject.ref,
                      title=title, notes=(notes or "").strip(), added_by=actor.label, added_at=utcnow())
    session.add(item)
    session.flush()
    record(session, actor, "bodies.agenda_item.add", "body_meeting", m.id,
           {"position": position, "subject_kind": subject.kind.value, "subject_ref": subject.ref, "title": title},
           {"position": position, "subject_kind": subject.kind.value, "subject_ref": subject.ref})
    session.expire(m, ["items"])
    return item


def record_attendance(session: Session, actor: Actor, meeting_id: int, present: list[str]) -> rules.Quorum:
    """Who of the body's members (on the meeting's date) attended, by user name; the others are recorded absent.
    Recording it again replaces it, until a decision has been recorded at the meeting."""
    m, b = _meeting_for_write(session, actor, meeting_id, "bodies.meeting.manage")
    members = members_of(session, b.key, m.starts_at.astimezone(agency_zone()).date())
    by_name = {mb.user.username: mb for mb in members}
    wanted = {(p or "").strip().lower() for p in present if (p or "").strip()}
    unknown = sorted(wanted - set(by_name))
    if unknown:
        raise ValidationFailed.one("present", f"not members of the {b.name} on the meeting's date: {', '.join(unknown)}")
    if session.scalar(select(func.count()).select_from(BodyDecision).where(BodyDecision.meeting_id == m.id)):
        raise Conflict("decisions were recorded at this meeting: its attendance is final")
    session.execute(delete(BodyAttendance).where(BodyAttendance.meeting_id == m.id))
    for mb in members:
        session.add(BodyAttendance(meeting_id=m.id, member_id=mb.id, present=mb.user.username in wanted,
                               recorded_by=actor.label, recorded_at=utcnow()))
    m.status = MeetingStatus.HELD
    session.flush()
    q = meeting_quorum(session, m)
    record(session, actor, "bodies.attendance.record", "body_meeting", m.id,
           {"present": sorted(wanted), "absent": sorted(set(by_name) - wanted)},
           {"present": q.present, "quorum_needed": q.needed, "quorum": q.met})
    return q


def record_minutes(session: Session, actor: Actor, meeting_id: int, text: str) -> BodyMeeting:
    m, _ = _meeting_for_write(session, actor, meeting_id, "bodies.meeting.manage")
    if m.status != MeetingStatus.HELD:
        raise Conflict("minutes are recorded once the meeting is held (its attendance recorded)")
    m.minutes = clean(text, "minutes", "the minutes are empty")
    record(session, actor, "bodies.minutes.record", "body_meeting", m.id, {"sha256": sha256_json(m.minutes)},
           {"sha256": sha256_json(m.minutes)})
    return m


# ---------------------------------------------------------------- decisions


def _votes(session: Session, m: BodyMeeting, b: Body, votes: dict[str, str]) -> list[tuple[BodyMember, Vote]]:
    present = {a.member.user.username: a.member for a in attendance_of(session, m) if a.present}
    out, bad, unknown = [], [], []
    for name, choice in votes.items():
        mb = present.get((name or "").strip().lower())
        if mb is None or not b.seat(mb.seat).voting:
            unknown.append(name)
            continue
        try:
            out.append((mb, Vote(choice)))
        except ValueError:
            bad.append(name)
    if unknown:
        raise ValidationFailed.one("votes", f"not voting members present at the meeting: {', '.join(sorted(unknown))}")
    if bad:
        raise ValidationFailed.one("votes", f"a vote is yes, no or abstain (not so for {', '.join(sorted(bad))})")
    return out


def record_decision(session: Session, actor: Actor, meeting_id: int, *, kind: str, subject_kind: str,
                    subject_ref: str | None, text: str, votes: dict[str, str]) -> BodyDecision:
    """A decision or recommendation voted at a held meeting (``votes``: user name -> yes | no | abstain, of
    voting members present). Its outcome follows the body's quorum and majority rules."""
    m, b = _meeting_for_write(session, actor, meeting_id, "bodies.decision.record")
    try:
        kind = DecisionKind(kind)
    except ValueError:
        raise ValidationFailed.one("kind", f"one of {', '.join(DecisionKind)}") from None
    text = clean(text, "text", "the decision's text is empty")
    subject = resolve(session, actor, subject_kind, subject_ref)
    q = meeting_quorum(session, m)
    if q is None:
        raise Conflict("record the meeting's attendance before its decisions")
    cast = _votes(session, m, b, votes)
    tally = rules.Tally.of(v for _, v in cast)
    outcome = rules.outcome(q, b.majority, tally)
    d = BodyDecision(meeting_id=m.id, kind=kind, subject_kind=subject.kind, subject_ref=subject.ref,
                 subject_label=subject.label[:500], text=text, outcome=outcome, yes=tally.yes, no=tally.no,
                 abstain=tally.abstain, present=q.present, quorum_needed=q.needed, published=False,
                 recorded_by=actor.label, recorded_at=utcnow())
    session.add(d)
    session.flush()
    for mb, v in cast:
        session.add(BodyVote(decision_id=d.id, member_id=mb.id, vote=v))
    record(session, actor, "bodies.decision.record", "body_decision", d.id,
           {"body": b.key, "meeting": m.id, "kind": kind.value, "subject_kind": subject.kind.value,
            "subject_ref": subject.ref, "text": text, "votes": {mb.user.username: v.value for mb, v in cast}},
           {"body": b.key, "outcome": outcome.value, "yes": tally.yes, "no": tally.no, "abstain": tally.abstain,
            "quorum": q.met})
    if (b.independent_review and kind == DecisionKind.RECOMMENDATION and subject.kind == Subject.USE_CASE
            and outcome == Outcome.CARRIED):
        ev = gov.attach_body_record(
            session, actor, subject.ref, title=f"{b.name} recommendation of {m.starts_at.astimezone(agency_zone()).date()}",
            url=f"/bodies/decisions/{d.id}", body=b.key, decision_id=d.id, text=text,
            dated_on=m.starts_at.astimezone(agency_zone()).date())
        d.evidence_id = ev.id
    session.flush()
    return d


def publish_decision(session: Session, actor: Actor, decision_id: int, published: bool = True) -> BodyDecision:
    require(actor, "bodies.publication.manage")
    d = session.get(BodyDecision, decision_id)
    if d is None:
        raise NotFound(f"no decision {decision_id}")
    d.published = bool(published)
    record(session, actor, "bodies.decision.publish", "body_decision", d.id, {"published": d.published},
           {"published": d.published})
    return d


def publish_minutes(session: Session, actor: Actor, meeting_id: int, published: bool = True) -> BodyMeeting:
    require(actor, "bodies.publication.manage")
    m = session.get(BodyMeeting, meeting_id)
    if m is None:
        raise NotFound(f"no meeting {meeting_id}")
    if published and not m.minutes:
        raise Conflict("the meeting has no minutes to publish")
    m.minutes_published = bool(published)
    record(session, actor, "bodies.minutes.publish", "body_meeting", m.id, {"published": m.minutes_published},
           {"published": m.minutes_published})
    return m


# ---------------------------------------------------------------- what the public gets


@dataclass(frozen=True)
class PublicDecision:
    body: str  # the body's name
    met_on: dt.date
    kind: str
    subject: str
    text: str
    outcome: str
    yes: int
    no: int
    abstain: int
    subject_kind: str = "other"  # for the public site's build, which decides what of the subject it may show
    subject_ref: str | None = None


def published_decisions(session: Session) -> list[PublicDecision]:
    """The decisions and recommendations the bodies chose to publish, newest first: for the public site's build
    (no actor; no names of people; the subject's kind and reference let the build show a use case's public name
    only when the use case is in the public inventory, and no internal number)."""
    rows = session.execute(select(BodyDecision, BodyMeeting).join(BodyMeeting, BodyMeeting.id == BodyDecision.meeting_id)
                           .where(BodyDecision.published.is_(True)).order_by(BodyMeeting.starts_at.desc(), BodyDecision.id))
    return [PublicDecision(body(m.body).name, m.starts_at.astimezone(agency_zone()).date(), d.kind, d.subject_label,
                           d.text, d.outcome, d.yes, d.no, d.abstain, d.subject_kind, d.subject_ref) for d, m in rows]


def published_minutes(session: Session) -> list[tuple[str, dt.date, str, str]]:
    """(body's name, date, meeting's title, minutes) of the meetings whose minutes the body published."""
    rows = session.scalars(select(BodyMeeting).where(BodyMeeting.minutes_published.is_(True))
                           .order_by(BodyMeeting.starts_at.desc()))
    return [(body(m.body).name, m.starts_at.astimezone(agency_zone()).date(), m.title, m.minutes or "") for m in rows]


def user_names(session: Session, ids: set[int]) -> dict[int, str]:
    return dict(session.execute(select(User.id, User.username).where(User.id.in_(ids)))) if ids else {}


def calendar(session: Session, actor: Actor, meetings: list[BodyMeeting], stamp: dt.datetime | None = None) -> str:
    """The iCalendar text of `meetings` (each read by `actor`): the agenda in the description."""
    events = []
    for m in meetings:
        b = check_read(session, actor, m.body)
        agenda = "\n".join(f"{i.position}. {i.title}" for i in m.items)
        events.append(ics.Event(f"raigov-meeting-{m.id}", m.starts_at, m.duration_minutes, f"{b.name}: {m.title}",
                                m.location, f"Agenda:\n{agenda}" if agenda else "", m.status == MeetingStatus.CANCELLED))
    return ics.calendar(events, stamp or utcnow())
