"""Practices, evidence, the impact assessment and the risk acceptance: the only code that writes them.

- a practice not started moves to in progress when evidence is attached to it (the impact assessment's
  practice: when the assessment is saved), with its audit event (``start_practice``);
- a practice is done only with evidence (the impact assessment: with a current signed risk acceptance);
  waived only through a CAIO's waiver (``governance.waivers``); not applicable only with a reason;
- evidence is stored content-addressed (``EvidenceStore``) and linked, never copied, to use cases and
  their practices;
- risk acceptance signs the SHA-256 of the exact assessment version, the independent reviewer's comments
  included (``acceptance_package``), and needs the independent review decided first.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from raigov.audit.canonical import sha256_json
from raigov.audit.service import record
from raigov.clock import agency_today
from raigov.config import Settings
from raigov.db.base import utcnow
from raigov.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from raigov.evaluation.access import get_run
from raigov.governance import gate as G
from raigov.governance.common import active_user, active_waiver, clean, component_of, people
from raigov.governance.lanes import config
from raigov.governance.models import Evidence, EvidenceLink, ImpactAssessment, Practice, RiskAcceptance
from raigov.governance.requirements import requirements_of
from raigov.governance.reviews.service import add_comment, current_reviews
from raigov.governance.store import EvidenceStore, filename_for
from raigov.governance.vocab import REVIEW_DECIDED, REVIEW_UNDECIDED, PracticeStatus
from raigov.identity.permissions import Actor, require
from raigov.inventory import service as inventory
from raigov.inventory.models import UseCase
from raigov.monitoring.reads import gate_states

PRACTICE_STATUSES = tuple(PracticeStatus)


EVIDENCE_CATEGORIES = {
    "impact_assessment": "Impact assessment", "test_report": "Test report", "bias_test": "Bias / demographic test",
    "pia": "Privacy impact assessment (PIA)", "ato": "Authorization to operate (ATO)", "sorn": "System of records notice",
    "monitoring": "Monitoring plan or report", "training": "Operator training record", "procedure": "Procedure or plan",
    "feedback": "Public or user feedback", "recommendation": "Recommendation of a governance body", "other": "Other",
}


ASSESSMENT_SECTIONS = {
    "A_purpose_benefit": "(A) Intended purpose and expected benefit, compared with existing processes",
    "B_data_model_quality": "(B) Quality and appropriateness of the data and the model",
    "C_impacts": "(C) Potential impacts on privacy, civil rights and civil liberties; mitigations",
    "D_reassessment": "(D) Reassessment schedule and procedures",
    "E_costs": "(E) Related costs and expected savings",
}


ASSESSMENT_CITATION = "M-25-21 App. §4(b)(ii)(A)-(G)"


# ---------------------------------------------------------------- practices


def practices_of(session: Session, actor: Actor, business_id: str) -> list[Practice]:
    uc = inventory.get_use_case(session, actor, business_id)
    return list(session.scalars(select(Practice).where(Practice.use_case_id == uc.id).order_by(Practice.id)))


def get_practice(session: Session, uc: UseCase, item: str, lock: bool = False) -> Practice:
    """The use case's practice `item` (ValidationFailed naming `practice` when it has none); `lock`:
    locked for update."""
    q = select(Practice).where(Practice.use_case_id == uc.id, Practice.item == item)
    if lock:
        q = q.with_for_update().execution_options(populate_existing=True)
    p = session.scalar(q)
    if p is None:
        raise ValidationFailed.one("practice", f"{uc.business_id} has no practice {item!r}")
    return p


def update_practice(session: Session, actor: Actor, business_id: str, item: str, *, status: str | None = None,
                    reason: str | None = None, owner: str | None = None, due_on: dt.date | None = None,
                    expected_version: int | None = None) -> Practice:
    uc = inventory.get_use_case(session, actor, business_id)
    require(actor, "governance.practice.update", component_of(uc))
    p = get_practice(session, uc, item, lock=True)
    if expected_version is not None and expected_version != p.version:
        raise Conflict(f"practice {item} changed since you opened it (now {p.status.replace('_', ' ')}): reload")
    changes: dict = {}
    owner_id = (active_user(session, owner, "owner").id if owner else None) if owner is not None else p.owner_id
    if status is not None and status != p.status:
        if status not in PRACTICE_STATUSES:
            raise ValidationFailed.one("status", f"one of {', '.join(PRACTICE_STATUSES)}")
        if status == PracticeStatus.WAIVED:
            raise ValidationFailed.one("status", "a practice is waived only by the Chief AI Officer's waiver")
        if p.status == PracticeStatus.WAIVED and active_waiver(session, uc, item) is not None:
            raise ValidationFailed.one("status", f"{item} is waived: the waiver must be revoked first")
        if status == PracticeStatus.NOT_APPLICABLE:
            reason = clean(reason, "reason", "say why the practice does not apply")
        if status == PracticeStatus.DONE:
            _check_done(session, uc, p)
        p.status, p.status_reason = status, (reason or "").strip() or None
        changes["status"] = status
    if owner_id != p.owner_id:
        p.owner_id = owner_id
        changes["owner"] = owner or None
    if due_on is not None and due_on != p.due_on:
        p.due_on = due_on
        changes["due_on"] = due_on.isoformat()
    if not changes:
        return p
    p.version += 1
    p.updated_at, p.updated_by = utcnow(), actor.label
    session.flush()
    record(session, actor, "governance.practice.update", "use_case", uc.business_id,
           {"practice": item, "status": p.status, "version": p.version}, {"practice": item, **changes})
    return p


def start_practice(session: Session, actor: Actor, uc: UseCase, p: Practice, because: str) -> bool:
    """Work has begun on a practice not started (evidence attached to it, the impact assessment saved): it moves
    to in progress, with its audit event. Any other state is left as it is. True when it moved."""
    if p.status != PracticeStatus.NOT_STARTED:
        return False
    p.status, p.version = PracticeStatus.IN_PROGRESS.value, p.version + 1
    p.updated_at, p.updated_by = utcnow(), actor.label
    session.flush()
    record(session, actor, "governance.practice.update", "use_case", uc.business_id,
           {"practice": p.item, "status": p.status, "version": p.version},
           {"practice": p.item, "status": p.status, "because": because})
    return True


def _check_done(session: Session, uc: UseCase, p: Practice) -> None:
    if p.item in G.IMPACT_ASSESSMENT_ITEMS:
        state = risk_acceptance_state(session, uc)
        if state != "current":
            raise ValidationFailed.one("status", f"{p.item} is done when the risk-accepting official has signed the "
                                       "current impact assessment" + (" (the signature is for an older version)"
                                                                      if state == "stale" else ""))
        return
    n = session.scalar(select(func.count()).select_from(EvidenceLink).where(
        EvidenceLink.use_case_id == uc.id, EvidenceLink.practice_id == p.id))
    if not n:
        raise ValidationFailed.one("status", f"{p.item} can be marked done only with evidence attached to it")
    if p.item in G.MONITORING_ITEMS:
        late = [m.name for m in gate_states(session, uc.id)[0] if m.due_on < agency_today()]
        if late:
            raise ValidationFailed.one("status", f"{p.item} is done only while windows arrive on time: monitor(s) "
                                       f"{', '.join(late)} overdue")


# ---------------------------------------------------------------- evidence


def evidence_store(settings: Settings) -> EvidenceStore:
    return EvidenceStore(settings.data_dir / "evidence", settings.upload_limit_bytes)


def _evidence_common(category: str, title: str, dated_on: dt.date | None, expires_on: dt.date | None):
    if category not in EVIDENCE_CATEGORIES:
        raise ValidationFailed.one("category", f"one of {', '.join(EVIDENCE_CATEGORIES)}")
    title = clean(title, "title", "evidence needs a title")
    dated_on = dated_on or agency_today()
    if expires_on is not None and expires_on <= dated_on:
        raise ValidationFailed.one("expires_on", "the expiry must come after the evidence's date")
    return title[:500], dated_on


def check_attach(session: Session, actor: Actor, business_id: str) -> None:
    """May ``actor`` attach evidence to ``business_id``? Asked by the adapters before they read an uploaded
    body, so that a refused caller neither leaves a file behind nor learns what the form would accept."""
    uc = inventory.get_use_case(session, actor, business_id)
    require(actor, "governance.evidence.attach", component_of(uc))


def add_file(session: Session, actor: Actor, settings: Settings, business_id: str, data: bytes, *, filename: str,
             title: str, category: str, dated_on: dt.date | None = None, expires_on: dt.date | None = None,
             practice: str | None = None, details: dict | None = None,
             action: str = "governance.evidence.attach", also: tuple[str, ...] = ()) -> Evidence:
    """Store a file (content-addressed) and attach it to a use case (and one of its practices). ``action``: the
    permission checked; a domain that generates the file (the monitoring report) names its own. ``also``: further
    practices of the use case the same file is evidence of (linked, not copied)."""
    uc = inventory.get_use_case(session, actor, business_id)
    require(actor, action, component_of(uc))
    title, dated_on = _evidence_common(category, title, dated_on, expires_on)
    pr = get_practice(session, uc, practice) if practice else None
    digest, media, size = evidence_store(settings).put(data, filename)
    # the name keeps the extension of the type sniffed from the bytes, not the one given (x.html as text -> x.txt)
    ev = Evidence(kind="file", category=category, title=title, sha256=digest,
                  filename=filename_for(filename or digest, media)[-300:],
                  media_type=media, size=size, dated_on=dated_on, expires_on=expires_on, component=component_of(uc),
                  owner_id=actor.user_id, owner=actor.label, details=details or {}, created_at=utcnow())
    session.add(ev)
    session.flush()
    _link(session, actor, ev, uc, pr)
    for item in also:
        _link(session, actor, ev, uc, get_practice(session, uc, item))
    return ev


def add_link(session: Session, actor: Actor, business_id: str, *, url: str, title: str, category: str,
             dated_on: dt.date | None = None, expires_on: dt.date | None = None, practice: str | None = None) -> Evidence:
    uc = inventory.get_use_case(session, actor, business_id)
    require(actor, "governance.evidence.attach", component_of(uc))
    title, dated_on = _evidence_common(category, title, dated_on, expires_on)
    url = clean(url, "url", "a link needs its address")
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc or len(url) > 2000:
        raise ValidationFailed.one("url", "an http(s) address")
    pr = get_practice(session, uc, practice) if practice else None
    ev = Evidence(kind="link", category=category, title=title, url=url, dated_on=dated_on, expires_on=expires_on,
                  component=component_of(uc), owner_id=actor.user_id, owner=actor.label, details={}, created_at=utcnow())
    session.add(ev)
    session.flush()
    _link(session, actor, ev, uc, pr)
    return ev


def _link(session: Session, actor: Actor, ev: Evidence, uc: UseCase, pr: Practice | None) -> EvidenceLink:
    existing = session.scalar(select(EvidenceLink).where(
        EvidenceLink.evidence_id == ev.id, EvidenceLink.use_case_id == uc.id,
        EvidenceLink.practice_id == (pr.id if pr else None)) if pr else select(EvidenceLink).where(
        EvidenceLink.evidence_id == ev.id, EvidenceLink.use_case_id == uc.id, EvidenceLink.practice_id.is_(None)))
    if existing is not None:
        return existing
    link = EvidenceLink(evidence_id=ev.id, use_case_id=uc.id, practice_id=pr.id if pr else None, linked_by=actor.label,
                        linked_at=utcnow())
    session.add(link)
    session.flush()
    record(session, actor, "governance.evidence.attach", "use_case", uc.business_id,
           {"evidence": ev.id, "sha256": ev.sha256, "url": ev.url, "practice": pr.item if pr else None},
           {"evidence": ev.id, "category": ev.category, "title": ev.title[:120], "practice": pr.item if pr else None,
            "sha256": ev.sha256})
    if pr is not None:
        start_practice(session, actor, uc, pr, f"evidence {ev.id} attached")
    return link


def link_evidence(session: Session, actor: Actor, evidence_id: int, business_id: str,
                  practice: str | None = None) -> EvidenceLink:
    """Reuse a piece of evidence on another use case (or practice): a link, never a copy."""
    uc = inventory.get_use_case(session, actor, business_id)
    require(actor, "governance.evidence.attach", component_of(uc))
    ev = session.get(Evidence, evidence_id)
    if ev is None:
        raise ValidationFailed.one("evidence", f"no evidence {evidence_id}")
    if not may_read_evidence(session, actor, ev):  # else a link would make it readable through this use case
        raise PermissionDenied(f"{actor.label} may not use evidence {evidence_id}")
    pr = get_practice(session, uc, practice) if practice else None
    return _link(session, actor, ev, uc, pr)


def attach_body_record(session: Session, actor: Actor, business_id: str, *, title: str, url: str, body: str,
                       decision_id: int, text: str, dated_on: dt.date) -> Evidence:
    """A governance body's recommendation on a use case becomes evidence of its independent review (the
    Responsible Use Group's: raigov.bodies): a record linking to the decision's page, attached to the use case,
    and, while the independent review is undecided, a comment on it naming the evidence (so the comment reaches
    the package the risk-accepting official signs; a decided review is left as it is, so that a signed risk
    acceptance is not silently invalidated), in the caller's transaction. The body's service records the
    decision; this checks that the actor keeps a body's records."""
    require(actor, "bodies.decision.record")
    uc = inventory.get_use_case(session, actor, business_id)
    lanes = [code for code, lane in config().lanes.items() if lane.independent]
    review = next((r for r in current_reviews(session, uc) if r.lane in lanes), None)
    ev = Evidence(kind="link", category="recommendation", title=clean(title, "title", "a record needs a title")[:500],
                  url=url, dated_on=dated_on, component=component_of(uc), owner_id=actor.user_id, owner=actor.label,
                  details={"body": body, "decision": decision_id, "lane": review.lane if review else (lanes or [None])[0],
                           "review": review.id if review else None}, created_at=utcnow())
    session.add(ev)
    session.flush()
    _link(session, actor, ev, uc, None)
    if review is not None and review.status in REVIEW_UNDECIDED:
        add_comment(session, review, actor, "comment", f"{title} (evidence {ev.id}): {text}")
    return ev


def evidence_of(session: Session, actor: Actor, business_id: str) -> list[tuple[EvidenceLink, Evidence]]:
    uc = inventory.get_use_case(session, actor, business_id)
    return list(session.execute(select(EvidenceLink, Evidence).join(Evidence, Evidence.id == EvidenceLink.evidence_id)
                                .where(EvidenceLink.use_case_id == uc.id).order_by(EvidenceLink.id)))


def may_read_evidence(session: Session, actor: Actor, ev: Evidence) -> bool:
    """Evidence is read through what it is evidence of: the actor may read it when they may read one of
    the use cases it is linked to, each by that use case's own read rule (``usecase.read_draft`` for a
    draft, ``usecase.read`` otherwise, or being one of its people); an evaluation run's report also by
    the run's read rule (``eval.read``: the same PDF is the run's report). The component the evidence
    was first uploaded for decides nothing: a draft's file stays the draft's."""
    linked = session.scalars(select(UseCase).join(EvidenceLink, EvidenceLink.use_case_id == UseCase.id)
                             .where(EvidenceLink.evidence_id == ev.id)
                             .options(selectinload(UseCase.people), selectinload(UseCase.org_unit))).unique().all()
    if any(inventory.may_read(actor, uc) for uc in linked):
        return True
    run_id = (ev.details or {}).get("run") if ev.kind == "file" else None
    if isinstance(run_id, int):
        try:
            run = get_run(session, actor, run_id)
        except (NotFound, PermissionDenied):
            return False
        return run.report_pdf_evidence_id == ev.id
    return False


def get_evidence(session: Session, actor: Actor, evidence_id: int) -> Evidence:
    ev = session.get(Evidence, evidence_id)
    if ev is None:
        raise NotFound(f"no evidence {evidence_id}")
    if not may_read_evidence(session, actor, ev):
        raise PermissionDenied(f"{actor.label} may not read evidence {evidence_id}")
    return ev


# ---------------------------------------------------------------- impact assessment and risk acceptance


def save_assessment(session: Session, actor: Actor, business_id: str, sections: dict[str, str]) -> ImpactAssessment:
    """A new version of the impact assessment (sections (A)-(E); (F) is the independent review's comments,
    (G) the signed risk acceptance)."""
    uc = inventory.get_use_case(session, actor, business_id)
    require(actor, "governance.practice.update", component_of(uc))
    unknown = set(sections) - set(ASSESSMENT_SECTIONS)
    if unknown:
        raise ValidationFailed.one(min(unknown), "not a section of the impact assessment")
    content = {k: (sections.get(k) or "").strip() for k in ASSESSMENT_SECTIONS}
    missing = [k for k, v in content.items() if not v]
    if missing:
        raise ValidationFailed(f"{missing[0]}: every section of the impact assessment needs an answer",
                               errors=[ValidationFailed.one(k, f"{ASSESSMENT_SECTIONS[k]}: required", "missing").errors[0]
                                       for k in missing])
    last = latest_assessment(session, uc)
    if last is not None and last.content == content:
        return last
    n = (last.number + 1) if last else 1
    a = ImpactAssessment(use_case_id=uc.id, number=n, content=content, sha256=sha256_json(content), created_at=utcnow(),
                         created_by=actor.label)
    session.add(a)
    session.flush()
    record(session, actor, "governance.assessment.save", "use_case", uc.business_id, {"number": n, "sha256": a.sha256},
           {"assessment": n, "sha256": a.sha256})
    for p in session.scalars(select(Practice).where(Practice.use_case_id == uc.id,
                                                    Practice.item.in_(sorted(G.IMPACT_ASSESSMENT_ITEMS)))
                             .order_by(Practice.id)):
        start_practice(session, actor, uc, p, f"impact assessment version {n} saved")
    return a


def latest_assessment(session: Session, uc: UseCase) -> ImpactAssessment | None:
    return session.scalars(select(ImpactAssessment).where(ImpactAssessment.use_case_id == uc.id)
                           .order_by(ImpactAssessment.number.desc()).limit(1)).first()


def independent_review_comments(session: Session, uc: UseCase) -> list[dict]:
    cfg = config()
    lanes = {c for c, ln in cfg.lanes.items() if ln.independent}
    out = []
    for r in current_reviews(session, uc):
        if r.lane in lanes:
            out += [comment_entry(r.lane, r.cycle, c.author, c.kind, c.decision, c.body, c.created_at)
                    for c in r.comments if c.kind != "assign"]
    return out


def comment_entry(lane, cycle, author, kind, decision, body, at) -> dict:
    return {"lane": lane, "cycle": cycle, "author": author, "kind": kind, "decision": decision, "body": body,
            "at": at.isoformat()}


def package_body(business_id: str, number: int, assessment_sha256: str, sections: dict, comments: list[dict]) -> dict:
    """What a risk acceptance signs (its SHA-256 is the signature's); the one definition for the page and the gate."""
    return {"use_case": business_id, "assessment": number, "assessment_sha256": assessment_sha256,
            "sections": sections, "independent_review": comments}


def acceptance_package(session: Session, uc: UseCase) -> dict | None:
    """Exactly what the risk-accepting official signs: the assessment version, its sections and the
    independent reviewer's comments; its SHA-256 is what the signature records."""
    a = latest_assessment(session, uc)
    if a is None:
        return None
    body = package_body(uc.business_id, a.number, a.sha256, a.content, independent_review_comments(session, uc))
    return {**body, "sha256": sha256_json(body), "assessment_id": a.id}


def risk_acceptance_state(session: Session, uc: UseCase) -> str:
    ra = latest_risk_acceptance(session, uc)
    if ra is None:
        return "missing"
    pkg = acceptance_package(session, uc)
    return "current" if pkg is not None and pkg["sha256"] == ra.assessment_sha256 else "stale"


def latest_risk_acceptance(session: Session, uc: UseCase) -> RiskAcceptance | None:
    return session.scalars(select(RiskAcceptance).where(RiskAcceptance.use_case_id == uc.id)
                           .order_by(RiskAcceptance.id.desc()).limit(1)).first()


def accept_risk(session: Session, actor: Actor, business_id: str, statement: str, *, package_sha256: str,
                method: str) -> RiskAcceptance:
    """The risk-accepting official signs the assessment version they were shown (``package_sha256``); the
    caller has authenticated them again (``method`` says how)."""
    cfg = config()
    uc = inventory.get_use_case(session, actor, business_id)
    require(actor, "governance.risk.accept", component_of(uc))
    if actor.user_id is not None and actor.user_id in people(uc):
        raise PermissionDenied(f"{actor.username} is an owner or developer of {uc.business_id} and cannot accept its risk")
    statement = clean(statement, "statement", "the risk acceptance needs its statement")
    pkg = acceptance_package(session, uc)
    if pkg is None:
        raise ValidationFailed.one("assessment", f"{uc.business_id} has no impact assessment to accept")
    if package_sha256 != pkg["sha256"]:
        raise Conflict("the impact assessment or the independent review changed since you read it: read it again "
                       "before signing")
    req = requirements_of(session, uc, cfg)
    indep = [c for c in req.lanes if cfg.lanes[c].independent]
    current = {r.lane: r for r in current_reviews(session, uc)}
    for lane in indep:
        r = current.get(lane)
        if r is None or r.status not in REVIEW_DECIDED:
            raise ValidationFailed.one("independent_review", "the independent review must be decided before the risk "
                                       "is accepted (M-25-21 App. §4(b)(ii)(F))")
    ra = RiskAcceptance(use_case_id=uc.id, assessment_id=pkg["assessment_id"], assessment_sha256=pkg["sha256"],
                        statement=statement, accepted_by_id=actor.user_id, accepted_by=actor.label, method=method,
                        accepted_at=utcnow())
    session.add(ra)
    session.flush()
    record(session, actor, "governance.risk.accept", "use_case", uc.business_id,
           {"assessment": pkg["assessment"], "sha256": pkg["sha256"]},
           {"assessment": pkg["assessment"], "sha256": pkg["sha256"], "method": method})
    return ra
