"""One Chromium walk with axe over the GenAI access and training pages: the employee's tools (a request refused
at the field, then sent), the rules of behavior signed with the password, the supervisor's requests (a task on
home) approved, the CAIO's office's grants and catalog (a revocation), the training workforce table and
"My training"."""

import datetime as dt

import pytest

from raigov.clock import agency_today
from raigov.genai import catalog, rules
from raigov.identity.supervisors import set_supervisor
from raigov.training import service as training
from tests.conftest import PASSWORD
from tests.e2e.test_foundation_pages import assert_accessible, sign_in


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_genai_access_walk(browser, live, db, make_user, actor_of, system, settings, backend):
    today = agency_today(settings)
    make_user("the.caio", "caio")
    make_user("a.boss", "employee", org_unit="CBP")
    make_user("an.employee", "employee", org_unit="CBP")
    with db.transaction() as s:
        set_supervisor(s, system, "an.employee", "a.boss")
        catalog.create_tool(s, system, "dhschat", "DHSChat", "internal", today=today,
                            course_ids=["genai-responsible-use"], upstream_url="http://127.0.0.1:9/v1")
        catalog.create_tool(s, system, "chatgpt", "ChatGPT", "public", today=today, state="conditional",
                            conditions="public information only", tos_amendment="Federal amendment to the terms")
        rules.publish_rules(s, system, "GenAI rules of behavior", "1. Never paste PII into a public tool.\n2. Check outputs.")
        training.record_completion(s, system, "an.employee", "genai-responsible-use", today - dt.timedelta(days=40), today)
    ctx = browser.new_context(base_url=live.url)
    page = ctx.new_page()
    try:
        sign_in(page, "an.employee")
        page.get_by_role("link", name="GenAI").first.click()
        page.wait_for_url("**/genai/tools")
        assert_accessible(page, "my tools")
        page.locator("#f-purpose-dhschat").evaluate("e => e.removeAttribute('required')")
        page.locator("#tool-dhschat").get_by_role("button", name="Ask my supervisor").click()
        page.wait_for_selector("#f-purpose-dhschat-error")
        assert_accessible(page, "a request refused at the field")
        page.locator("#f-purpose-dhschat").fill("Summarising public CBP reports for briefings")
        page.locator("#tool-dhschat").get_by_role("button", name="Ask my supervisor").click()
        page.wait_for_url("**/genai/tools?done=genai.requested")
        assert "your supervisor has not decided yet" in page.locator("#tool-dhschat").inner_text()
        page.get_by_role("link", name="Rules of behavior").click()
        page.get_by_label("Your password").fill("wrong-password-1")
        page.get_by_role("button", name="I have read these rules").click()
        page.wait_for_selector("#f-password-error")
        assert_accessible(page, "the rules with a wrong password")
        page.get_by_label("Your password").fill(PASSWORD)
        page.get_by_role("button", name="I have read these rules").click()
        page.wait_for_url("**/genai/rules?done=genai.acknowledged")
        assert_accessible(page, "the rules acknowledged")
        page.goto("/training/me")
        assert_accessible(page, "my training")
        ctx.clear_cookies()
        sign_in(page, "a.boss")
        page.wait_for_url("**/home")
        page.get_by_role("link", name="GenAI").first.click()
        page.get_by_role("link", name="Requests to decide").click()
        page.wait_for_url("**/genai/requests")
        assert_accessible(page, "requests to decide")
        page.get_by_role("button", name="Approve").click()
        page.wait_for_url("**/genai/requests?done=genai.approved")
        assert "DHSChat" in page.locator("#report-grants").inner_text()
        assert_accessible(page, "a request approved")
        ctx.clear_cookies()
        sign_in(page, "the.caio")
        page.wait_for_url("**/home")
        page.get_by_role("link", name="GenAI").first.click()
        page.get_by_role("link", name="All grants").click()
        page.wait_for_url("**/genai/grants")
        assert "An.Employee" in page.locator("#grants").inner_text()
        assert_accessible(page, "all grants")
        page.locator("#f-state-tool").select_option("dhschat")
        page.locator("#f-state").select_option("revoked")
        page.get_by_label("Reason or conditions").fill("Vendor breach")
        page.get_by_role("button", name="Change the state").click()
        page.wait_for_url("**/genai/grants?done=genai.state_changed")
        assert "the tool was revoked: Vendor breach" in page.locator("#grants").inner_text()
        assert_accessible(page, "a tool revoked")
        page.get_by_role("link", name="More", exact=True).first.click()  # the bar lists it under More
        page.locator("main").get_by_role("link", name="Training").click()
        page.wait_for_url("**/training")
        assert_accessible(page, "the workforce table")
    finally:
        ctx.close()
