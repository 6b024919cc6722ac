"""The data call's snapshot files: their names and formats (OMB's 2025 CSV in full and in its public form,
the public form's spreadsheet-safe CSV and XLSX, the manifest), the files a certified cycle holds, and the
recovery that renames files a crash left pending (``finish_snapshot``). No database reads or writes here:
the cycle is given."""

from __future__ import annotations

import csv
import io

from raigov.config import Settings
from raigov.datacall.files import finish_file
from raigov.datacall.models import ReportingCycle
from raigov.errors import RaigovError
from raigov.governance.vocab import CycleStatus
from raigov.inventory import formats

FORMAT = "omb-2025-csv"
COTS_FORMAT = "omb-2025-cots-csv"
PUBLIC_OMIT = ("contact_email",)
MANIFEST = "manifest.json"


def snapshot_names(year: int) -> tuple[str, str]:
    return f"omb-2025-inventory-{year}.csv", f"omb-2025-inventory-{year}-public.csv"


def safe_snapshot_names(year: int) -> tuple[str, str]:
    """The files offered beside the exact public file: its spreadsheet-safe CSV and its XLSX."""
    return f"omb-2025-inventory-{year}-public-spreadsheet-safe.csv", f"omb-2025-inventory-{year}-public.xlsx"


def csv_text(rows, omit: tuple[str, ...] = (), cells=None) -> str:
    buf = io.StringIO(newline="")
    formats.write_omb_2025_csv(rows, buf, omit=omit, cells=cells)
    return buf.getvalue()


def xlsx_data(rows, omit: tuple[str, ...] = ()) -> bytes:
    buf = io.BytesIO()
    formats.write_omb_2025_xlsx(rows, buf, omit=omit)
    return buf.getvalue()


def cots_text(rows) -> str:
    buf = io.StringIO(newline="")
    formats.write_omb_2025_cots_csv(rows, buf)
    return buf.getvalue()


def is_withheld(row) -> bool:
    v = row.values.get("is_withheld")
    return v is True or (isinstance(v, str) and v.strip().lower() in ("yes", "true", "y"))


class SnapshotTampered(RaigovError):
    status, code, title = 500, "snapshot-tampered", "The stored snapshot does not match its recorded hash"


class SnapshotRecordMismatch(RaigovError):
    status, code, title = 500, "snapshot-record-mismatch", \
        "The snapshot's recorded hash and the audit trail disagree: nothing is served"


def snapshot_files(cycle: ReportingCycle) -> list[tuple[str, str | None]]:
    """(file name, expected SHA-256) of a certified cycle's files: full, public, manifest, then (cycles certified
    since 0008) the public file's spreadsheet-safe CSV and XLSX."""
    full_name, public_name = snapshot_names(cycle.year)
    out = [(cycle.snapshot_file or full_name, cycle.snapshot_sha256),
           (cycle.public_file or public_name, cycle.public_sha256), (MANIFEST, cycle.manifest_sha256)]
    if cycle.public_safe_file:
        out.append((cycle.public_safe_file, cycle.public_safe_sha256))
    if cycle.public_xlsx_file:
        out.append((cycle.public_xlsx_file, cycle.public_xlsx_sha256))
    return out


def finish_snapshot(settings: Settings, cycle: ReportingCycle) -> dict[str, str]:
    """Recovery after a crash between a certification's commit and its renames: each file of the certified
    `cycle` that is missing while its pending file has the recorded hash is renamed into place. Idempotent;
    returns {file name: state} (see `finish_file`). Nothing to do for a cycle that is not certified."""
    if cycle.status != CycleStatus.CERTIFIED:
        return {}
    folder = settings.data_dir / (cycle.snapshot_path or f"snapshots/{cycle.year}")
    return {name: finish_file(folder / name, expected) for name, expected in snapshot_files(cycle)}


def public_rows(data: bytes) -> list[dict]:
    """The rows of a public snapshot file, for listing."""
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    return [dict(r) for r in reader]
