"""The face-recognition part of a monitor page in Chromium, axe-clean: two windows counted from raw comparison
files; the FMR and FNMR charts per group over time (SVG, each with its table) and each window's table."""

from __future__ import annotations

import datetime as dt

import pytest

from raigov.monitoring import service
from tests.e2e.test_foundation_pages import assert_accessible, sign_in
from tests.monitoring.conftest import case, people  # noqa: F401  (the fixtures)
from tests.monitoring.test_monitor_biometric import _counts, fr  # noqa: F401


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_reviewer_reads_fmr_and_fnmr_per_group_over_time(page, live, db, people, fr, backend):  # noqa: F811
    _, mid, tmp = fr
    for start, seed, shift in ((dt.date(2026, 11, 22), 1, {}), (dt.date(2026, 11, 29), 2, {"C": 0.25})):
        _counts(tmp, seed, shift)
        with db.transaction() as s:
            service.ingest_file(s, people["cbp-sys"], mid, str(tmp / "same.csv"), start, start + dt.timedelta(days=6),
                                comparisons=str(tmp / f"scores-{seed}.csv"))
    sign_in(page, "crcl")
    page.wait_for_url("**/home")
    page.goto(f"/monitoring/monitors/{mid}")
    page.get_by_role("heading", name="False match rate (FMR) per group over time").wait_for()
    page.get_by_role("img", name="FMR per group per window").wait_for()
    page.get_by_role("img", name="FNMR per group per window").wait_for()
    page.get_by_role("table", name="FMR per group per window").wait_for()
    assert page.locator("svg[role=img]").count() == 4  # two features' PSI, FMR and FNMR
    assert_accessible(page, "/monitoring/monitors/{id} of a face-recognition monitor")
    if __import__("os").environ.get("H23_SHOT"):
        page.locator("#bio-fmr").screenshot(path=__import__("os").environ["H23_SHOT"])
