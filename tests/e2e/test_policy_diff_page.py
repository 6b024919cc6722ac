"""The policy change page in Chromium, axe-clean: from a pack with two versions to the use cases whose
result would change, each linking to its page; the form of two versions; a bad version named by field."""

import pytest

from raigov.identity import service as identity
from raigov.inventory import service as inventory
from raigov.policy import packs as P
from raigov.policy import service as policy
from tests.e2e.test_foundation_pages import assert_accessible, sign_in
from tests.policy.test_diff_db import NEW, OLD, newer_m2521


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_policy_diff_page(page, db, settings, make_user, backend, tmp_path, monkeypatch):
    d = tmp_path / "policy"
    d.mkdir()
    (d / "omb-m-25-21-1.1.0.yaml").write_text(newer_m2521(), encoding="utf-8")
    monkeypatch.setattr(P, "_current", P.load_registry([d]))
    make_user("the.caio", "caio")
    make_user("cbp.owner", "submitter@CBP")
    ids = {}
    with db.transaction() as s:
        owner = identity.actor_for(s, identity.get_user(s, "cbp.owner"))
        for key, name, text in (
                ("letters", "Letter translation", "Machine translation of letters from the public into English."),
                ("shifts", "Shift planner", "Proposes shift schedules for port staff from expected traffic."),
                ("mail", "Mail sorting", "Sorts incoming paper mail by office.")):
            ids[key] = inventory.create_use_case(s, owner, component="CBP", reason="new", settings=settings, values={
                "use_case_name": name, "development_stage": "Deployed", "problem_solved": text}).business_id
    with db.transaction() as s:
        caio = identity.actor_for(s, identity.get_user(s, "the.caio"))
        policy.decide(s, caio, ids["letters"], "high-impact", "Letters inform benefit decisions.")

    sign_in(page, "the.caio")
    page.goto("/policy/omb-m-25-21")
    # the pack page links the two newest versions (shipped 1.4.0 and the test's 9.0.0); the story below
    # compares 1.1.0 with 9.0.0, so it follows the same link with the older version chosen
    link = page.get_by_role("link", name=f"Which use cases would change between omb-m-25-21@1.4.0 and {NEW}")
    assert "/policy/diff?old=omb-m-25-21%401.4.0" in link.get_attribute("href")
    page.goto(link.get_attribute("href").replace("%401.4.0", "%40" + OLD.split("@")[1]))
    page.wait_for_url("**/policy/diff?*")
    table = page.locator("table")
    body = table.locator("tbody tr")
    assert body.count() == 2
    letters = body.filter(has_text=ids["letters"])
    assert "M-25-21.6(o)" in letters.locator("td[data-label='Categories removed']").inner_text()
    assert letters.locator("td[data-label='Presumed']").inner_text().strip() == "yes to no"
    determination = letters.locator("td[data-label='Current determination']").inner_text()
    assert "high-impact (M-25-21, in force)" in determination and "to look at" in determination.lower()
    assert letters.locator("td[data-label='Practices']").inner_text().startswith("removed: M-25-21.4(b)(i),")
    assert letters.get_by_role("link", name=ids["letters"]).get_attribute("href") == f"/inventory/{ids['letters']}"
    shifts = body.filter(has_text=ids["shifts"])
    assert shifts.locator("td[data-label='Categories added']").inner_text().strip() == "M-25-21.6(n)"
    assert shifts.locator("td[data-label='Current determination']").inner_text().strip() == "none"
    assert ids["mail"] not in table.inner_text()
    assert page.get_by_label("Old version").input_value() == OLD
    assert page.get_by_label("New version").input_value() == NEW
    assert_accessible(page, "policy diff")

    # the form: two versions chosen with the selects
    page.goto("/policy/diff")
    page.get_by_label("Old version").select_option(NEW)
    page.get_by_label("New version").select_option(NEW)
    page.get_by_role("button", name="Compare").click()
    page.wait_for_url("**/policy/diff?*")
    assert "No use case's result changes." in page.locator("table").inner_text()

    # a version that does not exist is named by its field, not a server error
    page.goto(f"/policy/diff?old=omb-m-25-21@9.9.9&new={NEW}")
    err = page.locator("#f-old-error")
    assert "omb-m-25-21@9.9.9" in err.inner_text() and page.locator("#f-new-error").count() == 0
    assert page.get_by_role("alert").inner_text().startswith("Old version:")
    assert page.locator("table").count() == 0
    assert_accessible(page, "policy diff with an error")
