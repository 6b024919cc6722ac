"""The public site in Chromium on the demo agency, axe-clean, without an account: the index, a search with
filters, a use case, its component, the changes, waivers, pilots and open data pages; then the same walk with
JavaScript disabled (the search is a plain GET form, every page is plain HTML)."""

from __future__ import annotations

from raigov.disclosure import site
from raigov.identity.permissions import Actor
from tests.e2e.test_foundation_pages import assert_accessible


def _build(demo_site) -> dict:
    settings, db, _ = demo_site
    with db.transaction() as s:
        site.build(s, Actor.system("demo"), settings)
    with db.transaction(read=True) as s:
        cur = site.current(s, settings)
        return cur.json(f"pages/{cur.json('pages/site.json')['years'][0]}/index.json")


def test_public_site_walk_with_and_without_javascript(demo_page, demo_site, browser):
    idx = _build(demo_site)
    year, first = idx["year"], idx["use_cases"][0]
    page = demo_page
    page.goto("/public")
    page.get_by_role("heading", name=f"how we use AI ({year})").wait_for()
    assert_accessible(page, "/public")
    page.get_by_label("Component").select_option(first["agency_bureau"])
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(f"**component={first['agency_bureau']}**")
    assert_accessible(page, "/public?component=...")
    page.get_by_role("link", name=first["use_case_name"]).first.click()
    page.get_by_role("heading", name=first["use_case_name"], level=1).wait_for()
    assert page.get_by_role("heading", name="Check this page").is_visible()
    assert_accessible(page, "/public/use-cases/{year}/{id}")
    page.goto(f"/public/components/{year}/{site.slug(first['agency_bureau'])}")
    page.get_by_role("heading", name=f"{first['agency_bureau']}: AI use cases in {year}").wait_for()
    assert_accessible(page, "/public/components/{year}/{code}")
    for name, heading in (("Waivers in force", "Waivers in force"), ("Pilots", "Certified pilots"),
                          ("Changes", f"What changed in {year}"), ("Open data", "Open data")):
        page.get_by_role("navigation", name="Public site").get_by_role("link", name=name).click()
        page.get_by_role("heading", name=heading, level=1).wait_for()
        assert_accessible(page, name)

    ctx = browser.new_context(base_url=page.url.split("/public")[0], java_script_enabled=False)
    try:
        p = ctx.new_page()
        p.goto("/public")
        p.get_by_label("Search words").fill(first["use_case_name"].split()[0])
        p.get_by_role("button", name="Show").click()
        p.wait_for_url("**q=**")
        p.get_by_role("link", name=first["use_case_name"]).first.click()
        p.get_by_role("heading", name=first["use_case_name"], level=1).wait_for()
        assert "What it does" in p.content()
        p.get_by_role("link", name="its data file (JSON)").click()
        assert first["id"] in p.content()
    finally:
        ctx.close()
