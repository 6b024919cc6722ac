"""The GenAI tool catalog (docs/genai.md, "Tool catalog"): each tool with the data class it is cleared for (a
class of the guard's policy), its terms-of-service amendment, its prerequisites (courses of the training ledger,
the lowest rules-of-behavior version) and its upstream address (the gateway forwards there), and its state over
time: approved, conditionally approved or revoked, each from an effective date. The CAIO's office changes a
state (`genai.tool.manage`); a revocation in effect suspends every grant of the tool at once and sends each
holder a notice through the jobs' outbox."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from raigov.audit.service import record
from raigov.db.base import utcnow
from raigov.errors import Conflict, FieldError, NotFound, ValidationFailed
from raigov.genai.guard.policy import default_policy
from raigov.genai.models import Grant, Tool, ToolState
from raigov.identity.models import User
from raigov.identity.permissions import Actor, require
from raigov.jobs.clocks import ESCALATION, DueNotice, Recipient
from raigov.jobs.outbox import insert_notices, notice_rows, user_emails
from raigov.training.courses import courses

STATES = ("approved", "conditional", "revoked")
STATE_WORDS = {"approved": "Approved", "conditional": "Conditionally approved", "revoked": "Revoked",
               None: "Not yet in effect"}
KEY = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")


def get_tool(session: Session, key: str, field: str = "tool") -> Tool:
    tool = session.scalar(select(Tool).options(selectinload(Tool.states)).where(Tool.key == (key or "").strip()))
    if tool is None:
        known = ", ".join(session.scalars(select(Tool.key).order_by(Tool.key))) or "none"
        raise NotFound(f"{field}: unknown tool {key!r}; known tools: {known}",
                       errors=[FieldError(field, f"unknown tool {key!r}; known tools: {known}", "not_found")])
    return tool


def state_on(tool: Tool, day: dt.date) -> ToolState | None:
    """The tool's state row in effect on `day` (the latest effective on or before it; recorded later wins a
    tie); None before its first state."""
    rows = [s for s in tool.states if s.effective_on <= day]
    return max(rows, key=lambda s: (s.effective_on, s.id)) if rows else None


def tool_out(tool: Tool, today: dt.date) -> dict:
    st = state_on(tool, today)
    upcoming = sorted((s for s in tool.states if s.effective_on > today), key=lambda s: (s.effective_on, s.id))
    return {"id": tool.key, "name": tool.name, "data_class": tool.data_class, "tos_amendment": tool.tos_amendment,
            "courses": list(tool.courses), "rules_version": tool.rules_version, "upstream_url": tool.upstream_url,
            "state": st.state if st else None, "state_words": STATE_WORDS[st.state if st else None],
            "effective_on": st.effective_on if st else None, "conditions": st.reason if st else "",
            "upcoming": [{"state": s.state, "effective_on": s.effective_on} for s in upcoming],
            "history": [{"state": s.state, "effective_on": s.effective_on, "reason": s.reason,
                         "recorded_by": s.recorded_by} for s in tool.states]}


def list_tools(session: Session, today: dt.date) -> list[dict]:
    """Every tool of the catalog with its state today (every signed-in person may read the catalog)."""
    tools = session.scalars(select(Tool).options(selectinload(Tool.states)).order_by(Tool.name))
    return [tool_out(t, today) for t in tools]


def _check(data_class: str, course_ids, rules_version, upstream_url) -> None:
    classes = default_policy().classes
    if data_class not in classes:
        raise ValidationFailed.one("data_class", f"one of {', '.join(classes)} (the guard's policy)")
    unknown = [c for c in course_ids if c not in courses()]
    if unknown:
        raise ValidationFailed.one("courses", f"unknown course(s) {', '.join(unknown)}; courses: {', '.join(courses())}")
    if rules_version is not None and (not isinstance(rules_version, int) or rules_version < 1):
        raise ValidationFailed.one("rules_version", "a version number from 1")
    if upstream_url and not re.match(r"^https?://[^\s/]+", upstream_url):
        raise ValidationFailed.one("upstream_url", "an http:// or https:// address")


def create_tool(session: Session, actor: Actor, key: str, name: str, data_class: str, *, today: dt.date,
                tos_amendment: str = "", course_ids=(), rules_version: int | None = None,
                upstream_url: str | None = None, state: str = "approved", conditions: str = "") -> Tool:
    """Add a tool to the catalog, in `state` from today."""
    require(actor, "genai.tool.manage")
    key = (key or "").strip().lower()
    if not KEY.match(key):
        raise ValidationFailed.one("id", "2 to 40 lower-case letters, digits, dots, dashes or underscores")
    if not (name or "").strip():
        raise ValidationFailed.one("name", "the tool needs a name", "missing")
    if state not in STATES:
        raise ValidationFailed.one("state", f"one of {', '.join(STATES)}")
    course_ids = list(dict.fromkeys(course_ids))
    _check(data_class, course_ids, rules_version, upstream_url)
    if session.scalar(select(Tool.id).where(Tool.key == key)) is not None:
        raise Conflict(f"id: a tool {key!r} exists already", errors=[FieldError("id", f"a tool {key!r} exists already")])
    tool = Tool(key=key, name=name.strip(), data_class=data_class, tos_amendment=(tos_amendment or "").strip(),
                courses=course_ids, rules_version=rules_version, upstream_url=upstream_url or None)
    session.add(tool)
    session.flush()
    session.add(ToolState(tool_id=tool.id, state=state, effective_on=today, reason=(conditions or "").strip(),
                          recorded_by=actor.label))
    session.flush()
    record(session, actor, "genai.tool.create", "genai_tool", key,
           details={"name": tool.name, "data_class": data_class, "courses": course_ids, "rules_version": rules_version,
                    "upstream_url": tool.upstream_url, "state": state, "effective_on": today.isoformat()})
    session.refresh(tool)
    return tool


def set_state(session: Session, actor: Actor, key: str, state: str, effective_on: dt.date, reason: str,
              today: dt.date, base_url: str = "") -> dict:
    """Put a tool in `state` from `effective_on` (not before today), with a reason (required to revoke or to
    approve with conditions: the conditions). A revocation in effect today suspends every active grant of the
    tool and notifies each holder; one dated later takes effect on that date (the access check reads the state
    of the day, and `suspend_lapsed` records the suspensions)."""
    require(actor, "genai.tool.manage")
    tool = get_tool(session, key)
    if state not in STATES:
        raise ValidationFailed.one("state", f"one of {', '.join(STATES)}")
    if effective_on < today:
        raise ValidationFailed.one("effective_on", "a state takes effect today or later, never in the past")
    if state in ("revoked", "conditional") and not (reason or "").strip():
        what = "why it is revoked" if state == "revoked" else "the conditions"
        raise ValidationFailed.one("reason", f"say {what}", "missing")
    session.add(ToolState(tool_id=tool.id, state=state, effective_on=effective_on, reason=reason.strip(),
                          recorded_by=actor.label))
    session.flush()
    session.refresh(tool)
    suspended = []
    if state == "revoked" and effective_on <= today:
        suspended = suspend_grants(session, actor, tool, f"the tool was revoked: {reason.strip()}", today, base_url)
    record(session, actor, "genai.tool.change", "genai_tool", tool.key,
           details={"state": state, "effective_on": effective_on.isoformat(), "reason": reason.strip(),
                    "suspended_grants": len(suspended)})
    return {"tool": tool_out(tool, today), "suspended": suspended}


def suspend_grants(session: Session, actor: Actor, tool: Tool, reason: str, today: dt.date, base_url: str = "") -> list[str]:
    """Suspend every active grant of `tool` now and send each holder a notice; the holders' user names."""
    grants = session.execute(select(Grant, User.username).join(User, User.id == Grant.user_id)
                             .where(Grant.tool_id == tool.id, Grant.status == "active")
                             .order_by(User.username)).all()
    now = utcnow()
    for g, _ in grants:
        g.status, g.suspended_at, g.suspended_reason = "suspended", now, reason
    names = [name for _, name in grants]
    if names:
        session.flush()
        record(session, actor, "genai.grant.suspend", "genai_tool", tool.key,
               details={"reason": reason, "holders": len(names)})
        notify(session, [DueNotice(f"genai_grant:{g.id}:suspended:{today.isoformat()}", "genai_access", ESCALATION,
                                   (Recipient(name, "grant holder"),),
                                   f"Your access to {tool.name} is suspended",
                                   f"Your access to {tool.name} was suspended on {today.isoformat()}: {reason}.\n"
                                   f"{base_url.rstrip('/')}/genai/tools\n", "genai_grant", str(g.id), today)
                         for g, name in grants])
    return names


def notify(session: Session, due: list[DueNotice]) -> list[str]:
    """Put notices in the jobs' outbox now (the next `raigov jobs run` sends them); each key once."""
    return insert_notices(session, notice_rows(due, user_emails(session), utcnow()))
