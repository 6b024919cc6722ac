"""The jobs' task for the home page's "Your tasks" (registered in jobs/register.py): the notices addressed to
the actor in the last NOTICE_DAYS days (not the daily digests that bundle them), overdue when the date they
are about has passed. Reads only."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from raigov.db.base import utcnow
from raigov.domains import TaskItem
from raigov.identity.permissions import Actor
from raigov.jobs.models import Notice
from raigov.jobs.outbox import DIGEST

NOTICE_DAYS = 30


def notices_to_me(session: Session, actor: Actor, today: dt.date) -> list[TaskItem]:
    if actor.kind != "user":
        return []
    since = utcnow() - dt.timedelta(days=NOTICE_DAYS)
    rows = session.scalars(select(Notice).where(Notice.recipient_user == actor.username, Notice.object_type != DIGEST,
                                                Notice.created_at >= since)
                           .order_by(Notice.created_at.desc(), Notice.id.desc())).all()
    return [TaskItem(n.subject, f"/notices?recipient={actor.username}", n.due_on,
                     n.due_on is not None and n.due_on < today) for n in rows]
