"""The use case form and page at 1366×900 in Chromium, axe-clean: a registration with a wrong answer comes
back with the error at its field and the answers kept; follow-up questions open under their parent; the
use case page, with many answers and revisions, stays short with its sections closed."""

import pytest

from raigov.identity import service as identity
from raigov.inventory import service as inventory
from tests.e2e.test_foundation_pages import assert_accessible, sign_in

MAX_HEIGHT = 6000  # px, the use case page with its sections closed (issue #14: it was 16,000)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_create_with_an_error_then_a_short_use_case_page(browser, live, db, settings, make_user, backend):
    make_user("cbp.owner", "submitter@CBP", "component_ai_lead@CBP")
    ctx = browser.new_context(base_url=live.url, viewport={"width": 1366, "height": 900})
    page = ctx.new_page()
    try:
        sign_in(page, "cbp.owner")
        page.goto("/inventory/new/use-case")
        assert page.get_by_label("Owning component").count() == 1  # asked once
        vendor = page.locator("#f-vendor_name")
        assert not vendor.is_visible()  # a follow-up, hidden until its parent's answer calls for it
        page.get_by_label("Owning component").select_option("CBP")
        page.locator("#f-use_case_name").fill("Cargo X-ray anomaly triage")
        page.locator("#f-development_stage").select_option("Deployed")
        page.locator("#f-contracting_usage").select_option("Vendor Purchased")
        assert vendor.is_visible()
        vendor.fill("Acme Imaging")
        page.locator("#f-problem_solved").fill("Flags containers whose X-ray images look unusual.")
        page.locator("#f-operational_date").evaluate("el => { el.type = 'text'; el.value = '2025-02-30'; }")
        page.get_by_role("button", name="Save").click()
        group = page.locator("#g-operational_date .usa-form-group--error")
        assert group.is_visible() and "enter a real date" in group.locator(".usa-error-message").inner_text()
        assert page.locator("#f-use_case_name").input_value() == "Cargo X-ray anomaly triage"
        assert page.locator("#f-vendor_name").input_value() == "Acme Imaging" and page.locator("#f-vendor_name").is_visible()
        assert page.locator("#f-development_stage").input_value() == "Deployed"
        assert_accessible(page, "registration form with an error at its field")
        page.locator("#f-operational_date").fill("2025-02-28")
        page.get_by_role("button", name="Save").click()
        page.wait_for_url("**/inventory/DHS-*?done=created")
        assert page.locator("#flash").inner_text().startswith("Registered as a draft")
        bid = page.url.split("/inventory/")[1].split("?")[0]

        # many long answers and revisions: the page stays short while its sections are closed
        with db.transaction() as s:
            owner = identity.actor_for(s, identity.get_user(s, "cbp.owner"))
            for n in range(12):
                inventory.edit_use_case(s, owner, bid, {
                    "benefits": f"Benefit text, version {n}. " * 30, "system_outputs": f"Outputs {n}. " * 40,
                    "data_description": f"Data {n}. " * 40, "has_pii": "Yes" if n % 2 else "No",
                    "is_high_impact": "High-impact", "hi_potential_impacts": f"Impacts {n}. " * 40}, f"revision {n}")
        page.goto(f"/inventory/{bid}")
        closed = page.evaluate("document.body.scrollHeight")
        assert closed <= MAX_HEIGHT, f"use case page is {closed} px tall with its sections closed"
        assert page.get_by_role("link", name="Edit the answers").is_visible()
        assert not page.locator("#f-retire-reason").is_visible()  # the retire form waits to be asked for
        assert_accessible(page, "use case page, sections closed")
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        opened = page.evaluate("document.body.scrollHeight")
        print(f"\nuse case page at 1366x900: {closed} px with sections closed, {opened} px with every section open")
        assert opened > closed
        assert_accessible(page, "use case page, sections open")
    finally:
        ctx.close()
