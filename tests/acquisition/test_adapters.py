"""The acquisition and dataset adapters on SQLite (the rules are tested on both databases by the service
tests): the JSON API (problem details naming the field, 403 before the body, the gate's reason), the CLI
(`--json`, exit 2 on bad input) and a page form's error shown at its field."""

from __future__ import annotations

import hashlib
import json

import pytest
from typer.testing import CliRunner

from raigov.cli.main import app as cli
from tests.web.conftest import csrf_from

CONTRACT = {"number": "HSBP-26-C-7", "title": "Face matching service", "vendor": "Vistaface", "component": "CBP",
            "use_cases": []}


@pytest.mark.parametrize("backend", ["sqlite"])
def test_api_cli_and_page(db, people, use_cases, client, token_for, cli_env, sign_in, make_user, tmp_path):
    low = use_cases["low"]
    lead = token_for("lead")
    r = client.post("/api/v1/acquisition/contracts", json={**CONTRACT, "use_cases": [low, "DHS-9999"]}, headers=lead)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "use_cases.1"
    r = client.post("/api/v1/acquisition/contracts", json={**CONTRACT, "use_cases": [low]}, headers=lead)
    assert r.status_code == 201, r.text
    assert r.json()["missing"][:2] == ["test_evaluation", "data_rights"]
    assert client.post("/api/v1/acquisition/contracts", json=CONTRACT, headers=lead).status_code == 409
    assert client.post("/api/v1/acquisition/contracts", json={"x": 1},
                       headers=token_for("auditor")).status_code == 403, "403 before the body is read"
    gate = client.get(f"/api/v1/use-cases/{low}/authorization", headers=token_for("caio")).json()
    assert not gate["authorized"] and {x["requirement"] for x in gate["reasons"]} == set(r.json()["missing"])
    r = client.put("/api/v1/acquisition/contracts/hsbp-26-c-7/requirements/data_rights",
                   json={"status": "met", "clause": "H.12 Rights in data"}, headers=lead)
    assert r.status_code == 200 and "data_rights" not in r.json()["missing"]

    # the CLI: --json, and bad input is exit 2 naming the field
    run = CliRunner().invoke
    out = run(cli, ["acquisition", "show", "HSBP-26-C-7", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["vendor"] == "Vistaface"
    out = run(cli, ["acquisition", "add", "--number", "HSBP-26-C-7", "--title", "again", "--vendor", "V"])
    assert out.exit_code == 2 and "already recorded" in out.output
    card = tmp_path / "card.json"
    card.write_text(json.dumps({"name": "Gallery", "component": "CBP", "owner": "OFO", "source": "passports"}))
    out = run(cli, ["datasets", "add", str(card), "--json"])
    assert out.exit_code == 0, out.output
    did = json.loads(out.output)["id"]
    data = tmp_path / "gallery.csv"
    data.write_bytes(b"a,b\n1,2\n")
    out = run(cli, ["datasets", "version", str(did), "--label", "v1", "--sha256", "0" * 64, "--file", str(data)])
    assert out.exit_code == 2 and hashlib.sha256(b"a,b\n1,2\n").hexdigest() in out.output.replace("\n", "")
    out = run(cli, ["datasets", "version", str(did), "--label", "v1", "--file", str(data), "--json",
                    "--sha256", hashlib.sha256(b"a,b\n1,2\n").hexdigest()])
    assert out.exit_code == 0 and json.loads(out.output)["versions"][0]["size"] == 8
    out = run(cli, ["datasets", "link", str(did), low, "--purpose", "operation", "--json"])
    assert out.exit_code == 0, out.output
    out = run(cli, ["datasets", "use-case", low, "--json"])
    assert json.loads(out.output)["assessment_section"]["B_data_model_quality"].startswith(
        "From the dataset registry:\n- Gallery (used for operation): owner OFO; source: passports;")

    # a page form: the error at its field (422), then the banner after a good save
    make_user("page.lead", "component_ai_lead@CBP")
    sign_in("page.lead")
    page = client.get("/acquisition/contracts/HSBP-26-C-7")
    assert page.status_code == 200 and "Vistaface" in page.text
    r = client.post("/acquisition/contracts/HSBP-26-C-7/requirements/portability",
                    data={"csrf_token": csrf_from(page.text), "status": "met", "clause": ""})
    assert r.status_code == 422 and 'id="cl-portability-error"' in r.text
    r = client.post("/acquisition/contracts/HSBP-26-C-7/requirements/portability",
                    data={"csrf_token": csrf_from(page.text), "status": "met", "clause": "H.20 Transition"},
                    follow_redirects=True)
    assert r.status_code == 200 and "Requirement recorded." in r.text and "H.20 Transition" in r.text
    page = client.get(f"/datasets/{did}")
    r = client.post(f"/datasets/{did}/versions", data={"csrf_token": csrf_from(page.text), "label": "v2",
                                                      "sha256": "1" * 64},
                    files={"file": ("g.csv", b"other", "text/csv")})
    assert r.status_code == 422 and 'id="v-file-error"' in r.text and "not registered" in r.text
