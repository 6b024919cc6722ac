"""The governance page in Chromium at 1366×900 on the demo agency (issue #14: "9,000 px with every form
open"): with its sections closed it is at most 6,000 px tall and axe-clean; a section opens on demand
without script, one action's form is visible at a time, and history stays collapsed."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.e2e.test_foundation_pages import assert_accessible, sign_in

MAX_HEIGHT = 6000


def _height(page) -> int:
    return page.evaluate("() => document.documentElement.scrollHeight")


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_governance_page_is_short_with_sections_closed(browser, live, db, settings, system, backend):
    from raigov.demo import agency
    from raigov.governance.models import Practice, Review
    from raigov.inventory.models import UseCase

    with db.transaction() as s:
        creds = agency.load(s, settings, system)
    with db.transaction() as s:  # the use case with the most to show: reviews, then practices
        reviews = (select(Review.use_case_id, func.count(Review.id).label("n")).group_by(Review.use_case_id)
                   .subquery())
        practices = (select(Practice.use_case_id, func.count(Practice.id).label("n")).group_by(Practice.use_case_id)
                     .subquery())
        bid = s.scalars(select(UseCase.business_id).join(reviews, reviews.c.use_case_id == UseCase.id)
                        .join(practices, practices.c.use_case_id == UseCase.id)
                        .order_by(reviews.c.n.desc(), practices.c.n.desc(), UseCase.business_id).limit(1)).one()
    ctx = browser.new_context(base_url=live.url, viewport={"width": 1366, "height": 900})
    page = ctx.new_page()
    try:
        sign_in(page, "caio", creds["people"]["caio"]["password"])
        page.wait_for_url("**/home")
        page.goto(f"/inventory/{bid}/governance")
        assert page.locator("details.raigov-section__details").count() == 7
        assert page.locator("details.raigov-section__details[open]").count() == 0
        closed = _height(page)
        assert closed <= MAX_HEIGHT, f"the governance page of {bid} is {closed} px tall with its sections closed"
        assert_accessible(page, "governance page, sections closed")

        # a section opens on demand (no script: a <details>), showing its one-line summary beforehand
        assert re.match(r"\d+ reviews?; \d+ not decided yet\.", page.locator("#reviews-summary").inner_text())
        page.locator("#sec-reviews > summary").click()
        lanes = page.locator("#sec-reviews section h3")
        assert lanes.count() >= 2 and lanes.first.is_visible()
        # one action at a time: opening a second form closes the first
        actions = page.locator("#sec-reviews details.raigov-action")
        assert actions.count() >= 2
        first, second = actions.nth(0), actions.nth(1)
        first.locator("> summary").click()
        assert first.get_attribute("open") is not None
        second.locator("> summary").click()
        assert second.get_attribute("open") is not None and first.get_attribute("open") is None
        assert page.locator("details.raigov-action[open]").count() == 1
        # history collapsed
        assert page.locator("details.raigov-history[open]").count() == 0
        assert_accessible(page, "governance page, reviews open with one form")

        # all sections open: taller, still axe-clean; practice titles whole (wrapped, never cut mid-word)
        for key in ("practices", "evidence", "assessment", "risk", "waivers", "pilot"):
            page.locator(f"#sec-{key} > summary").click()
        assert _height(page) > closed
        titles = page.locator("#sec-practices tbody th").all_inner_texts()
        assert titles and all(not t.rstrip().endswith(("impac", "proce", "fail-sa")) for t in titles), titles
        assert_accessible(page, "governance page, every section open")
    finally:
        ctx.close()
