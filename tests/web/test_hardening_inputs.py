"""Bad input never makes a 500 (issue #12 items 10 and 14), on both databases: integers beyond the range of
their column in paths, queries and forms are a 422 naming the parameter; a NUL character in any text is a 422
naming the field, and nothing is written; signed-in responses are not cached; the OpenAPI says what the
server does."""

from __future__ import annotations

import typing

from fastapi.routing import APIRoute

from tests.web.conftest import csrf_from

PROBLEM = "application/problem+json"
HUGE = "2218188073551194940877307904"  # beyond 64 bits (the example)
BEYOND_INT32 = str(2**31)  # ids are INTEGER columns: PostgreSQL refuses this one
BEYOND_INT64 = str(2**63)


def _field(r) -> str:
    assert r.headers["content-type"] == PROBLEM, r.text
    return r.json()["errors"][0]["field"]


# ---------------------------------------------------------------- integers


API_INTS = [
    (f"/api/v1/audit/events/{HUGE}", "seq"),
    (f"/api/v1/audit/events/{BEYOND_INT64}", "seq"),
    (f"/api/v1/audit/events?offset={HUGE}", "offset"),
    (f"/api/v1/audit/proofs/inclusion/{HUGE}", "seq"),
    (f"/api/v1/audit/proofs/inclusion/1?tree_size={HUGE}", "tree_size"),
    (f"/api/v1/audit/proofs/consistency?old=1&new={HUGE}", "new"),
    (f"/api/v1/use-cases?page={HUGE}", "page"),
    (f"/api/v1/use-cases?page={BEYOND_INT32}", "page"),
    (f"/api/v1/evidence/{BEYOND_INT32}/file", "evidence_id"),
    (f"/api/v1/evidence/{HUGE}/file", "evidence_id"),
]


def test_api_integer_out_of_range_is_422_naming_it(backend, client, make_user, token_for):
    make_user("cai", "caio", password=False)
    h = token_for("cai")
    for url, field in API_INTS:
        r = client.get(url, headers=h)
        assert r.status_code == 422, (url, r.status_code, r.text)
        assert _field(r) == field, url


def test_api_ids_in_writes_out_of_range_are_422_and_write_nothing(backend, client, db, make_user, token_for):
    from sqlalchemy import func, select

    from raigov.audit.models import AuditEvent

    make_user("cai", "caio", password=False)
    h = token_for("cai")
    with db.transaction() as s:
        before = s.scalar(select(func.count()).select_from(AuditEvent))
    r = client.post(f"/api/v1/reviews/{BEYOND_INT32}/comments", json={"body": "hello"}, headers=h)
    assert r.status_code == 422 and _field(r) == "review_id"
    r = client.post(f"/api/v1/reviews/{HUGE}/decision", json={"decision": "approved", "reason": "ok"}, headers=h)
    assert r.status_code == 422 and _field(r) == "review_id"
    r = client.post("/api/v1/reviews/1/decision", json={"decision": "approved", "reason": "ok",
                                                        "expected_version": int(HUGE)}, headers=h)
    assert r.status_code == 422 and _field(r) == "expected_version"
    r = client.delete(f"/api/v1/tokens/{BEYOND_INT32}", headers=h)
    assert r.status_code == 422 and _field(r) == "token_id"
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == before


PAGE_INTS = [
    (f"/inventory?page={HUGE}", "page"),
    (f"/inventory.csv?page={HUGE}", "page"),
    (f"/audit/{HUGE}", "seq"),
    (f"/audit?page={HUGE}", "page"),
    (f"/evaluation/runs/{HUGE}", "run_id"),
    (f"/evaluation/runs/{BEYOND_INT32}/report.pdf", "run_id"),
    (f"/evidence/{BEYOND_INT32}/download", "evidence_id"),
    (f"/notices?page={HUGE}", "page"),
    (f"/datacall?year={HUGE}", "year"),
    (f"/datacall/{HUGE}/CBP", "year"),
    (f"/reviews?all={HUGE}", "all"),
]


def test_page_integer_out_of_range_is_an_error_page_not_500(backend, client, make_user, sign_in):
    make_user("cai", "caio")
    assert sign_in("cai").status_code == 303
    for url, field in PAGE_INTS:
        r = client.get(url)
        assert r.status_code == 422, (url, r.status_code)
        assert r.headers["content-type"].startswith("text/html"), url
        assert f"{field}:" in r.text, url  # the page names the parameter


def test_public_pages_bound_the_year(backend, client):
    r = client.get(f"/public/inventory?year={HUGE}")
    assert r.status_code == 422 and "year:" in r.text
    r = client.get(f"/public/inventory/{HUGE}.csv")
    assert r.status_code == 422


def test_page_forms_refuse_numbers_beyond_their_column(backend, client, db, settings, make_user, sign_in, actor_of):
    """Numbers parsed by hand from forms: the evidence to reuse and a review's version (PostgreSQL refused
    them: 500); the page says which field, nothing is written."""
    from sqlalchemy import func, select

    from raigov.governance.models import EvidenceLink
    from raigov.inventory import service as inventory

    make_user("owner", "submitter@CBP")
    with db.transaction() as s:
        bid = inventory.create_use_case(s, actor_of("owner"), component="CBP", values={
            "use_case_name": "Cargo triage", "development_stage": "Pilot"}, reason="new", settings=settings).business_id
    assert sign_in("owner").status_code == 303
    page = client.get(f"/inventory/{bid}/governance")
    r = client.post(f"/inventory/{bid}/evidence", data={"csrf_token": csrf_from(page.text), "reuse": BEYOND_INT32,
                                                        "title": "x", "category": "test_report"},
                    follow_redirects=False)
    # the page at once, the refusal in words
    assert r.status_code == 422 and 'id="form-error"' in r.text
    assert "The number of evidence already on file: a whole number" in r.text
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(EvidenceLink)) == 0


def test_every_integer_parameter_of_every_route_is_bounded(app):
    """The guard for the next route: an `int` path or query parameter without an upper bound fails here."""
    def api_routes(routes):
        for r in routes:
            if isinstance(r, APIRoute):
                yield r
            elif hasattr(r, "original_router"):  # an included router (FastAPI keeps them nested)
                yield from api_routes(r.original_router.routes)

    unbounded, seen = [], 0
    for route in api_routes(app.routes):
        seen += 1
        for param in [*route.dependant.path_params, *route.dependant.query_params]:
            ann = param.field_info.annotation
            types = set(typing.get_args(ann)) or {ann}
            if int not in types:
                continue
            if not any(getattr(m, "le", None) is not None or getattr(m, "lt", None) is not None
                       for m in param.field_info.metadata):
                unbounded.append(f"{route.path} {param.name}")
    assert seen > 80 and not unbounded, unbounded


# ---------------------------------------------------------------- NUL characters

NUL_CODE = "nul_character"


def _count(db, model) -> int:
    from sqlalchemy import func, select

    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(model))


def _nul_refused(r, field: str) -> None:
    assert r.status_code == 422, (r.status_code, r.text[:300])
    assert r.headers["content-type"] == PROBLEM
    assert r.json()["errors"] == [{"field": field, "message": "the text contains a NUL character (U+0000), which is "
                                   "not allowed", "code": NUL_CODE}]


def test_api_refuses_nul_in_any_text_naming_the_field(backend, client, db, settings, make_user, token_for, actor_of):
    """PostgreSQL cannot store U+0000 in text (psycopg refused it: a 500); SQLite stored it. Both: a 422 naming
    the field, and no row and no audit event written."""
    from raigov.audit.models import AuditEvent
    from raigov.governance import service as gov
    from raigov.governance.models import Evidence, ReviewComment
    from raigov.identity.models import ApiToken, User
    from raigov.inventory import service as inventory
    from raigov.policy import service as policy

    make_user("adm", "admin", password=False)
    make_user("cai", "caio", password=False)
    make_user("owner", "submitter@CBP", password=False)
    owner, caio = actor_of("owner"), actor_of("cai")
    with db.transaction() as s:
        bid = inventory.create_use_case(s, owner, component="CBP", values={
            "use_case_name": "Biometric entry-exit face matching", "development_stage": "Pre-deployment",
            "problem_solved": "Uses facial recognition to verify the identity of travelers at ports of entry.",
            "system_outputs": "A match or no-match result."}, reason="new", settings=settings).business_id
    with db.transaction() as s:
        inventory.submit_use_case(s, owner, bid)
    with db.transaction() as s:
        policy.screen_use_case(s, owner, bid)
        policy.decide(s, caio, bid, "high-impact", "face recognition")
        gov.sync(s, owner, bid)
        review_id = gov.reviews_of(s, caio, bid)[0].id
    adm, cai, own = token_for("adm"), token_for("cai"), token_for("owner")
    events, users, tokens = _count(db, AuditEvent), _count(db, User), _count(db, ApiToken)
    comments, evidence = _count(db, ReviewComment), _count(db, Evidence)

    # a comment's body (JSON)
    _nul_refused(client.post(f"/api/v1/reviews/{review_id}/comments", json={"body": "looks\u0000 fine"}, headers=cai),
                 "body")
    # a token's name
    _nul_refused(client.post("/api/v1/tokens", json={"name": "ci\u0000"}, headers=cai), "name")
    # a display name, and a nested field
    _nul_refused(client.post("/api/v1/users", json={"username": "bob", "display_name": "Bob\u0000"}, headers=adm),
                 "display_name")
    _nul_refused(client.post("/api/v1/users", json={"username": "bob", "display_name": "Bob",
                                                    "roles": [{"role": "submitter", "component": "CBP\u0000"}]},
                             headers=adm), "roles.0.component")
    # an evidence title, in a multipart upload and as a link (form fields); a file's name
    _nul_refused(client.post(f"/api/v1/use-cases/{bid}/evidence", data={"title": "Test\u0000plan", "category": "test_report"},
                             files={"file": ("plan.pdf", b"%PDF-1.7 \x00 binary bytes are fine", "application/pdf")},
                             headers=own), "title")
    _nul_refused(client.post(f"/api/v1/use-cases/{bid}/evidence", data={"title": "Plan\u0000", "category": "test_report",
                                                                        "url": "https://example.gov/plan"},
                             headers=own), "title")
    raw = (b"--b\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nPlan\r\n"
           b"--b\r\nContent-Disposition: form-data; name=\"category\"\r\n\r\ntest_report\r\n"
           b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"plan\x00.pdf\"\r\n"
           b"Content-Type: application/pdf\r\n\r\n%PDF-1.7\r\n--b--\r\n")  # httpx would escape the NUL
    r = client.post(f"/api/v1/use-cases/{bid}/evidence", content=raw,
                    headers=own | {"content-type": "multipart/form-data; boundary=b"})
    assert r.status_code == 422 and _field(r) == "file", r.text
    # a use case id in a path, a query parameter
    _nul_refused(client.get(f"/api/v1/use-cases/{bid}%00", headers=own), "business_id")
    _nul_refused(client.get("/api/v1/use-cases?q=face%00", headers=own), "q")
    _nul_refused(client.get("/api/v1/audit/events?object_id=%00", headers=cai), "object_id")

    assert (_count(db, AuditEvent), _count(db, User), _count(db, ApiToken)) == (events, users, tokens)
    assert (_count(db, ReviewComment), _count(db, Evidence)) == (comments, evidence)
    # the same requests without the NUL work (the refusal is about the character only)
    assert client.post(f"/api/v1/reviews/{review_id}/comments", json={"body": "looks fine"}, headers=cai).status_code == 201
    r = client.post(f"/api/v1/use-cases/{bid}/evidence", data={"title": "Test plan", "category": "test_report"},
                    files={"file": ("plan.pdf", b"%PDF-1.7 \x00 binary bytes are fine", "application/pdf")}, headers=own)
    assert r.status_code == 201, r.text


def test_pages_refuse_nul_in_forms_and_paths(backend, client, db, make_user, sign_in):
    from raigov.audit.models import AuditEvent
    from raigov.identity.models import ApiToken

    make_user("cai", "caio")
    assert sign_in("cai").status_code == 303
    events, tokens = _count(db, AuditEvent), _count(db, ApiToken)
    page = client.get("/account")
    r = client.post("/account/tokens", data={"csrf_token": csrf_from(page.text), "name": "laptop\x00"})
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
    assert "name: the text contains a NUL character" in r.text
    r = client.get("/inventory/DHS-0001%00")
    assert r.status_code == 422 and "business_id: the text contains a NUL character" in r.text
    r = client.get("/audit?actor=%00")
    assert r.status_code == 422 and "actor: the text contains a NUL character" in r.text
    assert (_count(db, AuditEvent), _count(db, ApiToken)) == (events, tokens)


# ---------------------------------------------------------------- caching


def test_signed_in_responses_are_not_cached(backend, client, make_user, sign_in, token_for):
    """A page that shows a new API token (or a use case, the audit trail) must not stay in the browser's cache."""
    make_user("cai", "caio")
    r = sign_in("cai")
    assert r.status_code == 303 and r.headers["cache-control"] == "no-store"  # the response that signs in
    page = client.get("/account")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    r = client.post("/account/tokens", data={"csrf_token": csrf_from(page.text), "name": "laptop"})
    assert r.status_code == 200 and "rgv_" in r.text and r.headers["cache-control"] == "no-store"
    for url in ("/home", "/inventory", "/audit", "/api/docs"):
        assert client.get(url).headers.get("cache-control") == "no-store", url
    css = client.get("/static/css/raigov.css")
    assert css.status_code == 200 and "no-store" not in css.headers.get("cache-control", "")  # not personal
    # the API, with a bearer token, and its errors
    client.cookies.clear()
    h = token_for("cai")
    for url in ("/api/v1/me", "/api/v1/tokens", "/api/v1/use-cases/DHS-9999"):
        assert client.get(url, headers=h).headers.get("cache-control") == "no-store", url
    # signed out: public pages may be cached
    assert "no-store" not in client.get("/sign-in").headers.get("cache-control", "")


# ---------------------------------------------------------------- the OpenAPI says what the server does


def test_openapi_token_lifetime_is_the_servers_limit(backend, client, settings, make_user, token_for):
    spec = client.get("/api/openapi.json").json()
    days = spec["components"]["schemas"]["TokenCreate"]["properties"]["expires_in_days"]
    assert [b.get("maximum") for b in days["anyOf"] if b["type"] == "integer"] == [settings.token_max_days] == [366]
    assert "x-raigov-maximum" not in str(spec)
    make_user("cai", "caio", password=False)
    h = token_for("cai")
    r = client.post("/api/v1/tokens", json={"name": "ci", "expires_in_days": settings.token_max_days + 1}, headers=h)
    assert r.status_code == 422 and _field(r) == "expires_in_days"
    assert client.post("/api/v1/tokens", json={"name": "ci", "expires_in_days": settings.token_max_days},
                       headers=h).status_code == 201


def test_openapi_follows_the_token_setting(backend, db, settings):
    from raigov.web.app import create_app

    app = create_app(settings.model_copy(update={"token_max_days": 30}), db)
    days = app.openapi()["components"]["schemas"]["TokenCreate"]["properties"]["expires_in_days"]
    assert days["anyOf"][0]["maximum"] == 30


def test_openapi_roles_and_lanes_are_enums(backend, client):
    from raigov.governance.lanes import config
    from raigov.identity.roles import ROLES

    spec = client.get("/api/openapi.json").json()
    schemas = spec["components"]["schemas"]
    assert schemas["RoleGrantIn"]["properties"]["role"]["enum"] == list(ROLES)
    assert schemas["RoleOut"]["properties"]["role"]["enum"] == list(ROLES)
    assert schemas["Me"]["properties"]["roles"]["items"] == {"$ref": "#/components/schemas/MyRole"}
    assert schemas["MyRole"]["properties"]["role"]["enum"] == list(ROLES)
    revoke = spec["paths"]["/api/v1/users/{username}/roles/{role}"]["delete"]["parameters"]
    assert next(p for p in revoke if p["name"] == "role")["schema"]["enum"] == list(ROLES)
    queue = spec["paths"]["/api/v1/reviews"]["get"]["parameters"]
    lane = next(p for p in queue if p["name"] == "lane")["schema"]
    assert [b["enum"] for b in lane["anyOf"] if b["type"] == "string"] == [list(config().lanes)]
    assert "x-raigov-enum" not in str(spec)


def test_openapi_unknown_role_still_names_the_field(backend, client, make_user, token_for):
    make_user("adm", "admin", password=False)
    r = client.post("/api/v1/users", json={"username": "bob", "display_name": "B", "roles": [{"role": "king"}]},
                    headers=token_for("adm"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "roles.0.role"
    assert "unknown role 'king'" in r.json()["errors"][0]["message"]


def test_openapi_evidence_download_is_a_file(backend, client):
    op = client.get("/api/openapi.json").json()["paths"]["/api/v1/evidence/{evidence_id}/file"]["get"]
    assert list(op["responses"]["200"]["content"]) == ["application/octet-stream"]
    assert op["responses"]["200"]["content"]["application/octet-stream"]["schema"] == {"type": "string",
                                                                                       "format": "binary"}
    assert "204" in op["responses"]


def test_openapi_declares_bearer_tokens_without_changing_auth(backend, client, make_user, token_for):
    spec = client.get("/api/openapi.json").json()
    assert spec["components"]["securitySchemes"]["apiToken"]["type"] == "http"
    assert spec["components"]["securitySchemes"]["apiToken"]["scheme"] == "bearer"
    assert spec["paths"]["/api/v1/me"]["get"]["security"] == [{"apiToken": []}]
    assert "security" not in spec["paths"]["/healthz"]["get"]
    assert "security" not in spec["paths"]["/public/audit/head"]["get"]
    # auth is what it was: the header decides, errors are problem+json 401
    for headers in ({}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer rgv_nope"}):
        r = client.get("/api/v1/me", headers=headers)
        assert r.status_code == 401 and r.headers["content-type"] == PROBLEM
    make_user("cai", "caio", password=False)
    assert client.get("/api/v1/me", headers=token_for("cai")).json()["roles"] == [{"role": "caio", "component": None}]
