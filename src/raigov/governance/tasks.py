"""Governance's tasks for the home page's "Your tasks" (registered in governance/register.py, read by
web/pages/home.py): the reviews waiting for a reviewer, the changes requested of a use case's owners, the
practices due and the data call's certifications due. Each is ``(session, actor, today) -> list[TaskItem]``
(today: the agency's date), reads only, and keeps to what the actor may act on: the same permissions and read
scope as the services that act."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload

from raigov.clock import agency_today
from raigov.datacall.models import ComponentCertification, ReportingCycle
from raigov.domains import TaskItem
from raigov.governance.lanes import config
from raigov.governance.models import Practice, Review
from raigov.governance.reviews.service import queue
from raigov.governance.vocab import CycleStatus, PracticeStatus, ReviewStatus
from raigov.identity.permissions import Actor, can, components_visible
from raigov.inventory.models import UseCase
from raigov.inventory.service import readable

PRACTICE_HORIZON_DAYS = 30  # a practice is "due" from this many days before its due date
OPEN_PRACTICE = (PracticeStatus.NOT_STARTED, PracticeStatus.IN_PROGRESS)


def _governance_href(business_id: str) -> str:
    return f"/inventory/{business_id}/governance"


def reviews_waiting(session: Session, actor: Actor, today: dt.date) -> list[TaskItem]:
    """Open reviews of the lanes the actor reviews (the review queue's own rows: use cases they may read, the
    lane's component scope), not assigned to someone else; overdue as the queue and the dashboard say (open
    more than the lanes' `review_due_days` whole days); due: the agency's date `review_due_days` after opening."""
    days = config().review_due_days
    out = []
    for row in queue(session, actor):
        r = row.review
        if r.status != ReviewStatus.OPEN or row.assignee not in (None, actor.username):
            continue
        due = agency_today(now=r.opened_at + dt.timedelta(days=days))
        out.append(TaskItem(f"{row.business_id} {row.name}: {row.lane_title} review, open {row.age_days} days",
                            _governance_href(row.business_id), due, row.overdue))  # the queue's rule
    return out


def _owned(session: Session, actor: Actor, action: str):
    """SQL condition: use cases the actor may take `action` on (by component), or is named on (the one read
    scope, ``inventory.readable``); None: every use case."""
    scope = readable(session, actor, action, own=True, drafts=False)
    return None if scope.everything else scope.condition()


def changes_requested(session: Session, actor: Actor, today: dt.date) -> list[TaskItem]:
    """Reviews that asked for changes, on use cases the actor may revise (their component) or is named on."""
    q = (select(Review, UseCase).join(UseCase, UseCase.id == Review.use_case_id)
         .options(joinedload(UseCase.org_unit))
         .where(Review.status == ReviewStatus.CHANGES_REQUESTED, UseCase.status != "retired")
         .order_by(Review.opened_at, Review.id))
    cond = _owned(session, actor, "inventory.use_case.revise")
    if cond is not None:
        q = q.where(cond)
    lanes = config().lanes
    out = []
    for r, uc in session.execute(q):
        lane = lanes[r.lane].title if r.lane in lanes else r.lane
        out.append(TaskItem(f"{uc.business_id} {uc.name}: the {lane} review asks for changes",
                            _governance_href(uc.business_id)))
    return out


def practices_due(session: Session, actor: Actor, today: dt.date) -> list[TaskItem]:
    """Required practices not done whose due date is past or within PRACTICE_HORIZON_DAYS, on use cases the
    actor may update practices of (their component) or is named on, or assigned to the actor."""
    horizon = today + dt.timedelta(days=PRACTICE_HORIZON_DAYS)
    q = (select(Practice, UseCase).join(UseCase, UseCase.id == Practice.use_case_id)
         .where(Practice.required.is_(True), Practice.status.in_(OPEN_PRACTICE), Practice.due_on.is_not(None),
                Practice.due_on <= horizon, UseCase.status != "retired")
         .order_by(Practice.due_on, UseCase.business_id, Practice.id))
    cond = _owned(session, actor, "governance.practice.update")
    if cond is not None:
        q = q.where(or_(cond, Practice.owner_id == (actor.user_id or -1)))
    return [TaskItem(f"{uc.business_id} {uc.name}: {p.title}", f"{_governance_href(uc.business_id)}#practices",
                     p.due_on, p.due_on < today) for p, uc in session.execute(q)]


def certifications_due(session: Session, actor: Actor, today: dt.date) -> list[TaskItem]:
    """In each open data call: the components the actor certifies (component AI leads) not yet certified, and
    for who certifies the whole (the CAIO) the call itself; overdue past the call's due date."""
    cycles = session.scalars(select(ReportingCycle).where(ReportingCycle.status == CycleStatus.OPEN)
                             .order_by(ReportingCycle.year)).all()
    units = components_visible(actor, "datacall.component.certify")
    out = []
    for c in cycles:
        href = f"/datacall?year={c.year}"
        if units:
            done = set(session.scalars(select(ComponentCertification.component)
                                       .where(ComponentCertification.cycle_id == c.id)))
            for code in sorted(units - done):
                out.append(TaskItem(f"{c.title}: certify {code}", href, c.due_on, c.due_on < today))
        if can(actor, "datacall.cycle.certify"):
            out.append(TaskItem(f"{c.title}: certify the department's inventory", href, c.due_on, c.due_on < today))
    return out
