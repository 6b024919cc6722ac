"""The response-time clock of public feedback (``raigov jobs run``, registered as the `feedback` Clock) and the
dashboard's panel of counts per use case. A message not answered within RESPONSE_DAYS of its agency day of
receipt: a reminder to the component's AI lead(s) WARNING_DAYS before, an escalation to them and the CAIO after."""

from __future__ import annotations

import datetime as dt
from statistics import median

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from raigov.clock import agency_zone
from raigov.config import Settings
from raigov.disclosure.feedback.models import Feedback
from raigov.disclosure.feedback.service import MANAGE, OPEN
from raigov.domains import TaskItem
from raigov.identity.models import OrgUnit, RoleAssignment, User
from raigov.identity.permissions import Actor
from raigov.identity.service import ancestors_map
from raigov.inventory.access import readable
from raigov.inventory.models import UseCase
from raigov.jobs.clocks import ESCALATION, REMINDER, Directory, DueNotice, Recipient

RESPONSE_DAYS = 30
WARNING_DAYS = 7


def received_day(f: Feedback) -> dt.date:
    return f.received_at.astimezone(agency_zone()).date()


def due(session: Session, today: dt.date, settings: Settings) -> list[DueNotice]:
    rows = session.execute(select(Feedback, UseCase.business_id, UseCase.name).join(UseCase, UseCase.id == Feedback.use_case_id)
                           .where(Feedback.status.in_(OPEN))).all()
    if not rows:
        return []
    grants = tuple(session.execute(select(User.username, RoleAssignment.role, OrgUnit.code)
                                   .join(RoleAssignment, RoleAssignment.user_id == User.id)
                                   .outerjoin(OrgUnit, OrgUnit.id == RoleAssignment.org_unit_id).where(User.is_active)))
    people = Directory(grants, ancestors_map(session))
    base = (settings.base_url or "").rstrip("/")
    out = []
    for f, bid, name in rows:
        by = received_day(f) + dt.timedelta(days=RESPONSE_DAYS)
        if today < by - dt.timedelta(days=WARNING_DAYS):
            continue
        late = today > by
        to = [Recipient(u, "component_ai_lead") for u in people.leads(f.component)]
        if late or not to:
            to += [Recipient(u, "caio") for u in people.caio() if u not in {r.username for r in to}]
        if not to:
            continue
        when = f"was due on {by.isoformat()}" if late else f"is due by {by.isoformat()}"
        out.append(DueNotice(f"public_feedback:{f.id}:respond:{by.isoformat()}", "feedback_response",
                             ESCALATION if late else REMINDER, tuple(to),
                             f"[raigov] {'ESCALATION: ' if late else ''}public feedback on {bid} awaits a response",
                             f"A message from the public about use case {bid}: {name}, received on "
                             f"{received_day(f).isoformat()}, has no response yet; the response {when}.\n"
                             f"{base}/feedback/{f.id}\n", "public_feedback", str(f.id), by))
    return out


def objects():
    """Each feedback's use case (the Notices page finds a notice's use case with it)."""
    return select(Feedback.id.label("object_id"), Feedback.use_case_id.label("use_case_id"))


def panel(session: Session, actor: Actor) -> dict:
    """Feedback per use case in the components the person manages: open, responded, closed, and the median
    days from receipt to response."""
    scope = readable(session, actor, MANAGE)
    q = (select(UseCase.business_id, UseCase.name, Feedback.status, func.count())
         .join(UseCase, UseCase.id == Feedback.use_case_id).where(scope.where_component(Feedback.component))
         .group_by(UseCase.business_id, UseCase.name, Feedback.status))
    per: dict[str, dict] = {}
    for bid, name, status, n in session.execute(q):
        row = per.setdefault(bid, {"business_id": bid, "name": name, "open": 0, "responded": 0, "closed": 0})
        row["open" if status in OPEN else status] += n
    days = [(r - s).total_seconds() / 86400 for s, r in session.execute(
        select(Feedback.received_at, Feedback.responded_at)
        .where(scope.where_component(Feedback.component), Feedback.responded_at.is_not(None)))]
    return {"rows": sorted(per.values(), key=lambda r: (-r["open"], r["business_id"])),
            "median_days": round(median(days), 1) if days else None}


def tasks(session: Session, actor: Actor, today: dt.date) -> list[TaskItem]:
    """The home page's "Public feedback to answer": open messages in the person's components, each due
    RESPONSE_DAYS after its agency day of receipt."""
    scope = readable(session, actor, MANAGE)
    if scope.nothing:
        return []
    out = []
    for f, name in session.execute(select(Feedback, UseCase.name).join(UseCase, UseCase.id == Feedback.use_case_id)
                                   .where(Feedback.status.in_(OPEN), scope.where_component(Feedback.component))
                                   .order_by(Feedback.received_at, Feedback.id)):
        by = received_day(f) + dt.timedelta(days=RESPONSE_DAYS)
        out.append(TaskItem(f"A message from the public about {name}", f"/feedback/{f.id}", by, by < today))
    return out
