"""Checking a published file against the public site's proof (docs/verify.md), with raigov's own Merkle and
signature code; ``tools/verify_publication.py`` does the same with nothing of raigov. Pure: bytes and JSON in,
the problems found out (an empty list: the file is what was published)."""

from __future__ import annotations

import hashlib
import json

from raigov.audit import merkle
from raigov.audit.batch import item_hash
from raigov.audit.canonical import event_bytes, head_message
from raigov.audit.signing import verify_signature


def check(data: bytes, proof: dict, public_key: str | None = None) -> list[str]:
    """The problems of `data` against `proof` (as ``/public/proofs/<path>`` serves it). `public_key`: the key
    published at the well-known path (pinned); None checks the head against the key it carries."""
    out = []
    item, ip, ev, ep, head = (proof.get(k) or {} for k in ("item", "item_proof", "event", "event_proof", "head"))
    sha = hashlib.sha256(data).hexdigest()
    if sha != item.get("sha256"):
        out.append(f"the file's SHA-256 is {sha}, not the published {item.get('sha256')}")
    if len(data) != item.get("size"):
        out.append(f"the file has {len(data)} bytes, not the published {item.get('size')}")
    try:
        details = json.loads(ev["details"])
        leaf = item_hash(item)
        if not merkle.verify_inclusion(leaf, ip["leaf_index"], ip["tree_size"],
                                       [bytes.fromhex(h) for h in ip["inclusion_path"]],
                                       bytes.fromhex(details["merkle_root"])):
            out.append("the file's item is not in the publication's tree (its inclusion proof fails)")
        if ev.get("action") != "disclosure.site.publish":
            out.append(f"the audit event is {ev.get('action')!r}, not a publication of the site")
        eb = event_bytes(seq=ev["seq"], time=ev["time"], actor=ev["actor"], action=ev["action"],
                         object_type=ev["object_type"], object_id=ev["object_id"], state_digest=ev["state_digest"],
                         details=ev["details"], prev_hash=ev["prev_hash"])
        if not merkle.verify_inclusion(merkle.leaf_hash(eb), ev["seq"] - 1, head["tree_size"],
                                       [bytes.fromhex(h) for h in ep["inclusion_path"]], bytes.fromhex(head["root_hash"])):
            out.append("the publication's audit event is not in the signed tree head (its inclusion proof fails)")
        if not verify_signature(head["public_key"], head["signature"],
                                head_message(head["tree_size"], head["root_hash"], head["timestamp"])):
            out.append("the tree head's signature does not verify")
        if public_key and head["public_key"] != public_key:
            out.append("the tree head was not signed with the published public key")
    except (KeyError, TypeError, ValueError) as exc:
        out.append(f"the proof is incomplete or malformed ({type(exc).__name__}: {exc})")
    return out


def check_consistency(old: dict, new: dict, proof: dict, public_key: str | None = None) -> list[str]:
    """The problems of two signed heads and the consistency proof between them (the later log extends the
    earlier one without rewriting it)."""
    out = []
    for name, h in (("earlier", old), ("later", new)):
        if not verify_signature(h["public_key"], h["signature"], head_message(h["tree_size"], h["root_hash"], h["timestamp"])):
            out.append(f"the {name} head's signature does not verify")
        if public_key and h["public_key"] != public_key:
            out.append(f"the {name} head was not signed with the published public key")
    if old["tree_size"] == new["tree_size"]:
        if old["root_hash"] != new["root_hash"]:
            out.append("two heads of the same size have different roots: the log was rewritten")
        return out
    if not merkle.verify_consistency(old["tree_size"], new["tree_size"], bytes.fromhex(old["root_hash"]),
                                     bytes.fromhex(new["root_hash"]),
                                     [bytes.fromhex(h) for h in proof.get("consistency_path", [])]):
        out.append("the later head does not extend the earlier one (the consistency proof fails)")
    return out


def published_path(url_path: str) -> str | None:
    """The published file behind a public URL's path (None: not one): ``/public/site/<path>`` itself, the open
    data's stable URLs, the feed, and a public page (whose data is its JSON twin)."""
    p = "/" + url_path.strip("/")
    parts = p.split("/")[1:]
    if parts[:2] == ["public", "site"] and len(parts) > 2:
        return "/".join(parts[2:])
    if parts[:2] == ["public", "data"] and len(parts) == 4 and parts[3].startswith("inventory."):
        return f"data/{parts[2]}/{parts[3]}"
    if p == "/public/feed.atom":
        return "feed.atom"
    if parts[:2] == ["public", "use-cases"] and len(parts) == 4:
        return f"pages/{parts[2]}/use-cases/{parts[3]}.json"
    if parts[:2] == ["public", "components"] and len(parts) == 4:
        return f"pages/{parts[2]}/components/{parts[3]}.json"
    if parts[:2] == ["public", "changes"] and len(parts) == 3:
        return f"pages/{parts[2]}/changes.json"
    if p in ("/public/waivers", "/public/pilots", "/public/reports"):
        return f"pages/{parts[1]}.json"
    return None
