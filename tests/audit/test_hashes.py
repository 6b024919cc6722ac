"""One SHA-256 of JSON (audit.canonical.sha256_json) for the hashes stored in the database; the values
below were computed with the three copies it replaced (governance ``_sha``, ``policy.packs.canonical_digest``,
``inventory.records.content_hash``), so a stored hash never changes."""

from __future__ import annotations

import datetime as dt

import pytest

from raigov.audit.canonical import canonical_json, sha256_json
from raigov.governance.service import package_body
from raigov.governance.service import sha256_json as governance_sha
from raigov.inventory.records import content_hash
from raigov.policy.packs import canonical_digest, current_registry

MIXED = {"b": [1, 2.5, None, True], "a": "Zoë – ü", "c": {"z": "x", "y": 3}}
MIXED_SHA = "2f554b93e03ffa638e4ecf24d0ce20e01c117d48ddf284cc3c6b7ff9502e4822"


def test_sha256_json_keeps_the_stored_values():
    assert sha256_json(MIXED) == MIXED_SHA
    assert governance_sha(MIXED) == canonical_digest(MIXED) == MIXED_SHA


def test_revision_content_hash_unchanged():
    values = {"use_case_name": "Écran", "date_initiated": dt.date(2024, 5, 1), "n": 3}
    assert content_hash("2025", values, {"Extra Col": "é"}) == \
        "90440aa77108f2323bcbc9fa97a683dadc0382bd9e9b140a6caf59068210587b"


def test_risk_acceptance_package_hash_unchanged():
    body = package_body("DHS-0001", 2, "ab" * 32, {"A_purpose_benefit": "Purpose — ü"},
                         [{"lane": "independent", "body": "ok"}])
    assert governance_sha(body) == "663c2be54d81c629772823e02c82afd6bf7f94a49c8dcb2e3648475d1f824e23"


def test_shipped_pack_digest_unchanged():
    pack = next(p for p in current_registry().packs() if (p.id, p.version) == ("dhs-026-11", "1.0.0"))
    assert pack.digest == "bf7d4848bdc5a43874e7350fb7281623b174f70a6614b4cbff365aa493938a1b"


def test_same_bytes_as_canonical_json_for_plain_json():
    """For strings, integers, booleans, null, lists and ASCII-keyed objects the hash is that of canonical_json;
    floats are where the two differ (canonical_json writes them as strings; stored hashes keep numbers)."""
    import hashlib

    plain = {"z": [1, "ü", None, False, {"b": "x", "a": -7}], "a": "Zoë"}
    assert sha256_json(plain) == hashlib.sha256(canonical_json(plain).encode()).hexdigest()
    assert sha256_json({"x": 2.5}) != hashlib.sha256(canonical_json({"x": 2.5}).encode()).hexdigest()


def test_values_that_are_not_json_are_refused():
    with pytest.raises(TypeError):
        sha256_json({"when": dt.date(2026, 1, 1)})
