"""Files in and out of the inventory pages, on SQLite and PostgreSQL (issue #12, items 9 and 11): every CSV a
person downloads is safe to open in a spreadsheet (cells starting with = + - @ tab CR get a leading ') and says
so; the XLSX holds such texts as string cells; a CSV with a quote that swallows the following rows is refused
on the import page naming the line, nothing written."""

from __future__ import annotations

import csv
import io

import openpyxl
from sqlalchemy import func, select

from raigov.audit.models import AuditEvent
from raigov.identity import service as identity
from raigov.inventory import service as inventory
from raigov.inventory.models import UseCase
from tests.web.conftest import csrf_from

NAMES = ['=HYPERLINK("http://evil.example","click")', "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
         "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1", "Port camera analytics"]


def _make(db, settings, username: str, names: list[str]) -> list[str]:
    out = []
    with db.transaction() as s:
        actor = identity.actor_for(s, identity.get_user(s, username))
        for name in names:
            uc = inventory.create_use_case(s, actor, component="CBP", values={"use_case_name": name,
                                           "development_stage": "Deployed"}, reason="new", settings=settings)
            uc.status = "active"  # reported use cases are not drafts
            out.append(uc.business_id)
    return out


def _rows(content: bytes) -> list[list[str]]:
    """As a spreadsheet reads it: the csv module's rules, any CR, LF or CRLF outside quotes ends a row."""
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def test_every_csv_download_is_spreadsheet_safe_and_says_so(client, db, settings, make_user, sign_in):
    make_user("cbp.lead", "component_ai_lead@CBP", "submitter@CBP")
    _make(db, settings, "cbp.lead", NAMES)
    sign_in("cbp.lead")
    # a use case's name is kept without its leading tab or CR; the OMB file keeps the answer as given
    listed = sorted(["'" + n.lstrip("\t\r") for n in NAMES[:-1]] + [NAMES[-1]])
    expected = sorted(["'" + n for n in NAMES[:-1]] + [NAMES[-1]])

    page = client.get("/inventory")
    assert "are prefixed with &#39; so that spreadsheets do not run them" in page.text \
        or "are prefixed with ' so that spreadsheets do not run them" in page.text

    # the list CSV
    r = client.get("/inventory.csv")
    assert r.status_code == 200
    rows = _rows(r.content)
    assert sorted(row[rows[0].index("name")] for row in rows[1:]) == listed
    assert r.headers["X-Spreadsheet-Safe"].startswith("6 cells prefixed; cells starting with = + - @")

    # OMB's CSV from the page
    r = client.get("/inventory/export/omb-2025-csv?component=CBP")
    assert r.status_code == 200
    rows = _rows(r.content)
    col = rows[0].index("use_case_name")
    assert sorted(row[col] for row in rows[1:]) == expected
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows[1:] for c in row)
    assert r.headers["X-Spreadsheet-Safe"].startswith("6 cells prefixed;")
    with db.transaction() as s:
        ev = s.scalar(select(AuditEvent).where(AuditEvent.action == "inventory.file.export").order_by(AuditEvent.seq.desc()))
        assert '"prefixed_cells": 6' in ev.details or '"prefixed_cells":6' in ev.details

    # OMB's XLSX from the page: the texts as they are, in string cells (never formulas)
    r = client.get("/inventory/export/omb-2025-xlsx?component=CBP")
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    cells = [ws.cell(row=i, column=4) for i in range(3, 3 + len(NAMES))]
    # a CR comes back as LF unless openpyxl writes with lxml, which keeps it: compare with CR read as LF
    assert sorted(c.value.replace("\r", "\n") for c in cells) == sorted(n.replace("\r", "\n") for n in NAMES)
    assert {c.data_type for c in cells} == {"s"}
    assert "X-Spreadsheet-Safe" not in r.headers


def _counts(db) -> tuple[int, int]:
    with db.transaction() as s:
        return (s.scalar(select(func.count()).select_from(UseCase)),
                s.scalar(select(func.count()).select_from(AuditEvent)))


def test_import_page_refuses_a_quote_that_swallows_the_following_rows(client, db, make_user, sign_in):
    make_user("caio", "caio")
    sign_in("caio")
    data = (b"Agency,AI Use Case,Agency Use (Y/N)?,Name of Commercial Product or Service Used,"
            b"Estimated # of Licenses/Users\nDept A,Generating code using AI.,Y,X,1-100\n"
            b'"Dept B,Summarizing documents.,Y,Y,1-100\nDept C,Translating text.,N,Z,101-500\n')
    before = _counts(db)
    token = csrf_from(client.get("/inventory/import/file").text)
    r = client.post("/inventory/import/file", data={"csrf_token": token},
                    files={"file": ("cots.csv", data, "text/csv")})
    assert r.status_code == 422
    assert "line 3: a quote opened there is never closed" in r.text
    assert "rows read" not in r.text
    assert _counts(db) == before
