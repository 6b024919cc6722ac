#!/usr/bin/env python3
"""Check a file downloaded from a raigov public site, on your own machine. It imports nothing from raigov:
only Python's standard library and the `cryptography` package (for Ed25519). Written from docs/verify.md and
docs/audit.md.

    python verify_publication.py FILE PROOF.json [--key HEX]
    python verify_publication.py URL [--key HEX]     (fetches the file, its proof and the published key)

FILE is the download; PROOF.json is its proof (https://SITE/public/proofs/<path>). --key is the public key you
pinned (hex); without it the key published at https://SITE/.well-known/raigov-signing-key.json (URL form) or the
one the head carries (FILE form) is used. Exit status: 0 verified, 1 not, 2 bad input."""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import urllib.parse
import urllib.request
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def canonical(obj) -> str:
    """RFC 8785 for what raigov writes (strings, integers, booleans, null, arrays, objects)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def event_bytes(e: dict) -> bytes:
    """docs/audit.md section 2: the event's canonical JSON, its stored `details` text inserted as is."""
    keys = ("action", "actor", "details", "object_id", "object_type", "prev_hash", "seq", "state_digest", "time")
    parts = [json.dumps(k) + ":" + (e[k] if k == "details" else canonical(e[k])) for k in keys]
    return ("{" + ",".join(parts) + "}").encode("utf-8")


def verify_inclusion(leaf_hash: bytes, index: int, size: int, path: list[bytes], root: bytes) -> bool:
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in path:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = hashlib.sha256(b"\x01" + p + r).digest()
            while fn % 2 == 0 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = hashlib.sha256(b"\x01" + r + p).digest()
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def head_ok(head: dict) -> bool:
    msg = canonical({"root_hash": head["root_hash"], "timestamp": head["timestamp"], "tree_size": head["tree_size"]})
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(head["public_key"])).verify(
            bytes.fromhex(head["signature"]), msg.encode())
        return True
    except (InvalidSignature, ValueError):
        return False


def problems(data: bytes, proof: dict, key: str | None) -> list[str]:
    out = []
    item, ip, ev, ep, head = proof["item"], proof["item_proof"], proof["event"], proof["event_proof"], proof["head"]
    sha = hashlib.sha256(data).hexdigest()
    if sha != item["sha256"] or len(data) != item["size"]:
        out.append(f"the file (SHA-256 {sha}, {len(data)} bytes) is not the published one "
                   f"({item['sha256']}, {item['size']} bytes)")
    root = json.loads(ev["details"])["merkle_root"]
    if not verify_inclusion(leaf(canonical(item).encode()), ip["leaf_index"], ip["tree_size"],
                            [bytes.fromhex(h) for h in ip["inclusion_path"]], bytes.fromhex(root)):
        out.append("the file is not in the publication's tree")
    if ev["action"] != "disclosure.site.publish":
        out.append("the audit event is not a publication of the site")
    if not verify_inclusion(leaf(event_bytes(ev)), ev["seq"] - 1, head["tree_size"],
                            [bytes.fromhex(h) for h in ep["inclusion_path"]], bytes.fromhex(head["root_hash"])):
        out.append("the publication's audit event is not under the signed tree head")
    if not head_ok(head):
        out.append("the tree head's signature does not verify")
    if key and head["public_key"] != key:
        out.append("the tree head was not signed with the pinned key")
    return out


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.read()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("target", help="a downloaded FILE, or the URL of a published file under /public/site/ or /public/data/")
    ap.add_argument("proof", nargs="?", help="the file's proof (JSON); fetched for a URL")
    ap.add_argument("--key", help="the pinned public key (hex)")
    a = ap.parse_args(argv)
    try:
        if a.target.startswith(("http://", "https://")):
            u = urllib.parse.urlsplit(a.target)
            origin, path = f"{u.scheme}://{u.netloc}", u.path
            if path.startswith("/public/site/"):
                rel = path[len("/public/site/"):]
            elif path.startswith("/public/data/"):
                rel = "data/" + path[len("/public/data/"):]
            elif path == "/public/feed.atom":
                rel = "feed.atom"
            else:
                print(f"{path} is not a published file (use its /public/site/ address)", file=sys.stderr)
                return 2
            data = fetch(a.target)
            proof = json.loads(Path(a.proof).read_bytes()) if a.proof else json.loads(fetch(f"{origin}/public/proofs/{rel}"))
            key = a.key or json.loads(fetch(f"{origin}/.well-known/raigov-signing-key.json"))["public_key"]
        else:
            if not a.proof:
                print("give the file's proof (JSON) after the file", file=sys.stderr)
                return 2
            data = Path(a.target).read_bytes()
            proof = json.loads(Path(a.proof).read_bytes())
            key = a.key
        found = problems(data, proof, key)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"cannot check: {exc}", file=sys.stderr)
        return 2
    if found:
        print("NOT VERIFIED")
        for p in found:
            print(f"  {p}")
        return 1
    print(f"verified: {proof['item']['path']} (SHA-256 {proof['item']['sha256']}) is under the signed tree head of "
          f"{proof['head']['tree_size']} events ({proof['head']['timestamp']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
