"""Who may read a use case, and reading one: the read rule (``may_read``), the one read scope every domain's
lists use (``readable``), the owning component, and the lookups every inventory service starts from. Nothing
here writes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, false, or_, select, true
from sqlalchemy.orm import Session, selectinload

from raigov.errors import NotFound, PermissionDenied
from raigov.identity.models import OrgUnit
from raigov.identity.permissions import ANYWHERE, Actor, can, components_visible, is_department, require
from raigov.identity.units import units_under
from raigov.inventory.formats import normalize_id
from raigov.inventory.models import UseCase, UseCasePerson
from raigov.inventory.vocab import UseCaseStatus

READ = "inventory.use_case.read"
READ_DRAFT = "inventory.use_case.read_draft"


def component_of(uc: UseCase) -> str | None:
    """The code of the component that owns the use case (None: the department's own, or none)."""
    return uc.org_unit.code if uc.org_unit is not None and uc.org_unit.kind != "department" else None


def may_read(actor: Actor, uc: UseCase) -> bool:
    """The read rule of one use case: ``usecase.read_draft`` for a draft, ``usecase.read`` otherwise, in its
    component; or being one of its people (owner, developer). What is attached to a use case (evidence)
    is read through this rule too."""
    action = READ_DRAFT if uc.status == UseCaseStatus.DRAFT else READ
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
    return _Units.of(session, set(codes)).where_unit(UseCase.org_unit_id)


# ---------------------------------------------------------------- the read scope


@dataclass(frozen=True)
class _Units:
    """A set of org units as a grant scoped to `codes` reaches them: their codes and ids (sub-units
    included), and whether the department's own objects (its unit, or no unit) are in."""

    codes: frozenset[str]
    ids: frozenset[int]
    department: bool

    @classmethod
    def of(cls, session: Session, granted: set[str]) -> _Units:
        codes = frozenset(units_under(session, granted)) if granted else frozenset()
        ids = frozenset(session.scalars(select(OrgUnit.id).where(OrgUnit.code.in_(sorted(codes)))).all()) \
            if codes else frozenset()
        return cls(codes, ids, any(is_department(c) for c in granted))

    def where_unit(self, unit_id_col) -> Any:
        cond = unit_id_col.in_(sorted(self.ids) or [-1])
        return or_(cond, unit_id_col.is_(None)) if self.department else cond

    def where_code(self, code_col) -> Any:
        cond = code_col.in_(sorted(self.codes) or ["-"])
        return or_(cond, code_col.is_(None)) if self.department else cond

    def __and__(self, other: _Units) -> _Units:
        return _Units(self.codes & other.codes, self.ids & other.ids, self.department and other.department)


@dataclass(frozen=True)
class Readable:
    """What one person may read, by the rule of ``can()``: the org units where they hold `action` (None: every
    unit, department-wide), the units where they may read drafts (None: everywhere; not asked: no draft rule),
    and their own use cases (those they are one of the people of), which they read wherever they are.

    Build it with :func:`readable`; every list of the inventory, the dashboard, the Notices page and the
    evaluation runs filters its query with it, so that they all answer alike."""

    actor: Actor
    actions: tuple[str, ...]
    units: _Units | None
    drafts: _Units | None = None
    draft_rule: bool = False
    own: bool = True

    @property
    def everything(self) -> bool:
        """Department-wide: every object, whatever its component (drafts aside: see ``use_cases``)."""
        return self.units is None

    @property
    def nothing(self) -> bool:
        """No grant of the action anywhere (the person may still read their own use cases)."""
        return self.units is not None and not self.units.codes and not self.units.department

    @property
    def codes(self) -> frozenset[str] | None:
        """The org unit codes reached (sub-units included); None: every unit."""
        return None if self.units is None else self.units.codes

    @property
    def unit_ids(self) -> frozenset[int] | None:
        return None if self.units is None else self.units.ids

    def narrowed(self, session: Session, components: Iterable[str]) -> Readable:
        """The same scope limited to the org units `components` (and those below them)."""
        wanted = _Units.of(session, set(components))
        return Readable(self.actor, self.actions, wanted if self.units is None else self.units & wanted,
                        self.drafts, self.draft_rule, own=False)

    def allows_component(self, component: str | object | None = ANYWHERE) -> bool:
        """May the person take one of the actions on an object of `component` (``can()``'s answer)?"""
        return any(can(self.actor, a, component) for a in self.actions)

    def where_unit(self, unit_id_col) -> Any:
        """SQL condition on a column holding an org unit's id (a use case's ``org_unit_id``)."""
        return true() if self.units is None else self.units.where_unit(unit_id_col)

    def where_component(self, code_col) -> Any:
        """SQL condition on a column holding the owning component's code (None: the department's own)."""
        return true() if self.units is None else self.units.where_code(code_col)

    def _own(self) -> Any:
        if not self.own or self.actor.user_id is None:
            return false()
        return UseCase.id.in_(select(UseCasePerson.use_case_id).where(UseCasePerson.user_id == self.actor.user_id))

    def condition(self) -> Any:
        """SQL condition on ``UseCase``: the use cases the person may read."""
        own = self._own()
        cond = or_(self.where_unit(UseCase.org_unit_id), own) if self.units is not None else true()
        if self.draft_rule and self.drafts is not None:
            cond = and_(cond, or_(UseCase.status != UseCaseStatus.DRAFT, self.drafts.where_unit(UseCase.org_unit_id),
                                  own))
        return cond

    def use_cases(self, stmt) -> Any:
        """`stmt` (a SELECT from ``UseCase``) limited to the use cases the person may read."""
        return stmt.where(self.condition())

    def filter(self, use_case_id_col) -> Any:
        """SQL condition on a column holding a use case's id: an object of a use case the person may read."""
        if self.units is None and (not self.draft_rule or self.drafts is None):
            return true()
        return use_case_id_col.in_(select(UseCase.id).where(self.condition()))

    def allows(self, uc: UseCase) -> bool:
        """The same rule for one use case already loaded (``may_read`` for the default actions)."""
        if self.own and _is_person_of(self.actor, uc):
            return True
        comp = component_of(uc)
        if not self.allows_component(comp):
            return False
        return not (self.draft_rule and uc.status == UseCaseStatus.DRAFT and not can(self.actor, READ_DRAFT, comp))


def readable(session: Session, actor: Actor, actions: str | tuple[str, ...] = READ, *,
             drafts: bool | None = None, own: bool | None = None) -> Readable:
    """The read scope of `actor` for `actions` (any of them; default: reading use cases). For the default, drafts
    need ``inventory.use_case.read_draft`` in their component and a person reads their own use cases
    everywhere; for other actions (notices, evaluation runs) neither applies unless asked."""
    actions = (actions,) if isinstance(actions, str) else tuple(actions)
    default = actions == (READ,)
    drafts = default if drafts is None else drafts
    own = default if own is None else own
    granted: set[str] | None = set()
    for a in actions:
        vis = components_visible(actor, a)
        if vis is None:
            granted = None
            break
        granted |= vis
    units = None if granted is None else _Units.of(session, granted)
    draft_units = None
    if drafts:
        dvis = components_visible(actor, READ_DRAFT)
        draft_units = None if dvis is None else _Units.of(session, dvis)
    return Readable(actor, actions, units, draft_units, drafts, own)
