"""An inclusion proof from `raigov audit prove` checks out with a verifier written only from
docs/audit.md: it imports nothing of raigov (standard library and `cryptography` for Ed25519)."""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ROOT = Path(__file__).resolve().parents[2]
RAIGOV = str(Path(sys.executable).with_name("raigov"))


# ---- the verifier, from docs/audit.md alone --------------------------------------------------

def event_bytes(e: dict) -> bytes:
    obj = {k: e[k] for k in ("action", "actor", "object_id", "object_type", "prev_hash", "seq", "state_digest", "time")}
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    # insert the stored details text as is, in its sorted place
    return text.replace('"actor":' + json.dumps(e["actor"], ensure_ascii=False) + ",",
                        '"actor":' + json.dumps(e["actor"], ensure_ascii=False) + ',"details":' + e["details"] + ",", 1).encode()


def leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def verify_inclusion(leaf_hash: bytes, index: int, size: int, path: list[bytes], root: bytes) -> bool:
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


def verify_head(head: dict) -> bool:
    msg = json.dumps({"root_hash": head["root_hash"], "timestamp": head["timestamp"], "tree_size": head["tree_size"]},
                     sort_keys=True, separators=(",", ":")).encode()
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(head["public_key"])).verify(bytes.fromhex(head["signature"]), msg)
        return True
    except Exception:  # noqa: BLE001
        return False


# ---- the test ------------------------------------------------------------------------------

def run(*args, env):
    out = subprocess.run([RAIGOV, *args], capture_output=True, text=True, env=env, check=False)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_proof_checks_out_with_an_independent_verifier(tmp_path):
    env = {**os.environ, "RAIGOV_DATA_DIR": str(tmp_path), "RAIGOV_DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"}
    run("db", "upgrade", env=env)
    for name in ("alice", "bob", "carol", "dave", "erin"):
        run("users", "create", name, "--name", f"{name.title()} Ünïcode", "--role", "submitter@CBP", env=env)
    head = json.loads(run("audit", "head", "--json", env=env))
    assert head["tree_size"] == 5 and verify_head(head)
    events = json.loads(run("audit", "list", "--json", "--limit", "100", env=env))["events"]
    for e in events:
        assert leaf(event_bytes(e)).hex() == e["event_hash"], "the event bytes in docs/audit.md are wrong"
        proof = json.loads(run("audit", "prove", str(e["seq"]), "--json", env=env))
        assert proof["leaf_hash"] == e["event_hash"] and proof["tree_size"] == head["tree_size"]
        assert verify_inclusion(bytes.fromhex(proof["leaf_hash"]), proof["leaf_index"], proof["tree_size"],
                                [bytes.fromhex(h) for h in proof["inclusion_path"]], bytes.fromhex(head["root_hash"]))
        # and a wrong leaf does not verify
        assert not verify_inclusion(leaf(b"forged"), proof["leaf_index"], proof["tree_size"],
                                    [bytes.fromhex(h) for h in proof["inclusion_path"]], bytes.fromhex(head["root_hash"]))
    forged = dict(head, tree_size=4)
    assert not verify_head(forged)


def test_cli_verify_exit_codes(tmp_path):
    import sqlite3

    env = {**os.environ, "RAIGOV_DATA_DIR": str(tmp_path), "RAIGOV_DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"}
    run("db", "upgrade", env=env)
    for name in ("alice", "bob", "carol"):
        run("users", "create", name, "--name", name, env=env)
    assert json.loads(run("audit", "verify", "--json", env=env))["ok"] is True
    con = sqlite3.connect(tmp_path / "x.sqlite3")
    con.execute("DROP TRIGGER audit_events_no_update")
    con.execute("UPDATE audit_events SET object_id = 'mallory' WHERE seq = 2")
    con.commit()
    con.close()
    out = subprocess.run([RAIGOV, "audit", "verify", "--json"], capture_output=True, text=True, env=env)
    assert out.returncode == 1
    result = json.loads(out.stdout)
    assert result["first_bad_seq"] == 2 and result["findings"][0]["kind"] == "changed"
    out = subprocess.run([RAIGOV, "audit", "verify"], capture_output=True, text=True, env=env)
    assert out.returncode == 1 and "event 2 was changed" in out.stdout
