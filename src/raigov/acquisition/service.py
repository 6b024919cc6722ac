"""Acquisition: the only code that writes solicitations, contracts, vendors and the state of their AI
contract requirements; and the reads (lists, a contract, a vendor, a use case's contracts, the gate's gaps).

Every contract is tracked against every requirement of requirements.yaml: met (with the clause or evidence),
missing, or waived (with a reason, by the CAIO's office: ``acquisition.requirement.waive``). A contract is in
force from its creation until its end date; a use case served by a contract in force with a missing
requirement gets a gate reason (:func:`gaps_for_use_case`, read by ``governance.authorization.gate_input``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from raigov.acquisition.models import Contract, ContractRequirement, ContractUseCase, Vendor
from raigov.acquisition.requirements import catalogue
from raigov.acquisition.schemas import ContractIn, RequirementIn
from raigov.audit.service import record
from raigov.db.base import utcnow
from raigov.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from raigov.identity.permissions import Actor, can, require
from raigov.identity.units import unit_by_code
from raigov.inventory.access import readable
from raigov.inventory.formats import normalize_id
from raigov.inventory.models import UseCase

READ, MANAGE, WAIVE = "acquisition.contract.read", "acquisition.contract.manage", "acquisition.requirement.waive"


def normal_number(number: str) -> str:
    return " ".join((number or "").split()).upper()


def _component(session: Session, code: str | None) -> str | None:
    if not code or not code.strip():
        return None
    unit = unit_by_code(session, code)
    return None if unit.kind == "department" else unit.code


def _use_cases(session: Session, actor: Actor, ids: list[str], field: str = "use_cases") -> list[UseCase]:
    """The use cases named, each readable by the actor; ValidationFailed naming the first unknown one."""
    out: list[UseCase] = []
    for i, bid in enumerate(ids):
        uc = session.scalar(select(UseCase).where(UseCase.business_id == normalize_id(bid)))
        if uc is None or not readable(session, actor).allows(uc):
            raise ValidationFailed.one(f"{field}.{i}" if field == "use_cases" else field, f"no use case {bid!r}")
        if uc not in out:
            out.append(uc)
    return out


def _check_requirement(actor: Actor, component: str | None, key: str, r: RequirementIn, prefix: str = "") -> tuple[str, str]:
    """(clause, reason) to keep; errors name ``<prefix>clause`` / ``<prefix>reason`` (the key: ``requirement``
    when no prefix)."""
    if catalogue().get(key) is None:
        raise ValidationFailed.one(prefix.rstrip(".") or "requirement", f"not an AI contract requirement: {key!r} "
                                   f"(known: {', '.join(catalogue().codes())})")
    clause, reason = r.clause.strip(), r.reason.strip()
    if r.status == "met" and not clause:
        raise ValidationFailed.one(f"{prefix}clause", "a met requirement needs the clause or evidence that meets it",
                                   "missing")
    if r.status == "waived":
        if not can(actor, WAIVE, component):
            raise PermissionDenied(f"{actor.label} may not waive an AI contract requirement")
        if not reason:
            raise ValidationFailed.one(f"{prefix}reason", "a waived requirement needs the reason", "missing")
    return (clause if r.status == "met" else ""), (reason if r.status == "waived" else "")


def create_contract(session: Session, actor: Actor, data: ContractIn) -> Contract:
    """A solicitation or contract with its use cases and the state of every requirement (missing unless
    given). Nothing is written when the number is taken, a use case or requirement is unknown, or a date is
    out of order."""
    component = _component(session, data.component)
    require(actor, MANAGE, component)
    number = normal_number(data.number)
    if not number:
        raise ValidationFailed.one("number", "a contract number is required", "missing")
    if session.scalar(select(Contract.id).where(Contract.number == number)) is not None:
        raise Conflict(f"number: a solicitation or contract {number} is already recorded",
                       errors=[ValidationFailed.one("number", f"{number} is already recorded").errors[0]])
    title = data.title.strip()
    if not title:
        raise ValidationFailed.one("title", "a title is required", "missing")
    if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
        raise ValidationFailed.one("ends_on", "the end date is before the start date")
    if data.kind == "contract" and not data.vendor.strip():
        raise ValidationFailed.one("vendor", "a contract names its vendor", "missing")
    ucs = _use_cases(session, actor, data.use_cases)
    states = {k: _check_requirement(actor, component, k, r, f"requirements.{k}.") for k, r in data.requirements.items()}
    vendor = vendor_by_name(session, data.vendor) if data.vendor.strip() else None
    c = Contract(number=number, kind=data.kind, title=title, vendor_id=vendor.id if vendor else None,
                 component=component, awarded_on=data.awarded_on, starts_on=data.starts_on, ends_on=data.ends_on,
                 option_dates=sorted(d.isoformat() for d in set(data.option_dates)), created_by=actor.label)
    session.add(c)
    session.flush()
    for uc in ucs:
        session.add(ContractUseCase(contract_id=c.id, use_case_id=uc.id))
    for key in catalogue().codes():
        r = data.requirements.get(key)
        clause, reason = states.get(key, ("", ""))
        session.add(ContractRequirement(contract_id=c.id, requirement=key, status=r.status if r else "missing",
                                        clause=clause, reason=reason, updated_by=actor.label))
    session.flush()
    missing = [k for k in catalogue().codes() if (data.requirements.get(k) is None
                                                  or data.requirements[k].status == "missing")]
    record(session, actor, "acquisition.contract.create", "contract", number,
           {"number": number, "kind": data.kind, "vendor": vendor.name if vendor else None},
           {"number": number, "kind": data.kind, "vendor": vendor.name if vendor else None, "component": component,
            "use_cases": [u.business_id for u in ucs], "missing": missing})
    return c


def vendor_by_name(session: Session, name: str) -> Vendor:
    """The vendor of that name (compared without case or extra spaces), created when new."""
    name = " ".join(name.split())
    v = session.scalar(select(Vendor).where(Vendor.name.ilike(name)))
    if v is None:
        v = Vendor(name=name)
        session.add(v)
        session.flush()
    return v


def _contract(session: Session, actor: Actor, number: str, action: str = READ, lock: bool = False) -> Contract:
    stmt = select(Contract).where(Contract.number == normal_number(number))
    c = session.scalar(stmt.with_for_update() if lock else stmt)
    if c is None or (not can(actor, READ, c.component) and not can(actor, MANAGE, c.component)):
        raise NotFound(f"no solicitation or contract {number}")
    require(actor, action, c.component)
    return c


def link_use_case(session: Session, actor: Actor, number: str, business_id: str, *, unlink: bool = False) -> Contract:
    """The contract serves (or no longer serves) the use case."""
    c = _contract(session, actor, number, MANAGE, lock=True)
    uc = _use_cases(session, actor, [business_id], "use_case")[0]
    row = session.scalar(select(ContractUseCase).where(ContractUseCase.contract_id == c.id,
                                                       ContractUseCase.use_case_id == uc.id))
    if unlink:
        if row is None:
            raise ValidationFailed.one("use_case", f"{c.number} does not serve {uc.business_id}")
        session.delete(row)
    elif row is None:
        session.add(ContractUseCase(contract_id=c.id, use_case_id=uc.id))
    else:
        raise Conflict(f"{c.number} already serves {uc.business_id}")
    session.flush()
    record(session, actor, "acquisition.contract.link", "contract", c.number,
           {"use_case": uc.business_id, "linked": not unlink}, {"use_case": uc.business_id, "linked": not unlink})
    return c


def set_requirement(session: Session, actor: Actor, number: str, key: str, data: RequirementIn) -> ContractRequirement:
    """Record a requirement of a contract as met (clause or evidence), missing, or waived (reason)."""
    c = _contract(session, actor, number, MANAGE, lock=True)
    clause, reason = _check_requirement(actor, c.component, key, data)
    row = session.scalar(select(ContractRequirement).where(ContractRequirement.contract_id == c.id,
                                                           ContractRequirement.requirement == key))
    if row is None:  # a requirement added to requirements.yaml after the contract was recorded
        row = ContractRequirement(contract_id=c.id, requirement=key, updated_by=actor.label)
        session.add(row)
    row.status, row.clause, row.reason = data.status, clause, reason
    row.updated_at, row.updated_by = utcnow(), actor.label
    session.flush()
    state, details = {"requirement": key, "status": data.status}, {"requirement": key, "status": data.status}
    if data.status == "waived":
        record(session, actor, "acquisition.requirement.waive", "contract", c.number, state, details)
    else:
        record(session, actor, "acquisition.requirement.update", "contract", c.number, state, details)
    return row
