"""The data call's snapshot follows the transaction, on SQLite and PostgreSQL: files are written under pending
names and renamed into place only after the commit (nothing is left by a rolled-back certification); the
cycle keeps the public file's hash (0006, backfilled from the audit event); the public pages refuse to serve
when the file, the cycle and the audit event disagree, and finish a rename a crash left undone."""

from __future__ import annotations

import hashlib
import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from raigov.audit.models import AuditEvent, AuditTreeHead
from raigov.datacall import cycles as datacall_cycles
from raigov.datacall import files as datacall_files
from raigov.datacall import service as datacall
from raigov.datacall.models import ReportingCycle
from tests.governance import test_datacall
from tests.governance.test_datacall import YEAR, _certify_components, _open

agency = test_datacall.agency  # the fixture: CBP (a failing check to explain) and ICE, their leads, the CAIO


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _folder(settings):
    return settings.data_dir / "snapshots" / str(YEAR)


def _files(settings) -> set[str]:
    folder = _folder(settings)
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def _ready(db, agency):
    _open(db, agency["caio"])
    _certify_components(db, agency)


def _counts(db) -> tuple[int, int]:
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(AuditEvent)), s.scalar(select(func.count()).select_from(AuditTreeHead))


def _client(settings, db):
    from raigov.web.app import create_app

    return TestClient(create_app(settings, db), base_url="http://testserver")


def test_certification_writes_exactly_its_files_after_the_commit(db, agency, settings):
    _ready(db, agency)
    full_name, public_name = datacall.snapshot_names(YEAR)
    safe_name, xlsx_name = datacall.safe_snapshot_names(YEAR)
    names = (full_name, public_name, datacall.MANIFEST, safe_name, xlsx_name)
    with db.transaction() as s:
        res = datacall.certify(s, agency["caio"], YEAR, "Complete.", settings)
        # before the commit only the pending files exist
        assert _files(settings) == {n + datacall.PENDING for n in names}
    assert _files(settings) == set(names)
    safe = (_folder(settings) / safe_name).read_bytes()
    xlsx = (_folder(settings) / xlsx_name).read_bytes()
    full = (_folder(settings) / full_name).read_bytes()
    public = (_folder(settings) / public_name).read_bytes()
    manifest = (_folder(settings) / datacall.MANIFEST).read_bytes()
    with db.transaction() as s:
        cycle = s.scalar(select(ReportingCycle).where(ReportingCycle.year == YEAR))
        assert (cycle.snapshot_sha256, cycle.public_sha256) == (_sha(full), _sha(public)) == \
            (res.snapshot_sha256, res.public_sha256)
        assert (cycle.snapshot_file, cycle.public_file) == (full_name, public_name)
        assert (cycle.snapshot_size, cycle.public_size) == (len(full), len(public))
        assert (cycle.snapshot_count, cycle.public_count) == (3, 3)
        assert cycle.manifest_sha256 == _sha(manifest)
        d = json.loads(s.scalar(select(AuditEvent.details).where(AuditEvent.action == "datacall.cycle.certify")))
        assert (d["snapshot_sha256"], d["public_sha256"]) == (_sha(full), _sha(public))
        assert d["manifest_sha256"] == _sha(manifest) and d["sizes"] == {
            full_name: len(full), public_name: len(public), safe_name: len(safe), xlsx_name: len(xlsx)}
        assert (cycle.public_safe_sha256, cycle.public_xlsx_sha256) == (_sha(safe), _sha(xlsx)) == \
            (d["public_safe_sha256"], d["public_xlsx_sha256"])
        assert (cycle.public_safe_size, cycle.public_xlsx_size) == (len(safe), len(xlsx))
        assert datacall.publication(s).disagreements == []
        assert datacall.snapshot_bytes(s, settings, YEAR) == public
        assert datacall.finish_snapshot(settings, cycle) == {n: "present" for n in names}


@pytest.mark.parametrize("where", ["after certify returns", "inside certify, signing the head"])
def test_rolled_back_certification_leaves_no_files_and_no_change(db, agency, settings, monkeypatch, where):
    _ready(db, agency)
    before = _counts(db)

    if where.startswith("inside"):
        def broken_sign_head(*_a, **_k):
            assert any(n.endswith(datacall.PENDING) for n in _files(settings))  # the snapshot was prepared
            raise RuntimeError("the signing key is unreadable")

        monkeypatch.setattr(datacall_cycles, "sign_head", broken_sign_head)
    with pytest.raises(RuntimeError), db.transaction() as s:
        datacall.certify(s, agency["caio"], YEAR, "Complete.", settings)
        assert len(_files(settings)) == 5
        raise RuntimeError("the transaction fails after the snapshot was prepared")
    assert _files(settings) == set()
    assert _counts(db) == before
    with db.transaction() as s:
        cycle = s.scalar(select(ReportingCycle).where(ReportingCycle.year == YEAR))
        assert cycle.status == "open" and cycle.public_sha256 is None and cycle.snapshot_sha256 is None
        assert datacall.publication(s) is None

    # nothing to clean up: the CAIO simply certifies again
    monkeypatch.undo()
    with db.transaction() as s:
        res = datacall.certify(s, agency["caio"], YEAR, "Complete.", settings)
    full_name, public_name = datacall.snapshot_names(YEAR)
    assert _files(settings) == {full_name, public_name, datacall.MANIFEST, *datacall.safe_snapshot_names(YEAR)}
    assert _sha((_folder(settings) / public_name).read_bytes()) == res.public_sha256


def test_crash_between_commit_and_rename_is_finished_when_served(db, agency, settings, monkeypatch):
    _ready(db, agency)
    monkeypatch.setattr(datacall_files, "_after_commit", lambda session: session.info.pop(datacall_files._FILES, None))
    with db.transaction() as s:
        res = datacall.certify(s, agency["caio"], YEAR, "Complete.", settings)
    monkeypatch.undo()
    full_name, public_name = datacall.snapshot_names(YEAR)
    safe_name, xlsx_name = datacall.safe_snapshot_names(YEAR)
    pending = {n + datacall.PENDING for n in (full_name, public_name, datacall.MANIFEST, safe_name, xlsx_name)}
    assert _files(settings) == pending  # committed, never renamed

    with _client(settings, db) as c:
        r = c.get(f"/public/inventory/{YEAR}.csv")
        assert r.status_code == 200 and _sha(r.content) == res.public_sha256
    assert public_name in _files(settings) and public_name + datacall.PENDING not in _files(settings)
    with db.transaction() as s:
        cycle = s.scalar(select(ReportingCycle).where(ReportingCycle.year == YEAR))
        assert datacall.finish_snapshot(settings, cycle) == {full_name: "finished", public_name: "present",
                                                             datacall.MANIFEST: "finished", safe_name: "finished",
                                                             xlsx_name: "finished"}
        assert datacall.finish_snapshot(settings, cycle) == {full_name: "present", public_name: "present",
                                                             datacall.MANIFEST: "present", safe_name: "present",
                                                             xlsx_name: "present"}  # idempotent
        assert datacall.snapshot_bytes(s, settings, YEAR, public=False) == (_folder(settings) / full_name).read_bytes()
    assert _files(settings) == {full_name, public_name, datacall.MANIFEST, safe_name, xlsx_name}


def test_a_pending_file_with_the_wrong_hash_is_not_finished(db, agency, settings):
    _ready(db, agency)
    with db.transaction() as s:
        datacall.certify(s, agency["caio"], YEAR, "Complete.", settings)
    public = _folder(settings) / datacall.snapshot_names(YEAR)[1]
    public.rename(datacall.pending_path(public))
    datacall.pending_path(public).write_bytes(b"forged")
    with _client(settings, db) as c:
        r = c.get(f"/public/inventory/{YEAR}.csv")
        assert r.status_code == 500 and "pending file does not match" in r.text
    assert not public.exists()


def test_tampered_file_is_refused(db, agency, settings):
    _ready(db, agency)
    with db.transaction() as s:
        datacall.certify(s, agency["caio"], YEAR, "Complete.", settings)
    public = _folder(settings) / datacall.snapshot_names(YEAR)[1]
    public.write_bytes(public.read_bytes().replace(b"Tip line", b"Tip lime"))
    with _client(settings, db) as c:
        for url in (f"/public/inventory/{YEAR}.csv", "/public/inventory"):
            r = c.get(url)
            assert r.status_code == 500 and "does not match the recorded hash" in r.text and "Tip lime" not in r.text
        r = c.get(f"/public/inventory/{YEAR}.csv", headers={"accept": "application/json"})
        assert r.status_code == 500 and r.json()["type"].endswith("snapshot-tampered")


def test_cycle_and_audit_event_disagreeing_is_refused(db, agency, settings):
    """Someone with database access changes the file and the cycle's hash to match: the audit event (which
    cannot be changed without breaking the chain) still holds the certified hash, so nothing is served."""
    _ready(db, agency)
    with db.transaction() as s:
        res = datacall.certify(s, agency["caio"], YEAR, "Complete.", settings)
    public = _folder(settings) / datacall.snapshot_names(YEAR)[1]
    forged = public.read_bytes().replace(b"Tip line", b"Tip lime")
    public.write_bytes(forged)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE reporting_cycles SET public_sha256 = :h WHERE year = :y"), {"h": _sha(forged), "y": YEAR})
    with _client(settings, db) as c:
        for url in (f"/public/inventory/{YEAR}.csv", "/public/inventory", f"/public/inventory?year={YEAR}"):
            r = c.get(url)
            assert r.status_code == 500, url
            assert "disagree" in r.text and res.public_sha256 in r.text and "Tip lime" not in r.text
        r = c.get(f"/public/inventory/{YEAR}.csv", headers={"accept": "application/json"})
        assert r.status_code == 500 and r.json()["type"].endswith("snapshot-record-mismatch")
    with db.transaction() as s:
        assert datacall.publication(s).disagreements  # the data call's own page can still show the cycle


def test_migration_backfills_certified_cycles_from_the_audit_event(db, agency, settings):
    from raigov.db.migrate import current_revision, downgrade, upgrade

    _ready(db, agency)
    with db.transaction() as s:
        res = datacall.certify(s, agency["caio"], YEAR, "Complete.", settings)
    downgrade(db, "0005")
    assert current_revision(db) == "0005"
    with db.engine.connect() as conn:  # component certifications survive the downgrade
        assert conn.execute(text("SELECT count(*) FROM component_certifications")).scalar() == 2
    upgrade(db)
    full_name, public_name = datacall.snapshot_names(YEAR)
    with db.transaction() as s:
        cycle = s.scalar(select(ReportingCycle).where(ReportingCycle.year == YEAR))
        assert (cycle.public_sha256, cycle.snapshot_sha256) == (res.public_sha256, res.snapshot_sha256)
        assert (cycle.snapshot_file, cycle.public_file, cycle.public_count) == (full_name, public_name, 3)
        assert (cycle.snapshot_size, cycle.public_size, cycle.manifest_sha256) == (None, None, None)
        assert _sha(datacall.snapshot_bytes(s, settings, YEAR)) == res.public_sha256
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "datacall.cycle.certify")) == 1


def test_a_certification_recorded_under_the_former_action_name_is_still_found(db, agency, settings, monkeypatch):
    """Cycles certified before the rename have a `datacall.certify` event (the trail is never rewritten): the
    publication and the public file are still checked against it."""
    from raigov.audit import actions
    from raigov.audit import service as audit

    real = audit.record

    def as_before(session, actor, action, *args, **kw):  # what raigov recorded before the rename
        return real(session, actor, "datacall.certify" if action == "datacall.cycle.certify" else action, *args, **kw)

    _ready(db, agency)
    with monkeypatch.context() as m:
        m.setattr(actions, "check", lambda name: name)
        m.setattr(datacall_cycles, "record", as_before)
        with db.transaction() as s:
            res = datacall.certify(s, agency["caio"], YEAR, "Complete.", settings)
    with db.transaction() as s:
        assert set(s.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "reporting_cycle",
                                                             AuditEvent.object_id == str(YEAR)))) == {
            "datacall.cycle.open", "datacall.certify"}
        pub = datacall.publication(s, YEAR)
        assert pub.recorded_public_sha256 == res.public_sha256 and pub.disagreements == []
        assert _sha(datacall.snapshot_bytes(s, settings, YEAR)) == res.public_sha256
