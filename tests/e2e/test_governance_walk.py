"""The governance walk in Chromium, axe-clean on every page: a submitter registers a face-recognition use
case, the screen presumes it high-impact, the lanes appear, a reviewer on the development team is refused
as independent reviewer, the others approve, the practices are evidenced, the risk is accepted, and the
gate turns from not authorized to authorized; then a waiver expires and the gate turns back."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from raigov.clock import agency_today
from raigov.governance.models import Waiver
from raigov.identity import service as identity
from raigov.inventory import service as inventory
from tests.e2e.test_foundation_pages import assert_accessible, sign_in

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _as(page, who):
    page.context.clear_cookies()
    sign_in(page, who)


def _gate_api(live, token, bid):
    import httpx

    r = httpx.get(f"{live.url}/api/v1/use-cases/{bid}/authorization", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    return r.json()


def _see(page, text):
    """Wait for the page (after a form post and its redirect) to show `text`."""
    page.get_by_text(text).first.wait_for(timeout=15000)


def _open(page, key):
    """Open a section of the governance page (closed until asked for)."""
    details = page.locator(f"#sec-{key}")
    page.wait_for_load_state()
    for _ in range(3):  # Chromium opens a closed <details> itself when the URL's fragment points inside it
        if details.get_attribute("open") is not None:
            return
        details.locator("> summary").click()
        page.wait_for_timeout(50)
    assert details.get_attribute("open") is not None, f"section {key} stays closed"


def _act(scope, label):
    """Open one action's form (one at a time: the others close)."""
    scope.locator("details.raigov-action > summary", has_text=label).first.click()


def _decide(page, lane_title, decision="approved", reason="approved by the lane"):
    _open(page, "reviews")
    section = page.locator("section", has=page.get_by_role("heading", name=lane_title))
    _act(section, "Decide this review")
    section.get_by_label("Decision").select_option(decision)
    section.get_by_label("Written reason").fill(reason)
    section.get_by_role("button", name="Record decision").click()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_governance_walk(page, live, db, settings, make_user, backend, tmp_path):
    for name, role in (("cbp.owner", "submitter@CBP"), ("cbp.dev", "rug_member"), ("cbp.lead", "component_ai_lead@CBP"),
                       ("pri.rev", "privacy_reviewer"), ("crcl.rev", "crcl_reviewer"), ("legal.rev", "legal_reviewer"),
                       ("ocio.rev", "ocio_reviewer"), ("rug.rev", "rug_member"), ("the.caio", "caio")):
        make_user(name, role)
    make_user("cbp.gate", "service@CBP", kind="service")
    with db.transaction() as s:
        from raigov.identity.permissions import Actor

        token = identity.create_token(s, Actor.system("test"), "cbp.gate", "gate", settings)[0]

    # 1. the submitter registers a face-recognition use case and submits it
    _as(page, "cbp.owner")
    page.goto("/inventory/new/use-case")
    page.locator("[name=use_case_name]").fill("Traveler face matching at the gate")
    page.locator("[name=component]").select_option("CBP")
    page.locator("[name=development_stage]").select_option(index=1)
    page.locator("[name=problem_solved]").fill("Facial recognition compares a traveler's live photo with the passport "
                                               "photo to verify identity before boarding.")
    page.locator("form").get_by_role("button", name="Save").first.click()
    bid = page.url.split("/inventory/")[1].split("?")[0]
    with db.transaction() as s:  # a member of the development team who also sits on the RUG
        inventory.assign_person(s, identity.actor_for(s, identity.get_user(s, "cbp.lead")), bid, "cbp.dev", "developer")
    page.goto(f"/inventory/{bid}/governance")
    assert_accessible(page, "governance page of a draft")
    page.get_by_role("button", name="Submit for review").click()
    _see(page, "Submitted: screened and sent to its reviews")
    # 2. presumed high-impact (no official yet): the lanes appear, FR adds OCIO
    _open(page, "reviews")
    headings = page.locator("section h3").all_inner_texts()
    for lane in ("Component AI lead", "Privacy Office", "Office for Civil Rights and Civil Liberties",
                 "Office of the General Counsel", "Independent review", "Office of the Chief Information Officer"):
        assert any(h.startswith(lane) for h in headings), (lane, headings)
    assert page.get_by_role("heading", name="Not authorized").is_visible()
    assert_accessible(page, "governance page with lanes")
    assert _gate_api(live, token, bid)["authorized"] is False

    # 3. the CAIO records the determination
    _as(page, "the.caio")
    page.goto(f"/inventory/{bid}")
    page.get_by_label("Decision").select_option("high-impact")
    page.get_by_label("Written reason").fill("Identity verification at the border: M-25-21 §6(j).")
    page.get_by_role("button", name="Record").click()
    page.wait_for_url("**done=determined**")
    assert_accessible(page, "use case page with the gate")
    assert page.get_by_role("heading", name="Not authorized").is_visible()

    # 4. a reviewer on the development team is refused as independent reviewer
    _as(page, "cbp.dev")
    page.goto(f"/inventory/{bid}/governance")
    _open(page, "reviews")
    indep = page.locator("section", has=page.get_by_role("heading", name="Independent review"))
    assert "on the development team" in indep.inner_text() and indep.get_by_label("Decision").count() == 0
    with db.transaction() as s:  # and the service refuses it even without the page
        from raigov.errors import PermissionDenied
        from raigov.governance import service as gov

        rid = next(r.id for r in gov.reviews_of(s, identity.actor_for(s, identity.get_user(s, "the.caio")), bid)
                   if r.lane == "independent")
        with pytest.raises(PermissionDenied, match="development team"):
            gov.decide(s, identity.actor_for(s, identity.get_user(s, "cbp.dev")), rid, "approved", "mine")
    assert_accessible(page, "governance page, refused reviewer")

    # 5. the others approve
    for who, lane in (("cbp.lead", "Component AI lead"), ("pri.rev", "Privacy Office"),
                      ("crcl.rev", "Office for Civil Rights and Civil Liberties"), ("legal.rev", "Office of the General Counsel"),
                      ("ocio.rev", "Office of the Chief Information Officer (OCIO/CISO)"),
                      ("rug.rev", "Independent review (Responsible Use Group)")):
        _as(page, who)
        page.goto("/reviews")
        assert bid in page.content()
        if who == "pri.rev":
            assert_accessible(page, "review queue")
        page.get_by_role("link", name=bid).first.click()
        _decide(page, lane, reason=f"{lane}: no objection")
        _see(page, "Review decision recorded")
    assert "review_open" not in {r["code"] for r in _gate_api(live, token, bid)["reasons"]}

    # 6. the owner evidences the practices and writes the impact assessment
    _as(page, "cbp.owner")
    page.goto(f"/inventory/{bid}/governance")
    report = tmp_path / "bias-test.pdf"
    report.write_bytes(PDF)
    _open(page, "evidence")
    _act(page, "Add evidence")
    page.get_by_label("Title").fill("S&T bias test, Maryland Test Facility")
    page.get_by_label("Kind").select_option("bias_test")
    page.get_by_label("For practice").select_option("D026-11.Testing")
    page.locator("#ev-file").set_input_files(str(report))
    page.get_by_label("Date it speaks for").fill((agency_today() - dt.timedelta(days=20)).isoformat())
    page.get_by_role("button", name="Attach").click()
    _see(page, "Evidence attached")
    ev_id = page.get_by_role("table", name="Evidence attached to this use case").locator("tbody th").first.inner_text()
    items = [i for i in page.locator("input[name=item]").evaluate_all("els => els.map(e => e.value)")]
    for item in items:
        if item in ("M-25-21.4(b)(ii)",):
            continue
        if item != "D026-11.Testing":
            _open(page, "evidence")
            _act(page, "Add evidence")
            page.get_by_label("For practice").select_option(item)
            page.get_by_label("or the number of evidence already on file").fill(ev_id)
            page.get_by_label("Title").fill("reuse")
            page.get_by_role("button", name="Attach").click()
        _open(page, "practices")
        row = page.locator("tr", has=page.locator(f"input[name=item][value='{item}']"))
        _act(row, "Update")
        row.locator("select[name=status]").select_option("done")
        row.get_by_role("button", name="Save").click()
        _see(page, "Practice updated.")
    _open(page, "assessment")
    _act(page, "Edit the impact assessment")
    for key in ("A_purpose_benefit", "B_data_model_quality", "C_impacts", "D_reassessment", "E_costs"):
        page.locator(f"[name={key}]").fill(f"Section {key}: documented.")
    page.get_by_role("button", name="Save a new version").click()
    _see(page, "Impact assessment saved as a new version.")
    assert_accessible(page, "governance page with practices done")

    # 7. the CAIO signs the risk acceptance (password again), then the assessment practice is done
    _as(page, "the.caio")
    page.goto(f"/inventory/{bid}/governance")
    _open(page, "risk")
    _act(page, "Accept the residual risk")
    page.get_by_label("Your password (to sign)").fill("wrong password")
    page.get_by_role("button", name="Sign the risk acceptance").click()
    _see(page, "the password did not match")
    from tests.conftest import PASSWORD

    # after the error the form is open again, in its section
    assert page.locator("#sec-risk").get_attribute("open") is not None
    assert page.locator("#accept").get_attribute("open") is not None
    page.get_by_label("Your password (to sign)").fill(PASSWORD)
    page.get_by_role("button", name="Sign the risk acceptance").click()
    _see(page, "Risk acceptance signed")
    _as(page, "cbp.owner")
    page.goto(f"/inventory/{bid}/governance")
    _open(page, "practices")
    row = page.locator("tr", has=page.locator("input[name=item][value='M-25-21.4(b)(ii)']"))
    _act(row, "Update")
    row.locator("select[name=status]").select_option("done")
    row.get_by_role("button", name="Save").click()
    assert page.get_by_role("heading", name="Authorized", exact=True).is_visible(), page.locator("#gate").inner_text()
    assert _gate_api(live, token, bid) | {"as_of": None} == {"authorized": True, "reasons": [], "as_of": None}
    assert_accessible(page, "authorized use case")

    # 8. a waiver: the practice goes back in progress, the CAIO waives it; when the waiver expires the gate turns
    _open(page, "practices")
    row = page.locator("tr", has=page.locator("input[name=item][value='M-25-21.4(b)(vii)']"))
    _act(row, "Update")
    row.locator("select[name=status]").select_option("in_progress")
    row.get_by_role("button", name="Save").click()
    _as(page, "the.caio")
    page.goto(f"/inventory/{bid}/governance")
    _open(page, "waivers")
    _act(page, "Grant a waiver")
    page.get_by_label("Practice", exact=True).select_option("M-25-21.4(b)(vii)")
    page.get_by_label("Written determination").fill("Feedback kiosks cannot be installed at this gate.")
    page.get_by_label("Risk assessment").fill("Residual risk low: feedback collected by mail.")
    page.get_by_label("Public summary").fill("Feedback option waived at one gate.")
    page.get_by_label("Expires").last.fill((agency_today() + dt.timedelta(days=10)).isoformat())
    page.get_by_role("button", name="Grant waiver").click()
    _see(page, "Waiver granted")
    assert page.get_by_role("heading", name="Authorized", exact=True).is_visible()
    assert_accessible(page, "use case with a waiver")
    with db.transaction() as s:  # time passes: the waiver's expiry date is behind us
        s.execute(update(Waiver).values(expires_on=agency_today() - dt.timedelta(days=1)))
    page.goto(f"/inventory/{bid}")
    assert page.get_by_role("heading", name="Not authorized").is_visible()
    assert "waiver_expired" in page.locator("#gate li").evaluate_all("els => els.map(e => e.dataset.code)")
    ans = _gate_api(live, token, bid)
    assert ans["authorized"] is False and [r["code"] for r in ans["reasons"]] == ["waiver_expired"]
    assert_accessible(page, "use case whose waiver expired")
