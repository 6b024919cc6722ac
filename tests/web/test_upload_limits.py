"""Upload limits are declared on the route that accepts the upload (web/uploads.py: upload_limit()).

For every upload route: a body between 1 MB and the limit is accepted (the route answers about its content),
one over the limit is refused with 413 problem+json before it is read, and nothing is written. A 10 MB
evidence file goes through with the default limit (50 MB). A route that takes a file (a File/UploadFile
parameter, or the target of a multipart form in the templates) without declaring the limit fails the
enumeration test. Before: only paths under a hand-kept prefix list got the upload limit, and the list named
routes that do not exist and missed both evidence routes (evidence over 1,000,000 bytes was refused)."""

from __future__ import annotations

import re
from importlib import resources

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from raigov.web.app import create_app
from raigov.web.uploads import app_routes, declared_limit
from tests.conftest import SHARED
from tests.web.conftest import csrf_from

MB = 1024 * 1024
LIMIT = 3 * MB
PROBLEM = "application/problem+json"
INVENTORY_2024 = SHARED / "data" / "federal-ai-inventory" / "2024_consolidated_ai_inventory_raw.csv"


@pytest.fixture
def small(settings):
    return settings.model_copy(update={"upload_limit_bytes": LIMIT})


@pytest.fixture
def world(db, small, make_user, actor_of, system):
    """A CBP use case; a person who may attach evidence, run T&E and import (owner, T&E engineer, CAIO)."""
    from raigov.inventory import service as inventory

    make_user("up.loader", "submitter@CBP", "te_engineer@CBP", "caio")
    with db.transaction() as s:
        bid = inventory.create_use_case(s, actor_of("up.loader"), component="CBP", reason="new", settings=small,
                                        values={"use_case_name": "Cargo triage", "development_stage": "Pilot"}
                                        ).business_id
    return {"bid": bid}


def _client(settings, db):
    return TestClient(create_app(settings, db), base_url="http://testserver")


def _signed_in(c) -> str:
    from tests.conftest import PASSWORD

    page = c.get("/sign-in")
    r = c.post("/sign-in", data={"username": "up.loader", "password": PASSWORD, "next": "/home",
                                 "csrf_token": csrf_from(page.text)}, follow_redirects=False)
    assert r.status_code == 303
    return csrf_from(c.get("/account").text)


def _classifier_csv(size: int) -> bytes:
    head = b"y,yhat,grp,note\n"
    row = b"1,0,a,padding-padding-padding\n0,0,b,padding-padding-padding\n"
    return head + row * (size // len(row) + 1)


def _evidence_count(db) -> int:
    from raigov.governance.models import Evidence

    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(Evidence))


def _runs(db) -> int:
    from raigov.evaluation.models import EvaluationRun

    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(EvaluationRun))


def _send(route: str, c, csrf: str, world: dict, data: bytes, token: dict):
    bid = world["bid"]
    if route == "api-evidence":
        return c.post(f"/api/v1/use-cases/{bid}/evidence", headers=token,
                      data={"title": "Bias test", "category": "bias_test"},
                      files={"file": ("bias.csv", data, "text/csv")})
    if route == "page-evidence":
        return c.post(f"/inventory/{bid}/evidence", follow_redirects=False,
                      data={"csrf_token": csrf, "title": "Bias test", "category": "bias_test"},
                      files={"file": ("bias.csv", data, "text/csv")})
    if route == "page-import":
        return c.post("/inventory/import/file", data={"csrf_token": csrf},
                      files={"file": ("2024_consolidated_ai_inventory_raw.csv", data, "text/csv")})
    assert route == "page-evaluation"
    return c.post("/evaluation/runs", follow_redirects=False,
                  data={"csrf_token": csrf, "kind": "classifier", "y_true": "y", "y_pred": "yhat", "groups": "grp"},
                  files={"file": ("scores.csv", data, "text/csv")})


ROUTES = ["api-evidence", "page-evidence", "page-import", "page-evaluation"]


def _accepted_body(route: str) -> bytes:
    if route == "page-import":
        if not INVENTORY_2024.is_file():
            pytest.skip(f"real inventory file not found: {INVENTORY_2024}")
        data = INVENTORY_2024.read_bytes()
    elif route == "page-evaluation":
        data = _classifier_csv(2 * MB)
    else:
        data = b"%PDF-1.4\n" + b"0" * (2 * MB)
    assert MB < len(data) < LIMIT
    return data


@pytest.mark.parametrize("route", ROUTES)
def test_upload_between_1mb_and_the_limit_is_accepted(route, backend, db, small, world, token_for):
    data = _accepted_body(route)
    with _client(small, db) as c:
        csrf = _signed_in(c)
        r = _send(route, c, csrf, world, data, token_for("up.loader"))
    assert r.status_code != 413
    if route == "api-evidence":
        assert r.status_code == 201, r.text
        assert r.json()["size"] == len(data) and r.json()["category"] == "bias_test"
    elif route == "page-evidence":
        assert r.status_code == 303 and "done=gov.evidence_attached" in r.headers["location"], r.headers.get("location")
        assert _evidence_count(db) == 1
    elif route == "page-import":
        assert r.status_code == 200, r.text[:500]
        assert "Dry run" in r.text or "dry run" in r.text
    else:
        assert r.status_code == 303 and r.headers["location"].startswith("/evaluation/runs/"), r.text[:500]
        assert _runs(db) == 1


@pytest.mark.parametrize("route", ROUTES)
def test_upload_over_the_limit_is_413_problem_and_writes_nothing(route, backend, db, small, world, token_for):
    data = b"y,yhat,grp\n" + b"1,0,a\n" * ((LIMIT + MB) // 6)
    with _client(small, db) as c:
        csrf = _signed_in(c)
        r = _send(route, c, csrf, world, data, token_for("up.loader"))
    assert r.status_code == 413 and r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["status"] == 413 and body["errors"][0]["field"] == "body"
    assert f"the limit of {LIMIT} bytes" in body["detail"]
    assert _evidence_count(db) == 0 and _runs(db) == 0


def test_a_10_mb_evidence_file_uploads_over_http_with_the_default_limit(backend, db, settings, world, token_for):
    assert settings.upload_limit_bytes == 50 * MB
    data = b"%PDF-1.4\n" + bytes(range(256)) * (10 * MB // 256)
    with _client(settings, db) as c:
        r = c.post(f"/api/v1/use-cases/{world['bid']}/evidence", headers=token_for("up.loader"),
                   data={"title": "Full bias study", "category": "bias_test"},
                   files={"file": ("study.pdf", data, "application/pdf")})
        assert r.status_code == 201, r.text
        ev = r.json()
        assert ev["size"] == len(data) >= 10 * MB
        got = c.get(f"/api/v1/evidence/{ev['id']}/file", headers=token_for("up.loader"))
    assert got.status_code == 200 and got.content == data


def test_other_routes_keep_the_small_json_limit(backend, db, settings, world, token_for):
    """A route that declares no upload keeps RAIGOV_MAX_JSON_BODY_BYTES, even under an upload path."""
    big = b"x" * (settings.max_json_body_bytes + 10)
    with _client(settings, db) as c:
        r = c.post("/inventory/import/commit", content=big, headers={"content-type": "application/octet-stream"})
        r2 = c.patch(f"/api/v1/use-cases/{world['bid']}/practices/x", headers=token_for("up.loader"), content=big)
    assert r.status_code == 413 and r2.status_code == 413
    assert f"the limit of {settings.max_json_body_bytes} bytes" in r.json()["detail"]


def _multipart_form_targets() -> set[str]:
    """The actions of the templates' multipart forms, as route paths ({{ x }} -> {x})."""
    root = resources.files("raigov.web").joinpath("templates")
    found = set()
    for path in root.rglob("*.html"):  # type: ignore[attr-defined]
        for form in re.findall(r"<form[^>]*>", path.read_text()):
            if "multipart/form-data" in form:
                action = re.search(r'action="([^"]+)"', form).group(1)
                found.add(re.sub(r"\{\{\s*[\w.]+\s*\}\}", "{x}", action))
    return found


def test_every_route_that_accepts_a_file_declares_its_upload_limit(settings, sqlite_db):
    from fastapi.routing import APIRoute

    app = create_app(settings, sqlite_db)
    routes = app_routes(app)

    def takes_file(route) -> bool:
        if not isinstance(route, APIRoute):
            return False
        # a route that reads its multipart form itself (after its permission check) documents it in openapi_extra
        documented = (route.openapi_extra or {}).get("requestBody", {}).get("content", {})
        return "multipart/form-data" in documented or any(
            getattr(f.field_info, "media_type", "") == "multipart/form-data"
            or "UploadFile" in repr(f.field_info.annotation) for f in route.dependant.body_params)

    with_file = {(p, m) for p, methods, r in routes for m in methods if takes_file(r)}
    targets = _multipart_form_targets()
    form_routes = {(p, "POST") for p, methods, r in routes if "POST" in methods
                   and re.sub(r"\{[^}]+\}", "{x}", p) in targets}
    assert targets and len(form_routes) == len(targets), (targets, form_routes)
    assert with_file, "the evidence API takes a file"
    missing = sorted(f"{m} {p}" for p, m in with_file | form_routes
                     if not declared_limit(next(r for q, ms, r in routes if q == p and m in ms)))
    assert not missing, f"routes accepting uploads without upload_limit(): {missing}"
    declared = {(r.path, m) for r in app.state.upload_routes for m in r.methods}
    # a JSON route may declare a larger body too: the decision ledger's batch (up to 10,000 decisions)
    json_bulk = {("/api/v1/decisions/batch", "POST")}
    # the dataset registry's version form (a file checked against its stated SHA-256, then dropped)
    dataset_version = {("/datasets/{dataset_id}/versions", "POST")}
    assert declared == with_file | form_routes | json_bulk | dataset_version
