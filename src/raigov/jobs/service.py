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
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import smtplib
import socket
import ssl
import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from raigov.audit.service import record
from raigov.config import Settings
from raigov.db.base import utcnow
from raigov.db.engine import Database
from raigov.governance.lanes import GovernanceConfig, config
from raigov.governance.models import (
    ComponentCertification,
    Evidence,
    EvidenceLink,
    Notice,
    Practice,
    ReportingCycle,
    Review,
    Waiver,
)
from raigov.identity.models import OrgUnit, RoleAssignment, User
from raigov.identity.permissions import Actor, require
from raigov.inventory.models import UseCase, UseCasePerson
from raigov.jobs import clocks as C

log = logging.getLogger("raigov.jobs")

CLAIM_LEASE = dt.timedelta(minutes=15)  # a claim older than this was left by a host that died
SMTP_TIMEOUT = 30  # seconds; far below the lease
NO_ADDRESS = "no e-mail address"
_CHUNK = 200


@dataclass
class RunSummary:
    today: dt.date
    worker: str
    dry_run: bool
    smtp: bool
    due: list[C.DueNotice] = field(default_factory=list)
    rows: int = 0  # notice rows (one per recipient) the clocks ask for
    created: list[str] = field(default_factory=list)  # keys of rows this run created (dry run: would create)
    sent: list[str] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)  # {key, recipient, error}
    pending: list[dict] = field(default_factory=list)  # unsent rows after the run
    pending_total: int = 0

    def as_dict(self) -> dict:
        return {"today": self.today.isoformat(), "worker": self.worker, "dry_run": self.dry_run, "smtp": self.smtp,
                "due": [n.as_dict() for n in self.due], "rows": self.rows, "created": self.created,
                "sent": self.sent, "failed": self.failed, "pending_total": self.pending_total,
                "pending": self.pending}


def agency_today(settings: Settings) -> dt.date:
    """Today in the agency's time zone (deadlines are the agency's dates)."""
    try:
        return dt.datetime.now(ZoneInfo(settings.agency_timezone)).date()
    except Exception:  # noqa: BLE001 - an unknown zone falls back to UTC
        return utcnow().date()


# ---------------------------------------------------------------- reading the clocks' inputs


def snapshot(session: Session, today: dt.date, cfg: GovernanceConfig | None = None) -> C.Snapshot:
    """The rows the clocks read, in a handful of queries (no per-use-case work)."""
    from raigov.identity.service import ancestors_map

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
                          .where(UseCase.status != "retired")).all()
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
    last_bias = dict(session.execute(
        select(EvidenceLink.use_case_id, func.max(Evidence.dated_on))
        .join(Evidence, Evidence.id == EvidenceLink.evidence_id)
        .where(Evidence.category == "bias_test").group_by(EvidenceLink.use_case_id)).all())
    # face recognition: the use case's flag, or a review opened because a face-recognition item matched
    fr = {r.id for r in ucs if r.is_face_recognition}
    fr_items = set(cfg.face_recognition_items)
    reviews: list[C.ReviewInfo] = []
    for rid, uc_id, lane, status, opened_at, required_by, assignee in session.execute(
            select(Review.id, Review.use_case_id, Review.lane, Review.status, Review.opened_at, Review.required_by,
                   User.username).outerjoin(User, User.id == Review.assignee_id)
            .where(Review.status.in_(("open", "changes_requested", "approved", "approved_with_conditions")))):
        if fr_items and any(isinstance(b, dict) and b.get("item") in fr_items for b in (required_by or [])):
            fr.add(uc_id)
        if status == "open":
            reviews.append(C.ReviewInfo(rid, uc_id, lane, status, opened_at.date(), assignee))
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
               for w in session.scalars(select(Waiver).where(or_(Waiver.status == "active",
                                                                 Waiver.omb_reported_on.is_(None)))
                                        .order_by(Waiver.id))]

    cycles = []
    for c in session.scalars(select(ReportingCycle).where(ReportingCycle.status == "open")):
        done = frozenset(session.scalars(select(ComponentCertification.component)
                                         .where(ComponentCertification.cycle_id == c.id)))
        cycles.append(C.CycleInfo(c.id, c.year, c.title, c.due_on, c.status, done))
    # the components expected to certify: those with use cases in the inventory, and those with an AI lead
    components = {u.component for u in use_cases.values() if u.component}
    unit_kind = dict(session.execute(select(OrgUnit.code, OrgUnit.kind)).all())
    components |= {code for _, role, code in grants
                   if role == "component_ai_lead" and code and unit_kind.get(code) != "department"}
    return C.Snapshot(use_cases, practices, evidence, waivers, reviews, cycles, tuple(sorted(components)), directory)


def _emails(session: Session) -> dict[str, str | None]:
    return {u: e for u, e in session.execute(select(User.username, User.email).where(User.is_active))}


def _rows(due: list[C.DueNotice], emails: dict[str, str | None], now: dt.datetime) -> list[dict]:
    """One outbox row per notice and recipient; a recipient without an e-mail address gets a row that
    says so (``user:<name>``, last_error "no e-mail address"), so that nobody is silently skipped."""
    rows = []
    for n in due:
        for r in n.recipients:
            email = emails.get(r.username)
            rows.append({
                "key": f"{n.key}:to:{r.username}", "kind": n.kind, "level": n.level,
                "recipient": email or f"user:{r.username}", "recipient_user": r.username,
                "subject": n.subject[:500], "body": n.body + f"\n(You receive this as {r.role.replace('_', ' ')}.)\n",
                "object_type": n.object_type, "object_id": n.object_id[:120], "due_on": n.due_on,
                "created_at": now, "attempts": 0, "last_error": None if email else NO_ADDRESS})
    return sorted(rows, key=lambda r: r["key"])  # one order everywhere: concurrent inserts never deadlock


def _insert(session: Session, rows: list[dict]) -> list[str]:
    """INSERT ... ON CONFLICT (key) DO NOTHING; the keys actually inserted."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    created: list[str] = []
    for i in range(0, len(rows), _CHUNK):
        stmt = (insert(Notice).values(rows[i:i + _CHUNK]).on_conflict_do_nothing(index_elements=["key"])
                .returning(Notice.key))
        created += session.scalars(stmt).all()
    return sorted(created)


def _existing(session: Session, keys: list[str]) -> set[str]:
    out: set[str] = set()
    for i in range(0, len(keys), 500):
        out |= set(session.scalars(select(Notice.key).where(Notice.key.in_(keys[i:i + 500]))))
    return out


# ---------------------------------------------------------------- sending


class Mailer:
    """One SMTP connection per run, opened on the first message (STARTTLS and login as configured)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.conn: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        st = self.settings
        conn = smtplib.SMTP(st.smtp_host, st.smtp_port, timeout=SMTP_TIMEOUT)
        conn.ehlo()
        if st.smtp_starttls:
            conn.starttls(context=ssl.create_default_context())
            conn.ehlo()
        if st.smtp_user:
            conn.login(st.smtp_user, st.smtp_password or "")
        return conn

    def send(self, key: str, to: str, subject: str, body: str) -> None:
        msg = EmailMessage()
        msg["From"] = self.settings.smtp_from
        msg["To"] = to
        msg["Subject"] = subject
        msg["Date"] = formatdate(localtime=False, usegmt=True)
        # the same notice always has the same Message-ID: a mail system that sees it twice may drop the copy
        msg["Message-ID"] = f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@raigov>"
        msg["X-Raigov-Notice"] = key
        msg.set_content(body)
        if self.conn is None:
            self.conn = self._connect()
        self.conn.send_message(msg, from_addr=self.settings.smtp_from, to_addrs=[to])

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.quit()
            except (smtplib.SMTPException, OSError):
                self.conn.close()
            self.conn = None


def _fill_addresses(db: Database) -> None:
    """Rows kept for a user without an e-mail address take the address once the user has one."""
    with db.transaction() as s:
        waiting = s.execute(select(Notice.id, Notice.recipient_user).where(
            Notice.sent_at.is_(None), Notice.recipient.like("user:%"))).all()
        if not waiting:
            return
        emails = _emails(s)
        for nid, username in waiting:
            if emails.get(username):
                s.execute(update(Notice).where(Notice.id == nid, Notice.recipient.like("user:%"))
                          .values(recipient=emails[username], last_error=None)
                          .execution_options(synchronize_session=False))


def _deliver(db: Database, settings: Settings, worker: str, summary: RunSummary) -> None:
    _fill_addresses(db)
    mailer = Mailer(settings)
    last_id = 0
    try:
        while True:
            with db.transaction() as s:
                now = utcnow()
                free = or_(Notice.claimed_by.is_(None), Notice.claimed_at < now - CLAIM_LEASE)
                row = s.execute(select(Notice.id, Notice.key, Notice.recipient, Notice.subject, Notice.body)
                                .where(Notice.sent_at.is_(None), Notice.id > last_id, free,
                                       Notice.recipient.not_like("user:%"))
                                .order_by(Notice.id).limit(1)).first()
                if row is None:
                    break
                last_id = row.id
                won = s.execute(update(Notice).where(Notice.id == row.id, Notice.sent_at.is_(None), free)
                                .values(claimed_by=worker, claimed_at=now, attempts=Notice.attempts + 1)
                                .execution_options(synchronize_session=False)).rowcount
            if won != 1:
                continue  # another host claimed it first: it sends it
            try:
                mailer.send(row.key, row.recipient, row.subject, row.body)
            except (smtplib.SMTPException, OSError) as exc:
                error = f"{type(exc).__name__}: {exc}"[:1000]
                with db.transaction() as s:
                    s.execute(update(Notice).where(Notice.id == row.id)
                              .values(claimed_by=None, claimed_at=None, last_error=error)
                              .execution_options(synchronize_session=False))
                summary.failed.append({"key": row.key, "recipient": row.recipient, "error": error})
                log.warning("notice %s to %s not sent: %s", row.key, row.recipient, error)
                if not isinstance(exc, smtplib.SMTPRecipientsRefused | smtplib.SMTPDataError |
                                  smtplib.SMTPSenderRefused):
                    mailer.close()
                    break  # the server is unreachable: the rest wait for the next run
                continue
            with db.transaction() as s:
                s.execute(update(Notice).where(Notice.id == row.id)
                          .values(sent_at=utcnow(), last_error=None)
                          .execution_options(synchronize_session=False))
            summary.sent.append(row.key)
    finally:
        mailer.close()


# ---------------------------------------------------------------- the run


def _worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def run(db: Database, actor: Actor, settings: Settings, *, today: dt.date | None = None, dry_run: bool = False,
        pending_limit: int = 200) -> RunSummary:
    """Compute what is due, create each notice once, send the unsent ones (when SMTP is configured), and
    append one audit event. ``dry_run``: compute and say what would be created, writing nothing."""
    require(actor, "jobs.run")
    cfg = config()
    today = today or agency_today(settings)
    summary = RunSummary(today, _worker_id(), dry_run, bool(settings.smtp_host))
    with db.transaction() as s:
        summary.due = C.compute(snapshot(s, today, cfg), cfg, today, settings.base_url)
        rows = _rows(summary.due, _emails(s), utcnow())
        summary.rows = len(rows)
        if dry_run:
            have = _existing(s, [r["key"] for r in rows])
            summary.created = [r["key"] for r in rows if r["key"] not in have]
        else:
            summary.created = _insert(s, rows)
    if dry_run:
        return summary
    if settings.smtp_host:
        _deliver(db, settings, summary.worker, summary)
    with db.transaction() as s:
        summary.pending_total = s.scalar(select(func.count()).select_from(Notice).where(Notice.sent_at.is_(None))) or 0
        summary.pending = [
            {"key": k, "recipient": r, "subject": subj, "attempts": a, "last_error": e}
            for k, r, subj, a, e in s.execute(
                select(Notice.key, Notice.recipient, Notice.subject, Notice.attempts, Notice.last_error)
                .where(Notice.sent_at.is_(None)).order_by(Notice.id).limit(pending_limit))]
        new = set(summary.created)
        created_rows = [r for r in rows if r["key"] in new]
        record(s, actor, "jobs.run", "jobs", today.isoformat(), None, {
            "today": today.isoformat(), "worker": summary.worker, "due": len(summary.due), "rows": summary.rows,
            "created": len(summary.created), "sent": len(summary.sent), "failed": len(summary.failed),
            "pending": summary.pending_total, "smtp": summary.smtp,
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
