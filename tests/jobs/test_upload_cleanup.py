"""Issue #12 item 6, on both databases: `raigov jobs run` deletes inventory uploads that were dry-run and
never imported once they are older than ``upload_retention_hours``; younger ones stay, nothing outside
DATA_DIR/uploads is touched, a dry run deletes nothing, and the run's audit event counts what went."""

from __future__ import annotations

import json
import os
import time

from sqlalchemy import select

from raigov.audit.models import AuditEvent
from raigov.identity.permissions import Actor
from raigov.inventory import uploads
from raigov.jobs import service as jobs

SYSTEM = Actor.system("jobs")
OLD, NEW = "a" * 64, "b" * 64


def _age(path, hours):
    t = time.time() - hours * 3600
    os.utime(path, (t, t))


def test_jobs_run_removes_old_uploads(db, settings):
    old = uploads.keep(settings, OLD, "old.csv", b"id,name\n1,x\n")
    new = uploads.keep(settings, NEW, "new.csv", b"id,name\n2,y\n")
    elsewhere = settings.data_dir / "evidence" / "keep.pdf"
    elsewhere.parent.mkdir(parents=True)
    elsewhere.write_bytes(b"%PDF-1.7\n")
    for p in (old, old.parent, elsewhere):
        _age(p, 25)
    _age(new, 23)

    dry = jobs.run(db, SYSTEM, settings, dry_run=True)
    assert dry.uploads_removed == [] and old.exists()

    summary = jobs.run(db, SYSTEM, settings)
    assert summary.uploads_removed == [f"{OLD}/old.csv"]
    assert summary.as_dict()["uploads_removed"] == [f"{OLD}/old.csv"]
    assert not old.exists() and not old.parent.exists()
    assert new.exists() and elsewhere.exists()
    with db.transaction() as s:
        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "jobs.run")).one()
        assert json.loads(ev.details)["uploads_removed"] == 1

    # a shorter retention, set by the operator
    again = jobs.run(db, SYSTEM, settings.model_copy(update={"upload_retention_hours": 12}))
    assert again.uploads_removed == [f"{NEW}/new.csv"] and not new.exists()
    assert jobs.run(db, SYSTEM, settings).uploads_removed == []


def test_uploads_are_private(settings):
    import stat

    p = uploads.keep(settings, OLD, "../../etc/passwd", b"x")
    assert p == settings.data_dir / "uploads" / OLD / "passwd"
    assert stat.S_IMODE(p.stat().st_mode) == 0o600 and stat.S_IMODE(p.parent.stat().st_mode) == 0o700
    assert uploads.find(settings, OLD, "passwd") == p
    assert uploads.find(settings, OLD, "../passwd") is None and uploads.find(settings, "../x", "passwd") is None
    uploads.discard(settings, OLD)
    assert not p.parent.exists()
