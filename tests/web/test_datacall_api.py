"""The data call's JSON API for a component lead (issue #14: what the pages do, without the pages), on SQLite and
PostgreSQL: the failing checks grouped by kind in plain words, one answer for many use cases (all or nothing),
one explanation for a chosen set, bounded parameters, and who may do it; then the certification the page gives."""

from __future__ import annotations

import re

from raigov.datacall import service as datacall
from raigov.inventory import service as inventory
from tests.governance.test_datacall_worklist import EMAIL, WITHHELD, YEAR
from tests.web.test_datacall_worklist_pages import agency  # noqa: F401 (the same use cases as the page's test)

BASE = f"/api/v1/datacall/{YEAR}/components"


def test_the_lead_lists_fixes_and_explains_by_kind_then_certifies(client, token_for, agency, db, actor_of):  # noqa: F811
    ids = agency
    lead = token_for("cbp.lead")
    r = client.get(f"{BASE}/cbp/checks", headers=lead)
    assert r.status_code == 200, r.text
    body = r.json()
    kinds = {k["kind"]: k for k in body["kinds"]}
    assert body["component"] == "CBP" and set(kinds) == {WITHHELD, EMAIL}
    withheld = kinds[WITHHELD]
    assert withheld["title"] == "Withheld from the public? — not answered" and withheld["count"] == 3
    assert withheld["answer"]["type"] == "choice" and "No" in withheld["answer"]["options"]
    assert sorted(c["use_case"] for c in withheld["checks"]) == sorted([ids["a"], ids["b"], ids["c"]])
    # what a person reads (titles, labels, messages) names no internal key
    words = " ".join([k["title"] + " " + k["field_label"] + " " + " ".join(c["message"] for c in k["checks"])
                      for k in body["kinds"]])
    assert not re.search(r"required:|is_withheld|contact_email|DHS-\d+:", words), words

    # a value OMB does not allow: refused naming the field, nothing written
    r = client.post(f"{BASE}/CBP/checks/fix", headers=lead, json={"kind": WITHHELD, "use_cases": [ids["a"], ids["b"]],
                                                                    "value": "Perhaps"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "value", r.text
    # a use case that does not fail this kind: refused, nothing written (all or nothing)
    r = client.post(f"{BASE}/CBP/checks/fix", headers=lead, json={"kind": WITHHELD, "use_cases": [ids["a"], ids["ice"]],
                                                                    "value": "No"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "use_cases", r.text
    caio = actor_of("caio")
    with db.transaction() as s:
        assert inventory.get_use_case(s, caio, ids["a"]).revision_count == 1

    r = client.post(f"{BASE}/CBP/checks/fix", headers=lead, json={"kind": WITHHELD, "use_cases": [ids["a"], ids["b"]],
                                                                    "value": "No"})
    assert r.status_code == 200 and r.json()["changed"] == [ids["a"], ids["b"]], r.text
    with db.transaction() as s:
        assert inventory.get_use_case(s, caio, ids["a"]).revision_count == 2
        assert inventory.get_use_case(s, caio, ids["c"]).revision_count == 1

    r = client.post(f"{BASE}/CBP/checks/explain", headers=lead,
                    json={"kind": WITHHELD, "use_cases": [ids["c"]], "explanation": "Being decided by the CISO."})
    assert r.status_code == 200 and r.json()["explained"] == 1
    r = client.post(f"{BASE}/CBP/checks/explain", headers=lead,
                    json={"kind": EMAIL, "use_cases": [ids["c"]], "explanation": "The mailbox is being set up."})
    assert r.status_code == 200
    after = {k["kind"]: k for k in client.get(f"{BASE}/CBP/checks", headers=lead).json()["kinds"]}
    assert after[WITHHELD]["count"] == 1 and after[WITHHELD]["explained"] == 1 and after[WITHHELD]["open"] == 0
    assert after[EMAIL]["explained"] == 1

    # every check is fixed or explained: the lead certifies (the explanations saved through the API are read)
    with db.transaction() as s:
        cert = datacall.certify_component(s, actor_of("cbp.lead"), YEAR, "CBP", "Complete and accurate.")
        assert len(cert.explanations) == 2


def test_who_may_and_the_bounds(client, token_for, agency, make_user):  # noqa: F811
    ids = agency
    make_user("viewer", "auditor", password=False)
    # another component's lead, and an auditor, may not change CBP's checks
    for who in ("ice.lead", "viewer"):
        r = client.post(f"{BASE}/CBP/checks/explain", headers=token_for(who),
                        json={"kind": WITHHELD, "use_cases": [ids["a"]], "explanation": "x"})
        assert r.status_code == 403, (who, r.text)
    lead = token_for("cbp.lead")
    assert client.get(f"{BASE}/CBP/checks").status_code == 401
    # bounded: the year, the component's code, the list of use cases, unknown fields
    assert client.get("/api/v1/datacall/99999/components/CBP/checks", headers=lead).status_code == 422
    assert client.get(f"{BASE}/{'C' * 41}/checks", headers=lead).status_code == 422
    r = client.post(f"{BASE}/CBP/checks/explain", headers=lead, json={"kind": WITHHELD, "use_cases": [],
                                                                        "explanation": "x"})
    assert r.status_code == 422
    r = client.post(f"{BASE}/CBP/checks/explain", headers=lead, json={"kind": WITHHELD, "use_cases": [ids["a"]],
                                                                        "explanation": "x", "extra": 1})
    assert r.status_code == 422
    r = client.post(f"{BASE}/CBP/checks/fix", headers=lead, json={"kind": WITHHELD, "use_cases": [ids["a"]]})
    assert r.status_code == 422  # no value given
    # a kind no use case fails any more: a conflict, as on the page
    r = client.post(f"{BASE}/CBP/checks/explain", headers=lead, json={"kind": "required:id|id", "use_cases": [ids["a"]],
                                                                        "explanation": "x"})
    assert r.status_code == 409, r.text


def test_the_openapi_document_lists_the_data_call_routes(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    for p in ("/api/v1/datacall/{year}/components/{component}/checks",
              "/api/v1/datacall/{year}/components/{component}/checks/fix",
              "/api/v1/datacall/{year}/components/{component}/checks/explain"):
        assert p in paths, p
    year = next(p for p in paths["/api/v1/datacall/{year}/components/{component}/checks"]["get"]["parameters"]
                if p["name"] == "year")
    assert year["schema"]["maximum"] == 9999
