"""The guard gateway's rules (docs/genai.md, "Gateway"): in front of an agency's LLM, for an OpenAI-compatible
chat request naming a catalog tool in `model`: the grant is checked (`access.check`), every message's text is
screened with the guard for the tool's data class (block: refused; redact: forwarded redacted), one audit event
records the prompt's SHA-256 and the counts (never the text), and the usage is counted per person, tool and day
(requests, blocked requests, tokens: no text is kept). The HTTP part (forwarding, streaming) is the adapter's,
web/api/genai_gateway.py."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from raigov.audit.service import record
from raigov.errors import NotFound, PermissionDenied, ValidationFailed
from raigov.genai import access
from raigov.genai.guard.policy import ACTIONS
from raigov.genai.guard.scan import DEFAULT_MAX_CHARS, screen_text
from raigov.genai.models import Tool, Usage
from raigov.identity.models import User
from raigov.identity.permissions import Actor, require

MAX_MESSAGES = 500


@dataclass
class Screened:
    tool: Tool
    body: dict  # the request to forward (messages redacted where the policy says so)
    decision: str
    counts: dict[str, int] = field(default_factory=dict)
    blocked_types: list[str] = field(default_factory=list)


def _texts(messages) -> list[tuple[int, int | None, str]]:
    """(message index, part index or None, text) of every text in the messages (a string content, or the
    `text` parts of a list content)."""
    if not isinstance(messages, list) or not messages:
        raise ValidationFailed.one("messages", "a non-empty list of messages")
    if len(messages) > MAX_MESSAGES:
        raise ValidationFailed.one("messages", f"at most {MAX_MESSAGES} messages")
    out = []
    for i, m in enumerate(messages):
        if not isinstance(m, dict):
            raise ValidationFailed.one(f"messages.{i}", "each message is an object with a role and a content")
        content = m.get("content")
        if isinstance(content, str):
            out.append((i, None, content))
        elif isinstance(content, list):
            for j, part in enumerate(content):
                if isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str):
                    out.append((i, j, part["text"]))
        elif content is not None:
            raise ValidationFailed.one(f"messages.{i}.content", "a string or a list of parts")
    return out


def authorize(session: Session, actor: Actor, model: object, today: dt.date) -> Tool:
    """The catalog tool `model` names, when the actor may use it today (PermissionDenied with the reasons)."""
    require(actor, "genai.prompt.screen")
    if actor.user_id is None or actor.kind != "user":
        raise PermissionDenied("the gateway serves people with a grant, each with their own token")
    if not isinstance(model, str) or not model:
        raise ValidationFailed.one("model", "the tool's id from the catalog")
    tool = session.scalar(select(Tool).options(selectinload(Tool.states)).where(Tool.key == model))
    if tool is None:
        raise NotFound(f"model: no tool {model!r} in the catalog")
    c = access.check(session, actor.user_id, tool, today)
    if not c.allowed:
        raise PermissionDenied(f"no usable grant for {tool.name}: " + "; ".join(c.reasons))
    if not tool.upstream_url:
        raise NotFound(f"model: {tool.name} has no upstream address configured")
    return tool


def screen_request(session: Session, actor: Actor, tool: Tool, body: dict, settings=None) -> Screened:
    """Screen every text of the messages for the tool's data class; the body to forward, redacted where the
    policy says so; one audit event `genai.prompt.screen` (hash, tool, decision, counts)."""
    limit = settings.genai_max_prompt_chars if settings is not None else DEFAULT_MAX_CHARS
    texts = _texts(body.get("messages"))
    messages = json.loads(json.dumps(body["messages"]))
    decision, counts, blocked = "allow", Counter(), set()
    total = 0
    for i, j, text in texts:
        total += len(text)
        if not text.strip():
            continue
        r = screen_text(text, tool.key, max_chars=limit, data_class=tool.data_class)
        decision = max(decision, r["decision"], key=ACTIONS.index)
        counts.update(f["type"] for f in r["findings"])
        blocked |= {x["type"] for x in r["reasons"] if x["action"] == "block"}
        if r["decision"] != "allow":
            if j is None:
                messages[i]["content"] = r["redacted"]
            else:
                messages[i]["content"][j]["text"] = r["redacted"]
    if total > limit:
        raise ValidationFailed.one("messages", f"over {limit:,} characters in all")
    digest = hashlib.sha256(json.dumps([t for _, _, t in texts], ensure_ascii=False).encode("utf-8", "surrogatepass")
                            ).hexdigest()
    record(session, actor, "genai.prompt.screen", "prompt", digest,
           details={"sha256": digest, "chars": total, "tool": tool.key, "data_class": tool.data_class,
                    "decision": decision, "counts": dict(sorted(counts.items())), "via": "gateway"})
    return Screened(tool, {**body, "messages": messages}, decision, dict(sorted(counts.items())), sorted(blocked))


def count_usage(session: Session, user_id: int, tool_id: int, day: dt.date, *, blocked: bool = False,
                prompt_tokens: int = 0, completion_tokens: int = 0, request: bool = True) -> None:
    """Add to the person's count for the tool and day (numbers only)."""
    row = session.scalar(select(Usage).where(Usage.user_id == user_id, Usage.tool_id == tool_id, Usage.day == day)
                         .with_for_update())
    if row is None:
        row = Usage(user_id=user_id, tool_id=tool_id, day=day, requests=0, blocked=0, prompt_tokens=0,
                    completion_tokens=0)
        session.add(row)
    row.requests += 1 if request else 0
    row.blocked += 1 if blocked else 0
    row.prompt_tokens += max(0, int(prompt_tokens or 0))
    row.completion_tokens += max(0, int(completion_tokens or 0))
    session.flush()


def usage(session: Session, actor: Actor, day_from: dt.date | None = None) -> list[dict]:
    """The counts per person, tool and day (the CAIO's office: `genai.grant.read`)."""
    require(actor, "genai.grant.read")
    stmt = (select(Usage, User.username, Tool.key).join(User, User.id == Usage.user_id).join(Tool, Tool.id == Usage.tool_id)
            .order_by(Usage.day, User.username, Tool.key))
    if day_from:
        stmt = stmt.where(Usage.day >= day_from)
    return [{"day": u.day, "user": name, "tool": key, "requests": u.requests, "blocked": u.blocked,
             "prompt_tokens": u.prompt_tokens, "completion_tokens": u.completion_tokens}
            for u, name, key in session.execute(stmt)]
