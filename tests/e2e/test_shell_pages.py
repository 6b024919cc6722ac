"""Issue #14 in Chromium: the header stays within two lines at 1366 px for the person who sees every
navigation entry, the dashboard fits a 390 px phone (tables scroll in their own container), and no page
logs a console error (the CSP refuses any inline style or script)."""

import pytest

from raigov.db.base import utcnow
from tests.e2e.test_foundation_pages import sign_in
from tests.governance.test_dashboard import build_agency

PAGES = ("/home", "/inventory", "/policy", "/dashboard", "/reviews", "/evaluation", "/admin/users",
         "/audit", "/notices", "/account", "/api/docs")


def _collect_console_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))
    return errors


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_header_two_lines_dashboard_on_a_phone_and_no_console_errors(browser, live, db, make_user, backend):
    build_agency(db, utcnow())
    make_user("everything.at.once", "caio", "auditor", "admin", "te_engineer", "component_ai_lead@CBP",
              "privacy_reviewer", "submitter@CBP")
    ctx = browser.new_context(base_url=live.url, viewport={"width": 1366, "height": 900})
    page = ctx.new_page()
    errors = _collect_console_errors(page)
    try:
        sign_in(page, "everything.at.once")
        page.wait_for_url("**/home")
        nav = page.locator("nav.usa-nav a.usa-nav-link, nav.usa-nav .usa-nav__secondary a, nav.usa-nav button")
        labels = [t.strip() for t in nav.all_inner_texts() if t.strip()]
        for label in ("Home", "Inventory", "Policy", "Dashboard", "Reviews", "Data call", "T&E", "Users",
                      "Audit trail", "Notices", "My account"):
            assert label in labels, (label, labels)
        header = page.locator("header.usa-header").bounding_box()
        assert header["height"] <= 130, header
        # every navigation link is on screen, none hidden behind a menu button at this width
        for a in page.locator("nav.usa-nav a").all():
            box = a.bounding_box()
            assert box and box["width"] > 0 and box["x"] + box["width"] <= 1366 and box["height"] < 60, a.inner_text()
        # each label on one line, and the navigation below the logo (not over it)
        logo = page.locator(".usa-logo").bounding_box()
        for span in page.locator("nav.usa-nav .usa-nav__primary a span").all():
            assert span.bounding_box()["height"] < 30, span.inner_text()
        assert page.locator(".usa-nav__primary").bounding_box()["y"] >= logo["y"] + logo["height"] - 1
        for path in PAGES:
            assert page.goto(path).status == 200, path
            page.wait_for_load_state("load")
            if path != "/api/docs":
                h = page.locator("header.usa-header").bounding_box()["height"]
                assert h <= 130, (path, h)
        page.wait_for_selector(".swagger-ui .information-container")
        assert page.get_by_role("button", name="Authorize", exact=True).count() == 1  # the OpenAPI's bearer scheme
        assert errors == []
        # from USWDS's desktop width (1024 px) up, the header stays short: the navigation on one line below the logo
        # from 1366 px (the width), on at most two below that (the CAIO's navigation grows with the domains)
        page.goto("/home")
        for width in (1024, 1100, 1280, 1366, 1440, 1920):
            page.set_viewport_size({"width": width, "height": 900})
            h = page.locator("header.usa-header").bounding_box()["height"]
            tops = {round(b["y"]) for b in (a.bounding_box() for a in page.locator(".usa-nav__primary a").all())}
            assert h <= 130 and len(tops) <= (1 if width >= 1366 else 2), (width, h, tops)

        page.set_viewport_size({"width": 390, "height": 844})
        for path in ("/dashboard", "/home", "/inventory", "/policy", "/tasks/practices"):
            page.goto(path)
            page.wait_for_load_state("load")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, (path, width)
        # on a phone the navigation is behind the menu button, and opens
        page.goto("/dashboard")
        page.get_by_role("button", name="Menu").click()
        assert page.locator("nav.usa-nav").get_by_role("link", name="Inventory").is_visible()
        assert errors == []
    finally:
        ctx.close()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_home_tasks_each_count_a_link_to_its_list(page, db, make_user, backend):
    from tests.e2e.test_foundation_pages import assert_accessible

    ids = build_agency(db, utcnow())
    make_user("cbp.lead", "component_ai_lead@CBP")
    errors = _collect_console_errors(page)
    sign_in(page, "cbp.lead")
    page.wait_for_url("**/home")
    assert page.get_by_role("heading", name="Your tasks").count() == 1
    assert_accessible(page, "home with tasks")
    expected = {"reviews": (1, 0), "changes": (1, 0), "practices": (4, 3), "certifications": (0, 0), "notices": (0, 0)}
    for key, (count, overdue) in expected.items():
        item = page.locator(f"#task-{key}")
        assert (item.get_attribute("data-count"), item.get_attribute("data-overdue")) == (str(count), str(overdue))
    # each count is a link that lands on the list of exactly those items, each a link where to act
    for key, (count, overdue) in expected.items():
        if not count:
            assert page.locator(f"#task-{key} a").count() == 0
            continue
        page.locator(f"#task-{key} a").first.click()
        page.wait_for_url(f"**/tasks/{key}")
        assert page.locator("#task-items tbody tr").count() == count, key
        if key == "practices":
            assert_accessible(page, "the practices due")
            hrefs = page.locator("#task-items tbody a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
            assert {h.split("#")[0] for h in hrefs} == {f"/inventory/{ids['CBP-1']}/governance",
                                                        f"/inventory/{ids['CBP-2']}/governance"}
        page.goto("/home")
        if overdue:
            page.locator(f"#task-{key} a.raigov-task__overdue").click()
            page.wait_for_url(f"**/tasks/{key}?overdue=1")
            assert page.locator("#task-items tbody tr").count() == overdue
            assert page.locator("#task-items tbody tr.raigov-overdue").count() == overdue
            page.goto("/home")
    assert errors == []
