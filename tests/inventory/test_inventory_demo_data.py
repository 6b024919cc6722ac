"""The committed demo files: DHS's 2025 inventory without contact e-mails, and matched 2024 rows."""

from __future__ import annotations

import collections
import json
import re
from importlib import resources

from raigov.inventory.formats import read_inventory, use_case_key

DATA = resources.files("raigov.inventory").joinpath("data")


def test_demo_2025_is_dhs_without_contact_email():
    path = DATA.joinpath("demo_dhs_2025.csv")
    text = path.read_text(encoding="utf-8-sig")
    assert "contact_email" not in text.splitlines()[0]
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", text)
    p = read_inventory(path)
    assert p.form == "omb-2025-csv" and len(p.rows) == 238
    assert {r.values["agency"] for r in p.rows} == {"DHS"}
    assert all("contact_email" not in r.values for r in p.rows)  # the column is absent
    c = collections.Counter(r.values["is_high_impact"] for r in p.rows)
    assert c == {"High-impact": 55, "Presumed High-Impact, but Not High-impact": 49, "Not High-impact": 134}
    assert len({use_case_key(r, p) for r in p.rows}) == 238


def test_demo_2024_rows_link_to_2025():
    p25 = read_inventory(DATA.joinpath("demo_dhs_2025.csv"))
    ids = {r.values["id"] for r in p25.rows}
    p = read_inventory(DATA.joinpath("demo_dhs_2024.csv"))
    assert p.form == "omb-2024-csv" and len(p.rows) == 119
    assert all(r.extra["raigov_2025_id"] in ids for r in p.rows)
    meta = json.loads(DATA.joinpath("demo_sources.json").read_text("utf-8"))
    assert meta["files"]["demo_dhs_2025.csv"]["rows"] == 238
