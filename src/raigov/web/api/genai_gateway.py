"""The guard gateway (docs/genai.md, "Gateway"): `POST /genai/v1/chat/completions`, OpenAI-compatible, in front
of the agency's LLM. The person's own API token authenticates them; `model` names a catalog tool; the grant is
checked, every message screened (block: 400; redact: forwarded redacted), the request forwarded to the tool's
upstream address with httpx and the answer returned (streamed back as it comes with `"stream": true`); usage is
counted per person, tool and day. Errors have OpenAI's shape, `{"error": {"message", "type", "param",
"code"}}`. The rules are in raigov.genai.gateway."""

from __future__ import annotations

import contextlib
import json

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from raigov.clock import agency_today
from raigov.errors import RaigovError
from raigov.genai import gateway
from raigov.web.deps import api_actor, db_of, settings_of

router = APIRouter(prefix="/genai/v1", tags=["genai"], include_in_schema=False)
UPSTREAM_TIMEOUT = httpx.Timeout(120.0, connect=10.0)
ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
               404: "not_found_error", 413: "invalid_request_error", 422: "invalid_request_error"}


def _error(status: int, message: str, code: str, param: str | None = None) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": ERROR_TYPES.get(status, "api_error"), "param": param,
                                   "code": code}}, status_code=status)


def _from(exc: RaigovError) -> JSONResponse:
    status = 400 if exc.status == 422 else exc.status
    param = exc.errors[0].field if exc.errors else None
    return _error(status, exc.detail, exc.code.replace("-", "_"), param)


def _prepare(request: Request, body: dict):
    """Authenticate, authorize and screen, in one transaction (the audit event with it); the usage of a blocked
    request is counted too."""
    actor = api_actor(request)
    settings = settings_of(request)
    today = agency_today(settings)
    with db_of(request).transaction() as s:
        tool = gateway.authorize(s, actor, body.get("model"), today)
        screened = gateway.screen_request(s, actor, tool, body, settings)
        gateway.count_usage(s, actor.user_id, tool.id, today, blocked=screened.decision == "block")
        return actor.user_id, tool.id, tool.upstream_url.rstrip("/"), screened, today


def _add_tokens(request: Request, user_id: int, tool_id: int, today, usage: dict | None) -> None:
    if not usage:
        return
    with db_of(request).transaction() as s:
        gateway.count_usage(s, user_id, tool_id, today, prompt_tokens=usage.get("prompt_tokens") or 0,
                            completion_tokens=usage.get("completion_tokens") or 0, request=False)


@router.post("/chat/completions")
async def chat_completions(request: Request):
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        return _error(400, "the body is not JSON", "invalid_json")
    if not isinstance(body, dict):
        return _error(400, "the body must be a JSON object", "invalid_json")
    try:
        user_id, tool_id, upstream, screened, today = await run_in_threadpool(_prepare, request, body)
    except RaigovError as exc:
        return _from(exc)
    if screened.decision == "block":
        return _error(400, "the prompt holds data this tool is not cleared for: " + ", ".join(screened.blocked_types)
                      + "; nothing was sent", "content_blocked", "messages")
    headers = {"content-type": "application/json"}
    url = f"{upstream}/chat/completions"
    if body.get("stream"):
        return await _stream(request, url, screened.body, headers, (user_id, tool_id, today))
    async with httpx.AsyncClient(timeout=UPSTREAM_TIMEOUT) as client:
        try:
            r = await client.post(url, json=screened.body, headers=headers)
        except httpx.HTTPError as exc:
            return _error(502, f"the tool's service did not answer ({type(exc).__name__})", "upstream_unavailable")
    try:
        answer = r.json()
    except ValueError:
        return _error(502, "the tool's service answered with something other than JSON", "upstream_invalid")
    if r.status_code < 400 and isinstance(answer, dict):
        await run_in_threadpool(_add_tokens, request, user_id, tool_id, today, answer.get("usage"))
    return JSONResponse(answer, status_code=r.status_code)


async def _stream(request: Request, url: str, body: dict, headers: dict, who: tuple):
    """Open the upstream stream first (an error there is an error here), then pass its server-sent events through
    as they come; the last `usage` seen is counted at the end."""
    client = httpx.AsyncClient(timeout=UPSTREAM_TIMEOUT)
    try:
        upstream = await client.send(client.build_request("POST", url, json=body, headers=headers), stream=True)
    except httpx.HTTPError as exc:
        await client.aclose()
        return _error(502, f"the tool's service did not answer ({type(exc).__name__})", "upstream_unavailable")
    if upstream.status_code >= 400:
        content = await upstream.aread()
        await upstream.aclose()
        await client.aclose()
        return JSONResponse(json.loads(content or b"{}"), status_code=upstream.status_code)

    async def relay():
        usage, counted = None, False
        try:
            async for line in upstream.aiter_lines():
                if line.startswith("data: ") and '"usage"' in line:
                    with contextlib.suppress(ValueError, AttributeError):
                        usage = json.loads(line[6:]).get("usage") or usage
                if line.strip() == "data: [DONE]" and not counted:  # counted before the client hears the end
                    counted = True
                    await run_in_threadpool(_add_tokens, request, *who[:2], who[2], usage)
                yield (line + "\n").encode("utf-8")
        finally:
            await upstream.aclose()
            await client.aclose()
            if not counted:  # the stream ended without [DONE] (or the client went away): count what was seen
                await run_in_threadpool(_add_tokens, request, *who[:2], who[2], usage)

    return StreamingResponse(relay(), media_type="text/event-stream")
