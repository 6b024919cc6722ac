"""The GenAI clock of ``raigov jobs run`` (registered in genai/register.py): the yearly re-attestation of each
active grant (a reminder to the holder and their supervisor within REMINDER_DAYS of its expiry; an escalation
to both once it has expired, for ESCALATION_DAYS), and a notice to the holders of active grants when a revocation
dated in advance takes effect. One notice per event, keyed by the grant, the event and its date."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from raigov.genai.models import Grant, Tool, ToolState
from raigov.identity.models import Supervision, User
from raigov.jobs.clocks import ESCALATION, REMINDER, DueNotice, Recipient

REMINDER_DAYS = 30
ESCALATION_DAYS = 60
REVOCATION_DAYS = 7  # a revocation that took effect within this many days is still announced


def genai_due(session: Session, today: dt.date, settings) -> list[DueNotice]:
    base = (getattr(settings, "base_url", "") or "").rstrip("/")
    boss = aliased(User)
    rows = session.execute(
        select(Grant.id, Grant.expires_on, User.username, Tool.name, boss.username)
        .join(User, User.id == Grant.user_id).join(Tool, Tool.id == Grant.tool_id)
        .outerjoin(Supervision, Supervision.user_id == User.id).outerjoin(boss, boss.id == Supervision.supervisor_id)
        .where(Grant.status == "active", User.is_active,
               Grant.expires_on <= today + dt.timedelta(days=REMINDER_DAYS),
               Grant.expires_on >= today - dt.timedelta(days=ESCALATION_DAYS))
        .order_by(Grant.id)).all()
    out = []
    for gid, expires, name, tool, supervisor in rows:
        to = (Recipient(name, "grant holder"),) + ((Recipient(supervisor, "supervisor"),) if supervisor else ())
        if expires >= today:
            out.append(DueNotice(f"genai_grant:{gid}:expiring:{expires.isoformat()}", "genai_access", REMINDER, to,
                                 f"Access of {name} to {tool} ends on {expires.isoformat()}: re-attest it",
                                 f"The yearly re-attestation of {name}'s access to {tool} is due by "
                                 f"{expires.isoformat()}. The supervisor renews it on {base}/genai/requests\n",
                                 "genai_grant", str(gid), expires))
        else:
            out.append(DueNotice(f"genai_grant:{gid}:expired:{expires.isoformat()}", "genai_access", ESCALATION, to,
                                 f"Access of {name} to {tool} expired on {expires.isoformat()}",
                                 f"{name}'s access to {tool} expired on {expires.isoformat()} and is not usable until "
                                 f"the supervisor re-attests it on {base}/genai/requests\n", "genai_grant", str(gid),
                                 expires))
    revoked = session.execute(
        select(ToolState.effective_on, ToolState.reason, Tool.name, Grant.id, User.username)
        .join(Tool, Tool.id == ToolState.tool_id).join(Grant, Grant.tool_id == Tool.id).join(User, User.id == Grant.user_id)
        .where(ToolState.state == "revoked", Grant.status == "active",
               ToolState.effective_on <= today, ToolState.effective_on > today - dt.timedelta(days=REVOCATION_DAYS))
        .order_by(Grant.id)).all()
    for day, reason, tool, gid, name in revoked:
        out.append(DueNotice(f"genai_grant:{gid}:revoked:{day.isoformat()}", "genai_access", ESCALATION,
                             (Recipient(name, "grant holder"),), f"{tool} is revoked from {day.isoformat()}",
                             f"{tool} may not be used from {day.isoformat()}: {reason}\n{base}/genai/tools\n",
                             "genai_grant", str(gid), day))
    return out
