"""`raigov jobs run`: read what the clocks need, keep the outbox (`notices`), send e-mail once.

Once-only, however many hosts run the jobs at the same time:

1. every host computes the same notices (``clocks.compute``: deterministic keys) and inserts one row per
   notice and recipient with ``INSERT ... ON CONFLICT (key) DO NOTHING``, then commits: a notice is
   created once, whoever inserts it first;
2. each unsent row is then claimed with one atomic ``UPDATE ... WHERE id = :id AND sent_at IS NULL AND
   (claimed_by IS NULL OR claimed_at < :stale)``; only the host whose update changed the row sends it,
   then marks it sent. A failed send records the attempt and the error and releases the claim, so the
   next run retries it; a claim left by a host that died is taken over after ``CLAIM_LEASE``.

Unlike the other services this one takes the `Database`, not a session: the outbox protocol needs its
own commits (the inserts, each claim, each mark) so that other hosts see them at once.

The code is in this module (the clocks' inputs, the registered clocks, the run, the timer) and beside it:
``outbox`` (inserting, claiming and sending; the daily digest) and ``notices`` (the Notices page, retry);
this module re-exports their public names.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import Counter

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from raigov.audit.service import record
from raigov.clock import agency_today
from raigov.config import Settings
from raigov.datacall.models import ComponentCertification, ReportingCycle
from raigov.db.base import utcnow
from raigov.db.engine import Database
from raigov.domains import chores, clocks, load
from raigov.governance.lanes import GovernanceConfig, config
from raigov.governance.models import Evidence, EvidenceLink, Practice, Review, Waiver
from raigov.governance.vocab import REVIEW_UNDECIDED, CycleStatus, ReviewStatus, WaiverStatus
from raigov.identity.models import OrgUnit, RoleAssignment, User
from raigov.identity.permissions import Actor, require
from raigov.identity.service import ancestors_map
from raigov.inventory import uploads
from raigov.inventory.models import UseCase, UseCasePerson
from raigov.inventory.vocab import UseCaseStatus
from raigov.jobs import clocks as C
from raigov.jobs.models import Notice
from raigov.jobs.notices import (
    STATUSES,
    NoticeFilter,
    NoticePage,
    NoticeRow,
    RetryResult,
    list_notices,
    retry_notice,
)
from raigov.jobs.outbox import (
    CLAIM_LEASE,
    DIGEST,
    NO_ADDRESS,
    SMTP_TIMEOUT,
    Mailer,
    RunSummary,
    deliver,
    deliver_digests,
    digest_key,
    digest_subject,
    existing_keys,
    insert_notices,
    notice_rows,
    user_emails,
    worker_id,
)

log = logging.getLogger("raigov.jobs")

__all__ = [
    "CLAIM_LEASE", "DIGEST", "NO_ADDRESS", "SMTP_TIMEOUT", "STATUSES", "Mailer", "NoticeFilter", "NoticePage",
    "NoticeRow", "RetryResult", "RunSummary", "digest_key", "digest_subject", "due_notices", "evidence_objects",
    "governance_due", "list_notices", "practice_objects", "retry_notice", "review_objects", "run", "snapshot",
    "start_timer", "use_case_objects", "waiver_objects",
]


# ---------------------------------------------------------------- reading the clocks' inputs


def snapshot(session: Session, today: dt.date, cfg: GovernanceConfig | None = None) -> C.Snapshot:
    """The rows the clocks read, in a handful of queries (no per-use-case work).

    Long because each clock's input is one query, one after the other, beside the comment on what that
    clock reads; the queries share the same cut-off dates."""
    cfg = cfg or config()
    horizon = today + dt.timedelta(days=max(C.PRACTICE_WARNING_DAYS, cfg.evidence_warning_days,
                                            C.RETEST_WARNING_DAYS, C.CYCLE_WARNING_DAYS))
    active = {u: e for u, e in session.execute(select(User.username, User.email).where(User.is_active))}
    grants = tuple((u, role, code) for u, role, code in session.execute(
        select(User.username, RoleAssignment.role, OrgUnit.code)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .outerjoin(OrgUnit, OrgUnit.id == RoleAssignment.org_unit_id)
        .where(User.is_active)))
    directory = C.Directory(grants, ancestors_map(session))

    ucs = session.execute(select(UseCase.id, UseCase.business_id, UseCase.name, UseCase.status, OrgUnit.code,
                                 OrgUnit.kind, UseCase.is_face_recognition)
                          .outerjoin(OrgUnit, OrgUnit.id == UseCase.org_unit_id)
                          .where(UseCase.status != UseCaseStatus.RETIRED)).all()
    ids = {r.id for r in ucs}
    owners: dict[int, list[str]] = {}
    team: dict[int, list[str]] = {}
    for uc_id, role, username in session.execute(
            select(UseCasePerson.use_case_id, UseCasePerson.role, User.username)
            .join(User, User.id == UseCasePerson.user_id).order_by(UseCasePerson.id)):
        if uc_id in ids and username in active:
            team.setdefault(uc_id, []).append(username)
            if role == "owner":
                owners.setdefault(uc_id, []).append(username)
    last_bias: dict[int, dt.date] = {}  # the newest bias test that did not fail its criteria (as the gate counts)
    for uc_id, dated, details in session.execute(
            select(EvidenceLink.use_case_id, Evidence.dated_on, Evidence.details)
            .join(Evidence, Evidence.id == EvidenceLink.evidence_id).where(Evidence.category == "bias_test")):
        if (details or {}).get("outcome") != "fail" and (uc_id not in last_bias or dated > last_bias[uc_id]):
            last_bias[uc_id] = dated
    # face recognition: the use case's flag, or a review opened because a face-recognition item matched
    fr = {r.id for r in ucs if r.is_face_recognition}
    fr_items = set(cfg.face_recognition_items)
    reviews: list[C.ReviewInfo] = []
    for rid, uc_id, lane, status, opened_at, required_by, assignee in session.execute(
            select(Review.id, Review.use_case_id, Review.lane, Review.status, Review.opened_at, Review.required_by,
                   User.username).outerjoin(User, User.id == Review.assignee_id)
            .where(Review.status.in_((*REVIEW_UNDECIDED, ReviewStatus.APPROVED, ReviewStatus.APPROVED_WITH_CONDITIONS)))):
        if fr_items and any(isinstance(b, dict) and b.get("item") in fr_items for b in (required_by or [])):
            fr.add(uc_id)
        if status == ReviewStatus.OPEN:
            reviews.append(C.ReviewInfo(rid, uc_id, lane, status, agency_today(now=opened_at), assignee))
    use_cases = {
        r.id: C.UseCaseInfo(r.id, r.business_id, r.name, r.code if r.code and r.kind != "department" else None,
                            tuple(owners.get(r.id, ())), tuple(team.get(r.id, ())), r.id in fr, last_bias.get(r.id))
        for r in ucs}

    practices = [
        C.PracticeInfo(p.id, p.use_case_id, p.item, p.title, p.citation, p.status, p.required, p.due_on,
                       owner if owner in active else None)
        for p, owner in session.execute(
            select(Practice, User.username).outerjoin(User, User.id == Practice.owner_id)
            .where(Practice.required.is_(True), Practice.status.in_(C.PRACTICE_OPEN), Practice.due_on.is_not(None),
                   Practice.due_on <= horizon).order_by(Practice.id))]

    links: dict[int, list[int]] = {}
    ev: dict[int, tuple] = {}
    for eid, title, cat, exp, owner, uc_id in session.execute(
            select(Evidence.id, Evidence.title, Evidence.category, Evidence.expires_on, User.username,
                   EvidenceLink.use_case_id)
            .join(EvidenceLink, EvidenceLink.evidence_id == Evidence.id)
            .outerjoin(User, User.id == Evidence.owner_id)
            .where(Evidence.expires_on.is_not(None), Evidence.expires_on <= horizon).order_by(Evidence.id)):
        ev[eid] = (title, cat, exp, owner if owner in active else None)
        links.setdefault(eid, []).append(uc_id)
    evidence = [C.EvidenceInfo(eid, t, c, e, o, tuple(links[eid])) for eid, (t, c, e, o) in ev.items()]

    waivers = [C.WaiverInfo(w.id, w.use_case_id, w.practice_item, w.status, w.certified_on, w.expires_on,
                            w.omb_report_due, w.omb_reported_on)
               for w in session.scalars(select(Waiver).where(or_(Waiver.status == WaiverStatus.ACTIVE,
                                                                 Waiver.omb_reported_on.is_(None)))
                                        .order_by(Waiver.id))]

    cycles = []
    for c in session.scalars(select(ReportingCycle).where(ReportingCycle.status == CycleStatus.OPEN)):
        done = frozenset(session.scalars(select(ComponentCertification.component)
                                         .where(ComponentCertification.cycle_id == c.id)))
        cycles.append(C.CycleInfo(c.id, c.year, c.title, c.due_on, c.status, done))
    # the components expected to certify: those with use cases in the inventory, and those with an AI lead
    components = {u.component for u in use_cases.values() if u.component}
    unit_kind = dict(session.execute(select(OrgUnit.code, OrgUnit.kind)).all())
    components |= {code for _, role, code in grants
                   if role == "component_ai_lead" and code and unit_kind.get(code) != "department"}
    return C.Snapshot(use_cases, practices, evidence, waivers, reviews, cycles, tuple(sorted(components)), directory)


# ---------------------------------------------------------------- the clocks the domains register
#
# Each clock (raigov/domains.py: Clock) names its function of (session, today, settings) and, for each object
# type of its notices, a SELECT of (object id, use case id): the Notices page finds a notice's use case and
# component through it. The governance clocks below are registered by raigov/jobs/register.py.


def due_notices(session: Session, today: dt.date, settings: Settings) -> list[C.DueNotice]:
    """Every registered clock's notices due on `today`, sorted by key."""
    out: list[C.DueNotice] = []
    for clock in clocks():
        out += load(clock.due)(session, today, settings)
    return sorted(out, key=lambda n: n.key)


def governance_due(session: Session, today: dt.date, settings: Settings) -> list[C.DueNotice]:
    """The clocks of governance (raigov.jobs.clocks), read in one snapshot."""
    cfg = config()
    return C.compute(snapshot(session, today, cfg), cfg, today, settings.base_url)


def _pairs(object_id, use_case_id):
    return select(object_id.label("object_id"), use_case_id.label("use_case_id"))


def use_case_objects():
    return _pairs(UseCase.id, UseCase.id)


def practice_objects():
    return _pairs(Practice.id, Practice.use_case_id)


def review_objects():
    return _pairs(Review.id, Review.use_case_id)


def waiver_objects():
    return _pairs(Waiver.id, Waiver.use_case_id)


def evidence_objects():
    return _pairs(EvidenceLink.evidence_id, EvidenceLink.use_case_id)


# ---------------------------------------------------------------- the run


def run(db: Database, actor: Actor, settings: Settings, *, today: dt.date | None = None, dry_run: bool = False,
        pending_limit: int = 200) -> RunSummary:
    """Compute what is due, create each notice once, send the unsent ones (when SMTP is configured), and
    append one audit event. ``dry_run``: compute and say what would be created, writing nothing."""
    require(actor, "jobs.checks.run")
    today = today or agency_today(settings)
    summary = RunSummary(today, worker_id(), dry_run, bool(settings.smtp_host), digest=settings.notice_digest)
    with db.transaction() as s:
        s.info["raigov.jobs.dry_run"] = dry_run  # clocks that record state changes (oversight alerts) skip them
        summary.due = due_notices(s, today, settings)
        rows = notice_rows(summary.due, user_emails(s), utcnow())
        summary.rows = len(rows)
        if dry_run:
            have = existing_keys(s, [r["key"] for r in rows])
            summary.created = [r["key"] for r in rows if r["key"] not in have]
        else:
            summary.created = insert_notices(s, rows)
    if dry_run:
        return summary
    # housekeeping: inventory uploads that were dry-run and never imported (mode 0600, but not kept forever)
    summary.uploads_removed = uploads.clean(settings)
    for chore in chores():  # the domains' periodic writes (e.g. the monthly monitoring reports), each in its own transaction
        with db.transaction() as s:
            summary.chores[chore] = load(chore)(s, actor, settings, today)
    if settings.smtp_host:
        if settings.notice_digest == "daily":
            deliver_digests(db, settings, summary.worker, today, summary)
        else:
            deliver(db, settings, summary.worker, summary)
    with db.transaction() as s:
        summary.pending_total = s.scalar(select(func.count()).select_from(Notice).where(Notice.sent_at.is_(None))) or 0
        summary.pending = [
            {"key": k, "recipient": r, "subject": subj, "attempts": a, "last_error": e}
            for k, r, subj, a, e in s.execute(
                select(Notice.key, Notice.recipient, Notice.subject, Notice.attempts, Notice.last_error)
                .where(Notice.sent_at.is_(None)).order_by(Notice.id).limit(pending_limit))]
        new = set(summary.created)
        created_rows = [r for r in rows if r["key"] in new]
        record(s, actor, "jobs.checks.run", "jobs", today.isoformat(), None, {
            "today": today.isoformat(), "worker": summary.worker, "due": len(summary.due), "rows": summary.rows,
            "created": len(summary.created), "sent": len(summary.sent), "failed": len(summary.failed),
            "pending": summary.pending_total, "smtp": summary.smtp, "digest": summary.digest,
            "digests": len(summary.digests), "uploads_removed": len(summary.uploads_removed),
            "chores": {k: len(v) for k, v in summary.chores.items()},
            "created_by_kind": dict(sorted(Counter(f"{r['kind']}/{r['level']}" for r in created_rows).items())),
        })
    return summary


# ---------------------------------------------------------------- on a timer (the demo server)


def start_timer(db: Database, settings: Settings, interval_seconds: float,
                actor: Actor | None = None) -> threading.Thread:
    """Run the jobs now and then every `interval_seconds` on a daemon thread (the demo server's timer;
    production uses cron). A failing run is logged and the timer goes on."""
    actor = actor or Actor.system("jobs")
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                s = run(db, actor, settings)
                log.info("jobs: %d due, %d created, %d sent, %d pending", len(s.due), len(s.created), len(s.sent),
                         s.pending_total)
            except Exception:
                log.exception("jobs run failed")
            stop.wait(interval_seconds)

    t = threading.Thread(target=loop, name="raigov-jobs", daemon=True)
    t.stop = stop  # type: ignore[attr-defined]
    t.start()
    return t
