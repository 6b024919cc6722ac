"""Bulk work in the audit trail: one event per batch of items, carrying the RFC 9162 Merkle root of
the items' hashes, so that a bulk operation (an import of 40,000 rows) holds the trail's append lock
only for a few short appends and every item can still be proven (docs/audit.md §8).

An **item** is an object of plain JSON values; its bytes are its canonical JSON (canonical.py) and
its hash is the RFC 9162 leaf hash SHA-256(0x00 || bytes), exactly as for an event. A batch event's
`details` carry `merkle_root` (hex, the tree head over the batch's item hashes in order) and `items`
(how many); its `state_digest` is the digest of {"items": n, "merkle_root": root}.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from raigov.audit import merkle
from raigov.audit.canonical import canonical_json
from raigov.audit.models import AuditEvent
from raigov.audit.service import record
from raigov.identity.permissions import Actor


def item_hash(item: dict) -> bytes:
    return merkle.leaf_hash(canonical_json(item).encode())


def batch_state(leaves: list[bytes]) -> dict:
    return {"items": len(leaves), "merkle_root": merkle.root(leaves).hex()}


def record_batches(session: Session, actor: Actor | str, action: str, object_type: str, object_id: str,
                   items: list[dict], size: int, details_of=None) -> list[AuditEvent]:
    """Append one event per `size` items, in the given order. The items' hashes and roots are computed
    first; only the appends themselves (which take the append lock on PostgreSQL) come after.
    `details_of(number, count, chunk)` adds batch-specific details (numbers start at 1)."""
    chunks = [items[i:i + size] for i in range(0, len(items), size)]
    prepared = []
    for n, chunk in enumerate(chunks, 1):
        state = batch_state([item_hash(it) for it in chunk])
        details = {"batch": n, "batches": len(chunks), **state, **(details_of(n, len(chunks), chunk) if details_of else {})}
        prepared.append((state, details))
    return [record(session, actor, action, object_type, object_id, state, details)  # audit-actions: (the caller's)
            for state, details in prepared]


def item_proof(items: list[dict], index: int) -> dict:
    """The inclusion proof of items[index] in the Merkle tree of the batch (RFC 9162 §2.1.3)."""
    leaves = [item_hash(it) for it in items]
    path = merkle.inclusion_proof(leaves, index)
    return {"item_hash": leaves[index].hex(), "leaf_index": index, "tree_size": len(leaves),
            "inclusion_path": [p.hex() for p in path], "merkle_root": merkle.root(leaves).hex()}


def verify_item(item: dict, proof: dict, merkle_root: str) -> bool:
    """Does `item` sit at proof's leaf index of a batch whose root is `merkle_root`?"""
    return merkle.verify_inclusion(item_hash(item), proof["leaf_index"], proof["tree_size"],
                                   [bytes.fromhex(p) for p in proof["inclusion_path"]], bytes.fromhex(merkle_root))
