"""The demo's GenAI and training (demo/genai.py), on SQLite and PostgreSQL: the catalog (internal, commercial
public-only, revoked), a supervisor with pending requests, employees with and without current training, 300
screened prompts in the audit trail and the usage counts; the demo employee with a grant uses the gateway with
the official `openai` client and the one without a grant cannot. The demo's inventory is left out here (it is
tests/demo/test_demo_agency.py's, and this module does not read it)."""

from __future__ import annotations

import json

import openai
import pytest
from sqlalchemy import func, select

from raigov.audit.models import AuditEvent
from raigov.clock import agency_today
from raigov.demo import agency
from raigov.errors import Conflict
from raigov.genai import access, catalog
from raigov.genai.models import Grant, Tool, Usage
from raigov.identity import service as identity
from raigov.training import service as training
from raigov.web.app import create_app
from tests.e2e.conftest import LiveServer
from tests.genai.test_gateway import FakeUpstream


@pytest.fixture
def demo(db, settings, system, monkeypatch):
    monkeypatch.setattr(agency, "load_inventory", lambda *a, **k: None)
    with db.transaction() as s:
        creds = agency.load(s, settings, system)
    with db.transaction() as s:
        again = agency.load(s, settings, system)  # idempotent: the catalog holds tools, nothing is added
    assert again["people"] == creds["people"]
    return creds


def _actor(s, username):
    return identity.actor_for(s, identity.get_user(s, username))


def test_demo_catalog_requests_training_and_screened_prompts(demo, db, settings):
    today = agency_today(settings)
    assert {"tsa.supervisor", "employee.lapsed", "employee.new"} <= set(demo["people"])
    with db.transaction() as s:
        tools = {t["id"]: t for t in catalog.list_tools(s, today)}
        assert (tools["dhschat"]["data_class"], tools["dhschat"]["state"]) == ("internal", "approved")
        assert (tools["chatgpt"]["data_class"], tools["chatgpt"]["state"]) == ("public", "conditional")
        assert tools["claude"]["data_class"] == "public" and tools["copilot-bing"]["state"] == "revoked"
        copilot = catalog.get_tool(s, "copilot-bing")
        assert {g.status for g in s.scalars(select(Grant).where(Grant.tool_id == copilot.id))} == {"suspended"}
        waiting = access.waiting_for(s, _actor(s, "tsa.supervisor"), today)
        assert [w["user"] for w in waiting][:2] == ["employee.lapsed", "employee.new"] and len(waiting) == 4
        lapsed = next(w for w in waiting if w["user"] == "employee.lapsed")
        assert any("is not current" in b for b in lapsed["blockers"])
        with pytest.raises(Conflict, match="is not current"):
            access.decide(s, _actor(s, "tsa.supervisor"), lapsed["id"], True, "", today)
        me = _actor(s, "employee")
        assert training.current(s, me.user_id, ["genai-responsible-use", "cui-basics"], today)
        assert not training.current(s, _actor(s, "employee.lapsed").user_id, ["genai-responsible-use"], today)
        wf = training.workforce(s, _actor(s, "training"), today)
        tsa = next(r for r in wf["rows"] if r["component"] == "TSA")
        assert 0 < tsa["courses"]["genai-responsible-use"]["current"] < tsa["people"]
        events = [json.loads(e.details) for e in s.scalars(select(AuditEvent).where(
            AuditEvent.action == "genai.prompt.screen"))]
        assert len(events) == 300 and {e["decision"] for e in events} == {"allow", "redact", "block"}
        assert sum(e.get("via") == "gateway" for e in events) == 100
        assert not any(k in e for e in events for k in ("text", "prompt"))
        assert s.scalar(select(func.sum(Usage.requests))) == 100 and s.scalar(select(func.sum(Usage.blocked))) > 0


def test_demo_employee_with_a_grant_uses_the_gateway_and_one_without_cannot(demo, db, settings, system):
    upstream = FakeUpstream()
    with LiveServer(upstream.app) as up, LiveServer(create_app(settings, db)) as gw:
        with db.transaction() as s:  # the demo has no LLM: point its DHSChat at the fake one
            s.scalar(select(Tool).where(Tool.key == "dhschat")).upstream_url = f"{up.url}/v1"
            tokens = {u: identity.create_token(s, system, u, "gateway", settings)[0]
                      for u in ("employee", "employee.new", "employee.lapsed")}

        def client(who):
            return openai.OpenAI(base_url=f"{gw.url}/genai/v1", api_key=tokens[who], max_retries=0)

        r = client("employee").chat.completions.create(
            model="dhschat", messages=[{"role": "user", "content": "Summarise the case of A123456789."}])
        assert r.choices[0].message.content == "echo: Summarise the case of A123456789."  # internal: PII allowed
        with pytest.raises(openai.PermissionDeniedError) as e:
            client("employee.new").chat.completions.create(model="dhschat", messages=[{"role": "user", "content": "hi"}])
        assert "no grant" in e.value.body["message"]
        with pytest.raises(openai.PermissionDeniedError):
            client("employee.lapsed").chat.completions.create(model="dhschat",
                                                              messages=[{"role": "user", "content": "hi"}])
        assert len(upstream.received) == 1
