"""The exact bytes of an audit event and of a signed tree head (docs/audit.md defines them).

An event's bytes are its RFC 8785 (JCS) canonical JSON: an object with the keys action, actor,
details, object_id, object_type, prev_hash, seq, state_digest, time, in that (sorted) order, no
white space, strings escaped as JSON with non-ASCII characters kept as UTF-8, integers as
integers. `details` is itself canonical JSON of string keys and string/integer/boolean/null/list/
object values (no floats, so that canonicalisation is unambiguous).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from hashlib import sha256
from typing import Any

encode_str = json.encoder.encode_basestring  # C-accelerated, ensure_ascii=False semantics

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> str:
    return json.dumps(_plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _plain(value: Any) -> Any:
    """Turn a value into JSON of strings, integers, booleans, null, lists and objects only."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return repr(value)  # floats are written as strings: JCS number formatting is not needed
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str) or not k.isascii():
                raise ValueError(f"audit detail keys must be ASCII strings, not {k!r}")
            out[k] = _plain(v)
        return out
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_plain(v) for v in value]
        return sorted(items, key=canonical_json) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, datetime):
        return format_time(value)
    return str(value)


def state_digest(state: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of an object's new state."""
    return sha256(canonical_json(state).encode()).hexdigest()


def sha256_json(value: Any) -> str:
    """SHA-256 (hex) of JSON text with sorted keys, no white space and non-ASCII characters kept as UTF-8:
    the one hash of stored content (a policy pack's digest, a revision's ``content_hash``, an impact
    assessment's and a risk-acceptance package's ``sha256``). For strings, integers, booleans, null, lists
    and objects with ASCII keys these are the bytes of :func:`canonical_json`; unlike it, floats stay JSON
    numbers and other values (dates, sets) are refused, so hashes stored before this function existed do
    not change (docs/architecture.md, "Time and hashes")."""
    return sha256(json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


def format_time(t: datetime) -> str:
    """RFC 3339 UTC with exactly six fractional digits: 2026-11-25T06:30:00.000000Z."""
    if t.tzinfo is not None:
        t = t.astimezone(UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# an event's bytes: HEAD with the values that do not depend on the trail, then TAIL with those that do (the previous
# event's hash and the sequence number) and the time; the audit trail's one-round-trip append on PostgreSQL builds TAIL
# in SQL after HEAD built here (audit.service.record_with), so the two are kept side by side
EVENT_HEAD = '{"action":%s,"actor":%s,"details":%s,"object_id":%s,"object_type":%s,"prev_hash":"'
EVENT_TAIL = '%s","seq":%d,"state_digest":"%s","time":"%s"}'


def event_head(*, action: str, actor: str, details: str, object_id: str, object_type: str) -> str:
    """The start of an event's bytes, up to the previous event's hash (as text)."""
    return EVENT_HEAD % (encode_str(action), encode_str(actor), details, encode_str(object_id),
                         encode_str(object_type))


def event_bytes(
    *,
    seq: int,
    time: str,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    state_digest: str,
    details: str,
    prev_hash: str,
) -> bytes:
    """`details` is the stored canonical JSON text; the other values are as stored."""
    return (event_head(action=action, actor=actor, details=details, object_id=object_id, object_type=object_type)
            + EVENT_TAIL % (prev_hash, seq, state_digest, time)).encode()


def event_hash(data: bytes) -> str:
    """An event's hash is its RFC 9162 leaf hash: SHA-256(0x00 || event bytes), hex."""
    return sha256(b"\x00" + data).hexdigest()


def head_message(tree_size: int, root_hash: str, timestamp: str) -> bytes:
    """The bytes an Ed25519 tree-head signature covers."""
    return canonical_json({"root_hash": root_hash, "timestamp": timestamp, "tree_size": tree_size}).encode()
