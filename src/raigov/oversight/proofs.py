"""A decision's proof: decision -> its batch's Merkle root -> the audit event carrying that root -> a signed tree
head of the audit trail. Every step is checked here and can be checked again by anyone with the output alone
(docs/oversight.md, "Checking a proof").

Both trees are walked once (``path_and_root``: the inclusion path and the root in one pass, each node hashed once),
and the roots of full chunks of ``CHUNK`` leaves, which never change once full (the ledger and the audit trail are
append-only), are kept per process: a proof then reads the leaves of the chunk that holds its leaf and of the
unfinished tail only. A cached root is keyed by what commits to its leaves (a batch's Merkle root as its audit
event states it; the chained hash of a trail chunk's last event), so a stale entry cannot be used; and every step is
still checked against the stored event and the signed head, as the independent verifier does."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from raigov.audit import merkle
from raigov.audit.batch import item_hash
from raigov.audit.canonical import event_bytes, event_hash, head_message
from raigov.audit.models import AuditEvent, AuditTreeHead
from raigov.audit.service import event_as_dict, head_as_dict
from raigov.audit.signing import verify_signature
from raigov.identity.permissions import Actor
from raigov.oversight.ledger import item_of
from raigov.oversight.models import PROOF_CHUNK, BatchChunk, Decision
from raigov.oversight.reads import decision_out, get_decision

EVENT_FIELDS = ("seq", "time", "actor", "action", "object_type", "object_id", "state_digest", "details", "prev_hash")
CHUNK = PROOF_CHUNK  # leaves per chunk root (a power of two: RFC 9162 subtrees of this size start at its multiples)
_CACHE: dict[tuple, bytes] = {}
_CACHE_LOCK = threading.Lock()
_CACHE_MAX = 200_000


def _cache_get(key: tuple) -> bytes | None:
    with _CACHE_LOCK:
        return _CACHE.get(key)


def _cache_put(key: tuple, value: bytes) -> None:
    with _CACHE_LOCK:
        if len(_CACHE) >= _CACHE_MAX:
            _CACHE.clear()
        _CACHE[key] = value


def _walk(leaves: list[bytes], m: int | None, path: list[bytes]) -> bytes:
    """Root of `leaves`, appending to `path` the audit path of leaf `m` (None: no path), each node hashed once."""
    n = len(leaves)
    if n == 1:
        return leaves[0]
    if m is None:
        return merkle.root(leaves)
    k = 1 << ((n - 1).bit_length() - 1)
    if m < k:
        left = _walk(leaves[:k], m, path)
        right = merkle.root(leaves[k:])
        path.append(right)
    else:
        right = _walk(leaves[k:], m - k, path)
        left = merkle.root(leaves[:k])
        path.append(left)
    return merkle.node_hash(left, right)


def path_and_root(n: int, index: int, fetch: Callable[[int, int], list[bytes]],
                  chunk_key: Callable[[int], tuple | None],
                  stored: Callable[[], dict[int, bytes]] | None = None) -> tuple[list[bytes], bytes]:
    """RFC 9162 inclusion path of leaf `index` and the root of a tree of `n` leaves, reading leaves with
    `fetch(lo, hi)` (the leaf hashes of [lo, hi)) only where no chunk root is known: the full chunk
    ``[c * CHUNK, (c + 1) * CHUNK)`` is cached under ``chunk_key(c)`` (None: not cached), and `stored()` gives the
    chunk roots written with the tree (asked only when some are not cached). A wrong root, cached or stored, gives
    a wrong tree root, which the caller checks against what the audit event states."""
    if not 0 <= index < n:
        raise ValueError(f"leaf index {index} outside a tree of size {n}")
    full = n // CHUNK
    mine = index // CHUNK
    roots: dict[int, bytes] = {}
    keys = {c: chunk_key(c) for c in range(full) if c != mine}
    for c, key in keys.items():
        got = _cache_get(key) if key is not None else None
        if got is not None:
            roots[c] = got
    missing = [c for c in range(full) if c != mine and c not in roots]
    if missing and stored is not None:
        known = stored()
        for c in missing:
            if c in known:
                roots[c] = known[c]
        missing = [c for c in missing if c not in roots]
    # the leaves to read: the missing chunks, the leaf's own chunk and the tail, in as few reads as possible
    wanted = sorted({*missing, mine} | ({full} if n % CHUNK else set()))
    leaves: dict[int, list[bytes]] = {}
    runs: list[list[int]] = []
    for c in wanted:
        if runs and runs[-1][-1] == c - 1:
            runs[-1].append(c)
        else:
            runs.append([c])
    for run in runs:
        lo, hi = run[0] * CHUNK, min((run[-1] + 1) * CHUNK, n)
        got = fetch(lo, hi)
        if len(got) != hi - lo:
            raise ValueError(f"expected {hi - lo} leaves in [{lo}, {hi}), read {len(got)}")
        for c in run:
            leaves[c] = got[c * CHUNK - lo:min((c + 1) * CHUNK, n) - lo]
    path: list[bytes] = []

    def node(lo: int, hi: int, m: int | None) -> bytes:
        size = hi - lo
        if size <= CHUNK:  # a chunk (lo is a multiple of CHUNK), full or the tail
            c = lo // CHUNK
            if m is None and c in roots:
                return roots[c]
            r = _walk(leaves[c], m, path)
            if size == CHUNK and c != mine and keys.get(c) is not None:
                _cache_put(keys[c], r)
            elif size == CHUNK and c == mine:
                key = chunk_key(c)
                if key is not None:
                    _cache_put(key, r)
            return r
        k = 1 << ((size - 1).bit_length() - 1)
        if m is None:
            return merkle.node_hash(node(lo, lo + k, None), node(lo + k, hi, None))
        if m < k:
            left = node(lo, lo + k, m)
            right = node(lo + k, hi, None)
            path.append(right)
        else:
            right = node(lo + k, hi, m - k)
            left = node(lo, lo + k, None)
            path.append(left)
        return merkle.node_hash(left, right)

    return path, node(0, n, index)


def _pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _db_key(session: Session) -> str:
    return session.get_bind().url.render_as_string(hide_password=True)


def _trail(session: Session, size: int, index: int) -> tuple[list[bytes], bytes]:
    """Inclusion path of event `index + 1` and the root of the trail's first `size` events."""
    ph = "%s" if _pg(session) else "?"
    conn = session.connection()
    ends = [(c + 1) * CHUNK for c in range(size // CHUNK)]  # seq of each full chunk's last event
    last: dict[int, str] = {}
    for i in range(0, len(ends), 500):
        part = ends[i:i + 500]
        last.update(conn.exec_driver_sql(f"SELECT seq, event_hash FROM audit_events WHERE seq IN ({', '.join([ph] * len(part))})",
                                         tuple(part)).all())
    db = _db_key(session)

    def fetch(lo: int, hi: int) -> list[bytes]:
        return [bytes.fromhex(r[0]) for r in conn.exec_driver_sql(
            f"SELECT event_hash FROM audit_events WHERE seq > {ph} AND seq <= {ph} ORDER BY seq", (lo, hi))]

    def key(c: int) -> tuple | None:
        h = last.get((c + 1) * CHUNK)  # the chained hash of the chunk's last event commits to all before it
        return ("trail", db, c, h) if h is not None else None

    return path_and_root(size, index, fetch, key)


def _batch(session: Session, seq: int, size: int, index: int, root_stated: str) -> tuple[list[bytes], bytes]:
    """Inclusion path of leaf `index` of batch `seq` (of `size` items) and the batch's Merkle root."""
    conn = session.connection()
    db = _db_key(session)

    def fetch(lo: int, hi: int) -> list[bytes]:
        return [bytes.fromhex(h) for h in conn.execute(
            select(Decision.item_hash).where(Decision.batch_seq == seq, Decision.batch_index >= lo,
                                             Decision.batch_index < hi).order_by(Decision.batch_index)).scalars()]

    def stored() -> dict[int, bytes]:
        return {c: bytes.fromhex(r) for c, r in conn.execute(
            select(BatchChunk.chunk, BatchChunk.root).where(BatchChunk.batch_seq == seq))}

    path, root = path_and_root(size, index, fetch, lambda c: ("batch", db, seq, root_stated, c), stored)
    if root.hex() != root_stated:  # a stored chunk root was changed: the leaves decide, as without the table
        path, root = path_and_root(size, index, fetch, lambda c: None)
    return path, root


def prove(session: Session, actor: Actor, decision_pk: int) -> dict:
    """The chain of proofs of one decision, with `verified` (every step checks out) and `steps` (each one)."""
    d, uc = get_decision(session, actor, decision_pk)
    item = item_of(uc.business_id, d.system, d)
    ev = session.get(AuditEvent, d.batch_seq)
    details = json.loads(ev.details)
    stated_items = details.get("items")
    if isinstance(stated_items, int) and stated_items > d.batch_index:
        size = stated_items  # a count of the batch's rows would read them all: the event states it, checked below
        try:
            path, root = _batch(session, d.batch_seq, size, d.batch_index, str(details.get("merkle_root")))
        except ValueError:  # fewer or more rows than the event says: the proof fails (recomputed from the rows)
            size, path, root = _batch_from_rows(session, d)
    else:
        size, path, root = _batch_from_rows(session, d)
    head = session.scalars(select(AuditTreeHead).where(AuditTreeHead.tree_size >= ev.seq)
                           .order_by(AuditTreeHead.id.desc()).limit(1)).first()
    tsize = head.tree_size if head is not None else session.scalar(text("SELECT max(seq) FROM audit_events"))
    ev_path, trail_root = _trail(session, tsize, ev.seq - 1)
    own = item_hash(item)
    recomputed_event = event_hash(event_bytes(**{k: getattr(ev, k) for k in EVENT_FIELDS}))
    steps = {
        "item_hash": own.hex() == d.item_hash,
        "in_batch": merkle.verify_inclusion(own, d.batch_index, size, path, root),
        "batch_root_in_event": details.get("merkle_root") == root.hex() and details.get("items") == size,
        "event_hash": recomputed_event == ev.event_hash,
        "event_in_trail": merkle.verify_inclusion(bytes.fromhex(ev.event_hash), ev.seq - 1, tsize, ev_path, trail_root),
        "signed_head": head is not None and head.root_hash == trail_root.hex() and verify_signature(
            head.public_key, head.signature, head_message(head.tree_size, head.root_hash, head.timestamp)),
    }
    return {
        "decision": decision_out(d, uc.business_id),
        "item": item,
        "batch": {"item_hash": own.hex(), "leaf_index": d.batch_index, "tree_size": size,
                  "inclusion_path": [p.hex() for p in path], "merkle_root": root.hex()},
        "event": event_as_dict(ev),
        "event_proof": {"seq": ev.seq, "leaf_index": ev.seq - 1, "tree_size": tsize, "leaf_hash": ev.event_hash,
                        "inclusion_path": [p.hex() for p in ev_path], "root_hash": trail_root.hex()},
        "signed_head": head_as_dict(head) if head is not None else None,
        "steps": steps,
        "verified": all(steps.values()),
    }


def _batch_from_rows(session: Session, d: Decision) -> tuple[int, list[bytes], bytes]:
    """The batch tree from all of its stored rows (when the event's stated size does not match them)."""
    leaves = [bytes.fromhex(h) for h in session.connection().execute(
        select(Decision.item_hash).where(Decision.batch_seq == d.batch_seq).order_by(Decision.batch_index)).scalars()]
    path: list[bytes] = []
    r = _walk(leaves, d.batch_index, path)
    return len(leaves), path, r
