"""What review sets for a use case's oversight: its authorized scale (subjects per agency day; more raises a
scale alert, signals.py), the protected characteristics its model takes as inputs, and the CRCL reviewer's
approval of their justification (without which the gate answers `protected_characteristics_unjustified`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from raigov.audit.service import record
from raigov.db.base import utcnow
from raigov.errors import FieldError, ValidationFailed
from raigov.identity.permissions import Actor, can, components_visible, require
from raigov.inventory.access import component_of, in_units
from raigov.inventory.models import UseCase
from raigov.oversight.declared import derived_inputs, effective, unjustified
from raigov.oversight.models import UseCaseOversight
from raigov.oversight.people import use_case
from raigov.oversight.signals import alerts_of, rules

MAX_SCALE = 1_000_000_000


def characteristics() -> dict[str, str]:
    """The protected characteristics (signals.yaml): key -> words."""
    return dict(rules()["protected_characteristics"])


def _row(session: Session, uc: UseCase, actor: Actor) -> UseCaseOversight:
    row = session.get(UseCaseOversight, uc.id)
    if row is None:
        row = UseCaseOversight(use_case_id=uc.id, protected_inputs=[], justified_inputs=[], updated_by=actor.label,
                               updated_at=utcnow())
        session.add(row)
    return row


def settings_out(row: UseCaseOversight | None, bid: str, derived: list[dict] | None = None) -> dict:
    """The settings. ``protected_inputs`` is what the owners declared; ``derived_inputs`` what was read from the
    inventory answer and the linked datasets (declared.py); ``model_inputs`` both, each once; ``unjustified``
    the model inputs no approved justification covers (what the gate reads)."""
    derived = list(derived or [])
    declared = list(row.protected_inputs) if row is not None else []
    inputs = effective(declared, derived)
    if row is None:
        return {"use_case": bid, "authorized_scale": None, "protected_inputs": [], "derived_inputs": derived,
                "model_inputs": inputs, "justified_inputs": [], "justification": None, "justified_by": None,
                "justified_at": None, "unjustified": inputs}
    return {"use_case": bid, "authorized_scale": row.authorized_scale, "protected_inputs": declared,
            "derived_inputs": derived, "model_inputs": inputs,
            "justified_inputs": list(row.justified_inputs), "justification": row.justification,
            "justified_by": row.justified_by, "justified_at": row.justified_at,
            "unjustified": unjustified(inputs, list(row.justified_inputs))}


def _out(session: Session, row: UseCaseOversight | None, uc: UseCase) -> dict:
    return settings_out(row, uc.business_id, derived_inputs(session, uc.id))


def get_settings(session: Session, actor: Actor, business_id: str) -> dict:
    uc = use_case(session, business_id)
    require(actor, "oversight.decision.read", component_of(uc))
    return _out(session, session.get(UseCaseOversight, uc.id), uc)


def set_scale(session: Session, actor: Actor, business_id: str, scale: int | None) -> dict:
    """Set (or, with None, clear) the authorized scale: distinct subjects per agency day."""
    uc = use_case(session, business_id)
    require(actor, "oversight.scale.set", component_of(uc))
    if scale is not None and (isinstance(scale, bool) or not isinstance(scale, int) or not 1 <= scale <= MAX_SCALE):
        raise ValidationFailed.one("authorized_scale", f"a whole number of subjects per day, 1 to {MAX_SCALE:,}, or null")
    row = _row(session, uc, actor)
    row.authorized_scale, row.updated_by, row.updated_at = scale, actor.label, utcnow()
    state = {"use_case": uc.business_id, "authorized_scale": scale}
    record(session, actor, "oversight.scale.set", "use_case", uc.business_id, state, state)
    session.flush()
    return _out(session, row, uc)


def declare_protected(session: Session, actor: Actor, business_id: str, inputs: list[str]) -> dict:
    """Declare which protected characteristics the model takes as inputs (the whole list; [] for none). A
    justification approved before covers only the characteristics it was approved for."""
    uc = use_case(session, business_id)
    require(actor, "oversight.protected.declare", component_of(uc))
    known = characteristics()
    errors = [FieldError(f"characteristics.{i}", f"unknown characteristic {c!r}; one of {', '.join(known)}", "unknown")
              for i, c in enumerate(inputs) if c not in known]
    if errors:
        raise ValidationFailed(f"{errors[0].field}: {errors[0].message}", errors=errors)
    declared = [c for c in known if c in set(inputs)]  # the vocabulary's order, each once
    row = _row(session, uc, actor)
    row.protected_inputs, row.updated_by, row.updated_at = declared, actor.label, utcnow()
    state = {"use_case": uc.business_id, "protected_inputs": declared}
    record(session, actor, "oversight.protected.declare", "use_case", uc.business_id, state, state)
    session.flush()
    return _out(session, row, uc)


def justify_protected(session: Session, actor: Actor, business_id: str, justification: str) -> dict:
    """A CRCL reviewer approves the justification for the characteristics among the model's inputs now: declared,
    or read from the inventory answer and the linked datasets."""
    uc = use_case(session, business_id)
    require(actor, "oversight.protected.justify", component_of(uc))
    text = (justification or "").strip()
    if len(text) < 20:
        raise ValidationFailed.one("justification", "say why the model needs these inputs (20 characters at least)")
    row = session.get(UseCaseOversight, uc.id)
    inputs = effective(list(row.protected_inputs) if row is not None else [], derived_inputs(session, uc.id))
    if not inputs:
        raise ValidationFailed.one("characteristics", "the model takes no protected characteristic to justify "
                                   "(none declared, none in the inventory answer or the linked datasets)")
    row = row if row is not None else _row(session, uc, actor)
    now = utcnow()
    row.justified_inputs, row.justification, row.justified_by, row.justified_at = list(inputs), text, actor.label, now
    state = {"use_case": uc.business_id, "justified_inputs": list(inputs), "justification": text}
    record(session, actor, "oversight.protected.justify", "use_case", uc.business_id, state, state)
    session.flush()
    return _out(session, row, uc)


def settings_page(session: Session, actor: Actor, business_id: str) -> dict:
    """The settings (get_settings) with what the actor may change on the use case's page, and the vocabulary."""
    uc = use_case(session, business_id)
    comp = component_of(uc)
    return {**get_settings(session, actor, business_id), "characteristics": characteristics(),
            "may_set_scale": can(actor, "oversight.scale.set", comp),
            "may_declare": can(actor, "oversight.protected.declare", comp),
            "may_justify": can(actor, "oversight.protected.justify", comp)}


def settings_for(session: Session, use_case_id: int) -> UseCaseOversight | None:
    return session.scalar(select(UseCaseOversight).where(UseCaseOversight.use_case_id == use_case_id))


def visible_alerts(session: Session, actor: Actor, business_id: str | None = None, *, open_only: bool = False,
                   limit: int = 50) -> list[dict]:
    """The oversight alerts the actor may read (oversight.decision.read): of one use case, or of every use case in
    their scope (newest first)."""
    if business_id is not None:
        uc = use_case(session, business_id)
        require(actor, "oversight.decision.read", component_of(uc))
        return alerts_of(session, [uc.id], open_only=open_only, limit=limit)
    require(actor, "oversight.decision.read")
    codes = components_visible(actor, "oversight.decision.read")
    if codes is None:
        return alerts_of(session, None, open_only=open_only, limit=limit)
    ids = list(session.scalars(select(UseCase.id).where(in_units(session, codes))))
    return alerts_of(session, ids, open_only=open_only, limit=limit)
