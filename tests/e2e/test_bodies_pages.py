"""The governance bodies' pages in Chromium, axe-clean and without internal ids: the CAIO follows the navigation to
the bodies, the Responsible Use Group's page (a meeting refused with the error at its field, then scheduled), the
meeting (the use case proposed from the platform's state put on the agenda, the attendance, a vote recorded with
the form), the recommendation it became and the workforce."""

from __future__ import annotations

import datetime as dt

import pytest

from raigov.bodies import service as bodies
from raigov.clock import agency_today
from tests.bodies.test_service import RUG, _use_case, cast  # noqa: F401  (the fixture)
from tests.e2e.test_foundation_pages import assert_accessible, sign_in
from tests.web.internal_ids import find_internal_ids


def _clean(page, where: str) -> None:
    assert_accessible(page, where)
    assert find_internal_ids(page.content()) == [], where


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_caio_runs_a_responsible_use_group_meeting(page, live, db, settings, cast, make_user, backend):  # noqa: F811
    make_user("the.caio", "caio")
    bid = _use_case(db, settings, cast)
    with db.transaction() as s:
        for seat, user in RUG.items():
            bodies.appoint(s, cast["caio"], "rug", seat, user, since=agency_today() - dt.timedelta(days=30))
    sign_in(page, "the.caio")
    page.get_by_role("link", name="More", exact=True).first.click()  # the bar lists it under More
    page.locator("main").get_by_role("link", name="Bodies").click()
    page.get_by_role("heading", name="Governance bodies").wait_for()
    _clean(page, "/bodies")
    page.get_by_role("link", name="Responsible Use Group").click()
    page.get_by_role("heading", name="Responsible Use Group", level=1).wait_for()
    _clean(page, "/bodies/rug")

    page.locator("#schedule summary").click()
    page.get_by_label("Date").fill(agency_today().isoformat())
    page.get_by_label("Start time (the agency's time)").fill("10:00")
    page.get_by_role("button", name="Schedule").click()
    page.locator("#f-title-error").wait_for()
    assert "a meeting needs a title" in page.locator("#f-title-error").inner_text()
    _clean(page, "/bodies/rug with an error")
    page.get_by_label("Title").fill("Independent reviews")
    page.get_by_label("Date").fill(agency_today().isoformat())
    page.get_by_label("Start time (the agency's time)").fill("10:00")
    page.get_by_role("button", name="Schedule").click()
    page.get_by_role("heading", name="Independent reviews").wait_for()
    _clean(page, "/bodies/meetings/{id}")

    page.get_by_role("button", name="Add Biometric entry-exit face matching to the agenda").click()
    page.get_by_text("The item is on the agenda.").wait_for()
    page.locator("#attend summary").click()
    for user in ("crcl.chief", "privacy.adv", "counsel", "rug"):  # USWDS draws the box on the label: click it
        box = page.locator(f"input[name=present][value='{user}']").get_attribute("id")
        page.locator(f"label[for='{box}']").click()
    page.get_by_role("button", name="Record the attendance").click()
    page.get_by_text("Quorum: 4 voting members present, 4 needed.").wait_for()
    _clean(page, "/bodies/meetings/{id} held")

    page.locator("#decide summary").click()
    page.get_by_label("Kind").select_option("recommendation")
    page.locator("#d-subject_kind").select_option("use_case")
    page.get_by_label("Reference").last.fill(bid)
    page.get_by_label("Text of the motion").fill("Recommend approval.")
    for name, vote in (("Crcl.Chief", "yes"), ("Privacy.Adv", "yes"), ("Counsel", "abstain")):
        page.get_by_label(f"{name},", exact=False).last.select_option(vote)
    page.get_by_role("button", name="Record the vote").click()
    page.get_by_text("The vote is recorded.").wait_for()
    _clean(page, "/bodies/meetings/{id} decided")
    page.get_by_role("link", name="Recommendation on Biometric entry-exit face matching").click()
    page.get_by_text("Attached as evidence to the use case's independent review.").wait_for()
    assert "Carried" in page.content()
    _clean(page, "/bodies/decisions/{id}")
    page.goto("/bodies/workforce")
    page.get_by_role("heading", name="Members and reviewers").wait_for()
    _clean(page, "/bodies/workforce")
