"""The use case form and page through the app: errors at their fields with the typed answers kept (422, no
redirect), banners only from known codes, the list in natural id order with a numbered pager, and the API's
problem+json naming the field."""

import re

from sqlalchemy import select

from raigov.identity import service as identity
from raigov.inventory import service as inventory
from raigov.inventory.models import UseCase
from tests.web.conftest import csrf_from


def _group(html: str, name: str) -> str:
    """The HTML of a question's form group."""
    start = f'<div class="usa-form-group[^"]*" data-question="{re.escape(name)}">'
    m = re.search(start + r'.*?(?=<div class="raigov-question|</fieldset>\n</div>|$)', html, re.S)
    assert m, f"no form group for {name}"
    return m.group(0)


def test_create_with_errors_shows_them_at_their_fields_and_keeps_the_answers(client, make_user, sign_in):
    make_user("cbp.owner", "submitter@CBP")
    sign_in("cbp.owner")
    page = client.get("/inventory/new/use-case")
    assert page.status_code == 200
    assert page.text.count('name="component"') == 1 and 'name="agency_bureau"' not in page.text
    assert "<textarea" not in _group(page.text, "use_case_name")  # a one-line answer gets a one-line input
    assert "(required)" in _group(page.text, "use_case_name") and "(required)" in _group(page.text, "development_stage")
    assert 'type="radio"' in _group(page.text, "has_pii") and 'type="date"' in _group(page.text, "operational_date")
    r = client.post("/inventory/new/use-case", follow_redirects=False, data={
        "csrf_token": csrf_from(page.text), "component": "CBP", "use_case_name": "Cargo X-ray triage",
        "development_stage": "Deployed", "problem_solved": "Finds anomalies <b>fast</b>", "operational_date": "2025-13-45",
        "has_pii": "Yes", "demographic_features": ["b) Sex"]})
    assert r.status_code == 422 and "location" not in r.headers
    date_group = _group(r.text, "operational_date")
    assert "usa-form-group--error" in date_group and 'class="usa-error-message" id="f-operational_date-error"' in date_group
    assert "enter a real date as YYYY-MM-DD" in date_group and 'value="2025-13-45"' in date_group
    assert 'aria-describedby="f-operational_date-note f-operational_date-error"' in date_group
    assert 'value="Cargo X-ray triage"' in _group(r.text, "use_case_name")
    assert "usa-form-group--error" not in _group(r.text, "use_case_name")
    assert 'value="Deployed" selected' in _group(r.text, "development_stage")
    assert "Finds anomalies &lt;b&gt;fast&lt;/b&gt;</textarea>" in _group(r.text, "problem_solved")
    assert 'value="Yes" checked' in _group(r.text, "has_pii")
    assert 'value="b) Sex" checked' in _group(r.text, "demographic_features")
    assert '<option value="CBP" selected>' in r.text
    assert "operational_date:" not in r.text  # the summary speaks with labels
    fixed = client.post("/inventory/new/use-case", follow_redirects=False, data={
        "csrf_token": csrf_from(r.text), "component": "CBP", "use_case_name": "Cargo X-ray triage",
        "development_stage": "Deployed", "operational_date": "2025-03-31"})
    assert fixed.status_code == 303 and fixed.headers["location"].endswith("?done=created")
    shown = client.get(fixed.headers["location"]).text
    assert 'data-code="created"' in shown and "Registered as a draft." in shown


def test_edit_errors_and_banners_from_known_codes_only(client, db, settings, make_user, sign_in):
    make_user("cbp.owner", "submitter@CBP")
    with db.transaction() as s:
        owner = identity.actor_for(s, identity.get_user(s, "cbp.owner"))
        bid = inventory.create_use_case(s, owner, component="CBP", reason="new", settings=settings, values={
            "use_case_name": "Port camera analytics", "development_stage": "Pilot"}).business_id
    sign_in("cbp.owner")
    form = client.get(f"/inventory/{bid}/edit").text
    r = client.post(f"/inventory/{bid}/edit", follow_redirects=False, data={
        "csrf_token": csrf_from(form), "base_revision": "1", "use_case_name": "", "development_stage": "Pilot",
        "benefits": "Shorter queues", "reason": ""})
    assert r.status_code == 422
    assert "“Use Case Name” is required" in _group(r.text, "use_case_name")
    assert "Shorter queues</textarea>" in _group(r.text, "benefits")
    assert 'id="f-reason-error"' in r.text
    ok = client.post(f"/inventory/{bid}/edit", follow_redirects=False, data={
        "csrf_token": csrf_from(form), "base_revision": "1", "use_case_name": "Port camera analytics",
        "development_stage": "Pilot", "benefits": "Shorter queues", "reason": "benefits"})
    assert ok.status_code == 303 and ok.headers["location"] == f"/inventory/{bid}?done=saved"
    page = client.get(f"/inventory/{bid}?done=saved").text
    assert "Saved as a new revision." in page
    # what changed, under its plain label, in the collapsed history
    history = page[page.index('id="history"'):]
    assert "<details" in page[page.index('id="history"') - 40:page.index('id="history"')] and "open" not in history[:30]
    assert "What are the expected benefits" in history and "Shorter queues" in history
    # no text from the URL: an unknown code, or text, shows nothing
    for q in ("?ok=You+have+won", "?done=You+have+won", "?done=%3Cscript%3E", "?saved=1&ok=Hacked"):
        for url in (f"/inventory/{bid}{q}", f"/inventory/{bid}/governance{q}", f"/evaluation{q}"):
            html = client.get(url).text
            assert "You have won" not in html and "Hacked" not in html and 'id="flash"' not in html, url


def test_list_sorts_ids_naturally_and_numbers_its_pages(client, db, settings, make_user, sign_in):
    make_user("cbp.owner", "submitter@CBP", "component_ai_lead@CBP")
    with db.transaction() as s:
        owner = identity.actor_for(s, identity.get_user(s, "cbp.owner"))
        for n in range(60):
            inventory.create_use_case(s, owner, component="CBP", reason="new", settings=settings, values={
                "use_case_name": f"Use {n}", "development_stage": "Pilot"})
        ids = [b for (b,) in s.execute(select(UseCase.business_id))]
    numbers = sorted(int(b.rsplit("-", 1)[1]) for b in ids)
    assert any(n < 10 for n in numbers) and any(n >= 10 for n in numbers)
    sign_in("cbp.owner")
    with db.transaction() as s:
        rows, total, _ = inventory.list_use_cases(s, owner, inventory.UseCaseQuery(per_page=100))
    assert total == 60
    assert [int(u.business_id.rsplit("-", 1)[1]) for u in rows] == numbers  # in SQL, in number order
    with db.transaction() as s:
        rows, _, _ = inventory.list_use_cases(s, owner, inventory.UseCaseQuery(per_page=100, desc=True))
    assert [int(u.business_id.rsplit("-", 1)[1]) for u in rows] == numbers[::-1]
    page = client.get("/inventory?page=2").text
    shown = re.findall(r'<a href="/inventory/(DHS-\d+)">', page)
    assert [int(b.rsplit("-", 1)[1]) for b in shown] == numbers[25:50]
    nav = page[page.index('class="usa-pagination"'):]
    assert re.findall(r'aria-label="(?:last page, )?Page (\d+)"', nav) == ["1", "2", "3"]
    assert 'aria-current="page">2<' in nav and "Previous" in nav and "Next" in nav


def test_api_edit_names_the_field_in_problem_json(client, db, settings, make_user, token_for):
    make_user("cbp.owner", "submitter@CBP")
    with db.transaction() as s:
        owner = identity.actor_for(s, identity.get_user(s, "cbp.owner"))
        bid = inventory.create_use_case(s, owner, component="CBP", reason="new", settings=settings, values={
            "use_case_name": "Cargo triage", "development_stage": "Pilot"}).business_id
    r = client.patch(f"/api/v1/use-cases/{bid}", headers=token_for("cbp.owner"),
                     json={"values": {"operational_date": "yesterday"}, "reason": "date"})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    errors = r.json()["errors"]
    assert [e["field"] for e in errors] == ["operational_date"] and "YYYY-MM-DD" in errors[0]["message"]


def test_flash_codes_are_a_fixed_set():
    import pytest

    from raigov.web import flash

    assert flash.done_url("/inventory/DHS-14?a=2#history", "saved") == "/inventory/DHS-14?a=2&done=saved#history"
    assert flash.done_url("/x?done=created", "saved") == "/x?done=saved"
    with pytest.raises(KeyError):
        flash.done_url("/x", "Anything you like")
    flash.register({"test.flash_done": "Done."})
    flash.register({"test.flash_done": "Done."})  # the same text again: fine
    with pytest.raises(ValueError):
        flash.register({"test.flash_done": "Something else."})
    with pytest.raises(ValueError):
        flash.register({"Free text!": "x"})
