"""Subjects are pseudonyms: raigov keeps HMAC-SHA-256 of a subject identifier under the agency's key, never the
identifier. The key is 32 random bytes (hex) in ``DATA_DIR/oversight_subject_key`` (mode 0600, made on first
use, as the audit signing key is): keep it with the data directory's other secrets; without it an identifier
cannot be matched to the ledger (opt-out checks, later look-ups)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path

from raigov.config import read_or_create_secret_file

KEY_FILE = "oversight_subject_key"
MAX_IDENTIFIER = 500


def load_key(data_dir: Path) -> bytes:
    data_dir.mkdir(parents=True, exist_ok=True)
    return bytes.fromhex(read_or_create_secret_file(data_dir / KEY_FILE, lambda: secrets.token_hex(32)).decode())


def normalise(identifier: str) -> str:
    """The identifier as hashed: surrounding white space removed (nothing else: identifiers are case-sensitive)."""
    return identifier.strip()


def pseudonym(key: bytes, identifier: str) -> str:
    """HMAC-SHA-256 (hex) of the identifier's UTF-8 bytes."""
    return hmac.new(key, normalise(identifier).encode(), hashlib.sha256).hexdigest()
