"""Issue #14, bug 2: raigov's own 2025 export, imported again, changes nothing (both databases).

The real 2025 files are imported, exported in the OMB 2025 formats (CSV and XLSX) and the exports imported
again: every row is unchanged, and nothing is written: no revision and no use case event (only the import's
own ``inventory.file.import`` event, which records that the file was read). A revision with no changed field
is never written, whatever the file."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from inventory_data import real_file

from raigov.audit.models import AuditEvent
from raigov.inventory import revisions, service
from raigov.inventory.formats import read_inventory
from raigov.inventory.models import UseCase, UseCaseRevision

DEV_2025 = "2025_individually_reported_AI_use_cases.dev.csv"
DHS_2025 = "2025_0128_ocio-dhs-ai-use-case-inventory.xlsx"


def _import(db, system, settings, path):
    with db.transaction() as s:
        return service.import_inventory(s, system, read_inventory(path), settings)


def _counts(db):
    with db.transaction() as s:
        return (s.scalar(sa.select(sa.func.count()).select_from(UseCaseRevision)),
                dict(s.execute(sa.select(AuditEvent.action, sa.func.count()).group_by(AuditEvent.action)).all()))


def _demo_files():
    from importlib import resources

    data = resources.files("raigov.inventory").joinpath("data")
    return [Path(str(data.joinpath(n))) for n in ("demo_dhs_2024.csv", "demo_dhs_2025.csv")]


@pytest.mark.parametrize("name", [DHS_2025, DEV_2025, "demo"])
def test_own_2025_export_reimports_unchanged(db, system, settings, tmp_path, name):
    """``demo``: the demo agency's inventory (2024 answers as revision 1, then the 2025 answers)."""
    paths = _demo_files() if name == "demo" else [real_file(name)]
    for path in paths:
        _import(db, system, settings, path)
    with db.transaction() as s:
        rows = s.scalar(sa.select(sa.func.count()).select_from(UseCase))
    assert rows > 200
    for fmt, suffix in (("omb-2025-csv", "csv"), ("omb-2025-xlsx", "xlsx")):
        out = tmp_path / f"export.{suffix}"
        with db.transaction() as s:
            assert service.export_inventory(s, system, fmt, out).rows == rows
        revs, events = _counts(db)
        again = _import(db, system, settings, out)
        assert (again.rows_read, again.created, again.updated, again.unchanged, again.skipped) == (rows, 0, 0, rows, 0), \
            (fmt, [r for r in again.rows if r.action != "unchanged"][:3])
        revs2, events2 = _counts(db)
        assert revs2 == revs
        assert {a: n - events.get(a, 0) for a, n in events2.items() if n != events.get(a, 0)} == \
            {"inventory.file.import": 1}  # no use case event: only the import's own record that it read the file


def test_a_revision_with_no_changed_field_is_never_written(db, system, settings, tmp_path):
    """A row whose hash differs but whose fields are all the same (raw text only, say) is unchanged."""
    _import(db, system, settings, real_file(DHS_2025))
    with db.transaction() as s:
        uc = s.scalar(sa.select(UseCase).order_by(UseCase.id).limit(1))
        rev = uc.revisions[-1]
        changes: list = []
        written = revisions.add_revision(s, uc, system, rev.schema, dict(rev.values), {"x": "other raw text"},
                                         dict(rev.extra or {}), "different-hash", "test", "no change", rev.source_form,
                                         changes=changes)
        assert written is None and changes == [] and uc.revision_count == 1
