"""The monitoring tables: monitors (configuration as data, the reference profile's counts), the windows
received (their counts and the metrics computed against the reference), alerts (each an item the use case's
reviewers close with a note), incidents (which may suspend a use case) and their corrective actions."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from raigov.db.base import Base, JSONType, UTCDateTime, utcnow


class Monitor(Base):
    """A monitor of a deployed model. `spec` is the reference profile's bins (``profile.Spec.as_dict()``),
    `reference` its counts per feature (``{feature: [count per bin]}``), fixed once at creation; `rules` the
    alert rules (``rules.DEFAULT_RULES`` unless overridden); `cadence_days`: a window is expected every so
    many days (plus `grace_days`)."""

    __tablename__ = "monitors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    cadence: Mapped[str] = mapped_column(String(20), nullable=False)  # daily | weekly | monthly
    cadence_days: Mapped[int] = mapped_column(Integer, nullable=False)
    grace_days: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    config: Mapped[dict] = mapped_column(JSONType, nullable=False)  # numeric, categorical, group, label, prediction
    rules: Mapped[dict] = mapped_column(JSONType, nullable=False)
    spec: Mapped[dict] = mapped_column(JSONType, nullable=False)
    reference: Mapped[dict] = mapped_column(JSONType, nullable=False)
    reference_rows: Mapped[int] = mapped_column(Integer, nullable=False)
    reference_name: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    starts_on: Mapped[date] = mapped_column(Date, nullable=False)  # the first window is due a cadence after
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("use_case_id", "name"),)


class MonitorWindow(Base):
    """One window of production data, as counts on the monitor's bins, and its metrics (`results`)."""

    __tablename__ = "monitor_windows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    monitor_id: Mapped[int] = mapped_column(ForeignKey("monitors.id"), nullable=False)
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    period_end: Mapped[date] = mapped_column(Date, nullable=False)
    rows: Mapped[int] = mapped_column(Integer, nullable=False)
    counts: Mapped[dict] = mapped_column(JSONType, nullable=False)  # {features: {name: [..]}, outcomes: {group: [tp,fp,fn,tn]}}
    results: Mapped[dict] = mapped_column(JSONType, nullable=False)  # {features: [...], fairness: {...} | None}
    drift: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    source: Mapped[str] = mapped_column(String(20), nullable=False)  # file | api
    received_by: Mapped[str] = mapped_column(String(200), nullable=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("monitor_id", "period_start"),
                      Index("ix_monitor_windows_monitor_id_period_end", "monitor_id", "period_end"))


class MonitorAlert(Base):
    """An alert: which rule fired on which window, with its value, threshold, the threshold's source and the
    sample sizes. Open until a reviewer of the use case closes it with a note. Raised once per state change:
    while an alert of the same monitor, feature and metric is open, a new window updates it (`last_window_id`,
    `value`; severity only rises)."""

    __tablename__ = "monitor_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    monitor_id: Mapped[int] = mapped_column(ForeignKey("monitors.id"), nullable=False)
    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id"), nullable=False)
    window_id: Mapped[int] = mapped_column(ForeignKey("monitor_windows.id"), nullable=False)
    last_window_id: Mapped[int] = mapped_column(ForeignKey("monitor_windows.id"), nullable=False)
    feature: Mapped[str] = mapped_column(String(200), nullable=False)
    group_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    metric: Mapped[str] = mapped_column(String(40), nullable=False)
    method: Mapped[str] = mapped_column(Text, nullable=False)
    value: Mapped[float] = mapped_column(Float, nullable=False)
    threshold: Mapped[float] = mapped_column(Float, nullable=False)
    threshold_source: Mapped[str] = mapped_column(Text, nullable=False)
    n_reference: Mapped[int] = mapped_column(Integer, nullable=False)
    n_current: Mapped[int] = mapped_column(Integer, nullable=False)
    severity: Mapped[str] = mapped_column(String(10), nullable=False)  # high | medium
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="open")  # open | closed
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    close_note: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (Index("ix_monitor_alerts_use_case_id_status", "use_case_id", "status"),)


class Incident(Base):
    """An AI incident of a use case: opened by hand or from its source (`source_kind`, `source_id`: a monitoring
    alert, an oversight alert, a reversed appeal or a public feedback report); while `suspended_at` is set and
    `lifted_at` is not, the use case is suspended (a gate reason)."""

    __tablename__ = "monitor_incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id"), nullable=False)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("monitor_alerts.id"), nullable=True)
    # where it came from (incidents.SOURCES): monitor_alert | oversight_alert | appeal | feedback; None: by hand
    source_kind: Mapped[str | None] = mapped_column(String(20), nullable=True)
    source_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    what_happened: Mapped[str] = mapped_column(Text, nullable=False)
    affected: Mapped[str] = mapped_column(Text, nullable=False, default="")
    severity: Mapped[str] = mapped_column(String(10), nullable=False)  # high | medium | low
    containment: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="open")  # open | closed
    opened_by: Mapped[str] = mapped_column(String(200), nullable=False)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    suspended_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    suspend_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    lifted_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    close_note: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (Index("ix_monitor_incidents_use_case_id_status", "use_case_id", "status"),)


class CorrectiveAction(Base):
    """A corrective action of an incident: what, who, by when; `done_on` once done."""

    __tablename__ = "monitor_incident_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("monitor_incidents.id"), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    owner: Mapped[str] = mapped_column(String(200), nullable=False)
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    done_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
