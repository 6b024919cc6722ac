"""The accountability reports on the public site, on SQLite and PostgreSQL (issue #19, item 6: "stored and
published with their hashes"): a build publishes the newest final report files with their SHA-256 and an
inclusion proof like every other published file, checked by raigov's verifier, `raigov public verify` and the
standalone verifier; a draft compliance plan, a report naming what is withheld, a PDF that cannot be read for
withheld texts and a stored report changed on disk are not published; a published report changed on disk is
refused by the site and caught by both verifiers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from raigov.cli.main import app as cli
from raigov.disclosure import site, verify
from raigov.disclosure.reports import service as reports
from raigov.web.app import create_app
from tests.disclosure.test_site import SECRET_NAME, _setup, agency  # noqa: F401  (the fixture)
from tests.governance.test_datacall import YEAR

ROOT = Path(__file__).resolve().parents[2]


def _generate(db, actor, settings, *specs):
    with db.transaction() as s:
        return [reports.generate(s, actor, settings, kind, year, fmt)[0].sha256 for kind, year, fmt in specs]


def _build(db, actor, settings):
    with db.transaction() as s:
        return site.build(s, actor, settings)


def test_final_reports_are_published_with_their_hashes_and_proofs(db, agency, settings, tmp_path, cli_env):  # noqa: F811
    """Long because it follows the reports through two builds and both tampers (one database per backend)."""
    _setup(db, agency, settings)
    caio = agency["caio"]
    _generate(db, caio, settings, ("inventory-summary", YEAR, "html"), ("inventory-summary", YEAR, "pdf"),
              ("inventory-summary", YEAR, "docx"), ("compliance-plan", YEAR, "html"), ("fr-fc", YEAR, "pdf"))
    with db.transaction() as s:  # the compliance plan of the next year names a use case withheld whole
        reports.edit_plan(s, caio, YEAR + 1, "inventory", f"We review {SECRET_NAME} every month.")
        reports.finalise_plan(s, caio, YEAR + 1)
        reports.finalise_plan(s, caio, YEAR)
    _generate(db, caio, settings, ("compliance-plan", YEAR, "docx"), ("compliance-plan", YEAR + 1, "html"))
    built = _build(db, caio, settings)
    flags = "\n".join(built.plain_language)
    assert "Face recognition and face capture report (DHS Directive 026-11) 2026 (PDF)" in flags
    assert "generate its HTML or DOCX" in flags
    assert f"Compliance plan (OMB M-25-21) {YEAR + 1} (HTML): it holds 1 text(s) withheld" in flags

    with TestClient(create_app(settings, db)) as c:
        listed = c.get("/public/site/pages/reports.json").json()["reports"]
        assert [(r["kind"], r["year"], r["format"]) for r in listed] == [
            ("compliance-plan", YEAR, "docx"), ("inventory-summary", YEAR, "html"), ("inventory-summary", YEAR, "pdf"),
            ("inventory-summary", YEAR, "docx")], flags  # not the draft plan's HTML, nor the FR/FC PDF, nor next year's plan
        page = c.get("/public/reports")
        assert page.status_code == 200
        key = c.get("/.well-known/raigov-signing-key.json").json()["public_key"]
        for r in listed:
            assert f'href="/public/site/{r["path"]}"' in page.text and r["sha256"] in page.text
            data = c.get(f"/public/site/{r['path']}").content
            stored = (settings.data_dir / "reports" / f"{r['sha256']}.{r['format']}").read_bytes()
            assert data == stored
            proof = c.get(f"/public/proofs/{r['path']}").json()
            assert proof["item"]["sha256"] == r["sha256"] and verify.check(data, proof, key) == []
        assert SECRET_NAME not in page.text
        feed = c.get("/public/feed.atom").text  # each published report is an entry of the feed of publications
        assert all(f'href="/public/site/{r["path"]}"' in feed and r["sha256"] in feed for r in listed)
        entries = ElementTree.fromstring(feed).findall("{http://www.w3.org/2005/Atom}entry")
        assert len(entries) == len(listed) + 1  # the reports and the year's inventory

        # the standalone verifier and `raigov public verify` agree on a published report
        path = f"reports/{YEAR}/inventory-summary.pdf"
        data = c.get(f"/public/site/{path}").content
        (tmp_path / "r.pdf").write_bytes(data)
        (tmp_path / "p.json").write_text(json.dumps(c.get(f"/public/proofs/{path}").json()))
        tool = [sys.executable, str(ROOT / "tools" / "verify_publication.py"), str(tmp_path / "r.pdf"),
                str(tmp_path / "p.json"), "--key", key]
        assert subprocess.run(tool, capture_output=True, check=False).returncode == 0
        out = CliRunner().invoke(cli, ["public", "verify", str(tmp_path / "r.pdf"), "--json"])
        assert out.exit_code == 0 and json.loads(out.stdout)["path"] == path, out.output

        # tampered: a published report changed on disk is refused; a changed download is caught by both verifiers
        on_disk = settings.data_dir / "public" / built.directory / path
        on_disk.write_bytes(data + b"%")
        assert c.get(f"/public/site/{path}").status_code == 500
        on_disk.write_bytes(data)
        (tmp_path / "r.pdf").write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
        out = subprocess.run(tool, capture_output=True, text=True, check=False)
        assert out.returncode == 1 and "not the published one" in out.stdout
        assert CliRunner().invoke(cli, ["public", "verify", str(tmp_path / "r.pdf"),
                                        "--proof", str(tmp_path / "p.json"), "--key", key]).exit_code == 1

    # a stored report changed on disk since it was generated is not published by the next build
    docx = next(r for r in listed if r["kind"] == "inventory-summary" and r["format"] == "docx")
    stored = settings.data_dir / "reports" / f"{docx['sha256']}.docx"
    stored.write_bytes(stored.read_bytes() + b"x")
    again = _build(db, caio, settings)
    assert "Annual AI use case inventory summary 2026 (DOCX): the stored file does not match" in "\n".join(again.plain_language)
    with db.transaction(read=True) as s:
        assert f"reports/{YEAR}/inventory-summary.docx" not in site.current(s, settings).by_path
