"""Reviews: the only code that writes reviews, their comments and their conditions.

A use case's reviews run in lanes (``lanes.yaml``); each lane has cycles, the newest being its current
review. Separation of duties: nobody reviews their own use case; a member of the development team cannot
be the independent reviewer (M-25-21 App. §4(b)(ii)(F)); a reviewer must hold the lane's role; an assigned
review is decided by its assignee. Writes lock the review and bump its ``version``: the second of two
people acting at once gets a Conflict naming what happened.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from raigov.audit.service import record
from raigov.clock import agency_today
from raigov.db.base import utcnow
from raigov.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from raigov.governance.common import active_user, clean, component_of, lock_use_case, people
from raigov.governance.lanes import GovernanceConfig, Lane, config
from raigov.governance.models import Review, ReviewComment, ReviewCondition
from raigov.governance.vocab import REVIEW_DECIDED, REVIEW_UNDECIDED, ConditionStatus, ReviewStatus
from raigov.identity import service as identity
from raigov.identity.models import RoleAssignment, User
from raigov.identity.permissions import Actor, can, require
from raigov.identity.roles import roles_in_words
from raigov.inventory import service as inventory
from raigov.inventory.models import UseCase
from raigov.inventory.vocab import UseCaseStatus

DECISIONS = REVIEW_DECIDED


def current_reviews(session: Session, uc: UseCase) -> list[Review]:
    """The newest cycle of each lane."""
    rows = session.scalars(select(Review).where(Review.use_case_id == uc.id).order_by(Review.lane, Review.cycle)).all()
    out: dict[str, Review] = {}
    for r in rows:
        out[r.lane] = r
    return list(out.values())


def reviews_of(session: Session, actor: Actor, business_id: str) -> list[Review]:
    uc = inventory.get_use_case(session, actor, business_id)
    return current_reviews(session, uc)


def load_review(session: Session, review_id: int, lock: bool = False) -> tuple[Review, UseCase]:
    """The review `review_id` and its use case (NotFound); `lock`: the row as committed now, locked until
    the transaction ends. No permission check: the caller checks."""
    q = select(Review).where(Review.id == review_id)
    if lock:  # the row as committed now, locked until this transaction ends
        q = q.with_for_update().execution_options(populate_existing=True)
    r = session.scalar(q)
    if r is None:
        raise NotFound(f"no review {review_id}")
    uc = session.get(UseCase, r.use_case_id)
    return r, uc


def lane_refusal(cfg: GovernanceConfig, actor: Actor, uc: UseCase, lane: Lane, subject: str | None = None) -> str | None:
    """Why `actor` may not review `uc` in `lane` (None: they may), in words: roles by their titles, never their
    ids. `subject` names the person when the reader is someone else (an assignment); by default "you"."""
    who, are, hold = (subject, "is", "does not hold") if subject else ("you", "are", "do not hold")
    if actor.user_id is not None and actor.user_id in people(uc, "developer") and lane.independent:
        return (f"{who} {are} on the development team of {uc.business_id}, so cannot be its independent "
                f"reviewer (M-25-21 App. §4(b)(ii)(F))")
    if actor.user_id is not None and actor.user_id in people(uc):
        return f"{who} {are} an owner or developer of {uc.business_id}, and nobody reviews their own use case"
    comp = component_of(uc)
    for g in actor.grants:
        if g.role not in lane.roles:
            continue
        if g.org_unit is None:
            return None
        if lane.scope == "component" and comp and g.org_unit in actor.unit_ancestors.get(comp, (comp,)):
            return None
    scope = f" for {comp}" if lane.scope == "component" and comp else ""
    return f"the {lane.title} review is decided by {roles_in_words(lane.roles)}{scope}; {who} {hold} that role"


def _lane(cfg: GovernanceConfig, code: str) -> Lane:
    if code not in cfg.lanes:
        raise ValidationFailed.one("lane", f"unknown lane {code!r}; lanes are: {', '.join(cfg.lanes)}")
    return cfg.lanes[code]


def add_comment(session, r: Review, actor: Actor, kind: str, body: str, decision: str | None = None) -> ReviewComment:
    """Add a comment of `kind` to the review (no permission check, no audit event: the caller's write
    records one)."""
    c = ReviewComment(review_id=r.id, kind=kind, decision=decision, body=body, author_id=actor.user_id,
                      author=actor.label, created_at=utcnow())
    session.add(c)
    return c


def comment(session: Session, actor: Actor, review_id: int, body: str) -> ReviewComment:
    """A reviewer of the lane, a reviewer of another lane, or an owner answering, comments."""
    r, uc = load_review(session, review_id)
    inventory.check_read(actor, uc)
    body = clean(body, "body", "a comment needs text")
    if not (can(actor, "governance.review.comment", component_of(uc))
            or (actor.user_id is not None and actor.user_id in people(uc))):
        raise PermissionDenied(f"{actor.label} may not comment on reviews of {uc.business_id}")
    c = add_comment(session, r, actor, "comment", body)
    session.flush()
    record(session, actor, "governance.review.comment", "review", r.id, {"comment": c.id},
           {"use_case": uc.business_id, "lane": r.lane})
    return c


def decide(session: Session, actor: Actor, review_id: int, decision: str, reason: str,
           conditions: list[str] | None = None, expected_version: int | None = None) -> Review:
    """Approve, approve with conditions (tracked to closure), deny, or request changes."""
    cfg = config()
    if decision not in (*DECISIONS, ReviewStatus.CHANGES_REQUESTED):
        raise ValidationFailed.one("decision", f"one of {', '.join((*DECISIONS, ReviewStatus.CHANGES_REQUESTED))}")
    reason = clean(reason, "reason", "a review decision needs its written reason")
    conds = [c.strip() for c in (conditions or []) if c and c.strip()]
    if decision == ReviewStatus.APPROVED_WITH_CONDITIONS and not conds:
        raise ValidationFailed.one("conditions", "an approval with conditions needs at least one condition", "missing")
    r, uc = load_review(session, review_id, lock=True)
    require(actor, "governance.review.decide", component_of(uc))
    inventory.check_read(actor, uc)
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
    add_comment(session, r, actor, "decision" if decision != ReviewStatus.CHANGES_REQUESTED else "request_changes", reason,
                decision)
    for text in conds:
        due = agency_today() + dt.timedelta(days=cfg.review_due_days)
        session.add(ReviewCondition(review_id=r.id, text=text, due_on=due, status=ConditionStatus.OPEN))
    session.flush()
    record(session, actor, "governance.review.decide", "review", r.id,
           {"status": r.status, "version": r.version, "conditions": conds},
           {"use_case": uc.business_id, "lane": r.lane, "decision": decision})
    return r


def resubmit(session: Session, actor: Actor, review_id: int, note: str) -> Review:
    """The owner answers a change request: the review is open again."""
    r, uc = load_review(session, review_id, lock=True)
    if not (actor.user_id in people(uc) or can(actor, "inventory.use_case.revise", component_of(uc))):
        raise PermissionDenied(f"{actor.label} may not answer reviews of {uc.business_id}")
    note = clean(note, "note", "say what changed")
    if r.status != ReviewStatus.CHANGES_REQUESTED:
        raise Conflict(f"review {r.id} is {r.status.replace('_', ' ')}, not waiting for changes")
    r.status, r.version = ReviewStatus.OPEN, r.version + 1
    add_comment(session, r, actor, "comment", note)
    session.flush()
    record(session, actor, "governance.review.resubmit", "review", r.id, {"status": r.status, "version": r.version},
           {"use_case": uc.business_id, "lane": r.lane})
    return r


def reopen(session: Session, actor: Actor, business_id: str, lane_code: str, reason: str) -> Review:
    """A new cycle of a lane (after a denial was answered, or a significant change)."""
    cfg = config()
    uc = inventory.get_use_case(session, actor, business_id)
    require(actor, "governance.review.assign", component_of(uc))
    _lane(cfg, lane_code)
    reason = clean(reason, "reason", "say why the review opens again")
    lock_use_case(session, uc)
    last = max((r for r in current_reviews(session, uc) if r.lane == lane_code), key=lambda r: r.cycle, default=None)
    if last is not None and last.status in REVIEW_UNDECIDED:
        raise Conflict(f"the {lane_code} review of {uc.business_id} is still open")
    r = Review(use_case_id=uc.id, lane=lane_code, cycle=(last.cycle + 1) if last else 1, status=ReviewStatus.OPEN,
               required_by=last.required_by if last else [], revision_number=uc.revision_count, opened_at=utcnow())
    session.add(r)
    session.flush()
    add_comment(session, r, actor, "comment", reason)
    record(session, actor, "governance.review.reopen", "review", r.id, {"cycle": r.cycle},
           {"use_case": uc.business_id, "lane": lane_code, "reason": reason[:200]})
    return r


def assign(session: Session, actor: Actor, review_id: int, username: str | None) -> Review:
    """Assign (or unassign) a review to an eligible reviewer: a lead or the CAIO's office, or the current
    assignee handing it on (delegation within the rules: the new reviewer must be eligible too)."""
    cfg = config()
    r, uc = load_review(session, review_id, lock=True)
    is_assignee = r.assignee_id is not None and r.assignee_id == actor.user_id
    if not is_assignee:
        require(actor, "governance.review.assign", component_of(uc))
    if r.status not in REVIEW_UNDECIDED:
        raise Conflict(f"review {r.id} is already decided")
    target = None
    if username:
        target = active_user(session, username)

        why = lane_refusal(cfg, identity.actor_for(session, target), uc, _lane(cfg, r.lane), subject=target.username)
        if why:
            raise ValidationFailed.one("username", why)
    r.assignee_id = target.id if target else None
    r.version += 1
    add_comment(session, r, actor, "assign", f"assigned to {target.username}" if target else "unassigned")
    session.flush()
    record(session, actor, "governance.review.assign", "review", r.id, {"assignee": target.username if target else None},
           {"use_case": uc.business_id, "lane": r.lane, "by": "delegation" if is_assignee else "assignment"})
    return r


def eligible_reviewers(session: Session, actor: Actor, review_id: int) -> list[tuple[str, str]]:
    """(username, display name) of the active people who may take review `review_id`, by the rules `assign`
    applies (a role of its lane, in scope for a component lane, never an owner or developer of the use case,
    never a developer as the independent reviewer): the choices of the assignment form. Asked by who may
    assign it (a lead or the CAIO's office, or its current assignee)."""

    cfg = config()
    r, uc = load_review(session, review_id)
    if not (r.assignee_id is not None and r.assignee_id == actor.user_id):
        require(actor, "governance.review.assign", component_of(uc))
    lane = _lane(cfg, r.lane)
    users = session.scalars(select(User).join(RoleAssignment, RoleAssignment.user_id == User.id)
                            .where(RoleAssignment.role.in_(sorted(lane.roles)), User.is_active.is_(True),
                                   User.kind == "person").distinct().order_by(User.username)).all()
    return [(u.username, u.display_name) for u in users
            if lane_refusal(cfg, identity.actor_for(session, u), uc, lane) is None]


def close_condition(session: Session, actor: Actor, condition_id: int, note: str) -> ReviewCondition:
    """A condition of an approval is met: closed by a reviewer of its lane (not by the owner)."""
    cfg = config()
    c = session.scalar(select(ReviewCondition).where(ReviewCondition.id == condition_id).with_for_update()
                       .execution_options(populate_existing=True))
    if c is None:
        raise NotFound(f"no condition {condition_id}")
    r, uc = load_review(session, c.review_id)
    require(actor, "governance.review.decide", component_of(uc))
    why = lane_refusal(cfg, actor, uc, _lane(cfg, r.lane))
    if why:
        raise PermissionDenied(why)
    note = clean(note, "note", "say how the condition was met")
    if c.status == ConditionStatus.CLOSED:
        raise Conflict(f"condition {c.id} was already closed by {c.closed_by}")
    c.status, c.closed_at, c.closed_by, c.closure_note = ConditionStatus.CLOSED, utcnow(), actor.label, note
    session.flush()
    record(session, actor, "governance.condition.close", "review", r.id, {"condition": c.id, "status": ConditionStatus.CLOSED},
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
    return actor.kind == "system" or can(actor, "governance.review.assign")


def queue(session: Session, actor: Actor, lane: str | None = None, include_all: bool = False) -> list[QueueRow]:
    """Open reviews, oldest first: by default those of the lanes the actor may review; `include_all`: every
    lane, for those who may (`may_queue_all`; PermissionDenied otherwise)."""
    cfg = config()
    require(actor, "inventory.use_case.read")
    if include_all and not may_queue_all(actor):
        raise PermissionDenied(f"{actor.label} may see the reviews of their own lanes only: the queue of every lane "
                               "is for those who assign reviews")
    q = select(Review, UseCase).join(UseCase, UseCase.id == Review.use_case_id).where(
        Review.status.in_(REVIEW_UNDECIDED), UseCase.status != UseCaseStatus.RETIRED).order_by(Review.opened_at)
    if lane:
        _lane(cfg, lane)
        q = q.where(Review.lane == lane)
    lanes_of_actor = {c for c, ln in cfg.lanes.items() if set(ln.roles) & actor.roles}
    now = utcnow()
    out = []
    for r, uc in session.execute(q):
        if not include_all and r.lane not in lanes_of_actor:
            continue
        read = "inventory.use_case.read_draft" if uc.status == UseCaseStatus.DRAFT else "inventory.use_case.read"
        if not can(actor, read, component_of(uc)):
            continue
        ln = cfg.lanes.get(r.lane)
        if ln is not None and ln.scope == "component" and not include_all and lane_refusal(cfg, actor, uc, ln):
            continue
        age = (now - r.opened_at).days
        out.append(QueueRow(r, uc.business_id, uc.name, component_of(uc), ln.title if ln else r.lane, age,
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
