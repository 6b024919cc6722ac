"""The people around a use case's decisions: its operator roster (who may review the AI output, with their
training) and the U.S. citizens who opted out of a non-law-enforcement face-recognition use."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, joinedload

from raigov.audit.service import record
from raigov.errors import NotFound, ValidationFailed
from raigov.governance.requirements import requirements_of
from raigov.identity.permissions import Actor, can, require
from raigov.inventory.access import component_of
from raigov.inventory.formats import normalize_id
from raigov.inventory.models import UseCase
from raigov.oversight.models import Operator, OptOut
from raigov.oversight.subjects import pseudonym

OPT_OUT_ITEM = "D026-11.OptOut"  # the pack practice that gives U.S. citizens the opt-out (dhs-026-11)


def use_case(session: Session, business_id: str) -> UseCase:
    uc = session.scalar(select(UseCase).options(joinedload(UseCase.org_unit))
                        .where(UseCase.business_id == normalize_id(business_id)))
    if uc is None:
        raise NotFound(f"no use case {business_id}")
    return uc


def record_operator(session: Session, actor: Actor, business_id: str, username: str, trained_on: dt.date,
                    expires_on: dt.date) -> Operator:
    """Put a person on the roster, or renew their training (new dates; the trail keeps the earlier ones)."""
    uc = use_case(session, business_id)
    require(actor, "oversight.operator.manage", component_of(uc))
    username = username.strip()
    if not username:
        raise ValidationFailed.one("username", "required", "missing")
    if expires_on <= trained_on:
        raise ValidationFailed.one("expires_on", "must be after trained_on")
    op = session.scalar(select(Operator).where(Operator.use_case_id == uc.id, Operator.username == username))
    if op is None:
        op = Operator(use_case_id=uc.id, username=username, trained_on=trained_on, expires_on=expires_on,
                      recorded_by=actor.label)
        session.add(op)
    else:
        op.trained_on, op.expires_on, op.recorded_by = trained_on, expires_on, actor.label
    state = {"use_case": uc.business_id, "username": username, "trained_on": trained_on.isoformat(),
             "expires_on": expires_on.isoformat()}
    record(session, actor, "oversight.operator.record", "use_case", uc.business_id, state, state)
    session.flush()
    return op


def remove_operator(session: Session, actor: Actor, business_id: str, username: str) -> None:
    uc = use_case(session, business_id)
    require(actor, "oversight.operator.manage", component_of(uc))
    gone = session.execute(delete(Operator).where(Operator.use_case_id == uc.id, Operator.username == username.strip()))
    if not gone.rowcount:
        raise NotFound(f"{username} is not on the operator roster of {uc.business_id}")
    record(session, actor, "oversight.operator.remove", "use_case", uc.business_id, None, {"username": username.strip()})


def operators(session: Session, actor: Actor, business_id: str) -> list[Operator]:
    uc = use_case(session, business_id)
    comp = component_of(uc)
    if not (can(actor, "oversight.operator.manage", comp) or can(actor, "oversight.decision.read", comp)):
        require(actor, "oversight.decision.read", comp)
    return list(session.scalars(select(Operator).where(Operator.use_case_id == uc.id).order_by(Operator.username)))


def record_opt_out(session: Session, actor: Actor, key: bytes, business_id: str, subject: str) -> bool:
    """Record that a U.S. citizen opted out of this face-recognition use (DHS Directive 026-11); only the
    pseudonym is kept. Refused for a use case the packs give no opt-out from (not face recognition, or a
    law-enforcement use, or one the law exempts). True when new, False when it was recorded before."""
    uc = use_case(session, business_id)
    require(actor, "oversight.opt_out.record", component_of(uc))
    if not subject.strip():
        raise ValidationFailed.one("subject", "required", "missing")
    if OPT_OUT_ITEM not in {p["item"] for p in requirements_of(session, uc).practices}:
        raise ValidationFailed.one("use_case", f"{uc.business_id} is not a non-law-enforcement face-recognition use "
                                   f"that DHS Directive 026-11 ({OPT_OUT_ITEM}) gives U.S. citizens an opt-out from",
                                   "no_opt_out")
    pseudo = pseudonym(key, subject)
    if session.scalar(select(OptOut.id).where(OptOut.use_case_id == uc.id, OptOut.subject == pseudo)) is not None:
        return False
    session.add(OptOut(use_case_id=uc.id, subject=pseudo, recorded_by=actor.label))
    record(session, actor, "oversight.opt_out.record", "use_case", uc.business_id, {"subject": pseudo},
           {"item": OPT_OUT_ITEM})
    session.flush()
    return True


def check_opt_out(session: Session, actor: Actor, key: bytes, business_id: str, subject: str) -> bool:
    """Did this subject opt out of this use? Yes or no, nothing else."""
    uc = use_case(session, business_id)
    require(actor, "oversight.opt_out.check", component_of(uc))
    if not subject.strip():
        raise ValidationFailed.one("subject", "required", "missing")
    return session.scalar(select(OptOut.id).where(OptOut.use_case_id == uc.id,
                                                  OptOut.subject == pseudonym(key, subject))) is not None
