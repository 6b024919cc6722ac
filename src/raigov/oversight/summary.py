"""The monthly oversight summary of a use case (issue #15 item 6), stored as evidence of its human-oversight and
monitoring practices: the month's decisions recorded and refused by kind and by day, the share with human review,
the override rate, per operator, notices, appeals and reversals, the trends per ISO week (the rates of
``trends.series``), and the oversight alerts of the month. Built from
the daily, operator and remedy counts and the alerts only (never the ledger). On demand (`raigov oversight summary
USE_CASE --month YYYY-MM [--store]`) or monthly (``monthly_summaries``, a chore of `raigov jobs run`: the previous
month, once per use case with decisions or refused attempts that month; a dry run runs no chore).

Storing writes through the governance evidence service under ``oversight.summary.store`` (audit events
``governance.evidence.attach`` and ``oversight.summary.store``); the PDF (summary_render.py) is what is stored,
as the evidence store refuses markup by design."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from raigov.audit.canonical import sha256_json
from raigov.audit.service import record
from raigov.config import Settings
from raigov.db.base import utcnow
from raigov.errors import ValidationFailed
from raigov.governance.models import Evidence, Practice
from raigov.governance.practices import service as practices
from raigov.identity.permissions import Actor, require
from raigov.inventory.access import component_of
from raigov.inventory.models import UseCase
from raigov.oversight import reads, remedy_counts, summary_render, trends
from raigov.oversight.models import Alert, DailyCount
from raigov.oversight.people import use_case

STORE = "oversight.summary.store"
KIND = "oversight_summary"  # Evidence.details["kind"]
# M-25-21 App. §4(b)(v) human oversight, intervention and accountability; §4(b)(iii) ongoing monitoring
PRACTICES = ("M-25-21.4(b)(v)", "M-25-21.4(b)(iii)")


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    """("YYYY-MM") -> its first and last day; ValidationFailed naming ``month`` otherwise."""
    try:
        start = dt.datetime.strptime(month, "%Y-%m").date()
    except (TypeError, ValueError):
        raise ValidationFailed.one("month", "a month, YYYY-MM") from None
    end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    return start, end


def previous_month(today: dt.date) -> str:
    return (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")


def _share(n: int, d: int) -> float | None:
    return round(n / d, 6) if d else None


def build(session: Session, actor: Actor, business_id: str, month: str) -> dict:
    """The summary's figures (oversight.decision.read on the use case). ``weeks``: the month's trends per ISO
    week (``trends.use_case_series``: the first and last weeks cut at the month), each with the counts and rates of
    the trends (review share, override rate, refused share, appeal rate, reversal rate)."""
    start, end = month_bounds(month)
    st = reads.stats(session, actor, business_id, start, end)
    uc = use_case(session, business_id)
    recorded = st["totals"]["recorded"]
    by = st["by_human_action"]
    alerts = [{"id": a.id, "kind": a.kind, "day": a.day.isoformat(), "status": a.status,
               "details": a.details} for a in session.scalars(
        select(Alert).where(Alert.use_case_id == uc.id, Alert.day >= start, Alert.day <= end)
        .order_by(Alert.day, Alert.id))]
    return {
        "use_case": uc.business_id, "use_case_name": uc.name, "component": component_of(uc), "month": month,
        "since": start.isoformat(), "until": end.isoformat(),
        "recorded": recorded, "refused": st["totals"]["refused"], "reviewed": st["reviewed"],
        "review_share": _share(st["reviewed"], recorded), "override_rate": st["override_rate"],
        "modified_rate": _share(by.get("modified", 0), st["reviewed"]),
        "by_human_action": by, "by_kind": st["by_kind"],
        "days": [{**d, "day": d["day"].isoformat()} for d in st["days"]],
        "weeks": [{**w, "start": w["start"].isoformat(), "end": w["end"].isoformat()}
                  for w in trends.use_case_series(session, uc.id, start, end, "week")],
        "by_operator": st.get("by_operator", []),
        "remedies": remedy_counts.stats(session, uc.id, start, end, today=end), "alerts": alerts,
    }


def store(session: Session, actor: Actor, settings: Settings, business_id: str, month: str) -> Evidence:
    """Render the month's summary as PDF and attach it as evidence (category "monitoring") of the use case and of
    its human-oversight and monitoring practices (those it has)."""
    uc = use_case(session, business_id)
    require(actor, STORE, component_of(uc))
    summary = build(session, actor, business_id, month)
    has = set(session.scalars(select(Practice.item).where(Practice.use_case_id == uc.id,
                                                          Practice.item.in_(PRACTICES))))
    items = [p for p in PRACTICES if p in has]
    now = utcnow()
    details = {"kind": KIND, "use_case": uc.business_id, "month": month, "recorded": summary["recorded"],
               "refused": summary["refused"], "summary_sha256": sha256_json(summary)}
    ev = practices.add_file(
        session, actor, settings, uc.business_id, summary_render.render_pdf(summary, now),
        filename=f"oversight-summary-{uc.business_id}-{month}.pdf", title=f"Oversight summary {month}: {uc.business_id}",
        category="monitoring", dated_on=month_bounds(month)[1], practice=items[0] if items else None,
        details=details, action=STORE, also=tuple(items[1:]))
    record(session, actor, STORE, "use_case", uc.business_id, {"evidence": ev.id, **details},
           {"evidence": ev.id, **details})
    return ev


def monthly_summaries(session: Session, actor: Actor, settings: Settings, today: dt.date) -> list[int]:
    """The previous month's summary of every use case with decisions (or refused attempts) that month, once per
    use case and month (the stored evidence's ``details`` name both). Returns the new evidence ids."""
    month = previous_month(today)
    start, end = month_bounds(month)
    done = {(d.get("use_case"), d.get("month")) for d in session.scalars(
        select(Evidence.details).where(Evidence.category == "monitoring")) if (d or {}).get("kind") == KIND}
    bids = session.scalars(select(UseCase.business_id).where(UseCase.id.in_(
        select(DailyCount.use_case_id).where(DailyCount.day >= start, DailyCount.day <= end).distinct()))
        .order_by(UseCase.business_id))
    return [store(session, actor, settings, bid, month).id for bid in bids if (bid, month) not in done]
