"""The monitoring pages in Chromium, axe-clean: a CRCL reviewer goes from the use case to its monitoring, reads
the open high-severity alert and the gate's reason, opens the monitor page (chart and table), is refused a
blank closing note at its field, closes the alert with a note, then opens an incident from the form."""

from __future__ import annotations

import datetime as dt

import pytest

from raigov.monitoring import service
from tests.e2e.test_foundation_pages import assert_accessible, sign_in
from tests.monitoring.conftest import case, people  # noqa: F401  (the fixtures)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_reviewer_closes_an_alert_and_opens_an_incident(page, live, db, people, case, backend):  # noqa: F811
    bid, mid, tmp = case
    with db.transaction() as s:
        service.ingest_file(s, people["cbp-sys"], mid, str(tmp / "drift.csv"), dt.date(2026, 11, 22),
                            dt.date(2026, 11, 28))
    sign_in(page, "crcl")
    page.wait_for_url("**/home")
    page.goto(f"/inventory/{bid}")
    page.get_by_role("link", name="Monitoring", exact=True).click()
    page.get_by_role("heading", name=f"Monitoring of {bid}").wait_for()
    assert "open high-severity alert: PSI of 'age'" in page.content()
    assert_accessible(page, "/inventory/{id}/monitoring")
    page.get_by_role("link", name="Intake model").click()
    page.get_by_role("heading", name="Monitor “Intake model”").wait_for()
    assert page.locator("svg[role=img]").count() == 2
    assert_accessible(page, "/monitoring/monitors/{id}")
    page.get_by_role("link", name=f"Monitoring of {bid}").click()
    page.get_by_role("button", name="Close the alert").click()  # the browser's own check stops a blank note
    page.get_by_label("Note: what was found and what was done").fill("   ")
    page.get_by_role("button", name="Close the alert").click()
    page.get_by_role("alert").filter(has_text="closing an alert needs a note").wait_for()
    assert_accessible(page, "the close form refused")
    page.get_by_label("Note: what was found and what was done").fill("New intake form; the model was retrained")
    page.get_by_role("button", name="Close the alert").click()
    page.get_by_text("Alert closed.").wait_for()
    assert "No open alert." in page.content()
    page.get_by_label("Title").fill("Ages misread from the new form")
    page.get_by_label("What happened").fill("The new intake form put the birth year where the age was expected")
    page.get_by_label("Severity").select_option("medium")
    page.get_by_role("button", name="Open the incident").click()
    page.get_by_text("Incident opened.").wait_for()
    assert "Ages misread from the new form (medium severity, open)" in page.content()
    assert_accessible(page, "the incident opened")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_lead_reads_fairness_per_group_and_stores_the_report(page, live, db, people, case, backend,  # noqa: F811
                                                              make_user):
    from raigov.monitoring.ingest import window_counts
    from raigov.monitoring.windows import spec_from_dict

    _bid, mid, tmp = case
    with db.transaction() as s:
        mon, _ = service.get_monitor(s, people["owner"], mid)
        body = window_counts(spec_from_dict(mon.spec), mon.config, str(tmp / "same.csv"))
        body["outcomes"] = {"A": [200, 100, 50, 250], "B": [40, 20, 60, 260], "C": [5, 5, 5, 5]}
        service.record_window(s, people["owner"], mid, dt.date(2026, 11, 22), dt.date(2026, 11, 28), body)
    make_user("pagelead", "component_ai_lead@CBP")
    sign_in(page, "pagelead")
    page.wait_for_url("**/home")
    page.goto(f"/monitoring/monitors/{mid}")
    page.get_by_role("heading", name="Fairness per group").wait_for()
    assert page.locator("svg[role=img]").count() == 5  # two features, three groups
    assert_accessible(page, "/monitoring/monitors/{id} with fairness")
    page.get_by_role("button", name="Store the report as evidence").click()
    page.get_by_text("The report is stored as evidence").wait_for()
    assert_accessible(page, "the report stored")
