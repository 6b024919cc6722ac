"""The guard gateway driven by the official `openai` client, as a user's program would, against a small fake
upstream on a local port, on SQLite and PostgreSQL (the project's `db` fixture): allowed,
redacted (the upstream receives the redacted text), blocked (400 in OpenAI's error shape, nothing forwarded), no
grant, a revoked tool, streaming; usage counted per person and tool, no text kept."""

from __future__ import annotations

import json

import openai
import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from raigov.audit.models import AuditEvent
from raigov.clock import agency_today
from raigov.genai import access, catalog, rules
from raigov.genai.models import Usage
from raigov.identity import service as identity
from raigov.identity.supervisors import set_supervisor
from raigov.training import service as training
from raigov.web.app import create_app
from tests.e2e.conftest import LiveServer

SSN_PROMPT = "Summarise the case of Maria Lopez, SSN 219-09-9998."


class FakeUpstream:
    """An OpenAI-style /chat/completions that echoes the last user message and keeps what it received."""

    def __init__(self):
        self.received: list[dict] = []
        self.app = Starlette(routes=[Route("/v1/chat/completions", self.complete, methods=["POST"])])

    async def complete(self, request: Request):
        body = await request.json()
        self.received.append(body)
        text = "echo: " + body["messages"][-1]["content"]
        usage = {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}
        base = {"id": "chatcmpl-1", "created": 1, "model": body["model"]}
        if body.get("stream"):
            async def events():
                for piece in (text[:6], text[6:]):
                    chunk = {**base, "object": "chat.completion.chunk",
                             "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
                    yield f"data: {json.dumps(chunk)}\n\n"
                last = {**base, "object": "chat.completion.chunk", "usage": usage,
                        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
                yield f"data: {json.dumps(last)}\n\ndata: [DONE]\n\n"
            return StreamingResponse(events(), media_type="text/event-stream")
        return JSONResponse({**base, "object": "chat.completion", "usage": usage, "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}]})


@pytest.fixture
def setup(db, settings, make_user, actor_of, system):
    upstream = FakeUpstream()
    today = agency_today(settings)
    make_user("caio", "caio", password=False)
    make_user("boss", "employee", password=False)
    for u in ("emp", "other"):
        make_user(u, "employee", password=False)
    caio = actor_of("caio")
    with LiveServer(upstream.app) as up, LiveServer(create_app(settings, db)) as gw:
        with db.transaction() as s:
            set_supervisor(s, system, "emp", "boss")
            for key, cls in (("dhschat", "internal"), ("chatgpt", "public")):
                catalog.create_tool(s, caio, key, key, cls, today=today, course_ids=["genai-responsible-use"],
                                    upstream_url=f"{up.url}/v1")
            rules.publish_rules(s, caio, "Rules", "Be careful.")
            training.record_completion(s, system, "emp", "genai-responsible-use", today, today)
        emp = actor_of("emp")
        with db.transaction() as s:
            rules.acknowledge(s, emp, 1)
        for key in ("dhschat", "chatgpt"):
            with db.transaction() as s:
                rid = access.request_access(s, emp, key, "drafting summaries of cases", today).id
            with db.transaction() as s:
                access.decide(s, actor_of("boss"), rid, True, "", today)
        tokens = {}
        for u in ("emp", "other"):
            with db.transaction() as s:
                tokens[u], _ = identity.create_token(s, system, u, "gateway", settings)
        yield {"upstream": upstream, "url": f"{gw.url}/genai/v1", "tokens": tokens, "today": today, "caio": caio}


def _client(setup, who="emp"):
    return openai.OpenAI(base_url=setup["url"], api_key=setup["tokens"][who], max_retries=0)


def test_allowed_redacted_blocked_and_usage(setup, db):
    c = _client(setup)
    r = c.chat.completions.create(model="dhschat", messages=[{"role": "user", "content": SSN_PROMPT}])
    assert r.choices[0].message.content == "echo: " + SSN_PROMPT  # internal tool: PII allowed as it is
    r = c.chat.completions.create(model="chatgpt", messages=[{"role": "user", "content": "Write to jo@example.com"}])
    assert setup["upstream"].received[-1]["messages"][0]["content"] == "Write to [EMAIL_ADDRESS]"
    assert r.choices[0].message.content == "echo: Write to [EMAIL_ADDRESS]"
    sent = len(setup["upstream"].received)
    with pytest.raises(openai.BadRequestError) as e:
        c.chat.completions.create(model="chatgpt", messages=[{"role": "user", "content": SSN_PROMPT}])
    err = e.value.body
    assert err["code"] == "content_blocked" and "US_SSN" in err["message"] and "219-09" not in err["message"]
    assert len(setup["upstream"].received) == sent  # nothing forwarded
    with pytest.raises(openai.NotFoundError):
        c.chat.completions.create(model="gpt-9", messages=[{"role": "user", "content": "hi"}])
    with db.transaction() as s:
        rows = {(u.tool_id, u.requests, u.blocked, u.prompt_tokens, u.completion_tokens) for u in s.scalars(select(Usage))}
        assert sorted(r[1:] for r in rows) == [(1, 0, 7, 3), (2, 1, 7, 3)]
        details = [json.loads(e.details) for e in s.scalars(select(AuditEvent).where(
            AuditEvent.action == "genai.prompt.screen").order_by(AuditEvent.seq))]
    assert [d["decision"] for d in details] == ["allow", "redact", "block"]
    assert all("219-09-9998" not in json.dumps(d) and "jo@example" not in json.dumps(d) for d in details)


def test_no_grant_revoked_tool_bad_token_and_streaming(setup, db):
    with pytest.raises(openai.PermissionDeniedError) as e:
        _client(setup, "other").chat.completions.create(model="dhschat", messages=[{"role": "user", "content": "hi"}])
    assert "no grant" in e.value.body["message"]
    bad = openai.OpenAI(base_url=setup["url"], api_key="rgv_not_a_token", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.chat.completions.create(model="dhschat", messages=[{"role": "user", "content": "hi"}])
    c = _client(setup)
    stream = c.chat.completions.create(model="dhschat", stream=True,
                                       messages=[{"role": "user", "content": "Hello there"}])
    pieces = [ch.choices[0].delta.content for ch in stream if ch.choices and ch.choices[0].delta.content]
    assert len(pieces) == 2 and "".join(pieces) == "echo: Hello there"
    with db.transaction() as s:
        catalog.set_state(s, setup["caio"], "dhschat", "revoked", setup["today"], "vendor breach", setup["today"])
    with pytest.raises(openai.PermissionDeniedError) as e:
        c.chat.completions.create(model="dhschat", messages=[{"role": "user", "content": "hi"}])
    assert "revoked: vendor breach" in e.value.body["message"]
    with db.transaction() as s:
        [u] = s.scalars(select(Usage)).all()
        assert (u.requests, u.prompt_tokens, u.completion_tokens, u.day) == (1, 7, 3, setup["today"])
