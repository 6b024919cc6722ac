"""GenAI access and the training ledger through their adapters (SQLite: the rules themselves run on both
databases in test_access.py and tests/training): the API walk from the catalog to a grant (the password signs the
rules; problem+json errors), the CLI (`raigov genai tools|rules|access`, `raigov training import` with
`--dry-run` and a bad file), and the pages' forms (CSRF, errors at the field)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from raigov.genai import catalog, rules
from raigov.identity import service as identity
from raigov.identity.supervisors import set_supervisor
from tests.conftest import PASSWORD
from tests.web.conftest import csrf_from


@pytest.fixture
def backend():
    return "sqlite"


def _cli(module: str, *args, input=None):
    app = __import__(f"raigov.cli.{module}", fromlist=["app"]).app
    r = CliRunner().invoke(app, list(args), input=input)
    r.flat = " ".join(r.output.split())
    return r


def test_api_walk_from_catalog_to_grant(client, db, make_user, token_for, system):
    make_user("caio", "caio", password=False)
    make_user("coord", "training_coordinator", password=False)
    make_user("boss", "employee")
    make_user("emp", "employee")
    with db.transaction() as s:
        set_supervisor(s, system, "emp", "boss")
    caio, coord, boss, emp = (token_for(u) for u in ("caio", "coord", "boss", "emp"))
    r = client.post("/api/v1/genai/catalog", headers=caio, json={
        "id": "dhschat", "name": "DHSChat", "data_class": "internal", "courses": ["genai-responsible-use"],
        "upstream_url": "http://127.0.0.1:9/v1"})
    assert r.status_code == 201, r.text
    assert client.post("/api/v1/genai/catalog", headers=emp, json={"id": "x", "name": "X", "data_class": "public"}
                       ).status_code == 403
    bad = client.post("/api/v1/genai/catalog", headers=caio, json={"id": "yy", "name": "Y", "data_class": "secret"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "data_class"
    assert client.post("/api/v1/genai/rules", headers=caio, json={"title": "Rules", "text": "Be careful."}
                       ).status_code == 201
    r = client.post("/api/v1/genai/requests", headers=emp, json={"tool": "dhschat", "purpose": "summarise reports"})
    assert r.status_code == 201
    rid = r.json()["id"]
    assert [w["id"] for w in client.get("/api/v1/genai/requests/waiting", headers=boss).json()] == [rid]
    r = client.post(f"/api/v1/genai/requests/{rid}/decision", headers=boss, json={"decision": "approve"})
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json")
    assert len(r.json()["errors"]) == 2
    assert client.post("/api/v1/training/completions", headers=coord, json={
        "username": "emp", "course": "genai-responsible-use", "completed_on": "2026-01-02"}).status_code == 201
    wrong = client.post("/api/v1/genai/rules/acknowledge", headers=emp, json={"version": 1, "password": "nope"})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "password"
    assert client.post("/api/v1/genai/rules/acknowledge", headers=emp, json={"version": 1, "password": PASSWORD}
                       ).status_code == 201
    r = client.post(f"/api/v1/genai/requests/{rid}/decision", headers=boss, json={"decision": "approve"})
    assert r.status_code == 200 and r.json()["status"] == "approved"
    mine = {t["id"]: t for t in client.get("/api/v1/genai/my-tools", headers=emp).json()}
    assert mine["dhschat"]["grant"]["usable"] is True
    grants = client.get("/api/v1/genai/grants", headers=caio).json()
    assert [(g["user"], g["tool"], g["usable"]) for g in grants] == [("emp", "dhschat", True)]
    assert client.get("/api/v1/genai/grants", headers=emp).status_code == 403
    r = client.post("/api/v1/genai/catalog/dhschat/state", headers=caio, json={"state": "revoked", "reason": "breach"})
    assert r.status_code == 200 and r.json()["suspended"] == ["emp"]
    me = client.get("/api/v1/training/people/emp", headers=emp).json()
    assert {x["course"]: x["state"] for x in me}["genai-responsible-use"] in ("current", "expiring", "expired")
    assert client.get("/api/v1/training/people/boss", headers=emp).status_code == 403


def test_cli_catalog_rules_import_and_grants(cli_env, db, make_user, tmp_path, system):
    make_user("boss", "employee")
    make_user("emp", "employee", org_unit="CBP")
    with db.transaction() as s:
        set_supervisor(s, system, "emp", "boss")
    r = _cli("genai", "tools", "add", "dhschat", "DHSChat", "--class", "internal", "--course", "genai-responsible-use")
    assert r.exit_code == 0, r.output
    r = _cli("genai", "tools", "list", "--json")
    assert [(t["id"], t["state"]) for t in json.loads(r.stdout)] == [("dhschat", "approved")]
    text = tmp_path / "rules.md"
    text.write_text("Never paste classified text.", encoding="utf-8")
    assert _cli("genai", "rules", "publish", str(text), "--title", "Rules").exit_code == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("username,course,completed_on\nemp,genai-responsible-use,2026-02-30\nghost,ai-awareness,2026-01-01\n")
    r = _cli("training", "import", str(bad))
    assert r.exit_code == 2 and "line 2, column completed_on" in r.flat and "line 3, column username" in r.flat
    good = tmp_path / "good.csv"
    good.write_text("username,course,completed_on,score\nemp,genai-responsible-use,2026-02-03,98\n")
    r = _cli("training", "import", str(good), "--dry-run", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["added"] == 1 and json.loads(r.stdout)["dry_run"] is True
    assert json.loads(_cli("training", "import", str(good), "--json").stdout)["added"] == 1
    r = _cli("genai", "rules", "acknowledge", "--as", "emp", "--password-stdin", input=PASSWORD + "\n")
    assert r.exit_code == 0, r.output
    r = _cli("genai", "access", "request", "dhschat", "--purpose", "drafting public notices", "--as", "emp",
             "--password-stdin", input=PASSWORD + "\n")
    assert r.exit_code == 0, r.output
    r = _cli("genai", "access", "waiting", "--as", "boss", "--password-stdin", "--json", input=PASSWORD + "\n")
    [req] = json.loads(r.stdout)
    r = _cli("genai", "access", "decide", str(req["id"]), "approve", "--as", "boss", "--password-stdin",
             input=PASSWORD + "\n")
    assert r.exit_code == 0 and "approved" in r.flat
    r = _cli("genai", "access", "grants", "--component", "CBP", "--json")
    assert [(g["user"], g["usable"]) for g in json.loads(r.stdout)] == [("emp", True)]
    r = _cli("training", "workforce", "--json")
    assert {x["component"]: x["courses"]["genai-responsible-use"]["current"] for x in json.loads(r.stdout)["rows"]}[
        "CBP"] == 1


def test_pages_forms_show_errors_at_the_field(client, db, make_user, sign_in, system):
    make_user("caio", "caio", password=False)
    make_user("boss", "employee")
    make_user("emp", "employee")
    with db.transaction() as s:
        set_supervisor(s, system, "emp", "boss")
        caio = identity.actor_for(s, identity.get_user(s, "caio"))
        catalog.create_tool(s, caio, "dhschat", "DHSChat", "internal", today=dt.date(2026, 1, 1))
        rules.publish_rules(s, caio, "Rules of behavior", "Be careful with data.")
    sign_in("emp")
    page = client.get("/genai/tools")
    assert page.status_code == 200 and "DHSChat" in page.text
    r = client.post("/genai/requests", data={"tool": "dhschat", "purpose": "x", "csrf_token": csrf_from(page.text)})
    assert r.status_code == 422 and 'id="f-purpose-dhschat-error"' in r.text
    assert client.post("/genai/requests", data={"tool": "dhschat", "purpose": "x" * 20}).status_code in (400, 403)
    rules_page = client.get("/genai/rules")
    r = client.post("/genai/rules/acknowledge", data={"version": "1", "password": "wrong",
                                                      "csrf_token": csrf_from(rules_page.text)})
    assert r.status_code == 422 and 'id="f-password-error"' in r.text
    r = client.post("/genai/rules/acknowledge", data={"version": "1", "password": PASSWORD,
                                                      "csrf_token": csrf_from(rules_page.text)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("done=genai.acknowledged")
    assert client.get("/genai/grants").status_code == 403
    assert client.get("/training").status_code == 403
    assert client.get("/training/me").status_code == 200
