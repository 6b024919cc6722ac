"""Issue #12 item 8, on both databases: two people edit the same use case; the second save, started from
an older revision, is refused with 409 (page and API) instead of silently undoing the first; the 409 page
shows what changed meanwhile and keeps what the person typed, on top of the new revision."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from raigov.audit.models import AuditEvent
from raigov.identity import service as identity
from raigov.inventory import service as inventory
from raigov.inventory.models import UseCase
from tests.conftest import PASSWORD
from tests.web.conftest import csrf_from

PROBLEM = "application/problem+json"
START = {"use_case_name": "Cargo X-ray triage", "development_stage": "Pilot",
         "problem_solved": "Flags X-ray images for a second look.", "benefits": "Faster inspections."}


def _use_case(db, settings, username="cbp.owner") -> str:
    with db.transaction() as s:
        actor = identity.actor_for(s, identity.get_user(s, username))
        return inventory.create_use_case(s, actor, component="CBP", values=START, reason="new",
                                         settings=settings).business_id


def _signed_in(app, username) -> TestClient:
    c = TestClient(app, base_url="http://testserver")
    page = c.get("/sign-in")
    r = c.post("/sign-in", data={"username": username, "password": PASSWORD, "next": "/home",
                                 "csrf_token": csrf_from(page.text)}, follow_redirects=False)
    assert r.status_code == 303
    return c


def _open_form(c, db, bid) -> dict:
    """What the browser sends back from the edit form as it was opened: every answer, the CSRF token and
    the revision the form started from."""
    page = c.get(f"/inventory/{bid}/edit")
    assert page.status_code == 200
    base = re.search(r'name="base_revision" value="(\d+)"', page.text)
    assert base, "the edit form carries the revision it started from"
    shown = {k: v for k, v in _current(db, bid)[1].items() if k not in inventory.NOT_EDITABLE}
    return {**shown, "csrf_token": csrf_from(page.text), "base_revision": base.group(1)}


def _current(db, bid) -> tuple[int, dict]:
    with db.transaction() as s:
        uc = s.scalar(select(UseCase).where(UseCase.business_id == bid))
        return uc.revision_count, dict(uc.revisions[-1].values)


def _revise_events(db, bid) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.object_id == bid, AuditEvent.action == "inventory.use_case.revise"))


def test_second_save_from_an_old_form_is_409_and_keeps_both(app, db, settings, make_user):
    make_user("cbp.owner", "submitter@CBP")
    make_user("cbp.lead", "component_ai_lead@CBP")
    bid = _use_case(db, settings)
    a, b = _signed_in(app, "cbp.owner"), _signed_in(app, "cbp.lead")
    form_a, form_b = _open_form(a, db, bid), _open_form(b, db, bid)  # both open the same form (revision 1)
    assert form_a["base_revision"] == form_b["base_revision"] == "1"

    r = a.post(f"/inventory/{bid}/edit", data={**form_a, "problem_solved": "Flags X-ray images of cargo for an officer.",
                                               "reason": "clearer purpose"}, follow_redirects=False)
    assert r.status_code == 303
    typed = "Faster inspections; fewer containers opened."
    r = b.post(f"/inventory/{bid}/edit", data={**form_b, "benefits": typed, "reason": "benefits measured"},
               follow_redirects=False)
    assert r.status_code == 409
    # nothing written: the first change is kept, no third revision, no audit event for it
    number, values = _current(db, bid)
    assert number == 2 and values["problem_solved"] == "Flags X-ray images of cargo for an officer."
    assert values["benefits"] == "Faster inspections." and _revise_events(db, bid) == 1
    page = html.unescape(r.text)
    assert "changed while you were editing it" in page and "by user:cbp.lead" not in page
    assert "revision 2 by cbp.owner" in page and "user:cbp.owner" not in page and "clearer purpose" in page
    row = re.search(r'<tr data-field="problem_solved">(.*?)</tr>', page, re.DOTALL).group(1)
    assert "Flags X-ray images for a second look." in row and "Flags X-ray images of cargo for an officer." in row
    # the form again, on top of revision 2: what B typed kept, A's change in place, the reason kept
    assert [m for m in re.findall(r'<tr data-field="(\w+)">', page)] == ["problem_solved"]
    assert 'name="base_revision" value="2"' in page
    assert f">{typed}</textarea>" in page
    assert ">Flags X-ray images of cargo for an officer.</textarea>" in page
    assert 'value="benefits measured"' in page

    # B saves again from the 409 page: both changes are in revision 3
    resend = {**form_b, "problem_solved": "Flags X-ray images of cargo for an officer.", "benefits": typed,
              "reason": "benefits measured", "base_revision": "2", "csrf_token": csrf_from(r.text)}
    r = b.post(f"/inventory/{bid}/edit", data=resend, follow_redirects=False)
    assert r.status_code == 303
    number, values = _current(db, bid)
    assert number == 3 and values["benefits"] == typed
    assert values["problem_solved"] == "Flags X-ray images of cargo for an officer."


def test_when_both_changed_one_answer_the_409_page_shows_theirs_and_keeps_yours(app, db, settings, make_user):
    make_user("cbp.owner", "submitter@CBP")
    make_user("cbp.lead", "component_ai_lead@CBP")
    bid = _use_case(db, settings)
    a, b = _signed_in(app, "cbp.owner"), _signed_in(app, "cbp.lead")
    form_a, form_b = _open_form(a, db, bid), _open_form(b, db, bid)
    assert a.post(f"/inventory/{bid}/edit", data={**form_a, "benefits": "Theirs.", "reason": "x"},
                  follow_redirects=False).status_code == 303
    r = b.post(f"/inventory/{bid}/edit", data={**form_b, "benefits": "Mine.", "reason": "y"}, follow_redirects=False)
    assert r.status_code == 409
    row = re.search(r'<tr data-field="benefits">(.*?)</tr>', r.text, re.DOTALL).group(1)
    assert "Faster inspections." in row and "Theirs." in row and "kept: Mine." in row
    assert ">Mine.</textarea>" in r.text
    assert _current(db, bid)[1]["benefits"] == "Theirs."


def test_api_etag_and_if_match(client, db, settings, make_user, token_for):
    make_user("cbp.owner", "submitter@CBP")
    make_user("cbp.lead", "component_ai_lead@CBP")
    make_user("privacy", "privacy_reviewer")
    bid = _use_case(db, settings)
    owner, lead = token_for("cbp.owner"), token_for("cbp.lead")
    g = client.get(f"/api/v1/use-cases/{bid}", headers=owner)
    assert g.status_code == 200 and g.headers["etag"] == '"r1"'

    r = client.patch(f"/api/v1/use-cases/{bid}", headers={**owner, "If-Match": g.headers["etag"]},
                     json={"values": {"benefits": "Measured."}, "reason": "measured"})
    assert r.status_code == 200 and r.headers["etag"] == '"r2"' and r.json()["values"]["benefits"] == "Measured."
    # the lead still holds revision 1's ETag: 409, nothing written
    r = client.patch(f"/api/v1/use-cases/{bid}", headers={**lead, "If-Match": '"r1"'},
                     json={"values": {"problem_solved": "Other."}, "reason": "stale"})
    assert r.status_code == 409 and r.headers["content-type"] == PROBLEM
    assert r.json()["errors"][0]["field"] == "base_revision" and "revision 1" in r.json()["detail"]
    r = client.patch(f"/api/v1/use-cases/{bid}", headers=lead,
                     json={"values": {"problem_solved": "Other."}, "reason": "stale", "base_revision": 1})
    assert r.status_code == 409
    assert _current(db, bid) == (2, {**_current(db, bid)[1], "problem_solved": START["problem_solved"]})
    # without a revision (older clients) the edit applies to the current answers, as before
    r = client.patch(f"/api/v1/use-cases/{bid}", headers=lead, json={"values": {"problem_solved": "Newer."},
                                                                      "reason": "no etag"})
    assert r.status_code == 200 and r.headers["etag"] == '"r3"'
    assert r.json()["values"]["benefits"] == "Measured."
    # bad input names the field; checked after the permission
    r = client.patch(f"/api/v1/use-cases/{bid}", headers=lead, json={"values": {"id": "DHS-1"}, "reason": "x"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "values.id"
    r = client.patch(f"/api/v1/use-cases/{bid}", headers=lead, json={"values": {}, "reason": "x", "colour": 1})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "colour"
    r = client.patch(f"/api/v1/use-cases/{bid}", headers={**lead, "If-Match": "yesterday"},
                     json={"values": {}, "reason": "x"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "If-Match"
    # a reviewer reads the use case but may not edit it: 403 whatever the body, never a 422 about it
    for body in ({"values": {"benefits": "x"}, "reason": "x"}, {"nonsense": True}, None):
        r = client.patch(f"/api/v1/use-cases/{bid}", headers=token_for("privacy"), json=body)
        assert r.status_code == 403 and r.headers["content-type"] == PROBLEM
    assert _current(db, bid)[0] == 3
