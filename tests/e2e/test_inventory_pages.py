"""Inventory pages in headless Chromium, axe-clean: list with filters, a use case with its history and
diff, the registration form (conditional questions, errors naming the field), the import dry run."""


import pytest

from raigov.inventory import service as inventory
from raigov.inventory.formats import read_inventory
from tests.conftest import SHARED
from tests.e2e.test_foundation_pages import assert_accessible, sign_in

DATA = SHARED / "data" / "federal-ai-inventory"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_inventory_pages(page, db, settings, system, make_user, backend, tmp_path):
    dev = DATA / "2025_individually_reported_AI_use_cases.dev.csv"
    v2 = DATA / "2024_consolidated_ai_inventory_raw_v2.csv"
    if not dev.exists():
        pytest.skip("shared data not present")
    with db.transaction() as s:
        inventory.import_inventory(s, system, read_inventory(v2), settings, agency="DHS")
        inventory.import_inventory(s, system, read_inventory(dev), settings, agency="DHS")
    make_user("cbp.owner", "submitter@CBP")
    make_user("cbp.lead", "component_ai_lead@CBP")
    sign_in(page, "cbp.owner")
    page.goto("/inventory")
    assert page.get_by_role("heading", name="AI use case inventory").is_visible()
    assert_accessible(page, "inventory list")
    page.get_by_label("Search names and text").fill("translation")
    page.get_by_role("button", name="Apply").click()
    assert "translation" in page.url
    rows = page.locator("tbody tr")
    assert rows.count() >= 1 and "CBP" in rows.first.inner_text()

    # a use case with two revisions (2024 then 2025) shows the diff
    with db.transaction() as s:
        from sqlalchemy import select

        from raigov.identity.models import OrgUnit
        from raigov.inventory.models import UseCase

        bid = s.scalar(select(UseCase.business_id).join(OrgUnit).where(UseCase.revision_count == 2, OrgUnit.code == "CBP"))
    page.goto(f"/inventory/{bid}")
    history = page.locator("details#history")
    assert "History (2 revisions)" in history.locator("summary").first.inner_text()
    assert history.get_attribute("open") is None  # collapsed until asked for
    history.locator("summary").first.click()
    history.get_by_text("What changed").click()
    assert history.locator("table").first.is_visible()
    assert_accessible(page, "use case page")

    # register a use case: conditional questions appear with the answers
    page.goto("/inventory/new/use-case")
    hi = page.locator("#f-hi_testing_conducted")
    assert not hi.is_visible()
    page.get_by_role("button", name="Save").click()  # nothing filled in
    assert page.locator(".usa-alert--error").is_visible()
    assert "Use Case Name" in page.locator(".usa-alert--error").inner_text()
    assert_accessible(page, "registration form with errors")
    page.get_by_label("Owning component").select_option("CBP")
    page.locator("#f-use_case_name").fill("Cargo X-ray anomaly triage")
    page.locator("#f-development_stage").select_option("Deployed")
    page.locator("#f-is_high_impact").select_option("High-impact")
    assert hi.is_visible()
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/inventory/DHS-*?done=created")
    assert page.get_by_role("heading", name="Cargo X-ray anomaly triage").is_visible()
    assert_accessible(page, "new use case")

    # the import page: dry run first, then the import
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "cbp.lead")
    page.goto("/inventory/import/file")
    assert_accessible(page, "import page")
    page.set_input_files("#f-file", str(DATA / "2025_0128_ocio-dhs-ai-use-case-inventory.xlsx"))
    page.get_by_role("button", name="Check the file").click()
    assert "Dry run: nothing written yet" in page.content()
    assert_accessible(page, "import dry run report")
    page.get_by_role("button", name="Import 238 rows").click()
    assert page.get_by_role("heading", name="Imported").is_visible()
