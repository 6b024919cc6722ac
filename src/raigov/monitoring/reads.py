"""Monitoring as the gate, the status and the pages read it. Nothing here writes, and nothing here loads
NumPy (the gate reads it for every answer)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from raigov.clock import agency_today
from raigov.governance import gate as G
from raigov.monitoring.models import Incident, Monitor, MonitorAlert, MonitorWindow

METRIC_WORDS = {"psi": "PSI", "chi2_p_adjusted": "chi-square p (Benjamini-Hochberg adjusted)",
                "selection_rate_ratio": "selection-rate ratio", "fmr_max_min_ratio": "FMR max/min ratio",
                "fnmr_max_min_ratio": "FNMR max/min ratio"}


def _num(x: float) -> str:
    return f"{x:.4g}"


def alert_words(a: MonitorAlert, start: dt.date | None, end: dt.date | None) -> str:
    """One alert in plain words: metric, feature (or group), value against threshold, window."""
    what = METRIC_WORDS.get(a.metric, a.metric)
    on = f"group '{a.group_name}'" if a.group_name else f"'{a.feature}'"
    if a.metric in ("fmr_max_min_ratio", "fnmr_max_min_ratio"):
        on = f"the groups (highest: '{a.group_name}')"
    cmp = "below" if a.metric in ("chi2_p_adjusted", "selection_rate_ratio") else "above"
    when = f" in the window {start.isoformat()} to {end.isoformat()}" if start and end else ""
    return f"{what} of {on} {_num(a.value)} {cmp} {_num(a.threshold)}{when}"


def due_on(mon: Monitor, last_end: dt.date | None) -> dt.date:
    """The date by which the next window is due: the last window's end (or the monitor's start) plus the
    cadence and the grace days."""
    return (last_end or mon.starts_on) + dt.timedelta(days=mon.cadence_days + mon.grace_days)


def last_windows(session: Session, monitor_ids: list[int]) -> dict[int, dt.date]:
    if not monitor_ids:
        return {}
    return dict(session.execute(select(MonitorWindow.monitor_id, func.max(MonitorWindow.period_end))
                                .where(MonitorWindow.monitor_id.in_(monitor_ids))
                                .group_by(MonitorWindow.monitor_id)).all())


def gate_states(session: Session, use_case_id: int) -> tuple[list[G.MonitorState], list[G.SuspensionState]]:
    """The gate's view of the use case's monitors and suspensions (three small queries; none when the use
    case has no monitor and no incident)."""
    mons = list(session.scalars(select(Monitor).where(Monitor.use_case_id == use_case_id).order_by(Monitor.name)))
    states = []
    if mons:
        last = last_windows(session, [m.id for m in mons])
        alerts: dict[int, list[str]] = {}
        for a, start, end in session.execute(
                select(MonitorAlert, MonitorWindow.period_start, MonitorWindow.period_end)
                .join(MonitorWindow, MonitorWindow.id == MonitorAlert.last_window_id)
                .where(MonitorAlert.use_case_id == use_case_id, MonitorAlert.status == "open",
                       MonitorAlert.severity == "high").order_by(MonitorAlert.id)):
            alerts.setdefault(a.monitor_id, []).append(alert_words(a, start, end))
        states = [G.MonitorState(m.name, m.cadence, due_on(m, last.get(m.id)), last.get(m.id), alerts.get(m.id, []))
                  for m in mons]
    susp = [G.SuspensionState(i.id, i.title, agency_today(now=i.suspended_at), i.suspended_by.split(":", 1)[-1],
                              i.suspend_reason or "")
            for i in session.scalars(select(Incident).where(Incident.use_case_id == use_case_id,
                                                            Incident.suspended_at.is_not(None),
                                                            Incident.lifted_at.is_(None)).order_by(Incident.id))]
    return states, susp
