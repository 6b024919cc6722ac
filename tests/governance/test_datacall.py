"""The annual data call on SQLite and PostgreSQL: open, component certification (explanations required,
stale after an edit), the CAIO's certification (only the CAIO; a signed snapshot whose hash is in the audit
trail), the frozen cycle, and the public inventory serving the snapshot's exact bytes."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from raigov.audit import service as audit
from raigov.audit.canonical import head_message
from raigov.audit.models import AuditEvent
from raigov.datacall import service as datacall
from raigov.errors import Conflict, PermissionDenied, ValidationFailed
from raigov.inventory import service as inventory

YEAR = 2026
DUE = dt.date(2026, 12, 15)
GOOD = {"use_case_name": "Translation of public notices", "is_withheld": "No", "development_stage": "Pre-deployment",
        "is_high_impact": "Not High-impact", "topic_area": "Admin Functions", "classification": "NLP",
        "problem_solved": "Staff translate public notices by hand.", "benefits": "Notices reach readers sooner.",
        "system_outputs": "Draft translations.", "contact_email": "owner@example.gov"}


@pytest.fixture
def agency(db, settings, make_user, actor_of):
    """CBP: two reported use cases (one fails a reporting check: is_withheld left empty) and a draft;
    ICE: one clean use case. People: CAIO, delegate, the two component leads, owners."""
    for name, roles in (("caio", ("caio",)), ("deleg", ("caio_delegate",)), ("cbp.lead", ("component_ai_lead@CBP",)),
                        ("ice.lead", ("component_ai_lead@ICE",)), ("cbp.owner", ("submitter@CBP",)),
                        ("ice.owner", ("submitter@ICE",))):
        make_user(name, *roles)
    a = {n: actor_of(n) for n in ("caio", "deleg", "cbp.lead", "ice.lead", "cbp.owner", "ice.owner")}
    ids = {}
    with db.transaction() as s:
        for key, owner, comp, values in (
                ("cbp1", "cbp.owner", "CBP", GOOD),
                ("cbp2", "cbp.owner", "CBP", {**GOOD, "use_case_name": "Cargo image triage", "is_withheld": None}),
                ("ice1", "ice.owner", "ICE", {**GOOD, "use_case_name": "Tip line routing"}),
                ("draft", "cbp.owner", "CBP", {**GOOD, "use_case_name": "Unfinished idea"})):
            uc = inventory.create_use_case(s, a[owner], component=comp, values=values, reason="created", settings=settings)
            s.flush()
            ids[key] = uc.business_id
            if key != "draft":
                inventory.submit_use_case(s, a[owner], uc.business_id)
    a["ids"] = ids
    return a


def _open(db, actor):
    with db.transaction() as s:
        return datacall.open_cycle(s, actor, YEAR, DUE, "FY2026 data call").year


def _failing_key(db, a) -> str:
    with db.transaction() as s:
        p = datacall.progress(s, a["cbp.lead"], YEAR)
    (cbp,) = p.components
    assert cbp.component == "CBP" and cbp.active == 2
    keys = [f.key for f in cbp.failing]
    assert keys and all(k.startswith(a["ids"]["cbp2"] + ":") for k in keys)
    return keys[0]


def _certify_components(db, a):
    key = _failing_key(db, a)
    with db.transaction() as s:
        datacall.certify_component(s, a["cbp.lead"], YEAR, "CBP", "CBP's inventory is complete and accurate.",
                                   {key: "is_withheld is answered in the next release of the intake form."})
        datacall.certify_component(s, a["ice.lead"], YEAR, "ICE", "ICE's inventory is complete and accurate.", {})


def test_open_cycle_once_per_year(db, agency):
    with pytest.raises(PermissionDenied):
        _open(db, agency["cbp.lead"])
    assert _open(db, agency["deleg"]) == YEAR
    with pytest.raises(Conflict):
        _open(db, agency["caio"])
    with db.transaction() as s:
        ev = s.scalar(select(AuditEvent).where(AuditEvent.action == "datacall.cycle.open"))
        assert ev.actor == "user:deleg" and json.loads(ev.details)["year"] == YEAR
        with pytest.raises(ValidationFailed):
            datacall.open_cycle(s, agency["caio"], 1800, DUE, "")


def test_component_certification_needs_explanations(db, agency):
    _open(db, agency["caio"])
    key = _failing_key(db, agency)
    with db.transaction() as s, pytest.raises(ValidationFailed) as exc:
        datacall.certify_component(s, agency["cbp.lead"], YEAR, "CBP", "Certified.", {})
    # in words, by kind, naming the use case; never the internal check key
    assert key not in str(exc.value.detail) and "required:" not in str(exc.value.detail)
    assert "1 failing check of 1 kind still need a fix or an explanation" in exc.value.detail
    assert f"Withheld from the public? — not answered: 1 use case ({agency['ids']['cbp2']})" in exc.value.detail
    assert exc.value.errors[0].field == "checks.required:is_withheld|is_withheld"
    with db.transaction() as s, pytest.raises(ValidationFailed):
        datacall.certify_component(s, agency["cbp.lead"], YEAR, "CBP", "Certified.", {key: "   "})
    with db.transaction() as s, pytest.raises(ValidationFailed):
        datacall.certify_component(s, agency["cbp.lead"], YEAR, "CBP", " ", {key: "Explained."})
    for who in ("ice.lead", "caio", "cbp.owner"):  # only the component's own lead
        with db.transaction() as s, pytest.raises(PermissionDenied):
            datacall.certify_component(s, agency[who], YEAR, "CBP", "Certified.", {key: "Explained."})
    with db.transaction() as s:
        cert = datacall.certify_component(s, agency["cbp.lead"], YEAR, "CBP", "Certified.",
                                          {key: "Answered in the next release.", "unrelated": "dropped"})
        assert cert.explanations == {key: "Answered in the next release."} and cert.use_case_count == 2
        assert cert.content_sha256 == datacall.component_content_sha256(s, agency["cbp.lead"], "CBP")
    with db.transaction() as s:
        p = datacall.progress(s, agency["caio"], YEAR)
        by = {c.component: c for c in p.components}
        assert by["CBP"].state == "certified" and by["CBP"].explained == len(by["CBP"].failing)
        assert by["CBP"].certified_by == "user:cbp.lead" and by["ICE"].state == "not certified"
        assert (p.required, p.done) == (2, 1)
        ev = s.scalar(select(AuditEvent).where(AuditEvent.action == "datacall.component.certify"))
        assert ev.object_id == f"{YEAR}/CBP" and json.loads(ev.details)["content_sha256"] == cert.content_sha256


def test_edit_after_certification_makes_it_stale(db, agency, settings):
    _open(db, agency["caio"])
    _certify_components(db, agency)
    with db.transaction() as s:
        inventory.edit_use_case(s, agency["ice.owner"], agency["ids"]["ice1"], {"benefits": "Tips reach agents sooner."},
                                "clearer benefits")
    with db.transaction() as s:
        by = {c.component: c for c in datacall.progress(s, agency["caio"], YEAR).components}
        assert by["ICE"].state == "stale" and by["ICE"].certified_sha256 != by["ICE"].content_sha256
        assert by["CBP"].state == "certified"
    with db.transaction() as s, pytest.raises(ValidationFailed) as exc:
        datacall.certify(s, agency["caio"], YEAR, "Certified.", settings)
    assert exc.value.detail.startswith("1 of 2 components has not certified: ICE (changed since it certified)")
    with db.transaction() as s:
        datacall.certify_component(s, agency["ice.lead"], YEAR, "ICE", "Re-certified after the edit.", {})
    with db.transaction() as s:
        by = {c.component: c for c in datacall.progress(s, agency["caio"], YEAR).components}
        assert by["ICE"].state == "certified"


def test_only_the_caio_certifies_the_whole(db, agency, system, settings):
    _open(db, agency["caio"])
    _certify_components(db, agency)
    for actor in (agency["deleg"], agency["cbp.lead"], system):
        with db.transaction() as s, pytest.raises(PermissionDenied):
            datacall.certify(s, actor, YEAR, "Certified.", settings)
    with db.transaction() as s, pytest.raises(ValidationFailed):
        datacall.certify(s, agency["caio"], YEAR, "  ", settings)


def test_certification_freezes_a_signed_snapshot(db, agency, settings, tmp_path):
    _open(db, agency["caio"])
    with db.transaction() as s, pytest.raises(ValidationFailed) as exc:
        datacall.certify(s, agency["caio"], YEAR, "Certified.", settings)
    assert exc.value.detail.startswith("2 of 2 components have not certified: CBP, ICE.")
    assert {e.field for e in exc.value.errors} == {"components.CBP", "components.ICE"}
    _certify_components(db, agency)
    with db.transaction() as s:
        res = datacall.certify(s, agency["caio"], YEAR, "The department's inventory is complete.", settings)
    full_name, public_name = datacall.snapshot_names(YEAR)
    folder = settings.data_dir / "snapshots" / str(YEAR)
    full, public = (folder / full_name).read_bytes(), (folder / public_name).read_bytes()
    assert hashlib.sha256(full).hexdigest() == res.snapshot_sha256
    assert hashlib.sha256(public).hexdigest() == res.public_sha256
    assert res.rows == 3 and res.public_rows == 3
    assert b"owner@example.gov" in full and b"contact_email" not in public and b"owner@example.gov" not in public
    assert b"Unfinished idea" not in full  # drafts are not reported
    manifest = json.loads((folder / "manifest.json").read_text())
    safe_name, xlsx_name = datacall.safe_snapshot_names(YEAR)
    assert manifest["files"] == {full_name: res.snapshot_sha256, public_name: res.public_sha256,
                                 safe_name: hashlib.sha256((folder / safe_name).read_bytes()).hexdigest(),
                                 xlsx_name: hashlib.sha256((folder / xlsx_name).read_bytes()).hexdigest()}

    # the snapshot is the inventory exporter's own output
    out = tmp_path / "export.csv"
    with db.transaction() as s:
        inventory.export_inventory(s, agency["caio"], "omb-2025-csv", out)
    assert out.read_bytes() == full

    with db.transaction() as s:
        cycle = datacall.get_cycle(s, agency["caio"], YEAR)
        assert (cycle.status, cycle.snapshot_sha256, cycle.snapshot_count) == ("certified", res.snapshot_sha256, 3)
        assert cycle.certified_by == "user:caio"
        ev = s.scalar(select(AuditEvent).where(AuditEvent.action == "datacall.cycle.certify"))
        d = json.loads(ev.details)
        assert ev.seq == res.event_seq and d["snapshot_sha256"] == res.snapshot_sha256
        assert d["public_sha256"] == res.public_sha256
        # a signed head covers the certification event, and its signature verifies
        head = res.head
        assert head["tree_size"] >= ev.seq
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        Ed25519PublicKey.from_public_bytes(bytes.fromhex(head["public_key"])).verify(
            bytes.fromhex(head["signature"]), head_message(head["tree_size"], head["root_hash"], head["timestamp"]))
        assert audit.verify(s, agency["caio"]).ok
        pub = datacall.publication(s)
        assert (pub.year, pub.public_sha256, pub.event_seq) == (YEAR, res.public_sha256, ev.seq)
        assert pub.head == head
        assert datacall.snapshot_bytes(s, settings, YEAR) == public
        assert datacall.snapshot_bytes(s, settings, YEAR, public=False) == full

    # frozen
    with db.transaction() as s, pytest.raises(Conflict):
        datacall.certify(s, agency["caio"], YEAR, "Again.", settings)
    with db.transaction() as s, pytest.raises(Conflict):
        datacall.certify_component(s, agency["ice.lead"], YEAR, "ICE", "Again.", {})

    # a changed file is refused, not served
    (folder / public_name).write_bytes(public.replace(b"Tip line", b"Tip lime"))
    with db.transaction() as s, pytest.raises(datacall.SnapshotTampered):
        datacall.snapshot_bytes(s, settings, YEAR)


def test_public_inventory_serves_the_snapshot(db, agency, settings):
    from raigov.web.app import create_app

    with TestClient(create_app(settings, db), base_url="http://testserver") as c:
        r = c.get("/public/inventory")
        assert r.status_code == 200 and "No inventory has been certified yet" in r.text
        assert c.get(f"/public/inventory/{YEAR}.csv").status_code == 404
        _open(db, agency["caio"])
        _certify_components(db, agency)
        with db.transaction() as s:
            res = datacall.certify(s, agency["caio"], YEAR, "Certified.", settings)
        r = c.get("/public/inventory")
        assert r.status_code == 200
        assert res.public_sha256 in r.text and res.head["signature"] in r.text
        assert "Tip line routing" in r.text and "owner@example.gov" not in r.text
        r = c.get(f"/public/inventory/{YEAR}.csv")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        folder = settings.data_dir / "snapshots" / str(YEAR)
        assert r.content == (folder / datacall.snapshot_names(YEAR)[1]).read_bytes()
        assert hashlib.sha256(r.content).hexdigest() == res.public_sha256
        (folder / datacall.snapshot_names(YEAR)[1]).write_bytes(b"changed")
        assert c.get(f"/public/inventory/{YEAR}.csv").status_code == 500


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # the CLI is a thin adapter: the service is tested on both
def test_cli(db, agency, settings, backend):
    import os
    import subprocess
    import sys
    from pathlib import Path

    from tests.conftest import PASSWORD

    env = {**os.environ, "RAIGOV_DATABASE_URL": db.url, "RAIGOV_DATA_DIR": str(settings.data_dir)}

    def cli(*args, password: str | None = None):
        return subprocess.run([sys.executable, "-m", "raigov.cli.main", "datacall", *args], capture_output=True, text=True,
                              check=False, env=env, timeout=180, cwd=Path(__file__).resolve().parents[2],
                              input=None if password is None else password + "\n")

    res = cli("open", str(YEAR), "--due", "2026-12-15")  # the shell itself may not open a cycle
    assert res.returncode == 2 and "--as USERNAME" in res.stderr
    res = cli("open", str(YEAR), "--due", "2026-12-15", "--as", "caio", "--password-stdin", password="wrong-password")
    assert res.returncode == 2 and "incorrect" in res.stderr
    res = cli("open", str(YEAR), "--due", "15/12/2026", "--as", "caio", "--password-stdin", password=PASSWORD)
    assert res.returncode == 2 and "YYYY-MM-DD" in res.stderr
    res = cli("open", str(YEAR), "--due", "2026-12-15", "--as", "caio", "--password-stdin", "--json", password=PASSWORD)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["opened_by"] == "user:caio"

    res = cli("status", str(YEAR), "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert (out["required"], out["certified"]) == (2, 0)
    key = next(c for c in out["components"] if c["component"] == "CBP")["failing"][0]["key"]

    res = cli("certify-component", str(YEAR), "CBP", "--statement", "Complete.", "--as", "cbp.lead", "--password-stdin",
              password=PASSWORD)
    assert res.returncode == 2 and "Withheld from the public? — not" in res.stderr and "still need a fix" in res.stderr
    # the lead's worklist in words, by kind, numbered: no check key, no field name
    res = cli("status", str(YEAR), "--component", "CBP")
    assert res.returncode == 0, res.stderr
    assert "kind 1. Withheld from the public? — not answered: 1 use case" in res.stdout, res.stdout
    assert "fix --kind 1 --value" in res.stdout and "one of: No; Yes - Disclosure Risk" in res.stdout
    assert key not in res.stdout and "required:" not in res.stdout and "is_withheld" not in res.stdout
    res = cli("fix", str(YEAR), "CBP", "--kind", "1", "--value", "Perhaps", "--as", "cbp.lead", "--password-stdin",
              password=PASSWORD)
    assert res.returncode == 2 and "Perhaps" in res.stderr, res.stderr
    res = cli("explain", str(YEAR), "CBP", "--kind", "9", "--text", "x", "--as", "cbp.lead", "--password-stdin",
              password=PASSWORD)
    assert res.returncode == 2 and "1 kind(s)" in res.stderr, res.stderr
    res = cli("explain", str(YEAR), "CBP", "--kind", "1", "--text", "Being decided.", "--as", "cbp.lead",
              "--password-stdin", password=PASSWORD)
    assert res.returncode == 0 and "explained for 1 use case" in res.stdout, res.stderr
    res = cli("status", str(YEAR), "--component", "CBP")
    assert "1 explained" in res.stdout, res.stdout
    res = cli("certify-component", str(YEAR), "CBP", "--statement", "Complete.", "--explain", f"{key}=Asked in the next form.",
              "--as", "cbp.lead", "--password-stdin", password=PASSWORD)
    assert res.returncode == 0, res.stderr
    res = cli("certify-component", str(YEAR), "ICE", "--statement", "Complete.", "--as", "ice.lead", "--password-stdin",
              password=PASSWORD)
    assert res.returncode == 0, res.stderr
    res = cli("certify", str(YEAR), "--statement", "Complete.", "--as", "deleg", "--password-stdin", password=PASSWORD)
    assert res.returncode == 2 and "may not datacall.cycle.certify" in res.stderr
    res = cli("certify", str(YEAR), "--statement", "Complete.", "--as", "caio", "--password-stdin", "--json",
              password=PASSWORD)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    public = settings.data_dir / out["directory"] / datacall.snapshot_names(YEAR)[1]
    assert hashlib.sha256(public.read_bytes()).hexdigest() == out["public_sha256"]
    res = cli("status", str(YEAR))
    assert res.returncode == 0 and "certified" in res.stdout and out["snapshot_sha256"] in res.stdout
