"""Issue #14's screenshots: full-page PNGs at 1366 and 390 px of home, a use case page, its governance page and
the data call page, for the CAIO and CBP's AI lead, reached by clicks from home on the demo agency. Written to
var/screenshots/ (never committed; RAIGOV_SCREENSHOTS_DIR for another folder) only when RAIGOV_SCREENSHOTS=1, for a
person to look at:
`RAIGOV_SCREENSHOTS=1 .venv/bin/python -m pytest -q tests/e2e/test_screenshots.py -p no:cacheprovider`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.test_datacall_demo_walk import sign_in

OUT = Path(os.environ.get("RAIGOV_SCREENSHOTS_DIR") or Path(__file__).resolve().parents[2] / "var" / "screenshots")
WIDTHS = (1366, 390)


def _shoot(page, who, name):
    page.wait_for_load_state("load")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(OUT / f"{who}-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("RAIGOV_SCREENSHOTS") != "1", reason="screenshots only when RAIGOV_SCREENSHOTS=1")
@pytest.mark.parametrize("who", ["caio", "cbp.lead"])
def test_screenshots(demo_page, demo_site, who):
    _, _, creds = demo_site
    page = demo_page
    OUT.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    sign_in(page, creds, who)
    _shoot(page, who, "home")
    page.locator("main").get_by_role("link", name="Reviews waiting for you").click()
    page.locator("#task-items a").first.click()
    page.wait_for_url("**/governance**")
    _shoot(page, who, "governance")
    page.locator("nav.usa-breadcrumb a").nth(1).click()
    page.wait_for_url("**/inventory/DHS-*")
    _shoot(page, who, "use-case")
    page.get_by_role("link", name="Data call", exact=True).first.click()
    page.wait_for_url("**/datacall")
    _shoot(page, who, "datacall")
    if who == "cbp.lead":  # the lead's data call is the component's certification page, one click on
        page.locator("main").get_by_role("link", name="CBP", exact=True).first.click()
        page.wait_for_url("**/datacall/*/CBP")
        _shoot(page, who, "datacall-component")
    assert len(list(OUT.glob(f"{who}-*.png"))) == (10 if who == "cbp.lead" else 8)
