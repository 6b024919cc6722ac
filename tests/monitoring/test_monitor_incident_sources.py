"""Incidents opened from their source (issue #17 item 6), on both databases: an oversight alert (automation bias),
a reversed appeal and a public feedback report each open an incident of their use case that records the source;
the source is read with its own domain's permission (feedback needs the feedback managers' role); a second open
incident from the same source is refused; the API route and the buttons on the sources' pages."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from raigov.audit.models import AuditEvent
from raigov.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from raigov.inventory.models import UseCase
from raigov.monitoring import incidents
from raigov.monitoring.models import Incident
from tests.monitoring.conftest import NOW
from tests.web.conftest import csrf_from


def _oversight_alert(db, bid: str) -> int:
    from raigov.oversight.models import Alert

    with db.transaction() as s:
        uc = s.scalar(select(UseCase).where(UseCase.business_id == bid))
        a = Alert(use_case_id=uc.id, kind="automation_bias", day=dt.date(2026, 12, 3), status="open",
                  details={"reviewed": 120, "interventions": 0, "window_days": 30, "wilson_upper": 0.031,
                           "floor": 0.05}, opened_at=NOW)
        s.add(a)
        s.flush()
        return a.id


def _feedback(db, bid: str) -> int:
    from raigov.disclosure.feedback.models import Feedback

    with db.transaction() as s:
        uc = s.scalar(select(UseCase).where(UseCase.business_id == bid))
        f = Feedback(use_case_id=uc.id, component="CBP", body="The form refused my application twice in Spanish.",
                     masked={}, client="0" * 64, status="new")
        s.add(f)
        s.flush()
        return f.id


def _appeal(db, bid: str, outcome: str | None) -> int:
    from raigov.oversight.models import Decision, DecisionKey
    from raigov.oversight.remedy_models import Appeal

    with db.transaction() as s:
        uc = s.scalar(select(UseCase).where(UseCase.business_id == bid))
        k = DecisionKey(use_case_id=uc.id, system="service:cbp-sys", decision_id=f"D-{outcome}", item_hash="0" * 64)
        s.add(k)
        s.flush()  # the ledger row takes its key's id (migration 0023)
        d = Decision(id=k.id, use_case_id=uc.id, system="service:cbp-sys", decision_id=f"D-{outcome}", ai_version="3.1",
                     kind="eligibility", subject="s" * 64, ai_output={"score": 0.9}, reviewer="officer",
                     human_action="accepted", decided_at=NOW, item_hash="0" * 64, batch_seq=1, batch_index=0)
        s.add(d)
        s.flush()
        a = Appeal(decision_pk=d.id, use_case_id=uc.id, channel="staff", grounds="last year's pay stubs", filed_by="x",
                   filed_on=dt.date(2026, 12, 1), due_on=dt.date(2026, 12, 31), status="decided" if outcome else "open",
                   outcome=outcome, rationale="this year's pay stubs show eligibility" if outcome else None,
                   decided_by="appeals.cbp" if outcome else None, decided_at=NOW if outcome else None,
                   decided_on=dt.date(2026, 12, 4) if outcome else None)
        s.add(a)
        s.flush()
        return a.id


def test_incidents_from_an_oversight_alert_an_appeal_and_a_feedback_report_record_their_source(db, people, case):
    bid, _, _ = case
    alert_id, fb_id = _oversight_alert(db, bid), _feedback(db, bid)
    reversed_id, upheld_id = _appeal(db, bid, "reversed"), _appeal(db, bid, "upheld")
    with db.transaction() as s:
        inc = incidents.open_from_source(s, people["owner"], "oversight_alert", alert_id, severity="high")
        assert (inc.source_kind, inc.source_id, inc.alert_id) == ("oversight_alert", alert_id, None)
        assert inc.title == "Oversight alert: Possible automation bias"
        assert "0 of 120 reviewed decisions in 30 days were modified or overridden" in inc.what_happened
        first = inc.id
    with db.transaction() as s, pytest.raises(Conflict, match="already open for this oversight alert"):
        incidents.open_from_source(s, people["owner"], "oversight_alert", alert_id, severity="high")
    with db.transaction() as s, pytest.raises(NotFound):
        incidents.open_from_source(s, people["owner"], "oversight_alert", 99999, severity="high")
    with db.transaction() as s, pytest.raises((PermissionDenied, NotFound)):
        incidents.open_from_source(s, people["tsa.lead"], "oversight_alert", alert_id, severity="low")
    with db.transaction() as s, pytest.raises(ValidationFailed) as bad:
        incidents.open_from_source(s, people["lead"], "oversight_alert", alert_id, severity="dire")
    assert bad.value.errors[0].field == "severity"
    with db.transaction() as s, pytest.raises(ValidationFailed) as bad:
        incidents.open_from_source(s, people["lead"], "tweet", 1, severity="low")
    assert bad.value.errors[0].field == "source"

    # the feedback report is read with the feedback managers' permission: the owner may not read it
    with db.transaction() as s, pytest.raises(PermissionDenied):
        incidents.open_from_source(s, people["owner"], "feedback", fb_id, severity="medium")
    with db.transaction() as s:
        inc = incidents.open_from_source(s, people["lead"], "feedback", fb_id, severity="medium",
                                         what_happened="Spanish readers could not apply", affected="Spanish readers")
        assert (inc.source_kind, inc.source_id, inc.affected) == ("feedback", fb_id, "Spanish readers")
        assert inc.what_happened.startswith("Spanish readers could not apply\n\nFrom the feedback report: ")
        assert "refused my application twice" in inc.what_happened

    # an appeal opens an incident only once reversed
    with db.transaction() as s, pytest.raises(ValidationFailed, match="was not reversed"):
        incidents.open_from_source(s, people["lead"], "appeal", upheld_id, severity="medium")
    with db.transaction() as s:
        inc = incidents.open_from_source(s, people["lead"], "appeal", reversed_id, severity="medium")
        assert (inc.source_kind, inc.title) == ("appeal", "Reversed appeal of decision D-reversed")

    # closing the first incident lets the same alert open another; the audit event names the source
    with db.transaction() as s:
        incidents.close_incident(s, people["crcl"], first, "retrained the reviewers")
        again = incidents.open_from_source(s, people["owner"], "oversight_alert", alert_id, severity="low")
        assert again.id != first
    with db.transaction() as s:
        ev = s.scalar(select(AuditEvent).where(AuditEvent.action == "monitoring.incident.open",
                                               AuditEvent.object_id == str(first)))
        assert json.loads(ev.details)["source"] == {"kind": "oversight_alert", "id": alert_id}
        kinds = sorted(i.source_kind for i in s.scalars(select(Incident)))
    assert kinds == ["appeal", "feedback", "oversight_alert", "oversight_alert"]


def test_a_monitoring_alert_is_recorded_as_the_incident_source(db, people, case, tmp_path):
    from raigov.monitoring import service

    bid, mid, tmp = case
    with db.transaction() as s:
        _, [alert] = service.ingest_file(s, people["owner"], mid, str(tmp / "drift.csv"), dt.date(2026, 11, 22),
                                         dt.date(2026, 11, 28))
        aid = alert.id
    with db.transaction() as s:
        inc = incidents.open_from_source(s, people["owner"], "monitor_alert", aid, severity="high")
        assert (inc.source_kind, inc.source_id, inc.alert_id) == ("monitor_alert", aid, aid)
        assert inc.title == "Monitoring alert: psi of age"
    with db.transaction() as s, pytest.raises(Conflict):
        incidents.open_incident(s, people["owner"], bid, title="again", what_happened="x", severity="low", alert_id=aid)


def test_api_and_buttons_open_incidents_from_their_sources(db, client, people, case, token_for, sign_in, make_user):
    bid, _, _ = case
    alert_id, fb_id = _oversight_alert(db, bid), _feedback(db, bid)
    r = client.post(f"/api/v1/incidents/from/oversight_alert/{alert_id}", json={"severity": "high"},
                    headers=token_for("lead"))
    assert r.status_code == 201, r.text
    assert r.json()["source"] == {"kind": "oversight_alert", "id": alert_id}
    assert client.post(f"/api/v1/incidents/from/oversight_alert/{alert_id}", json={"severity": "high"},
                       headers=token_for("lead")).status_code == 409
    assert client.post(f"/api/v1/incidents/from/tweet/{alert_id}", json={"severity": "high"},
                       headers=token_for("lead")).status_code == 422
    assert client.post("/api/v1/incidents/from/feedback/99999", json={"severity": "high"},
                       headers=token_for("lead")).status_code == 404
    st = client.get(f"/api/v1/use-cases/{bid}/monitoring", headers=token_for("lead")).json()
    assert st["incidents"][0]["source"]["url"] == f"/oversight/use-cases/{bid}#alerts"

    make_user("lead.web", "component_ai_lead@CBP")
    assert sign_in("lead.web").status_code == 303
    page = client.get(f"/feedback/{fb_id}")
    assert page.status_code == 200 and f'action="/monitoring/incidents/from/feedback/{fb_id}"' in page.text
    r = client.post(f"/monitoring/incidents/from/feedback/{fb_id}",
                    data={"severity": "medium", "csrf_token": csrf_from(page.text)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith(f"/inventory/{bid}/monitoring?done=")
    page = client.get(r.headers["location"]).text
    assert "Incident opened." in page and f'href="/feedback/{fb_id}">feedback report {fb_id}</a>' in page
    over = client.get(f"/oversight/use-cases/{bid}")
    assert over.status_code == 200
    assert f'action="/monitoring/incidents/from/oversight_alert/{alert_id}"' in over.text
    r = client.post(f"/monitoring/incidents/from/oversight_alert/{alert_id}",
                    data={"severity": "high", "csrf_token": csrf_from(over.text)})
    assert r.status_code == 422 and "already open for this oversight alert" in r.text
