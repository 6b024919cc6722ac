"""The demo builds the public site (issue #19): after the demo load, the public pages show the certified
inventory, the published accountability reports and the bodies' published decisions, and a published file
verifies against the signed tree head."""

import html
import json
import time

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from raigov.cli.main import app as cli
from raigov.demo import agency
from raigov.demo import public as demo_public
from raigov.disclosure import site, verify
from raigov.web.app import create_app


def test_the_demo_publishes_the_public_site(db, settings, system, monkeypatch, cli_env, tmp_path):
    took = {}
    real = demo_public.load_public

    def timed(*a, **k):
        t = time.perf_counter()
        try:
            return real(*a, **k)
        finally:
            took["public"] = time.perf_counter() - t

    monkeypatch.setattr(agency, "load_public", timed)
    t0 = time.perf_counter()
    with db.transaction() as s:
        agency.load(s, settings, system)
    took["load"] = time.perf_counter() - t0
    print(f"demo load {took['load']:.1f} s, of which the public site {took['public']:.1f} s")
    with db.transaction() as s:
        assert demo_public.load_public(s, settings) is None  # idempotent: a build exists
        cur = site.current(s, settings)
        year = cur.json("pages/site.json")["years"][0]
        reports = cur.json("pages/reports.json")["reports"]
        some = cur.json(f"pages/{year}/index.json")["use_cases"][0]
    assert {(r["kind"], r["format"]) for r in reports} == {
        (k, f) for k in ("fr-fc", "inventory-summary", "compliance-plan") for f in ("html", "pdf", "docx")}
    assert {r["year"] for r in reports} == {year}

    with TestClient(create_app(settings, db)) as client:
        index = client.get("/public")
        name = html.escape(some["use_case_name"], quote=False)
        assert index.status_code == 200 and some["id"] in index.text and index.text.count("/public/use-cases/") >= 20
        uc = client.get(f"/public/use-cases/{year}/{site.slug(some['id'])}")
        assert uc.status_code == 200 and name in uc.text.replace("&#39;", "'")
        page = client.get("/public/reports")
        assert page.status_code == 200
        for r in reports:
            assert r["sha256"] in page.text
        assert "Compliance plan" in page.text or "compliance plan" in page.text
        bodies = client.get("/public/bodies")
        assert bodies.status_code == 200 and "The Board approves the use for deployment" in bodies.text
        # a published report, downloaded, verifies against its proof and the well-known key
        plan = next(r for r in reports if r["kind"] == "compliance-plan" and r["format"] == "pdf")
        data = client.get(f"/public/site/{plan['path']}").content
        proof = client.get(f"/public/proofs/{plan['path']}").json()
        key = client.get("/.well-known/raigov-signing-key.json").json()["public_key"]
        assert verify.check(data, proof, key) == []
        assert verify.check(data + b"x", proof, key)  # and a changed one does not
        plan_html = client.get(f"/public/site/reports/{year}/compliance-plan.html").text
        assert demo_public.PLAN_NOTE.replace("'", "&#x27;") in plan_html or demo_public.PLAN_NOTE in plan_html
    # `raigov public verify FILE`, as a journalist would run it on a download (found by its SHA-256)
    summary = next(r for r in reports if r["kind"] == "inventory-summary" and r["format"] == "docx")
    (tmp_path / "summary.docx").write_bytes((cur.folder / summary["path"]).read_bytes())
    r = CliRunner().invoke(cli, ["public", "verify", str(tmp_path / "summary.docx"), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) | {"problems": []} == {"ok": True, "path": summary["path"], "sha256": summary["sha256"],
                                                         "tree_size": proof["head"]["tree_size"], "problems": []}

