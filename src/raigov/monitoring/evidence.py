"""The monitoring report stored as evidence (a service: it writes through the governance evidence service,
under the permission ``monitoring.report.store``, with the audit events ``governance.evidence.attach`` and
``monitoring.report.store``): on demand (`raigov monitor report --store`, the
monitor page's button) or monthly (``monthly_reports``, run by `raigov jobs run`: the previous month's report of
every monitor of an active use case with at least one window, once). The PDF is attached to the use case, and
to its monitoring practice (``MONITORING_PRACTICE``) when the use case has that practice."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from raigov.audit.canonical import sha256_json
from raigov.audit.service import record
from raigov.config import Settings
from raigov.db.base import utcnow
from raigov.governance.models import Evidence, Practice
from raigov.governance.practices import service as practices
from raigov.identity.permissions import Actor
from raigov.inventory.models import UseCase
from raigov.inventory.vocab import UseCaseStatus
from raigov.monitoring import report, views
from raigov.monitoring.models import Monitor, MonitorWindow

MONITORING_PRACTICE = "M-25-21.4(b)(iii)"  # M-25-21 App. §4(b)(iii): ongoing monitoring


def store_report(session: Session, actor: Actor, settings: Settings, monitor_id: int, *,
                 month: str | None = None) -> Evidence:
    """Render the monitor's report as PDF and attach it as evidence (category "monitoring")."""
    rep = views.report(session, actor, monitor_id)
    uc = session.scalar(select(UseCase).where(UseCase.business_id == rep["monitor"]["use_case"]))
    has_practice = session.scalar(select(Practice.id).where(Practice.use_case_id == uc.id,
                                                            Practice.item == MONITORING_PRACTICE)) is not None
    now = utcnow()
    data = report.render_pdf(rep, now)
    what = f"{month} " if month else ""
    details = {"monitor": monitor_id, "month": month, "windows": len(rep["windows"]), "report_sha256": sha256_json(rep)}
    ev = practices.add_file(
        session, actor, settings, uc.business_id, data, filename=f"monitoring-report-{monitor_id}-{now:%Y%m%d}.pdf",
        title=f"Monitoring report {what}: {rep['monitor']['name']}".replace(" :", ":"), category="monitoring",
        practice=MONITORING_PRACTICE if has_practice else None, details=details, action="monitoring.report.store")
    record(session, actor, "monitoring.report.store", "monitor", str(monitor_id), {"evidence": ev.id, **details},
           {"evidence": ev.id, "use_case": uc.business_id, **details})
    return ev


def previous_month(today: dt.date) -> str:
    return (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")


def monthly_reports(session: Session, actor: Actor, settings: Settings, today: dt.date) -> list[int]:
    """The previous month's report of every monitor of an active use case that has a window, once per monitor
    and month (the stored evidence's ``details`` name both). Returns the new evidence ids."""
    month = previous_month(today)
    done = {(d.get("monitor"), d.get("month")) for d in session.scalars(
        select(Evidence.details).where(Evidence.category == "monitoring"))}
    with_windows = set(session.scalars(select(MonitorWindow.monitor_id).distinct()))
    out = []
    for mon in session.scalars(select(Monitor).join(UseCase, UseCase.id == Monitor.use_case_id)
                               .where(UseCase.status == UseCaseStatus.ACTIVE).order_by(Monitor.id)):
        if mon.id in with_windows and (mon.id, month) not in done:
            out.append(store_report(session, actor, settings, mon.id, month=month).id)
    return out
