"""`raigov datacall finish YEAR` on SQLite and PostgreSQL: after a crash between the certification's commit and
its renames, the CAIO's office or an administrator finishes the snapshot (pending files with the recorded hash
renamed into place; one with another hash refused and left where it is); a second run is a no-op; exit 0 only
when every file (three, five since 0008) is in place with their recorded hashes."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import func, select

from raigov.audit.models import AuditEvent
from raigov.datacall import files as datacall_files
from raigov.datacall import service as datacall
from raigov.datacall.models import ReportingCycle
from raigov.errors import PermissionDenied
from raigov.identity.permissions import Actor
from tests.conftest import PASSWORD
from tests.governance import test_datacall
from tests.governance.test_datacall import YEAR, _certify_components, _open

agency = test_datacall.agency  # the fixture: CBP and ICE, their leads, the CAIO and a delegate (with passwords)

FULL, PUBLIC = datacall.snapshot_names(YEAR)
SAFE, XLSX = datacall.safe_snapshot_names(YEAR)
NAMES = (FULL, PUBLIC, datacall.MANIFEST, SAFE, XLSX)
DIR = f"snapshots/{YEAR}"



def cli(*args, password: str | None = PASSWORD):
    from typer.testing import CliRunner

    from raigov.cli.datacall import app

    return CliRunner().invoke(app, ["finish", *args], input=None if password is None else password + "\n")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _folder(settings):
    return settings.data_dir / "snapshots" / str(YEAR)


def _files(settings) -> dict[str, str]:
    """{file name: sha256} of the snapshot folder."""
    return {p.name: _sha(p.read_bytes()) for p in sorted(_folder(settings).iterdir())}


def _recorded(db) -> dict[str, str]:
    with db.transaction() as s:
        c = s.scalar(select(ReportingCycle).where(ReportingCycle.year == YEAR))
        return {FULL: c.snapshot_sha256, PUBLIC: c.public_sha256, datacall.MANIFEST: c.manifest_sha256,
                SAFE: c.public_safe_sha256, XLSX: c.public_xlsx_sha256}


def _finish_events(db) -> list[dict]:
    with db.transaction() as s:
        rows = s.execute(select(AuditEvent.actor, AuditEvent.details).where(AuditEvent.action == "datacall.snapshot.finish")
                         .order_by(AuditEvent.seq)).all()
    return [{"actor": a, **(json.loads(d) if isinstance(d, str) else d)} for a, d in rows]


def _event_count(db) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(AuditEvent))


def _crash(db, agency, settings, monkeypatch):
    """Certify, with the process 'dying' between the commit and the renames (as test_datacall_integrity)."""
    _open(db, agency["caio"])
    _certify_components(db, agency)
    with monkeypatch.context() as m:
        m.setattr(datacall_files, "_after_commit", lambda session: session.info.pop(datacall_files._FILES, None))
        with db.transaction() as s:
            datacall.certify(s, agency["caio"], YEAR, "Complete.", settings)
    recorded = _recorded(db)
    assert _files(settings) == {n + datacall.PENDING: recorded[n] for n in NAMES}  # committed, never renamed
    return recorded


def test_finish_renames_the_pending_files_and_a_second_run_is_a_no_op(db, agency, settings, monkeypatch, cli_env):
    recorded = _crash(db, agency, settings, monkeypatch)
    before = _event_count(db)

    res = cli(str(YEAR), "--as", "caio", "--password-stdin")
    assert res.exit_code == 0, res.output
    for name in NAMES:
        assert f"renamed {DIR}/{name}.pending into place (sha256 {recorded[name]})" in res.output
    assert f"the {YEAR} snapshot is complete" in res.output
    assert _files(settings) == recorded  # exactly the five files, with the recorded hashes
    assert _event_count(db) == before + 1
    assert _finish_events(db) == [{"actor": "user:caio", "year": YEAR, "files": {n: "finished" for n in NAMES}}]

    # again: nothing to do, nothing recorded, same files
    res = cli(str(YEAR), "--as", "caio", "--password-stdin", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out == {"year": YEAR, "directory": DIR, "complete": True, "event_seq": None,
                   "files": [{"name": n, "state": "present", "expected_sha256": recorded[n],
                              "actual_sha256": recorded[n], "ok": True} for n in NAMES]}
    assert _files(settings) == recorded
    assert _event_count(db) == before + 1

    res = cli(str(YEAR), "--as", "caio", "--password-stdin")
    assert res.exit_code == 0, res.output
    assert res.output.count("already in place") == len(NAMES) and "renamed" not in res.output


def test_a_pending_file_with_the_wrong_hash_is_refused(db, agency, settings, monkeypatch, cli_env):
    recorded = _crash(db, agency, settings, monkeypatch)
    forged = datacall.pending_path(_folder(settings) / PUBLIC)
    good = forged.read_bytes()
    forged.write_bytes(b"forged")

    res = cli(str(YEAR), "--as", "caio", "--password-stdin")
    assert res.exit_code == 1, res.output
    assert f"renamed {DIR}/{FULL}.pending into place" in res.output
    assert f"renamed {DIR}/{datacall.MANIFEST}.pending into place" in res.output
    assert (f"refused {DIR}/{PUBLIC}.pending: its sha256 {_sha(b'forged')} is not the recorded "
            f"{recorded[PUBLIC]}; left where it is") in res.output
    assert f"the {YEAR} snapshot is NOT complete" in res.output
    assert _files(settings) == {FULL: recorded[FULL], datacall.MANIFEST: recorded[datacall.MANIFEST],
                                SAFE: recorded[SAFE], XLSX: recorded[XLSX], PUBLIC + datacall.PENDING: _sha(b"forged")}
    assert [e["files"] for e in _finish_events(db)] == [{FULL: "finished", PUBLIC: "mismatch",
                                                          datacall.MANIFEST: "finished", SAFE: "finished",
                                                          XLSX: "finished"}]

    # a second run changes nothing and still refuses
    res = cli(str(YEAR), "--as", "caio", "--password-stdin", "--json")
    assert res.exit_code == 1, res.output
    out = json.loads(res.stdout)
    assert out["complete"] is False and out["event_seq"] is None
    assert [(f["name"], f["state"], f["ok"]) for f in out["files"]] == [
        (FULL, "present", True), (PUBLIC, "mismatch", False), (datacall.MANIFEST, "present", True),
        (SAFE, "present", True), (XLSX, "present", True)]
    assert out["files"][1]["actual_sha256"] == _sha(b"forged")
    assert len(_finish_events(db)) == 1

    # the right bytes put back under the pending name (e.g. from a backup): finished
    forged.write_bytes(good)
    res = cli(str(YEAR), "--as", "caio", "--password-stdin")
    assert res.exit_code == 0, res.output
    assert f"renamed {DIR}/{PUBLIC}.pending into place" in res.output
    assert _files(settings) == recorded


def test_a_file_in_place_with_the_wrong_hash_or_missing_fails(db, agency, settings, cli_env):
    _open(db, agency["caio"])
    _certify_components(db, agency)
    with db.transaction() as s:
        datacall.certify(s, agency["caio"], YEAR, "Complete.", settings)
    recorded = _recorded(db)
    before = _event_count(db)
    res = cli(str(YEAR), "--as", "deleg", "--password-stdin")  # the CAIO's delegate may
    assert res.exit_code == 0 and res.output.count("already in place") == len(NAMES), res.output

    (_folder(settings) / FULL).write_bytes(b"changed")
    (_folder(settings) / datacall.MANIFEST).unlink()
    res = cli(str(YEAR), "--as", "caio", "--password-stdin")
    assert res.exit_code == 1, res.output
    assert f"{DIR}/{FULL} is in place but its sha256 {_sha(b'changed')} is not the recorded {recorded[FULL]}" in res.output
    assert f"{DIR}/{PUBLIC} already in place" in res.output
    assert f"{DIR}/{datacall.MANIFEST} is missing and has no pending file" in res.output
    assert (_folder(settings) / FULL).read_bytes() == b"changed"  # nothing is overwritten
    assert _event_count(db) == before


def test_who_may_finish(db, agency, settings, monkeypatch, make_user, actor_of, cli_env):
    make_user("ops", "admin")
    make_user("aud", "auditor")
    res = cli(str(YEAR), "--as", "caio", "--password-stdin")  # no cycle yet
    assert res.exit_code == 2 and f"no reporting cycle for {YEAR}" in res.output
    _open(db, agency["caio"])
    res = cli(str(YEAR), "--as", "caio", "--password-stdin")  # open: nothing to finish
    assert res.exit_code == 2 and "is open: there is no snapshot to finish" in res.output

    _crash_after_open(db, agency, settings, monkeypatch)
    res = cli(str(YEAR), password=None)  # the shell itself may not
    assert res.exit_code == 2 and "--as USERNAME" in res.output
    res = cli(str(YEAR), "--as", "cbp.lead", "--password-stdin")
    assert res.exit_code == 2 and "user:cbp.lead may not finish a data call snapshot" in res.output
    res = cli(str(YEAR), "--as", "ops", "--password-stdin", password="wrong-password")
    assert res.exit_code == 2 and "incorrect" in res.output
    assert set(_files(settings)) == {n + datacall.PENDING for n in NAMES}  # nothing done by the refusals

    with db.transaction() as s:
        for who in (Actor.system("test"), actor_of("aud"), agency["cbp.owner"]):
            with pytest.raises(PermissionDenied):
                datacall.finish(s, who, settings, YEAR)
    assert set(_files(settings)) == {n + datacall.PENDING for n in NAMES}

    res = cli(str(YEAR), "--as", "ops", "--password-stdin")  # an administrator (operations) may
    assert res.exit_code == 0, res.output
    assert set(_files(settings)) == set(NAMES)
    assert [e["actor"] for e in _finish_events(db)] == ["user:ops"]


def _crash_after_open(db, agency, settings, monkeypatch):
    _certify_components(db, agency)
    with monkeypatch.context() as m:
        m.setattr(datacall_files, "_after_commit", lambda session: session.info.pop(datacall_files._FILES, None))
        with db.transaction() as s:
            datacall.certify(s, agency["caio"], YEAR, "Complete.", settings)


def test_the_service_refuses_when_the_records_disagree(db, agency, settings, monkeypatch):
    """A changed database row could otherwise get a forged pending file renamed into place."""
    from sqlalchemy import text

    _crash(db, agency, settings, monkeypatch)
    forged = datacall.pending_path(_folder(settings) / PUBLIC)
    forged.write_bytes(b"forged")
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE reporting_cycles SET public_sha256 = :h WHERE year = :y"),
                     {"h": _sha(b"forged"), "y": YEAR})
    with db.transaction() as s, pytest.raises(datacall.SnapshotRecordMismatch):
        datacall.finish(s, agency["caio"], settings, YEAR)
    assert set(_files(settings)) == {n + datacall.PENDING for n in NAMES}
