"""The oversight pages in Chromium, axe-clean: a CBP lead follows the navigation to the use cases with decisions,
a use case's counts and newest decisions, and one decision with its proof (verified once a head is signed)."""

from __future__ import annotations

import json

import pytest

from raigov.audit import service as audit
from raigov.clock import agency_today
from raigov.oversight import service as oversight
from tests.e2e.test_foundation_pages import assert_accessible, sign_in
from tests.oversight.conftest import NOW, decision, use_cases  # noqa: F401  (the fixture)


@pytest.fixture
def people(db, make_user, actor_of):
    make_user("owner", "submitter@CBP", password=False)
    make_user("lead", "component_ai_lead@CBP")
    make_user("caio", "caio", password=False)
    make_user("cbp-sys", "service@CBP", kind="service")
    return {u: actor_of(u) for u in ("owner", "lead", "caio", "cbp-sys")}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_lead_reads_decisions_and_a_proof(page, live, db, settings, people, use_cases, backend):  # noqa: F811
    key = oversight.load_key(settings.ensure_data_dir())
    rows = [decision(use_cases["low"], n) for n in range(1, 4)]
    with db.transaction() as s:
        parsed = oversight.parse_batch(json.dumps({"decisions": rows}).encode())
        res = oversight.record_decisions(s, people["cbp-sys"], key, parsed)
    with db.transaction() as s:  # a scale alert (three travelers in a day, one authorized), shown on both pages
        oversight.set_scale(s, people["lead"], use_cases["low"], 1)
        assert [a.kind for a in oversight.evaluate_signals(s, agency_today(now=NOW))] == ["scale"]
    with db.transaction() as s:
        audit.sign_head(s, people["caio"], settings.data_dir)
    sign_in(page, "lead")
    page.get_by_role("link", name="Oversight").first.click()
    page.get_by_role("heading", name="Oversight of AI-assisted decisions").wait_for()
    assert_accessible(page, "/oversight")
    page.get_by_role("link", name=use_cases["low"]).first.click()
    page.get_by_role("heading", name=f"Decisions of {use_cases['low']}").wait_for()
    assert "3 recorded, 0 refused" in page.content() and "scale exceeded on" in page.content()
    assert_accessible(page, "/oversight/use-cases/{id}")
    page.get_by_role("link", name="D-2").click()
    page.get_by_role("heading", name="Decision D-2").wait_for()
    assert "verified" in page.content() and f"audit event {res.batch_seq}" in page.content()
    assert_accessible(page, "/oversight/decisions/{id}")
    # the use case's oversight settings: the per-operator table and the forms, with an error at the field
    page.goto(f"{live.url}/oversight/use-cases/{use_cases['low']}")
    assert "By operator" in page.content() and "officer.ng" in page.content()
    page.get_by_label("Authorized scale").fill("many")
    page.get_by_role("button", name="Set the scale").click()
    page.locator("#authorized_scale-error").wait_for()
    assert_accessible(page, "/oversight/use-cases/{id} (settings form with an error)")
    page.get_by_label("Authorized scale").fill("400")
    page.get_by_role("button", name="Set the scale").click()
    page.get_by_text("Oversight settings saved.").wait_for()
    assert "400 distinct subjects per day" in page.content()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_lead_reads_the_trends_and_corrects_the_dates(page, live, db, settings, people, use_cases,  # noqa: F811
                                                      backend):
    """The use case's "Over time" section: the since/until form, four charts each followed by a table of the same
    numbers, the per-operator table with its appeals columns (axe-clean), and the error at the field when the last
    day is before the first."""
    key = oversight.load_key(settings.ensure_data_dir())
    rows = [decision(use_cases["low"], n) for n in range(1, 4)]
    rows[0]["human_action"] = "overrode"
    with db.transaction() as s:
        res = oversight.record_decisions(s, people["cbp-sys"], key,
                                         oversight.parse_batch(json.dumps({"decisions": rows}).encode()))
    with db.transaction() as s:  # an appeal against D-1, filed in the week of the decisions
        oversight.file_appeal(s, people["cbp-sys"], res.rows[0]["id"], "wrong stubs", now=NOW)
    sign_in(page, "lead")
    page.goto(f"{live.url}/oversight/use-cases/{use_cases['low']}")
    page.get_by_label("First day").fill("2026-11-16")
    page.get_by_label("Last day").fill("2026-12-06")
    page.get_by_label("Group by").select_option("week")
    page.get_by_role("button", name="Show").click()
    page.get_by_role("heading", name="Decisions recorded and attempts refused per week").wait_for()
    assert page.get_by_role("img", name="Share with human review and override rate per week").count() == 1
    table = page.get_by_role("table", name="Decisions recorded and attempts refused per week")
    assert table.get_by_role("row").nth(3).inner_text().split() == ["2026-11-30", "to", "2026-12-06", "3", "0"]
    rates = page.get_by_role("table", name="Share with human review and override rate per week")
    assert rates.get_by_role("row").nth(3).inner_text().split()[-2:] == ["100.0", "33.3"]
    per_operator = page.get_by_role("table", name="Decisions reviewed and override rate per operator")
    assert per_operator.get_by_role("row").count() == 2  # the header and the one operator
    # a column of appeals after each week's: filed (appeal rate: over the operator's decisions that week)
    assert per_operator.get_by_role("columnheader", name="2026-11-30 to 2026-12-06 appeals").count() == 1
    cells = per_operator.get_by_role("row").nth(1).get_by_role("cell")
    assert [cells.nth(i).inner_text() for i in (0, 1, cells.count() - 2, cells.count() - 1)] == [
        "3 (33.3 %)", "1 (33.3 %)", "3 (33.3 %)", "1 (33.3 %)"]  # the range, then the last week
    assert_accessible(page, "/oversight/use-cases/{id} (trends per week)")
    page.get_by_label("First day").fill("2026-12-09")
    page.get_by_label("Last day").fill("2026-12-01")
    page.get_by_role("button", name="Show").click()
    page.locator("#trend-until-error").wait_for()
    assert "on or after the first day (2026-12-09)" in page.locator("#trend-until-error").inner_text()
    assert_accessible(page, "/oversight/use-cases/{id} (trends form with an error)")
