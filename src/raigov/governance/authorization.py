"""The authorization gate's reads: ``gate_input`` gathers a use case's snapshot for the pure logic in
``gate.py``, ``authorization`` answers operational systems (service tokens) and ``use_case_gate`` the use
case page. Nothing here writes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer, joinedload

from raigov.acquisition.reads import gaps_for_use_case
from raigov.clock import agency_today
from raigov.db.base import utcnow
from raigov.errors import NotFound
from raigov.evaluation.models import EvaluationRun
from raigov.governance import gate as G
from raigov.governance.common import component_of
from raigov.governance.lanes import GovernanceConfig, Requirements, config
from raigov.governance.models import (
    Evidence,
    EvidenceLink,
    ImpactAssessment,
    Pilot,
    Review,
    ReviewComment,
    ReviewCondition,
    RiskAcceptance,
    Waiver,
)
from raigov.governance.practices.service import comment_entry, package_body, sha256_json
from raigov.governance.practices.states import practice_rows
from raigov.governance.requirements import requirements_of
from raigov.governance.vocab import ConditionStatus, PracticeStatus
from raigov.identity.permissions import Actor, can, require
from raigov.inventory.formats import normalize_id
from raigov.inventory.models import UseCase
from raigov.monitoring.reads import gate_states
from raigov.oversight.declared import protected_unjustified


def gate_input(session: Session, uc: UseCase, cfg: GovernanceConfig | None = None,
               req: Requirements | None = None) -> G.GateInput:
    """The gate's snapshot of the use case. Reads only what the answer depends on, as columns: the reviews
    with their overdue conditions counted in the same query, the practices when some are required, the
    waivers when a practice is waived, and the risk acceptance in two queries.

    Long because each kind of row the gate reads is one query kept beside the comment that says why it is
    shaped so; splitting would hand the intermediate reads from function to function."""
    cfg = cfg or config()
    req = req or requirements_of(session, uc, cfg)
    today = agency_today()
    needs_acceptance = any(p["item"] in G.IMPACT_ASSESSMENT_ITEMS for p in req.practices)
    current: dict[str, tuple] = {}  # lane -> (review id, cycle, status, overdue conditions) of the newest cycle
    if req.lanes or needs_acceptance:
        overdue = (select(func.count()).select_from(ReviewCondition)
                   .where(ReviewCondition.review_id == Review.id, ReviewCondition.status == ConditionStatus.OPEN,
                          ReviewCondition.due_on.is_not(None), ReviewCondition.due_on < today)
                   .correlate(Review).scalar_subquery())
        for rid, lane, cycle, status, n_overdue in session.execute(
                select(Review.id, Review.lane, Review.cycle, Review.status, overdue).where(Review.use_case_id == uc.id)
                .order_by(Review.lane, Review.cycle)):
            current[lane] = (rid, cycle, status, n_overdue)
    reviews = []
    for lane in req.lanes:
        title = cfg.lanes[lane].title if lane in cfg.lanes else lane
        r = current.get(lane)
        reviews.append(G.ReviewState(lane, title, "missing") if r is None else G.ReviewState(lane, title, r[2], r[3]))
    practices = [row.gate_state() for row in practice_rows(session, uc, req)]  # the page's states too
    waivers = []
    if any(p.status == PracticeStatus.WAIVED for p in practices):
        waivers = [G.WaiverState(*w) for w in session.execute(
            select(Waiver.practice_item, Waiver.status, Waiver.expires_on, Waiver.certified_on)
            .where(Waiver.use_case_id == uc.id).order_by(Waiver.id))]
    pilots = [G.PilotState(*p) for p in session.execute(
        select(Pilot.status, Pilot.starts_on, Pilot.ends_on).where(Pilot.use_case_id == uc.id))]
    evid = session.execute(select(Evidence.id, Evidence.title, Evidence.expires_on, Evidence.category, Evidence.dated_on)
                           .join(EvidenceLink, EvidenceLink.evidence_id == Evidence.id)
                           .where(EvidenceLink.use_case_id == uc.id)).all()
    seen: set[int] = set()
    evidence = []
    bias_tests = []
    for eid, title, exp, cat, dated in evid:
        if eid not in seen:
            seen.add(eid)
            evidence.append(G.EvidenceState(eid, title, exp))
            if cat == "bias_test":
                bias_tests.append((dated, eid))
    last_bias, failed_bias = bias_test_state(session, bias_tests) if req.face_recognition else (None, None)
    needs_acceptance = needs_acceptance and \
        not any(p.item in G.IMPACT_ASSESSMENT_ITEMS and p.status in (PracticeStatus.WAIVED, PracticeStatus.NOT_APPLICABLE)
                for p in practices)
    acceptance = "not-required"
    if needs_acceptance:
        # risk_acceptance_state(), in two queries: the newest signature beside the newest assessment, then the
        # independent reviewers' comments; the package hashed exactly as acceptance_package() builds it
        def newest(col, model):
            order = model.id if model is RiskAcceptance else model.number
            return select(col).where(model.use_case_id == uc.id).order_by(order.desc()).limit(1).scalar_subquery()

        signed, number, a_sha, content = session.execute(select(
            newest(RiskAcceptance.assessment_sha256, RiskAcceptance), newest(ImpactAssessment.number, ImpactAssessment),
            newest(ImpactAssessment.sha256, ImpactAssessment), newest(ImpactAssessment.content, ImpactAssessment))).one()
        if signed is None:
            acceptance = "missing"
        elif number is None:
            acceptance = "stale"
        else:
            independent = [(lane, r[0], r[1]) for lane, r in current.items()
                           if lane in cfg.lanes and cfg.lanes[lane].independent]  # (lane, review id, cycle)
            said: dict[int, list[dict]] = {rid: [] for _, rid, _ in independent}
            if said:
                for rid, author, kind, decision, text, at in session.execute(
                        select(ReviewComment.review_id, ReviewComment.author, ReviewComment.kind, ReviewComment.decision,
                               ReviewComment.body, ReviewComment.created_at)
                        .where(ReviewComment.review_id.in_(list(said)), ReviewComment.kind != "assign")
                        .order_by(ReviewComment.id)):
                    said[rid].append((author, kind, decision, text, at))
            comments = [comment_entry(lane, cycle, *c) for lane, rid, cycle in sorted(independent)
                        for c in said[rid]]
            body = package_body(uc.business_id, number, a_sha, content, comments)
            acceptance = "current" if sha256_json(body) == signed else "stale"
    monitors, suspensions = gate_states(session, uc.id)
    return G.GateInput(business_id=uc.business_id, status=uc.status, affirmative=req.affirmative, basis=req.basis,
                       face_recognition=req.face_recognition, reviews=reviews, practices=practices, waivers=waivers,
                       pilots=pilots, evidence=evidence, risk_acceptance=acceptance,
                       last_bias_test=last_bias, failed_bias_test=failed_bias, bias_test_max_age_days=cfg.bias_test_max_age_days,
                       monitors=monitors, suspensions=suspensions,
                       contract_gaps=[G.ContractGap(g.number, g.vendor, g.requirement, g.title)
                                      for g in gaps_for_use_case(session, uc.id, today)],
                       protected_unjustified=protected_unjustified(session, uc.id))


def bias_test_state(session: Session, tests: list[tuple[dt.date, int]]) -> tuple[dt.date | None, G.FailedBiasTest | None]:
    """From a use case's bias-test evidence ``[(dated_on, evidence id)]``: the date of the newest test that did not
    fail its criteria, and the newest test if it failed. A test failed when its T&E run's outcome is ``fail``
    (kept in the evidence's details by ``evaluation.service``); the failed criteria are the run's. Evidence
    uploaded by hand carries no outcome and counts as a test. One query for the outcomes when there are
    bias tests, one more for the failed run's criteria."""
    if not tests:
        return None, None

    details = dict(session.execute(select(Evidence.id, Evidence.details).where(Evidence.id.in_([e for _, e in tests]))).all())
    newest_first = sorted(tests, reverse=True)
    last = next((d for d, e in newest_first if (details.get(e) or {}).get("outcome") != "fail"), None)
    dated, eid = newest_first[0]
    info = details.get(eid) or {}
    if info.get("outcome") != "fail":
        return last, None
    run = info.get("run") if isinstance(info.get("run"), int) else None
    criteria = session.scalar(select(EvaluationRun.criteria).where(EvaluationRun.id == run)) if run is not None else None
    failed = [{"name": c.get("name"), "value": c.get("value"), "limit": c.get("limit")}
              for c in (criteria or []) if isinstance(c, dict) and c.get("passed") is False]
    return last, G.FailedBiasTest(eid, run, dated, failed)


def authorization(session: Session, actor: Actor, business_id: str, now: dt.datetime | None = None) -> G.GateAnswer:
    """Is the use case authorized now? For operational systems (service tokens) and the use case page.
    Answers for drafts too (not authorized) without showing their content. Reads the use case with its org
    unit only: the gate needs neither its people, its search text nor its earlier revisions
    (``requirements_of`` reads the newest revision's content hash, and its answers only when their screen
    is not cached)."""
    uc = session.scalar(select(UseCase).options(joinedload(UseCase.org_unit), defer(UseCase.search_text))
                        .where(UseCase.business_id == normalize_id(business_id)))
    if uc is None:
        raise NotFound(f"no use case {business_id}")
    require(actor, "governance.gate.query", component_of(uc))
    now = now or utcnow()
    return G.decide(gate_input(session, uc), now, agency_today(now=now))


def use_case_gate(session: Session, actor: Actor, uc: UseCase) -> dict | None:
    """The gate's answer as the API gives it (``GateAnswer.as_dict()``), for the use case page: None when the
    actor may neither query the gate nor read use cases of the component (a person named on the use case
    reads it without either)."""
    comp = component_of(uc)
    if not can(actor, "governance.gate.query", comp) and not can(actor, "inventory.use_case.read", comp):
        return None
    now = utcnow()
    return G.decide(gate_input(session, uc), now, agency_today(now=now)).as_dict()
