"""A decision's proof: decision -> its batch's Merkle root -> the audit event carrying that root -> a signed tree
head of the audit trail. Every step is checked here and can be checked again by anyone with the output alone
(docs/oversight.md, "Checking a proof")."""

from __future__ import annotations

import json

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
from raigov.oversight.models import Decision
from raigov.oversight.reads import decision_out, get_decision

EVENT_FIELDS = ("seq", "time", "actor", "action", "object_type", "object_id", "state_digest", "details", "prev_hash")


def _event_leaves(session: Session, upto: int) -> list[bytes]:
    rows = session.connection().exec_driver_sql("SELECT event_hash FROM audit_events WHERE seq <= %s ORDER BY seq"
                                                 if session.get_bind().dialect.name == "postgresql" else
                                                 "SELECT event_hash FROM audit_events WHERE seq <= ? ORDER BY seq", (upto,))
    return [bytes.fromhex(r[0]) for r in rows]


def prove(session: Session, actor: Actor, decision_pk: int) -> dict:
    """The chain of proofs of one decision, with `verified` (every step checks out) and `steps` (each one)."""
    d, uc = get_decision(session, actor, decision_pk)
    item = item_of(uc.business_id, d.system, d)
    leaves = [bytes.fromhex(h) for h in session.connection().execute(
        select(Decision.item_hash).where(Decision.batch_seq == d.batch_seq).order_by(Decision.batch_index)).scalars()]
    path = merkle.inclusion_proof(leaves, d.batch_index)
    root = merkle.root(leaves)
    ev = session.get(AuditEvent, d.batch_seq)
    details = json.loads(ev.details)
    head = session.scalars(select(AuditTreeHead).where(AuditTreeHead.tree_size >= ev.seq)
                           .order_by(AuditTreeHead.id.desc()).limit(1)).first()
    size = head.tree_size if head is not None else session.scalar(text("SELECT max(seq) FROM audit_events"))
    trail = _event_leaves(session, size)
    ev_path = merkle.inclusion_proof(trail, ev.seq - 1)
    trail_root = merkle.root(trail)
    own = item_hash(item)
    recomputed_event = event_hash(event_bytes(**{k: getattr(ev, k) for k in EVENT_FIELDS}))
    steps = {
        "item_hash": own.hex() == d.item_hash,
        "in_batch": merkle.verify_inclusion(own, d.batch_index, len(leaves), path, root),
        "batch_root_in_event": details.get("merkle_root") == root.hex() and details.get("items") == len(leaves),
        "event_hash": recomputed_event == ev.event_hash,
        "event_in_trail": merkle.verify_inclusion(bytes.fromhex(ev.event_hash), ev.seq - 1, size, ev_path, trail_root),
        "signed_head": head is not None and head.root_hash == trail_root.hex() and verify_signature(
            head.public_key, head.signature, head_message(head.tree_size, head.root_hash, head.timestamp)),
    }
    return {
        "decision": decision_out(d, uc.business_id),
        "item": item,
        "batch": {"item_hash": own.hex(), "leaf_index": d.batch_index, "tree_size": len(leaves),
                  "inclusion_path": [p.hex() for p in path], "merkle_root": root.hex()},
        "event": event_as_dict(ev),
        "event_proof": {"seq": ev.seq, "leaf_index": ev.seq - 1, "tree_size": size, "leaf_hash": ev.event_hash,
                        "inclusion_path": [p.hex() for p in ev_path], "root_hash": trail_root.hex()},
        "signed_head": head_as_dict(head) if head is not None else None,
        "steps": steps,
        "verified": all(steps.values()),
    }
