"""The jobs' outbox: inserting each notice once (``INSERT ... ON CONFLICT (key) DO NOTHING``), claiming and
sending it once (``Mailer``, SMTP), and the daily digest (RAIGOV_NOTICE_DIGEST=daily). The protocol is
described in ``raigov.jobs.service``; like it, these take the `Database`, not a session: each insert, claim
and mark is its own commit, so other hosts see it at once."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import smtplib
import socket
import ssl
import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from raigov.config import Settings
from raigov.db.base import utcnow
from raigov.db.engine import Database
from raigov.identity.models import User
from raigov.jobs import clocks as C
from raigov.jobs.models import Notice

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
    chores: dict[str, list] = field(default_factory=dict)  # each registered chore's result (domains.Contribution.chores)

    def as_dict(self) -> dict:
        return {"today": self.today.isoformat(), "worker": self.worker, "dry_run": self.dry_run, "smtp": self.smtp,
                "due": [n.as_dict() for n in self.due], "rows": self.rows, "created": self.created,
                "sent": self.sent, "failed": self.failed, "pending_total": self.pending_total,
                "pending": self.pending, "digest": self.digest, "digests": self.digests,
                "uploads_removed": self.uploads_removed, "chores": self.chores}


def user_emails(session: Session) -> dict[str, str | None]:
    return {u: e for u, e in session.execute(select(User.username, User.email).where(User.is_active))}


def notice_rows(due: list[C.DueNotice], emails: dict[str, str | None], now: dt.datetime) -> list[dict]:
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


def insert_notices(session: Session, rows: list[dict]) -> list[str]:
    """INSERT ... ON CONFLICT (key) DO NOTHING; the keys actually inserted."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    created: list[str] = []
    for i in range(0, len(rows), _CHUNK):
        stmt = (insert(Notice).values(rows[i:i + _CHUNK]).on_conflict_do_nothing(index_elements=["key"])
                .returning(Notice.key))
        created += session.scalars(stmt).all()
    return sorted(created)


def existing_keys(session: Session, keys: list[str]) -> set[str]:
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
        emails = user_emails(s)
        for nid, username in waiting:
            if emails.get(username):
                s.execute(update(Notice).where(Notice.id == nid, Notice.recipient.like("user:%"))
                          .values(recipient=emails[username], last_error=None)
                          .execution_options(synchronize_session=False))


def deliver(db: Database, settings: Settings, worker: str, summary: RunSummary) -> None:
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


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


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
            insert_notices(s, sorted(rows, key=lambda r: r["key"]))


def _digest_body(day: dt.date, members: list) -> str:
    lines = [f"raigov: {len(members)} notice{'' if len(members) == 1 else 's'} for {day.isoformat()}", ""]
    for i, m in enumerate(members, 1):
        lines += [f"{i}. {m.subject}", *("   " + ln if ln else "" for ln in m.body.rstrip("\n").splitlines()),
                  f"   (notice {m.key})", ""]
    lines.append("You receive one digest a day (RAIGOV_NOTICE_DIGEST=daily); every notice is also on the "
                 "Notices page.")
    return "\n".join(lines) + "\n"


def send_digest(db: Database, mailer: Mailer, worker: str, digest_id: int) -> dict | None:
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


def deliver_digests(db: Database, settings: Settings, worker: str, today: dt.date, summary: RunSummary) -> None:
    _fill_addresses(db)
    _create_digests(db, today)
    mailer = Mailer(settings)
    try:
        with db.transaction() as s:
            ids = s.scalars(select(Notice.id).where(Notice.object_type == DIGEST, Notice.sent_at.is_(None))
                            .order_by(Notice.id)).all()
        for did in ids:
            res = send_digest(db, mailer, worker, did)
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
