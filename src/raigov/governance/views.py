"""Read views for the adapters: the pages, the API and the CLI call these (never the services' private
helpers). Each checks that the actor may read what it returns, and says what the actor may do there, so an
adapter only renders. Nothing here writes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from raigov.clock import agency_today
from raigov.db.base import utcnow
from raigov.errors import ValidationFailed
from raigov.governance import gate as G
from raigov.governance.authorization import gate_input
from raigov.governance.common import component_of, people
from raigov.governance.dashboard import scope_of
from raigov.governance.lanes import Requirements, config
from raigov.governance.models import (
    Evidence,
    EvidenceLink,
    ImpactAssessment,
    Pilot,
    Review,
    RiskAcceptance,
    Waiver,
)
from raigov.governance.practices.service import (
    acceptance_package,
    latest_assessment,
    latest_risk_acceptance,
    risk_acceptance_state,
)
from raigov.governance.practices.states import PracticeRow, practice_rows
from raigov.governance.requirements import requirements_of
from raigov.governance.reviews.service import current_reviews, lane_refusal, load_review
from raigov.governance.vocab import REVIEW_UNDECIDED, WaiverStatus
from raigov.identity.permissions import Actor, can
from raigov.inventory import service as inventory
from raigov.inventory.models import UseCase
from raigov.inventory.vocab import UseCaseStatus
from raigov.policy import service as policy


def review_use_case(session: Session, actor: Actor, review_id: int) -> UseCase:
    """The use case a review belongs to, for someone who may read it (NotFound, PermissionDenied)."""
    _r, uc = load_review(session, review_id)
    inventory.check_read(actor, uc)
    return uc


@dataclass
class LaneView:
    """One lane of a use case: its newest review (None: not opened yet) and what the actor may do with it."""

    lane: str
    title: str
    required: bool
    because: list
    review: Review | None
    refusal: str | None  # why the actor may not review in this lane (None: they may)
    can_decide: bool
    can_assign: bool
    can_close_conditions: bool

    @property
    def status(self) -> str:
        return self.review.status if self.review is not None else "missing"


@dataclass
class GovernanceView:
    """Everything the governance page of one use case shows, read for one actor."""

    use_case: UseCase
    component: str | None
    requirements: Requirements
    answer: dict  # the gate's answer, as the API gives it
    lanes: list[LaneView]  # the required lanes first, then lanes no longer required that have a review
    practices: list[PracticeRow]  # the states the gate counts (practices.states), then those no longer required
    evidence: list[tuple[EvidenceLink, Evidence]]
    assessment: ImpactAssessment | None
    package: dict | None
    risk_acceptance: RiskAcceptance | None
    risk_acceptance_state: str
    waivers: list[Waiver]
    pilots: list[Pilot]
    determination: object | None
    is_person: bool  # the actor is an owner or developer of the use case
    can_update: bool
    can_attach: bool
    can_accept: bool
    is_caio: bool
    can_sync: bool
    can_submit: bool
    can_comment: bool


def governance_view(session: Session, actor: Actor, business_id: str, now: dt.datetime | None = None) -> GovernanceView:
    """The use case's governance for someone who may read it (NotFound, PermissionDenied): its current review
    of each lane, requirements, practices, evidence, assessment, risk acceptance, waivers, pilots and the
    gate's answer, with what `actor` may do on each."""
    cfg = config()
    uc = inventory.get_use_case(session, actor, business_id)
    comp = component_of(uc)
    req = requirements_of(session, uc, cfg)
    now = now or utcnow()
    answer = G.decide(gate_input(session, uc, cfg, req), now, agency_today(now=now)).as_dict()
    current = {r.lane: r for r in current_reviews(session, uc)}
    may_decide, may_assign = can(actor, "governance.review.decide", comp), can(actor, "governance.review.assign", comp)
    lanes = []
    for code in list(req.lanes) + [c for c in current if c not in req.lanes]:
        r = current.get(code)
        ln = cfg.lanes.get(code)
        refusal = lane_refusal(cfg, actor, uc, ln) if ln else "unknown lane"
        undecided = r is not None and r.status in REVIEW_UNDECIDED
        lanes.append(LaneView(
            lane=code, title=ln.title if ln else code, required=code in req.lanes, because=req.lanes.get(code, []),
            review=r, refusal=refusal,
            can_decide=undecided and refusal is None and may_decide and r.assignee_id in (None, actor.user_id),
            can_assign=undecided and (may_assign or (r.assignee_id is not None and r.assignee_id == actor.user_id)),
            can_close_conditions=r is not None and refusal is None and may_decide))
    practices = practice_rows(session, uc, req, with_stored=True)
    evidence = list(session.execute(select(EvidenceLink, Evidence).join(Evidence, Evidence.id == EvidenceLink.evidence_id)
                                    .where(EvidenceLink.use_case_id == uc.id).order_by(EvidenceLink.id)))
    pkg = acceptance_package(session, uc)
    is_person = actor.user_id is not None and actor.user_id in people(uc)
    return GovernanceView(
        use_case=uc, component=comp, requirements=req, answer=answer, lanes=lanes, practices=practices,
        evidence=evidence, assessment=latest_assessment(session, uc), package=pkg,
        risk_acceptance=latest_risk_acceptance(session, uc), risk_acceptance_state=risk_acceptance_state(session, uc),
        waivers=list(session.scalars(select(Waiver).where(Waiver.use_case_id == uc.id).order_by(Waiver.id))),
        pilots=list(session.scalars(select(Pilot).where(Pilot.use_case_id == uc.id).order_by(Pilot.id))),
        determination=policy.current_determination(session, uc), is_person=is_person,
        can_update=can(actor, "governance.practice.update", comp), can_attach=can(actor, "governance.evidence.attach", comp),
        can_accept=can(actor, "governance.risk.accept", comp) and not is_person and pkg is not None,
        is_caio=actor.has_role("caio"), can_sync=can(actor, "governance.requirements.sync", comp),
        can_submit=uc.status == UseCaseStatus.DRAFT and can(actor, "inventory.use_case.revise", comp),
        can_comment=can(actor, "governance.review.comment", comp) or is_person)


WAIVER_LIST_STATUSES = ("active", "revoked", "expired")


@dataclass
class WaiverEntry:
    waiver: Waiver
    business_id: str
    component: str | None


def list_waivers(session: Session, actor: Actor, *, status: str | None = None,
                 expiring_within_days: int | None = None, today: dt.date | None = None) -> list[WaiverEntry]:
    """The waivers of the use cases `actor` may read (``usecase.read``, scoped to their components), in the
    order granted. ``status``: active, revoked, or expired (active but past its expiry);
    ``expiring_within_days``: active waivers not yet expired whose expiry is at most that many days away."""
    if status is not None and status not in WAIVER_LIST_STATUSES:
        raise ValidationFailed.one("status", f"one of {', '.join(WAIVER_LIST_STATUSES)}")
    if expiring_within_days is not None and expiring_within_days < 0:
        raise ValidationFailed.one("expiring_within_days", "a number of days, 0 or more")
    scope = scope_of(session, actor)  # PermissionDenied for someone who may read no use case
    today = today or agency_today()
    q = select(Waiver, UseCase.business_id, UseCase.org_unit_id).join(UseCase, UseCase.id == Waiver.use_case_id)
    if status == "expired":
        q = q.where(Waiver.status == WaiverStatus.ACTIVE, Waiver.expires_on < today)
    elif status is not None:
        q = q.where(Waiver.status == status)
    if expiring_within_days is not None:
        q = q.where(Waiver.status == WaiverStatus.ACTIVE, Waiver.expires_on >= today,
                    Waiver.expires_on <= today + dt.timedelta(days=expiring_within_days))

    def component(unit_id: int | None) -> str | None:
        code = scope.units.component(unit_id) if unit_id is not None else None
        return None if code is None or scope.units.kind_of_code.get(code) == "department" else code

    return [WaiverEntry(w, bid, component(unit)) for w, bid, unit in session.execute(scope.where(q.order_by(Waiver.id)))]
