"""Who may read a use case, and reading one: the read rule (``may_read``), the owning component, and the lookups every
inventory service starts from. Nothing here writes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from raigov.errors import NotFound, PermissionDenied
from raigov.identity.models import OrgUnit
from raigov.identity.permissions import Actor, can, require
from raigov.inventory.formats import normalize_id
from raigov.inventory.models import UseCase


def component_of(uc: UseCase) -> str | None:
    """The code of the component that owns the use case (None: the department's own, or none)."""
    return uc.org_unit.code if uc.org_unit is not None and uc.org_unit.kind != "department" else None


def may_read(actor: Actor, uc: UseCase) -> bool:
    """The read rule of one use case: ``usecase.read_draft`` for a draft, ``usecase.read`` otherwise, in its
    component; or being one of its people (owner, developer). What is attached to a use case (evidence)
    is read through this rule too."""
    action = "usecase.read_draft" if uc.status == "draft" else "usecase.read"
    return can(actor, action, component_of(uc)) or _is_person_of(actor, uc)


def check_read(actor: Actor, uc: UseCase) -> None:
    """PermissionDenied unless `actor` may read `uc` (``may_read``)."""
    if not may_read(actor, uc):
        raise PermissionDenied(f"{actor.label} may not read {uc.business_id}")


def _is_person_of(actor: Actor, uc: UseCase) -> bool:
    return actor.user_id is not None and any(p.user_id == actor.user_id for p in uc.people)


def get_use_case(session: Session, actor: Actor, business_id: str) -> UseCase:
    uc = session.scalar(
        select(UseCase)
        .options(selectinload(UseCase.revisions), selectinload(UseCase.people), selectinload(UseCase.org_unit))
        .where(UseCase.business_id == normalize_id(business_id))
    )
    if uc is None:
        raise NotFound(f"no use case {business_id}")
    check_read(actor, uc)
    return uc


def get_use_case_for(session: Session, actor: Actor, business_id: str, action: str) -> UseCase:
    """The use case, when ``actor`` may read it and take ``action`` (e.g. ``usecase.edit``) in its component:
    the check an adapter makes before it even validates the request body."""
    uc = get_use_case(session, actor, business_id)
    require(actor, action, component_of(uc))
    return uc


def in_units(session: Session, codes) -> Any:
    """SQL condition: the use case belongs to one of the org units `codes` as a grant scoped to them reaches
    it (sub-units included; the department's unit reaches the department's own use cases, those of its own
    unit and those with no unit)."""
    from raigov.identity.permissions import is_department
    from raigov.identity.service import units_under

    codes = set(codes)
    ids = list(session.scalars(select(OrgUnit.id).where(OrgUnit.code.in_(sorted(units_under(session, codes))))).all())
    cond = UseCase.org_unit_id.in_(ids or [-1])
    if any(is_department(c) for c in codes):
        cond = or_(cond, UseCase.org_unit_id.is_(None))
    return cond
