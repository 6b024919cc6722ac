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
