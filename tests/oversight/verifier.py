"""An independent verifier of a decision's proof, written from docs/oversight.md and docs/audit.md alone: it
imports nothing from raigov (only the standard library and `cryptography` for Ed25519)."""

from __future__ import annotations

import hashlib
import json

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def _plain(v):
    if isinstance(v, float):
        return repr(v)  # a number with a fraction is written as a string (docs/audit.md §1.1)
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v


def canonical(v) -> bytes:
    return json.dumps(_plain(v), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node(a: bytes, b: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + a + b).digest()


def inclusion_ok(leaf_hash: bytes, index: int, size: int, path: list[str], root: str) -> bool:
    """RFC 9162 §2.1.3.2."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in (bytes.fromhex(x) for x in path):
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r.hex() == root


def event_bytes(e: dict) -> bytes:
    """docs/audit.md §2: the event's canonical JSON, keys in order, `details` inserted as stored."""
    def s(v: str) -> str:
        return json.dumps(v, ensure_ascii=False)

    return ("{" + f'"action":{s(e["action"])},"actor":{s(e["actor"])},"details":{e["details"]},'
            f'"object_id":{s(e["object_id"])},"object_type":{s(e["object_type"])},"prev_hash":"{e["prev_hash"]}",'
            f'"seq":{e["seq"]},"state_digest":"{e["state_digest"]}","time":"{e["time"]}"' + "}").encode()


def verify(proof: dict, pinned_public_key: str) -> list[str]:
    """The steps that fail ([] when the decision is proven up to the signed head signed by the pinned key)."""
    failed = []
    item, b, e, ep, head = proof["item"], proof["batch"], proof["event"], proof["event_proof"], proof["signed_head"]
    h = leaf(canonical(item))
    if h.hex() != b["item_hash"]:
        failed.append("item_hash")
    if not inclusion_ok(h, b["leaf_index"], b["tree_size"], b["inclusion_path"], b["merkle_root"]):
        failed.append("in_batch")
    details = json.loads(e["details"])
    if details.get("merkle_root") != b["merkle_root"] or details.get("items") != b["tree_size"]:
        failed.append("batch_root_in_event")
    if e["action"] != "oversight.decision.record":
        failed.append("event_action")
    eh = leaf(event_bytes(e))
    if eh.hex() != e["event_hash"]:
        failed.append("event_hash")
    if head is None or ep["tree_size"] != head["tree_size"] or ep["root_hash"] != head["root_hash"]:
        failed.append("signed_head")
    elif not inclusion_ok(eh, e["seq"] - 1, head["tree_size"], ep["inclusion_path"], head["root_hash"]):
        failed.append("event_in_trail")
    else:
        msg = canonical({"root_hash": head["root_hash"], "timestamp": head["timestamp"], "tree_size": head["tree_size"]})
        try:
            if head["public_key"] != pinned_public_key:
                raise InvalidSignature
            Ed25519PublicKey.from_public_bytes(bytes.fromhex(head["public_key"])).verify(bytes.fromhex(head["signature"]), msg)
        except (InvalidSignature, ValueError):
            failed.append("head_signature")
    return failed
