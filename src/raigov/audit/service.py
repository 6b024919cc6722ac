"""The audit trail: append (inside the caller's transaction), read, verify, sign heads, prove.

Every service call that changes state calls `record` in the same transaction, so the event
commits or rolls back with the change it describes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from hashlib import sha256

from sqlalchemy import Engine, event, func, or_, select, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool

from raigov.audit import actions, merkle
from raigov.audit.canonical import (
    GENESIS_HASH,
    canonical_json,
    encode_str,
    event_bytes,
    event_hash,
    event_head,
    format_time,
    head_message,
    state_digest,
)
from raigov.audit.models import EPOCH_PREDICATE, AuditEvent, AuditTreeHead
from raigov.audit.signing import load_signing_key, public_key_hex, verify_signature
from raigov.db.base import utcnow
from raigov.db.engine import Statement, pipeline
from raigov.errors import NotFound, ValidationFailed
from raigov.identity.permissions import Actor, require

_LAST = "raigov.audit.last"  # session.info key: (seq, hash) of the last event this transaction wrote
_CHANGED = "raigov.audit.changed"  # session.info key: this transaction appended an event that may change state
_EPOCH = "raigov.audit.epoch"  # session.info key: the epoch as this transaction first read it
# connection info key: the transaction was committed by ``record_with(commit=True)`` (nothing may run until it ends)
_COMMITTED = "raigov.audit.committed"
PG_LOCK_KEY = 0x7261_6967  # advisory lock (with the schema) that serialises appends on PostgreSQL


@event.listens_for(Session, "after_soft_rollback")
def _forget_last(session: Session, previous_transaction) -> None:
    """A rolled-back transaction or savepoint may have appended events: ask the table again."""
    session.info.pop(_LAST, None)
    session.info.pop(_CHANGED, None)
    session.info.pop(_EPOCH, None)


@event.listens_for(Session, "after_commit")
def _forget_changed(session: Session) -> None:
    session.info.pop(_CHANGED, None)
    session.info.pop(_EPOCH, None)


@event.listens_for(Engine, "before_cursor_execute")
def _refuse_after_commit(conn, cursor, statement, parameters, context, executemany) -> None:
    """No statement after ``record_with(commit=True)`` until the session commits (or rolls back): it would run in a
    transaction of its own, outside the change it belongs to."""
    if conn.info.get(_COMMITTED):
        raise RuntimeError("a statement after record_with(commit=True), which committed the transaction: it must be "
                           "the transaction's last work")


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _transaction_ended(conn) -> None:
    conn.info.pop(_COMMITTED, None)


@event.listens_for(Pool, "checkin")
def _given_back(dbapi_conn, record) -> None:  # a connection given back by any other way (invalidated, say)
    if record is not None:
        record.info.pop(_COMMITTED, None)


def record(
    session: Session,
    actor: Actor | str,
    action: str,
    object_type: str,
    object_id: str | int,
    state: object = None,
    details: dict | None = None,
) -> AuditEvent:
    """Append one event. `action` must be in the catalogue (audit/actions.yaml; UnknownAuditAction
    otherwise); `state` is the object's new state (only its digest is kept); `details` is a small,
    non-secret summary kept verbatim and covered by the hash."""
    ev = _next_event(session, actor, action, object_type, object_id, state, details)
    # written at once with one compiled statement, not through the ORM's unit of work (its flush cost about a
    # millisecond per event); the returned event is not attached to the session
    session.connection().execute(_INSERT_EVENT, {c: getattr(ev, c) for c in _EVENT_COLUMNS})
    return ev



def record_with(
    session: Session,
    actor: Actor | str,
    action: str,
    object_type: str,
    object_id: str | int,
    state: object,
    details: dict | None,
    statements: Sequence[Statement],
    *,
    commit: bool = False,
) -> tuple[AuditEvent, list[list[tuple]]]:
    """``record``, and `statements` of the same change (SQL text in the driver's ``%(name)s`` style, with their
    parameters; ``APPENDED_SEQ`` in them stands for the new event's sequence number), all in one round trip:
    psycopg's pipeline mode. PostgreSQL only.

    The trail's append lock is held until the transaction ends, and every other writer of the trail waits for
    it; a writer that takes it, reads the last event, chains the hash in Python and then writes holds it across
    round trips and the client's work between them, which under concurrent load is what bounded the throughput
    of the decision ledger (docs/oversight.md §7). Here the lock, the event and the statements go in one
    pipeline: the lock is taken, then the event is inserted by one statement that reads the last event (with a
    snapshot of its own, taken once the lock is granted) and chains the hash in SQL (``_APPEND_PG``: the bytes of
    ``canonical.event_bytes``, their start built here, the rest and the time in SQL). The lock is then held only
    while the server runs the rest of the pipeline.

    The event (as stored), and each statement's rows (those it returned). A database error (a unique key, say)
    is raised as SQLAlchemy's, after which the transaction can only roll back.

    `commit`: these are the transaction's last statements, and its COMMIT goes in the same round trip (the
    session's own commit then finds nothing to commit). Only for a caller that ends the transaction next
    (``oversight.record_decisions(final=True)``, the API's): a statement before the session commits or rolls back
    raises RuntimeError rather than run outside the transaction."""
    if commit and session.in_nested_transaction():
        raise RuntimeError("record_with(commit=True) inside a savepoint")
    _note_action(session, action)
    label = actor.label if isinstance(actor, Actor) else str(actor)
    digest, det, oid = state_digest(state), canonical_json(details or {}), str(object_id)
    head = event_head(action=action, actor=label, details=det, object_id=oid, object_type=object_type)
    if session.autoflush:  # as an ORM query would: pending objects are written first
        session.flush()
    conn = session.connection()
    append = {"actor": label, "action": action, "object_type": object_type, "object_id": oid, "state_digest": digest,
              "details": det, "head": head, "genesis": GENESIS_HASH}
    rows = pipeline(session, [(_LOCK_PG, {"k": PG_LOCK_KEY}), (_APPEND_PG, append), *statements,
                              *([("COMMIT", None)] if commit else [])])
    if commit:
        conn.info[_COMMITTED] = True
    seq, time, prev, h = rows[1][0]
    session.info[_LAST] = (seq, h)
    ev = AuditEvent(seq=seq, time=time, actor=label, action=action, object_type=object_type, object_id=oid,
                    state_digest=digest, details=det, prev_hash=prev, event_hash=h)
    return ev, rows[2:2 + len(statements)]


def _note_action(session: Session, action: str) -> None:
    """`action` must be in the catalogue; one that may change state marks the transaction (``epoch``)."""
    actions.check(action)
    known = actions.ACTIONS.get(action)
    if known is None or not known.ledger:
        session.info[_CHANGED] = True


def _next_event(session: Session, actor: Actor | str, action: str, object_type: str, object_id: str | int,
                state: object, details: dict | None) -> AuditEvent:
    """The next event of the trail (not yet written): the append lock taken, the last event read (or known
    from an earlier append of this transaction), the hash chained."""
    _note_action(session, action)
    last = session.info.get(_LAST)
    if last is None:
        if session.get_bind().dialect.name == "postgresql":
            # one log per schema: two raigov databases sharing a server (or tests) do not wait on each other. The
            # lock and the read in one round trip: the read runs once the lock is granted, with a snapshot of its
            # own (READ COMMITTED), so it sees the last event of the writer that held the lock before.
            if session.autoflush:  # as the ORM query this replaces did: pending objects are written first
                session.flush()
            found = pipeline(session, [(_LOCK_PG, {"k": PG_LOCK_KEY}), (_LAST_PG, {})])[1]
            row = found[0] if found else None
        else:
            row = session.execute(
                select(AuditEvent.seq, AuditEvent.event_hash).order_by(AuditEvent.seq.desc()).limit(1)
            ).first()
        last = (row[0], row[1]) if row else (0, GENESIS_HASH)
    seq, prev = last[0] + 1, last[1]
    ev = AuditEvent(
        seq=seq,
        time=format_time(utcnow()),
        actor=actor.label if isinstance(actor, Actor) else str(actor),
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        state_digest=state_digest(state),
        details=canonical_json(details or {}),
        prev_hash=prev,
    )
    ev.event_hash = event_hash(_bytes_of(ev))
    session.info[_LAST] = (seq, ev.event_hash)
    return ev


_EPOCH_PG = f"SELECT seq, event_hash FROM audit_events WHERE {EPOCH_PREDICATE} ORDER BY seq DESC LIMIT 1"
_EPOCH_SQL = text(_EPOCH_PG)


def epoch(session: Session) -> tuple[int, str] | None:
    """The trail's epoch: (seq, hash) of the newest event that may have changed state, that is of any action but
    the append-only ledgers' (actions.yaml ``ledger: true``: decisions recorded or refused, prompts screened).
    Every change appends an event in its transaction, so a value computed from the database under one epoch
    is still right while the epoch is the same; the hash makes it unique to this trail (a database emptied and
    filled again does not repeat it). One look-up in the partial index ix_audit_events_epoch; the predicate is
    written out so that the planner matches the index (a bound parameter would hide it).

    None when this transaction itself appended such an event: its change is not committed, so nothing may be
    taken from, or put into, a cache under any epoch.

    Read once per transaction: later calls in the same transaction answer the first reading (forgotten at commit
    and rollback), so a request that consults several caches (its API token's actor, the use case, the gate's
    input) pays one look-up. Values cached then are as of the transaction's first reading of the epoch or newer,
    never older: each is read after it."""
    if session.info.get(_CHANGED):
        return None
    memo = session.info.get(_EPOCH)
    if memo is None:
        if session.get_bind().dialect.name == "postgresql":
            # through a pipeline: when the epoch is a transaction's first statement (an API request's), psycopg sends
            # its BEGIN with it, one round trip instead of two
            if session.autoflush:  # as session.execute would: pending objects are written first
                session.flush()
            found = pipeline(session, [(_EPOCH_PG, None)])[0]
            row = found[0] if found else None
        else:
            row = session.execute(_EPOCH_SQL).first()
        memo = session.info[_EPOCH] = (row[0], row[1]) if row else (0, GENESIS_HASH)
    return memo


_EVENT_COLUMNS = ("seq", "time", "actor", "action", "object_type", "object_id", "state_digest", "details", "prev_hash",
                  "event_hash")
_INSERT_EVENT = AuditEvent.__table__.insert()
_LOCK_PG = "SELECT pg_advisory_xact_lock(%(k)s, hashtext(current_schema()))"
_LAST_PG = f"SELECT seq, event_hash FROM {AuditEvent.__tablename__} ORDER BY seq DESC LIMIT 1"
# the one-statement append (record_with): the last event read once the lock is granted (a statement's own snapshot),
# the time taken then, and the hash chained as canonical.event_bytes does: the start (%(head)s) built in Python, then
# EVENT_TAIL's values: '<prev_hash>","seq":<seq>,"state_digest":"<digest>","time":"<time>"}'
_APPEND_PG = (
    f"INSERT INTO {AuditEvent.__tablename__} ({', '.join(_EVENT_COLUMNS)}) "
    "SELECT n.seq, n.time, %(actor)s, %(action)s, %(object_type)s, %(object_id)s, n.digest, %(details)s, "
    "n.prev, encode(sha256('\\x00'::bytea || convert_to(CAST(%(head)s AS text) || n.prev || '\",\"seq\":' || n.seq "
    "|| ',\"state_digest\":\"' || n.digest || '\",\"time\":\"' || n.time || '\"}', 'UTF8')), 'hex') "
    "FROM (SELECT COALESCE(l.seq, 0) + 1 AS seq, COALESCE(l.event_hash, CAST(%(genesis)s AS text)) AS prev, "
    "CAST(%(state_digest)s AS text) AS digest, "
    "to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS time "
    f"FROM (SELECT 1) AS one LEFT JOIN (SELECT seq, event_hash FROM {AuditEvent.__tablename__} "
    "ORDER BY seq DESC LIMIT 1) AS l ON true) AS n "
    "RETURNING seq, time, prev_hash, event_hash")
# in a statement after record_with's append, in the same transaction: the new event's sequence number (the append
# lock is held until the transaction ends, so the newest event is this transaction's)
APPENDED_SEQ = f"(SELECT max(seq) FROM {AuditEvent.__tablename__})"


def _bytes_of(ev) -> bytes:
    return event_bytes(
        seq=ev.seq,
        time=ev.time,
        actor=ev.actor,
        action=ev.action,
        object_type=ev.object_type,
        object_id=ev.object_id,
        state_digest=ev.state_digest,
        details=ev.details,
        prev_hash=ev.prev_hash,
    )


def event_as_dict(ev: AuditEvent) -> dict:
    return {
        "seq": ev.seq,
        "time": ev.time,
        "actor": ev.actor,
        "action": ev.action,
        "object_type": ev.object_type,
        "object_id": ev.object_id,
        "state_digest": ev.state_digest,
        "details": ev.details,
        "prev_hash": ev.prev_hash,
        "event_hash": ev.event_hash,
    }


# ---------------------------------------------------------------- reading

@dataclass
class EventFilter:
    actor: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def list_events(
    session: Session, actor: Actor, flt: EventFilter | None = None, *, limit: int = 50, offset: int = 0
) -> tuple[list[AuditEvent], int]:
    require(actor, "audit.event.read")
    flt = flt or EventFilter()
    q = select(AuditEvent)
    if flt.actor:
        q = q.where(AuditEvent.actor.contains(flt.actor, autoescape=True))
    if flt.action:
        # events of the same act stored under a former (or, filtering by a former name, the current) name too
        cond = AuditEvent.action.startswith(flt.action, autoescape=True)
        also = actions.filter_names(flt.action)
        q = q.where(or_(cond, AuditEvent.action.in_(also)) if also else cond)
    if flt.object_type:
        q = q.where(AuditEvent.object_type == flt.object_type)
    if flt.object_id:
        q = q.where(AuditEvent.object_id == flt.object_id)
    if flt.since:
        q = q.where(AuditEvent.time >= format_time(flt.since))
    if flt.until:
        q = q.where(AuditEvent.time < format_time(flt.until))
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = session.scalars(q.order_by(AuditEvent.seq.desc()).limit(min(limit, 500)).offset(offset)).all()
    return list(rows), total


def get_event(session: Session, actor: Actor, seq: int) -> AuditEvent:
    require(actor, "audit.event.read")
    ev = session.get(AuditEvent, seq)
    if ev is None:
        raise NotFound(f"no audit event {seq}")
    return ev


def distinct_values(session: Session, actor: Actor, column: str) -> list[str]:
    require(actor, "audit.event.read")
    col = {"action": AuditEvent.action, "object_type": AuditEvent.object_type}[column]
    return list(session.scalars(select(col).distinct().order_by(col)).all())


# ---------------------------------------------------------------- verification

@dataclass
class Finding:
    seq: int | None
    kind: str  # changed | deleted | inserted | reordered | head-mismatch | bad-signature | truncated
    message: str


@dataclass
class VerifyResult:
    ok: bool
    events: int
    heads_checked: int
    root_hash: str
    findings: list[Finding] = field(default_factory=list)

    def as_dict(self) -> dict:
        d = asdict(self)
        d["first_bad_seq"] = self.findings[0].seq if self.findings else None
        return d


_COLS = "seq, time, actor, action, object_type, object_id, state_digest, details, prev_hash, event_hash"
_EVENT_FMT = (
    '{"action":%s,"actor":%s,"details":%s,"object_id":%s,"object_type":%s,'
    '"prev_hash":"%s","seq":%d,"state_digest":"%s","time":"%s"}'
)  # the same bytes as canonical.event_bytes, inlined for the verification loop


def _scan(session: Session, batch: int = 20000):
    """All events in seq order as plain tuples, straight from the DB-API cursor (no ORM, no Row
    objects): verification reads every event and this is its hot path."""
    cur = session.connection().connection.cursor()
    try:
        cur.execute(f"SELECT {_COLS} FROM audit_events ORDER BY seq")
        while True:
            rows = cur.fetchmany(batch)
            if not rows:
                return
            yield rows
    finally:
        cur.close()


def _fold(stack: list) -> bytes:
    if not stack:
        return merkle.EMPTY_ROOT
    cur = stack[-1][1]
    for _, left in reversed(stack[:-1]):
        cur = merkle.node_hash(left, cur)
    return cur


def verify(session: Session, actor: Actor, *, max_findings: int = 20) -> VerifyResult:
    """Check the hash chain and the Merkle tree against every signed head kept.

    Names the first event that was changed, deleted, inserted or reordered."""
    require(actor, "audit.trail.verify")
    findings: list[Finding] = []
    heads = list(session.scalars(select(AuditTreeHead).order_by(AuditTreeHead.tree_size)).all())
    head_sizes: dict[int, list[AuditTreeHead]] = {}
    for h in heads:
        head_sizes.setdefault(h.tree_size, []).append(h)
    enc, sha, fmt = encode_str, sha256, _EVENT_FMT
    stack: list[tuple[int, bytes]] = []
    size = 0
    expected_seq, prev = 1, GENESIS_HASH
    seen: dict[str, int] | None = None  # event hash -> seq, built only once something is wrong
    for rows in _scan(session):
        for seq, time_, actor_, action, otype, oid, sdig, details, prev_hash, stored in rows:
            digest = sha(b"\x00" + (fmt % (enc(action), enc(actor_), details, enc(oid), enc(otype), prev_hash, seq,
                                            sdig, time_)).encode()).digest()
            if seq != expected_seq or prev_hash != prev or digest.hex() != stored:
                if seen is None:
                    seen = _hash_index(session)
                if len(findings) < max_findings:
                    findings.append(_classify(seq, expected_seq, prev_hash, prev, digest.hex(), stored, seen))
            prev = stored
            expected_seq = seq + 1
            # the Merkle tree over the recomputed leaf hashes (RFC 9162), built incrementally
            height, node = 0, digest
            while stack and stack[-1][0] == height:
                node = sha(b"\x01" + stack.pop()[1] + node).digest()
                height += 1
            stack.append((height, node))
            size += 1
            if size in head_sizes:
                r = _fold(stack).hex()
                for h in head_sizes[size]:
                    if h.root_hash != r:
                        findings.append(Finding(None, "head-mismatch",
                                                f"the signed head of {h.timestamp} at tree size {h.tree_size} no longer matches: "
                                                f"an event up to {h.tree_size} was rewritten"))
    for h in heads:
        if not verify_signature(h.public_key, h.signature, head_message(h.tree_size, h.root_hash, h.timestamp)):
            findings.append(Finding(None, "bad-signature", f"the signature of the head at tree size {h.tree_size} is not valid"))
        if h.tree_size > size:
            findings.append(
                Finding(
                    size + 1,
                    "truncated",
                    f"a head was signed at tree size {h.tree_size} but only {size} events remain: "
                    f"events after {size} were deleted",
                )
            )
    return VerifyResult(not findings, size, len(heads), _fold(stack).hex(), findings)


def _hash_index(session: Session) -> dict[str, int]:
    return {h: seq for seq, h in session.connection().exec_driver_sql("SELECT seq, event_hash FROM audit_events")}


def _classify(seq: int, expected_seq: int, prev_hash: str, prev: str, computed: str, stored: str, seen: dict) -> Finding:
    if seq > expected_seq:
        missing = f"{expected_seq}" if seq == expected_seq + 1 else f"{expected_seq}–{seq - 1}"
        return Finding(expected_seq, "deleted", f"event {missing} is missing (deleted)")
    if seq < expected_seq:
        return Finding(seq, "inserted", f"event {seq} appears out of sequence (inserted)")
    if computed != stored:
        return Finding(seq, "changed", f"event {seq} was changed: its content no longer matches its hash")
    if prev_hash in seen and seen[prev_hash] != seq - 1:
        return Finding(
            seq, "reordered", f"event {seq} was reordered: it links to event {seen[prev_hash]}, not to event {seq - 1}"
        )
    return Finding(
        seq, "inserted", f"event {seq} does not link to event {seq - 1}: an event was inserted, replaced or removed here"
    )


# ---------------------------------------------------------------- heads and proofs


def _leaf_hashes(session: Session, upto: int | None = None) -> list[bytes]:
    q = "SELECT event_hash FROM audit_events ORDER BY seq"
    rows = session.connection().exec_driver_sql(q).fetchall()
    if upto is not None:
        rows = rows[:upto]
    return [bytes.fromhex(r[0]) for r in rows]


def tree_size(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def sign_head(session: Session, actor: Actor, data_dir) -> dict:
    """Compute the current tree head, sign it with the Ed25519 key and keep it."""
    require(actor, "audit.head.sign")
    leaves = _leaf_hashes(session)
    root = merkle.root(leaves).hex()
    ts = format_time(utcnow())
    key = load_signing_key(data_dir)
    sig = key.sign(head_message(len(leaves), root, ts)).hex()
    head = AuditTreeHead(tree_size=len(leaves), root_hash=root, timestamp=ts, signature=sig, public_key=public_key_hex(key))
    session.add(head)
    session.flush()
    return head_as_dict(head)


def head_as_dict(h: AuditTreeHead) -> dict:
    return {
        "tree_size": h.tree_size,
        "root_hash": h.root_hash,
        "timestamp": h.timestamp,
        "signature": h.signature,
        "public_key": h.public_key,
    }


def latest_head(session: Session) -> dict | None:
    h = session.scalars(select(AuditTreeHead).order_by(AuditTreeHead.id.desc()).limit(1)).first()
    return head_as_dict(h) if h else None


def inclusion(session: Session, actor: Actor, seq: int, size: int | None = None) -> dict:
    """Inclusion proof of event `seq` in the tree of the first `size` events (default: all)."""
    require(actor, "audit.event.read")
    leaves = _leaf_hashes(session)
    n = len(leaves) if size is None else size
    if not 1 <= seq <= n or n > len(leaves):
        raise ValidationFailed.one("seq", f"event {seq} is not in a tree of size {n} (the log has {len(leaves)} events)")
    leaves = leaves[:n]
    path = merkle.inclusion_proof(leaves, seq - 1)
    return {
        "seq": seq,
        "leaf_index": seq - 1,
        "tree_size": n,
        "leaf_hash": leaves[seq - 1].hex(),
        "inclusion_path": [p.hex() for p in path],
        "root_hash": merkle.root(leaves).hex(),
    }


def consistency(session: Session, actor: Actor, old: int, new: int) -> dict:
    require(actor, "audit.event.read")
    leaves = _leaf_hashes(session)
    if not 1 <= old <= new <= len(leaves):
        raise ValidationFailed.one("old", f"need 1 <= OLD <= NEW <= {len(leaves)} (got {old}, {new})")
    leaves = leaves[:new]
    return {
        "old_size": old,
        "new_size": new,
        "old_root_hash": merkle.root(leaves[:old]).hex(),
        "new_root_hash": merkle.root(leaves).hex(),
        "consistency_path": [p.hex() for p in merkle.consistency_proof(leaves, old)],
    }
