"""The Notices page in Chromium, axe-clean: the CAIO sees every notice, filters the failed ones and retries one
(without SMTP it is queued for the next run); an employee sees only their own."""

import datetime as dt

import pytest

from raigov.jobs.models import Notice
from tests.e2e.test_foundation_pages import assert_accessible, sign_in


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_notices_page(browser, live, db, make_user, backend):
    make_user("the.caio", "caio")
    make_user("an.employee", "employee")
    now = dt.datetime.now(dt.UTC)
    with db.transaction() as s:
        s.add_all([
            Notice(key="practice:1:overdue:2026-11-25:to:the.caio", kind="practice_due", level="escalation",
                   recipient="caio@example.gov", recipient_user="the.caio", subject="[raigov] ESCALATION: overdue",
                   body="x", object_type="practice", object_id="1", created_at=now - dt.timedelta(hours=2),
                   sent_at=now - dt.timedelta(hours=1), claimed_by="host-a", claimed_at=now - dt.timedelta(hours=1),
                   attempts=1),
            Notice(key="review:2:overdue:2026-11-20:to:the.caio", kind="review_overdue", level="escalation",
                   recipient="caio@example.gov", recipient_user="the.caio", subject="[raigov] review open",
                   body="x", object_type="review", object_id="2", created_at=now - dt.timedelta(hours=1),
                   attempts=2, last_error="SMTPRecipientsRefused: 550 no such user"),
            Notice(key="hand:employee", kind="test", level="reminder", recipient="emp@example.gov",
                   recipient_user="an.employee", subject="[raigov] for the employee", body="x", object_type="test",
                   object_id="1", created_at=now),
        ])

    ctx = browser.new_context(base_url=live.url)
    page = ctx.new_page()
    try:
        sign_in(page, "the.caio")
        page.get_by_role("link", name="Notices").first.click()
        page.wait_for_url("**/notices")
        assert page.locator("#notices-total").inner_text() == "3 notices match."
        rows = page.locator("#table-notices tbody tr")
        assert [rows.nth(i).get_attribute("data-status") for i in range(3)] == ["pending", "failed", "sent"]
        assert_accessible(page, "notices")
        page.get_by_label("Status").select_option("failed")
        page.get_by_role("button", name="Filter").click()
        page.wait_for_url("**/notices?status=failed**")
        assert page.locator("#notices-total").inner_text() == "1 notice match."
        assert "550 no such user" in page.locator("#table-notices").inner_text()
        assert_accessible(page, "failed notices")
        assert "review:2:" not in page.locator("#table-notices").inner_text()  # the key is kept, not shown
        page.get_by_role("button", name="Retry now: Review: overdue since 2026-11-20 to caio@example.gov").click()
        page.wait_for_url("**done=queued**")
        assert "next jobs run" in page.get_by_role("status").inner_text()
        assert page.locator("#notices-total").inner_text() == "0 notices match."
        assert_accessible(page, "after a retry")
    finally:
        ctx.close()

    ctx = browser.new_context(base_url=live.url)
    page = ctx.new_page()
    try:
        sign_in(page, "an.employee")
        page.goto("/notices")
        assert page.locator("#notices-total").inner_text() == "1 notice match."
        assert page.locator("#table-notices tbody tr").get_attribute("data-key") == "hand:employee"
        assert page.get_by_role("button", name="Retry now").count() == 0
        assert_accessible(page, "an employee's notices")
    finally:
        ctx.close()
