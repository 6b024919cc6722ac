"""Withholding, the public site, its open data and its verification, on SQLite and PostgreSQL (issue #19,
items 1-4): what the CAIO's office withholds never appears in any public response (every public URL is fetched
and searched, the XLSX's cells too); OMB's full file keeps it; every published file checks out against its
proof and the signed head, with raigov's verifier and the standalone one; a changed file and a changed head are
both caught."""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from raigov.audit import service as audit
from raigov.bodies import service as bodies
from raigov.cli.main import app as cli
from raigov.clock import agency_today
from raigov.datacall import service as datacall
from raigov.disclosure import site, verify, withholding
from raigov.errors import Conflict, PermissionDenied, ValidationFailed
from raigov.inventory import service as inventory
from raigov.inventory.questions import label_of
from raigov.web.app import create_app
from tests.governance import test_datacall
from tests.governance.test_datacall import GOOD, YEAR, _certify_components, _open
from tests.web.conftest import csrf_from
from tests.web.test_domains import signed_in

agency = test_datacall.agency  # CBP: cbp1, cbp2 (a failing check, explained); ICE: ice1; the CAIO and leads

ROOT = Path(__file__).resolve().parents[2]
SECRET_FIELD = "Zebra-crossing benefit kept internal"  # cbp1's benefits: the answer is withheld
SECRET_WHOLE = "Okapi lookout for withheld work"  # ice1's purpose: the whole use case is withheld
SECRET_NAME = "Tip line routing"  # ice1's name
SECRET_CBP2 = "Cargo image triage"  # cbp2's name: that answer is withheld


def _setup(db, agency, settings):
    a = agency
    ids = a["ids"]
    with db.transaction() as s:
        inventory.edit_use_case(s, a["cbp.owner"], ids["cbp1"], {"benefits": SECRET_FIELD}, "benefits")
        inventory.edit_use_case(s, a["ice.owner"], ids["ice1"], {"problem_solved": SECRET_WHOLE}, "purpose")
    with db.transaction() as s:
        withholding.withhold(s, a["caio"], ids["cbp1"], "benefits", "foia-b5", "deliberative")
        withholding.withhold(s, a["deleg"], ids["ice1"].lower(), "", "foia-b7e")
        withholding.withhold(s, a["caio"], ids["cbp2"], "use_case_name", "sensitive-law-enforcement")
    _publish_board_decisions(db, a)
    _open(db, a["caio"])
    _certify_components(db, a)
    with db.transaction() as s:
        cert = datacall.certify(s, a["caio"], YEAR, "Complete.", settings)
    with db.transaction() as s:
        built = site.build(s, a["caio"], settings)
    return cert, built


def _publish_board_decisions(db, a):
    """The Board decides on cbp1 (public) and on ice1 (withheld whole) and publishes both, and its minutes."""
    caio = a["caio"]
    with db.transaction() as s:
        bodies.appoint(s, caio, "board", "vice_chair", "caio", since=agency_today() - dt.timedelta(days=5))
        m = bodies.schedule(s, caio, "board", title="Board", starts_at=dt.datetime.combine(agency_today(), dt.time(9)))
        bodies.record_attendance(s, caio, m.id, ["caio"])
        for key in ("cbp1", "ice1"):
            d = bodies.record_decision(s, caio, m.id, kind="decision", subject_kind="use_case", subject_ref=a["ids"][key],
                                       text="The Board takes it up.", votes={"caio": "yes"})
            bodies.publish_decision(s, caio, d.id)
        bodies.record_minutes(s, caio, m.id, "The Board met without its quorum.")
        bodies.publish_minutes(s, caio, m.id)


def test_withholding_is_checked(db, agency, settings):
    a, ids = agency, agency["ids"]
    with db.transaction() as s:
        withholding.withhold(s, a["caio"], ids["cbp1"], "benefits", "foia-b5")
    cases = [((ids["cbp1"], "benefits", "foia-b5"), Conflict, "already withheld"),
             ((ids["cbp1"], "id", "foia-b5"), ValidationFailed, "field"),
             ((ids["cbp1"], "nonsense", "foia-b5"), ValidationFailed, "field"),
             ((ids["cbp1"], "", "b(5)"), ValidationFailed, "reason"),
             (("DHS-9999", "", "foia-b5"), ValidationFailed, "use_case"),
             (("", "", "foia-b5"), ValidationFailed, "use_case")]
    for args, exc, word in cases:
        with pytest.raises(exc) as e, db.transaction() as s:
            withholding.withhold(s, a["caio"], *args)
        assert word in str(e.value.detail) or any(err.field == word for err in getattr(e.value, "errors", [])), args
    for who in ("ice.lead", "cbp.owner"):
        with pytest.raises(PermissionDenied), db.transaction() as s:
            withholding.withhold(s, a[who], ids["ice1"], "", "foia-b6")
    with signed_in(create_app(settings, db), "caio") as c:  # the internal pages: errors at the field, then saved
        page = c.get("/disclosure")
        assert page.status_code == 200 and "Only the answer: " in page.text
        form = {"csrf_token": csrf_from(page.text), "use_case": ids["ice1"], "field": "benefits", "reason": ""}
        r = c.post("/disclosure/withholdings", data=form)
        assert r.status_code == 422 and 'id="f-reason-error"' in r.text and "choose one of the reason codes" in r.text
        r = c.post("/disclosure/withholdings", data={**form, "reason": "foia-b6"}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/disclosure?done=disclosure.withheld"
        side = c.get(f"/disclosure/use-cases/{ids['ice1']}").text
        assert "<strong>Withheld</strong>: Personal privacy (FOIA exemption (b)(6))" in side and "Tip line routing" in side
    with signed_in(create_app(settings, db), "ice.lead") as c:
        assert c.get("/disclosure").status_code == 403
    with db.transaction() as s:
        view = withholding.side_by_side(s, a["caio"], ids["ice1"])
        assert [r for r in view["rows"] if r[3]] == [(label_of("benefits"), GOOD["benefits"], None,
                                                      "Personal privacy (FOIA exemption (b)(6))")]
        released = [w.id for w in withholding.list_withholdings(s, a["caio"]) if w.business_id == ids["ice1"]]
        withholding.release(s, a["caio"], released[0])
    with db.transaction() as s:
        (w,) = withholding.list_withholdings(s, a["caio"])
        assert (w.business_id, w.field, w.field_label, w.reason) == (ids["cbp1"], "benefits", label_of("benefits"), "foia-b5")
        withholding.release(s, a["caio"], w.id)
        assert withholding.list_withholdings(s, a["caio"]) == []


def _public_urls(c: TestClient, man: dict) -> list[str]:
    urls = ["/public", f"/public?year={YEAR}&q=notices", "/public?high_impact=no&genai=no&face=no", "/public/waivers",
            "/public/pilots", "/public/bodies", "/public/reports", "/public/data", f"/public/changes/{YEAR}",
            "/public/feed.atom", "/public/inventory",
            "/.well-known/raigov-signing-key.json", "/public/audit/head",
            f"/public/proofs/consistency?old=1&new={man['head']['tree_size']}"]
    for item in man["files"]:
        p = item["path"]
        urls += [f"/public/site/{p}", f"/public/proofs/{p}"]
        parts = p.split("/")
        if parts[0] == "pages" and len(parts) == 4 and parts[2] in ("use-cases", "components"):
            urls.append(f"/public/{parts[2]}/{parts[1]}/{parts[3][:-5]}")
            if parts[2] == "use-cases":  # its feedback form, with the responses published
                urls.append(f"/public/use-cases/{parts[3][:-5]}/feedback")
        if parts[0] == "data":
            urls.append(f"/public/data/{parts[1]}/{parts[2]}")
    return urls


def _feedback_answered(c: TestClient, db, agency, settings) -> None:
    """A message from the public on cbp1 (its name is public, one answer withheld) and a published response."""
    from raigov.disclosure.feedback import service as feedback

    url = f"/public/use-cases/{agency['ids']['cbp1']}/feedback"
    r = c.post(url, data={"text": "Who reads the translations before they are posted?", "csrf_token": csrf_from(c.get(url).text)})
    assert r.status_code == 200 and "your message was received" in r.text
    with db.transaction() as s:  # a response that repeats a withheld answer is not published
        (f, _), *_ = feedback.queue(s, agency["cbp.lead"])
        with pytest.raises(ValidationFailed, match="withheld from the public"):
            feedback.respond(s, agency["cbp.lead"], f.id, f"As we said: {SECRET_FIELD}.", publish=True, settings=settings)
        feedback.respond(s, agency["cbp.lead"], f.id, "A translator reads each one.", publish=True, settings=settings)
    assert "A translator reads each one." in c.get(url).text


def _texts(r) -> str:
    if r.headers.get("content-type", "").startswith("application/vnd.openxml"):
        wb = openpyxl.load_workbook(io.BytesIO(r.content))
        return "\n".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None)
    return r.content.decode("utf-8", "replace")


def test_public_site_never_shows_what_is_withheld_and_checks_out(db, agency, settings, tmp_path, cli_env):
    """Long because it walks the whole published site once (one database per backend)."""
    cert, built = _setup(db, agency, settings)
    ids = agency["ids"]
    folder = settings.data_dir / "snapshots" / str(YEAR)
    full = (folder / datacall.snapshot_names(YEAR)[0]).read_bytes().decode()
    assert SECRET_FIELD in full and SECRET_WHOLE in full and SECRET_NAME in full  # OMB receives everything
    assert cert.rows == 3 and cert.public_rows == 2  # cbp1 (one answer withheld), cbp2; not ice1 (withheld whole)
    with TestClient(create_app(settings, db), base_url="http://testserver") as c:
        r = c.get("/public")
        assert r.status_code == 200
        with db.transaction(read=True) as s:
            cur = site.current(s, settings)
        man = cur.manifest
        _feedback_answered(c, db, agency, settings)
        urls = _public_urls(c, man)
        assert len(urls) > 20 and f"/public/use-cases/{ids['cbp2']}/feedback" in urls
        for url in urls:
            r = c.get(url)
            assert r.status_code == 200, (url, r.status_code, r.text[:300])
            text = _texts(r)
            for secret in (SECRET_FIELD, SECRET_WHOLE, SECRET_NAME, SECRET_CBP2, ids["ice1"]):
                assert secret not in text, (url, secret)
        assert "Tell us about this use case" in c.get(f"/public/use-cases/{ids['cbp2']}/feedback").text
        # the use case withheld whole takes no feedback and its form says nothing of it
        token = csrf_from(c.get(f"/public/use-cases/{ids['cbp1']}/feedback").text)
        hidden = f"/public/use-cases/{ids['ice1']}/feedback"
        for r in (c.get(hidden), c.post(hidden, data={"text": "Hello", "csrf_token": token})):
            assert r.status_code == 404 and SECRET_NAME not in r.text and SECRET_WHOLE not in r.text
        # the withheld counts per component are published: ICE withholds one use case
        idx = c.get(f"/public/site/pages/{YEAR}/index.json").json()
        assert {x["component"]: x["withheld"] for x in idx["components"]} == {"CBP": 0, "ICE": 1}
        # what the Board published: the public use case by its public name, the withheld one without its name
        board = c.get("/public/bodies").text
        assert f'href="/public/use-cases/{YEAR}/{ids["cbp1"]}">{GOOD["use_case_name"]}</a>' in board
        assert "a use case not in the public inventory" in board and "The Board met without its quorum." in board
        assert "No quorum: not decided: 1 yes, 0 no, 0 abstaining" in board
        page = c.get(f"/public/use-cases/{YEAR}/{ids['cbp1']}").text
        assert f"Some answers are withheld from publication: {label_of('benefits')}" in page

        # stable open data with ETags
        r = c.get(f"/public/data/{YEAR}/inventory.csv")
        assert r.content == (folder / datacall.snapshot_names(YEAR)[1]).read_bytes()
        assert r.headers["etag"] == f'"{cert.public_sha256}"'
        assert c.get(f"/public/data/{YEAR}/inventory.csv", headers={"If-None-Match": r.headers["etag"]}).status_code == 304
        key = c.get("/.well-known/raigov-signing-key.json").json()["public_key"]

        # every published file checks out against its proof
        proofs = {}
        for item in man["files"]:
            data = c.get(f"/public/site/{item['path']}").content
            proofs[item["path"]] = p = c.get(f"/public/proofs/{item['path']}").json()
            assert verify.check(data, p, key) == [], item["path"]
        assert verify.published_path(f"/public/use-cases/{YEAR}/{ids['cbp1']}") == f"pages/{YEAR}/use-cases/{ids['cbp1']}.json"

        # the standalone verifier (imports nothing from raigov) agrees, on one file and its proof
        path = f"data/{YEAR}/inventory.json"
        data = c.get(f"/public/site/{path}").content
        (tmp_path / "f").write_bytes(data)
        (tmp_path / "p.json").write_text(json.dumps(proofs[path]))
        tool = [sys.executable, str(ROOT / "tools" / "verify_publication.py"), str(tmp_path / "f"), str(tmp_path / "p.json"),
                "--key", key]
        assert subprocess.run(tool, capture_output=True, check=False).returncode == 0

        # a tampered file: refused by the site, caught by both verifiers
        bad = data.replace(b"Translation", b"Translatiox")
        assert verify.check(bad, proofs[path], key)
        (tmp_path / "f").write_bytes(bad)
        out = subprocess.run(tool, capture_output=True, text=True, check=False)
        assert out.returncode == 1 and "not the published one" in out.stdout
        on_disk = settings.data_dir / "public" / built.directory / path
        on_disk.write_bytes(bad)
        assert c.get(f"/public/site/{path}").status_code == 500
        assert c.get(f"/public/data/{YEAR}/inventory.json").status_code == 500
        on_disk.write_bytes(data)

        # a tampered head (another root, or the signature of another size): caught
        for change in ({"root_hash": "0" * 64}, {"tree_size": proofs[path]["head"]["tree_size"] + 1}):
            forged = copy.deepcopy(proofs[path])
            forged["head"].update(change)
            assert any("signature" in x or "tree head" in x for x in verify.check(data, forged, key)), change
        other = copy.deepcopy(proofs[path])
        other["item"]["path"] = "data/2025/inventory.json"  # the same bytes claimed for another place
        assert verify.check(data, other, key)

        # consistency between successive heads
        first = proofs[path]["head"]
        with db.transaction() as s:
            later = audit.sign_head(s, agency["caio"], settings.data_dir)
        cons = c.get(f"/public/proofs/consistency?old={first['tree_size']}&new={later['tree_size']}").json()
        assert verify.check_consistency(first, later, cons, key) == []
        assert verify.check_consistency(first, {**later, "root_hash": "1" * 64}, cons, key)

        # `raigov public build` publishes a new build; `raigov public verify FILE` finds a download by its hash
        out = CliRunner().invoke(cli, ["public", "build", "--json"])
        assert out.exit_code == 0, out.output
        assert json.loads(out.stdout)["files"] == len(man["files"])
        (tmp_path / "dl.csv").write_bytes(c.get(f"/public/data/{YEAR}/inventory.csv").content)
        out = CliRunner().invoke(cli, ["public", "verify", str(tmp_path / "dl.csv"), "--json"])
        assert out.exit_code == 0 and json.loads(out.stdout)["path"] == f"data/{YEAR}/inventory.csv", out.output
        (tmp_path / "dl.csv").write_bytes(c.get(f"/public/data/{YEAR}/inventory.csv").content + b"\n")
        assert CliRunner().invoke(cli, ["public", "verify", str(tmp_path / "dl.csv")]).exit_code == 1
