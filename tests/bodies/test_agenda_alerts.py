"""The agenda's alerts (both databases): a use case with an open monitoring alert is proposed to the Board and the
AI Council (how many alerts, how many of high severity), not to the Responsible Use Group, and no longer once the
alert is closed."""

from __future__ import annotations

import datetime as dt

from raigov.bodies import agenda
from raigov.monitoring import service
from tests.monitoring.conftest import case, people  # noqa: F401  (the fixtures)


def test_an_open_monitoring_alert_goes_on_the_boards_proposals_until_closed(db, people, case):  # noqa: F811
    bid, mid, tmp = case
    caio = people["caio"]
    with db.transaction() as s:
        assert bid not in {p.subject_ref for p in agenda.proposals(s, caio, "board")}
        _, alerts = service.ingest_file(s, people["cbp-sys"], mid, str(tmp / "drift.csv"), dt.date(2026, 11, 29),
                                        dt.date(2026, 12, 5))
        alert_id = alerts[0].id
    with db.transaction() as s:
        for body in ("board", "council"):
            got = [(p.subject_ref, p.why) for p in agenda.proposals(s, caio, body) if p.subject_ref == bid]
            assert got == [(bid, "1 open monitoring alert, 1 of high severity")], body
        assert bid not in {p.subject_ref for p in agenda.proposals(s, caio, "rug")}
        # read with the person's scope: TSA's lead does not see CBP's use case
        assert bid not in {p.subject_ref for p in agenda.open_monitoring_alerts(s, people["tsa.lead"])}
    with db.transaction() as s:
        service.close_alert(s, people["crcl"], alert_id, "age shift explained by the new intake form")
    with db.transaction() as s:
        assert bid not in {p.subject_ref for p in agenda.proposals(s, caio, "board")}
