"""Agenda building from the platform's state: what a body should take up next, each with why, read with the
actor's read scope. Nothing is written; the record keeper adds the items they choose (service.add_item).

- the Board and the AI Council: use cases presumed high-impact by their screen and still without a
  determination, determinations that wait for the Chief AI Officer, high-impact use cases whose independent
  review is decided and that no Board decision has taken up yet, and waivers whose yearly re-certification
  falls within 30 days (or is overdue);
- the Responsible Use Group: use cases whose independent review is open;
- alerts, for the Board and the AI Council: use cases with an open monitoring alert (raigov.monitoring: drift or
  a fairness measure past its threshold, until a reviewer closes it), with how many and how severe;
  ``ALERT_SOURCES`` adds other sources.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session, aliased

from raigov.bodies.charters import body
from raigov.bodies.models import BodyDecision, BodyMeeting
from raigov.bodies.vocab import Subject
from raigov.clock import agency_today
from raigov.governance import service as gov
from raigov.governance.lanes import config
from raigov.governance.models import Review
from raigov.governance.vocab import REVIEW_DECIDED, REVIEW_UNDECIDED
from raigov.identity.permissions import Actor
from raigov.inventory import service as inventory
from raigov.inventory.models import UseCase
from raigov.inventory.vocab import UseCaseStatus
from raigov.monitoring.models import MonitorAlert
from raigov.policy.models import Determination, Screening
from raigov.policy.vocab import DeterminationStatus

LIMIT = 25
RECERTIFY_WITHIN_DAYS = 30


@dataclass(frozen=True)
class Proposal:
    subject_kind: Subject
    subject_ref: str
    title: str
    why: str


# other sources of alerts for the agenda: (session, actor, today) -> proposals (monitoring alerts are built in)
ALERT_SOURCES: list[Callable[[Session, Actor, dt.date], list[Proposal]]] = []


def _independent_lanes() -> list[str]:
    return [code for code, lane in config().lanes.items() if lane.independent]


def _use_cases(session: Session, actor: Actor, cond, why: str) -> list[Proposal]:
    q = select(UseCase).where(UseCase.status == UseCaseStatus.ACTIVE, cond).order_by(UseCase.id_sort).limit(LIMIT)
    rows = session.scalars(inventory.readable(session, actor).use_cases(q)).all()
    return [Proposal(Subject.USE_CASE, uc.business_id, uc.name, why) for uc in rows]


def presumed_without_determination(session: Session, actor: Actor) -> list[Proposal]:
    return _use_cases(session, actor, and_(
        exists().where(Screening.use_case_id == UseCase.id, Screening.presumed.is_(True)),
        ~exists().where(Determination.use_case_id == UseCase.id)),
        "presumed high-impact by its screen; no determination yet")


def awaiting_caio(session: Session, actor: Actor) -> list[Proposal]:
    newer = aliased(Determination)
    return _use_cases(session, actor, exists().where(
        Determination.use_case_id == UseCase.id, Determination.status == DeterminationStatus.AWAITING_CAIO,
        ~exists().where(newer.use_case_id == Determination.use_case_id, newer.id > Determination.id)),
        "its determination waits for the Chief AI Officer")


def reviewed_for_the_board(session: Session, actor: Actor) -> list[Proposal]:
    taken_up = select(BodyDecision.id).join(BodyMeeting, BodyMeeting.id == BodyDecision.meeting_id).where(
        BodyMeeting.body == "board", BodyDecision.subject_kind == Subject.USE_CASE,
        BodyDecision.subject_ref == UseCase.business_id)
    return _use_cases(session, actor, and_(
        exists().where(Review.use_case_id == UseCase.id, Review.lane.in_(_independent_lanes()),
                       Review.status.in_(REVIEW_DECIDED)),
        ~exists().where(Review.use_case_id == UseCase.id, Review.lane.in_(_independent_lanes()),
                        Review.status.in_(REVIEW_UNDECIDED)),
        ~exists(taken_up)),
        "its independent review is decided; the Board has not taken it up")


def independent_reviews_open(session: Session, actor: Actor) -> list[Proposal]:
    return _use_cases(session, actor, exists().where(
        Review.use_case_id == UseCase.id, Review.lane.in_(_independent_lanes()), Review.status.in_(REVIEW_UNDECIDED)),
        "its independent review is open")


def open_monitoring_alerts(session: Session, actor: Actor) -> list[Proposal]:
    """Use cases with an open monitoring alert, with how many and how many are high-severity."""
    found = _use_cases(session, actor, exists().where(MonitorAlert.use_case_id == UseCase.id,
                                                      MonitorAlert.status == "open"), "")
    if not found:
        return []
    ids = {p.subject_ref for p in found}
    counts: dict[str, list[int]] = {}
    for bid, severity in session.execute(select(UseCase.business_id, MonitorAlert.severity)
                                         .join(MonitorAlert, MonitorAlert.use_case_id == UseCase.id)
                                         .where(UseCase.business_id.in_(ids), MonitorAlert.status == "open")):
        c = counts.setdefault(bid, [0, 0])
        c[0] += 1
        c[1] += severity == "high"
    out = []
    for p in found:
        n, high = counts.get(p.subject_ref, [0, 0])
        words = f"{n} open monitoring alert{'s' if n != 1 else ''}" + (f", {high} of high severity" if high else "")
        out.append(Proposal(p.subject_kind, p.subject_ref, p.title, words))
    return out


def waivers_to_recertify(session: Session, actor: Actor, today: dt.date) -> list[Proposal]:
    out = []
    for e in gov.list_waivers(session, actor, status="active", today=today):
        due = e.waiver.certified_on + dt.timedelta(days=365)
        if due <= today + dt.timedelta(days=RECERTIFY_WITHIN_DAYS):
            when = "overdue since" if due < today else "due on"
            out.append(Proposal(Subject.WAIVER, str(e.waiver.id), f"Waiver of {e.waiver.practice_item}",
                                f"yearly re-certification {when} {due.isoformat()}"))
    return out[:LIMIT]


def proposals(session: Session, actor: Actor, body_key: str, today: dt.date | None = None,
              meeting: BodyMeeting | None = None) -> list[Proposal]:
    """What `body_key` should take up, without the subjects already on `meeting`'s agenda."""
    b = body(body_key)
    today = today or agency_today()
    if b.independent_review:
        found = independent_reviews_open(session, actor)
    elif b.key in ("board", "council"):
        found = (presumed_without_determination(session, actor) + awaiting_caio(session, actor)
                 + reviewed_for_the_board(session, actor) + waivers_to_recertify(session, actor, today)
                 + open_monitoring_alerts(session, actor))
    else:
        found = []
    for source in ALERT_SOURCES:
        found += source(session, actor, today)
    on = {(i.subject_kind, i.subject_ref) for i in meeting.items} if meeting is not None else set()
    return [p for p in found if (p.subject_kind, p.subject_ref) not in on]
