"""The prompt guard's page in Chromium, axe-clean: an employee pastes a prompt, picks a tool of the catalog, and
sees the decision, why and the redacted text; an empty prompt shows the field's error."""

import pytest

from raigov.clock import agency_today
from raigov.genai import catalog
from tests.e2e.test_foundation_pages import assert_accessible, sign_in


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_genai_screen_page(browser, live, db, make_user, backend, settings, system):
    make_user("an.employee", "employee")
    today = agency_today(settings)
    with db.transaction() as s:  # the page lists the catalog's tools
        catalog.create_tool(s, system, "chatgpt", "ChatGPT", "public", today=today)
        catalog.create_tool(s, system, "dhschat", "DHSChat", "internal", today=today)
        catalog.create_tool(s, system, "copilot-bing", "Copilot", "public", today=today)
        catalog.set_state(s, system, "copilot-bing", "revoked", today, "restricted", today)
    ctx = browser.new_context(base_url=live.url)
    page = ctx.new_page()
    try:
        sign_in(page, "an.employee")
        page.get_by_role("link", name="GenAI").first.click()
        page.wait_for_url("**/genai/tools")
        page.get_by_role("link", name="Prompt guard").first.click()
        page.wait_for_url("**/genai/screen")
        assert_accessible(page, "the empty form")
        assert page.locator("#f-tool option[value='copilot-bing']").inner_text() == "Copilot (cleared for public; revoked)"
        page.get_by_label("Tool").select_option("chatgpt")
        page.get_by_label("Prompt").fill("Write to John Smith, SSN 219-09-9998, at jo.smith@example.com.")
        page.get_by_role("button", name="Screen").click()
        page.wait_for_selector("#result")
        assert page.locator("#result").inner_text() == "Decision: block"
        assert page.locator("#redacted").inner_text() == "Write to [PERSON], SSN [US_SSN], at [EMAIL_ADDRESS]."
        assert_accessible(page, "a blocked prompt")
        page.get_by_label("Tool").select_option("dhschat")
        page.get_by_label("Prompt").fill("Email jo.smith@example.com the notes.")
        page.get_by_role("button", name="Screen").click()
        page.wait_for_selector("#result")
        assert page.locator("#result").inner_text() == "Decision: allow"
        page.get_by_label("Prompt").fill(" ")
        page.locator("#f-text").evaluate("e => e.removeAttribute('required')")
        page.get_by_role("button", name="Screen").click()
        page.wait_for_selector("#f-text-error")
        assert "is empty" in page.locator("#f-text-error").inner_text()
        assert_accessible(page, "an empty prompt")
    finally:
        ctx.close()
