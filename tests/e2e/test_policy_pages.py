"""The policy library pages in Chromium, axe-clean: the packs, one pack's items with citations, and
the disagreements between screen and determination."""

import pytest

from raigov.inventory import service as inventory
from raigov.policy import service as policy
from tests.e2e.test_foundation_pages import assert_accessible, sign_in


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_policy_pages(page, db, settings, system, make_user, backend):
    make_user("the.caio", "caio")
    with db.transaction() as s:
        from raigov.identity import service as identity

        caio = identity.actor_for(s, identity.get_user(s, "the.caio"))
    make_user("cbp.owner", "submitter@CBP")
    with db.transaction() as s:
        owner = identity.actor_for(s, identity.get_user(s, "cbp.owner"))
        bid = inventory.create_use_case(s, owner, component="CBP", reason="new", settings=settings, values={
            "use_case_name": "Face matching at entry", "development_stage": "Pilot",
            "problem_solved": "Facial recognition verifies travelers' identity at ports of entry."}).business_id
        policy.screen_use_case(s, owner, bid)
    with db.transaction() as s:
        policy.decide(s, caio, bid, "not-high-impact", "A pilot with an officer deciding every case.")
    sign_in(page, "the.caio")
    page.goto("/policy")
    assert page.get_by_role("link", name="omb-m-25-21@").first.is_visible() or "omb-m-25-21@" in page.content()
    assert_accessible(page, "policy library")
    page.goto("/policy/omb-m-25-21")
    assert "M-25-21" in page.locator("main").inner_text()
    assert_accessible(page, "policy pack")
    page.goto("/policy/disagreements")
    assert bid in page.locator("table").inner_text()
    assert_accessible(page, "disagreements")
