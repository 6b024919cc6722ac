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


def big_inventory_file(path: Path, n: int) -> Path:
    """An OMB 2025 CSV of `n` distinct use cases, made from the demo agency's 238 DHS rows (package data,
    always there): each copy gets its own id and name."""
    from importlib import resources

    from raigov.inventory.formats import read_inventory, write_omb_2025_csv

    src = resources.files("raigov.inventory").joinpath("data/demo_dhs_2025.csv")
    base = read_inventory(Path(str(src))).rows
    rows = []
    for i in range(n):
        v = dict(base[i % len(base)].values)
        v["id"] = f"DHS-BIG-{i:06d}"
        v["use_case_name"] = f"{v.get('use_case_name') or 'Use case'} (copy {i})"
        rows.append(v)
    write_omb_2025_csv(rows, path)
    return path
