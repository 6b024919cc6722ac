"""The accountability reports on both databases: a face-recognition use case with a known bias-test run, known
oversight counts and an opt-out; the three reports in the three formats read back (PDF with pypdf, DOCX with
python-docx) hold the figures they came from; stored with their SHA-256 and an audit event; the compliance plan's
edited section is in the report and the plan cannot change once final; the CLI and the pages."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from raigov.audit.models import AuditEvent
from raigov.cli.main import app as cli
from raigov.disclosure.reports import service as reports
from raigov.disclosure.reports.models import ReportFile
from raigov.errors import Conflict, PermissionDenied, ValidationFailed
from raigov.evaluation.models import EvaluationRun
from raigov.inventory.models import UseCase
from raigov.oversight.models import DailyCount
from tests.oversight.conftest import NOW, people, use_cases  # noqa: F401  (fixtures)
from tests.web.conftest import app, client, csrf_from, sign_in  # noqa: F401  (fixtures)

YEAR = 2026
TODAY = dt.date(2026, 12, 4)
FINISHED = dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.UTC)  # 10 March 2026 in New York
DIFFS = {"fmr_max_min_ratio": 1.8125, "fnmr_max_min_ratio": 2.375, "garbe": 0.0625}


@pytest.fixture
def world(db, settings, people, use_cases):  # noqa: F811
    """The oversight fixtures plus: a completed biometric run on the FR use case (known differentials), the ledger's
    daily counts of the FR use case in 2026 (37 recorded of which 30 reviewed, 3 overridden; 4 refused) and one in
    2025 (left out of the 2026 report)."""
    with db.transaction() as s:
        fr = s.scalar(select(UseCase).where(UseCase.business_id == use_cases["fr"]))
        s.add(EvaluationRun(use_case_id=fr.id, kind="biometric", status="done", input_filename="old.csv",
                            input_sha256="0" * 64, result={"differentials": {"fmr_max_min_ratio": 9.5}},
                            outcome="fail", created_by="tester", created_at=FINISHED - dt.timedelta(days=400),
                            finished_at=FINISHED - dt.timedelta(days=400)))
        s.add(EvaluationRun(use_case_id=fr.id, kind="biometric", status="done", input_filename="scores.csv",
                            input_sha256="1" * 64, result={"differentials": DIFFS}, outcome="pass", created_by="tester",
                            created_at=FINISHED, finished_at=FINISHED))
        s.add(EvaluationRun(use_case_id=fr.id, kind="biometric", status="failed", input_filename="bad.csv",
                            input_sha256="2" * 64, created_by="tester", created_at=FINISHED + dt.timedelta(days=5)))
        for day, action, outcome, n in ((dt.date(2026, 5, 1), "accepted", "recorded", 20),
                                        (dt.date(2026, 5, 2), "modified", "recorded", 7),
                                        (dt.date(2026, 5, 2), "overrode", "recorded", 3),
                                        (dt.date(2026, 5, 3), "none", "recorded", 7),
                                        (dt.date(2026, 5, 3), "accepted", "refused", 4),
                                        (dt.date(2025, 12, 31), "overrode", "recorded", 100)):
            s.add(DailyCount(use_case_id=fr.id, day=day, kind="benefit_denial", human_action=action, outcome=outcome,
                             count=n))
    return use_cases


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def docx_text(data: bytes) -> str:
    import docx

    d = docx.Document(io.BytesIO(data))
    cells = [c.text for t in d.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in d.paragraphs] + cells)


def html_text(data: bytes) -> str:
    return re.sub(r"<[^>]+>", " ", data.decode())


READ_BACK = {"html": html_text, "pdf": pdf_text, "docx": docx_text}


def squash(s: str) -> str:
    return re.sub(r"\s+", " ", s)


def test_fr_fc_report_in_three_formats_holds_its_figures(db, settings, people, world):  # noqa: F811
    stored = {}
    for fmt in ("html", "pdf", "docx"):
        with db.transaction() as s:
            row, data = reports.generate(s, people["caio"], settings, "fr-fc", YEAR, fmt, today=TODAY)
            stored[fmt] = (row.id, row.sha256, row.data_sha256)
        assert hashlib.sha256(data).hexdigest() == row.sha256
        text = squash(READ_BACK[fmt](data))
        assert "Biometric entry-exit face matching" in text and world["fr"] in text
        assert "Translation of public web pages" not in text  # not face recognition
        assert "verify the identity of travelers at ports of entry" in text  # the purpose
        # the newest completed biometric run: 10 March 2026, its differentials; next test 3 years (1095 days) on
        assert "2026-03-10" in text and "2029-03-09" in text and "1.812" in text and "2.375" in text
        assert "9.5" not in text  # the older run's figure is not reported
        # the year's oversight counts (2025's 100 left out): 37 recorded, 4 refused, 30 reviewed, 3 overridden: 10.0 %
        for label, value in (("Decisions recorded", "37"), ("refused by the rules", "4"), ("Reviewed by a person", "30"),
                             ("Overridden by the reviewer", "3"), ("Override rate", "10.0%")):
            assert re.search(rf"{label}\s*{re.escape(value)}(?!\d)", text), (fmt, label)
        assert "Privacy Office" in text and "Civil Rights and Civil Liberties" in text
    assert data.startswith(b"PK")  # the DOCX is a zip
    assert len({d for _, _, d in stored.values()}) == 1  # the same figures in every format
    with db.transaction(read=True) as s:
        assert s.scalar(select(func.count()).select_from(ReportFile)) == 3
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "disclosure.report.generate")).all()
        assert sorted(json.loads(e.details)["sha256"] for e in events) == sorted(h for _, h, _ in stored.values())
        rid, sha, _ = stored["pdf"]
        row, data = reports.report_file(s, people["auditor"], settings, rid)
        assert hashlib.sha256(data).hexdigest() == sha and data.startswith(b"%PDF-")
    # a stored file changed on disk is refused, not served
    path = settings.data_dir / "reports" / f"{sha}.pdf"
    path.write_bytes(path.read_bytes() + b"x")
    with db.transaction(read=True) as s, pytest.raises(Conflict, match="SHA-256"):
        reports.report_file(s, people["caio"], settings, rid)


def test_inventory_summary_and_compliance_plan(db, settings, people, world):  # noqa: F811
    with db.transaction() as s:
        _, data = reports.generate(s, people["caio"], settings, "inventory-summary", YEAR, "pdf", today=TODAY)
    text = squash(pdf_text(data))
    # two active CBP use cases: one high-impact (FR), one not high-impact; one uses face recognition
    assert "holds 2 active AI use cases" in text and "1 use face recognition" in text
    assert re.search(r"CBP\s*2\b", text)
    assert re.search(r"High-impact\s*1\b", text, re.I) and re.search(r"Not high-impact\s*1\b", text, re.I)
    assert "0 waivers are in force" in text
    # the compliance plan: the CAIO's office edits a section; the report carries it, and the draft's other sections
    with db.transaction() as s:
        plan = reports.plan(s, people["caio"], YEAR, today=TODAY)
        assert [x["edited"] for x in plan["sections"]] == [False] * 6 and plan["version"] == 0
        assert "2 active use cases" in plan["sections"][1]["text"]
        reports.edit_plan(s, people["caio"], YEAR, "governance", "The AI Governance Board meets monthly.", version=0)
    with db.transaction() as s, pytest.raises(Conflict, match="someone else"):
        reports.edit_plan(s, people["caio"], YEAR, "inventory", "late edit", version=0)
    with db.transaction() as s, pytest.raises(ValidationFailed) as exc:
        reports.edit_plan(s, people["caio"], YEAR, "governance", "x" * 20_001, version=1)
    assert exc.value.errors[0].field == "text"
    with db.transaction() as s, pytest.raises(PermissionDenied):
        reports.edit_plan(s, people["lead"], YEAR, "governance", "not mine", version=1)
    with db.transaction() as s:
        _, data = reports.generate(s, people["caio"], settings, "compliance-plan", YEAR, "docx", today=TODAY)
        reports.finalise_plan(s, people["caio"], YEAR)
    text = squash(docx_text(data))
    assert "The AI Governance Board meets monthly." in text and "Draft." in text
    assert "2 active use cases across 1 components" in text
    with db.transaction() as s, pytest.raises(Conflict, match="final"):
        reports.edit_plan(s, people["caio"], YEAR, "genai", "too late", version=2)
    with db.transaction() as s:
        row, data = reports.generate(s, people["caio"], settings, "compliance-plan", YEAR, "html", today=TODAY)
        assert row.final
    assert b"Final. Generated on 2026-12-04" in data
    with db.transaction(read=True) as s:
        actions = [a for (a,) in s.execute(select(AuditEvent.action).where(AuditEvent.action.like("disclosure.plan.%"))
                                           .order_by(AuditEvent.seq))]
    assert actions == ["disclosure.plan.edit", "disclosure.plan.finalise"]
    with db.transaction() as s, pytest.raises(ValidationFailed) as exc:
        reports.generate(s, people["caio"], settings, "fr-fc", YEAR, "odt")
    assert exc.value.errors[0].field == "format"
    with db.transaction() as s, pytest.raises(PermissionDenied):
        reports.generate(s, people["auditor"], settings, "fr-fc", YEAR, "html")


def test_cli_and_pages(db, settings, cli_env, make_user, people, world, client, sign_in, tmp_path):  # noqa: F811
    out = tmp_path / "fr.pdf"
    res = CliRunner().invoke(cli, ["report", "fr-fc", str(YEAR), "--format", "pdf", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert hashlib.sha256(out.read_bytes()).hexdigest() in res.output
    assert world["fr"] in squash(pdf_text(out.read_bytes()))
    bad = CliRunner().invoke(cli, ["report", "inventory-summary", "1900", "-o", str(tmp_path / "x.html")])
    assert bad.exit_code == 2 and "year" in bad.output
    make_user("chief", "caio")
    assert sign_in("chief").status_code == 303
    page = client.get("/reports")
    assert page.status_code == 200 and "SHA-256" in page.text
    token = csrf_from(page.text)
    r = client.post("/reports/generate", data={"kind": "fr-fc", "year": "20x6", "fmt": "pdf", "csrf_token": token})
    assert r.status_code == 422 and 'id="r-year-error"' in r.text
    r = client.post("/reports/generate", data={"kind": "inventory-summary", "year": str(YEAR), "fmt": "docx",
                                               "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(r.headers["location"])
    assert "The report was generated" in page.text
    rid = re.search(r'href="/reports/files/(\d+)">Download Word', page.text).group(1)
    f = client.get(f"/reports/files/{rid}")
    assert f.status_code == 200 and "attachment" in f.headers["content-disposition"] and "holds 2 active" in docx_text(f.content)
    plan = client.get(f"/reports/compliance-plan/{YEAR}")
    assert plan.status_code == 200 and 'name="text"' in plan.text
    r = client.post(f"/reports/compliance-plan/{YEAR}/sections/genai",
                    data={"text": "<script>alert(1)</script> Our GenAI policy.", "version": "0",
                          "csrf_token": csrf_from(plan.text)}, follow_redirects=True)
    assert r.status_code == 200 and "&lt;script&gt;alert(1)&lt;/script&gt; Our GenAI policy." in r.text
    assert "<script>alert(1)" not in r.text
