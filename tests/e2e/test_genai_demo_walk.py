"""Every GenAI and training page in Chromium with axe, on the demo agency's data (demo/genai.py): the demo
employee's tools (DHSChat and ChatGPT granted, Copilot revoked), the prompt guard with a tool of the catalog,
the rules of behavior (already acknowledged) and "My training"; the new employee's tools and unsigned rules; the
TSA supervisor's requests waiting (a lapsed course: Approve disabled, the reason shown; a request declined); the CAIO's office's
grants (filtered by tool) and the workforce page; the training coordinator's workforce page, a completion refused
at the field and one recorded."""

from __future__ import annotations

import pytest

from raigov.clock import agency_today
from tests.e2e.test_datacall_demo_walk import sign_in
from tests.e2e.test_foundation_pages import assert_accessible


@pytest.fixture
def creds(demo_site):
    return demo_site[2]


def test_genai_and_training_pages_on_the_demo(demo_page, demo_site, creds):
    page = demo_page
    today = agency_today(demo_site[0]).isoformat()
    sign_in(page, creds, "employee")
    page.goto("/genai/tools")
    mine = page.locator("main").inner_text()
    assert "DHSChat (internal)" in mine and "Microsoft Copilot with Bing (commercial)" in mine
    assert_accessible(page, "the demo employee's tools")
    page.goto("/genai/screen")
    page.get_by_label("Tool").select_option("chatgpt")
    page.get_by_label("Prompt").fill("Email maria.lopez@example.com about the travel policy.")
    page.get_by_role("button", name="Screen").click()
    page.wait_for_selector("#result")
    assert page.locator("#result").inner_text() == "Decision: redact"
    assert_accessible(page, "the prompt guard with a catalog tool")
    page.goto("/genai/rules")
    assert_accessible(page, "the rules of behavior, acknowledged")
    page.goto("/training/me")
    assert_accessible(page, "the demo employee's training")
    page.context.clear_cookies()

    sign_in(page, creds, "employee.new")
    page.goto("/genai/tools")
    assert_accessible(page, "a new employee's tools")
    page.goto("/genai/rules")
    page.get_by_label("Your password").wait_for()
    assert_accessible(page, "the rules of behavior, not yet acknowledged")
    page.goto("/training/me")
    assert_accessible(page, "a new employee's training (nothing taken)")
    page.context.clear_cookies()

    sign_in(page, creds, "tsa.supervisor")
    page.goto("/genai/requests")
    waiting = page.locator("main").inner_text()
    assert "Victor Wu" in waiting and "Wendy Xu" in waiting
    assert_accessible(page, "the supervisor's requests waiting")
    lapsed = page.locator("section", has_text="GenAI course lapsed) asks for DHSChat")
    assert "is not current" in lapsed.inner_text()  # the lapsed course: no approval possible yet
    assert lapsed.get_by_role("button", name="Approve").is_disabled()
    new = page.locator("section", has_text="no training yet) asks for ChatGPT")
    new.get_by_label("Note (optional)").fill("Take the responsible-use course first, then ask again")
    new.get_by_role("button", name="Decline").click()
    page.wait_for_url("**/genai/requests?done=genai.declined")
    assert "Wendy Xu" not in page.locator("main").inner_text()
    assert_accessible(page, "a request declined")
    page.context.clear_cookies()

    sign_in(page, creds, "caio")
    page.goto("/genai/grants")
    assert "the tool was revoked" in page.locator("#grants").inner_text()
    assert_accessible(page, "all grants")
    page.goto("/genai/grants?tool=dhschat")
    assert_accessible(page, "the grants of one tool")
    page.goto("/training")
    assert_accessible(page, "the workforce page (the CAIO)")
    page.context.clear_cookies()

    sign_in(page, creds, "training")
    page.goto("/training")
    assert "TSA" in page.locator("main").inner_text()
    assert_accessible(page, "the workforce page (the training coordinator)")
    page.get_by_label("User name").fill("employee.new")
    page.get_by_label("Completed on (YYYY-MM-DD)").fill("next week")
    page.get_by_label("Course", exact=True).select_option("genai-responsible-use")
    page.get_by_role("button", name="Record").click()
    page.wait_for_selector(".usa-error-message")
    assert_accessible(page, "a completion refused at the field")
    page.get_by_label("Completed on (YYYY-MM-DD)").fill(today)
    page.get_by_role("button", name="Record").click()
    page.wait_for_url("**/training?done=training.recorded")
    assert_accessible(page, "a completion recorded")
