"""Withholding from the public inventory (issue #19, item 2): the only code that writes
`disclosure_withholdings`. Before certification the CAIO's office withholds a whole use case or single
answers, each with a reason code (reasons.yaml); the CAIO's certification writes the public snapshot through
:func:`public_rows`, which leaves them out. The full snapshot (what OMB receives) keeps everything.

A use case whose own OMB answer ``is_withheld`` is yes is left out of the public snapshot as before."""

from __future__ import annotations

import copy
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from raigov.audit.service import record
from raigov.datacall.snapshot import is_withheld
from raigov.disclosure.models import WHOLE, Withholding
from raigov.disclosure.reasons import label as reason_label
from raigov.disclosure.reasons import reasons
from raigov.errors import Conflict, NotFound, ValidationFailed
from raigov.identity.permissions import Actor, require
from raigov.inventory import service as inventory
from raigov.inventory.catalog import fields
from raigov.inventory.models import UseCase
from raigov.inventory.questions import label_of
from raigov.inventory.vocab import UseCaseStatus

# answers that stay public: who publishes and which component (the withheld counts per component need it)
NEVER_WITHHELD = ("agency", "agency_name", "id", "agency_bureau")


def withholdable_fields() -> list[tuple[str, str]]:
    """(field, its label) of the 2025 answers that may be withheld one by one."""
    return [(f.name, label_of(f.name)) for f in fields("2025") if f.name not in NEVER_WITHHELD]


@dataclass
class WithholdingView:
    id: int
    business_id: str
    use_case_name: str
    component: str
    field: str  # "" : the whole use case
    field_label: str
    reason: str
    reason_label: str
    note: str
    created_by: str
    created_at: object


def _use_case(session: Session, business_id: str) -> UseCase:
    bid = (business_id or "").strip().upper()
    if not bid:
        raise ValidationFailed.one("use_case", "give the use case's ID, e.g. DHS-0001", "missing")
    uc = session.scalar(select(UseCase).where(UseCase.business_id == bid))
    if uc is None:
        raise ValidationFailed.one("use_case", f"there is no use case {bid}")
    return uc


def withhold(session: Session, actor: Actor, business_id: str, field: str | None, reason: str,
             note: str = "") -> Withholding:
    """Withhold a whole use case (`field` empty) or one of its answers, for `reason` (a code of reasons.yaml).
    Refuses a second withholding of the same thing (release it first to change its reason)."""
    require(actor, "disclosure.withholding.manage")
    uc = _use_case(session, business_id)
    field = (field or "").strip()
    if field and field not in dict(withholdable_fields()):
        raise ValidationFailed.one("field", f"{field!r} is not an answer that can be withheld")
    reason = (reason or "").strip()
    if reason not in reasons():
        raise ValidationFailed.one("reason", "choose one of the reason codes: " + ", ".join(reasons()),
                                   "missing" if not reason else "invalid")
    note = (note or "").strip()
    if len(note) > 4000:
        raise ValidationFailed.one("note", "at most 4,000 characters")
    if session.scalar(select(Withholding.id).where(Withholding.use_case_id == uc.id, Withholding.field == field)):
        what = f"its answer {label_of(field)!r}" if field else "it"
        raise Conflict(f"{uc.business_id}: {what} is already withheld; release it first to change the reason")
    w = Withholding(use_case_id=uc.id, field=field or WHOLE, reason=reason, note=note, created_by=actor.label)
    session.add(w)
    session.flush()
    record(session, actor, "disclosure.withholding.add", "use_case", uc.business_id,
           {"field": field, "reason": reason, "note": note}, {"field": field or "(whole use case)", "reason": reason})
    return w


def release(session: Session, actor: Actor, withholding_id: int) -> None:
    require(actor, "disclosure.withholding.manage")
    w = session.get(Withholding, withholding_id)
    if w is None:
        raise NotFound(f"no withholding {withholding_id}")
    bid = session.scalar(select(UseCase.business_id).where(UseCase.id == w.use_case_id))
    details = {"field": w.field or "(whole use case)", "reason": w.reason}
    session.delete(w)
    session.flush()
    record(session, actor, "disclosure.withholding.release", "use_case", bid, {"released": True}, details)


def list_withholdings(session: Session, actor: Actor) -> list[WithholdingView]:
    require(actor, "disclosure.withholding.read")
    q = (select(Withholding, UseCase).join(UseCase, UseCase.id == Withholding.use_case_id)
         .order_by(UseCase.business_id, Withholding.field))
    out = []
    for w, uc in session.execute(q):
        out.append(WithholdingView(w.id, uc.business_id, uc.name or "", uc.org_unit.code if uc.org_unit else "",
                                   w.field, label_of(w.field) if w.field else "The whole use case", w.reason,
                                   reason_label(w.reason), w.note, w.created_by, w.created_at))
    return out


def withheld_map(session: Session) -> dict[str, dict[str, str]]:
    """{business id: {field ("" whole): reason}} of every withholding (no permission: the certification's)."""
    out: dict[str, dict[str, str]] = {}
    for bid, field, reason in session.execute(select(UseCase.business_id, Withholding.field, Withholding.reason)
                                              .join(UseCase, UseCase.id == Withholding.use_case_id)):
        out.setdefault(bid, {})[field] = reason
    return out


def apply(rows: list, withheld: dict[str, dict[str, str]]) -> list:
    """The public rows: `rows` (InventoryRow) without the use cases withheld (whole, or by their own
    ``is_withheld`` answer), and with each withheld answer emptied (in copies; `rows` is left as is). Pure."""
    out = []
    for r in rows:
        mine = withheld.get(str(r.values.get("id") or ""), {})
        if is_withheld(r) or WHOLE in mine:
            continue
        if mine:
            r = copy.copy(r)
            r.values, r.raw = dict(r.values), dict(r.raw)
            for field in mine:
                r.values[field] = None
                r.raw.pop(field, None)
        out.append(r)
    return out


def public_rows(session: Session, rows: list) -> list:
    """The certification's public rows (see :func:`apply`), with the withholdings as they are now."""
    return apply(rows, withheld_map(session))


def side_by_side(session: Session, actor: Actor, business_id: str) -> dict:
    """A use case's answers as OMB receives them and as the public will read them once certified: {"business_id",
    "name", "whole": reason or None, "rows": [(label, internal value, public value or None, reason or None)]}."""
    require(actor, "disclosure.withholding.read")
    uc = _use_case(session, business_id)
    mine = withheld_map(session).get(uc.business_id, {})
    rows, _ = inventory.export_rows(session, actor, "omb-2025-csv")
    row = next((r for r in rows if r.values.get("id") == uc.business_id), None)
    if row is None:
        raise NotFound(f"{uc.business_id} is not in the OMB export (a draft, or only 2023 answers)")
    public = apply([row], {uc.business_id: mine})
    pub_values = public[0].values if public else {}
    whole = mine.get(WHOLE) or ("is_withheld" if is_withheld(row) else None)
    out = []
    for f in fields("2025"):
        v = row.values.get(f.name)
        shown = "; ".join(map(str, v)) if isinstance(v, list | tuple) else ("" if v is None else str(v))
        pv = pub_values.get(f.name) if public and f.name != "contact_email" else None
        pshown = None if pv is None else ("; ".join(map(str, pv)) if isinstance(pv, list | tuple) else str(pv))
        out.append((label_of(f.name), shown, pshown, reason_label(mine[f.name]) if f.name in mine else None))
    return {"business_id": uc.business_id, "name": uc.name, "status": uc.status,
            "whole": reason_label(whole) if whole and whole != "is_withheld" else
            ("The use case's own answer: withheld from the public" if whole else None), "rows": out,
            "draft": uc.status == UseCaseStatus.DRAFT}
