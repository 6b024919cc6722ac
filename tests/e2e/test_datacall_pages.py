"""The data call in headless Chromium, axe-clean on every page: the CAIO opens a cycle, a component lead
certifies with an explanation of a failing check, the CAIO certifies the whole, and the public inventory
shows the snapshot's hash (and serves the bytes that hash)."""

from __future__ import annotations

import hashlib

import pytest

from raigov.datacall import service as datacall
from raigov.inventory import service as inventory
from tests.e2e.test_foundation_pages import assert_accessible, sign_in

GOOD = {"use_case_name": "Translation of public notices", "is_withheld": "No", "development_stage": "Pre-deployment",
        "is_high_impact": "Not High-impact", "topic_area": "Admin Functions", "classification": "NLP",
        "problem_solved": "Staff translate public notices by hand.", "benefits": "Notices reach readers sooner.",
        "system_outputs": "Draft translations.", "contact_email": "owner@example.gov"}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_datacall_pages(page, db, settings, make_user, actor_of, backend):
    for name, role in (("chief", "caio"), ("cbp.lead", "component_ai_lead@CBP"), ("ice.lead", "component_ai_lead@ICE"),
                       ("cbp.owner", "submitter@CBP"), ("ice.owner", "submitter@ICE")):
        make_user(name, role)
    owners = {n: actor_of(n) for n in ("cbp.owner", "ice.owner")}
    with db.transaction() as s:
        for owner, comp, values in (("cbp.owner", "CBP", GOOD),
                                    ("cbp.owner", "CBP", {**GOOD, "use_case_name": "Cargo image triage", "is_withheld": None}),
                                    ("ice.owner", "ICE", {**GOOD, "use_case_name": "Tip line routing"})):
            a = owners[owner]
            uc = inventory.create_use_case(s, a, component=comp, values=values, reason="created", settings=settings)
            s.flush()
            inventory.submit_use_case(s, a, uc.business_id)

    # the CAIO opens the cycle
    sign_in(page, "chief")
    page.goto("/datacall")
    assert page.get_by_role("heading", name="Annual data call").is_visible()
    assert_accessible(page, "data call, no cycle yet")
    page.get_by_label("Reporting year").fill("2026")
    page.get_by_label("Component certifications due").fill("2026-12-15")
    page.get_by_role("button", name="Open the cycle").click()
    page.wait_for_url("**/datacall?year=2026&saved=opened")
    assert "0 of 2 components" in page.content()
    assert page.locator("tbody tr").count() == 2
    assert "Not yet possible: 2 of 2 components have not certified: CBP, ICE." in page.locator("#certify-blocker").inner_text()
    assert page.get_by_role("button", name="Certify the 2026 inventory").is_disabled()
    assert_accessible(page, "data call progress")
    page.get_by_role("button", name="Sign out").click()

    # the CBP lead certifies, explaining the failing check
    sign_in(page, "cbp.lead")
    page.goto("/datacall")
    page.get_by_role("link", name="CBP").click()
    page.wait_for_url("**/datacall/2026/CBP")
    assert page.get_by_role("heading", name="Failing reporting checks, by kind").is_visible()
    assert page.get_by_role("button", name="Certify CBP for 2026").is_disabled()  # the reason is said before
    assert "Not yet possible: 1 failing check of 1 kind still need" in page.locator("#certify-blocker").inner_text()
    assert_accessible(page, "component page")
    page.get_by_text("Withheld from the public? — not answered").click()  # open the kind
    page.get_by_label("Or explain once why the answer stands for the chosen use cases").fill(
        "Answered in the next release of the intake form.")
    page.get_by_role("button", name="Save the explanation for the chosen use cases").click()
    page.wait_for_url("**/datacall/2026/CBP?done=explained&n=1")
    assert "The explanation is saved for 1 use case." in page.content()
    page.get_by_label("Certification statement").fill("CBP's use cases are complete and accurate.")
    page.get_by_role("button", name="Certify CBP for 2026").click()
    page.wait_for_url("**/datacall/2026/CBP?saved=1")
    assert "CBP is certified for 2026" in page.content()
    assert_accessible(page, "component page certified")
    page.get_by_role("button", name="Sign out").click()

    ice_lead = actor_of("ice.lead")
    with db.transaction() as s:
        datacall.certify_component(s, ice_lead, 2026, "ICE", "ICE's use cases are complete.", {})

    # the CAIO certifies the whole
    sign_in(page, "chief")
    page.goto("/datacall")
    assert "2 of 2 components" in page.content() and page.locator("#certify-blocker").count() == 0
    page.get_by_label("Certification statement").fill("The department's inventory is complete and accurate.")
    page.get_by_role("button", name="Certify the 2026 inventory").click()
    page.wait_for_url("**/datacall?year=2026&saved=certified")
    assert page.get_by_role("heading", name="Certified snapshot").is_visible()
    assert_accessible(page, "data call certified")
    page.get_by_role("button", name="Sign out").click()

    # anyone: the public inventory shows the hash and serves the bytes that have it
    with db.transaction() as s:
        pub = datacall.publication(s)
    page.goto("/public/inventory")
    assert page.get_by_role("heading", name="AI use case inventory").is_visible()
    assert page.locator("#public-sha256").inner_text().strip() == pub.public_sha256
    assert page.locator("#head-signature").inner_text().strip() == pub.head["signature"]
    assert "Tip line routing" in page.locator("tbody").inner_text()
    assert_accessible(page, "public inventory")
    r = page.request.get("/public/inventory/2026.csv")
    assert r.ok and hashlib.sha256(r.body()).hexdigest() == pub.public_sha256
