"""Waivers and pilots: the only code that writes them. Only the Chief AI Officer grants, certifies or
revokes a waiver of a minimum practice, and certifies or ends a pilot (M-25-21 App. §4(a): not delegable);
a waiver's grant and revocation start a 30-day clock to report it to OMB."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from raigov.audit.service import record
from raigov.clock import agency_today
from raigov.db.base import utcnow
from raigov.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from raigov.governance.common import active_waiver, clean, lock_use_case
from raigov.governance.lanes import config
from raigov.governance.models import Pilot, Waiver
from raigov.governance.practices.service import get_practice
from raigov.governance.views import list_waivers
from raigov.governance.vocab import PilotStatus, PracticeStatus, WaiverStatus
from raigov.identity.permissions import Actor, require
from raigov.inventory import service as inventory
from raigov.inventory.models import UseCase

WAIVER_GROUNDS = {"increases-risk": "meeting the requirement would increase overall risks to safety or rights",
                  "impedes-operations": "meeting the requirement would create an unacceptable impediment to critical "
                                        "agency operations"}


def _caio_only(actor: Actor, what: str) -> None:
    if not actor.has_role("caio"):
        raise PermissionDenied(f"only the Chief AI Officer {what} (M-25-21 App. §4(a)(ii): not delegable)")


def grant_waiver(session: Session, actor: Actor, business_id: str, practice: str, *, grounds: str, determination: str,
                 risk_assessment: str, public_summary: str, expires_on: dt.date) -> Waiver:
    uc = inventory.get_use_case(session, actor, business_id)
    _caio_only(actor, "grants a waiver")
    require(actor, "governance.waiver.grant")
    if grounds not in WAIVER_GROUNDS:
        raise ValidationFailed.one("grounds", f"one of {', '.join(WAIVER_GROUNDS)}")
    determination = clean(determination, "determination", "a waiver needs the CAIO's written determination")
    risk_assessment = clean(risk_assessment, "risk_assessment", "a waiver needs its system- and context-specific "
                             "risk assessment")
    public_summary = clean(public_summary, "public_summary", "a waiver needs a public summary (M-25-21 App. §4(a)(iv))")
    today = agency_today()
    if expires_on <= today:
        raise ValidationFailed.one("expires_on", "a waiver's expiry must be in the future")
    p = get_practice(session, uc, practice, lock=True)
    if active_waiver(session, uc, practice) is not None:
        raise Conflict(f"{practice} of {uc.business_id} is already waived")
    w = Waiver(use_case_id=uc.id, practice_item=practice, grounds=grounds, determination=determination,
               risk_assessment=risk_assessment, public_summary=public_summary, status=WaiverStatus.ACTIVE, granted_by=actor.label,
               granted_at=utcnow(), expires_on=expires_on, certified_on=today,
               omb_report_due=today + dt.timedelta(days=30))
    session.add(w)
    p.status, p.status_reason, p.version = PracticeStatus.WAIVED, f"waiver granted by {actor.username}", p.version + 1
    p.updated_at, p.updated_by = utcnow(), actor.label
    session.flush()
    record(session, actor, "governance.waiver.grant", "waiver", w.id,
           {"use_case": uc.business_id, "practice": practice, "expires_on": expires_on.isoformat()},
           {"use_case": uc.business_id, "practice": practice, "grounds": grounds, "expires_on": expires_on.isoformat(),
            "omb_report_due": w.omb_report_due.isoformat()})
    return w


def _waiver(session: Session, waiver_id: int) -> tuple[Waiver, UseCase]:
    w = session.scalar(select(Waiver).where(Waiver.id == waiver_id).with_for_update()
                       .execution_options(populate_existing=True))
    if w is None:
        raise NotFound(f"no waiver {waiver_id}")
    return w, session.get(UseCase, w.use_case_id)


def certify_waiver(session: Session, actor: Actor, waiver_id: int, note: str) -> Waiver:
    """The CAIO's annual certification of a waiver's ongoing validity."""
    _caio_only(actor, "certifies a waiver")
    require(actor, "governance.waiver.grant")
    w, uc = _waiver(session, waiver_id)
    note = clean(note, "note", "say why the waiver remains valid")
    if w.status != WaiverStatus.ACTIVE:
        raise Conflict(f"waiver {w.id} is {w.status}")
    w.certified_on, w.version = agency_today(), w.version + 1
    session.flush()
    record(session, actor, "governance.waiver.certify", "waiver", w.id, {"certified_on": w.certified_on.isoformat()},
           {"use_case": uc.business_id, "practice": w.practice_item, "note": note[:200]})
    return w


def revoke_waiver(session: Session, actor: Actor, waiver_id: int, reason: str) -> Waiver:
    _caio_only(actor, "revokes a waiver")
    require(actor, "governance.waiver.revoke")
    w, uc = _waiver(session, waiver_id)
    reason = clean(reason, "reason", "a revocation needs its reason")
    if w.status != WaiverStatus.ACTIVE:
        raise Conflict(f"waiver {w.id} is already {w.status}")
    today = agency_today()
    w.status, w.revoked_at, w.revoked_by, w.revoke_reason = WaiverStatus.REVOKED, utcnow(), actor.label, reason
    w.omb_report_due, w.omb_reported_on, w.version = today + dt.timedelta(days=30), None, w.version + 1
    p = get_practice(session, uc, w.practice_item, lock=True)
    p.status, p.status_reason, p.version = PracticeStatus.IN_PROGRESS, f"waiver {w.id} revoked", p.version + 1
    p.updated_at, p.updated_by = utcnow(), actor.label
    session.flush()
    record(session, actor, "governance.waiver.revoke", "waiver", w.id, {"status": WaiverStatus.REVOKED},
           {"use_case": uc.business_id, "practice": w.practice_item, "reason": reason[:200],
            "omb_report_due": w.omb_report_due.isoformat()})
    return w


def mark_waiver_reported(session: Session, actor: Actor, waiver_id: int, reported_on: dt.date | None = None) -> Waiver:
    """Record that the grant or revocation was reported to OMB (stops the 30-day clock)."""
    require(actor, "governance.waiver.report")
    w, uc = _waiver(session, waiver_id)
    w.omb_reported_on, w.version = reported_on or agency_today(), w.version + 1
    session.flush()
    record(session, actor, "governance.waiver.report", "waiver", w.id, {"omb_reported_on": w.omb_reported_on.isoformat()},
           {"use_case": uc.business_id, "practice": w.practice_item})
    return w


def waivers_of(session: Session, actor: Actor, business_id: str | None = None) -> list[Waiver]:
    """One use case's waivers, or (no ``business_id``) those of every use case the actor may read, in
    their component scope (``list_waivers``)."""
    if business_id:
        uc = inventory.get_use_case(session, actor, business_id)
        return list(session.scalars(select(Waiver).where(Waiver.use_case_id == uc.id).order_by(Waiver.id)))
    return [e.waiver for e in list_waivers(session, actor)]


def certify_pilot(session: Session, actor: Actor, business_id: str, *, scale: str, starts_on: dt.date, ends_on: dt.date,
                  opt_in_out: str, practices_applied: str, max_participants: int | None = None) -> Pilot:
    """The CAIO certifies a pilot (M-25-21 App. §4(a)(i)(A)-(D)): limited scale and duration, opt in/out
    where possible, practices where practicable. Tracked centrally; exempts the minimum practices until
    its end date."""
    cfg = config()
    uc = inventory.get_use_case(session, actor, business_id)
    _caio_only(actor, "certifies a pilot")
    require(actor, "governance.pilot.certify")
    scale = clean(scale, "scale", "a pilot's limited scale, in words")
    opt_in_out = clean(opt_in_out, "opt_in_out", "how people may opt in and out of the pilot (or why they cannot)")
    practices_applied = clean(practices_applied, "practices_applied", "which practices the pilot applies")
    if ends_on <= starts_on:
        raise ValidationFailed.one("ends_on", "a pilot ends after it starts")
    if (ends_on - starts_on).days > cfg.pilot_max_days:
        raise ValidationFailed.one("ends_on", f"a pilot lasts at most {cfg.pilot_max_days} days (limited duration)")
    if max_participants is not None and max_participants <= 0:
        raise ValidationFailed.one("max_participants", "a positive number")
    lock_use_case(session, uc)
    if session.scalar(select(Pilot.id).where(Pilot.use_case_id == uc.id, Pilot.status == PilotStatus.ACTIVE)):
        raise Conflict(f"{uc.business_id} already has an active pilot")
    p = Pilot(use_case_id=uc.id, scale=scale, max_participants=max_participants, starts_on=starts_on, ends_on=ends_on,
              opt_in_out=opt_in_out, practices_applied=practices_applied, status=PilotStatus.ACTIVE, certified_by=actor.label,
              certified_at=utcnow())
    session.add(p)
    session.flush()
    record(session, actor, "governance.pilot.certify", "pilot", p.id,
           {"use_case": uc.business_id, "starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat()},
           {"use_case": uc.business_id, "ends_on": ends_on.isoformat(), "scale": scale[:120]})
    return p


def end_pilot(session: Session, actor: Actor, pilot_id: int, reason: str) -> Pilot:
    """The CAIO ends an active pilot before (or at) its end date, with a written reason (not delegable).
    From then on the gate no longer treats the use case as a pilot: its minimum practices and risk
    acceptance are required again. Ending a pilot that is not active is a Conflict."""
    _caio_only(actor, "ends a pilot")
    require(actor, "governance.pilot.certify")
    p = session.scalar(select(Pilot).where(Pilot.id == pilot_id).with_for_update())
    if p is None:
        raise NotFound(f"no pilot {pilot_id}")
    reason = clean(reason, "reason", "say why the pilot ends")
    if p.status != PilotStatus.ACTIVE:
        raise Conflict(f"pilot {p.id} is already {p.status}")
    p.status, p.ended_at, p.end_reason = PilotStatus.ENDED, utcnow(), reason
    session.flush()
    uc = session.get(UseCase, p.use_case_id)
    record(session, actor, "governance.pilot.end", "pilot", p.id, {"status": PilotStatus.ENDED},
           {"use_case": uc.business_id, "reason": reason[:200]})
    return p


def pilots_of(session: Session, actor: Actor, business_id: str | None = None) -> list[Pilot]:
    q = select(Pilot).order_by(Pilot.id)
    if business_id:
        uc = inventory.get_use_case(session, actor, business_id)
        q = q.where(Pilot.use_case_id == uc.id)
    else:
        require(actor, "inventory.use_case.read")
    return list(session.scalars(q))
