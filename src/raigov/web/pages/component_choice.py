"""The components a person may pick on a registration form (a contract, a dataset): the units where they hold
the action, and "" (the department itself) when their grant reaches the department's own objects. The service
checks the choice again; this only fills the select."""

from __future__ import annotations

from sqlalchemy.orm import Session

from raigov.identity.permissions import Actor, can
from raigov.identity.service import org_units


def choices(session: Session, actor: Actor, action: str) -> list[tuple[str, str]]:
    """(code, words) for a select: "" is the department."""
    out = [("", "The department")] if can(actor, action, None) else []
    out += [(u.code, f"{u.code}: {u.name}") for u in org_units(session)
            if u.kind != "department" and can(actor, action, u.code)]
    return out
