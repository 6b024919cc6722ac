"""Issue #20, items 2 and 3, in Chromium on the demo agency: CBP's AI lead walks by clicks from the navigation
through the acquisition pages (the list, a vendor, the contract missing its data-rights clause, the form's
error at its field, then the clause recorded) and the dataset registry (the list, the test set's card with
the test run whose input is its version, the face-recognition use case's governance page with the data
section pre-filled from its datasets). Every page is checked as the role walks check theirs (axe, height,
no internal id, no console error)."""

from __future__ import annotations

from tests.e2e.test_datacall_demo_walk import sign_in
from tests.e2e.test_role_walks import Walk


def test_acquisition_and_datasets_walk(demo_page, demo_site):
    _, _, creds = demo_site
    page = demo_page
    sign_in(page, creds, "cbp.lead")
    w = Walk(page)
    w.click(page.get_by_role("link", name="More", exact=True), "**/more")  # the bar lists it under More
    w.click(w.main_link("Acquisition"), "**/acquisition")
    w.click(w.main_link("Lingua Analytics LLC"), "**/acquisition/vendors/*")
    assert page.get_by_text("Data rights and ownership").count() >= 1
    w.click(w.main_link("70B03C", exact=False), "**/acquisition/contracts/*")
    section = page.locator("#req-data_rights")
    assert section.locator(".raigov-status").inner_text() == "Missing"
    section.locator("details > summary").click()
    section.get_by_label("State").select_option("met")
    w.click(section.get_by_role("button", name="Record"))  # no clause: refused, the error at its field
    section = page.locator("#req-data_rights")
    assert section.locator(".usa-error-message").inner_text().startswith("a met requirement needs the clause")
    section.get_by_label("Clause or evidence (when met)").fill("Modification P00003: H.7 Rights in data")
    w.click(section.get_by_role("button", name="Record"), "**/acquisition/contracts/**")
    assert page.locator("#flash").inner_text() == "Requirement recorded."
    assert "Every requirement is met or waived." in page.locator("main").inner_text()

    w.click(page.get_by_role("link", name="More", exact=True), "**/more")
    w.click(w.main_link("Datasets"), "**/datasets")
    w.click(w.main_link("Demographic test set (demo)"), "**/datasets/*")
    runs = page.locator("main li", has_text="input is version v1")
    assert runs.count() == 1
    w.click(w.main_link("testing", exact=False).or_(page.locator("main li", has_text="testing").locator("a")))
    assert "/governance" in page.url
    page.locator("#sec-assessment > summary").click()
    form = page.locator("details.raigov-action:has(> summary:has-text('Edit the impact assessment'))").first
    form.locator("> summary").click()
    assert page.locator("#ia-B_data_model_quality-registry").inner_text().startswith("Pre-filled from the dataset registry")
    section_b = page.locator("#ia-B_data_model_quality").input_value()  # no assessment yet: the text is the registry's
    assert section_b.startswith("From the dataset registry:\n- Demographic test set (demo) (used for testing): ")
    assert "\n- Entry photo gallery (demo) (used for training and operation): " in section_b
    w.check()
