"""GenAI access requests and grants (docs/genai.md, "Access"). An employee asks for a tool with a purpose
(`genai.access.request`); the request goes to their supervisor (identity/supervisors.py), who alone approves or
declines it (`genai.access.approve`, and being that person). A grant is made only when the tool's state allows it
(approved or conditionally approved today), the tool's courses are current (training.current) and the current
rules of behavior (and at least the tool's version) are acknowledged; it runs one year (the yearly
re-attestation: the supervisor renews it). A grant is usable on a day only while it is active, unexpired, the
tool not revoked, the courses current and the rules acknowledged: `check` says so, with the reasons in words, for
the gateway and the pages; `suspend_lapsed` records the suspensions of grants whose conditions lapsed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from raigov.audit.service import record
from raigov.db.base import utcnow
from raigov.domains import TaskItem
from raigov.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from raigov.genai.catalog import get_tool, list_tools, state_on
from raigov.genai.models import AccessRequest, Grant, Tool
from raigov.genai.rules import acknowledged_version, current_rules
from raigov.identity.models import OrgUnit, Supervision, User
from raigov.identity.permissions import Actor, require
from raigov.identity.supervisors import supervisor_of
from raigov.inventory.access import readable
from raigov.training import service as training
from raigov.training.courses import Course, courses

GRANT_MONTHS = 12
MAX_PURPOSE = 2000


@dataclass(frozen=True)
class Check:
    """May the person use the tool on the day? `reasons`: why not, in words (empty when allowed)."""

    allowed: bool
    reasons: tuple[str, ...] = ()
    grant_id: int | None = None


def blockers(session: Session, user_id: int, tool: Tool, today: dt.date) -> list[str]:
    """What stands between the person and a grant of `tool` today, in words (empty: nothing)."""
    out = []
    st = state_on(tool, today)
    if st is None or st.state == "revoked":
        out.append(f"{tool.name} is not approved for use" + (f" (revoked: {st.reason})" if st else ""))
    cur = current_rules(session)
    needed = max(cur.version if cur else 0, tool.rules_version or 0)
    if needed:
        have = acknowledged_version(session, user_id) or 0
        if have < needed:
            out.append(f"the rules of behavior (version {needed}) are not acknowledged")
    elif tool.rules_version:
        out.append("no rules of behavior are published")
    missing = training.current(session, user_id, tool.courses, today).missing
    out += [f"the course '{courses()[c].title if c in courses() else c}' is not current" for c in missing]
    return out


def _expiry(today: dt.date) -> dt.date:
    """A grant made today runs GRANT_MONTHS months (the same rule as a course's validity)."""
    return Course("grant", "grant", "all", GRANT_MONTHS).expires_on(today)


def check(session: Session, user_id: int, tool: Tool, today: dt.date) -> Check:
    """May the person use `tool` on `today`? A grant, active, unexpired, and nothing in `blockers`."""
    g = session.scalar(select(Grant).where(Grant.user_id == user_id, Grant.tool_id == tool.id))
    if g is None:
        return Check(False, ("no grant: ask for access (your supervisor approves it)",))
    reasons = []
    if g.status != "active":
        reasons.append(f"the grant is suspended: {g.suspended_reason}")
    if g.expires_on < today:
        reasons.append(f"the grant expired on {g.expires_on.isoformat()} (the yearly re-attestation is due)")
    reasons += blockers(session, user_id, tool, today)
    return Check(not reasons, tuple(reasons), g.id)


def _pending(session: Session, user_id: int, tool_id: int) -> AccessRequest | None:
    return session.scalar(select(AccessRequest).where(AccessRequest.user_id == user_id, AccessRequest.tool_id == tool_id,
                                                      AccessRequest.status == "pending"))


def request_access(session: Session, actor: Actor, tool_key: str, purpose: str, today: dt.date) -> AccessRequest:
    """The actor asks for `tool_key` with a purpose; the request goes to their supervisor."""
    require(actor, "genai.access.request")
    if actor.user_id is None:
        raise ValidationFailed.one("tool", "only a person asks for access")
    tool = get_tool(session, tool_key)
    purpose = (purpose or "").strip()
    if len(purpose) < 10:
        raise ValidationFailed.one("purpose", "say what you will use the tool for (at least 10 characters)", "missing")
    if len(purpose) > MAX_PURPOSE:
        raise ValidationFailed.one("purpose", f"at most {MAX_PURPOSE:,} characters", "too_long")
    st = state_on(tool, today)
    if st is None or st.state == "revoked":
        raise ValidationFailed.one("tool", f"{tool.name} is not approved for use", "revoked")
    boss = supervisor_of(session, actor.user_id)
    if boss is None:
        raise ValidationFailed.one("tool", "you have no supervisor on record: ask an administrator to set one",
                                   "no_supervisor")
    if _pending(session, actor.user_id, tool.id) is not None:
        raise Conflict(f"tool: you already asked for {tool.name}; your supervisor has not decided yet",
                       errors=[FieldError("tool", f"you already asked for {tool.name}", "pending")])
    req = AccessRequest(user_id=actor.user_id, tool_id=tool.id, supervisor_id=boss.id, purpose=purpose)
    session.add(req)
    session.flush()
    record(session, actor, "genai.access.request", "genai_request", req.id,
           details={"tool": tool.key, "supervisor": boss.username})
    return req


def _request_for(session: Session, actor: Actor, request_id: int) -> AccessRequest:
    require(actor, "genai.access.approve")
    req = session.get(AccessRequest, request_id)
    if req is None:
        raise NotFound(f"request: no access request {request_id}")
    if req.supervisor_id != actor.user_id:
        raise PermissionDenied("only the requester's supervisor decides this request")
    return req


def decide(session: Session, actor: Actor, request_id: int, approve: bool, note: str, today: dt.date) -> AccessRequest:
    """The supervisor approves (a grant for a year, or a renewal) or declines a pending request. Approving is
    refused (409, the reasons in words) while the tool is not approved, a course is not current or the rules are
    not acknowledged: the request stays pending."""
    req = _request_for(session, actor, request_id)
    if req.status != "pending":
        raise Conflict(f"request: already {req.status}")
    tool = session.get(Tool, req.tool_id)
    requester = session.get(User, req.user_id)
    if approve:
        reasons = blockers(session, req.user_id, tool, today)
        if reasons:
            raise Conflict("request: no grant yet: " + "; ".join(reasons),
                           errors=[FieldError("request", r, "prerequisite") for r in reasons])
        g = session.scalar(select(Grant).where(Grant.user_id == req.user_id, Grant.tool_id == tool.id))
        if g is None:
            g = Grant(user_id=req.user_id, tool_id=tool.id, request_id=req.id, granted_on=today)
            session.add(g)
        g.request_id, g.status, g.granted_on, g.expires_on = req.id, "active", today, _expiry(today)
        g.suspended_at, g.suspended_reason = None, ""
    req.status, req.decided_at, req.note = ("approved" if approve else "declined"), utcnow(), (note or "").strip()
    session.flush()
    if approve:
        record(session, actor, "genai.access.approve", "genai_request", req.id,
               details={"tool": tool.key, "user": requester.username, "expires_on": g.expires_on.isoformat()})
    else:
        record(session, actor, "genai.access.decline", "genai_request", req.id,
               details={"tool": tool.key, "user": requester.username})
    return req


def renew(session: Session, actor: Actor, grant_id: int, today: dt.date) -> Grant:
    """The yearly re-attestation: the holder's supervisor renews the grant for a year from today (which also
    lifts a suspension), under the same conditions as a first grant."""
    require(actor, "genai.access.approve")
    g = session.get(Grant, grant_id)
    if g is None:
        raise NotFound(f"grant: no grant {grant_id}")
    boss = supervisor_of(session, g.user_id)
    if boss is None or boss.id != actor.user_id:
        raise PermissionDenied("only the holder's supervisor re-attests a grant")
    tool = session.get(Tool, g.tool_id)
    reasons = blockers(session, g.user_id, tool, today)
    if reasons:
        raise Conflict("grant: not renewed: " + "; ".join(reasons),
                       errors=[FieldError("grant", r, "prerequisite") for r in reasons])
    g.status, g.expires_on, g.suspended_at, g.suspended_reason = "active", _expiry(today), None, ""
    session.flush()
    record(session, actor, "genai.grant.renew", "genai_grant", g.id,
           details={"tool": tool.key, "user": session.get(User, g.user_id).username, "expires_on": g.expires_on.isoformat()})
    return g


def suspend_lapsed(session: Session, actor: Actor, today: dt.date) -> list[dict]:
    """Record the suspension of every active grant whose conditions lapsed (expired, tool revoked, course not
    current, rules not acknowledged), with the reasons; one audit event per grant. `raigov genai suspend-lapsed`."""
    require(actor, "genai.grant.suspend")
    out = []
    rows = session.execute(select(Grant, Tool, User.username).join(Tool, Tool.id == Grant.tool_id)
                           .join(User, User.id == Grant.user_id).options(selectinload(Tool.states))
                           .where(Grant.status == "active").order_by(Grant.id)).all()
    for g, tool, name in rows:
        c = check(session, g.user_id, tool, today)
        if c.allowed:
            continue
        g.status, g.suspended_at, g.suspended_reason = "suspended", utcnow(), "; ".join(c.reasons)
        record(session, actor, "genai.grant.suspend", "genai_grant", g.id,
               details={"tool": tool.key, "user": name, "reason": g.suspended_reason})
        out.append({"grant": g.id, "tool": tool.key, "user": name, "reasons": list(c.reasons)})
    session.flush()
    return out


# ---------------------------------------------------------------- reads for the pages, the API and the CLI


def request_out(r: AccessRequest, user: User, supervisor: User | None = None) -> dict:
    return {"id": r.id, "tool": r.tool.key, "tool_name": r.tool.name, "user": user.username,
            "user_name": user.display_name, "supervisor": supervisor.username if supervisor else None,
            "purpose": r.purpose, "status": r.status, "requested_at": r.requested_at, "decided_at": r.decided_at,
            "note": r.note}


def my_tools(session: Session, actor: Actor, today: dt.date) -> list[dict]:
    """Every tool of the catalog with the actor's standing: their grant (and whether usable today), their latest
    request, and what stands between them and a grant."""
    if actor.user_id is None:
        raise ValidationFailed.one("user", "only a person has tools")
    me = session.get(User, actor.user_id)
    grants = {g.tool_id: g for g in session.scalars(select(Grant).where(Grant.user_id == actor.user_id))}
    latest: dict[int, AccessRequest] = {}
    for r in session.scalars(select(AccessRequest).where(AccessRequest.user_id == actor.user_id).order_by(AccessRequest.id)):
        latest[r.tool_id] = r
    tools = {t.key: t for t in session.scalars(select(Tool).options(selectinload(Tool.states)))}
    out = []
    for t in list_tools(session, today):
        tool = tools[t["id"]]
        g = grants.get(tool.id)
        c = check(session, actor.user_id, tool, today) if g else None
        r = latest.get(tool.id)
        out.append({**t, "grant": None if g is None else {
            "id": g.id, "status": g.status, "usable": c.allowed, "reasons": list(c.reasons), "granted_on": g.granted_on,
            "expires_on": g.expires_on}, "request": request_out(r, me) if r else None,
            "blockers": blockers(session, actor.user_id, tool, today)})
    return out


def waiting_for(session: Session, actor: Actor, today: dt.date) -> list[dict]:
    """The pending requests the actor decides (as supervisor), oldest first, each with what would block a grant."""
    require(actor, "genai.access.approve")
    rows = session.execute(select(AccessRequest, User).join(User, User.id == AccessRequest.user_id)
                           .options(selectinload(AccessRequest.tool).selectinload(Tool.states))
                           .where(AccessRequest.supervisor_id == actor.user_id, AccessRequest.status == "pending")
                           .order_by(AccessRequest.requested_at, AccessRequest.id)).all()
    return [{**request_out(r, u), "blockers": blockers(session, u.id, r.tool, today)} for r, u in rows]


def reports_grants(session: Session, actor: Actor, today: dt.date) -> list[dict]:
    """The grants of the people the actor supervises (to re-attest each year)."""
    rows = session.execute(select(Grant, User).join(User, User.id == Grant.user_id)
                           .join(Supervision, Supervision.user_id == User.id)
                           .options(selectinload(Grant.tool).selectinload(Tool.states))
                           .where(Supervision.supervisor_id == actor.user_id).order_by(User.username, Grant.id)).all()
    return [_grant_row(session, g, u, None, today) for g, u in rows]


def _grant_row(session: Session, g: Grant, u: User, unit: str | None, today: dt.date) -> dict:
    c = check(session, u.id, g.tool, today)
    return {"id": g.id, "tool": g.tool.key, "tool_name": g.tool.name, "user": u.username, "user_name": u.display_name,
            "component": unit, "status": g.status, "usable": c.allowed, "reasons": list(c.reasons),
            "granted_on": g.granted_on, "expires_on": g.expires_on}


def all_grants(session: Session, actor: Actor, today: dt.date, tool: str | None = None,
               component: str | None = None) -> list[dict]:
    """Every grant the actor may read (`genai.grant.read`, by the holder's component), by tool and component."""
    require(actor, "genai.grant.read")
    scope = readable(session, actor, "genai.grant.read")
    stmt = (select(Grant, User, OrgUnit.code).join(User, User.id == Grant.user_id)
            .outerjoin(OrgUnit, OrgUnit.id == User.org_unit_id)
            .options(selectinload(Grant.tool).selectinload(Tool.states))
            .where(scope.where_unit(User.org_unit_id)))
    if tool:
        stmt = stmt.where(Grant.tool_id == get_tool(session, tool).id)
    if component:
        stmt = stmt.where(OrgUnit.code == component)
    rows = session.execute(stmt.order_by(Grant.tool_id, OrgUnit.code, User.username)).all()
    return [_grant_row(session, g, u, code, today) for g, u, code in rows]


def requests_task(session: Session, actor: Actor, today: dt.date) -> list[TaskItem]:
    """The home page's task: each request waiting for the actor's decision (due: a week after it was asked)."""
    if actor.user_id is None:
        return []
    rows = session.execute(select(AccessRequest.id, AccessRequest.requested_at, User.display_name, Tool.name)
                           .join(User, User.id == AccessRequest.user_id).join(Tool, Tool.id == AccessRequest.tool_id)
                           .where(AccessRequest.supervisor_id == actor.user_id, AccessRequest.status == "pending")
                           .order_by(AccessRequest.requested_at)).all()
    items = []
    for rid, at, who, tool_name in rows:
        due = at.date() + dt.timedelta(days=7)
        items.append(TaskItem(f"{who} asks for {tool_name}", f"/genai/requests#request-{rid}", due, due < today))
    return items
