"""The dashboard in Chromium, axe-clean, for the CAIO (department-wide), a component AI lead (their component
only) and a reviewer (their lane's queue): the numbers, and every chart's SVG carrying the same numbers as the
table beside it."""

import pytest

from raigov.db.base import utcnow
from tests.e2e.test_foundation_pages import assert_accessible, sign_in
from tests.governance.test_dashboard import build_agency


def _table(page, chart_id: str) -> dict[str, list[str]]:
    """The chart's table: row header -> the row's cells."""
    out = {}
    for tr in page.locator(f"#{chart_id} table tbody tr").all():
        out[tr.locator("th").inner_text().strip()] = [t.strip() for t in tr.locator("td").all_inner_texts()]
    return out


def _charts_match_tables(page) -> list[str]:
    """Every chart: an SVG named by its title whose value labels and description carry the table's numbers."""
    ids = page.locator(".raigov-chart").evaluate_all("els => els.map(e => e.id)")
    assert ids
    for cid in ids:
        svg = page.locator(f"#{cid} svg[role=img]")
        assert svg.count() == 1, cid
        labelled = svg.get_attribute("aria-labelledby").split()
        title = page.locator(f"#{cid} svg title").text_content().strip()
        assert labelled[0] == f"{cid}-title" and title
        assert page.locator(f"#{cid} table caption").inner_text().strip() == title
        svg_values = [t.strip() for t in page.locator(f"#{cid} svg text:not([text-anchor=end])").all_text_contents()]
        table = _table(page, cid)
        assert svg_values == [cells[-1] for cells in table.values()], cid  # the value (or total) of each row
        desc = page.locator(f"#{cid} svg desc").text_content()
        for label, cells in table.items():
            assert label in desc and cells[-1] in desc, (cid, label)
    return ids


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_dashboards(browser, live, db, make_user, backend):
    now = utcnow()
    ids = build_agency(db, now)
    make_user("the.caio", "caio")
    make_user("cbp.lead", "component_ai_lead@CBP")
    make_user("priv.reviewer", "privacy_reviewer")
    make_user("an.employee", "employee")

    def page_for(user):
        ctx = browser.new_context(base_url=live.url)
        p = ctx.new_page()
        sign_in(p, user)
        p.last_status = p.goto("/dashboard").status
        return ctx, p

    # the CAIO: everything, department-wide
    ctx, page = page_for("the.caio")
    try:
        assert page.last_status == 200
        assert page.locator("[data-figure=active]").inner_text() == "6"
        assert page.locator("[data-figure=awaiting]").inner_text() == "1"
        assert page.locator("[data-figure=practices-overdue]").inner_text() == "4"
        assert page.locator("[data-figure=reviews-open]").inner_text() == "9"
        assert page.locator("[data-figure=reviews-overdue]").inner_text() == "3"
        assert page.locator("[data-figure=datacall]").inner_text() == "1 of 2"
        assert _table(page, "chart-determination") == {
            "High-impact": ["1"], "Presumed high-impact, but determined not high-impact": ["1"], "Not high-impact": ["1"],
            "M-24-10: rights- or safety-impacting": ["1"], "M-24-10: neither": ["1"], "No determination yet": ["1"]}
        assert _table(page, "chart-stage") == {"Deployed": ["3"], "Pilot": ["2"], "Not stated": ["1"]}
        assert _table(page, "chart-component") == {"CBP": ["1", "1", "0", "0", "0", "1", "3"],
                                                   "TSA": ["0", "0", "1", "1", "1", "0", "3"]}
        assert _table(page, "chart-practices") == {"CBP": ["3"], "TSA": ["1"]}
        assert _table(page, "chart-queues-all") == {"Component AI lead": ["1", "1", "2"],
                                                    "Privacy Office": ["2", "2", "4"],
                                                    "Office for Civil Rights and Civil Liberties": ["3", "0", "3"]}
        ages = page.locator("#table-ages-all tbody tr").all_inner_texts()
        assert [" ".join(a.split()) for a in ages] == ["Component AI lead 2 27.5 50 1", "Privacy Office 4 30.5 40 2",
                                                       "Office for Civil Rights and Civil Liberties 3 8 20 0"]
        assert _table(page, "chart-datacall") == {"Components with active use cases": ["1", "1", "2"]}
        assert ids["CBP-1"] in page.locator("#waivers-expiring").inner_text()
        assert ids["TSA-1"] in page.locator("#waivers-recertify").inner_text()
        assert page.locator("#waivers-omb tbody tr").count() == 2
        assert "ended 2 days ago" in page.locator("#table-pilots").inner_text()
        assert _charts_match_tables(page) == ["chart-determination", "chart-stage", "chart-component", "chart-practices",
                                              "chart-queues-all", "chart-datacall"]
        assert_accessible(page, "CAIO dashboard")
    finally:
        ctx.close()

    # the CBP lead: CBP's numbers only
    ctx, page = page_for("cbp.lead")
    try:
        main = page.locator("main").inner_text()
        assert "TSA" not in main and "Passenger screening" not in main
        assert page.locator("[data-figure=active]").inner_text() == "3"
        assert page.locator("[data-figure=practices-overdue]").inner_text() == "3"
        assert _table(page, "chart-determination")["High-impact"] == ["1"]
        assert _table(page, "chart-stage") == {"Deployed": ["2"], "Pilot": ["1"]}
        worst = page.locator("#table-practices-worst tbody tr").all_inner_texts()
        assert [w.split()[0] for w in worst] == [ids["CBP-1"], ids["CBP-2"]]
        assert _table(page, "chart-queues-all")["Privacy Office"] == ["1", "1", "2"]
        assert page.locator("#waivers-expiring").count() == 0 and page.locator("#table-datacall").count() == 0
        _charts_match_tables(page)
        assert_accessible(page, "component lead dashboard")
    finally:
        ctx.close()

    # the privacy reviewer: the Privacy lane, department-wide, oldest first with links to the use cases
    ctx, page = page_for("priv.reviewer")
    try:
        assert page.locator("[data-figure=active]").count() == 0
        assert _table(page, "chart-queues-mine") == {"Privacy Office": ["2", "2", "4"]}
        ages = page.locator("#table-ages-mine tbody tr").all_inner_texts()
        assert [" ".join(a.split()) for a in ages] == ["Privacy Office 4 30.5 40 2"]
        links = page.locator("#table-oldest-mine tbody th a")
        assert links.all_inner_texts() == [ids["CBP-1"], ids["TSA-1"], ids["TSA-3"], ids["CBP-2"]]
        assert links.first.get_attribute("href") == f"/inventory/{ids['CBP-1']}"
        _charts_match_tables(page)
        assert_accessible(page, "reviewer dashboard")
    finally:
        ctx.close()

    # an employee has no dashboard
    ctx, page = page_for("an.employee")
    try:
        assert "/dashboard" in page.url and page.last_status == 403
        assert page.locator("[data-figure]").count() == 0 and page.locator(".raigov-chart").count() == 0
    finally:
        ctx.close()
