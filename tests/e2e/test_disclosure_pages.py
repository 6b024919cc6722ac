"""Public feedback and the accountability reports in Chromium, axe-clean: a member of the public sends feedback
with JavaScript off (personal information masked, warned), and with it on (axe); CBP's lead answers it from the
home page's task and the queue and publishes the response; the CAIO generates a report and edits the compliance plan."""

from __future__ import annotations

import pytest

from tests.disclosure.published import publish
from tests.e2e.test_foundation_pages import assert_accessible, sign_in
from tests.oversight.conftest import use_cases  # noqa: F401  (the fixture)


@pytest.fixture
def people(db, make_user, actor_of):
    make_user("owner", "submitter@CBP", password=False)
    make_user("lead", "component_ai_lead@CBP")
    make_user("caio", "caio")
    return {u: actor_of(u) for u in ("owner", "lead", "caio")}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_feedback_and_reports_walk(browser, page, live, people, use_cases, backend, db, settings):  # noqa: F811
    fr = use_cases["fr"]
    url = f"/public/use-cases/{fr}/feedback"
    publish(db, settings, {fr: "Biometric entry-exit face matching"})  # on the public site
    # without JavaScript: the form works as it is
    ctx = browser.new_context(base_url=live.url, java_script_enabled=False)
    nojs = ctx.new_page()
    nojs.goto(url)
    box = nojs.get_by_label("Leave this field empty").bounding_box()  # the honeypot: off screen by the style sheet
    assert box is not None and box["x"] < -1000, box
    nojs.get_by_label("Your message").fill("Who checks a no-match? Call me at (202) 555-0143.")
    nojs.get_by_role("button", name="Send feedback").click()
    nojs.get_by_role("heading", name="Your message seems to hold personal information").wait_for()  # warned first
    nojs.get_by_role("button", name="Send with the personal information replaced").click()
    nojs.get_by_role("heading", name="Thank you: your message was received").wait_for()
    assert "a phone number" in nojs.content()
    ctx.close()
    # with JavaScript: the form, an error at the field, axe
    page.goto(url)
    assert_accessible(page, "/public/use-cases/{id}/feedback")
    page.get_by_label("Your message").fill("<script>alert(1)</script>")
    page.get_by_role("button", name="Send feedback").click()
    page.locator("#fb-text-error").wait_for()
    assert_accessible(page, "/public/use-cases/{id}/feedback (error)")
    page.get_by_label("Your message").fill("My SSN is 212-58-3921.")
    page.get_by_role("button", name="Send feedback").click()
    page.get_by_role("heading", name="Your message seems to hold personal information").wait_for()
    assert_accessible(page, "/public/use-cases/{id}/feedback (personal information: warned, nothing sent)")
    # CBP's lead answers it
    sign_in(page, "lead")
    page.locator("#task-feedback a").first.click()  # "1 Public feedback to answer" on the home page
    page.get_by_role("link", name="A message from the public about Biometric entry-exit face matching").wait_for()
    page.goto("/feedback")  # the task list's full list
    page.get_by_role("heading", name="Public feedback").wait_for()
    assert_accessible(page, "/feedback")
    page.get_by_role("link", name="Who checks a no-match?").click()
    page.get_by_role("heading", name="Feedback on").wait_for()
    assert "[PHONE_NUMBER]" in page.content() and "555-0143" not in page.content()
    assert_accessible(page, "/feedback/{id}")
    page.get_by_label("Response", exact=True).fill("An officer reviews every no-match.")
    page.get_by_text("Publish the response").click()
    page.get_by_role("button", name="Send response").click()
    page.get_by_text("Response saved.").wait_for()
    page.goto("/dashboard")
    page.get_by_role("heading", name="Public feedback by use case").wait_for()
    assert_accessible(page, "/dashboard (feedback panel)")
    page.goto(url)
    assert "An officer reviews every no-match." in page.content()
    # the CAIO: a report, then the compliance plan
    page.context.clear_cookies()
    sign_in(page, "caio")
    page.get_by_role("link", name="More", exact=True).first.click()  # the bar lists it under More
    page.locator("main").get_by_role("link", name="Reports", exact=True).click()
    page.get_by_role("heading", name="Accountability reports").wait_for()
    assert_accessible(page, "/reports")
    page.get_by_label("Report", exact=True).select_option("inventory-summary")
    page.get_by_label("Format").select_option("pdf")
    page.get_by_role("button", name="Generate").click()
    page.get_by_text("The report was generated").wait_for()
    assert "Download PDF" in page.content()
    assert_accessible(page, "/reports (generated)")
    page.get_by_role("link", name="Edit the").click()
    page.get_by_role("heading", name="Compliance plan").first.wait_for()
    assert_accessible(page, "/reports/compliance-plan/{year}")
    page.get_by_label('Text of "1. AI governance"').fill("The AI Governance Board meets monthly.")
    page.get_by_role("button", name="Save 1. AI governance").click()
    page.get_by_text("The section was saved.").wait_for()
    assert "edited" in page.content()
    assert_accessible(page, "/reports/compliance-plan/{year} (saved)")
