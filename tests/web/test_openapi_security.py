"""Issue #14 item 4: the OpenAPI document declares the bearer token scheme and every operation of the JSON
API (/api/v1) requires it, so /api/docs shows the Authorize button; the public and health routes do not."""

import pytest

PUBLIC = {"/healthz", "/readyz", "/public/audit/head"}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_every_api_operation_declares_the_bearer_scheme(client):
    spec = client.get("/api/openapi.json").json()
    scheme = spec["components"]["securitySchemes"]["apiToken"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer") and "rgv_" in scheme["description"]
    ops = {(path, method): op for path, methods in spec["paths"].items() for method, op in methods.items()}
    api = {k: op for k, op in ops.items() if k[0].startswith("/api/v1/")}
    assert len(api) >= 30
    missing = sorted(k for k, op in api.items() if op.get("security") != [{"apiToken": []}])
    assert missing == []
    assert {path for (path, _), op in ops.items() if "security" not in op} == PUBLIC


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_docs_page_loads_swagger_from_our_own_files(client):
    r = client.get("/api/docs")
    assert r.status_code == 200 and "/static/vendor/swagger-ui/swagger-ui-bundle.js" in r.text
    assert "/api/openapi.json" in r.text and "https://" not in r.text.split("<body>")[0]
