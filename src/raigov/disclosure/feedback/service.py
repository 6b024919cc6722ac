"""Public feedback's service: the public's `submit` (no account: rate-limited per client, checked, masked, routed
to the owning component), then the component's staff (disclosure.feedback.manage in that component) triage,
respond (optionally publishing the response) and close. Every act is one transaction with its audit event."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from raigov.audit import service as audit
from raigov.config import Settings
from raigov.db.base import utcnow
from raigov.disclosure import site as sites
from raigov.disclosure.feedback.models import Feedback
from raigov.disclosure.feedback.text import clean, mask
from raigov.errors import Conflict, NotFound, RaigovError, ValidationFailed
from raigov.identity.permissions import Actor, require
from raigov.inventory.access import component_of, readable
from raigov.inventory.formats import normalize_id
from raigov.inventory.models import UseCase
from raigov.inventory.vocab import UseCaseStatus

MANAGE = "disclosure.feedback.manage"
PER_HOUR = 5  # messages one client may send in any hour
STATUSES = ("new", "triaged", "responded", "closed")
OPEN = ("new", "triaged")
TOPICS = {"question": "A question", "concern": "A concern about the use", "error": "A possible error or harm",
          "suggestion": "A suggestion", "other": "Something else"}
MAX_RESPONSE = 4000


class TooMany(RaigovError):
    status, code, title = 429, "too-many", "Too many messages"

    def __init__(self, detail: str, retry_after: int):
        super().__init__(detail)
        self.retry_after = retry_after


def client_key(secret: bytes, address: str) -> str:
    """A keyed hash of the client's address: enough to count its messages, not to find who sent them."""
    return hmac.new(secret, f"feedback|{address}".encode(), hashlib.sha256).hexdigest()


def public_use_case(session: Session, business_id: str) -> UseCase:
    """An active use case the public may write about (drafts and retired ones are not public)."""
    uc = session.scalar(select(UseCase).options(joinedload(UseCase.org_unit))
                        .where(UseCase.business_id == normalize_id(business_id), UseCase.status == UseCaseStatus.ACTIVE))
    if uc is None:
        raise NotFound("no public use case has this id")
    return uc


def submit(session: Session, secret: bytes, business_id: str, text: object, address: str,
           now: dt.datetime | None = None) -> Feedback:
    """Keep one message from the public. The rate limit is checked first (per client, PER_HOUR an hour, counted
    in the table so that it holds across processes), then the text (clean), then what the guard finds is masked:
    only the masked text is stored."""
    now = now or utcnow()
    uc = public_use_case(session, business_id)
    key = client_key(secret, address or "unknown")
    since = now - dt.timedelta(hours=1)
    recent = session.execute(select(func.count(), func.min(Feedback.received_at))
                             .where(Feedback.client == key, Feedback.received_at > since)).one()
    if recent[0] >= PER_HOUR:
        wait = max(1, int((recent[1] + dt.timedelta(hours=1) - now).total_seconds()) + 1)
        raise TooMany(f"You have sent {PER_HOUR} messages in the last hour. Please wait {wait // 60 + 1} minutes "
                      "and send again.", wait)
    body, masked = mask(clean(text))
    row = Feedback(use_case_id=uc.id, component=component_of(uc), body=body, masked=masked, client=key,
                   status="new", received_at=now)
    session.add(row)
    session.flush()
    audit.record(session, Actor.anonymous(), "disclosure.feedback.submit", "public_feedback", row.id,
                 details={"use_case": uc.business_id, "characters": len(body), "masked": masked})
    return row


def _load(session: Session, actor: Actor, feedback_id: int, lock: bool = False) -> tuple[Feedback, UseCase]:
    q = select(Feedback, UseCase).join(UseCase, UseCase.id == Feedback.use_case_id).where(Feedback.id == feedback_id)
    found = session.execute(q.with_for_update(of=Feedback) if lock else q).first()
    if found is None:
        raise NotFound("no such feedback")
    require(actor, MANAGE, found[0].component)
    return found[0], found[1]


def queue(session: Session, actor: Actor, status: str | None = None, limit: int = 200) -> list[tuple[Feedback, UseCase]]:
    """The feedback of the components where `actor` may manage it, newest first."""
    scope = readable(session, actor, MANAGE)
    if scope.nothing:
        require(actor, MANAGE)  # raises: no grant anywhere
    q = select(Feedback, UseCase).join(UseCase, UseCase.id == Feedback.use_case_id)
    q = q.where(scope.where_component(Feedback.component))
    if status:
        if status not in STATUSES:
            raise ValidationFailed.one("status", f"one of {', '.join(STATUSES)}")
        q = q.where(Feedback.status == status)
    return [(f, uc) for f, uc in session.execute(q.order_by(Feedback.id.desc()).limit(limit))]


def get(session: Session, actor: Actor, feedback_id: int) -> tuple[Feedback, UseCase]:
    return _load(session, actor, feedback_id)


def _expect(row: Feedback, version: int | None) -> None:
    if version is not None and version != row.version:
        raise Conflict("someone else changed this feedback since you opened it: reload the page")
    if row.status == "closed":
        raise Conflict("this feedback is closed")


def triage(session: Session, actor: Actor, feedback_id: int, topic: str, note: str = "",
           version: int | None = None) -> Feedback:
    row, uc = _load(session, actor, feedback_id, lock=True)
    _expect(row, version)
    if topic not in TOPICS:
        raise ValidationFailed.one("topic", "choose what the message is about")
    note = (note or "").strip()
    if len(note) > MAX_RESPONSE:
        raise ValidationFailed.one("note", f"at most {MAX_RESPONSE:,} characters")
    row.topic, row.note, row.version = topic, note or None, row.version + 1
    if row.status == "new":
        row.status, row.triaged_at = "triaged", utcnow()
    session.flush()
    audit.record(session, actor, "disclosure.feedback.triage", "public_feedback", row.id,
                 details={"use_case": uc.business_id, "topic": topic})
    return row


def respond(session: Session, actor: Actor, feedback_id: int, response: str, publish: bool = False,
            version: int | None = None, settings: Settings | None = None) -> Feedback:
    """Answer a message. A response to publish is refused when it repeats a text the certified inventories withhold
    from the public (`settings`: where their snapshots are; needed to publish)."""
    row, uc = _load(session, actor, feedback_id, lock=True)
    _expect(row, version)
    response = (response or "").replace("\r\n", "\n").strip()
    if not response:
        raise ValidationFailed.one("response", "write the response")
    if len(response) > MAX_RESPONSE:
        raise ValidationFailed.one("response", f"at most {MAX_RESPONSE:,} characters")
    if publish:
        if settings is None:
            raise ValueError("publishing a response needs the settings (the certified snapshots)")
        words = " ".join(response.split())
        if any(t in words for t in sites.withheld_texts(session, settings)):
            raise ValidationFailed.one("response", "the response repeats a text withheld from the public inventory: "
                                       "remove it, or keep the response unpublished")
    now = utcnow()
    row.response, row.response_public, row.status = response, bool(publish), "responded"
    row.responded_at, row.responded_by, row.version = now, actor.label, row.version + 1
    row.triaged_at = row.triaged_at or now
    session.flush()
    audit.record(session, actor, "disclosure.feedback.respond", "public_feedback", row.id,
                 details={"use_case": uc.business_id, "published": bool(publish), "characters": len(response)})
    return row


def close(session: Session, actor: Actor, feedback_id: int, version: int | None = None) -> Feedback:
    row, uc = _load(session, actor, feedback_id, lock=True)
    _expect(row, version)
    row.status, row.closed_at, row.closed_by, row.version = "closed", utcnow(), actor.label, row.version + 1
    session.flush()
    audit.record(session, actor, "disclosure.feedback.close", "public_feedback", row.id,
                 details={"use_case": uc.business_id, "responded": row.responded_at is not None})
    return row


def published(session: Session, business_id: str) -> list[Feedback]:
    """The responses published for a public use case, with the (masked) message they answer; oldest first."""
    uc = public_use_case(session, business_id)
    return list(session.scalars(select(Feedback).where(Feedback.use_case_id == uc.id, Feedback.response_public.is_(True))
                                .order_by(Feedback.responded_at, Feedback.id)))
