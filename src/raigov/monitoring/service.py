"""Monitors, windows and alerts: the only code that writes them (incidents: monitoring/incidents.py).

A monitor's configuration is data (features, group, label and prediction columns, cadence, alert rules) and
its reference profile is fixed once, at creation, as the mergeable counts of the core (profile.py). A window
arrives as a file (counted here, streamed) or as counts (``POST /api/v1/monitors/{id}/windows``); either way
it is checked against the monitor's bins (errors name the feature; nothing is written), its metrics are
computed against the reference (windows.evaluate) and the alert rules raise alerts. An alert is raised once
per state change: while an alert of the same monitor, feature and metric is open, a later window updates it.
An alert stays open until a reviewer of the use case closes it with a note; a high-severity open alert is a
reason of the gate (reads.gate_states), and the jobs' clock tells the owners and the component lead.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from raigov.audit.service import record
from raigov.clock import agency_today
from raigov.db.base import utcnow
from raigov.errors import Conflict, NotFound, ValidationFailed
from raigov.governance.common import clean, component_of
from raigov.identity.permissions import Actor, require
from raigov.inventory import service as inventory
from raigov.inventory.models import UseCase
from raigov.monitoring import biometric
from raigov.monitoring.models import Monitor, MonitorAlert, MonitorWindow

SEVERITY_RANK = {"medium": 1, "high": 2}


def _monitor(session: Session, monitor_id: int, lock: bool = False) -> tuple[Monitor, UseCase]:
    stmt = select(Monitor).where(Monitor.id == monitor_id)
    mon = session.scalar(stmt.with_for_update() if lock else stmt)
    if mon is None:
        raise NotFound(f"no monitor {monitor_id}")
    return mon, session.get(UseCase, mon.use_case_id)


def get_monitor(session: Session, actor: Actor, monitor_id: int) -> tuple[Monitor, UseCase]:
    mon, uc = _monitor(session, monitor_id)
    require(actor, "monitoring.monitor.read", component_of(uc))
    return mon, uc


def list_monitors(session: Session, actor: Actor, business_id: str) -> tuple[UseCase, list[Monitor]]:
    uc = inventory.get_use_case(session, actor, business_id)
    require(actor, "monitoring.monitor.read", component_of(uc))
    return uc, list(session.scalars(select(Monitor).where(Monitor.use_case_id == uc.id).order_by(Monitor.name)))


def create_monitor(session: Session, actor: Actor, business_id: str, *, name: str, reference: str,
                   numeric: list[str] = (), categorical: list[str] = (), cadence: str = "weekly",
                   grace_days: int = 0, bins: int = 10, top_k: int = 20, rules: dict | None = None,
                   group: str | None = None, label: str | None = None, prediction: str | None = None,
                   starts_on: dt.date | None = None, biometric_threshold: float | None = None,
                   biometric_pack: str = "dhs-026-11", score: str | None = None,
                   record_id: str | None = None) -> Monitor:
    """A monitor of the use case, its reference profile counted from the `reference` file (CSV or Parquet). With
    `biometric_threshold`, a face-recognition monitor: its windows may carry FMR/FNMR counts per group at that
    threshold, checked against the criteria of `biometric_pack` (monitoring/biometric.py). `score` names the
    model's score column (AUC and calibration by score bin once labels are there); `record_id` the record-id
    column, by which labels that arrive later are joined to a window (`window_labels`)."""
    from raigov.monitoring.ingest import reference_profile  # NumPy, pyarrow: only when a monitor is made
    from raigov.monitoring.windows import CADENCES, merge_rules

    uc = inventory.get_use_case(session, actor, business_id)
    require(actor, "monitoring.monitor.manage", component_of(uc))
    name = clean(name, "name", "a monitor needs a name")[:200]
    if cadence not in CADENCES:
        raise ValidationFailed.one("cadence", f"one of {', '.join(CADENCES)}")
    if grace_days < 0 or grace_days > 90:
        raise ValidationFailed.one("grace_days", "between 0 and 90 days")
    merged = merge_rules(rules)
    bio = biometric.config(biometric_threshold, biometric_pack)
    if (label is None) != (prediction is None):
        raise ValidationFailed.one("label" if label is None else "prediction",
                                   "outcomes need both a label and a prediction column")
    if (score or record_id) and label is None:
        raise ValidationFailed.one("score" if score else "record_id", "a score or record-id column goes with "
                                   "outcomes: name the label and prediction columns too")
    if session.scalar(select(Monitor.id).where(Monitor.use_case_id == uc.id, Monitor.name == name)) is not None:
        raise Conflict(f"{uc.business_id} already has a monitor named {name!r}")
    spec, counts, rows = reference_profile(reference, list(numeric), list(categorical), bins, top_k)
    mon = Monitor(use_case_id=uc.id, name=name, cadence=cadence, cadence_days=CADENCES[cadence],
                  grace_days=grace_days, rules=merged, spec=spec.as_dict(), reference=counts, reference_rows=rows,
                  config={"numeric": list(numeric), "categorical": list(categorical), "group": group, "label": label,
                          "prediction": prediction, "score": score, "record_id": record_id, "bins": bins,
                          "top_k": top_k,
                          **({"biometric": bio} if bio else {})},
                  reference_name=str(reference).rsplit("/", 1)[-1][:300], starts_on=starts_on or agency_today(),
                  created_by=actor.label)
    session.add(mon)
    session.flush()
    record(session, actor, "monitoring.monitor.create", "monitor", mon.id, mon.config,
           {"use_case": uc.business_id, "name": name, "cadence": cadence, "reference_rows": rows,
            "features": [*numeric, *categorical]})
    return mon


def _period(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise ValidationFailed.one("period_end", "the window ends before it starts")


def record_window(session: Session, actor: Actor, monitor_id: int, period_start: dt.date, period_end: dt.date,
                  body: dict, source: str = "api", file: dict | None = None) -> tuple[MonitorWindow, list[MonitorAlert]]:
    """A window given as counts (the API's JSON; windows.check_counts, windows.check_scores): checked, evaluated,
    stored, alerts raised. ``file``: the file it was counted from (name, SHA-256, the columns used), kept so that
    labels that arrive later can be joined to the same file. Nothing is written when anything is wrong."""
    from raigov.monitoring.windows import Finding, check_counts, check_scores, evaluate, findings, spec_from_dict

    mon, uc = _monitor(session, monitor_id, lock=True)
    require(actor, "monitoring.window.record", component_of(uc))
    _period(period_start, period_end)
    spec = spec_from_dict(mon.spec)
    rows, counts, outcomes = check_counts(spec, body)
    scores = check_scores(spec, body, outcomes)
    bio_cfg = mon.config.get("biometric")
    bio = biometric.check(bio_cfg, body.get("biometric"))
    if session.scalar(select(MonitorWindow.id).where(MonitorWindow.monitor_id == mon.id,
                                                     MonitorWindow.period_start == period_start)) is not None:
        raise Conflict(f"monitor {mon.name!r} already has the window starting {period_start.isoformat()}")
    results = evaluate(spec, mon.reference, counts, outcomes, mon.rules, scores)
    if bio is not None:
        results["biometric"] = biometric.evaluate(bio, bio_cfg["pack"])
    found = findings(results, mon.rules) + biometric.findings(results.get("biometric"), mon.rules, Finding)
    win = MonitorWindow(monitor_id=mon.id, period_start=period_start, period_end=period_end, rows=rows,
                        counts={"features": counts, "outcomes": outcomes, **({"scores": scores} if scores else {}),
                                **({"biometric": bio} if bio else {}), **({"file": file} if file else {})},
                        results=results, drift=any(f.metric in ("psi", "chi2_p_adjusted") for f in found), source=source,
                        received_by=actor.label)
    session.add(win)
    session.flush()
    record(session, actor, "monitoring.window.record", "monitor_window", win.id, {"rows": rows},
           {"use_case": uc.business_id, "monitor": mon.name, "period_start": period_start.isoformat(),
            "period_end": period_end.isoformat(), "rows": rows, "source": source, "alerts": len(found),
            **({"sha256": file["sha256"], "labels": file["labels"]} if file else {})})
    return win, _raise_alerts(session, actor, mon, uc, win, found)


def _raise_alerts(session: Session, actor: Actor, mon: Monitor, uc: UseCase, win: MonitorWindow,
                  found: list) -> list[MonitorAlert]:
    open_ = {(a.feature, a.group_name, a.metric): a for a in session.scalars(
        select(MonitorAlert).where(MonitorAlert.monitor_id == mon.id, MonitorAlert.status == "open"))}
    out = []
    for f in found:
        same = open_.get((f.feature, f.group, f.metric))
        if same is not None:  # the same state: the open alert follows the newest window
            same.last_window_id, same.value, same.threshold, same.n_current = win.id, f.value, f.threshold, f.n_current
            if SEVERITY_RANK[f.severity] > SEVERITY_RANK[same.severity]:
                same.severity, same.threshold_source = f.severity, f.source
            continue
        a = MonitorAlert(monitor_id=mon.id, use_case_id=uc.id, window_id=win.id, last_window_id=win.id,
                         feature=f.feature, group_name=f.group, metric=f.metric, method=f.method, value=f.value,
                         threshold=f.threshold, threshold_source=f.source, n_reference=f.n_reference,
                         n_current=f.n_current, severity=f.severity, status="open")
        session.add(a)
        session.flush()
        record(session, actor, "monitoring.alert.open", "monitor_alert", a.id, {"status": "open"},
               {"use_case": uc.business_id, "monitor": mon.name, "feature": f.feature, "group": f.group,
                "metric": f.metric, "value": f.value, "threshold": f.threshold, "severity": f.severity})
        out.append(a)
    return out


def ingest_file(session: Session, actor: Actor, monitor_id: int, path: str, period_start: dt.date,
                period_end: dt.date, *, backend: str = "local", scheduler: str | None = None, runner=None,
                comparisons: str | None = None, columns: dict | None = None, record_id: str | None = None,
                score: str | None = None, progress=None) -> tuple[MonitorWindow, list[MonitorAlert]]:
    """A window from a CSV or Parquet file: counted on the monitor's bins (streamed; ``backend`` "dask" counts
    the file's partitions on a Dask cluster, the same counts), then as record_window. On a face-recognition
    monitor, ``comparisons`` is a file of raw comparison rows (``columns``: monitoring.comparisons.columns)
    counted per group at the monitor's threshold into the window's biometric counts. ``record_id`` and ``score``
    name this file's record-id and score columns when they differ from the monitor's; ``progress(rows done, rows
    in all)`` is called as the file is counted. The file's SHA-256 is
    kept with the window (labels that arrive later are joined to the same file). Nothing is written when
    either file is wrong."""
    from raigov.monitoring.ingest import file_info, file_window
    from raigov.monitoring.windows import spec_from_dict

    mon, uc = _monitor(session, monitor_id)
    require(actor, "monitoring.window.record", component_of(uc))
    _period(period_start, period_end)
    bio_cfg = mon.config.get("biometric")
    if comparisons is not None and bio_cfg is None:
        raise ValidationFailed.one("comparisons", "this monitor has no match threshold: it is not a face-recognition "
                                   "monitor (create it with a biometric threshold)")
    body = file_window(spec_from_dict(mon.spec), mon.config, path, comparisons, columns, backend, scheduler, runner,
                       record_id, score, progress)
    return record_window(session, actor, monitor_id, period_start, period_end, body, source="file",
                         file=file_info(mon.config, path, record_id, score))


def ingest_by_time(session: Session, actor: Actor, monitor_id: int, path: str, time_column: str, *,
                   backend: str = "local", scheduler: str | None = None, runner=None, record_id: str | None = None,
                   score: str | None = None, progress=None) -> list[tuple[MonitorWindow, list[MonitorAlert]]]:
    """One file split into windows by ``time_column`` on the monitor's cadence (monitoring/batches.py: daily,
    weekly from the monitor's start day, calendar months), counted in one streamed read; each window is then
    recorded as record_window, in order. A row without a parsable time is refused with its row number; a window
    that is already there is a conflict; either way nothing is written (the caller's transaction)."""
    from raigov.monitoring.batches import time_windows
    from raigov.monitoring.ingest import file_info
    from raigov.monitoring.windows import spec_from_dict

    mon, uc = _monitor(session, monitor_id)
    require(actor, "monitoring.window.record", component_of(uc))
    if mon.config.get("biometric"):
        raise ValidationFailed.one("--time-column", "a face-recognition window needs its comparisons file: ingest it "
                                   "with --start and --end")
    wins = time_windows(spec_from_dict(mon.spec), mon.config, path, time_column, mon.cadence, mon.starts_on,
                        backend, scheduler, runner, record_id, score, progress)
    info = file_info(mon.config, path, record_id, score, time_column)
    return [record_window(session, actor, monitor_id, start, end, body, source="file", file=info)
            for start, end, body in wins]


def find_window(session: Session, monitor_id: int, window: str) -> MonitorWindow:
    """A window of the monitor by its number or its first day (YYYY-MM-DD)."""
    stmt = select(MonitorWindow).where(MonitorWindow.monitor_id == monitor_id)
    if window.isdigit():
        stmt = stmt.where(MonitorWindow.id == int(window))
    else:
        try:
            stmt = stmt.where(MonitorWindow.period_start == dt.date.fromisoformat(window))
        except ValueError:
            raise ValidationFailed.one("WINDOW", "the window's number or its first day, YYYY-MM-DD") from None
    win = session.scalar(stmt.with_for_update())
    if win is None:
        raise NotFound(f"monitor {monitor_id} has no window {window}")
    return win


def window_labels(session: Session, actor: Actor, monitor_id: int, window: str, labels_path: str, window_path: str,
                  *, id_column: str | None = None, label_column: str | None = None,
                  replace: bool = False) -> tuple[MonitorWindow, list[MonitorAlert], dict]:
    """Labels that arrive later (monitoring/labels.py): the window's file, given again, must be the file it was
    counted from (its SHA-256 kept at ingest); the labels are joined to it by record id, the window's outcomes
    (and score-bin counts) recomputed and stored, its fairness and performance evaluated again and the alert
    rules on outcomes applied. A window that has outcomes already is a conflict unless ``replace``. Audit:
    ``monitoring.window.labels``, or ``monitoring.window.relabel`` when outcomes are replaced. Nothing is written
    when anything is wrong."""
    from raigov.monitoring.ingest import sha256
    from raigov.monitoring.labels import JoinColumns, join_counts
    from raigov.monitoring.windows import check_counts, check_scores, evaluate, findings, spec_from_dict

    mon, uc = _monitor(session, monitor_id, lock=True)
    require(actor, "monitoring.window.record", component_of(uc))
    win = find_window(session, mon.id, window)
    info = (win.counts or {}).get("file")
    if not info or not info.get("sha256"):
        raise ValidationFailed.one("--window-file", "this window was not counted from a file with its SHA-256 kept "
                                   "(it came as counts, or before digests were kept): its labels cannot be joined")
    if not info.get("record_id"):
        raise ValidationFailed.one("--id", "the window was counted without a record-id column: create the monitor "
                                   "with --record-id (or ingest with --record-id) so that labels can be joined")
    digest = sha256(window_path)
    if digest != info["sha256"]:
        raise ValidationFailed.one("--window-file", f"not the window's file: its SHA-256 is {digest}, the window "
                                   f"was counted from {info['name']} with SHA-256 {info['sha256']}", "digest-mismatch")
    had = bool(win.counts.get("outcomes"))
    if had and not replace:
        raise Conflict(f"the window {win.period_start.isoformat()} to {win.period_end.isoformat()} has outcomes "
                       "already: give --replace to recompute them from these labels")
    cols = JoinColumns(label_id=id_column or info["record_id"], label=label_column or info.get("label") or "label",
                       record_id=info["record_id"], prediction=info["prediction"], score=info.get("score"),
                       group=info.get("group"), time_column=info.get("time_column"),
                       period=(win.period_start, win.period_end))
    spec = spec_from_dict(mon.spec)
    joined = join_counts(spec, window_path, labels_path, cols)
    if not joined["outcomes"]:
        raise ValidationFailed.one(cols.label_id, "no labelled record with a prediction: nothing to count", "empty")
    body = {"rows": win.rows, "features": win.counts["features"], "outcomes": joined["outcomes"],
            "scores": joined.get("scores") or {}}
    _rows, counts, outcomes = check_counts(spec, body)
    scores = check_scores(spec, body, outcomes)
    results = evaluate(spec, mon.reference, counts, outcomes, mon.rules, scores)
    if win.results.get("biometric"):
        results["biometric"] = win.results["biometric"]
    found = [f for f in findings(results, mon.rules) if f.metric == "selection_rate_ratio"]
    new_counts = {k: v for k, v in win.counts.items() if k not in ("outcomes", "scores")}
    new_counts.update(outcomes=outcomes, **({"scores": scores} if scores else {}))
    new_counts["file"] = {**info, "labels": "joined", "labels_file": labels_path.rsplit("/", 1)[-1][:300],
                          "labels_sha256": sha256(labels_path)}
    win.counts, win.results = new_counts, results
    session.flush()
    summary = {k: joined[k] for k in ("labels", "records", "labelled", "no_prediction")}
    details = {"use_case": uc.business_id, "monitor": mon.name, "period_start": win.period_start.isoformat(),
            "period_end": win.period_end.isoformat(), "window_sha256": digest,
            "labels_sha256": new_counts["file"]["labels_sha256"], **summary, "alerts": len(found)}
    if had:
        record(session, actor, "monitoring.window.relabel", "monitor_window", win.id,
               {"labelled": summary["labelled"]}, details)
    else:
        record(session, actor, "monitoring.window.labels", "monitor_window", win.id,
               {"labelled": summary["labelled"]}, details)
    return win, _raise_alerts(session, actor, mon, uc, win, found), summary


def close_alert(session: Session, actor: Actor, alert_id: int, note: str) -> MonitorAlert:
    """A reviewer of the use case closes an alert with a note (what was found, what was done)."""
    a = session.scalar(select(MonitorAlert).where(MonitorAlert.id == alert_id).with_for_update())
    if a is None:
        raise NotFound(f"no alert {alert_id}")
    uc = session.get(UseCase, a.use_case_id)
    require(actor, "monitoring.alert.close", component_of(uc))
    note = clean(note, "note", "closing an alert needs a note: what was found and what was done")
    if a.status != "open":
        raise Conflict(f"alert {a.id} is already closed")
    a.status, a.closed_at, a.closed_by, a.close_note = "closed", utcnow(), actor.label, note
    session.flush()
    record(session, actor, "monitoring.alert.close", "monitor_alert", a.id, {"status": "closed"},
           {"use_case": uc.business_id, "note": note[:200]})
    return a


def windows_of(session: Session, monitor_id: int) -> list[MonitorWindow]:
    return list(session.scalars(select(MonitorWindow).where(MonitorWindow.monitor_id == monitor_id)
                                .order_by(MonitorWindow.period_start)))


def alerts_of(session: Session, use_case_id: int, monitor_id: int | None = None) -> list[MonitorAlert]:
    stmt = select(MonitorAlert).where(MonitorAlert.use_case_id == use_case_id)
    if monitor_id is not None:
        stmt = stmt.where(MonitorAlert.monitor_id == monitor_id)
    return list(session.scalars(stmt.order_by(MonitorAlert.status.desc(), MonitorAlert.id.desc())))
