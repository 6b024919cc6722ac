"""The acquisition and dataset registry's page forms (issue #20): register a contract (its use cases; a
duplicate number, an unknown use case and a date out of order refused at their field with what was typed kept,
nothing written), add and remove a use case it serves; register a dataset with its data card, edit the card,
add a version by the file alone (its SHA-256 is the version's) and refuse a file that does not match the hash
stated, link and unlink a use case. The banners come from message codes, never from the URL."""

from __future__ import annotations

import hashlib
import html
import re

import pytest
from sqlalchemy import func, select

from raigov.acquisition.models import Contract
from raigov.audit.models import AuditEvent
from raigov.datasets.models import Dataset, DatasetUseCase, DatasetVersion
from tests.web.conftest import csrf_from


def _count(db, model) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(model))


def _error(text: str, field_id: str) -> str:
    m = re.search(rf'id="{field_id}-error" role="alert">([^<]*)<', text)
    assert m, f"no error at {field_id}"
    return html.unescape(m.group(1))


@pytest.mark.parametrize("backend", ["sqlite"])
def test_register_a_contract_and_the_use_cases_it_serves(db, people, use_cases, client, sign_in, make_user):
    low, fr = use_cases["low"], use_cases["fr"]
    make_user("page.lead", "component_ai_lead@CBP")
    sign_in("page.lead")
    index = client.get("/acquisition")
    assert 'href="/acquisition/new"' in index.text
    page = client.get("/acquisition/new")
    assert page.status_code == 200 and '<option value="CBP"' in page.text and '<option value="TSA"' not in page.text
    token = csrf_from(page.text)
    good = {"csrf_token": token, "kind": "contract", "number": "70b03c26c0000001", "title": "Entry face matching",
            "vendor": "Vistaface Inc.", "component": "CBP", "awarded_on": "2026-01-05", "starts_on": "2026-02-01",
            "ends_on": "2027-01-31", "option_dates": "2026-08-01, 2026-11-01", "use_cases": f"{low}\nDHS-9999"}
    events = _count(db, AuditEvent)
    r = client.post("/acquisition/new", data=good)
    assert r.status_code == 422 and _error(r.text, "f-use_cases") == "no use case 'DHS-9999'"
    assert "Entry face matching" in r.text and "DHS-9999" in r.text, "what was typed is kept"
    r = client.post("/acquisition/new", data={**good, "use_cases": low, "ends_on": "2025-12-31"})
    assert r.status_code == 422 and _error(r.text, "f-ends_on") == "the end date is before the start date"
    r = client.post("/acquisition/new", data={**good, "use_cases": low, "option_dates": "someday"})
    assert r.status_code == 422 and "f-option_dates-error" in r.text
    r = client.post("/acquisition/new", data={**good, "use_cases": low, "title": ""})
    assert r.status_code == 422 and _error(r.text, "f-title") == "required"
    assert _count(db, Contract) == 0 and _count(db, AuditEvent) == events, "nothing written"

    r = client.post("/acquisition/new", data={**good, "use_cases": low}, follow_redirects=True)
    assert r.status_code == 200 and r.url.path == "/acquisition/contracts/70B03C26C0000001"
    assert "Registered. Record each AI contract requirement below." in r.text and "Vistaface Inc." in r.text
    assert "2026-08-01, 2026-11-01" in r.text
    r = client.post("/acquisition/new", data={**good, "number": "70B03C26C0000001 ", "use_cases": ""})
    assert r.status_code == 422 and _error(r.text, "f-number") == "70B03C26C0000001 is already recorded"
    assert _count(db, Contract) == 1

    page = client.get("/acquisition/contracts/70B03C26C0000001")
    url = "/acquisition/contracts/70B03C26C0000001/use-cases"
    r = client.post(url, data={"csrf_token": csrf_from(page.text), "use_case": "DHS-9999"})
    assert r.status_code == 422 and _error(r.text, "lk-use_case") == "no use case 'DHS-9999'"
    assert 'value="DHS-9999"' in r.text
    r = client.post(url, data={"csrf_token": csrf_from(page.text), "use_case": low})
    assert r.status_code == 422 and "already serves" in _error(r.text, "lk-use_case")
    r = client.post(url, data={"csrf_token": csrf_from(page.text), "use_case": fr}, follow_redirects=True)
    assert "The use case is added." in r.text and f"Remove {fr}" in r.text
    r = client.post(url, data={"csrf_token": csrf_from(page.text), "use_case": fr, "unlink": "1"}, follow_redirects=True)
    assert "The use case is removed." in r.text and f"Remove {fr}" not in r.text
    assert client.get("/acquisition/contracts/70B03C26C0000001?done=<b>owned</b>").text.count("owned") == 0

    make_user("page.auditor", "auditor")
    sign_in("page.auditor")
    assert 'href="/acquisition/new"' not in client.get("/acquisition").text
    assert client.get("/acquisition/new").status_code == 403
    r = client.post("/acquisition/new", data={**good, "csrf_token": csrf_from(client.get("/acquisition").text)})
    assert r.status_code == 403 and _count(db, Contract) == 1


@pytest.mark.parametrize("backend", ["sqlite"])
def test_register_a_dataset_its_card_versions_and_use_cases(db, people, use_cases, client, sign_in, make_user):
    low = use_cases["low"]
    make_user("page.owner", "submitter@CBP")
    sign_in("page.owner")
    assert 'href="/datasets/new"' in client.get("/datasets").text
    page = client.get("/datasets/new")
    token = csrf_from(page.text)
    card = {"csrf_token": token, "name": "Entry photos", "component": "CBP", "owner": "OFO", "source": "",
            "provenance": "captured at the gate", "starts_on": "2025-01-01", "ends_on": "2025-12-31", "pii": "yes",
            "protected_characteristics": ["race", "age"], "pta": "PTA-1"}
    r = client.post("/datasets/new", data=card)
    assert r.status_code == 422 and _error(r.text, "f-source") == "required"
    assert 'value="Entry photos"' in r.text
    assert 'id="f-pc-race" type="checkbox" name="protected_characteristics" value="race" checked' in r.text
    r = client.post("/datasets/new", data={**card, "source": "cameras", "ends_on": "2024-12-31"})
    assert r.status_code == 422 and _error(r.text, "f-ends_on") == "the time span ends before it starts"
    assert _count(db, Dataset) == 0
    r = client.post("/datasets/new", data={**card, "source": "cameras"}, follow_redirects=True)
    assert r.status_code == 200 and "Registered. Add its versions" in r.text and "Race, Age" not in r.text
    assert "Age, Race" in r.text
    did = int(r.url.path.rsplit("/", 1)[1])
    r = client.post("/datasets/new", data={**card, "name": "entry  PHOTOS", "source": "cameras"})
    assert r.status_code == 422 and "already registered" in _error(r.text, "f-name") and _count(db, Dataset) == 1

    edit = client.get(f"/datasets/{did}/edit")
    assert edit.status_code == 200 and 'value="OFO"' in edit.text and 'name="name"' not in edit.text
    r = client.post(f"/datasets/{did}/edit", data={"csrf_token": token, "owner": "", "source": "cameras", "pii": "no"})
    assert r.status_code == 422 and _error(r.text, "f-owner") == "required"
    r = client.post(f"/datasets/{did}/edit", data={"csrf_token": token, "owner": "OFO Biometrics", "source": "cameras",
                                                   "pii": "no", "known_limits": "few travellers over 80"},
                    follow_redirects=True)
    assert "The data card is saved." in r.text and "few travellers over 80" in r.text

    content = b"id,image\n1,a.png\n"
    sha = hashlib.sha256(content).hexdigest()
    r = client.post(f"/datasets/{did}/versions", data={"csrf_token": token, "label": "v1", "sha256": "0" * 64},
                    files={"file": ("photos.csv", content, "text/csv")})
    assert r.status_code == 422 and sha in _error(r.text, "v-file") and 'value="v1"' in r.text
    r = client.post(f"/datasets/{did}/versions", data={"csrf_token": token, "label": "v1", "sha256": ""})
    assert r.status_code == 422 and _error(r.text, "v-sha256").startswith("state the file's SHA-256")
    assert _count(db, DatasetVersion) == 0
    r = client.post(f"/datasets/{did}/versions", data={"csrf_token": token, "label": "v1", "sha256": ""},
                    files={"file": ("photos.csv", content, "text/csv")}, follow_redirects=True)
    assert "Version registered." in r.text and sha in r.text and "checked" in r.text

    url = f"/datasets/{did}/use-cases"
    r = client.post(url, data={"csrf_token": token, "use_case": "DHS-9999", "purpose": "training"})
    assert r.status_code == 422 and _error(r.text, "l-use_case") == "no use case 'DHS-9999'"
    r = client.post(url, data={"csrf_token": token, "use_case": low, "purpose": "eating"})
    assert r.status_code == 422 and _error(r.text, "l-purpose").startswith("one of")
    assert _count(db, DatasetUseCase) == 0
    r = client.post(url, data={"csrf_token": token, "use_case": low, "purpose": "operation"}, follow_redirects=True)
    assert "The use case is linked." in r.text and f"Remove {low} (operation)" in r.text
    r = client.post(url, data={"csrf_token": token, "use_case": low, "purpose": "operation"})
    assert r.status_code == 422 and "already uses" in _error(r.text, "l-use_case")
    r = client.post(url, data={"csrf_token": token, "use_case": low, "purpose": "operation", "unlink": "1"},
                    follow_redirects=True)
    assert "The link is removed." in r.text and _count(db, DatasetUseCase) == 0

    make_user("page.privacy", "privacy_reviewer")
    sign_in("page.privacy")
    assert client.get(f"/datasets/{did}").status_code == 200
    assert "Edit the data card" not in client.get(f"/datasets/{did}").text
    assert client.get(f"/datasets/{did}/edit").status_code == 403
    assert client.get("/datasets/new").status_code == 403
