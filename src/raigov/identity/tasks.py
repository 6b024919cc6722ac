"""Identity's task for the home page's "Your tasks" (registered in identity/register.py): the role grants
waiting for the actor as the second person, by the rules of ``service.confirm_grant`` (never a grant to
themselves, never one they asked for, the CAIO role only by another CAIO). Reads only."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from raigov.domains import TaskItem
from raigov.identity.permissions import Actor, can
from raigov.identity.roles import CONFIRMERS_OF
from raigov.identity.service import list_pending_grants


def grants_to_confirm(session: Session, actor: Actor, today: dt.date) -> list[TaskItem]:
    if not can(actor, "identity.role.confirm"):
        return []
    out = []
    for p in list_pending_grants(session, actor):
        needed = CONFIRMERS_OF.get(p.role)
        if p.username == actor.username or p.requested_by == actor.label or (
                needed and not any(g.role in needed and g.org_unit is None for g in actor.grants)):
            continue
        where = f" for {p.component}" if p.component else ""
        out.append(TaskItem(f"{p.role}{where} to {p.display_name} ({p.username}), asked by {p.requested_by}",
                            f"/admin/users/{p.username}"))
    return out
