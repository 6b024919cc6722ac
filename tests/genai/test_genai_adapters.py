"""The prompt guard through its adapters, on SQLite and PostgreSQL: the API (problem+json errors), the CLI
(one prompt, JSONL in order, exit codes), the page (CSRF) and the audit trail (hash, tool, decision, counts;
never the text)."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from raigov.audit.models import AuditEvent
from tests.web.conftest import csrf_from

PROMPT = "Letter to John Smith, SSN 219-09-9998, at 1600 Pennsylvania Ave NW, Washington, DC 20500."


def _events(db):
    with db.transaction(read=True) as s:
        return [(e.action, e.object_id, json.loads(e.details)) for e in
                s.scalars(select(AuditEvent).where(AuditEvent.action == "genai.prompt.screen").order_by(AuditEvent.seq))]


def test_api_screens_and_audits_without_the_text(client, db, make_user, token_for, guard_tools):
    make_user("emp", "employee", password=False)
    h = token_for("emp")
    r = client.post("/api/v1/genai/screen", json={"text": PROMPT, "tool": "chatgpt"}, headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["decision"] == "block" and body["tool"] == "chatgpt" and body["data_class"] == "public"
    assert [(f["type"], PROMPT[f["start"]:f["end"]]) for f in body["findings"]] == [
        ("PERSON", "John Smith"), ("US_SSN", "219-09-9998"),
        ("STREET_ADDRESS", "1600 Pennsylvania Ave NW, Washington, DC 20500")]
    assert body["redacted"] == "Letter to [PERSON], SSN [US_SSN], at [STREET_ADDRESS]."
    [(_, object_id, details)] = _events(db)
    digest = hashlib.sha256(PROMPT.encode()).hexdigest()
    assert object_id == digest and details["sha256"] == digest
    assert details["tool"] == "chatgpt" and details["decision"] == "block"
    assert details["counts"] == {"PERSON": 1, "STREET_ADDRESS": 1, "US_SSN": 1}
    assert "219-09-9998" not in json.dumps(details) and "Smith" not in json.dumps(details)
    tools = client.get("/api/v1/genai/tools", headers=h).json()
    assert {"id": "dhschat", "name": "DHSChat (internal)", "data_class": "internal", "state": "approved"} in tools
    assert [t["id"] for t in tools] == ["chatgpt", "claude", "dhschat"]  # the catalog's tools, and only those


def test_the_catalog_is_the_guards_one_list_of_tools(client, db, make_user, token_for, settings, system):
    """A tool added to the catalog is screened for with its cleared class at once; there is no second list."""
    from raigov.clock import agency_today
    from raigov.genai import catalog

    make_user("emp", "employee", password=False)
    h = token_for("emp")
    r = client.post("/api/v1/genai/screen", json={"text": PROMPT, "tool": "dhschat"}, headers=h)
    assert r.status_code == 404 and "known tools: none" in r.json()["errors"][0]["message"]
    assert client.get("/api/v1/genai/tools", headers=h).json() == []
    with db.transaction() as s:
        catalog.create_tool(s, system, "agency-llm", "Agency LLM", "internal", today=agency_today(settings))
    body = client.post("/api/v1/genai/screen", json={"text": PROMPT, "tool": "agency-llm"}, headers=h).json()
    assert (body["decision"], body["tool"], body["data_class"]) == ("allow", "agency-llm", "internal")
    with db.transaction() as s:
        catalog.set_state(s, system, "agency-llm", "revoked", agency_today(settings), "contract ended",
                          agency_today(settings))
    assert client.get("/api/v1/genai/tools", headers=h).json() == [
        {"id": "agency-llm", "name": "Agency LLM", "data_class": "internal", "state": "revoked"}]
    assert client.post("/api/v1/genai/screen", json={"text": "hello"}, headers=h).json()["data_class"] == "public"


@pytest.mark.parametrize(("payload", "status", "field"), [
    ({"text": ""}, 422, "text"),
    ({"text": "abc\u0001def"}, 422, "text"),
    ({"text": "hello", "tool": "gpt-9"}, 404, "tool"),
    ({"text": "x" * 2001}, 413, "text"),
])
def test_api_bad_input_is_problem_json(client, db, make_user, token_for, app, payload, status, field, guard_tools):
    app.state.settings.genai_max_prompt_chars = 2000
    make_user("emp", "employee", password=False)
    r = client.post("/api/v1/genai/screen", json=payload, headers=token_for("emp"))
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["field"].endswith(field)
    assert _events(db) == []  # nothing recorded for a refused prompt


def test_api_invalid_utf8_and_no_token(client, make_user, token_for):
    make_user("emp", "employee", password=False)
    r = client.post("/api/v1/genai/screen", content=b'{"text": "\xff\xfe"}',
                    headers={**token_for("emp"), "content-type": "application/json"})
    assert r.status_code in (400, 422) and r.headers["content-type"].startswith("application/problem+json")
    assert client.post("/api/v1/genai/screen", json={"text": "hi"}).status_code == 401


def _cli(*args, input=None):
    from raigov.cli.genai import app

    r = CliRunner().invoke(app, list(args), input=input)
    r.flat = " ".join(r.output.split())  # rich wraps long lines
    return r


def test_cli_one_prompt_and_jsonl_in_order(cli_env, db, tmp_path, guard_tools):
    f = tmp_path / "p.txt"
    f.write_text(PROMPT, encoding="utf-8")
    r = _cli("screen", str(f), "--tool", "dhschat", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["decision"] == "allow"
    r = _cli("screen", "-", input="Email jo.smith@example.com please")
    assert r.exit_code == 0 and "decision: redact" in r.stdout and "[EMAIL_ADDRESS]" in r.stdout
    lines = [{"text": "nothing here"}, {"text": PROMPT}, {"text": "CUI//SP-PRVCY\nnotes", "id": 7}]
    j = tmp_path / "in.jsonl"
    j.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    r = _cli("screen", "--jsonl", str(j), "--tool", "claude")
    assert r.exit_code == 1  # at least one blocked
    out = [json.loads(x) for x in r.stdout.splitlines()]
    assert [o["decision"] for o in out] == ["allow", "block", "block"]
    assert [t for t in (x["type"] for x in out[2]["findings"])] == ["CUI_MARKING"]
    assert [d["decision"] for _, _, d in _events(db)] == ["allow", "redact", "allow", "block", "block"]


def test_cli_bad_input(cli_env, db, tmp_path, guard_tools):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"hello \xff world")
    r = _cli("screen", str(bad))
    assert r.exit_code == 2 and "not valid UTF-8 at byte 6" in r.flat
    binary = tmp_path / "bin.dat"
    binary.write_bytes(b"\x7fELF\x02\x01\x01\x00")
    r = _cli("screen", str(binary))
    assert r.exit_code == 2 and "control character" in r.flat
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    assert _cli("screen", str(empty)).exit_code == 2
    ok = tmp_path / "ok.txt"
    ok.write_text("hello")
    r = _cli("screen", str(ok), "--tool", "gpt-9")
    assert r.exit_code == 2 and "unknown tool 'gpt-9'; known tools: chatgpt, claude, dhschat" in r.flat
    j = tmp_path / "in.jsonl"
    j.write_text('{"text": "fine"}\n{"txt": "oops"}\n')
    r = _cli("screen", "--jsonl", str(j))
    # the console folds a long path at any character: match on the output with its line breaks taken out
    assert r.exit_code == 2 and "in.jsonl:2:" in "".join(r.output.splitlines())
    assert _events(db) == []  # all or nothing: the good first line was not recorded either


def test_page_screens_with_csrf(client, db, make_user, sign_in, guard_tools):
    make_user("emp", "employee")
    assert sign_in("emp").status_code == 303
    page = client.get("/genai/screen")
    assert page.status_code == 200 and "Prompt guard" in page.text
    r = client.post("/genai/screen", data={"text": PROMPT, "tool": "chatgpt", "csrf_token": csrf_from(page.text)})
    assert r.status_code == 200
    assert "Decision: block" in r.text and "[US_SSN]" in r.text and "219-09-9998" not in r.text.split('id="redacted"')[1]
    r = client.post("/genai/screen", data={"text": PROMPT, "tool": "chatgpt", "csrf_token": "nope"})
    assert r.status_code == 403
    r = client.post("/genai/screen", data={"text": "  ", "csrf_token": csrf_from(page.text)})
    assert r.status_code == 422 and "is empty" in r.text
    assert len(_events(db)) == 1


def test_page_needs_sign_in(client):
    r = client.get("/genai/screen", follow_redirects=False)
    assert r.status_code in (303, 401)
