"""What a use case requires, and the write that opens it: the determination and the packs decide which
review lanes and minimum practices a use case needs (``requirements_of``; lanes and routes are data,
``lanes.yaml``), and ``sync`` opens those reviews and creates those practices (never deleting: what is no
longer required is marked so, and an undecided review no longer required is withdrawn)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from raigov.audit.service import record
from raigov.clock import agency_today
from raigov.db.base import utcnow
from raigov.governance.common import component_of, lock_use_case
from raigov.governance.lanes import GovernanceConfig, Requirements, config, requirements
from raigov.governance.models import Practice, Review
from raigov.governance.reviews.service import add_comment, current_reviews
from raigov.governance.vocab import REVIEW_DECIDED, REVIEW_UNDECIDED, PracticeStatus, ReviewStatus
from raigov.identity.permissions import Actor, can, require
from raigov.inventory import service as inventory
from raigov.inventory.models import UseCase, UseCaseRevision
from raigov.policy import service as policy
from raigov.policy.cache import screen_of
from raigov.policy.packs import current_registry
from raigov.policy.vocab import DeterminationStatus


def requirements_of(session: Session, uc: UseCase, cfg: GovernanceConfig | None = None) -> Requirements:
    """What the use case requires now: from the determination in force (or, until an official decides,
    the newest screen's presumption) and the packs' review and practice items."""
    cfg = cfg or config()
    values = None
    if "revisions" in inspect(uc).unloaded:  # the gate: the newest revision's hash, its answers only if needed
        rev = session.execute(select(UseCaseRevision.id, UseCaseRevision.schema, UseCaseRevision.content_hash)
                              .where(UseCaseRevision.use_case_id == uc.id)
                              .order_by(UseCaseRevision.number.desc()).limit(1)).one()
        loaded: list = []

        def values():  # read once, and only if some pack's screen of this content is not cached
            if not loaded:
                loaded.append(session.scalar(select(UseCaseRevision.values).where(UseCaseRevision.id == rev.id)))
            return loaded[0]
    else:
        rev = uc.revisions[-1]
    if rev.schema not in ("2025", "2024", "2023"):
        return Requirements(None, "none", None)
    framework = policy.framework_of_schema(rev.schema)
    reg = current_registry()
    fpack = reg.get(policy.FRAMEWORKS[framework]["pack"])
    det = policy.current_determination(session, uc, framework)
    decision = None
    if det is not None and det.status == DeterminationStatus.IN_FORCE:
        affirmative, basis, decision = det.decision in policy.AFFIRMATIVE, "determination", det.decision
    elif det is not None:  # awaiting the CAIO: the presumption stands meanwhile
        affirmative, basis = True, "awaiting CAIO"
    else:  # no determination: the newest screen presumes (read only then)
        sc = policy.latest_screening(session, uc)
        if sc is not None and sc.outcome == "insufficient_information":  # needs a determination
            affirmative, basis = None, "insufficient information"
        elif sc is not None:
            affirmative, basis = bool(sc.presumed), "screen"
        else:
            affirmative, basis = None, "none"
    review_items: list[dict] = []
    dhs_practices: list[dict] = []
    fr = bool(uc.is_face_recognition)
    if affirmative:  # the memo's reviews follow its presumption, which a determination overrides
        review_items += [{"item": f.item, "citation": f.citation} for f in screen_of(rev, fpack, values).reviews]
    today = agency_today()
    for pid in cfg.agency_packs:
        try:
            p = reg.get(pid)
        except (KeyError, LookupError):
            continue
        if not p.in_force(today):
            continue
        res = screen_of(rev, p, values)
        review_items += [{"item": f.item, "citation": f.citation} for f in res.reviews]
        dhs_practices += [{"item": f.item, "pack": p.key, "title": f.title, "citation": f.citation,
                           "timing": p.item(f.item).timing} for f in res.practices]
    if any(r["item"] in cfg.face_recognition_items for r in review_items):
        fr = True
    return requirements(cfg, affirmative=affirmative, basis=basis, framework=framework, decision=decision,
                        framework_pack=fpack, review_items=review_items, dhs_practices=dhs_practices,
                        face_recognition=fr)


def sync_if_allowed(session: Session, actor: Actor, business_id: str) -> dict | None:
    """After a new screen or determination: ``sync`` when the actor may (the lanes and practices the use case
    needs may have changed); ``None`` when they may not, so that a determination alone does not fail."""
    uc = inventory.get_use_case(session, actor, business_id)
    if not can(actor, "governance.requirements.sync", component_of(uc)):
        return None
    return sync(session, actor, business_id)


def sync(session: Session, actor: Actor, business_id: str) -> dict:
    """Open the reviews and create the practices the use case now requires (never deleting: a practice
    no longer required is marked so). Idempotent. Returns what was added."""
    uc = inventory.get_use_case(session, actor, business_id)
    require(actor, "governance.requirements.sync", component_of(uc))
    lock_use_case(session, uc)
    cfg = config()
    req = requirements_of(session, uc, cfg)
    added = {"reviews": [], "practices": []}
    current = {r.lane: r for r in current_reviews(session, uc)}
    for lane, because in req.lanes.items():
        r = current.get(lane)
        if r is None:
            r = Review(use_case_id=uc.id, lane=lane, cycle=1, status=ReviewStatus.OPEN, required_by=because,
                       revision_number=uc.revision_count, opened_at=utcnow())
            session.add(r)
            added["reviews"].append(lane)
        elif r.required_by != because and r.status not in REVIEW_DECIDED:
            r.required_by = because
    for lane, r in current.items():
        if lane not in req.lanes and r.status in REVIEW_UNDECIDED:
            r.status, r.version = ReviewStatus.WITHDRAWN, r.version + 1
            add_comment(session, r, actor, "comment", f"withdrawn: no longer required ({req.basis})")
            added.setdefault("withdrawn", []).append(lane)
    have = {p.item: p for p in session.scalars(select(Practice).where(Practice.use_case_id == uc.id))}
    want = {p["item"]: p for p in req.practices}
    due = agency_today() + dt.timedelta(days=cfg.practice_due_days)
    owner = next((p.user_id for p in uc.people if p.role == "owner"), None)
    for item, p in want.items():
        if item in have:
            if not have[item].required:
                have[item].required = True
                have[item].version += 1
            continue
        session.add(Practice(use_case_id=uc.id, item=item, pack=p["pack"], title=p["title"], citation=p["citation"],
                             timing=p.get("timing"), status=PracticeStatus.NOT_STARTED, owner_id=owner, due_on=due,
                             updated_at=utcnow(), updated_by=actor.label))
        added["practices"].append(item)
    for item, p in have.items():
        if item not in want and p.required:
            p.required = False
            p.version += 1
    session.flush()
    if any(added.values()):
        record(session, actor, "governance.requirements.sync", "use_case", uc.business_id,
               {"lanes": sorted(req.lanes), "practices": sorted(want)}, added)
    return added
