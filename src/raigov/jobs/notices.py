"""The Notices page: who sees which notice (those addressed to them, and those about the objects of the
components they may read, through the object queries the clocks register), and retrying a failed one."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import String, cast, false, func, or_, select, update
from sqlalchemy.orm import Session

from raigov.audit.service import record
from raigov.config import Settings
from raigov.db.base import utcnow
from raigov.db.engine import Database
from raigov.domains import clocks, load
from raigov.errors import AuthenticationFailed, Conflict, FieldError, NotFound, ValidationFailed
from raigov.identity.models import User
from raigov.identity.permissions import Actor, require
from raigov.inventory.access import Readable, readable
from raigov.inventory.models import UseCase
from raigov.jobs.models import Notice
from raigov.jobs.outbox import CLAIM_LEASE, DIGEST, Mailer, send_digest, worker_id
from raigov.jobs.vocab import NoticeStatus

log = logging.getLogger("raigov.jobs")


STATUSES = tuple(NoticeStatus)

# What a person reads for a notice: its kind and its event in words. The key (`practice:57:overdue:2026-10-16:
# to:uscis.owner`) stays stored, as the outbox's guard against sending twice, and is never shown.
KIND_WORDS = {
    "practice_due": "Minimum practice",
    "evidence_expiry": "Evidence",
    "waiver_certification": "Waiver's yearly certification",
    "waiver_omb_report": "Waiver's report to OMB",
    "bias_retest": "Face-recognition bias re-test",
    "review_overdue": "Review",
    "datacall_certification": "Data call certification",
    "digest": "Daily digest",
}
EVENT_WORDS = {
    "soon": "due on", "overdue": "overdue since", "expiring": "expires on", "expired": "expired on",
    "certify-soon": "due on", "certify-overdue": "overdue since", "omb-report-soon": "due on",
    "omb-report-overdue": "overdue since", "retest-soon": "due on", "retest-overdue": "overdue since",
}
STATUS_WORDS = {"pending": "Waiting to be sent", "sent": "Sent", "failed": "Could not be sent"}


def kind_words(kind: str) -> str:
    """A notice kind in words (a kind another domain's clock adds reads as its words with spaces)."""
    return KIND_WORDS.get(kind, kind.replace("_", " ").capitalize())


def describe(kind: str, key: str) -> str:
    """What a notice is about, in words, from its kind and its key (`object:id:event:date[:to:user]`):
    'Minimum practice: overdue since 2026-10-16'."""
    parts = key.split(":")
    event, due = (parts[2], parts[3]) if len(parts) >= 4 else ("", "")
    words = EVENT_WORDS.get(event)
    if words and due[:4].isdigit():
        return f"{kind_words(kind)}: {words} {due}"
    return kind_words(kind)


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

    @property
    def what(self) -> str:
        return describe(self.kind, self.key)

    @property
    def status_words(self) -> str:
        return STATUS_WORDS.get(self.status, self.status)

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
        return NoticeStatus.SENT
    return NoticeStatus.FAILED if last_error else NoticeStatus.PENDING


def _status_clause(status: str):
    if status == NoticeStatus.SENT:
        return Notice.sent_at.is_not(None)
    if status == NoticeStatus.FAILED:
        return (Notice.sent_at.is_(None)) & Notice.last_error.is_not(None)
    return (Notice.sent_at.is_(None)) & Notice.last_error.is_(None)


def _object_queries() -> tuple[dict[str, object], set[str]]:
    """({object_type: SELECT (object id, use case id)}, object types named by their component)."""
    queries: dict[str, object] = {}
    by_component: set[str] = set()
    for clock in clocks():
        for object_type, ref in clock.objects.items():
            queries.setdefault(object_type, load(ref)())
        by_component |= set(clock.component_objects)
    return queries, by_component


def _about(scope: Readable):
    """Notices about an object of a use case (or a component) the read scope reaches."""
    queries, by_component = _object_queries()
    clauses = []
    for t, q in queries.items():
        sub = q.subquery()
        oid, uid = sub.c[0], sub.c[1]
        clauses.append((Notice.object_type == t)
                       & Notice.object_id.in_(select(cast(oid, String)).where(scope.filter(uid))))
    clauses += [(Notice.object_type == t) & Notice.object_id.like(f"%:{u}")
                for t in sorted(by_component) for u in sorted(scope.codes or ())]
    return or_(*clauses) if clauses else false()


def _visibility(session: Session, actor: Actor):
    """(SQL condition or None for everything, scope label): the notices addressed to the person, and those
    about the objects their read scope for ``jobs.notice.read`` reaches (``inventory.readable``)."""
    if actor.kind == "anonymous":
        raise AuthenticationFailed("sign in to see notices")
    scope = readable(session, actor, "jobs.notice.read")
    if scope.everything:
        return None, "all"
    own = Notice.recipient_user == actor.username
    if scope.nothing:
        return own, "own"
    return or_(own, _about(scope)), "component"


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
    error so the next run sends it. Audited as `jobs.notice.retry` whatever the outcome."""
    require(actor, "jobs.notice.retry")
    with db.transaction() as s:
        n = s.get(Notice, notice_id)
        if n is None:
            raise NotFound(f"notice {notice_id} not found")
        if _status_of(n.sent_at, n.last_error) != NoticeStatus.FAILED:
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
        worker = f"retry:{actor.username}:{worker_id()}"
        try:
            if is_digest:
                res = send_digest(db, mailer, worker, notice_id)
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
        record(s, actor, "jobs.notice.retry", "notice", key, None,
               {"key": key, "recipient": result.recipient, "result": result.result, "error": result.error})
    return result
