"""The certified snapshot on SQLite and PostgreSQL (issue #12, item 11): the exact public file keeps its bytes
and hash (cells starting with = or - as given), and beside it a spreadsheet-safe CSV (those cells prefixed with
') and an XLSX (string cells, never formulas) are written with the same two-phase write, each with its own
SHA-256 on the cycle and in the audit event, offered on /public/inventory with links and hashes, and refused
(500) when their bytes or records disagree."""

from __future__ import annotations

import csv
import hashlib
import io
import json

import openpyxl
from fastapi.testclient import TestClient
from sqlalchemy import select

from raigov.audit.models import AuditEvent
from raigov.datacall import service as datacall
from raigov.datacall.models import ReportingCycle
from raigov.inventory import service as inventory
from raigov.inventory.catalog import fields, get_field
from tests.governance import test_datacall
from tests.governance.test_datacall import YEAR, _certify_components, _open

agency = test_datacall.agency  # the fixture: CBP (a failing check to explain) and ICE, their leads, the CAIO

FORMULA = '=HYPERLINK("http://evil.example","click")'
BULLET = "- Notices reach readers sooner."


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _certified(db, agency, settings):
    with db.transaction() as s:
        inventory.edit_use_case(s, agency["ice.owner"], agency["ids"]["ice1"],
                                {"system_outputs": FORMULA, "benefits": BULLET}, "outputs")
    _open(db, agency["caio"])
    _certify_components(db, agency)
    with db.transaction() as s:
        return datacall.certify(s, agency["caio"], YEAR, "Complete.", settings)


def test_safe_csv_and_xlsx_beside_the_exact_public_file(db, agency, settings):
    res = _certified(db, agency, settings)
    folder = settings.data_dir / "snapshots" / str(YEAR)
    public_name = datacall.snapshot_names(YEAR)[1]
    safe_name, xlsx_name = datacall.safe_snapshot_names(YEAR)
    public, safe, xlsx = ((folder / n).read_bytes() for n in (public_name, safe_name, xlsx_name))
    with db.transaction() as s:
        cycle = s.scalar(select(ReportingCycle).where(ReportingCycle.year == YEAR))
        assert (cycle.public_safe_file, cycle.public_xlsx_file) == (safe_name, xlsx_name)
        assert (cycle.public_safe_sha256, cycle.public_xlsx_sha256) == (_sha(safe), _sha(xlsx))
        d = json.loads(s.scalar(select(AuditEvent.details).where(AuditEvent.action == "datacall.cycle.certify")))
        assert (d["public_safe_sha256"], d["public_xlsx_sha256"]) == (_sha(safe), _sha(xlsx))
        assert d["files"][safe_name] == _sha(safe) and d["prefixed_cells"] == 2
    assert _sha(public) == res.public_sha256  # the exact file: what OMB's exporter writes, nothing prefixed
    assert f',"{FORMULA.replace(chr(34), chr(34) * 2)}",'.encode() in public and f",{BULLET},".encode() in public

    with TestClient(datacall_app(settings, db), base_url="http://testserver") as c:
        page = c.get("/public/inventory")
        assert page.status_code == 200
        for text in (f'href="/public/inventory/{YEAR}/spreadsheet-safe.csv"', f'href="/public/inventory/{YEAR}.xlsx"',
                     _sha(safe), _sha(xlsx), res.public_sha256, "so that spreadsheets do not run them as formulas"):
            assert text in page.text, text

        r = c.get(f"/public/inventory/{YEAR}.csv")
        assert r.content == public and r.headers["X-Spreadsheet-Safe"].startswith("no;")
        r = c.get(f"/public/inventory/{YEAR}/spreadsheet-safe.csv")
        assert r.status_code == 200 and r.content == safe and r.headers["content-type"].startswith("text/csv")
        assert r.headers["X-Spreadsheet-Safe"].startswith("yes;")
        assert f'attachment; filename="{safe_name}"' == r.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(safe.decode("utf-8-sig"), newline="")))
        tip = next(row for row in rows if row["use_case_name"] == "Tip line routing")
        assert (tip["system_outputs"], tip["benefits"]) == ("'" + FORMULA, "'" + BULLET)
        assert not any(v.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for v in row.values())
        assert [row["use_case_name"] for row in rows] == [row["use_case_name"] for row in datacall.public_rows(public)]

        r = c.get(f"/public/inventory/{YEAR}.xlsx")
        assert r.status_code == 200 and r.content == xlsx and "spreadsheetml" in r.headers["content-type"]
        ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
        cols = [f.name for f in fields("2025") if f.name not in datacall.PUBLIC_OMIT]
        assert [cell.value for cell in ws[2]] == [get_field("2025", n).long_header for n in cols]  # public: no contact
        (tip,) = [row for row in ws.iter_rows(min_row=3) if row[cols.index("use_case_name")].value == "Tip line routing"]
        outputs = tip[cols.index("system_outputs")]
        assert outputs.value == FORMULA and outputs.data_type == "s"  # text, not a formula

        # a changed copy is refused, not served (and the exact file still is)
        (folder / safe_name).write_bytes(safe.replace(b"'=HYPERLINK", b"=HYPERLINK"))
        assert c.get(f"/public/inventory/{YEAR}/spreadsheet-safe.csv").status_code == 500
        assert c.get(f"/public/inventory/{YEAR}.csv").status_code == 200
        (folder / safe_name).write_bytes(safe)
        # the cycle's hash disagreeing with the audit event's: nothing of the snapshot is served
        with db.transaction() as s:
            s.scalar(select(ReportingCycle).where(ReportingCycle.year == YEAR)).public_xlsx_sha256 = "0" * 64
        for url in (f"/public/inventory/{YEAR}.xlsx", f"/public/inventory/{YEAR}.csv", "/public/inventory"):
            assert c.get(url).status_code == 500, url


def datacall_app(settings, db):
    from raigov.web.app import create_app

    return create_app(settings, db)
