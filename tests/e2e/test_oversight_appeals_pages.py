"""The pages of notices and appeals in Chromium, axe-clean (with and without errors at the field): a CBP lead
writes a use case's notice and files an appeal at the intake page; the CBP appeals officer finds it from the
home page's task, decides it (an error first), and reads the queue of decided appeals."""

from __future__ import annotations

import json

import pytest

from raigov.oversight import service as oversight
from tests.e2e.test_foundation_pages import assert_accessible, sign_in
from tests.oversight.conftest import decision, use_cases  # noqa: F401  (the fixture)


@pytest.fixture
def people(db, make_user, actor_of):
    make_user("owner", "submitter@CBP", password=False)
    make_user("lead", "component_ai_lead@CBP")
    make_user("appeals.cbp", "appeals_officer@CBP")
    make_user("caio", "caio", password=False)
    make_user("cbp-sys", "service@CBP", kind="service")
    return {u: actor_of(u) for u in ("owner", "lead", "caio", "cbp-sys")}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_notice_intake_and_decide(page, browser, live, db, settings, people, use_cases, backend):  # noqa: F811
    low = use_cases["low"]
    key = oversight.load_key(settings.ensure_data_dir())
    with db.transaction() as s:
        parsed = oversight.parse_batch(json.dumps({"decisions": [decision(low, 1)]}).encode())
        pk = oversight.record_decisions(s, people["cbp-sys"], key, parsed).rows[0]["id"]
    sign_in(page, "lead")
    page.goto(f"/oversight/use-cases/{low}")
    page.get_by_role("link", name="Its notice").click()
    page.get_by_role("heading", name=f"Notice to the people {low} decides about").wait_for()
    assert_accessible(page, "/oversight/use-cases/{id}/notice")
    page.get_by_label("What the AI does").fill("A model proposes whether you are eligible.")
    page.get_by_role("button", name="Save the notice").click()
    page.locator("#human_review-error").wait_for()
    assert_accessible(page, "/oversight/use-cases/{id}/notice with errors")
    page.get_by_label("How to get a human review").fill("Ask any office for an officer's review.")
    page.get_by_label("How to appeal a decision").fill("Appeal within 30 days at the office.")
    page.get_by_role("button", name="Save the notice").click()
    page.get_by_text("Notice saved.").wait_for()

    page.goto("/oversight")
    page.get_by_role("link", name="Appeals of these decisions").click()
    page.get_by_role("heading", name="Appeals of AI-assisted decisions").wait_for()
    assert_accessible(page, "/oversight/appeals (empty)")
    page.get_by_role("link", name="File an appeal").click()
    page.get_by_label("Decision (ledger number)").fill("x")
    page.get_by_role("button", name="File the appeal").click()
    page.locator("#decision-error").wait_for()
    assert_accessible(page, "/oversight/appeals/new with errors")
    page.get_by_label("Decision (ledger number)").fill(str(pk))
    page.get_by_label("Grounds: why the person contests the decision").fill("The pay stubs were last year's.")
    page.get_by_role("button", name="File the appeal").click()
    page.get_by_text("Appeal filed").wait_for()
    assert "Decide the appeal" not in page.content()  # the lead files; an appeals officer decides
    assert_accessible(page, "/oversight/appeals/{id} (read only)")

    officer = browser.new_context(base_url=live.url).new_page()
    sign_in(officer, "appeals.cbp")
    officer.get_by_role("link", name="Appeals waiting for your decision").click()
    assert_accessible(officer, "/tasks/appeals")
    officer.get_by_role("link", name="Appeal").first.click()
    officer.get_by_role("heading", name="Decide the appeal").wait_for()
    assert_accessible(officer, "/oversight/appeals/{id}")
    officer.get_by_role("button", name="Record the decision").click()
    officer.locator("#rationale-error").wait_for()
    assert_accessible(officer, "/oversight/appeals/{id} with errors")
    officer.locator("label[for=outcome-reversed]").click()  # USWDS hides the input itself
    officer.get_by_label("Rationale").fill("This year's pay stubs show an income under the limit.")
    officer.get_by_role("button", name="Record the decision").click()
    officer.get_by_text("Appeal decided.").wait_for()
    officer.goto("/oversight/appeals?status=decided")
    assert "Reversed" in officer.content()
    assert_accessible(officer, "/oversight/appeals?status=decided")
    officer.context.close()
