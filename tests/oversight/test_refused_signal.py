"""The refused-attempts signal (issue #17 item 6) on both databases: attempts the decision rules refused, counted in
the daily counts, open an oversight alert once the window holds at least `min_refused` of them and they are at
least `min_share` of the attempts (signals.yaml); the alert opens and closes once per change, is noticed through
the jobs' outbox, shown on the use case's page, and opens an incident through the `oversight_alert` source."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

from sqlalchemy import select

from raigov.audit.models import AuditEvent
from raigov.clock import agency_today
from raigov.jobs import service as jobs
from raigov.jobs.models import Notice
from raigov.monitoring import incidents
from raigov.oversight import counts
from raigov.oversight import service as oversight
from raigov.oversight import signals as S
from raigov.oversight.models import Refusal
from tests.oversight.conftest import decision


def test_the_rule_is_data_and_pure():
    rule = S.rules()["refused_attempts"]
    assert (rule["window_days"], rule["min_refused"], rule["min_share"]) == (7, 10, 0.01)
    assert S.refused_attempts({"recorded": 990, "refused": 10}) == {
        "refused": 10, "attempts": 1000, "share": 0.01, "min_refused": 10, "min_share": 0.01, "window_days": 7}
    assert S.refused_attempts({"recorded": 0, "refused": 9}) is None  # too few refusals, whatever the share
    assert S.refused_attempts({"recorded": 1991, "refused": 10}) is None  # 0.5 %: too small a share
    assert S.refused_attempts({}) is None
    assert S.refused_attempts({"refused": 3}, {"min_refused": 2, "min_share": 0.5, "window_days": 1})["share"] == 1.0


def test_refused_attempts_open_an_alert_once_noticed_shown_then_an_incident(db, settings, people, use_cases, key,
                                                                            system, client, sign_in, make_user):
    low = use_cases["low"]
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    today = agency_today(now=now)
    at = now.isoformat().replace("+00:00", "Z")
    # twelve attempts reviewed by a trainee who is not on the roster: refused, and counted
    rows = [decision(low, n, reviewer="cbp.trainee", decided_at=at) for n in range(1, 13)]
    with db.transaction() as s:
        res = oversight.record_decisions(s, people["cbp-sys"], key,
                                         oversight.parse_batch(json.dumps({"decisions": rows}).encode()))
        assert res.created == 0 and len(res.refusals) == 12
    with db.transaction() as s:
        assert len(s.scalars(select(Refusal.id)).all()) == 12
        uc_id = s.scalar(select(Refusal.use_case_id))
        counts.add(s, Counter({(uc_id, today - dt.timedelta(days=2), "favourable", "accepted", "recorded"): 1088,
                               (uc_id, today - dt.timedelta(days=9), "search", "none", "refused"): 500}))  # outside
    with db.transaction() as s:
        [a] = S.evaluate(s, today)
        assert (a.kind, a.status, a.day) == ("refused_attempts", "open", today)
        assert a.details == {"refused": 12, "attempts": 1100, "share": round(12 / 1100, 6), "min_refused": 10,
                             "min_share": 0.01, "window_days": 7}
        alert_id = a.id
    with db.transaction() as s:
        assert S.evaluate(s, today) == []  # once per change
    run = jobs.run(db, system, settings, today=today)
    assert sorted(k for k in run.created if k.startswith(f"oversight_alert:{alert_id}:opened")) == [
        f"oversight_alert:{alert_id}:opened:to:{u}" for u in ("lead", "owner")]
    with db.transaction() as s:
        assert {n.kind for n in s.scalars(select(Notice).where(Notice.key.like(f"oversight_alert:{alert_id}:%")))} \
            == {"oversight_refused_attempts"}
    make_user("lead2", "component_ai_lead@CBP")
    sign_in("lead2")
    page = client.get(f"/oversight/use-cases/{low}")
    assert page.status_code == 200 and "Refused attempts" in page.text
    assert "12 of 1100 attempts to record a decision in 7 days were refused" in page.text
    with db.transaction() as s:  # the incident, through the existing oversight_alert source
        inc = incidents.open_from_source(s, people["lead"], "oversight_alert", alert_id, severity="medium")
        assert (inc.source_kind, inc.source_id, inc.title) == ("oversight_alert", alert_id,
                                                               "Oversight alert: Refused attempts")
        assert "12 of 1100 attempts" in inc.what_happened and inc.status == "open"
    with db.transaction() as s:  # many more decisions recorded: under 1 %, the alert closes, once
        counts.add(s, Counter({(uc_id, today, "favourable", "accepted", "recorded"): 1000}))
    with db.transaction() as s:
        [closed] = S.evaluate(s, today)
        assert (closed.id, closed.status) == (alert_id, "closed")
        assert S.evaluate(s, today) == []
        events = [(e.action, json.loads(e.details)["kind"]) for e in s.scalars(
            select(AuditEvent).where(AuditEvent.action.like("oversight.alert.%")).order_by(AuditEvent.seq))]
        assert events == [("oversight.alert.open", "refused_attempts"), ("oversight.alert.close", "refused_attempts")]
