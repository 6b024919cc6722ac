"""Governance services: the only code that writes reviews, practices, evidence, impact assessments, risk
acceptances, waivers and pilots; and the authorization gate's answer.

Rules enforced here (not in the pages):
- the determination and the packs decide which review lanes and minimum practices a use case needs
  (``requirements_of``; lanes and routes are data, ``lanes.yaml``);
- separation of duties: nobody reviews their own use case; a member of the development team cannot be
  the independent reviewer (M-25-21 App. §4(b)(ii)(F)); a reviewer must hold the lane's role; ``admin``
  approves nothing (permission matrix); an assigned review is decided by its assignee;
- a practice is done only with evidence (the impact assessment: with a current signed risk acceptance);
  waived only through a CAIO's waiver; not applicable only with a reason;
- only the CAIO grants, certifies or revokes a waiver (not delegable) and certifies a pilot;
- risk acceptance signs the SHA-256 of the exact assessment version, the independent reviewer's comments
  included, and needs the independent review decided first.
Writes that change a current state lock the row and bump its ``version``, so two people acting at once
never overwrite each other: the second gets a Conflict naming what happened.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from raigov.audit.canonical import sha256_json
from raigov.audit.service import record
from raigov.clock import agency_today
from raigov.config import Settings
from raigov.db.base import utcnow
from raigov.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from raigov.governance import gate as G
from raigov.governance.lanes import GovernanceConfig, Lane, Requirements, config, requirements
from raigov.governance.models import (
    Evidence,
    EvidenceLink,
    ImpactAssessment,
    Pilot,
    Practice,
    Review,
    ReviewComment,
    ReviewCondition,
    RiskAcceptance,
    Waiver,
)
from raigov.governance.store import EvidenceStore, filename_for
from raigov.governance.vocab import (REVIEW_DECIDED, REVIEW_UNDECIDED, ConditionStatus, PilotStatus, PracticeStatus,
                                     ReviewStatus, WaiverStatus)
from raigov.policy.vocab import DeterminationStatus
from raigov.identity.models import User
from raigov.identity.permissions import Actor, can, require
from raigov.inventory import service as inventory
from raigov.inventory.models import UseCase
from raigov.policy import service as policy

DECISIONS = REVIEW_DECIDED
PRACTICE_STATUSES = tuple(PracticeStatus)
EVIDENCE_CATEGORIES = {
    "impact_assessment": "Impact assessment", "test_report": "Test report", "bias_test": "Bias / demographic test",
    "pia": "Privacy impact assessment (PIA)", "ato": "Authorization to operate (ATO)", "sorn": "System of records notice",
    "monitoring": "Monitoring plan or report", "training": "Operator training record", "procedure": "Procedure or plan",
    "feedback": "Public or user feedback", "other": "Other",
}
ASSESSMENT_SECTIONS = {
    "A_purpose_benefit": "(A) Intended purpose and expected benefit, compared with existing processes",
    "B_data_model_quality": "(B) Quality and appropriateness of the data and the model",
    "C_impacts": "(C) Potential impacts on privacy, civil rights and civil liberties; mitigations",
    "D_reassessment": "(D) Reassessment schedule and procedures",
    "E_costs": "(E) Related costs and expected savings",
}
ASSESSMENT_CITATION = "M-25-21 App. §4(b)(ii)(A)-(G)"
WAIVER_GROUNDS = {"increases-risk": "meeting the requirement would increase overall risks to safety or rights",
                  "impedes-operations": "meeting the requirement would create an unacceptable impediment to critical "
                                        "agency operations"}


def _today() -> dt.date:
    return agency_today()


def _clean(text: str | None, field: str, what: str) -> str:
    t = (text or "").strip()
    if not t:
        raise ValidationFailed.one(field, what, "missing")
    return t


def _user(session: Session, username: str, field: str = "username") -> User:
    u = session.scalar(select(User).where(User.username == (username or "").strip().lower()))
    if u is None or not u.is_active:
        raise ValidationFailed.one(field, f"no active user {username!r}")
    return u


def _component(uc: UseCase) -> str | None:
    return inventory._component_of(uc)


def _people(uc: UseCase, role: str | None = None) -> set[int]:
    return {p.user_id for p in uc.people if role is None or p.role == role}


# ---------------------------------------------------------------- requirements


_SCREENS_MAX = 20000
_screens: OrderedDict[tuple[str, str, str], object] = OrderedDict()
_screens_lock = threading.Lock()


def _screen_cached(content_hash: str, schema: str, pack_key: str, values):
    """The screen of one revision's content by one pack, cached by (content hash, schema, pack id@version):
    the content hash covers the schema, the answers and the extra columns, so the answers (``values``, or
    a callable returning them) are read only when the screen is not cached yet. Least recently used out
    past 20,000 entries; safe across threads."""
    key = (content_hash, schema, pack_key)
    with _screens_lock:
        res = _screens.get(key)
        if res is not None:
            _screens.move_to_end(key)
            return res
    from raigov.policy.packs import current_registry
    from raigov.policy.screen import screen

    answers = values() if callable(values) else values
    res = screen(json.loads(json.dumps(answers, sort_keys=True, default=str)), current_registry().get(pack_key),
                 schema=schema, with_trace=False)
    with _screens_lock:
        _screens[key] = res
        if len(_screens) > _SCREENS_MAX:
            _screens.popitem(last=False)
    return res


def _screen(rev, pack, values=None):
    """``rev``: a revision, or any row with ``schema`` and ``content_hash`` (then ``values`` loads the answers)."""
    return _screen_cached(rev.content_hash, rev.schema, pack.key, values if values is not None else lambda: rev.values)


def requirements_of(session: Session, uc: UseCase, cfg: GovernanceConfig | None = None) -> Requirements:
    """What the use case requires now: from the determination in force (or, until an official decides,
    the newest screen's presumption) and the packs' review and practice items."""
    from sqlalchemy import inspect

    from raigov.inventory.models import UseCaseRevision
    from raigov.policy.packs import current_registry

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
        if sc is not None:
            affirmative, basis = bool(sc.presumed), "screen"
        else:
            affirmative, basis = None, "none"
    review_items: list[dict] = []
    dhs_practices: list[dict] = []
    fr = bool(uc.is_face_recognition)
    if affirmative:  # the memo's reviews follow its presumption, which a determination overrides
        review_items += [{"item": f.item, "citation": f.citation} for f in _screen(rev, fpack, values).reviews]
    today = _today()
    for pid in cfg.agency_packs:
        try:
            p = reg.get(pid)
        except (KeyError, LookupError):
            continue
        if not p.in_force(today):
            continue
        res = _screen(rev, p, values)
        review_items += [{"item": f.item, "citation": f.citation} for f in res.reviews]
        dhs_practices += [{"item": f.item, "pack": p.key, "title": f.title, "citation": f.citation,
                           "timing": p.item(f.item).timing} for f in res.practices]
    if any(r["item"] in cfg.face_recognition_items for r in review_items):
        fr = True
    return requirements(cfg, affirmative=affirmative, basis=basis, framework=framework, decision=decision,
                        framework_pack=fpack, review_items=review_items, dhs_practices=dhs_practices,
                        face_recognition=fr)


def _lock_use_case(session: Session, uc: UseCase) -> None:
    """Serialise the writes that add rows to one use case (a review cycle, practices, a pilot): a second
    writer waits here until the first commits, then sees its rows."""
    session.execute(select(UseCase.id).where(UseCase.id == uc.id).with_for_update())


def sync_if_allowed(session: Session, actor: Actor, business_id: str) -> dict | None:
    """After a new screen or determination: ``sync`` when the actor may (the lanes and practices the use case
    needs may have changed); ``None`` when they may not, so that a determination alone does not fail."""
    uc = inventory.get_use_case(session, actor, business_id)
    if not can(actor, "governance.sync", _component(uc)):
        return None
    return sync(session, actor, business_id)


def sync(session: Session, actor: Actor, business_id: str) -> dict:
    """Open the reviews and create the practices the use case now requires (never deleting: a practice
    no longer required is marked so). Idempotent. Returns what was added."""
    uc = inventory.get_use_case(session, actor, business_id)
    require(actor, "governance.sync", _component(uc))
    _lock_use_case(session, uc)
    cfg = config()
    req = requirements_of(session, uc, cfg)
    added = {"reviews": [], "practices": []}
    current = {r.lane: r for r in _current_reviews(session, uc)}
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
            _comment(session, r, actor, "comment", f"withdrawn: no longer required ({req.basis})")
            added.setdefault("withdrawn", []).append(lane)
    have = {p.item: p for p in session.scalars(select(Practice).where(Practice.use_case_id == uc.id))}
    want = {p["item"]: p for p in req.practices}
    due = _today() + dt.timedelta(days=cfg.practice_due_days)
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


# ---------------------------------------------------------------- reviews


def _current_reviews(session: Session, uc: UseCase) -> list[Review]:
    """The newest cycle of each lane."""
    rows = session.scalars(select(Review).where(Review.use_case_id == uc.id).order_by(Review.lane, Review.cycle)).all()
    out: dict[str, Review] = {}
    for r in rows:
        out[r.lane] = r
    return list(out.values())


def reviews_of(session: Session, actor: Actor, business_id: str) -> list[Review]:
    uc = inventory.get_use_case(session, actor, business_id)
    return _current_reviews(session, uc)


def _review(session: Session, review_id: int, lock: bool = False) -> tuple[Review, UseCase]:
    q = select(Review).where(Review.id == review_id)
    if lock:  # the row as committed now, locked until this transaction ends
        q = q.with_for_update().execution_options(populate_existing=True)
    r = session.scalar(q)
    if r is None:
        raise NotFound(f"no review {review_id}")
    uc = session.get(UseCase, r.use_case_id)
    return r, uc


def lane_refusal(cfg: GovernanceConfig, actor: Actor, uc: UseCase, lane: Lane) -> str | None:
    """Why `actor` may not review `uc` in `lane` (None: they may)."""
    if actor.user_id is not None and actor.user_id in _people(uc, "developer") and lane.independent:
        return (f"{actor.username} is on the development team of {uc.business_id} and cannot be its independent "
                f"reviewer (M-25-21 App. §4(b)(ii)(F))")
    if actor.user_id is not None and actor.user_id in _people(uc):
        return f"{actor.username} is an owner or developer of {uc.business_id}: nobody reviews their own use case"
    comp = _component(uc)
    for g in actor.grants:
        if g.role not in lane.roles:
            continue
        if g.org_unit is None:
            return None
        if lane.scope == "component" and comp and g.org_unit in actor.unit_ancestors.get(comp, (comp,)):
            return None
    scope = f" for {comp}" if lane.scope == "component" and comp else ""
    return f"the {lane.title} lane is reviewed by {', '.join(lane.roles)}{scope}; {actor.username} holds none of these"


def _lane(cfg: GovernanceConfig, code: str) -> Lane:
    if code not in cfg.lanes:
        raise ValidationFailed.one("lane", f"unknown lane {code!r}; lanes are: {', '.join(cfg.lanes)}")
    return cfg.lanes[code]


def _comment(session, r: Review, actor: Actor, kind: str, body: str, decision: str | None = None) -> ReviewComment:
    c = ReviewComment(review_id=r.id, kind=kind, decision=decision, body=body, author_id=actor.user_id,
                      author=actor.label, created_at=utcnow())
    session.add(c)
    return c


def comment(session: Session, actor: Actor, review_id: int, body: str) -> ReviewComment:
    """A reviewer of the lane, a reviewer of another lane, or an owner answering, comments."""
    r, uc = _review(session, review_id)
    inventory._check_read(actor, uc)
    body = _clean(body, "body", "a comment needs text")
    if not (can(actor, "review.comment", _component(uc)) or (actor.user_id is not None and actor.user_id in _people(uc))):
        raise PermissionDenied(f"{actor.label} may not comment on reviews of {uc.business_id}")
    c = _comment(session, r, actor, "comment", body)
    session.flush()
    record(session, actor, "governance.review.comment", "review", r.id, {"comment": c.id},
           {"use_case": uc.business_id, "lane": r.lane})
    return c


def decide(session: Session, actor: Actor, review_id: int, decision: str, reason: str,
           conditions: list[str] | None = None, expected_version: int | None = None) -> Review:
    """Approve, approve with conditions (tracked to closure), deny, or request changes."""
    cfg = config()
    if decision not in (*DECISIONS, ReviewStatus.CHANGES_REQUESTED):
        raise ValidationFailed.one("decision", f"one of {', '.join((*DECISIONS, 'changes_requested'))}")
    reason = _clean(reason, "reason", "a review decision needs its written reason")
    conds = [c.strip() for c in (conditions or []) if c and c.strip()]
    if decision == "approved_with_conditions" and not conds:
        raise ValidationFailed.one("conditions", "an approval with conditions needs at least one condition", "missing")
    r, uc = _review(session, review_id, lock=True)
    require(actor, "review.decide", _component(uc))
    inventory._check_read(actor, uc)
    lane = _lane(cfg, r.lane)
    why = lane_refusal(cfg, actor, uc, lane)
    if why:
        raise PermissionDenied(why)
    if r.assignee_id is not None and r.assignee_id != actor.user_id:
        raise PermissionDenied(f"review {r.id} is assigned to {r.assignee.username}; they decide it (or delegate it)")
    if expected_version is not None and expected_version != r.version:
        raise Conflict(f"review {r.id} changed since you opened it (now {r.status.replace('_', ' ')}): reload")
    if r.status not in REVIEW_UNDECIDED:
        raise Conflict(f"the {lane.title} review of {uc.business_id} was already decided ({r.status.replace('_', ' ')} "
                       f"by {r.decided_by}); a new cycle must be opened to decide again")
    r.status = decision
    r.version += 1
    if decision != ReviewStatus.CHANGES_REQUESTED:
        r.decided_at, r.decided_by = utcnow(), actor.label
    _comment(session, r, actor, "decision" if decision != ReviewStatus.CHANGES_REQUESTED else "request_changes", reason, decision)
    for text in conds:
        due = _today() + dt.timedelta(days=cfg.review_due_days)
        session.add(ReviewCondition(review_id=r.id, text=text, due_on=due, status=ConditionStatus.OPEN))
    session.flush()
    record(session, actor, "governance.review.decide", "review", r.id,
           {"status": r.status, "version": r.version, "conditions": conds},
           {"use_case": uc.business_id, "lane": r.lane, "decision": decision})
    return r


def resubmit(session: Session, actor: Actor, review_id: int, note: str) -> Review:
    """The owner answers a change request: the review is open again."""
    r, uc = _review(session, review_id, lock=True)
    if not (actor.user_id in _people(uc) or can(actor, "usecase.edit", _component(uc))):
        raise PermissionDenied(f"{actor.label} may not answer reviews of {uc.business_id}")
    note = _clean(note, "note", "say what changed")
    if r.status != ReviewStatus.CHANGES_REQUESTED:
        raise Conflict(f"review {r.id} is {r.status.replace('_', ' ')}, not waiting for changes")
    r.status, r.version = ReviewStatus.OPEN, r.version + 1
    _comment(session, r, actor, "comment", note)
    session.flush()
    record(session, actor, "governance.review.resubmit", "review", r.id, {"status": r.status, "version": r.version},
           {"use_case": uc.business_id, "lane": r.lane})
    return r


def reopen(session: Session, actor: Actor, business_id: str, lane_code: str, reason: str) -> Review:
    """A new cycle of a lane (after a denial was answered, or a significant change)."""
    cfg = config()
    uc = inventory.get_use_case(session, actor, business_id)
    require(actor, "review.assign", _component(uc))
    _lane(cfg, lane_code)
    reason = _clean(reason, "reason", "say why the review opens again")
    _lock_use_case(session, uc)
    last = max((r for r in _current_reviews(session, uc) if r.lane == lane_code), key=lambda r: r.cycle, default=None)
    if last is not None and last.status in REVIEW_UNDECIDED:
        raise Conflict(f"the {lane_code} review of {uc.business_id} is still open")
    r = Review(use_case_id=uc.id, lane=lane_code, cycle=(last.cycle + 1) if last else 1, status=ReviewStatus.OPEN,
               required_by=last.required_by if last else [], revision_number=uc.revision_count, opened_at=utcnow())
    session.add(r)
    session.flush()
    _comment(session, r, actor, "comment", reason)
    record(session, actor, "governance.review.reopen", "review", r.id, {"cycle": r.cycle},
           {"use_case": uc.business_id, "lane": lane_code, "reason": reason[:200]})
    return r


def assign(session: Session, actor: Actor, review_id: int, username: str | None) -> Review:
    """Assign (or unassign) a review to an eligible reviewer: a lead or the CAIO's office, or the current
    assignee handing it on (delegation within the rules: the new reviewer must be eligible too)."""
    cfg = config()
    r, uc = _review(session, review_id, lock=True)
    is_assignee = r.assignee_id is not None and r.assignee_id == actor.user_id
    if not is_assignee:
        require(actor, "review.assign", _component(uc))
    if r.status not in REVIEW_UNDECIDED:
        raise Conflict(f"review {r.id} is already decided")
    target = None
    if username:
        target = _user(session, username)
        from raigov.identity import service as identity

        why = lane_refusal(cfg, identity.actor_for(session, target), uc, _lane(cfg, r.lane))
        if why:
            raise ValidationFailed.one("username", why)
    r.assignee_id = target.id if target else None
    r.version += 1
    _comment(session, r, actor, "assign", f"assigned to {target.username}" if target else "unassigned")
    session.flush()
    record(session, actor, "governance.review.assign", "review", r.id, {"assignee": target.username if target else None},
           {"use_case": uc.business_id, "lane": r.lane, "by": "delegation" if is_assignee else "assignment"})
    return r


def close_condition(session: Session, actor: Actor, condition_id: int, note: str) -> ReviewCondition:
    """A condition of an approval is met: closed by a reviewer of its lane (not by the owner)."""
    cfg = config()
    c = session.scalar(select(ReviewCondition).where(ReviewCondition.id == condition_id).with_for_update()
                       .execution_options(populate_existing=True))
    if c is None:
        raise NotFound(f"no condition {condition_id}")
    r, uc = _review(session, c.review_id)
    require(actor, "review.decide", _component(uc))
    why = lane_refusal(cfg, actor, uc, _lane(cfg, r.lane))
    if why:
        raise PermissionDenied(why)
    note = _clean(note, "note", "say how the condition was met")
    if c.status == ConditionStatus.CLOSED:
        raise Conflict(f"condition {c.id} was already closed by {c.closed_by}")
    c.status, c.closed_at, c.closed_by, c.closure_note = ConditionStatus.CLOSED, utcnow(), actor.label, note
    session.flush()
    record(session, actor, "governance.condition.close", "review", r.id, {"condition": c.id, "status": "closed"},
           {"use_case": uc.business_id, "lane": r.lane})
    return c


@dataclass
class QueueRow:
    review: Review
    business_id: str
    name: str
    component: str | None
    lane_title: str
    age_days: int
    overdue: bool
    assignee: str | None


def may_queue_all(actor: Actor) -> bool:
    """May `actor` see the queue of every lane (not only the lanes they review)? Those who assign reviews (the
    CAIO, delegates, component AI leads: each still sees only the use cases they may read) and the operator's
    shell (`raigov review queue`)."""
    return actor.kind == "system" or can(actor, "review.assign")


def queue(session: Session, actor: Actor, lane: str | None = None, include_all: bool = False) -> list[QueueRow]:
    """Open reviews, oldest first: by default those of the lanes the actor may review; `include_all`: every
    lane, for those who may (`may_queue_all`; PermissionDenied otherwise)."""
    cfg = config()
    require(actor, "usecase.read")
    if include_all and not may_queue_all(actor):
        raise PermissionDenied(f"{actor.label} may see the reviews of their own lanes only: the queue of every lane "
                               "is for those who assign reviews")
    q = select(Review, UseCase).join(UseCase, UseCase.id == Review.use_case_id).where(
        Review.status.in_(REVIEW_UNDECIDED), UseCase.status != "retired").order_by(Review.opened_at)
    if lane:
        _lane(cfg, lane)
        q = q.where(Review.lane == lane)
    lanes_of_actor = {c for c, ln in cfg.lanes.items() if set(ln.roles) & actor.roles}
    now = utcnow()
    out = []
    for r, uc in session.execute(q):
        if not include_all and r.lane not in lanes_of_actor:
            continue
        if not can(actor, "usecase.read_draft" if uc.status == "draft" else "usecase.read", _component(uc)):
            continue
        ln = cfg.lanes.get(r.lane)
        if ln is not None and ln.scope == "component" and not include_all and lane_refusal(cfg, actor, uc, ln):
            continue
        age = (now - r.opened_at).days
        out.append(QueueRow(r, uc.business_id, uc.name, _component(uc), ln.title if ln else r.lane, age,
                            age > cfg.review_due_days, r.assignee.username if r.assignee else None))
    return out


@dataclass
class QueueView:
    """The review queue as a page shows it: `include_all` is whether every lane is shown (asked for and allowed)."""

    rows: list[QueueRow]
    include_all: bool
    may_include_all: bool


def queue_view(session: Session, actor: Actor, lane: str | None = None, include_all: bool = False) -> QueueView:
    """The queue for a page: asking for every lane without the right (`may_queue_all`) shows the actor's own
    lanes instead of refusing."""
    allowed = may_queue_all(actor)
    shown = include_all and allowed
    return QueueView(queue(session, actor, lane, include_all=shown), shown, allowed)


# ---------------------------------------------------------------- practices


def practices_of(session: Session, actor: Actor, business_id: str) -> list[Practice]:
    uc = inventory.get_use_case(session, actor, business_id)
    return list(session.scalars(select(Practice).where(Practice.use_case_id == uc.id).order_by(Practice.id)))


def _practice(session: Session, uc: UseCase, item: str, lock: bool = False) -> Practice:
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
    require(actor, "practice.update", _component(uc))
    p = _practice(session, uc, item, lock=True)
    if expected_version is not None and expected_version != p.version:
        raise Conflict(f"practice {item} changed since you opened it (now {p.status.replace('_', ' ')}): reload")
    changes: dict = {}
    owner_id = (_user(session, owner, "owner").id if owner else None) if owner is not None else p.owner_id
    if status is not None and status != p.status:
        if status not in PRACTICE_STATUSES:
            raise ValidationFailed.one("status", f"one of {', '.join(PRACTICE_STATUSES)}")
        if status == PracticeStatus.WAIVED:
            raise ValidationFailed.one("status", "a practice is waived only by the Chief AI Officer's waiver")
        if p.status == PracticeStatus.WAIVED and _active_waiver(session, uc, item) is not None:
            raise ValidationFailed.one("status", f"{item} is waived: the waiver must be revoked first")
        if status == PracticeStatus.NOT_APPLICABLE:
            reason = _clean(reason, "reason", "say why the practice does not apply")
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


# ---------------------------------------------------------------- evidence


def evidence_store(settings: Settings) -> EvidenceStore:
    return EvidenceStore(settings.data_dir / "evidence", settings.upload_limit_bytes)


def _evidence_common(category: str, title: str, dated_on: dt.date | None, expires_on: dt.date | None):
    if category not in EVIDENCE_CATEGORIES:
        raise ValidationFailed.one("category", f"one of {', '.join(EVIDENCE_CATEGORIES)}")
    title = _clean(title, "title", "evidence needs a title")
    dated_on = dated_on or _today()
    if expires_on is not None and expires_on <= dated_on:
        raise ValidationFailed.one("expires_on", "the expiry must come after the evidence's date")
    return title[:500], dated_on


def check_attach(session: Session, actor: Actor, business_id: str) -> None:
    """May ``actor`` attach evidence to ``business_id``? Asked by the adapters before they read an uploaded
    body, so that a refused caller neither leaves a file behind nor learns what the form would accept."""
    uc = inventory.get_use_case(session, actor, business_id)
    require(actor, "evidence.attach", _component(uc))


def add_file(session: Session, actor: Actor, settings: Settings, business_id: str, data: bytes, *, filename: str,
             title: str, category: str, dated_on: dt.date | None = None, expires_on: dt.date | None = None,
             practice: str | None = None, details: dict | None = None) -> Evidence:
    """Store a file (content-addressed) and attach it to a use case (and one of its practices)."""
    uc = inventory.get_use_case(session, actor, business_id)
    require(actor, "evidence.attach", _component(uc))
    title, dated_on = _evidence_common(category, title, dated_on, expires_on)
    pr = _practice(session, uc, practice) if practice else None
    digest, media, size = evidence_store(settings).put(data, filename)
    # the name keeps the extension of the type sniffed from the bytes, not the one given (x.html as text -> x.txt)
    ev = Evidence(kind="file", category=category, title=title, sha256=digest,
                  filename=filename_for(filename or digest, media)[-300:],
                  media_type=media, size=size, dated_on=dated_on, expires_on=expires_on, component=_component(uc),
                  owner_id=actor.user_id, owner=actor.label, details=details or {}, created_at=utcnow())
    session.add(ev)
    session.flush()
    _link(session, actor, ev, uc, pr)
    return ev


def add_link(session: Session, actor: Actor, business_id: str, *, url: str, title: str, category: str,
             dated_on: dt.date | None = None, expires_on: dt.date | None = None, practice: str | None = None) -> Evidence:
    from urllib.parse import urlsplit

    uc = inventory.get_use_case(session, actor, business_id)
    require(actor, "evidence.attach", _component(uc))
    title, dated_on = _evidence_common(category, title, dated_on, expires_on)
    url = _clean(url, "url", "a link needs its address")
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc or len(url) > 2000:
        raise ValidationFailed.one("url", "an http(s) address")
    pr = _practice(session, uc, practice) if practice else None
    ev = Evidence(kind="link", category=category, title=title, url=url, dated_on=dated_on, expires_on=expires_on,
                  component=_component(uc), owner_id=actor.user_id, owner=actor.label, details={}, created_at=utcnow())
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
    return link


def link_evidence(session: Session, actor: Actor, evidence_id: int, business_id: str,
                  practice: str | None = None) -> EvidenceLink:
    """Reuse a piece of evidence on another use case (or practice): a link, never a copy."""
    uc = inventory.get_use_case(session, actor, business_id)
    require(actor, "evidence.attach", _component(uc))
    ev = session.get(Evidence, evidence_id)
    if ev is None:
        raise ValidationFailed.one("evidence", f"no evidence {evidence_id}")
    if not may_read_evidence(session, actor, ev):  # else a link would make it readable through this use case
        raise PermissionDenied(f"{actor.label} may not use evidence {evidence_id}")
    pr = _practice(session, uc, practice) if practice else None
    return _link(session, actor, ev, uc, pr)


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
        from raigov.evaluation import service as evaluation

        try:
            run = evaluation.get_run(session, actor, run_id)
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
    require(actor, "practice.update", _component(uc))
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
    a = ImpactAssessment(use_case_id=uc.id, number=n, content=content, sha256=_sha(content), created_at=utcnow(),
                         created_by=actor.label)
    session.add(a)
    session.flush()
    record(session, actor, "governance.assessment.save", "use_case", uc.business_id, {"number": n, "sha256": a.sha256},
           {"assessment": n, "sha256": a.sha256})
    return a


def _sha(obj) -> str:
    return sha256_json(obj)


def latest_assessment(session: Session, uc: UseCase) -> ImpactAssessment | None:
    return session.scalars(select(ImpactAssessment).where(ImpactAssessment.use_case_id == uc.id)
                           .order_by(ImpactAssessment.number.desc()).limit(1)).first()


def independent_review_comments(session: Session, uc: UseCase) -> list[dict]:
    cfg = config()
    lanes = {c for c, ln in cfg.lanes.items() if ln.independent}
    out = []
    for r in _current_reviews(session, uc):
        if r.lane in lanes:
            out += [_comment_entry(r.lane, r.cycle, c.author, c.kind, c.decision, c.body, c.created_at)
                    for c in r.comments if c.kind != "assign"]
    return out


def _comment_entry(lane, cycle, author, kind, decision, body, at) -> dict:
    return {"lane": lane, "cycle": cycle, "author": author, "kind": kind, "decision": decision, "body": body,
            "at": at.isoformat()}


def _package_body(business_id: str, number: int, assessment_sha256: str, sections: dict, comments: list[dict]) -> dict:
    """What a risk acceptance signs (its SHA-256 is the signature's); the one definition for the page and the gate."""
    return {"use_case": business_id, "assessment": number, "assessment_sha256": assessment_sha256,
            "sections": sections, "independent_review": comments}


def acceptance_package(session: Session, uc: UseCase) -> dict | None:
    """Exactly what the risk-accepting official signs: the assessment version, its sections and the
    independent reviewer's comments; its SHA-256 is what the signature records."""
    a = latest_assessment(session, uc)
    if a is None:
        return None
    body = _package_body(uc.business_id, a.number, a.sha256, a.content, independent_review_comments(session, uc))
    return {**body, "sha256": _sha(body), "assessment_id": a.id}


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
    require(actor, "risk.accept", _component(uc))
    if actor.user_id is not None and actor.user_id in _people(uc):
        raise PermissionDenied(f"{actor.username} is an owner or developer of {uc.business_id} and cannot accept its risk")
    statement = _clean(statement, "statement", "the risk acceptance needs its statement")
    pkg = acceptance_package(session, uc)
    if pkg is None:
        raise ValidationFailed.one("assessment", f"{uc.business_id} has no impact assessment to accept")
    if package_sha256 != pkg["sha256"]:
        raise Conflict("the impact assessment or the independent review changed since you read it: read it again "
                       "before signing")
    req = requirements_of(session, uc, cfg)
    indep = [c for c in req.lanes if cfg.lanes[c].independent]
    current = {r.lane: r for r in _current_reviews(session, uc)}
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


# ---------------------------------------------------------------- waivers and pilots


def _active_waiver(session: Session, uc: UseCase, item: str) -> Waiver | None:
    return session.scalar(select(Waiver).where(Waiver.use_case_id == uc.id, Waiver.practice_item == item,
                                               Waiver.status == WaiverStatus.ACTIVE))


def _caio_only(actor: Actor, what: str) -> None:
    if not actor.has_role("caio"):
        raise PermissionDenied(f"only the Chief AI Officer {what} (M-25-21 App. §4(a)(ii): not delegable)")


def grant_waiver(session: Session, actor: Actor, business_id: str, practice: str, *, grounds: str, determination: str,
                 risk_assessment: str, public_summary: str, expires_on: dt.date) -> Waiver:
    uc = inventory.get_use_case(session, actor, business_id)
    _caio_only(actor, "grants a waiver")
    require(actor, "waiver.grant")
    if grounds not in WAIVER_GROUNDS:
        raise ValidationFailed.one("grounds", f"one of {', '.join(WAIVER_GROUNDS)}")
    determination = _clean(determination, "determination", "a waiver needs the CAIO's written determination")
    risk_assessment = _clean(risk_assessment, "risk_assessment", "a waiver needs its system- and context-specific "
                             "risk assessment")
    public_summary = _clean(public_summary, "public_summary", "a waiver needs a public summary (M-25-21 App. §4(a)(iv))")
    today = _today()
    if expires_on <= today:
        raise ValidationFailed.one("expires_on", "a waiver's expiry must be in the future")
    p = _practice(session, uc, practice, lock=True)
    if _active_waiver(session, uc, practice) is not None:
        raise Conflict(f"{practice} of {uc.business_id} is already waived")
    w = Waiver(use_case_id=uc.id, practice_item=practice, grounds=grounds, determination=determination,
               risk_assessment=risk_assessment, public_summary=public_summary, status=WaiverStatus.ACTIVE, granted_by=actor.label,
               granted_at=utcnow(), expires_on=expires_on, certified_on=today,
               omb_report_due=today + dt.timedelta(days=30))
    session.add(w)
    p.status, p.status_reason, p.version = PracticeStatus.WAIVED, f"waiver granted by {actor.label}", p.version + 1
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
    require(actor, "waiver.grant")
    w, uc = _waiver(session, waiver_id)
    note = _clean(note, "note", "say why the waiver remains valid")
    if w.status != WaiverStatus.ACTIVE:
        raise Conflict(f"waiver {w.id} is {w.status}")
    w.certified_on, w.version = _today(), w.version + 1
    session.flush()
    record(session, actor, "governance.waiver.certify", "waiver", w.id, {"certified_on": w.certified_on.isoformat()},
           {"use_case": uc.business_id, "practice": w.practice_item, "note": note[:200]})
    return w


def revoke_waiver(session: Session, actor: Actor, waiver_id: int, reason: str) -> Waiver:
    _caio_only(actor, "revokes a waiver")
    require(actor, "waiver.revoke")
    w, uc = _waiver(session, waiver_id)
    reason = _clean(reason, "reason", "a revocation needs its reason")
    if w.status != WaiverStatus.ACTIVE:
        raise Conflict(f"waiver {w.id} is already {w.status}")
    today = _today()
    w.status, w.revoked_at, w.revoked_by, w.revoke_reason = WaiverStatus.REVOKED, utcnow(), actor.label, reason
    w.omb_report_due, w.omb_reported_on, w.version = today + dt.timedelta(days=30), None, w.version + 1
    p = _practice(session, uc, w.practice_item, lock=True)
    p.status, p.status_reason, p.version = PracticeStatus.IN_PROGRESS, f"waiver {w.id} revoked", p.version + 1
    p.updated_at, p.updated_by = utcnow(), actor.label
    session.flush()
    record(session, actor, "governance.waiver.revoke", "waiver", w.id, {"status": "revoked"},
           {"use_case": uc.business_id, "practice": w.practice_item, "reason": reason[:200],
            "omb_report_due": w.omb_report_due.isoformat()})
    return w


def mark_waiver_reported(session: Session, actor: Actor, waiver_id: int, reported_on: dt.date | None = None) -> Waiver:
    """Record that the grant or revocation was reported to OMB (stops the 30-day clock)."""
    require(actor, "waiver.report")
    w, uc = _waiver(session, waiver_id)
    w.omb_reported_on, w.version = reported_on or _today(), w.version + 1
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
    require(actor, "pilot.certify")
    scale = _clean(scale, "scale", "a pilot's limited scale, in words")
    opt_in_out = _clean(opt_in_out, "opt_in_out", "how people may opt in and out of the pilot (or why they cannot)")
    practices_applied = _clean(practices_applied, "practices_applied", "which practices the pilot applies")
    if ends_on <= starts_on:
        raise ValidationFailed.one("ends_on", "a pilot ends after it starts")
    if (ends_on - starts_on).days > cfg.pilot_max_days:
        raise ValidationFailed.one("ends_on", f"a pilot lasts at most {cfg.pilot_max_days} days (limited duration)")
    if max_participants is not None and max_participants <= 0:
        raise ValidationFailed.one("max_participants", "a positive number")
    _lock_use_case(session, uc)
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
    require(actor, "pilot.certify")
    p = session.scalar(select(Pilot).where(Pilot.id == pilot_id).with_for_update())
    if p is None:
        raise NotFound(f"no pilot {pilot_id}")
    reason = _clean(reason, "reason", "say why the pilot ends")
    if p.status != PilotStatus.ACTIVE:
        raise Conflict(f"pilot {p.id} is already {p.status}")
    p.status, p.ended_at, p.end_reason = PilotStatus.ENDED, utcnow(), reason
    session.flush()
    uc = session.get(UseCase, p.use_case_id)
    record(session, actor, "governance.pilot.end", "pilot", p.id, {"status": "ended"},
           {"use_case": uc.business_id, "reason": reason[:200]})
    return p


def pilots_of(session: Session, actor: Actor, business_id: str | None = None) -> list[Pilot]:
    q = select(Pilot).order_by(Pilot.id)
    if business_id:
        uc = inventory.get_use_case(session, actor, business_id)
        q = q.where(Pilot.use_case_id == uc.id)
    else:
        require(actor, "usecase.read")
    return list(session.scalars(q))


# ---------------------------------------------------------------- the gate


def gate_input(session: Session, uc: UseCase, cfg: GovernanceConfig | None = None,
               req: Requirements | None = None) -> G.GateInput:
    """The gate's snapshot of the use case. Reads only what the answer depends on, as columns: the reviews
    with their overdue conditions counted in the same query, the practices when some are required, the
    waivers when a practice is waived, and the risk acceptance in two queries."""
    cfg = cfg or config()
    req = req or requirements_of(session, uc, cfg)
    today = _today()
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
    practices = []
    if req.practices:
        stored = {item: status for item, status in
                  session.execute(select(Practice.item, Practice.status).where(Practice.use_case_id == uc.id))}
        practices = [G.PracticeState(p["item"], p["title"], stored.get(p["item"], PracticeStatus.NOT_STARTED), p["citation"])
                     for p in req.practices]
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
    last_bias = None
    for eid, title, exp, cat, dated in evid:
        if cat == "bias_test" and (last_bias is None or dated > last_bias):
            last_bias = dated
        if eid not in seen:
            seen.add(eid)
            evidence.append(G.EvidenceState(eid, title, exp))
    needs_acceptance = needs_acceptance and \
        not any(p.item in G.IMPACT_ASSESSMENT_ITEMS and p.status in (PracticeStatus.WAIVED, PracticeStatus.NOT_APPLICABLE) for p in practices)
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
            comments = [_comment_entry(lane, cycle, *c) for lane, rid, cycle in sorted(independent)
                        for c in said[rid]]
            body = _package_body(uc.business_id, number, a_sha, content, comments)
            acceptance = "current" if _sha(body) == signed else "stale"
    return G.GateInput(business_id=uc.business_id, status=uc.status, affirmative=req.affirmative, basis=req.basis,
                       face_recognition=req.face_recognition, reviews=reviews, practices=practices, waivers=waivers,
                       pilots=pilots, evidence=evidence, risk_acceptance=acceptance,
                       last_bias_test=last_bias, bias_test_max_age_days=cfg.bias_test_max_age_days)


def authorization(session: Session, actor: Actor, business_id: str, now: dt.datetime | None = None) -> G.GateAnswer:
    """Is the use case authorized now? For operational systems (service tokens) and the use case page.
    Answers for drafts too (not authorized) without showing their content. Reads the use case with its org
    unit only: the gate needs neither its people, its search text nor its earlier revisions
    (``requirements_of`` reads the newest revision's content hash, and its answers only when their screen
    is not cached)."""
    from sqlalchemy.orm import defer, joinedload

    from raigov.inventory.formats import normalize_id

    uc = session.scalar(select(UseCase).options(joinedload(UseCase.org_unit), defer(UseCase.search_text))
                        .where(UseCase.business_id == normalize_id(business_id)))
    if uc is None:
        raise NotFound(f"no use case {business_id}")
    require(actor, "gate.query", _component(uc))
    now = now or utcnow()
    return G.decide(gate_input(session, uc), now, agency_today(now=now))


# ---------------------------------------------------------------- read views for the adapters
# The pages, the API and the CLI call these (never the private helpers above): each checks that the actor may
# read what it returns, and says what the actor may do there, so an adapter only renders.


def review_use_case(session: Session, actor: Actor, review_id: int) -> UseCase:
    """The use case a review belongs to, for someone who may read it (NotFound, PermissionDenied)."""
    _r, uc = _review(session, review_id)
    inventory._check_read(actor, uc)
    return uc


def use_case_gate(session: Session, actor: Actor, uc: UseCase) -> dict | None:
    """The gate's answer as the API gives it (``GateAnswer.as_dict()``), for the use case page: None when the
    actor may neither query the gate nor read use cases of the component (a person named on the use case
    reads it without either)."""
    comp = _component(uc)
    if not can(actor, "gate.query", comp) and not can(actor, "usecase.read", comp):
        return None
    now = utcnow()
    return G.decide(gate_input(session, uc), now, agency_today(now=now)).as_dict()


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
    practices: list[Practice]
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
    comp = _component(uc)
    req = requirements_of(session, uc, cfg)
    now = now or utcnow()
    answer = G.decide(gate_input(session, uc, cfg, req), now, agency_today(now=now)).as_dict()
    current = {r.lane: r for r in _current_reviews(session, uc)}
    may_decide, may_assign = can(actor, "review.decide", comp), can(actor, "review.assign", comp)
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
    practices = list(session.scalars(select(Practice).where(Practice.use_case_id == uc.id).order_by(Practice.id)))
    evidence = list(session.execute(select(EvidenceLink, Evidence).join(Evidence, Evidence.id == EvidenceLink.evidence_id)
                                    .where(EvidenceLink.use_case_id == uc.id).order_by(EvidenceLink.id)))
    pkg = acceptance_package(session, uc)
    is_person = actor.user_id is not None and actor.user_id in _people(uc)
    return GovernanceView(
        use_case=uc, component=comp, requirements=req, answer=answer, lanes=lanes, practices=practices,
        evidence=evidence, assessment=latest_assessment(session, uc), package=pkg,
        risk_acceptance=latest_risk_acceptance(session, uc), risk_acceptance_state=risk_acceptance_state(session, uc),
        waivers=list(session.scalars(select(Waiver).where(Waiver.use_case_id == uc.id).order_by(Waiver.id))),
        pilots=list(session.scalars(select(Pilot).where(Pilot.use_case_id == uc.id).order_by(Pilot.id))),
        determination=policy.current_determination(session, uc), is_person=is_person,
        can_update=can(actor, "practice.update", comp), can_attach=can(actor, "evidence.attach", comp),
        can_accept=can(actor, "risk.accept", comp) and not is_person and pkg is not None,
        is_caio=actor.has_role("caio"), can_sync=can(actor, "governance.sync", comp),
        can_submit=uc.status == "draft" and can(actor, "usecase.edit", comp),
        can_comment=can(actor, "review.comment", comp) or is_person)


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
    from raigov.governance.dashboard import scope_of

    if status is not None and status not in WAIVER_LIST_STATUSES:
        raise ValidationFailed.one("status", f"one of {', '.join(WAIVER_LIST_STATUSES)}")
    if expiring_within_days is not None and expiring_within_days < 0:
        raise ValidationFailed.one("expiring_within_days", "a number of days, 0 or more")
    scope = scope_of(session, actor)  # PermissionDenied for someone who may read no use case
    today = today or _today()
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
