"""The impact determination on a use case page, in Chromium and axe-clean: the screen's proposal with its
evidence and trace, then the CAIO's determination with a written reason."""

import pytest

from raigov.identity import service as identity
from raigov.inventory import service as inventory
from tests.e2e.test_foundation_pages import assert_accessible, sign_in


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_screen_and_decide(page, db, settings, make_user, backend):
    make_user("cbp.owner", "submitter@CBP")
    make_user("the.caio", "caio")
    with db.transaction() as s:
        owner = identity.actor_for(s, identity.get_user(s, "cbp.owner"))
        bid = inventory.create_use_case(s, owner, component="CBP", reason="new", settings=settings, values={
            "use_case_name": "Traveler face matching", "development_stage": "Pilot",
            "problem_solved": "Facial recognition compares a traveler's live photo with the passport photo "
                              "to verify identity at the port of entry."}).business_id
    sign_in(page, "cbp.owner")
    page.goto(f"/inventory/{bid}")
    assert "Not screened yet." in page.content()
    page.get_by_role("button", name="Screen now").click()
    assert page.get_by_role("heading", name="raigov's screen: presumed high-impact").is_visible()
    assert_accessible(page, "use case with a screen")
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "the.caio")
    page.goto(f"/inventory/{bid}")
    page.get_by_label("Decision").select_option("high-impact")
    page.get_by_role("button", name="Record").click()  # no reason: refused, naming the field
    assert "Written reason: a determination needs its written reason" in page.content()
    page.get_by_label("Decision").select_option("high-impact")
    page.get_by_label("Written reason").fill("Identity verification at the border affects travelers' rights.")
    page.get_by_role("button", name="Record").click()
    table = page.get_by_role("table", name="Determinations, newest first")
    assert "High-impact" in table.inner_text() and "the.caio" in table.inner_text()
    assert "user:the.caio" not in table.inner_text()  # people by their user names (plain language)
    assert_accessible(page, "use case with a determination")
