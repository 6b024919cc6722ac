"""Issue #14 ("Show errors at the field (USWDS error state), keep what was typed") on the governance page, both
databases: a refused governance form comes back at once (422, no redirect) with its section and form open, each of
the service's errors inside its field's form group (usa-form-group--error, usa-error-message with an id,
aria-describedby and aria-invalid on the control), what was typed kept, and a summary at the top linking to the
fields. Nothing is written."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from raigov.audit.models import AuditEvent
from raigov.clock import agency_today
from raigov.governance import service as gov
from raigov.inventory import service as inventory
from raigov.policy import service as policy
from tests.governance.test_governance_service import FR
from tests.web.conftest import csrf_from


@pytest.fixture
def world(db, settings, make_user, actor_of):
    """A high-impact CBP use case with its reviews and practices open."""
    make_user("owner", "submitter@CBP")
    make_user("lead", "component_ai_lead@CBP")
    make_user("caio", "caio")
    people = {u: actor_of(u) for u in ("owner", "lead", "caio")}
    with db.transaction() as s:
        bid = inventory.create_use_case(s, people["owner"], component="CBP", values=FR, reason="new",
                                        settings=settings).business_id
    with db.transaction() as s:
        inventory.submit_use_case(s, people["owner"], bid)
    with db.transaction() as s:
        policy.screen_use_case(s, people["owner"], bid)
        policy.decide(s, people["caio"], bid, "high-impact", "matches face recognition presumption")
        gov.sync(s, people["owner"], bid)
    with db.transaction() as s:
        rid = next(r.id for r in gov.reviews_of(s, people["caio"], bid) if r.lane == "component_ai_lead")
    return {"bid": bid, "review": rid}


def _group(html: str, control_id: str) -> str:
    """The form group of the control whose id is `control_id`: from its <div class="usa-form-group"> to the
    control's end."""
    at = html.index(f'id="{control_id}"')
    start = html.rindex('<div class="usa-form-group', 0, at)
    return html[start:html.index("</div>", at)]


def _assert_error_at(html: str, control_id: str, words: str):
    group = _group(html, control_id)
    assert "usa-form-group--error" in group, group
    assert f'<span class="usa-error-message" id="{control_id}-error">' in group and words in group, group
    control = re.search(rf'<(?:input|select|textarea)[^>]*id="{re.escape(control_id)}"[^>]*>', group).group(0)
    assert f'{control_id}-error"' in control and 'aria-invalid="true"' in control, control
    # the summary at the top links to the field
    summary = html[html.index('id="error-summary"'):html.index("</ul>", html.index('id="error-summary"'))]
    assert f'href="#{control_id}"' in summary, summary


def _events(db) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(AuditEvent))


def _post(client, url: str, page: str, data: dict, **kw):
    r = client.post(url, data={"csrf_token": csrf_from(page), **data}, follow_redirects=False, **kw)
    assert r.status_code == 422 and "location" not in r.headers, r.text[:500]
    return r.text


def test_a_review_decision_and_a_comment_keep_what_was_typed(client, db, world, sign_in):
    bid, rid = world["bid"], world["review"]
    assert sign_in("lead").status_code == 303
    page = client.get(f"/inventory/{bid}/governance").text
    before = _events(db)
    html = _post(client, f"/reviews/{rid}/decide", page, {
        "decision": "approved_with_conditions", "reason": "Fine <b>with</b> a condition", "conditions": "  "})
    _assert_error_at(html, f"decide-{rid}-conditions", "An approval with conditions needs at least one condition")
    assert "Fine &lt;b&gt;with&lt;/b&gt; a condition</textarea>" in _group(html, f"decide-{rid}-reason")
    assert "usa-form-group--error" not in _group(html, f"decide-{rid}-reason")
    assert '<option value="approved_with_conditions" selected>' in _group(html, f"decide-{rid}-decision")
    assert re.search(rf'<details[^>]*id="decide-{rid}" open>', html)  # the form open again, in its open section
    assert re.search(r'<details[^>]*id="sec-reviews" open>', html)
    # a blank comment
    html = _post(client, f"/reviews/{rid}/comment", page, {"body": "   "})
    _assert_error_at(html, f"comment-{rid}-body", "A comment needs text")
    assert _events(db) == before


def test_evidence_keeps_its_title_kind_and_link(client, db, world, sign_in):
    bid = world["bid"]
    assert sign_in("owner").status_code == 303
    page = client.get(f"/inventory/{bid}/governance").text
    before = _events(db)
    html = _post(client, f"/inventory/{bid}/evidence", page, {
        "title": "S&T bias test", "category": "bias_test", "url": "ftp://files.example/report.pdf",
        "dated_on": "2026-01-15"})
    _assert_error_at(html, "ev-url", "An http(s) address")
    assert 'value="ftp://files.example/report.pdf"' in _group(html, "ev-url")
    assert 'value="S&amp;T bias test"' in _group(html, "ev-title")
    assert '<option value="bias_test" selected>' in _group(html, "ev-category")
    assert 'value="2026-01-15"' in _group(html, "ev-dated_on")
    # a number that is not one: the field of the number, the words of the form
    html = _post(client, f"/inventory/{bid}/evidence", page, {"title": "again", "category": "bias_test",
                                                               "reuse": "12x"})
    _assert_error_at(html, "ev-reuse", "A whole number")
    assert 'value="12x"' in _group(html, "ev-reuse") and "The number of evidence already on file: a whole" in html
    assert _events(db) == before


def test_a_practice_update_and_the_impact_assessment(client, db, world, sign_in):
    bid = world["bid"]
    assert sign_in("owner").status_code == 303
    page = client.get(f"/inventory/{bid}/governance").text
    item = re.search(r'name="item" value="([^"]+)"', page).group(1)
    at = page.index(f'name="item" value="{item}"')
    version = re.search(r'name="version" value="(\d+)"', page[at:]).group(1)
    prefix = re.search(r'id="(pu-\d+)-status"', page[at:]).group(1)
    before = _events(db)
    html = _post(client, f"/inventory/{bid}/practices", page, {"item": item, "version": version,
                                                                "status": "not_applicable", "reason": ""})
    _assert_error_at(html, f"{prefix}-reason", "Say why the practice does not apply")
    assert '<option value="not_applicable" selected>' in _group(html, f"{prefix}-status")
    # every other practice's form keeps its own status, without error
    assert html.count("usa-form-group--error") == 1
    html = _post(client, f"/inventory/{bid}/assessment", page, {
        "A_purpose_benefit": "Faster, <fairer> entry", "C_impacts": "Misidentification risk"})
    for k in ("B_data_model_quality", "D_reassessment", "E_costs"):
        _assert_error_at(html, f"ia-{k}", "required")
    assert "Faster, &lt;fairer&gt; entry</textarea>" in _group(html, "ia-A_purpose_benefit")
    assert "Misidentification risk</textarea>" in _group(html, "ia-C_impacts")
    assert "usa-form-group--error" not in _group(html, "ia-A_purpose_benefit")
    assert _events(db) == before


def test_the_caio_forms_waiver_pilot_and_risk_acceptance(client, db, world, sign_in):
    bid = world["bid"]
    assert sign_in("caio").status_code == 303
    page = client.get(f"/inventory/{bid}/governance").text
    item = re.search(r'<select class="usa-select" id="w-practice" name="practice"><option value="([^"]+)"', page).group(1)
    before = _events(db)
    later = (agency_today() + dt.timedelta(days=30)).isoformat()
    html = _post(client, f"/inventory/{bid}/waivers", page, {
        "practice": item, "grounds": next(iter(gov.WAIVER_GROUNDS)), "determination": " ",
        "risk_assessment": "Residual risk low: feedback collected by mail.", "public_summary": "One gate.",
        "expires_on": later})
    _assert_error_at(html, "w-determination", "written determination")
    assert "Residual risk low: feedback collected by mail.</textarea>" in _group(html, "w-risk_assessment")
    assert f'value="{later}"' in _group(html, "w-expires_on")
    assert f'<option value="{item}" selected>' in _group(html, "w-practice")

    today = agency_today()
    html = _post(client, f"/inventory/{bid}/pilot", page, {
        "scale": "two lanes at one airport", "max_participants": "500", "starts_on": today.isoformat(),
        "ends_on": (today - dt.timedelta(days=1)).isoformat(), "opt_in_out": "Travelers may opt out at the kiosk",
        "practices_applied": "testing"})
    _assert_error_at(html, "pl-ends_on", "A pilot ends after it starts")
    assert 'value="two lanes at one airport"' in _group(html, "pl-scale") and 'value="500"' in _group(html, "pl-max_participants")
    assert "Travelers may opt out at the kiosk</textarea>" in _group(html, "pl-opt_in_out")
    assert _events(db) == before


def test_a_refusal_naming_no_field_is_said_at_its_form(client, db, world, sign_in):
    """A practice updated since the page was read: the conflict names no field of the form, so it is said inside
    the form, by its button, and in the summary; the status chosen is kept."""
    bid = world["bid"]
    assert sign_in("owner").status_code == 303
    page = client.get(f"/inventory/{bid}/governance").text
    item = re.search(r'name="item" value="([^"]+)"', page).group(1)
    at = page.index(f'name="item" value="{item}"')
    version = int(re.search(r'name="version" value="(\d+)"', page[at:]).group(1))
    prefix = re.search(r'id="(pu-\d+)-status"', page[at:]).group(1)
    r = client.post(f"/inventory/{bid}/practices", data={"csrf_token": csrf_from(page), "item": item,
                                                          "version": str(version + 5), "status": "in_progress"},
                    follow_redirects=False)
    assert r.status_code == 409 and "location" not in r.headers
    assert "usa-form-group--error" not in r.text and 'id="error-summary"' in r.text
    form = r.text[r.text.index(f'id="{prefix}-status"'):]
    form = form[:form.index("</form>")]
    assert "usa-alert--error" in form and '<option value="in_progress" selected>' in form


def test_the_signature_keeps_the_statement_never_the_password(client, db, world, sign_in):
    bid = world["bid"]
    with db.transaction() as s:  # the assessment the CAIO signs
        from raigov.identity import service as identity

        owner = identity.actor_for(s, identity.get_user(s, "owner"))
        gov.save_assessment(s, owner, bid, {k: f"Section {k}" for k in gov.ASSESSMENT_SECTIONS})
    assert sign_in("caio").status_code == 303
    page = client.get(f"/inventory/{bid}/governance").text
    if 'id="ra-password"' not in page:
        pytest.skip("no risk acceptance offered before the independent review")
    html = _post(client, f"/inventory/{bid}/accept-risk", page, {
        "statement": "I accept it, having read section C twice.", "password": "not my password",
        "package_sha256": re.search(r'name="package_sha256" value="([0-9a-f]*)"', page).group(1)})
    _assert_error_at(html, "ra-password", "The password did not match")
    assert "I accept it, having read section C twice.</textarea>" in _group(html, "ra-statement")
    assert "not my password" not in html


def test_people_are_shown_by_their_names(client, db, world, sign_in, make_user, actor_of):
    """Issue #14, plain language: the queue's "Assigned to", the governance page's people and the audit pages' actor
    show the person's name (make_user names "lead" "Lead"), the user name kept in a title or in small text."""
    bid, rid = world["bid"], world["review"]
    make_user("aud", "auditor")
    with db.transaction() as s:
        gov.assign(s, actor_of("caio"), rid, "lead")
    with db.transaction() as s:
        gov.comment(s, actor_of("lead"), rid, "Reading the test report first.")
    named = '<span class="raigov-person" title="lead">Lead</span>'
    assert sign_in("caio").status_code == 303
    queue = client.get("/reviews?all=1").text
    row = queue[queue.index(f"#review-{rid}"):]
    assert f'<td data-label="Assigned to">{named}</td>' in row[:row.index("</tr>")]
    page = client.get(f"/inventory/{bid}/governance").text
    assert f"assigned to {named}" in page and f"<strong>{named}</strong> (comment" in page
    assert sign_in("aud").status_code == 303
    trail = client.get("/audit?action=governance.review.comment").text
    assert 'Lead <span class="font-body-3xs text-base">(lead)</span>' in trail
    seq = re.search(r'href="/audit/(\d+)"', trail).group(1)
    event = client.get(f"/audit/{seq}").text
    assert '>Lead <span class="font-body-3xs text-base">(lead)</span></a>' in event


def test_the_run_pages_attach_form_keeps_the_practice(client, db, settings, make_user, sign_in, actor_of):
    from tests.web.test_no_message_from_url import _run

    make_user("tester", "te_engineer")
    run_id = _run(db, settings, actor_of("tester"))
    assert sign_in("tester").status_code == 303
    page = client.get(f"/evaluation/runs/{run_id}").text
    html = _post(client, f"/evaluation/runs/{run_id}/attach", page, {"business_id": " ", "practice": "D026-11.Testing"})
    _assert_error_at(html, "a-business_id", "Give the use case&#39;s id")
    assert 'value="D026-11.Testing"' in _group(html, "a-practice")
    assert "usa-form-group--error" not in _group(html, "a-practice")
