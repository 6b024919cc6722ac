"""Monitors, windows, alerts, incidents and the gate, on both databases: a drifting window opens a high alert
and a gate reason; a window overdue by the cadence is a gate reason; an incident suspends the use case until
lifted; bad input (unknown monitor, features that do not match, counts that do not add up, an empty window)
is refused naming the field, with nothing written."""

from __future__ import annotations

import datetime as dt
import math
import re

import numpy as np
import pytest
from sqlalchemy import func, select

from raigov.audit.models import AuditEvent
from raigov.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from raigov.governance.authorization import authorization
from raigov.monitoring import clock, incidents, service
from raigov.monitoring.models import MonitorAlert, MonitorWindow
from tests.monitoring.conftest import EARLY, NOW


def gate(db, actor, bid, now=NOW):
    with db.transaction() as s:
        return authorization(s, actor, bid, now=now)


def counts(db):
    with db.transaction() as s:
        return (s.scalar(select(func.count()).select_from(MonitorWindow)),
                s.scalar(select(func.count()).select_from(MonitorAlert)),
                s.scalar(select(func.count()).select_from(AuditEvent)))


def test_a_drifting_window_opens_a_high_alert_and_a_gate_reason_until_a_reviewer_closes_it(db, people, case, settings):
    bid, mid, tmp = case
    assert gate(db, people["caio"], bid, now=dt.datetime(2026, 11, 25, 15, tzinfo=dt.UTC)).authorized
    with db.transaction() as s:
        win, alerts = service.ingest_file(s, people["owner"], mid, str(tmp / "same.csv"), dt.date(2026, 11, 22),
                                          dt.date(2026, 11, 28))
        assert (win.rows, win.drift, alerts) == (1000, False, [])
    assert gate(db, people["caio"], bid).authorized
    with db.transaction() as s:
        win, alerts = service.ingest_file(s, people["cbp-sys"], mid, str(tmp / "drift.csv"), dt.date(2026, 11, 29),
                                          dt.date(2026, 12, 5))
        assert win.drift is True
        by = {a.feature: a for a in alerts}
        assert set(by) == {"age"}  # channel did not move
        a = by["age"]
        assert (a.metric, a.severity, a.n_reference, a.n_current) == ("psi", "high", 2000, 1000)
        # an independent oracle: PSI by its formula on the stored, folded counts
        mon, _ = service.get_monitor(s, people["caio"], mid)
        r = np.array(mon.reference["age"], float)
        c = np.array(win.counts["features"]["age"], float)
        for v in (r, c):  # underflow into the first bin, overflow into the last (infinite outer edges)
            v[2] += v[1]
            v[-2] += v[-1]
            v[1] = v[-1] = 0
        keep = (r + c) > 0
        p, q = (r[keep] + 0.5) / (r[keep].sum() + 0.5 * keep.sum()), (c[keep] + 0.5) / (c[keep].sum() + 0.5 * keep.sum())
        assert math.isclose(a.value, float(np.sum((p - q) * np.log(p / q))), rel_tol=0, abs_tol=1e-12)
        assert a.value > 0.25 and a.threshold == 0.25
        alert_id = a.id
    with db.transaction() as s:
        keys = {n.key: n for n in clock.monitoring_due(s, dt.date(2026, 12, 4), settings)}
        n = keys[f"monitor_alert:{alert_id}:opened"]
        assert n.level == "escalation" and {r.username for r in n.recipients} == {"owner", "lead", "caio"}
    answer = gate(db, people["caio"], bid)
    assert not answer.authorized
    [reason] = answer.reasons
    assert reason["code"] == "monitoring_alert"
    assert "monitor 'Intake model': open high-severity alert: PSI of 'age'" in reason["message"]
    assert "in the window 2026-11-29 to 2026-12-05" in reason["message"]
    with db.transaction() as s:  # the same state again: the open alert follows the newer window, no new alert
        _, again = service.ingest_file(s, people["owner"], mid, str(tmp / "drift.csv"), dt.date(2026, 12, 6),
                                       dt.date(2026, 12, 12))
        assert again == []
    with db.transaction() as s, pytest.raises(PermissionDenied):
        service.close_alert(s, people["owner"], alert_id, "fine")
    with db.transaction() as s, pytest.raises(ValidationFailed) as e:
        service.close_alert(s, people["crcl"], alert_id, "  ")
    assert e.value.errors[0].field == "note"
    with db.transaction() as s:
        service.close_alert(s, people["crcl"], alert_id, "age shift explained by the new intake form; retrained")
    assert gate(db, people["caio"], bid).authorized


def test_an_overdue_window_is_a_gate_reason_and_a_notice_of_the_jobs(db, people, case, settings):
    bid, mid, tmp = case
    with db.transaction() as s:
        assert clock.monitoring_due(s, dt.date(2026, 11, 28), settings) == []
        [n] = clock.monitoring_due(s, dt.date(2026, 11, 29), settings)
        assert (n.key, n.kind, n.due_on) == (f"monitor:{mid}:overdue:2026-11-28", "monitoring_window_overdue",
                                             dt.date(2026, 11, 28))
        assert [(r.username, r.role) for r in n.recipients] == [("owner", "owner"), ("lead", "component_ai_lead")]
    # no window yet: due a week after the monitor's start
    assert gate(db, people["caio"], bid, now=dt.datetime(2026, 11, 28, 15, tzinfo=dt.UTC)).authorized
    reasons = gate(db, people["caio"], bid, now=dt.datetime(2026, 11, 29, 15, tzinfo=dt.UTC)).reasons
    assert [(r["code"], r["message"]) for r in reasons] == [
        ("monitoring_overdue", "monitor 'Intake model': a weekly window was due by 2026-11-28 (no window yet)")]
    with db.transaction() as s:
        service.ingest_file(s, people["owner"], mid, str(tmp / "same.csv"), dt.date(2026, 11, 22), dt.date(2026, 11, 28))
    assert gate(db, people["caio"], bid, now=dt.datetime(2026, 12, 5, 15, tzinfo=dt.UTC)).authorized  # due 12-05
    reasons = gate(db, people["caio"], bid, now=dt.datetime(2026, 12, 6, 15, tzinfo=dt.UTC)).reasons
    assert [r["message"] for r in reasons] == [
        "monitor 'Intake model': a weekly window was due by 2026-12-05 (the last window ended on 2026-11-28)"]


def test_an_incident_suspends_the_use_case_until_lifted_and_closes_with_a_note(db, people, case, settings):
    bid, _, _ = case
    with db.transaction() as s:
        inc = incidents.open_incident(s, people["owner"], bid, title="Wrong language served", severity="high",
                                      what_happened="Pages were served in the wrong language for a day",
                                      affected="Spanish readers")
        iid = inc.id
    with db.transaction() as s, pytest.raises(PermissionDenied):
        incidents.suspend(s, people["tsa.lead"], iid, "not my component")
    with db.transaction() as s:
        incidents.suspend(s, people["lead"], iid, "until the model is rolled back")
        act = incidents.add_action(s, people["lead"], iid, description="Roll back to model 3.0", owner="owner",
                                   due_on=dt.date(2026, 12, 11))
        aid = act.id
    with db.transaction() as s:
        due = {n.key: n for n in clock.monitoring_due(s, dt.date(2026, 12, 5), settings)}
        assert [(r.username, r.role) for r in due[f"incident:{iid}:opened"].recipients] == [
            ("lead", "component_ai_lead"), ("caio", "caio")]
        assert [(r.username, r.role) for r in due[f"incident_action:{aid}:due:2026-12-11"].recipients] == [
            ("owner", "action_owner")]
        late = {n.key for n in clock.monitoring_due(s, dt.date(2026, 12, 12), settings)}
        assert f"incident_action:{aid}:overdue:2026-12-11" in late
    answer = gate(db, people["caio"], bid, now=EARLY)
    assert [r["code"] for r in answer.reasons] == ["suspended"]
    assert re.fullmatch(r"suspended since \d{4}-\d\d-\d\d by lead for incident 'Wrong language served' \(until "
                        r"the model is rolled back\): not authorized until the suspension is lifted",
                        answer.reasons[0]["message"])
    with db.transaction() as s, pytest.raises(Conflict):
        incidents.close_incident(s, people["crcl"], iid, "done")
    with db.transaction() as s:
        incidents.complete_action(s, people["owner"], aid, dt.date(2026, 12, 5))
        incidents.lift(s, people["caio"], iid, "rolled back")
    assert gate(db, people["caio"], bid, now=EARLY).authorized
    with db.transaction() as s:
        incidents.close_incident(s, people["crcl"], iid, "rolled back; root cause: a cached language header")
    with db.transaction() as s:
        inc, _, acts = incidents.get_incident(s, people["caio"], iid)
        assert (inc.status, acts[0].done_on) == ("closed", dt.date(2026, 12, 5))


def test_bad_windows_are_refused_naming_the_field_and_nothing_is_written(db, people, case):
    _, mid, tmp = case
    before = counts(db)
    period = (dt.date(2026, 11, 22), dt.date(2026, 11, 28))
    with db.transaction() as s, pytest.raises(NotFound):
        service.record_window(s, people["cbp-sys"], 999, *period, {"rows": 1, "features": {}})
    with db.transaction() as s, pytest.raises(ValidationFailed) as e:
        service.ingest_file(s, people["owner"], mid, str(tmp / "wrong.csv"), *period)
    assert [x.field for x in e.value.errors] == ["channel"]
    with db.transaction() as s:
        mon, _ = service.get_monitor(s, people["caio"], mid)
        n_age, n_channel = len(mon.reference["age"]), len(mon.reference["channel"])
    good = {"rows": 3, "features": {"age": [0, 0, 3] + [0] * (n_age - 3), "channel": [0, 3] + [0] * (n_channel - 2)}}
    cases = [
        ({**good, "features": {"age": good["features"]["age"]}}, "features.channel"),
        ({**good, "features": {**good["features"], "income": [3]}}, "features.income"),
        ({**good, "rows": 4}, "features.age"),  # counts that do not add up
        ({**good, "features": {**good["features"], "age": [3]}}, "features.age"),  # wrong number of bins
        ({**good, "features": {**good["features"], "channel": ["3"] + [0] * (n_channel - 1)}}, "features.channel"),
        ({"rows": 0, "features": {}}, "rows"),  # an empty window
        ({**good, "outcomes": {"A": [1, 1, 1, 1]}}, "outcomes"),  # more outcomes than rows
    ]
    for body, field in cases:
        with db.transaction() as s, pytest.raises(ValidationFailed) as e:
            service.record_window(s, people["cbp-sys"], mid, *period, body)
        assert e.value.errors[0].field == field, (body, e.value.errors)
    with db.transaction() as s, pytest.raises(ValidationFailed) as e:
        service.record_window(s, people["cbp-sys"], mid, period[1], period[0], good)
    assert e.value.errors[0].field == "period_end"
    with db.transaction() as s, pytest.raises(PermissionDenied):
        service.record_window(s, people["tsa.lead"], mid, *period, good)
    assert counts(db) == before
    with db.transaction() as s:  # the good one is accepted
        win, _ = service.record_window(s, people["cbp-sys"], mid, *period, good)
        assert win.rows == 3 and win.source == "api"
