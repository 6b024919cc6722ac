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
from raigov.clock import agency_today
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
from raigov.inventory import uploads
from raigov.inventory.models import UseCase, UseCasePerson
from raigov.jobs import clocks as C

log = logging.getLogger("raigov.jobs")

DIGEST = "digest"  # object_type (and kind) of a digest row in the outbox
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
    digest: str = "off"
    digests: list[dict] = field(default_factory=list)  # {key, recipient, count}: digests this run sent
    uploads_removed: list[str] = field(default_factory=list)  # DATA_DIR/uploads files past their retention

    def as_dict(self) -> dict:
        return {"today": self.today.isoformat(), "worker": self.worker, "dry_run": self.dry_run, "smtp": self.smtp,
                "due": [n.as_dict() for n in self.due], "rows": self.rows, "created": self.created,
                "sent": self.sent, "failed": self.failed, "pending_total": self.pending_total,
                "pending": self.pending, "digest": self.digest, "digests": self.digests,
                "uploads_removed": self.uploads_removed}


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
                                       Notice.recipient.not_like("user:%"), Notice.object_type != DIGEST)
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


# ---------------------------------------------------------------- the daily digest (RAIGOV_NOTICE_DIGEST=daily)
#
# One e-mail per recipient per day. The digest is itself an outbox row, key ``digest:<user>:<date>`` (unique:
# created once whoever inserts it first), claimed with the same atomic update and lease as any notice. The
# host that wins a digest's claim then claims, in the same transaction, every unsent notice of that recipient
# (``claimed_by = "digest:<digest id>"``), sends one message listing them and marks the digest and each of its
# notices sent; the notices keep ``claimed_by = "digest:<id>"``: the digest that carried them. A failed send
# releases the digest and its notices (last_error on each), so the next run (or "retry now") sends them.
# Notices created after the day's digest went out wait for the next day's.


def digest_key(username: str, day: dt.date) -> str:
    return f"{DIGEST}:{username}:{day.isoformat()}"


def digest_subject(count: int, day: dt.date) -> str:
    return f"raigov: {count} notice{'' if count == 1 else 's'} for {day.isoformat()}"


def _member_filter(username: str):
    return (Notice.recipient_user == username, Notice.sent_at.is_(None), Notice.object_type != DIGEST,
            Notice.recipient.not_like("user:%"))


def _create_digests(db: Database, today: dt.date) -> None:
    """Today's digest row for each recipient with unsent notices and no unsent digest of their own yet."""
    now = utcnow()
    with db.transaction() as s:
        waiting = s.execute(select(Notice.recipient_user, func.min(Notice.recipient))
                            .where(Notice.sent_at.is_(None), Notice.object_type != DIGEST,
                                   Notice.recipient.not_like("user:%"), Notice.recipient_user.is_not(None))
                            .group_by(Notice.recipient_user)).all()
        open_digests = set(s.scalars(select(Notice.recipient_user).where(
            Notice.object_type == DIGEST, Notice.sent_at.is_(None))))
        rows = [{"key": digest_key(user, today), "kind": DIGEST, "level": "reminder", "recipient": email,
                 "recipient_user": user, "subject": digest_subject(0, today), "body": "(not sent yet)\n",
                 "object_type": DIGEST, "object_id": today.isoformat(), "due_on": today, "created_at": now,
                 "attempts": 0, "last_error": None}
                for user, email in waiting if user not in open_digests]
        if rows:
            _insert(s, sorted(rows, key=lambda r: r["key"]))


def _digest_body(day: dt.date, members: list) -> str:
    lines = [f"raigov: {len(members)} notice{'' if len(members) == 1 else 's'} for {day.isoformat()}", ""]
    for i, m in enumerate(members, 1):
        lines += [f"{i}. {m.subject}", *("   " + ln if ln else "" for ln in m.body.rstrip("\n").splitlines()),
                  f"   (notice {m.key})", ""]
    lines.append("You receive one digest a day (RAIGOV_NOTICE_DIGEST=daily); every notice is also on the "
                 "Notices page.")
    return "\n".join(lines) + "\n"


def _send_digest(db: Database, mailer: Mailer, worker: str, digest_id: int) -> dict | None:
    """Claim one digest row and its notices, send it, mark them. None when another host holds the claim
    (or the digest was sent already); else {key, recipient, count, sent: [keys], error}."""
    with db.transaction() as s:
        now = utcnow()
        free = or_(Notice.claimed_by.is_(None), Notice.claimed_at < now - CLAIM_LEASE)
        d = s.execute(select(Notice.id, Notice.key, Notice.recipient_user, Notice.due_on)
                      .where(Notice.id == digest_id, Notice.object_type == DIGEST)).first()
        if d is None:
            return None
        won = s.execute(update(Notice).where(Notice.id == digest_id, Notice.sent_at.is_(None), free)
                        .values(claimed_by=worker, claimed_at=now, attempts=Notice.attempts + 1)
                        .execution_options(synchronize_session=False)).rowcount
        if won != 1:
            return None
        tag = f"{DIGEST}:{digest_id}"
        mine = or_(free, Notice.claimed_by == tag)
        s.execute(update(Notice).where(*_member_filter(d.recipient_user), mine)
                  .values(claimed_by=tag, claimed_at=now).execution_options(synchronize_session=False))
        members = s.execute(select(Notice.id, Notice.key, Notice.level, Notice.subject, Notice.body)
                            .where(*_member_filter(d.recipient_user), Notice.claimed_by == tag)
                            .order_by(Notice.id)).all()
        day = d.due_on or now.date()
        email = s.scalar(select(User.email).where(User.username == d.recipient_user, User.is_active))
        subject, body = digest_subject(len(members), day), _digest_body(day, members)
        level = "escalation" if any(m.level == "escalation" for m in members) else "reminder"
        s.execute(update(Notice).where(Notice.id == digest_id)
                  .values(subject=subject, body=body, level=level, **({"recipient": email} if email else {}))
                  .execution_options(synchronize_session=False))
        recipient = email or s.scalar(select(Notice.recipient).where(Notice.id == digest_id))
    out = {"key": d.key, "recipient": recipient, "count": len(members), "sent": [m.key for m in members],
           "error": None}
    if not members:  # nothing left to carry (another digest took them): close it without an e-mail
        with db.transaction() as s:
            s.execute(update(Notice).where(Notice.id == digest_id)
                      .values(sent_at=utcnow(), last_error=None, body="Nothing was pending: no e-mail was sent.\n")
                      .execution_options(synchronize_session=False))
        return out
    ids = [m.id for m in members]
    try:
        if recipient.startswith("user:"):
            raise smtplib.SMTPRecipientsRefused({recipient: (550, NO_ADDRESS.encode())})
        mailer.send(d.key, recipient, subject, body)
    except (smtplib.SMTPException, OSError) as exc:
        error = f"{type(exc).__name__}: {exc}"[:1000]
        with db.transaction() as s:
            s.execute(update(Notice).where(Notice.id == digest_id)
                      .values(claimed_by=None, claimed_at=None, last_error=error)
                      .execution_options(synchronize_session=False))
            s.execute(update(Notice).where(Notice.id.in_(ids), Notice.claimed_by == tag)
                      .values(claimed_by=None, claimed_at=None, last_error=f"digest {d.key} not sent: {error}"[:1000])
                      .execution_options(synchronize_session=False))
        log.warning("digest %s to %s not sent: %s", d.key, recipient, error)
        out["error"], out["exc"] = error, exc
        return out
    with db.transaction() as s:
        sent_at = utcnow()
        s.execute(update(Notice).where(Notice.id == digest_id).values(sent_at=sent_at, last_error=None)
                  .execution_options(synchronize_session=False))
        s.execute(update(Notice).where(Notice.id.in_(ids), Notice.claimed_by == tag)
                  .values(sent_at=sent_at, last_error=None).execution_options(synchronize_session=False))
    return out


def _deliver_digests(db: Database, settings: Settings, worker: str, today: dt.date, summary: RunSummary) -> None:
    _fill_addresses(db)
    _create_digests(db, today)
    mailer = Mailer(settings)
    try:
        with db.transaction() as s:
            ids = s.scalars(select(Notice.id).where(Notice.object_type == DIGEST, Notice.sent_at.is_(None))
                            .order_by(Notice.id)).all()
        for did in ids:
            res = _send_digest(db, mailer, worker, did)
            if res is None:
                continue  # another host holds it: it sends it
            if res["error"]:
                summary.failed.append({"key": res["key"], "recipient": res["recipient"], "error": res["error"]})
                exc = res["exc"]
                if not isinstance(exc, smtplib.SMTPRecipientsRefused | smtplib.SMTPDataError |
                                  smtplib.SMTPSenderRefused):
                    mailer.close()
                    break  # the server is unreachable: the rest wait for the next run
                continue
            if res["count"]:
                summary.sent += res["sent"]
                summary.digests.append({"key": res["key"], "recipient": res["recipient"], "count": res["count"]})
    finally:
        mailer.close()


# ---------------------------------------------------------------- the Notices page: who sees what, retry

STATUSES = ("pending", "sent", "failed")


@dataclass
class NoticeFilter:
    status: str | None = None  # pending | sent | failed
    kind: str | None = None
    recipient: str | None = None  # part of the address or the user name
    created_from: dt.date | None = None  # agency dates, inclusive
    created_to: dt.date | None = None
    page: int = 1
    per_page: int = 50


@dataclass
class NoticeRow:
    id: int
    key: str
    kind: str
    level: str
    recipient: str
    recipient_user: str | None
    subject: str
    object_type: str
    object_id: str
    use_cases: list[str]
    created_at: dt.datetime
    claimed_by: str | None
    claimed_at: dt.datetime | None
    sent_at: dt.datetime | None
    attempts: int
    last_error: str | None
    status: str
    digest_id: int | None  # the digest that carried it

    def as_dict(self) -> dict:
        out = dict(self.__dict__)
        for k in ("created_at", "claimed_at", "sent_at"):
            out[k] = out[k].isoformat() if out[k] else None
        return out


@dataclass
class NoticePage:
    rows: list[NoticeRow]
    total: int
    page: int
    per_page: int
    kinds: list[str]
    scope: str  # "all" | "component" | "own"

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _status_of(sent_at, last_error) -> str:
    if sent_at is not None:
        return "sent"
    return "failed" if last_error else "pending"


def _status_clause(status: str):
    if status == "sent":
        return Notice.sent_at.is_not(None)
    if status == "failed":
        return (Notice.sent_at.is_(None)) & Notice.last_error.is_not(None)
    return (Notice.sent_at.is_(None)) & Notice.last_error.is_(None)


def _units_under(session: Session, granted: set[str]) -> set[str]:
    """The granted org units and every unit below them."""
    from raigov.identity.service import units_under

    return units_under(session, granted)


# ---------------------------------------------------------------- the clocks the domains register
#
# Each clock (raigov/domains.py: Clock) names its function of (session, today, settings) and, for each object
# type of its notices, a SELECT of (object id, use case id): the Notices page finds a notice's use case and
# component through it. The governance clocks below are registered by raigov/jobs/register.py.


def due_notices(session: Session, today: dt.date, settings: Settings) -> list[C.DueNotice]:
    """Every registered clock's notices due on `today`, sorted by key."""
    from raigov.domains import clocks, load

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


def _object_queries() -> tuple[dict[str, object], set[str]]:
    """({object_type: SELECT (object id, use case id)}, object types named by their component)."""
    from raigov.domains import clocks, load

    queries: dict[str, object] = {}
    by_component: set[str] = set()
    for clock in clocks():
        for object_type, ref in clock.objects.items():
            queries.setdefault(object_type, load(ref)())
        by_component |= set(clock.component_objects)
    return queries, by_component


def _about_units(units: set[str]):
    """Notices about an object of a use case (or a component) in `units`."""
    from sqlalchemy import String, cast, false

    uc_in = select(UseCase.id).join(OrgUnit, OrgUnit.id == UseCase.org_unit_id).where(OrgUnit.code.in_(units))
    queries, by_component = _object_queries()
    clauses = []
    for t, q in queries.items():
        sub = q.subquery()
        oid, uid = sub.c[0], sub.c[1]
        clauses.append((Notice.object_type == t)
                       & Notice.object_id.in_(select(cast(oid, String)).where(uid.in_(uc_in))))
    clauses += [(Notice.object_type == t) & Notice.object_id.like(f"%:{u}")
                for t in sorted(by_component) for u in sorted(units)]
    return or_(*clauses) if clauses else false()


def _visibility(session: Session, actor: Actor):
    """(SQL condition or None for everything, scope label)."""
    from raigov.errors import AuthenticationFailed
    from raigov.identity.permissions import components_visible

    if actor.kind == "anonymous":
        raise AuthenticationFailed("sign in to see notices")
    units = components_visible(actor, "notice.read")
    if units is None:
        return None, "all"
    own = Notice.recipient_user == actor.username
    if not units:
        return own, "own"
    return or_(own, _about_units(_units_under(session, units))), "component"


def _use_cases_of(session: Session, rows) -> dict[tuple[str, str], list[str]]:
    """(object_type, object_id) -> the business ids of the use cases the notice concerns."""
    queries, _ = _object_queries()
    ids: dict[str, set[int]] = {}
    for r in rows:
        if r.object_type in queries and r.object_id.isdigit():
            ids.setdefault(r.object_type, set()).add(int(r.object_id))
    out: dict[tuple[str, str], list[str]] = {}
    for t, wanted in ids.items():
        sub = queries[t].subquery()
        oid, uid = sub.c[0], sub.c[1]
        for o, bid in session.execute(select(oid, UseCase.business_id).join(UseCase, UseCase.id == uid)
                                      .where(oid.in_(sorted(wanted))).order_by(UseCase.business_id)):
            lst = out.setdefault((t, str(o)), [])
            if bid not in lst:
                lst.append(bid)
    return out


def list_notices(session: Session, actor: Actor, filters: NoticeFilter | None = None,
                 tz: str = "UTC") -> NoticePage:
    """The outbox, newest first, as `actor` may see it: the CAIO's office, auditors and admin everything; a
    component AI lead the notices addressed to them or about their components' use cases; anybody else the
    notices addressed to themselves."""
    f = filters or NoticeFilter()
    cond, scope = _visibility(session, actor)
    where = [] if cond is None else [cond]
    if f.status:
        if f.status not in STATUSES:
            from raigov.errors import FieldError, ValidationFailed

            raise ValidationFailed("unknown status", errors=[FieldError("status", f"one of {', '.join(STATUSES)}")])
        where.append(_status_clause(f.status))
    if f.kind:
        where.append(Notice.kind == f.kind)
    if f.recipient:
        like = "%" + f.recipient.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append(or_(func.lower(Notice.recipient).like(like, escape="\\"),
                         func.lower(Notice.recipient_user).like(like, escape="\\")))
    try:
        zone = ZoneInfo(tz)
    except Exception:  # noqa: BLE001
        zone = ZoneInfo("UTC")
    if f.created_from:
        where.append(Notice.created_at >= dt.datetime.combine(f.created_from, dt.time(), zone))
    if f.created_to:
        where.append(Notice.created_at < dt.datetime.combine(f.created_to + dt.timedelta(days=1), dt.time(), zone))
    per_page = max(1, min(int(f.per_page or 50), 500))
    total = session.scalar(select(func.count()).select_from(Notice).where(*where)) or 0
    pages = max(1, -(-total // per_page))
    page = max(1, min(int(f.page or 1), pages))
    found = session.scalars(select(Notice).where(*where).order_by(Notice.created_at.desc(), Notice.id.desc())
                            .offset((page - 1) * per_page).limit(per_page)).all()
    kinds = sorted(session.scalars(select(Notice.kind).where(*([] if cond is None else [cond])).distinct()))
    ucs = _use_cases_of(session, found)
    rows = []
    for n in found:
        digest_id = None
        if n.object_type != DIGEST and n.claimed_by and n.claimed_by.startswith(DIGEST + ":"):
            tail = n.claimed_by.split(":", 1)[1]
            digest_id = int(tail) if tail.isdigit() else None
        rows.append(NoticeRow(n.id, n.key, n.kind, n.level, n.recipient, n.recipient_user, n.subject, n.object_type,
                              n.object_id, ucs.get((n.object_type, n.object_id), []), n.created_at, n.claimed_by,
                              n.claimed_at, n.sent_at, n.attempts, n.last_error, _status_of(n.sent_at, n.last_error),
                              digest_id))
    return NoticePage(rows, total, page, per_page, kinds, scope)


@dataclass
class RetryResult:
    key: str
    recipient: str
    result: str  # sent | failed | queued (no SMTP: the next run sends it) | busy (another host holds it)
    error: str | None = None


def retry_notice(db: Database, actor: Actor, settings: Settings, notice_id: int) -> RetryResult:
    """"Retry now" for a failed notice (the CAIO's office and admin, `notice.retry`): send it at once through
    the same claim as the jobs (so a job running at that moment never sends it too); without SMTP, clear the
    error so the next run sends it. Audited as `notice.retry` whatever the outcome."""
    from raigov.errors import Conflict, NotFound

    require(actor, "notice.retry")
    with db.transaction() as s:
        n = s.get(Notice, notice_id)
        if n is None:
            raise NotFound(f"notice {notice_id} not found")
        if _status_of(n.sent_at, n.last_error) != "failed":
            raise Conflict(f"notice {n.key} has not failed: only a failed notice can be retried")
        key, is_digest, username = n.key, n.object_type == DIGEST, n.recipient_user
        if n.recipient.startswith("user:"):
            email = s.scalar(select(User.email).where(User.username == username, User.is_active)) if username else None
            if not email:
                raise Conflict(f"{username or n.recipient} has no e-mail address: give the account one first")
            n.recipient = email
    result = RetryResult(key, "", "queued")
    if not settings.smtp_host:
        with db.transaction() as s:
            s.execute(update(Notice).where(Notice.id == notice_id, Notice.sent_at.is_(None))
                      .values(last_error=None, claimed_by=None, claimed_at=None)
                      .execution_options(synchronize_session=False))
    else:
        mailer = Mailer(settings)
        worker = f"retry:{actor.username}:{_worker_id()}"
        try:
            if is_digest:
                res = _send_digest(db, mailer, worker, notice_id)
                if res is None:
                    result.result = "busy"
                else:
                    result.result, result.error = ("failed", res["error"]) if res["error"] else ("sent", None)
            else:
                with db.transaction() as s:
                    now = utcnow()
                    free = or_(Notice.claimed_by.is_(None), Notice.claimed_at < now - CLAIM_LEASE)
                    won = s.execute(update(Notice).where(Notice.id == notice_id, Notice.sent_at.is_(None), free)
                                    .values(claimed_by=worker, claimed_at=now, attempts=Notice.attempts + 1)
                                    .execution_options(synchronize_session=False)).rowcount
                    row = s.execute(select(Notice.recipient, Notice.subject, Notice.body)
                                    .where(Notice.id == notice_id)).one()
                if won != 1:
                    result.result = "busy"
                else:
                    try:
                        mailer.send(key, row.recipient, row.subject, row.body)
                    except (smtplib.SMTPException, OSError) as exc:
                        result.result, result.error = "failed", f"{type(exc).__name__}: {exc}"[:1000]
                        with db.transaction() as s:
                            s.execute(update(Notice).where(Notice.id == notice_id)
                                      .values(claimed_by=None, claimed_at=None, last_error=result.error)
                                      .execution_options(synchronize_session=False))
                    else:
                        result.result = "sent"
                        with db.transaction() as s:
                            s.execute(update(Notice).where(Notice.id == notice_id)
                                      .values(sent_at=utcnow(), last_error=None)
                                      .execution_options(synchronize_session=False))
        finally:
            mailer.close()
    with db.transaction() as s:
        result.recipient = s.scalar(select(Notice.recipient).where(Notice.id == notice_id)) or ""
        record(s, actor, "notice.retry", "notice", key, None,
               {"key": key, "recipient": result.recipient, "result": result.result, "error": result.error})
    return result


# ---------------------------------------------------------------- the run


def _worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def run(db: Database, actor: Actor, settings: Settings, *, today: dt.date | None = None, dry_run: bool = False,
        pending_limit: int = 200) -> RunSummary:
    """Compute what is due, create each notice once, send the unsent ones (when SMTP is configured), and
    append one audit event. ``dry_run``: compute and say what would be created, writing nothing."""
    require(actor, "jobs.run")
    today = today or agency_today(settings)
    summary = RunSummary(today, _worker_id(), dry_run, bool(settings.smtp_host), digest=settings.notice_digest)
    with db.transaction() as s:
        summary.due = due_notices(s, today, settings)
        rows = _rows(summary.due, _emails(s), utcnow())
        summary.rows = len(rows)
        if dry_run:
            have = _existing(s, [r["key"] for r in rows])
            summary.created = [r["key"] for r in rows if r["key"] not in have]
        else:
            summary.created = _insert(s, rows)
    if dry_run:
        return summary
    # housekeeping: inventory uploads that were dry-run and never imported (mode 0600, but not kept forever)
    summary.uploads_removed = uploads.clean(settings)
    if settings.smtp_host:
        if settings.notice_digest == "daily":
            _deliver_digests(db, settings, summary.worker, today, summary)
        else:
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
            "pending": summary.pending_total, "smtp": summary.smtp, "digest": summary.digest,
            "digests": len(summary.digests), "uploads_removed": len(summary.uploads_removed),
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
