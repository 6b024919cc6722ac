"""The policy JSON API over real HTTP handling (the app in-process, both backends): the packs in the
registry, the diff of two pack versions over the database (the same result as the service the CLI and the
page use, nothing written), a use case's stored screening and determinations with the read rules of
GET /use-cases/{id}, and the official's determination with the service's rules."""


import pytest
import sqlalchemy as sa

from raigov.audit.models import AuditEvent
from raigov.clock import agency_today
from raigov.errors import problem_type
from raigov.inventory import service as inventory
from raigov.policy import service as policy
from raigov.policy.models import Determination, Screening
from raigov.policy.packs import current_registry

PROBLEM = "application/problem+json"
OLD, NEW = "omb-m-25-21@1.0.0", "omb-m-25-21@1.1.0"

FACE = {"use_case_name": "Face recognition of suspects", "development_stage": "Deployed",
        "problem_solved": "Law enforcement officers use facial recognition to identify suspects by one-to-many face "
                          "matching against a gallery of booking photos, including images from publicly accessible "
                          "spaces.",
        "system_outputs": "A ranked list of candidate identities for an officer to review."}
USE_CASES = {  # component, values, submitted
    "face": ("CBP", FACE, True),
    "letters": ("CBP", {"use_case_name": "Letter translation", "development_stage": "Deployed",
                        "problem_solved": "Machine translation of letters from the public into English."}, True),
    "mail": ("CBP", {"use_case_name": "Mail sorting", "development_stage": "Deployed",
                     "problem_solved": "Sorts incoming paper mail by office."}, True),
    "draft": ("CBP", {"use_case_name": "Cargo manifest triage", "development_stage": "Pre-deployment",
                      "problem_solved": "Ranks cargo manifests for inspection by officers."}, False),
    "ice": ("ICE", {"use_case_name": "Notice translation", "development_stage": "Deployed",
                    "problem_solved": "Machine translation of notices from the public into English."}, True),
    # presumed under omb-m-25-21 1.0.0 (§6(j) for naming investigators) and no longer under 1.1.0
    "reports": ("CBP", {"use_case_name": "Report drafting", "development_stage": "Deployed",
                        "problem_solved": "Drafts summaries of reports for investigators."}, True),
    # presumed under 1.1.0 only (§6(m): case processing of benefit requests)
    "cases": ("ICE", {"use_case_name": "Case processing", "development_stage": "Deployed",
                      "problem_solved": "Supports case processing of immigration benefit requests."}, True),
}


@pytest.fixture
def world(db, settings, make_user, actor_of, token_for):
    users = {"cbp.owner": ["submitter@CBP"], "ice.owner": ["submitter@ICE"], "caio": ["caio"],
             "delegate": ["caio_delegate"], "olga": ["auditor"], "staff": ["employee"]}
    for u, roles in users.items():
        make_user(u, *roles, password=False)
    make_user("gate", "service@CBP", kind="service")
    actors = {u: actor_of(u) for u in [*users, "gate"]}
    ids = {}
    with db.transaction() as s:
        for key, (component, values, submit) in USE_CASES.items():
            owner = actors["cbp.owner" if component == "CBP" else "ice.owner"]
            ids[key] = inventory.create_use_case(s, owner, component=component, values=values, reason="new",
                                                 settings=settings).business_id
            if submit:
                inventory.submit_use_case(s, owner, ids[key])
        policy.screen_use_case(s, actors["cbp.owner"], ids["face"])
        policy.decide(s, actors["caio"], ids["letters"], "high-impact", "Letters inform benefit decisions.")
        policy.decide(s, actors["caio"], ids["reports"], "high-impact", "The summaries steer investigations.")
    return actors, ids, {u: token_for(u) for u in [*users, "gate"]}


def counts(db) -> tuple[int, int, int]:
    with db.transaction() as s:
        return tuple(s.scalar(sa.select(sa.func.count()).select_from(t)) for t in (Screening, Determination, AuditEvent))


def assert_problem(r, status: int, code: str | None = None) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["status"] == status and body["instance"] == r.request.url.path
    if code:
        assert body["type"] == problem_type(code)
    return body


def test_every_route_needs_a_token_and_is_documented(client):
    for path in ("/api/v1/policy/packs", "/api/v1/policy/packs/omb-m-25-21", "/api/v1/policy/packs/omb-m-25-21/1.0.0",
                 f"/api/v1/policy/diff?old={OLD}&new={NEW}", "/api/v1/use-cases/DHS-0001/screening"):
        r = client.get(path)
        assert_problem(r, 401, "unauthenticated")
        assert r.headers["www-authenticate"].startswith("Bearer")
    assert_problem(client.post("/api/v1/use-cases/DHS-0001/determinations",
                               json={"decision": "high-impact", "reason": "x"}), 401)
    spec = client.get("/api/openapi.json").json()
    for path in ("/api/v1/policy/packs", "/api/v1/policy/packs/{pack_id}", "/api/v1/policy/packs/{pack_id}/{version}",
                 "/api/v1/policy/diff", "/api/v1/use-cases/{business_id}/screening",
                 "/api/v1/use-cases/{business_id}/determinations"):
        assert path in spec["paths"], path
        for op in spec["paths"][path].values():
            assert op["tags"] == ["policy"]
    ok = spec["paths"]["/api/v1/policy/diff"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok["$ref"].endswith("/PolicyDiffOut")
    schemas = spec["components"]["schemas"]
    assert {"PackSummary", "PackDetail", "UseCaseScreening", "DeterminationOut"} <= set(schemas)
    assert {"old", "new", "changes", "counts"} <= set(schemas["PolicyDiffOut"]["properties"])


def test_packs_list_and_detail(client, world):
    _, _, tok = world
    reg = current_registry()
    today = agency_today()
    r = client.get("/api/v1/policy/packs", headers=tok["staff"])  # any signed-in account, as the library page
    assert r.status_code == 200
    rows = r.json()
    assert [x["key"] for x in rows] == [p.key for p in reg.packs()]
    by_key = {x["key"]: x for x in rows}
    old = by_key[OLD]
    assert (old["id"], old["version"], old["status"], old["effective_from"], old["effective_until"]) == \
        ("omb-m-25-21", "1.0.0", "verified", "2025-04-03", None)
    assert old["citation"] == reg.get(OLD).source["citation"] and old["citation"].startswith("OMB M-25-21")
    assert old["item_count"] == len(reg.get(OLD).items) and old["in_force"] is True
    m2410 = by_key["omb-m-24-10@1.0.0"]
    assert (m2410["effective_until"], m2410["in_force"]) == ("2025-04-03", reg.get("omb-m-24-10@1.0.0").in_force(today))
    assert m2410["in_force"] is False

    newest = reg.get("omb-m-25-21")
    r = client.get("/api/v1/policy/packs/omb-m-25-21", headers=tok["gate"])  # a service token reads it too
    assert r.status_code == 200
    body = r.json()
    assert body["key"] == newest.key and body["versions"] == [p.version for p in reg.versions("omb-m-25-21")]
    assert body["sha256"] == newest.digest and len(body["items"]) == len(newest.items) == body["item_count"]

    r = client.get("/api/v1/policy/packs/omb-m-25-21/1.0.0", headers=tok["olga"])
    assert r.status_code == 200
    items = {i["id"]: i for i in r.json()["items"]}
    j, pack_j = items["M-25-21.6(j)"], reg.get(OLD).item("M-25-21.6(j)")
    assert (j["kind"], j["citation"], j["title"], j["impact"], j["text"]) == \
        ("presumption", "M-25-21 App. §6(j)", pack_j.title, list(pack_j.impact), pack_j.text)
    assert j["when"] == pack_j.when and isinstance(j["when"], dict)  # the condition as data
    assert items["M-25-21.4(b)(i)"]["when"] == {"matched": {"kind": "presumption"}}
    assert [i["id"] for i in r.json()["items"]] == [i.id for i in reg.get(OLD).items]
    assert all(i["when"] == reg.get(OLD).item(i["id"]).when for i in r.json()["items"])
    assert any(i["when"] is None for i in r.json()["items"])  # definitions and principles have none


def test_unknown_pack_or_version_is_404_naming_it(client, world):
    _, _, tok = world
    body = assert_problem(client.get("/api/v1/policy/packs/omb-m-99-99", headers=tok["staff"]), 404, "not-found")
    assert "'omb-m-99-99'" in body["detail"] and "omb-m-25-21" in body["detail"]
    assert body["errors"][0]["field"] == "pack_id"
    body = assert_problem(client.get("/api/v1/policy/packs/omb-m-99-99/1.0.0", headers=tok["staff"]), 404)
    assert "'omb-m-99-99'" in body["detail"] and body["errors"][0]["field"] == "pack_id"
    body = assert_problem(client.get("/api/v1/policy/packs/omb-m-25-21/7.7.7", headers=tok["staff"]), 404)
    assert "'7.7.7'" in body["detail"] and "1.0.0" in body["detail"] and body["errors"][0]["field"] == "version"


def test_diff_is_the_services_result_and_writes_nothing(client, db, world):
    actors, ids, tok = world
    before = counts(db)
    r = client.get("/api/v1/policy/diff", params={"old": OLD, "new": NEW}, headers=tok["caio"])
    assert r.status_code == 200, r.text
    assert counts(db) == before  # no proposal, no determination, no audit event
    body = r.json()
    with db.transaction() as s:
        res = policy.diff_database(s, actors["caio"], OLD, NEW)
    assert (body["old"], body["new"], body["source"]) == (OLD, NEW, "database")
    assert body["counts"] == {"screened": res.screened, "skipped": res.skipped, "changed": len(res.changes),
                              "presumed_gained": sum(c.presumed_new and not c.presumed_old for c in res.changes),
                              "presumed_lost": sum(c.presumed_old and not c.presumed_new for c in res.changes),
                              "against_determination": sum(c.against_determination for c in res.changes)}
    assert res.screened == 7  # every use case the CAIO reads, the draft included
    by_id = {c["business_id"]: c for c in body["changes"]}
    assert sorted(by_id) == sorted([ids["reports"], ids["cases"]])
    reports, cases = by_id[ids["reports"]], by_id[ids["cases"]]
    assert (reports["old"], reports["new"]) == ({"presumed": True, "categories": ["M-25-21.6(j)"]},
                                                {"presumed": False, "categories": []})
    assert reports["removed"]["categories"] == ["M-25-21.6(j)"] and reports["against_determination"] is True
    assert reports["determination"] == {"decision": "high-impact", "framework": "M-25-21", "status": "in_force",
                                        "determined_by": "user:caio"}
    assert (cases["old"]["presumed"], cases["new"]["presumed"], cases["added"]["categories"]) == \
        (False, True, ["M-25-21.6(m)"])
    assert "M-25-21.4(b)(i)" in cases["added"]["practices"] and cases["determination"] is None
    assert cases["against_determination"] is False and cases["component"] == "ICE"
    assert body["counts"]["changed"] == 2 and body["counts"]["against_determination"] == 1
    expected = [{"business_id": c.business_id, "name": c.name, "component": c.component, "status": c.status,
                 "schema": c.schema,
                 "old": {"presumed": c.presumed_old, "categories": c.categories_old},
                 "new": {"presumed": c.presumed_new, "categories": c.categories_new},
                 "added": {"categories": c.categories_added, "prohibited": c.prohibited_added,
                           "practices": c.practices_added},
                 "removed": {"categories": c.categories_removed, "prohibited": c.prohibited_removed,
                             "practices": c.practices_removed},
                 "determination": None if c.determination is None else {
                     "decision": c.determination, "framework": c.determination_framework,
                     "status": c.determination_status, "determined_by": c.determined_by},
                 "against_determination": c.against_determination} for c in res.changes]
    assert body["changes"] == expected

    # only what the actor may read: the ICE owner sees no CBP use case
    r = client.get("/api/v1/policy/diff", params={"old": OLD, "new": NEW}, headers=tok["ice.owner"])
    assert r.status_code == 200
    assert [c["business_id"] for c in r.json()["changes"]] == [ids["cases"]] and r.json()["counts"]["screened"] == 2
    # an account that reads no use case is refused by the service
    assert_problem(client.get("/api/v1/policy/diff", params={"old": OLD, "new": NEW}, headers=tok["staff"]), 403)
    assert counts(db) == before


def test_diff_with_a_standing_determination_flags_it(client, db, world, monkeypatch):
    """A test-only pack version that no longer presumes letter translation: against the CAIO's determination."""
    from raigov.policy import packs as P
    from raigov.policy.packs import SHIPPED_DIR, parse_pack

    text = (SHIPPED_DIR / "omb-m-25-21-1.1.0.yaml").read_text(encoding="utf-8")
    for a, b in (('version: "1.1.0"', 'version: "9.0.0"'),
                 ("    when: {signal: translation}\n",
                  "    when: {all: [{signal: translation}, {signal: law_enforcement}]}\n")):
        assert text.count(a) == 1
        text = text.replace(a, b)
    reg = P.load_registry([])
    reg.add(parse_pack(text, "test-9.0.0.yaml"))
    monkeypatch.setattr(P, "_current", reg)
    _, ids, tok = world
    r = client.get("/api/v1/policy/diff", params={"old": NEW, "new": "omb-m-25-21@9.0.0"}, headers=tok["caio"])
    assert r.status_code == 200, r.text
    by_id = {c["business_id"]: c for c in r.json()["changes"]}
    letters = by_id[ids["letters"]]
    assert (letters["old"], letters["new"]) == ({"presumed": True, "categories": ["M-25-21.6(o)"]},
                                                {"presumed": False, "categories": []})
    assert letters["removed"]["categories"] == ["M-25-21.6(o)"] and "M-25-21.4(b)(i)" in letters["removed"]["practices"]
    assert letters["determination"] == {"decision": "high-impact", "framework": "M-25-21", "status": "in_force",
                                        "determined_by": "user:caio"}
    assert letters["against_determination"] is True
    assert by_id[ids["ice"]]["against_determination"] is False and by_id[ids["ice"]]["determination"] is None
    assert r.json()["counts"]["against_determination"] == 1 and r.json()["counts"]["presumed_lost"] == 2
    assert ids["face"] not in by_id and ids["mail"] not in by_id


def test_diff_bad_refs_name_the_parameter(client, world):
    _, _, tok = world
    h = tok["caio"]
    body = assert_problem(client.get("/api/v1/policy/diff", params={"old": "omb-m-25-21@7.7.7", "new": NEW},
                                     headers=h), 422, "validation-error")
    assert [e["field"] for e in body["errors"]] == ["old"] and "1.0.0" in body["errors"][0]["message"]
    body = assert_problem(client.get("/api/v1/policy/diff", params={"old": OLD, "new": "no-such-pack@1"}, headers=h), 422)
    assert [e["field"] for e in body["errors"]] == ["new"] and "no-such-pack@1" in body["errors"][0]["message"]
    body = assert_problem(client.get("/api/v1/policy/diff", params={"old": "x@1", "new": "y@2"}, headers=h), 422)
    assert [e["field"] for e in body["errors"]] == ["old", "new"]
    body = assert_problem(client.get("/api/v1/policy/diff", params={"new": NEW}, headers=h), 422)
    assert body["errors"][0]["field"] == "old" and body["errors"][0]["code"] == "missing"
    body = assert_problem(client.get("/api/v1/policy/diff", params={"old": OLD, "new": ""}, headers=h), 422)
    assert body["errors"][0]["field"] == "new"


def test_screening_of_a_face_recognition_use_case(client, world):
    actors, ids, tok = world
    r = client.get(f"/api/v1/use-cases/{ids['face']}/screening", headers=tok["cbp.owner"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["use_case"], body["framework"], body["determinations"]) == (ids["face"], "M-25-21", [])
    sc = body["screening"]
    assert sc["pack"] == current_registry().get("omb-m-25-21").key and sc["presumed"] is True
    assert sc["out_of_scope"] is False and sc["revision"] == 1 and sc["created_by"] == "user:cbp.owner"
    cats = {c["item"]: c for c in sc["categories"]}
    assert {"M-25-21.6(j)", "M-25-21.6(l)"} <= set(cats)
    assert cats["M-25-21.6(l)"]["citation"] == "M-25-21 App. §6(l)" and "high-impact" in cats["M-25-21.6(l)"]["impact"]
    words = {e["text"].lower() for e in cats["M-25-21.6(l)"]["evidence"]}
    assert {"facial recognition", "one-to-many"} <= words
    assert all(e["field"] in FACE for e in cats["M-25-21.6(l)"]["evidence"] if e["kind"] == "text")
    assert {e["item"] for e in sc["evidence"]} >= {"M-25-21.6(j)", "M-25-21.6(l)"}
    assert sc["prohibited"] == [] and sc["practices"]  # M-25-21 itself prohibits nothing; presumed: practices
    trace = {t["item"]: t for t in sc["trace"]}
    assert trace["M-25-21.6(l)"]["result"] is True and trace["M-25-21.6(l)"]["condition"]
    assert trace["M-25-21.6(c)"]["result"] is False
    # the same as the stored proposal
    with client.app.state.db.transaction() as s:
        stored = policy.latest_screening(s, inventory.get_use_case(s, actors["caio"], ids["face"]))
        assert sc["id"] == stored.id and sorted(cats) == sorted(stored.categories)
        assert sc["trace"] == stored.result["trace"]

    # never screened: null, with its determinations
    body = client.get(f"/api/v1/use-cases/{ids['letters']}/screening", headers=tok["olga"]).json()
    assert body["screening"] is None
    [d] = body["determinations"]
    assert (d["decision"], d["decision_label"], d["status"], d["source"], d["created_by"], d["reason"]) == \
        ("high-impact", "High-impact", "in_force", "official", "user:caio", "Letters inform benefit decisions.")


def test_screening_read_rules_are_those_of_the_use_case(client, world):
    _, ids, tok = world
    for key in ("face", "draft"):
        for who in ("ice.owner", "staff", "gate", "caio", "olga", "cbp.owner"):
            a = client.get(f"/api/v1/use-cases/{ids[key]}", headers=tok[who])
            b = client.get(f"/api/v1/use-cases/{ids[key]}/screening", headers=tok[who])
            assert a.status_code == b.status_code, (key, who, a.status_code, b.status_code)
    # the ones that matter, spelled out
    assert client.get(f"/api/v1/use-cases/{ids['face']}/screening", headers=tok["ice.owner"]).status_code == 403
    assert client.get(f"/api/v1/use-cases/{ids['draft']}/screening", headers=tok["gate"]).status_code == 403
    # a service token asks the gate only: it reads no use case nor its screening (issue #14)
    assert client.get(f"/api/v1/use-cases/{ids['face']}/screening", headers=tok["gate"]).status_code == 403
    body = assert_problem(client.get("/api/v1/use-cases/DHS-9999/screening", headers=tok["caio"]), 404)
    assert "DHS-9999" in body["detail"]


def test_determination_round_trips_and_follows_the_rules(client, db, world):
    _, ids, tok = world
    url = f"/api/v1/use-cases/{ids['face']}/determinations"
    before = counts(db)
    # an auditor reads but may not decide; nor may the owner
    for who in ("olga", "cbp.owner"):
        assert_problem(client.post(url, json={"decision": "high-impact", "reason": "x"}, headers=tok[who]), 403, "forbidden")
        # the right is checked before the body is validated: no hint about what would be accepted
        assert_problem(client.post(url, json={"decision": "nonsense", "reason": ""}, headers=tok[who]), 403, "forbidden")
    assert counts(db) == before
    # the service's validation names the field
    body = assert_problem(client.post(url, json={"decision": "high-impact", "reason": "   "}, headers=tok["caio"]), 422)
    assert body["errors"][0]["field"] == "reason" and "written reason" in body["errors"][0]["message"]
    body = assert_problem(client.post(url, json={"decision": "rights-impacting", "reason": "x"}, headers=tok["caio"]), 422)
    assert body["errors"][0]["field"] == "decision" and "M-25-21" in body["errors"][0]["message"]
    body = assert_problem(client.post(url, json={"decision": "high-impact", "reason": "x", "by": "me"},
                                      headers=tok["caio"]), 422)
    assert body["errors"] == [{"field": "by", "message": "unknown field", "code": "extra_forbidden"}]
    assert counts(db) == before

    # a delegate's "presumed but not" waits for the CAIO
    reason = "An officer compares every candidate; the list is never the principal basis of an action."
    r = client.post(url, json={"decision": "presumed-not-high-impact", "reason": reason}, headers=tok["delegate"])
    assert r.status_code == 201, r.text
    d = r.json()
    assert (d["use_case"], d["framework"], d["decision"], d["status"], d["reason"], d["created_by"], d["source"]) == \
        (ids["face"], "M-25-21", "presumed-not-high-impact", "awaiting_caio", reason, "user:delegate", "official")
    shown = client.get(f"/api/v1/use-cases/{ids['face']}/screening", headers=tok["olga"]).json()
    assert d["pack"] == shown["screening"]["pack"] and d["screening_id"] == shown["screening"]["id"]
    assert shown["determinations"] == [d]
    s2, d2, a2 = counts(db)
    assert (s2, d2) == (before[0], before[1] + 1) and a2 > before[2]

    # the CAIO decides; the newest is the one in force
    r = client.post(url, json={"decision": "high-impact", "reason": "Identifies suspects in public spaces."},
                    headers=tok["caio"])
    assert r.status_code == 201 and r.json()["status"] == "in_force"
    dets = client.get(f"/api/v1/use-cases/{ids['face']}/screening", headers=tok["olga"]).json()["determinations"]
    assert [x["decision"] for x in dets] == ["presumed-not-high-impact", "high-impact"] and dets[-1] == r.json()

    # as the page: a determination opens the reviews the use case now needs
    lanes = client.get(f"/api/v1/use-cases/{ids['face']}/reviews", headers=tok["caio"]).json()
    assert lanes, "a high-impact determination opens reviews"

    assert_problem(client.post("/api/v1/use-cases/DHS-9999/determinations",
                               json={"decision": "high-impact", "reason": "x"}, headers=tok["caio"]), 404)
