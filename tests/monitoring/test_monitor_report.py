"""The monitoring report as evidence, on both databases: stored on demand (service, page button, CLI) and
monthly by `raigov jobs run` (once per monitor and month); the HTML has each chart's numbers as a table; the
monitoring practice counts as done only while windows arrive on time (the gate, and marking it done)."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from typer.testing import CliRunner

from raigov.audit.models import AuditEvent
from raigov.cli.main import app as cli
from raigov.governance import gate as G
from raigov.governance.models import Evidence, EvidenceLink
from raigov.governance.practices import service as practices
from raigov.identity.permissions import Actor
from raigov.jobs import service as jobs
from raigov.monitoring import evidence, report, service, views
from tests.web.conftest import csrf_from

SYSTEM = Actor.system("test/jobs")


def _ingest(db, people, mid, tmp):
    with db.transaction() as s:
        service.ingest_file(s, people["owner"], mid, str(tmp / "drift.csv"), dt.date(2026, 11, 22),
                            dt.date(2026, 11, 28))


def test_the_report_is_stored_as_pdf_evidence_and_its_html_has_the_charts_numbers(db, people, case, settings):
    bid, mid, tmp = case
    _ingest(db, people, mid, tmp)
    with db.transaction() as s:
        rep = views.report(s, people["lead"], mid)
        html = report.render_html(rep, dt.datetime(2026, 12, 4, tzinfo=dt.UTC))
        psi = rep["windows"][0]["features"][0]["psi"]
        assert "<svg" in html and "age: drift per window" in html and f"{psi:.4g}" in html
        assert "Alerts of this monitor" in html and "PSI of &#x27;age&#x27;" in html
        ev = evidence.store_report(s, people["owner"], settings, mid)
        assert (ev.category, ev.media_type, ev.details["monitor"], ev.details["windows"]) == (
            "monitoring", "application/pdf", mid, 1)
        assert practices.evidence_store(settings).get(ev.sha256)[:5] == b"%PDF-"
        link = s.scalar(select(EvidenceLink).where(EvidenceLink.evidence_id == ev.id))
        assert link is not None
        assert s.scalar(select(AuditEvent).where(AuditEvent.action == "governance.evidence.attach")
                        .order_by(AuditEvent.seq.desc())).object_id == bid


def test_jobs_run_stores_last_months_report_once(db, people, case, settings):
    _bid, mid, tmp = case
    with db.transaction() as s:  # no window yet: nothing to report
        assert evidence.monthly_reports(s, SYSTEM, settings, dt.date(2026, 12, 4)) == []
    _ingest(db, people, mid, tmp)
    summary = jobs.run(db, SYSTEM, settings, today=dt.date(2026, 12, 4))
    [stored] = summary.chores["raigov.monitoring.evidence:monthly_reports"]
    with db.transaction() as s:
        ev = s.get(Evidence, stored)
        assert ev.details["month"] == "2026-11" and ev.title == "Monitoring report 2026-11: Intake model"
    again = jobs.run(db, SYSTEM, settings, today=dt.date(2026, 12, 5))
    assert again.chores["raigov.monitoring.evidence:monthly_reports"] == []
    dry = jobs.run(db, SYSTEM, settings, today=dt.date(2027, 1, 5), dry_run=True)
    assert dry.chores == {}
    nxt = jobs.run(db, SYSTEM, settings, today=dt.date(2027, 1, 5))
    assert len(nxt.chores["raigov.monitoring.evidence:monthly_reports"]) == 1


def test_the_page_button_and_the_cli_store_the_report(db, client, case, people, sign_in, tmp_path, cli_env,
                                                      make_user):
    _bid, mid, tmp = case
    _ingest(db, people, mid, tmp)
    assert sign_in("crcl").status_code == 303  # a reviewer reads the page but may not store the report
    page = client.get(f"/monitoring/monitors/{mid}")
    assert page.status_code == 200 and "Store the report as evidence" not in page.text
    r = client.post(f"/monitoring/monitors/{mid}/report", data={"csrf_token": csrf_from(page.text)})
    assert r.status_code == 403
    make_user("pagelead", "component_ai_lead@CBP")
    assert sign_in("pagelead").status_code == 303
    page = client.get(f"/monitoring/monitors/{mid}")
    assert "Store the report as evidence" in page.text
    r = client.post(f"/monitoring/monitors/{mid}/report", data={"csrf_token": csrf_from(page.text)},
                    follow_redirects=False)
    assert r.status_code == 303
    assert "The report is stored as evidence" in client.get(r.headers["location"]).text
    out_html, out_pdf = tmp_path / "r.html", tmp_path / "r.pdf"
    res = CliRunner().invoke(cli, ["monitor", "report", str(mid), "--html", str(out_html), "--pdf", str(out_pdf),
                                   "--store", "--json"])
    assert res.exit_code == 0, res.output
    assert out_pdf.read_bytes()[:5] == b"%PDF-" and "<svg" in out_html.read_text()
    with db.transaction() as s:
        assert s.scalar(select(Evidence).where(Evidence.category == "monitoring").order_by(Evidence.id.desc())) \
            .details["monitor"] == mid


def _gate(monitors, status="done"):
    g = G.GateInput("DHS-1", "active", True, "screen", False,
                    practices=[G.PracticeState("M-25-21.4(b)(iii)", "Ongoing monitoring", status, "§4(b)(iii)")],
                    risk_acceptance="not-required", monitors=monitors)
    return G.decide(g, dt.datetime(2026, 12, 4, 15, tzinfo=dt.UTC))


def test_the_monitoring_practice_is_done_only_while_windows_arrive_on_time():
    on_time = G.MonitorState("Intake", "weekly", dt.date(2026, 12, 6), dt.date(2026, 11, 28))
    late = G.MonitorState("Intake", "weekly", dt.date(2026, 12, 1), dt.date(2026, 11, 23))
    assert _gate([on_time]).authorized
    codes = [r["code"] for r in _gate([late]).reasons]
    assert codes == ["monitoring_practice_lapsed", "monitoring_overdue"]
    assert "counts as done only while windows arrive on time: 'Intake' overdue" in _gate([late]).reasons[0]["message"]
    assert [r["code"] for r in _gate([late], "in_progress").reasons] == ["practice_not_met", "monitoring_overdue"]


def test_the_monitor_page_charts_fairness_per_group_with_the_same_numbers_as_a_table(db, client, case, people,
                                                                                     sign_in):
    _bid, mid, tmp = case
    from raigov.monitoring.ingest import window_counts
    from raigov.monitoring.windows import spec_from_dict

    with db.transaction() as s:
        mon, _ = service.get_monitor(s, people["owner"], mid)
        body = window_counts(spec_from_dict(mon.spec), mon.config, str(tmp / "same.csv"))
        # tp, fp, fn, tn per group: A selects 300 of 600, B 60 of 380, C is too small (20 rows)
        body["outcomes"] = {"A": [200, 100, 50, 250], "B": [40, 20, 60, 260], "C": [5, 5, 5, 5]}
        service.record_window(s, people["owner"], mid, dt.date(2026, 11, 22), dt.date(2026, 11, 28), body)
    assert sign_in("crcl").status_code == 303
    page = client.get(f"/monitoring/monitors/{mid}").text
    assert "Fairness per group" in page and len(re.findall(r'id="fair-\d+"', page)) == 3
    assert "Selection rate of group A per window" in page
    row_a = page[page.index("Group “A”: each window"):]
    assert 'data-label="Selection rate (95 % Wilson)">0.5 (' in row_a  # 300 / 600
    row_c = page[page.index("Group “C”: each window"):]
    assert 'data-label="Status">too few' in row_c
    assert 'data-label="Selection-rate ratio of the window">0.3158' in row_a  # (60/380) / (300/600)
