"""An import's audit events (issue #12 item 7): written after all its rows, so that the trail's append
lock is held only for the final appends; a big import records one event per batch of use cases
carrying the Merkle root of their items, still all or nothing, and every imported revision is
provable (item -> batch root -> batch event -> the trail's root). Small imports record as before."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from inventory_data import big_inventory_file
from markupsafe import escape as html_escape

from raigov.audit import service as audit
from raigov.audit.actions import describe
from raigov.audit.models import AuditEvent
from raigov.audit.service import PG_LOCK_KEY
from raigov.inventory import importing, service
from raigov.inventory.formats import read_inventory
from raigov.inventory.models import UseCase, UseCaseRevision

N = 2500  # > 2 batches of service.IMPORT_AUDIT_BATCH (1000)


def events(db, action: str | None = None) -> list[AuditEvent]:
    with db.transaction() as s:
        q = sa.select(AuditEvent).order_by(AuditEvent.seq)
        if action:
            q = q.where(AuditEvent.action == action)
        return list(s.scalars(q))


def count(db, model=UseCase) -> int:
    with db.transaction() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture(scope="module")
def big_file(tmp_path_factory) -> Path:
    return big_inventory_file(tmp_path_factory.mktemp("big") / "big.csv", N)


def test_a_big_import_records_one_event_per_batch_and_each_row_is_provable(backend, db, system, settings, big_file,
                                                                         monkeypatch):
    parsed = read_inventory(big_file)
    seen = {}
    real = importing.add_revision

    def spy(s, *a, **kw):  # look at the trail while the import writes its rows
        seen["n"] = seen.get("n", 0) + 1
        if seen["n"] == N - 10:
            seen["pending_events"] = sum(isinstance(o, AuditEvent) for o in s.new)
            seen["flushed_events"] = s.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
            if db.dialect == "postgresql":  # is the append lock free for another writer?
                with db.engine.connect() as other:
                    k = {"k": PG_LOCK_KEY}
                    seen["lock_free"] = other.execute(sa.text(
                        "SELECT pg_try_advisory_lock(:k, hashtext(current_schema()))"), k).scalar()
                    other.execute(sa.text("SELECT pg_advisory_unlock(:k, hashtext(current_schema()))"), k)
        return real(s, *a, **kw)

    monkeypatch.setattr(importing, "add_revision", spy)
    with db.transaction() as s:
        report = service.import_inventory(s, system, parsed, settings)
    assert report.created == N
    # while the rows were written, the import had appended nothing and (PostgreSQL) held no append lock
    assert seen["pending_events"] == 0 and seen["flushed_events"] == 0
    if db.dialect == "postgresql":
        assert seen["lock_free"] is True
    batches = events(db, service.BATCH_ACTION)
    assert [json.loads(e.details)["items"] for e in batches] == [1000, 1000, 500]
    assert [json.loads(e.details)["batch"] for e in batches] == [1, 2, 3]
    assert all(e.object_type == "inventory_file" and e.object_id == parsed.sha256 for e in batches)
    assert events(db, "inventory.use_case.create") == []  # replaced by the batch events
    (imp,) = events(db, "inventory.file.import")
    assert json.loads(imp.details)["batches"] == 3 and imp.seq == batches[-1].seq + 1
    with db.transaction() as s:
        assert audit.verify(s, system).ok
        ids = list(s.scalars(sa.select(UseCase.business_id).order_by(UseCase.id)))
        for bid in (ids[0], ids[999], ids[1000], ids[1717], ids[-1]):
            p = service.prove_revision(s, system, bid)
            assert p["verified"] is True, bid
            assert p["batch"]["item"]["object_id"] == bid and p["batch"]["item"]["action"] == "inventory.use_case.create"
            assert p["batch"]["merkle_root"] == json.loads(p["event"]["details"])["merkle_root"]
            assert p["event"]["action"] == service.BATCH_ACTION and p["event_proof"]["seq"] == p["event"]["seq"]
        last = s.scalar(sa.select(UseCase).where(UseCase.business_id == ids[-1]))
        assert [e.seq for e in service.import_events(s, system, last)] == [batches[-1].seq]  # the history shows it
    # the proof is real: a revision changed in the database after the fact no longer proves
    with db.transaction() as s:
        rev_id = s.scalar(sa.select(UseCaseRevision.id).join(UseCase).where(UseCase.business_id == ids[1717]))
        s.execute(sa.update(UseCaseRevision).where(UseCaseRevision.id == rev_id).values(content_hash="0" * 64))
    with db.transaction() as s:
        assert service.prove_revision(s, system, ids[1717])["verified"] is False
        assert service.prove_revision(s, system, ids[1716])["verified"] is False  # same batch: its root no longer matches
        assert service.prove_revision(s, system, ids[5])["verified"] is True  # another batch


def test_a_small_import_records_one_event_per_use_case_as_before(backend, db, system, settings, tmp_path):
    path = big_inventory_file(tmp_path / "small.csv", 40)
    with db.transaction() as s:
        service.import_inventory(s, system, read_inventory(path), settings)
    creates = events(db, "inventory.use_case.create")
    assert len(creates) == 40 and events(db, service.BATCH_ACTION) == []
    assert json.loads(creates[0].details) == {"revision": 1,
                                              "source": f"import:small.csv#{read_inventory(path).sha256[:12]}:row 1"}
    (imp,) = events(db, "inventory.file.import")
    assert "batches" not in json.loads(imp.details) and imp.seq == creates[-1].seq + 1
    with db.transaction() as s:
        p = service.prove_revision(s, system, creates[7].object_id)
        assert p["verified"] is True and p["batch"] is None and p["event"]["seq"] == creates[7].seq


@pytest.mark.parametrize("where", ["rows", "appends"])
def test_a_big_import_that_fails_near_the_end_writes_nothing(backend, db, system, settings, big_file, monkeypatch, where):
    big_inventory_file(Path(str(big_file) + ".first.csv"), 3)
    with db.transaction() as s:  # something there before
        service.import_inventory(s, system, read_inventory(Path(str(big_file) + ".first.csv")), settings)
    before = (count(db), count(db, UseCaseRevision), len(events(db)))
    if where == "rows":  # a fault at the 2,490th of 2,500 rows
        calls = {"n": 0}
        real = importing.apply_summary

        def failing(uc, summary):
            calls["n"] += 1
            if calls["n"] == N - 10:
                raise RuntimeError("disk full")
            return real(uc, summary)

        monkeypatch.setattr(importing, "apply_summary", failing)
    else:  # a fault while appending the last batch event
        from raigov.audit import batch

        real_record, n = batch.record, {"n": 0}

        def failing_record(*a, **kw):
            n["n"] += 1
            if n["n"] == 3:
                raise RuntimeError("connection lost")
            return real_record(*a, **kw)

        monkeypatch.setattr(batch, "record", failing_record)
    with pytest.raises(RuntimeError), db.transaction() as s:
        service.import_inventory(s, system, read_inventory(big_file), settings)
    assert (count(db), count(db, UseCaseRevision), len(events(db))) == before
    with db.transaction() as s:
        assert audit.verify(s, system).ok


def test_inventory_prove_cli_and_the_history_page(backend, db, system, settings, big_file, cli_env, make_user):
    from fastapi.testclient import TestClient

    from raigov.web.app import create_app
    from tests.conftest import PASSWORD
    from tests.web.conftest import csrf_from

    with db.transaction() as s:
        service.import_inventory(s, system, read_inventory(big_file), settings)
    (last_batch,) = [e for e in events(db, service.BATCH_ACTION) if json.loads(e.details)["batch"] == 3]
    make_user("rita.caio", "caio")
    with TestClient(create_app(settings, db)) as c:
        page = c.get("/sign-in")
        c.post("/sign-in", data={"username": "rita.caio", "password": PASSWORD, "csrf_token": csrf_from(page.text)})
        html = c.get("/inventory/DHS-BIG-002499").text
        # the history names the batch event by its link and its action in words (audit/actions.yaml's description)
        assert f'<a href="/audit/{last_batch.seq}">#{last_batch.seq}</a>' in html
        assert str(html_escape(describe(service.BATCH_ACTION))) in html
    exe = Path(sys.executable).with_name("raigov")
    r = subprocess.run([str(exe), "inventory", "prove", "DHS-BIG-002499", "--json"], check=False, capture_output=True, text=True,
                       env=dict(os.environ), timeout=120)
    assert r.returncode == 0, r.stderr
    p = json.loads(r.stdout)
    assert p["verified"] is True and p["batch"]["leaf_index"] == 499 and p["batch"]["tree_size"] == 500
    r = subprocess.run([str(exe), "inventory", "prove", "DHS-BIG-002499", "--revision", "9"], check=False, capture_output=True,
                       text=True, env=dict(os.environ), timeout=120)
    assert r.returncode == 2 and "revision" in r.stderr
