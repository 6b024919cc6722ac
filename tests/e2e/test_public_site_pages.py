"""The public site in Chromium on the demo agency, axe-clean, without an account: the index, a search with
filters, a use case, its feedback form, its component, the changes, waivers, pilots, reports and open data pages;
then the same walk with JavaScript disabled (the search is a plain GET form, every page is plain HTML, the feedback
form answers bad input at the field), and axe on every public page as a browser without JavaScript shows it (the
page's own scripts removed before it loads: axe itself needs JavaScript)."""

from __future__ import annotations

import re

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
                          ("Changes", f"What changed in {year}"), ("Reports", "Accountability reports"),
                          ("Open data", "Open data")):
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
        # the feedback form from the use case page: bad input is answered at the field, and shown escaped
        p.go_back()
        p.get_by_role("link", name="Write to us about this use case").click()
        p.get_by_label("Your message").fill("<script>alert(1)</script>")
        p.get_by_role("button", name="Send feedback").click()
        p.locator("#fb-text-error").wait_for()
        assert "remove the HTML or script tags" in p.content() and "&lt;script&gt;alert(1)&lt;/script&gt;" in p.content()
        p.get_by_label("Your message").fill("")
        p.get_by_role("button", name="Send feedback").click()
        p.get_by_text("write your feedback before sending it").wait_for()
    finally:
        ctx.close()


_SCRIPT = re.compile(rb"<script\b[^>]*>.*?</script\s*>", re.S | re.I)


def test_every_public_page_without_javascript_is_axe_clean(demo_site, browser):
    """Each public page (and the feedback form with an error) as a browser without JavaScript renders it: the
    document's scripts are removed on the way in, then axe runs (it needs JavaScript of its own)."""
    from raigov.web.app import create_app
    from tests.e2e.conftest import LiveServer

    idx = _build(demo_site)
    year, first = idx["year"], idx["use_cases"][0]
    settings, db, _ = demo_site
    ident, comp = site.slug(first["id"]), site.slug(first["agency_bureau"])
    urls = ["/public", f"/public?year={year}&high_impact=yes", f"/public/use-cases/{year}/{ident}",
            f"/public/components/{year}/{comp}", f"/public/changes/{year}", "/public/waivers", "/public/pilots",
            "/public/reports", "/public/data", f"/public/use-cases/{first['id']}/feedback"]

    def no_scripts(route):
        if route.request.resource_type != "document":
            return route.continue_()
        resp = route.fetch()
        body = _SCRIPT.sub(b"", resp.body())
        assert b"<script" not in body.lower()
        route.fulfill(response=resp, body=body)

    with LiveServer(create_app(settings, db)) as srv:
        ctx = browser.new_context(base_url=srv.url)
        try:
            p = ctx.new_page()
            p.route("**/*", no_scripts)
            for url in urls:
                r = p.goto(url)
                assert r is not None and r.status == 200, url
                assert_accessible(p, f"{url} (no JavaScript)")
            p.get_by_label("Your message").fill("<b>bold</b>")
            p.get_by_role("button", name="Send feedback").click()
            p.locator("#fb-text-error").wait_for()
            assert_accessible(p, "the feedback form with an error (no JavaScript)")
        finally:
            ctx.close()
