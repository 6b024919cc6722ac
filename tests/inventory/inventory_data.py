"""Where the real published inventory files are (the shared folder beside the repo).

Outside CI a missing file is a loud skip; with CI=true it fails the run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "federal-ai-inventory"
IN_CI = os.environ.get("CI", "").lower() == "true"


def real_file(name: str) -> Path:
    p = DATA / name
    if not p.is_file():
        reason = f"real inventory file not found: {p} (the shared data folder beside the repo)"
        if IN_CI:
            pytest.fail(f"CI=true and {reason}")
        print(f"\n*** SKIPPING: {reason} ***")
        pytest.skip(reason)
    return p
