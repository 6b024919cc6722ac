"""Evidence uploads keep the name of the type sniffed from their bytes, on SQLite and PostgreSQL (issue #12,
item 14): markup behind a byte-order mark is refused like markup; text that merely has words before an <svg> or
<html> tag is accepted as text and kept and served as `.txt` (attachment, nosniff), never as `.svg`/`.html`."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from raigov.errors import ValidationFailed
from raigov.governance import service as gov
from raigov.governance.models import Evidence
from raigov.inventory import service as inventory
from tests.governance.test_governance_service import LOW, PDF


def _use_case(db, settings, people) -> str:
    with db.transaction() as s:
        return inventory.create_use_case(s, people["owner"], component="CBP", values=LOW, reason="new",
                                         settings=settings).business_id


def _count(db) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(Evidence))


@pytest.mark.parametrize("data", [b"\xef\xbb\xbf<html><script>alert(1)</script></html>",
                                  b"\xef\xbb\xbf\r\n  <svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
                                  "\ufeff\ufeff<!DOCTYPE html><p>x".encode()])
def test_markup_behind_a_byte_order_mark_is_refused(db, settings, people, data):
    bid = _use_case(db, settings, people)
    with db.transaction() as s, pytest.raises(ValidationFailed) as e:
        gov.add_file(s, people["owner"], settings, bid, data, filename="page.html", title="x", category="other")
    assert e.value.errors[0].field == "file" and "HTML, SVG and XML are not accepted" in e.value.errors[0].message
    assert _count(db) == 0


def test_text_before_markup_is_kept_and_served_as_txt(db, settings, people, system):
    bid = _use_case(db, settings, people)
    svg = b"Diagram notes for the review board\n<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>\n"
    html = b"Exported page:\n<html><body><script>alert(1)</script></body></html>\n"
    with db.transaction() as s:
        a = gov.add_file(s, people["owner"], settings, bid, svg, filename="diagram.svg", title="A", category="other")
        b = gov.add_file(s, people["owner"], settings, bid, html, filename="C:\\temp\\page.HTML", title="B",
                         category="other")
        c = gov.add_file(s, people["owner"], settings, bid, b"# Notes\n", filename="notes.md", title="C", category="other")
        d = gov.add_file(s, people["owner"], settings, bid, PDF, filename="scan.html", title="D", category="other")
        ids = [a.id, b.id, c.id, d.id]
        assert [(e.filename, e.media_type) for e in (a, b, c, d)] == [
            ("diagram.txt", "text/plain"), ("page.txt", "text/plain"), ("notes.md", "text/plain"),
            ("scan.pdf", "application/pdf")]

    from raigov.web.app import create_app

    with TestClient(create_app(settings, db), base_url="http://testserver") as client:
        with db.transaction() as s:
            from raigov.identity import service as identity

            token, _ = identity.create_token(s, system, "owner", "test", settings)
        r = client.get(f"/api/v1/evidence/{ids[0]}/file", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200 and r.content == svg
        assert r.headers["content-type"].startswith("text/plain")
        assert r.headers["content-disposition"] == 'attachment; filename="diagram.txt"'
        assert r.headers["x-content-type-options"] == "nosniff"

    # a row stored before the name followed the type is served under the type's extension too
    with db.transaction() as s:
        s.get(Evidence, ids[1]).filename = "page.html"
    with TestClient(create_app(settings, db), base_url="http://testserver") as client:
        r = client.get(f"/api/v1/evidence/{ids[1]}/file", headers={"Authorization": f"Bearer {token}"})
        assert r.headers["content-disposition"] == 'attachment; filename="page.txt"'


def test_filename_for():
    from raigov.governance.store import filename_for

    assert filename_for("x.html", "text/plain") == "x.txt"
    assert filename_for("x.svg", "text/plain") == "x.txt"
    assert filename_for("data.CSV", "text/csv") == "data.CSV"
    assert filename_for("report", "application/pdf") == "report.pdf"
    assert filename_for(".htaccess", "text/plain") == ".htaccess.txt"
    assert filename_for("../../etc/x.json", "application/json") == "x.json"
    assert filename_for("photo.jpeg", "image/jpeg") == "photo.jpeg"
