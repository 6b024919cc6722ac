"""Acquisition reads: the contracts a person may read, one contract, the vendors, one vendor with all their
contracts and the use cases they touch, a use case's contracts, and the gate's gaps. Nothing here writes.
Contracts are read with ``acquisition.contract.read`` (or ``.manage``) in their component."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from raigov.acquisition.models import Contract, ContractRequirement, ContractUseCase, Vendor
from raigov.acquisition.requirements import STATUSES, catalogue
from raigov.acquisition.service import MANAGE, READ, normal_number
from raigov.clock import agency_today
from raigov.errors import NotFound
from raigov.identity.permissions import Actor, can, require
from raigov.inventory.access import readable
from raigov.inventory.models import UseCase

ACTIONS = (READ, MANAGE)


@dataclass(frozen=True)
class Gap:
    """A requirement missing from a contract in force that serves a use case (a gate reason)."""

    number: str
    vendor: str | None
    requirement: str
    title: str


def in_force(today: dt.date):
    return or_(Contract.ends_on.is_(None), Contract.ends_on >= today)


def gaps_for_use_case(session: Session, use_case_id: int, today: dt.date) -> list[Gap]:
    """The missing requirements of the contracts in force that serve the use case, by contract number then
    requirement order. No permission: the gate's own read (``governance.authorization.gate_input``)."""
    order = {k: i for i, k in enumerate(catalogue().codes())}
    rows = session.execute(
        select(Contract.number, Vendor.name, ContractRequirement.requirement)
        .join(ContractUseCase, ContractUseCase.contract_id == Contract.id)
        .join(ContractRequirement, ContractRequirement.contract_id == Contract.id)
        .outerjoin(Vendor, Vendor.id == Contract.vendor_id)
        .where(ContractUseCase.use_case_id == use_case_id, ContractRequirement.status == "missing", in_force(today))).all()
    out = []
    for number, vendor, key in sorted(rows, key=lambda r: (r[0], order.get(r[2], 99), r[2])):
        req = catalogue().get(key)
        out.append(Gap(number, vendor, key, req.title if req else key))
    return out


def _scope(session: Session, actor: Actor):
    return readable(session, actor, ACTIONS).where_component(Contract.component)


def _summaries(session: Session, contracts: list[tuple[Contract, str | None]], today: dt.date) -> list[dict]:
    ids = [c.id for c, _ in contracts]
    missing: dict[int, list[str]] = {i: [] for i in ids}
    ucs: dict[int, list[tuple[str, str]]] = {i: [] for i in ids}
    if ids:
        for cid, key in session.execute(select(ContractRequirement.contract_id, ContractRequirement.requirement)
                                        .where(ContractRequirement.contract_id.in_(ids),
                                               ContractRequirement.status == "missing")):
            missing[cid].append(key)
        for cid, bid, name in session.execute(select(ContractUseCase.contract_id, UseCase.business_id, UseCase.name)
                                              .join(UseCase, UseCase.id == ContractUseCase.use_case_id)
                                              .where(ContractUseCase.contract_id.in_(ids))
                                              .order_by(UseCase.business_id)):
            ucs[cid].append((bid, name))
    order = catalogue().codes()
    return [{"number": c.number, "kind": c.kind, "title": c.title, "vendor": vendor, "vendor_id": c.vendor_id,
             "component": c.component, "awarded_on": c.awarded_on, "starts_on": c.starts_on, "ends_on": c.ends_on,
             "option_dates": [dt.date.fromisoformat(d) for d in c.option_dates],
             "in_force": c.ends_on is None or c.ends_on >= today,
             "missing": [k for k in order if k in missing[c.id]],
             "missing_titles": [catalogue().get(k).title for k in order if k in missing[c.id]],
             "use_cases": [{"id": b, "name": n} for b, n in ucs[c.id]]} for c, vendor in contracts]


def list_contracts(session: Session, actor: Actor, *, vendor_id: int | None = None,
                   today: dt.date | None = None) -> list[dict]:
    """The solicitations and contracts the person may read (by number), each with its vendor, dates, the
    requirements it misses and the use cases it serves."""
    if not any(can(actor, a) for a in ACTIONS):
        require(actor, READ)
    stmt = (select(Contract, Vendor.name).outerjoin(Vendor, Vendor.id == Contract.vendor_id)
            .where(_scope(session, actor)).order_by(Contract.number))
    if vendor_id is not None:
        stmt = stmt.where(Contract.vendor_id == vendor_id)
    return _summaries(session, [(c, v) for c, v in session.execute(stmt)], today or agency_today())


def contract_view(session: Session, actor: Actor, number: str, today: dt.date | None = None) -> dict:
    """One solicitation or contract: its summary and every requirement with its state, clause or reason."""
    row = session.execute(select(Contract, Vendor.name).outerjoin(Vendor, Vendor.id == Contract.vendor_id)
                          .where(Contract.number == normal_number(number))).first()
    if row is None or not any(can(actor, a, row[0].component) for a in ACTIONS):
        raise NotFound(f"no solicitation or contract {number}")
    c = row[0]
    out = _summaries(session, [(c, row[1])], today or agency_today())[0]
    states = {r.requirement: r for r in session.scalars(select(ContractRequirement)
                                                         .where(ContractRequirement.contract_id == c.id))}
    out["requirements"] = []
    for req in catalogue().requirements:
        r = states.get(req.key)
        status = r.status if r else "missing"
        out["requirements"].append({"key": req.key, "title": req.title, "text": req.text, "citations": list(req.citations),
                                    "status": status, "status_label": STATUSES[status],
                                    "clause": r.clause if r else "", "reason": r.reason if r else "",
                                    "updated_by": r.updated_by if r else None,
                                    "updated_at": r.updated_at if r else None})
    out["may_manage"] = can(actor, MANAGE, c.component)
    out["may_waive"] = can(actor, "acquisition.requirement.waive", c.component)
    return out


def list_vendors(session: Session, actor: Actor, today: dt.date | None = None) -> list[dict]:
    """The vendors of the contracts the person may read, with how many contracts and how many miss a
    requirement."""
    contracts = list_contracts(session, actor, today=today)
    names = {v.id: v.name for v in session.scalars(select(Vendor))}
    out: dict[int, dict] = {}
    for c in contracts:
        if c["vendor_id"] is None:
            continue
        v = out.setdefault(c["vendor_id"], {"id": c["vendor_id"], "name": names[c["vendor_id"]], "contracts": 0,
                                            "with_gaps": 0, "use_cases": set()})
        v["contracts"] += 1
        v["with_gaps"] += bool(c["missing"])
        v["use_cases"].update(u["id"] for u in c["use_cases"])
    return sorted(({**v, "use_cases": len(v["use_cases"])} for v in out.values()), key=lambda v: v["name"].lower())


def vendor_view(session: Session, actor: Actor, vendor_id: int, today: dt.date | None = None) -> dict:
    """A vendor with all the contracts the person may read and the use cases they touch."""
    v = session.get(Vendor, vendor_id)
    contracts = list_contracts(session, actor, vendor_id=vendor_id, today=today) if v is not None else []
    if v is None or not contracts:
        raise NotFound(f"no vendor {vendor_id}")
    touched: dict[str, str] = {}
    for c in contracts:
        for u in c["use_cases"]:
            touched.setdefault(u["id"], u["name"])
    return {"id": v.id, "name": v.name, "contracts": contracts,
            "use_cases": [{"id": b, "name": n} for b, n in sorted(touched.items())]}


def use_case_contracts(session: Session, actor: Actor, use_case_id: int, today: dt.date | None = None) -> list[dict]:
    """The contracts the person may read that serve the use case."""
    if not any(can(actor, a) for a in ACTIONS):
        return []
    stmt = (select(Contract, Vendor.name).outerjoin(Vendor, Vendor.id == Contract.vendor_id)
            .join(ContractUseCase, ContractUseCase.contract_id == Contract.id)
            .where(ContractUseCase.use_case_id == use_case_id, _scope(session, actor)).order_by(Contract.number))
    return _summaries(session, [(c, v) for c, v in session.execute(stmt)], today or agency_today())
