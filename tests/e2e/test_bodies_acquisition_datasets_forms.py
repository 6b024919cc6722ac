"""Issue #20's pages and forms in Chromium, on the demo agency, one walk as the CAIO (who keeps the Board's records,
manages contracts and datasets and may waive): every page of the governance bodies (list, a body, a meeting, a
decision, the workforce), of acquisition (list, the registration form, a contract, a vendor), of the dataset
registry (list, the registration form, a data card, its edit form) and the public page of what the bodies
published, each checked as the role walks check theirs (axe WCAG 2.x A/AA, at most 6,000 px tall, no internal
id, no console error). Forms are submitted with an error first, and the error must be at its field (inside the
field's USWDS error group, the input pointing at it), with what was typed kept; then with good values, and the
banner is the one of the message code."""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import select

from raigov.clock import agency_today
from raigov.datasets.models import DatasetUseCase
from raigov.disclosure import site
from raigov.identity import service as identity
from raigov.inventory.models import UseCase
from tests.e2e.test_datacall_demo_walk import sign_in
from tests.e2e.test_role_walks import Walk


def error_at(page, field_id: str) -> str:
    """The error shown at the field `field_id`: inside the field's error group, and the input describes itself by
    it."""
    err = page.locator(f".usa-form-group--error:has(#{field_id}) #{field_id}-error")
    err.wait_for()
    assert f"{field_id}-error" in (page.locator(f"#{field_id}").get_attribute("aria-describedby") or "")
    return err.inner_text()


def _bodies(w: Walk, page, today: dt.date) -> None:
    w.click(page.get_by_role("link", name="More", exact=True), "**/more")
    w.click(w.main_link("Bodies"), "**/bodies")
    w.click(w.main_link("AI Governance Board"), "**/bodies/board")
    page.locator("#schedule summary").click()
    page.get_by_label("Date").fill((today + dt.timedelta(days=14)).isoformat())
    page.get_by_label("Start time (the agency's time)").fill("14:00")
    page.get_by_label("Where").fill("Room 3A")
    w.click(page.get_by_role("button", name="Schedule"))  # no title
    assert error_at(page, "f-title") == "a meeting needs a title"
    assert page.get_by_label("Where").input_value() == "Room 3A", "what was typed is kept"
    page.get_by_label("Title").fill("Board, special meeting")
    w.click(page.get_by_role("button", name="Schedule"), "**/bodies/meetings/*")
    assert page.locator("#flash").inner_text() == "The meeting is scheduled."

    page.locator("#item summary").click()
    page.locator("#f-subject_kind").select_option("use_case")
    page.locator("#f-subject_ref").fill("DHS-99999")
    w.click(page.get_by_role("button", name="Add to the agenda"))
    assert "DHS-99999" in error_at(page, "f-subject_ref")
    assert page.locator("#f-subject_ref").input_value() == "DHS-99999"
    page.locator("#f-subject_kind").select_option("other")
    page.locator("#f-subject_ref").fill("")
    page.locator("#f-title").fill("The agency's AI strategy")
    w.click(page.get_by_role("button", name="Add to the agenda"), "**/bodies/meetings/**")
    assert page.locator("#flash").inner_text() == "The item is on the agenda."
    proposals = page.locator("form[action$='/items'] button", has_text="to the agenda")
    if proposals.count():  # a proposal from the platform's state, added with one press
        w.click(proposals.first, "**/bodies/meetings/**")

    page.locator("#attend summary").click()
    for box in page.locator("input[name=present]").all():  # USWDS draws the box on the label: click it
        page.locator(f"label[for='{box.get_attribute('id')}']").click()
    w.click(page.get_by_role("button", name="Record the attendance"), "**/bodies/meetings/**")
    assert page.get_by_text("Quorum: 6 voting members present, 6 needed.").is_visible()

    page.locator("#decide summary").click()
    page.get_by_label("Kind").select_option("decision")
    page.locator("#d-subject_kind").select_option("use_case")
    page.locator("#d-subject_ref").fill("DHS-99999")
    page.get_by_label("Text of the motion").fill("The Board adopts the strategy.")
    w.click(page.get_by_role("button", name="Record the vote"))  # an unknown use case: at the decision's field only
    assert "DHS-99999" in error_at(page, "d-subject_ref") and page.locator("#f-subject_ref-error").count() == 0
    assert page.get_by_label("Text of the motion").input_value() == "The Board adopts the strategy."
    page.locator("#d-subject_kind").select_option("other")
    page.locator("#d-subject_ref").fill("")
    page.get_by_label("Text of the motion").fill("The Board adopts the strategy.")
    page.locator("select[name='vote-caio']").select_option("yes")
    w.click(page.get_by_role("button", name="Record the vote"), "**/bodies/meetings/**")
    assert page.locator("#flash").inner_text() == "The vote is recorded."
    page.locator("#minutes-form summary").click()
    page.get_by_label("Minutes", exact=True).fill("The Board adopted the strategy (demo).")
    w.click(page.get_by_role("button", name="Record the minutes"), "**/bodies/meetings/**")
    w.click(page.get_by_role("button", name="Publish the minutes"), "**/bodies/meetings/**")
    w.click(page.get_by_role("button", name="Publish: decision on Other business"), "**/bodies/meetings/**")
    assert page.locator("#flash").inner_text() == "Publication updated."
    w.click(page.get_by_role("link", name="Decision on Other business"), "**/bodies/decisions/*")
    w.click(page.locator("main").get_by_role("link", name="Board, special meeting"), "**/bodies/meetings/*")
    w.click(page.locator("main p").first.get_by_role("link", name="AI Governance Board"), "**/bodies/board")
    w.click(page.get_by_role("link", name="All governance bodies"), "**/bodies")
    w.click(w.main_link("The members and reviewers, with their training"), "**/bodies/workforce")
    assert page.locator("main").get_by_text("current until", exact=False).count() + \
        page.locator("main").get_by_text("no training record", exact=False).count() > 0


def _acquisition(w: Walk, page, today: dt.date, fr: str) -> str:
    w.click(page.get_by_role("link", name="More", exact=True), "**/more")
    w.click(w.main_link("Acquisition"), "**/acquisition")
    w.click(w.main_link("Register a solicitation or contract"), "**/acquisition/new")
    page.get_by_label("Number").fill("70B03C26C00000999")
    page.get_by_label("Title").fill("Gate camera maintenance (walk)")
    page.get_by_label("Vendor").fill("Vistaface Inc.")
    page.get_by_label("Component").select_option("CBP")
    page.get_by_label("Starts on").fill(today.isoformat())
    page.get_by_label("Ends on").fill((today + dt.timedelta(days=365)).isoformat())
    page.get_by_label("Use cases it serves").fill("DHS-99999")
    w.click(page.get_by_role("button", name="Register"))
    assert error_at(page, "f-use_cases") == "no use case 'DHS-99999'"
    assert page.get_by_label("Title").input_value() == "Gate camera maintenance (walk)"
    page.get_by_label("Use cases it serves").fill(fr)
    w.click(page.get_by_role("button", name="Register"), "**/acquisition/contracts/*")
    assert page.locator("#flash").inner_text() == "Registered. Record each AI contract requirement below."
    section = page.locator("#req-data_rights")
    section.locator("details > summary").click()
    section.get_by_label("State").select_option("waived")
    w.click(section.get_by_role("button", name="Record"))  # a waiver without its reason
    assert error_at(page, "rs-data_rights").startswith("a waived requirement needs the reason")
    section = page.locator("#req-data_rights")
    section.get_by_label("Reason (when waived)").fill("Government-owned data only (walk)")
    w.click(section.get_by_role("button", name="Record"), "**/acquisition/contracts/**")
    assert page.locator("#req-data_rights .raigov-status").inner_text() == "Waived"
    page.locator("summary", has_text="Add a use case it serves").click()
    page.locator("#lk-use_case").fill(fr)
    w.click(page.get_by_role("button", name="Add the use case"))  # it serves it already
    assert "already serves" in error_at(page, "lk-use_case")
    w.click(page.locator("main").get_by_role("link", name="Vistaface Inc."), "**/acquisition/vendors/*")
    return fr


def _datasets(w: Walk, page, fr: str) -> None:
    w.click(page.get_by_role("link", name="More", exact=True), "**/more")
    w.click(w.main_link("Datasets"), "**/datasets")
    w.click(w.main_link("Register a dataset"), "**/datasets/new")
    page.get_by_label("Name").fill("Gate camera frames (walk)")
    page.get_by_label("Component").select_option("CBP")
    page.get_by_label("Owner").fill("CBP Office of Field Operations")
    page.get_by_label("Covers from").fill("2025-06-01")
    page.get_by_label("Covers until").fill("2025-01-01")
    page.locator("label[for='f-pii-yes']").click()
    page.locator("label[for='f-pc-age']").click()
    w.click(page.get_by_role("button", name="Register"))  # no source
    assert error_at(page, "f-source") == "required"
    assert page.locator("#f-pc-age").is_checked() and page.get_by_label("Name").input_value() == "Gate camera frames (walk)"
    page.get_by_label("Source").fill("Cameras at the gates")
    w.click(page.get_by_role("button", name="Register"))  # the span ends before it starts
    assert error_at(page, "f-ends_on") == "the time span ends before it starts"
    page.get_by_label("Covers until").fill("2025-12-31")
    w.click(page.get_by_role("button", name="Register"), "**/datasets/*")
    assert page.locator("#flash").inner_text().startswith("Registered.")
    w.click(page.get_by_role("link", name="Edit the data card"), "**/edit")
    page.get_by_label("Known limits").fill("Night frames are few (walk)")
    w.click(page.get_by_role("button", name="Save the data card"), "**/datasets/*")
    assert page.locator("#flash").inner_text() == "The data card is saved."

    content = b"frame,camera\n1,a\n"
    page.locator("summary", has_text="Register a version").click()
    page.get_by_label("Version label").fill("2025-12")
    page.get_by_label("SHA-256 of the file").fill("0" * 64)
    page.locator("#v-file").set_input_files(files=[{"name": "frames.csv", "mimeType": "text/csv", "buffer": content}])
    w.click(page.get_by_role("button", name="Register the version"))
    err = page.locator(".usa-form-group--error #v-file-error")
    err.wait_for()
    assert hashlib.sha256(content).hexdigest() in err.inner_text() and "not registered" in err.inner_text()
    assert page.get_by_label("Version label").input_value() == "2025-12"
    page.get_by_label("SHA-256 of the file").fill("")
    page.locator("#v-file").set_input_files(files=[{"name": "frames.csv", "mimeType": "text/csv", "buffer": content}])
    w.click(page.get_by_role("button", name="Register the version"), "**/datasets/**")
    assert page.locator("#flash").inner_text() == "Version registered."
    page.locator("summary", has_text="Link a use case that uses it").click()
    page.locator("#l-use_case").fill("DHS-99999")
    w.click(page.get_by_role("button", name="Link the use case"))
    assert error_at(page, "l-use_case") == "no use case 'DHS-99999'"
    page.locator("#l-use_case").fill(fr)
    page.get_by_label("Used for").select_option("testing")
    w.click(page.get_by_role("button", name="Link the use case"), "**/datasets/**")
    assert page.locator("#flash").inner_text() == "The use case is linked."
    w.click(page.get_by_role("link", name="More", exact=True), "**/more")
    w.click(w.main_link("Datasets"), "**/datasets")
    w.click(w.main_link("Demographic test set (demo)"), "**/datasets/*")


def test_the_caio_fills_every_form_of_bodies_acquisition_and_datasets(demo_page, demo_site):
    settings, db, creds = demo_site
    today = agency_today(settings)
    with db.transaction() as s:  # the public site's build (the demo certified last year's inventory)
        site.build(s, identity.actor_for(s, identity.get_user(s, "caio")), settings)
        fr = s.scalar(select(UseCase.business_id).join(DatasetUseCase, DatasetUseCase.use_case_id == UseCase.id)
                      .where(DatasetUseCase.purpose == "testing"))
    page = demo_page
    sign_in(page, creds, "caio")
    w = Walk(page)
    _bodies(w, page, today)
    _acquisition(w, page, today, fr)
    _datasets(w, page, fr)
    page.goto("/public/bodies")
    page.get_by_role("heading", name="Governance bodies: decisions and minutes").wait_for()
    w.check()
    assert "The Board approves the use for deployment" in page.locator("main").inner_text()
    assert len(set(w.pages)) >= 20, w.pages
