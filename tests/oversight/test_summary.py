"""The monthly oversight summary (issue #15 item 6): its figures from the counts (decisions, share reviewed, override
rate, per operator, appeals and reversals, refused attempts, alerts, the rates per ISO week), stored as PDF evidence
of the use case's human-oversight and monitoring practices, on demand (`raigov oversight summary --store`) and
monthly by the jobs (once per use case with decisions that month; nothing on a dry run)."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select
from typer.testing import CliRunner

from raigov.audit.models import AuditEvent
from raigov.cli.main import app as cli_app
from raigov.errors import PermissionDenied, ValidationFailed
from raigov.governance.models import Evidence, EvidenceLink, Practice
from raigov.identity.permissions import Actor
from raigov.inventory.models import UseCase
from raigov.jobs import service as jobs
from raigov.oversight import service as oversight
from raigov.oversight import summary, summary_render, trends
from tests.oversight.conftest import NOW, decision

NOV = dt.datetime(2026, 11, 10, 15, 0, tzinfo=dt.UTC)
AT = "2026-11-10T14:00:00Z"


def _november(db, people, key, use_cases, make_user, actor_of) -> None:
    """In November 2026: five decisions of the low use case (one overridden, one modified), one refused attempt,
    an appeal reversed; one refused attempt on the face-recognition use case (not authorized)."""
    low, fr = use_cases["low"], use_cases["fr"]
    rows = [decision(low, n, decided_at=AT) for n in (1, 2, 3)]
    rows += [decision(low, 4, decided_at=AT, human_action="overrode"),
             decision(low, 5, decided_at=AT, human_action="modified")]
    parse = [oversight.parse_decision(json.dumps(r).encode()) for r in rows]
    with db.transaction() as s:
        res = oversight.record_decisions(s, people["cbp-sys"], key, parse, now=NOW)
    for bid, n in ((low, 9), (fr, 10)):
        bad = oversight.parse_decision(json.dumps(decision(bid, n, decided_at=AT, human_action="none",
                                                           reviewer=None)).encode())
        with db.transaction() as s:
            assert oversight.record_decisions(s, people["cbp-sys"], key, [bad], now=NOW).refusals
    make_user("appeals.cbp", "appeals_officer@CBP", password=False)
    officer = actor_of("appeals.cbp")
    with db.transaction() as s:
        a, _ = oversight.file_appeal(s, people["cbp-sys"], res.rows[0]["id"], "documents in order", now=NOV)
        oversight.decide_appeal(s, officer, a.id, "reversed", "the stubs were misread",
                                now=NOV + dt.timedelta(days=5))


def test_the_months_figures(db, people, use_cases, key, make_user, actor_of):
    _november(db, people, key, use_cases, make_user, actor_of)
    with db.transaction() as s:
        out = summary.build(s, people["lead"], use_cases["low"], "2026-11")
        december = summary.build(s, people["lead"], use_cases["low"], "2026-12")
        with pytest.raises(ValidationFailed) as e:
            summary.build(s, people["lead"], use_cases["low"], "2026-13")
        assert e.value.errors[0].field == "month"
        with pytest.raises(PermissionDenied):
            summary.build(s, people["tsa.lead"], use_cases["low"], "2026-11")
    assert (out["recorded"], out["refused"], out["reviewed"], out["review_share"]) == (5, 1, 5, 1.0)
    assert out["override_rate"] == 0.2 and out["modified_rate"] == 0.2
    assert out["remedies"]["appeal_filed"] == 1 and out["remedies"]["appeal_reversed"] == 1
    assert out["remedies"]["reversal_rate"] == 1.0 and out["days"] == [{"day": "2026-11-10", "recorded": 5, "refused": 1}]
    assert [(o["reviewer"], o["decisions"], o["overrode"]) for o in out["by_operator"]] == [("officer.ng", 5, 1)]
    ng = out["by_operator"][0]  # the reversed appeal was against a decision officer.ng reviewed
    assert (ng["appeals"], ng["appeals_decided"], ng["appeals_reversed"], ng["appeal_rate"], ng["reversal_rate"]) \
        == (1, 1, 1, 0.2, 1.0)
    assert summary_render.operator_rows(out) == [["officer.ng", "5", "1", "1", "20.0%", "1", "20.0%", "1 / 1",
                                                  "100.0%"]]
    assert december["recorded"] == 0 and december["days"] == []
    html = summary_render.render_html(out, NOW)
    assert "override rate (of reviewed)" in html and "20.0%" in html and "<svg" in html and "officer.ng" in html
    assert summary_render.render_pdf(out, NOW).startswith(b"%PDF")


def test_the_months_trends_per_week(db, people, use_cases, key, make_user, actor_of):
    """November 2026 by ISO week: 11-01 (a Sunday: its week cut at the month), 11-02 to 11-08, ..., 11-30 (cut).
    The week of 11-09 has the five decisions (one overridden, one modified), the refused attempt and the appeal
    filed on 11-10 and reversed on 11-15; a second appeal, against D-2, is filed on 11-17 (a week with no decision:
    no appeal rate) and not decided."""
    _november(db, people, key, use_cases, make_user, actor_of)
    with db.transaction() as s:
        d2 = next(d["id"] for d in oversight.list_decisions(s, people["lead"], use_cases["low"])
                  if d["decision_id"] == "D-2")
        oversight.file_appeal(s, people["cbp-sys"], d2, "the stubs were for another month",
                              now=NOV + dt.timedelta(days=7))
    with db.transaction() as s:
        out = summary.build(s, people["lead"], use_cases["low"], "2026-11")
    weeks = out["weeks"]
    assert [(w["start"], w["end"]) for w in weeks] == [
        ("2026-11-01", "2026-11-01"), ("2026-11-02", "2026-11-08"), ("2026-11-09", "2026-11-15"),
        ("2026-11-16", "2026-11-22"), ("2026-11-23", "2026-11-29"), ("2026-11-30", "2026-11-30")]
    w3, w4 = weeks[2], weeks[3]
    assert {k: w3[k] for k in (*trends.COUNTS, *trends.RATES)} == {
        "recorded": 5, "refused": 1, "attempts": 6, "reviewed": 5, "overrode": 1, "modified": 1, "appeals": 1,
        "appeals_decided": 1, "appeals_reversed": 1, "review_share": 1.0, "override_rate": 0.2,
        "refused_share": 0.166667, "appeal_rate": 0.2, "reversal_rate": 1.0}
    assert (w4["recorded"], w4["appeals"], w4["appeal_rate"], w4["appeals_decided"], w4["reversal_rate"]) == (
        0, 1, None, 0, None)
    assert all(w[k] == 0 for w in (weeks[0], weeks[1], weeks[4], weeks[5]) for k in trends.COUNTS)
    rows = summary_render.week_rows(out)
    assert rows[2] == ["2026-11-09 to 2026-11-15", "5", "100.0%", "20.0%", "16.7%", "1", "20.0%", "1 / 1", "100.0%"]
    assert rows[3] == ["2026-11-16 to 2026-11-22", "0", "-", "-", "-", "1", "-", "0 / 0", "-"]
    assert out["days"] == [{"day": "2026-11-10", "recorded": 5, "refused": 1}]  # the other keys as they were
    html = summary_render.render_html(out, NOW)
    assert "<h2>Rates per week</h2>" in html and 'aria-labelledby="t-weeks"' in html
    assert "<td>2026-11-09 to 2026-11-15</td><td>5</td><td>100.0%</td><td>20.0%</td><td>16.7%</td>" in html
    assert html.count('fill="#8168b3"') == 2  # one reversal-rate bar (the week of 11-09), one legend swatch
    pdf = summary_render.render_pdf(out, NOW)
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Rates per week" in text and "2026-11-09 to 2026-11-15" in text and "16.7%" in text
    assert "2026-11-16 to 2026-11-22" in text


def test_stored_monthly_once_and_linked_to_the_practices(db, people, use_cases, key, settings, make_user, actor_of):
    _november(db, people, key, use_cases, make_user, actor_of)
    today = dt.date(2026, 12, 4)
    with db.transaction() as s:
        with pytest.raises(PermissionDenied):  # the use case's owner reads, does not store
            summary.store(s, people["owner"], settings, use_cases["low"], "2026-11")
    with db.transaction() as s:
        made = summary.monthly_summaries(s, Actor.system("jobs"), settings, today)
    with db.transaction() as s:
        again = summary.monthly_summaries(s, Actor.system("jobs"), settings, today)
        evs = s.scalars(select(Evidence).where(Evidence.id.in_(made)).order_by(Evidence.id)).all()
        by_uc = {e.details["use_case"]: e for e in evs}
        fr_items = set(s.scalars(select(Practice.item).join(EvidenceLink, EvidenceLink.practice_id == Practice.id)
                                 .where(EvidenceLink.evidence_id == by_uc[use_cases["fr"]].id)))
        fr_has = set(s.scalars(select(Practice.item).join(UseCase, UseCase.id == Practice.use_case_id)
                               .where(UseCase.business_id == use_cases["fr"], Practice.item.in_(summary.PRACTICES))))
        stored = s.scalar(select(func.count()).select_from(AuditEvent)
                          .where(AuditEvent.action == "oversight.summary.store"))
    assert len(made) == 2 and again == [] and stored == 2  # both use cases had decisions or attempts in November
    assert set(by_uc) == {use_cases["low"], use_cases["fr"]}
    assert all(e.category == "monitoring" and e.media_type == "application/pdf" and e.details["month"] == "2026-11"
               for e in evs)
    assert by_uc[use_cases["low"]].details["recorded"] == 5 and by_uc[use_cases["fr"]].details["refused"] == 1
    assert fr_has and fr_items == fr_has  # the high-impact use case's human-oversight and monitoring practices


def test_cli_and_the_jobs(db, people, use_cases, key, cli_env, tmp_path, settings, make_user, actor_of):
    _november(db, people, key, use_cases, make_user, actor_of)
    run = CliRunner().invoke
    r = run(cli_app, ["oversight", "summary", use_cases["low"], "--month", "2026-11", "--json",
                      "--pdf", str(tmp_path / "s.pdf")])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["recorded"] == 5 and (tmp_path / "s.pdf").read_bytes().startswith(b"%PDF")
    r = run(cli_app, ["oversight", "summary", use_cases["low"], "--month", "November"])
    assert r.exit_code == 2 and "month" in r.output
    r = run(cli_app, ["jobs", "run", "--today", "2026-12-04", "--dry-run"])
    assert r.exit_code == 0, r.output
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Evidence)) == 0  # a dry run stores nothing
    r = run(cli_app, ["oversight", "summary", use_cases["low"], "--month", "2026-11", "--store"])
    assert r.exit_code == 0 and "stored as evidence" in r.output, r.output
    sm = jobs.run(db, Actor.system("jobs"), settings, today=dt.date(2026, 12, 4))
    assert len(sm.chores["raigov.oversight.summary:monthly_summaries"]) == 1  # low was stored on demand: only fr
