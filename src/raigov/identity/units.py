"""Org units: the list, one by code, each unit's ancestors (cached briefly) and the units under a set of
codes (what a grant scoped to them reaches). Reads only."""

from __future__ import annotations

import time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from raigov.errors import (
    ValidationFailed,
)
from raigov.identity.models import (
    OrgUnit,
)
from raigov.identity.permissions import is_department


def org_units(session: Session) -> list[OrgUnit]:
    return list(session.scalars(select(OrgUnit).order_by(OrgUnit.id)).all())


def unit_by_code(session: Session, code: str, field: str = "component") -> OrgUnit:
    unit = session.scalar(select(OrgUnit).where(func.upper(OrgUnit.code) == code.strip().upper()))
    if unit is None:
        known = ", ".join(u.code for u in org_units(session))
        raise ValidationFailed.one(field, f"unknown org unit {code!r}; known units: {known}")
    return unit


_ANCESTORS: dict[str, tuple[float, dict[str, tuple[str, ...]]]] = {}


_ANCESTORS_TTL = 60.0  # seconds: org units are seeded by migrations and change only with a new release


def ancestors_map(session: Session) -> dict[str, tuple[str, ...]]:
    """Org unit code -> (itself, its parent, ..., the department). Kept a minute per database: every
    request of every operational system needs it to build its actor."""
    key = session.get_bind().url.render_as_string(hide_password=True)
    hit = _ANCESTORS.get(key)
    if hit is not None and time.monotonic() - hit[0] < _ANCESTORS_TTL:
        return hit[1]
    out = _ancestors_map(session)
    _ANCESTORS[key] = (time.monotonic(), out)
    return out


def _ancestors_map(session: Session) -> dict[str, tuple[str, ...]]:
    units = org_units(session)
    by_id = {u.id: u for u in units}
    out: dict[str, tuple[str, ...]] = {}
    for u in units:
        chain, cur = [], u
        while cur is not None:
            chain.append(cur.code)
            cur = by_id.get(cur.parent_id) if cur.parent_id else None
        out[u.code] = tuple(chain)
    return out


def units_under(session: Session, codes: set[str] | frozenset[str]) -> set[str]:
    """The org units `codes` and every unit below them, as `can()` reads a grant's scope: a grant for a
    component reaches its sub-units; a grant for the department's own unit reaches that unit only."""
    wanted = {c.upper() for c in codes}
    out = {c for c in codes}
    for code, chain in ancestors_map(session).items():
        if any(a.upper() in wanted and (a == code or not is_department(a)) for a in chain):
            out.add(code)
    return out
