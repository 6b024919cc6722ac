"""Issue #14: a Chromium walk per role on the demo agency. Each signs in and does the role's main job from its
home page by clicks only (no typed URL after sign-in), and every page on the way is checked: axe-clean, no
taller than 6,000 px at 1366×900 with its sections closed (every <details> closed while measuring), no internal id
in the text a person reads, closed sections included (the patterns of tests/web/internal_ids.py on the whole
document, outside <code>), and no console error or uncaught page error."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import axe_violations
from tests.e2e.test_datacall_demo_walk import sign_in
from tests.web.internal_ids import find_internal_ids

MAX_HEIGHT = 6000
REFUSED = "the server responded with a status of 422"
# the page's height with every <details> closed (the sections as the page opens them on demand), measured and then
# put back as they were, so that a section the walk opened stays open for its next step
CLOSED_HEIGHT = """() => {
    const open = [...document.querySelectorAll('details[open]')];
    open.forEach(d => d.removeAttribute('open'));
    const h = document.documentElement.scrollHeight;
    open.forEach(d => d.setAttribute('open', ''));
    return h;
}"""


class Walk:
    """One role's walk: every page it lands on is checked and recorded."""

    def __init__(self, page):
        self.page = page
        self.errors: list[str] = []
        self.pages: list[str] = []
        page.set_viewport_size({"width": 1366, "height": 900})
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e} ({page.url})"))

    def _console(self, msg):
        # a form refused with its errors is answered 422 by design, and Chromium logs that status of the document
        # itself as an error: that one is expected; any other (a script error, a missing file) fails the walk
        if msg.type == "error" and not (REFUSED in msg.text and msg.location.get("url") == self.page.url):
            self.errors.append(f"console: {msg.text} ({self.page.url})")

    def check(self):
        page = self.page
        page.wait_for_load_state("load")
        where = page.url
        self.pages.append(where)
        assert axe_violations(page) == [], where
        height = page.evaluate(CLOSED_HEIGHT)
        assert height <= MAX_HEIGHT, f"{where} is {height} px tall with its sections closed"
        # the words a person reads once they open a section count too: the whole document's text, closed
        # <details> included (Chromium's innerText leaves them out), outside <code>
        hits = find_internal_ids(page.content())
        assert hits == [], f"{where}: {hits}"
        assert self.errors == [], where

    def click(self, locator, url_glob=None):
        """Follow a link or press a button, then check the page it lands on."""
        locator.first.click()
        if url_glob:
            self.page.wait_for_url(url_glob)
        self.check()

    def main_link(self, name, **kw):
        return self.page.locator("main").get_by_role("link", name=name, **kw)


def _caio(w: Walk):
    w.click(w.main_link("Reviews waiting for you"), "**/tasks/reviews")
    w.click(w.page.locator("#task-items a"), "**/governance**")
    w.page.locator("details[id^=sec-] > summary").first.click()
    w.check()
    w.click(w.page.get_by_role("link", name="Home").first, "**/home")
    w.click(w.main_link("Data call", exact=True), "**/datacall")


def _open_section(w: Walk, key: str):
    """Open a section of the governance page (closed until asked for) unless the link opened it already."""
    details = w.page.locator(f"#sec-{key}")
    w.page.wait_for_load_state()
    for _ in range(3):  # Chromium opens a closed <details> itself when the URL's fragment points inside it
        if details.get_attribute("open") is not None:
            break
        details.locator("> summary").click()
        w.page.wait_for_timeout(50)
    assert details.get_attribute("open") is not None


def _action(w: Walk, label: str):
    """Open one action's form on the governance page and return it."""
    details = w.page.locator(f"details.raigov-action:has(> summary:has-text('{label}'))").first
    details.locator("> summary").click()
    assert details.get_attribute("open") is not None
    return details


def _lead(w: Walk):
    w.click(w.main_link("Reviews waiting for you"), "**/tasks/reviews")
    w.click(w.page.locator("#task-items a"), "**/governance**")
    _open_section(w, "reviews")
    form = _action(w, "Assign this review")
    picker = form.get_by_role("combobox")
    options = picker.locator("option").all_inner_texts()
    assert options[0] == "Nobody (unassigned)" and len(options) > 1, options
    picker.select_option(index=1)
    w.check()
    w.click(form.get_by_role("button", name="Save the assignment"), "**/governance**")
    assert w.page.get_by_text("assigned to").count() >= 1


def _owner(w: Walk):
    w.click(w.main_link("Changes requested of you"), "**/tasks/changes")
    w.click(w.page.locator("#task-items a"))
    if "/governance" in w.page.url:  # the request is read on the governance page; the answers are on the use case's
        w.click(w.page.locator("nav.usa-breadcrumb a").nth(1))
    w.click(w.main_link("Edit the answers"), "**/edit")
    name = w.page.locator("#f-use_case_name")
    typed = "Traveler photo matching, edited in the walk"
    name.fill(typed)  # and no reason for the change: the one error
    w.click(w.page.locator("main form").get_by_role("button", name="Save", exact=True), "**/edit")
    assert w.page.locator("#error-summary li").all_inner_texts() == [w.page.locator("#f-reason-error").inner_text()]
    group = w.page.locator(".usa-form-group--error")
    assert group.count() == 1
    assert group.locator("#f-reason").count() == 1 and group.locator("#f-reason-error").is_visible()
    assert "f-reason-error" in w.page.locator("#f-reason").get_attribute("aria-describedby")
    assert name.input_value() == typed


def _reviewer(w: Walk):
    w.click(w.main_link("Reviews waiting for you"), "**/tasks/reviews")
    w.click(w.page.locator("#task-items a"), "**/governance**")
    _open_section(w, "reviews")
    form = _action(w, "Decide this review")
    assert form.get_by_label("Decision").is_visible()
    assert form.get_by_label("Written reason").is_visible()
    w.check()
    # an approval with conditions but none given: refused, the error at the conditions' field, the rest kept
    form.get_by_label("Decision").select_option("approved_with_conditions")
    typed = "Read the analysis; one condition to add."
    form.get_by_label("Written reason").fill(typed)
    w.click(form.get_by_role("button", name="Record decision"), "**/reviews/*/decide")
    form = w.page.locator("details.raigov-action[open]")
    group = w.page.locator(".usa-form-group--error")
    assert group.count() == 1 and group.locator("textarea[name=conditions]").count() == 1
    assert group.locator(".usa-error-message").is_visible()
    assert form.get_by_label("Written reason").input_value() == typed
    assert form.get_by_label("Decision").input_value() == "approved_with_conditions"


def _te(w: Walk, tmp_path):
    """The demo holds no run yet: the engineer starts a small one from the page and lands on the run's page."""
    rows = ["score,genuine,grp"] + [f"{(i % 10) / 10 + (0.5 if i % 3 == 0 else 0):.3f},{int(i % 3 == 0)},{'ab'[i % 2]}"
                                    for i in range(300)]
    (tmp_path / "scores.csv").write_text("\n".join(rows) + "\n")
    w.click(w.main_link("Test and evaluation"), "**/evaluation")
    w.click(w.main_link("Biometric demographic differentials"), "**/evaluation?kind=biometric*")
    w.page.locator("#f-file").set_input_files(str(tmp_path / "scores.csv"))
    w.page.get_by_label("Group column(s)").fill("grp")
    w.page.get_by_label("Score column").fill("score")
    w.page.get_by_label("Genuine column").fill("genuine")
    w.page.get_by_label("Threshold", exact=True).fill("0.75")
    w.click(w.page.get_by_role("button", name="Run the evaluation"), "**/evaluation/runs/*")
    run_heading = re.compile(r"Evaluation run \d+: Biometric demographic differentials")  # the demo has runs of its own
    assert w.page.get_by_role("heading", name=run_heading).is_visible()


def _auditor(w: Walk):
    w.click(w.main_link("Audit trail"), "**/audit")
    w.click(w.main_link("Verify the whole trail"), "**/audit/verify")


def _admin(w: Walk):
    w.click(w.main_link("User administration"), "**/admin/users")
    w.click(w.main_link("Role grants waiting for a second person"), "**/admin/pending-grants")


WALKS = {"caio": _caio, "cbp.lead": _lead, "cbp.owner": _owner, "privacy": _reviewer, "crcl": _reviewer,
         "legal": _reviewer, "ocio": _reviewer, "rug": _reviewer, "te.engineer": _te, "auditor": _auditor,
         "admin": _admin}


@pytest.mark.slow
@pytest.mark.parametrize("who", list(WALKS))
def test_role_walk(demo_page, demo_site, who, tmp_path):
    _, _, creds = demo_site
    w = Walk(demo_page)
    sign_in(demo_page, creds, who)
    w.check()
    WALKS[who](w, tmp_path) if who == "te.engineer" else WALKS[who](w)
    assert len(w.pages) >= 3
