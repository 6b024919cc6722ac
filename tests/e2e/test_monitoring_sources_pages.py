"""Incidents from their sources and face-recognition monitors in Chromium, axe-clean: a component AI lead opens
an incident from an oversight alert (the oversight use case page's alert list) and from a feedback report (the
staff feedback page), sees both on the use case's monitoring page with their source, and reads the FMR/FNMR
table of a face-recognition monitor."""

from __future__ import annotations

import datetime as dt

import pytest

from raigov.monitoring import service
from tests.e2e.test_foundation_pages import assert_accessible, sign_in
from tests.monitoring.conftest import case, people  # noqa: F401  (the fixtures)
from tests.monitoring.test_monitor_incident_sources import _feedback, _oversight_alert


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_lead_opens_incidents_from_sources_and_reads_fmr_per_group(page, live, db, people, case, backend,  # noqa: F811
                                                                   make_user):
    from raigov.monitoring.ingest import window_counts
    from raigov.monitoring.windows import spec_from_dict

    bid, _, tmp = case
    alert_id, fb_id = _oversight_alert(db, bid), _feedback(db, bid)
    with db.transaction() as s:
        mon = service.create_monitor(s, people["owner"], bid, name="Face matcher", reference=str(tmp / "ref.csv"),
                                     numeric=["age"], categorical=["channel"], biometric_threshold=0.5,
                                     starts_on=dt.date(2026, 11, 21))
        body = window_counts(spec_from_dict(mon.spec), mon.config, str(tmp / "same.csv"))
        body["biometric"] = {"threshold": 0.5, "groups": {
            "A": {"n_gen": 400, "fnm": 12, "n_imp": 4000, "fm": 10}, "B": {"n_gen": 400, "fnm": 9, "n_imp": 4000,
                                                                           "fm": 80}}}
        service.record_window(s, people["owner"], mon.id, dt.date(2026, 11, 22), dt.date(2026, 11, 28), body)
        mid = mon.id
    make_user("srclead", "component_ai_lead@CBP")
    sign_in(page, "srclead")
    page.wait_for_url("**/home")
    page.goto(f"/oversight/use-cases/{bid}")
    assert_accessible(page, "/oversight/use-cases/{id} with the incident button")
    page.get_by_role("button", name="Open an incident").click()
    page.get_by_text("Incident opened.").wait_for()
    page.goto(f"/feedback/{fb_id}")
    assert_accessible(page, "/feedback/{id} with the incident button")
    page.get_by_label("Incident severity").select_option("high")
    page.get_by_role("button", name="Open an incident from this report").click()
    page.get_by_text("Incident opened.").wait_for()
    assert page.get_by_role("link", name=f"oversight alert {alert_id}").count() == 1
    assert page.get_by_role("link", name=f"feedback report {fb_id}").count() == 1
    assert_accessible(page, "/inventory/{id}/monitoring with incidents from sources")
    page.goto(f"/monitoring/monitors/{mid}")
    page.get_by_role("heading", name="Face recognition: FMR and FNMR per group").wait_for()
    assert_accessible(page, "/monitoring/monitors/{id} with FMR and FNMR")
