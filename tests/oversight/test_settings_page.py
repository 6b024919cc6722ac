"""The use case's oversight page carries review's forms (issue #15, until now API only): the authorized scale (the
component's AI lead, Privacy, CRCL, the CAIO's office), the protected characteristics the model takes as inputs
(the owner, the AI lead, the CAIO's office) and the CRCL approval of their justification; errors at the field,
nothing written on an error."""

from __future__ import annotations

from raigov.oversight import service as oversight
from tests.web.conftest import csrf_from


def _settings(db, people, bid) -> dict:
    with db.transaction() as s:
        return oversight.get_settings(s, people["lead"], bid)


def test_scale_characteristics_and_justification_forms(db, client, people, use_cases, sign_in, make_user):
    low = use_cases["low"]
    url = f"/oversight/use-cases/{low}"
    make_user("lead2", "component_ai_lead@CBP")
    make_user("crcl2", "crcl_reviewer")
    sign_in("lead2")
    page = client.get(url)
    assert page.status_code == 200 and "Set the scale" in page.text and "Declare" in page.text
    assert "CRCL: approve" not in page.text  # the lead does not approve
    token = csrf_from(page.text)
    r = client.post(f"{url}/settings/scale", data={"authorized_scale": "many", "csrf_token": token})
    assert r.status_code == 422 and 'id="authorized_scale-error"' in r.text and "whole number" in r.text
    assert _settings(db, people, low)["authorized_scale"] is None
    r = client.post(f"{url}/settings/scale", data={"authorized_scale": "0", "csrf_token": token})
    assert r.status_code == 422 and 'id="authorized_scale-error"' in r.text
    r = client.post(f"{url}/settings/scale", data={"authorized_scale": "1,500", "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303 and _settings(db, people, low)["authorized_scale"] == 1500
    assert "1,500 distinct subjects per day" in client.get(r.headers["location"]).text
    r = client.post(f"{url}/settings/protected-inputs", data={"characteristics": ["age", "mood"], "csrf_token": token})
    assert r.status_code == 422 and 'id="characteristics-error"' in r.text and "unknown characteristic" in r.text
    assert _settings(db, people, low)["protected_inputs"] == []
    r = client.post(f"{url}/settings/protected-inputs", data={"characteristics": ["race", "age"], "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303 and _settings(db, people, low)["unjustified"] == ["race", "age"]
    r = client.post(f"{url}/settings/justification", data={"justification": "x" * 40, "csrf_token": token})
    assert r.status_code == 403
    client.post("/sign-out", data={"csrf_token": token})
    sign_in("crcl2")
    page = client.get(url)
    assert "CRCL: approve" in page.text and "Declare" not in page.text and "not approved" in page.text
    token = csrf_from(page.text)
    r = client.post(f"{url}/settings/justification", data={"justification": "too short", "csrf_token": token})
    assert r.status_code == 422 and 'id="justification-error"' in r.text
    assert _settings(db, people, low)["justification"] is None
    r = client.post(f"{url}/settings/justification", data={
        "justification": "age and race are needed to measure disparities, reviewed by CRCL", "csrf_token": token},
        follow_redirects=False)
    assert r.status_code == 303
    st = _settings(db, people, low)
    assert st["justified_inputs"] == ["race", "age"] and st["unjustified"] == []
    r = client.post(f"{url}/settings/other", data={"csrf_token": token})
    assert r.status_code == 422
