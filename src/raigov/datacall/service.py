"""The annual data call: the data call domain's public API. The code lives in the modules beside this one;
this module re-exports their public names (``__all__``), so callers keep one import
(``from raigov.datacall import service as datacall``).

1. The CAIO (or a delegate) opens the year's reporting cycle (one per year).
2. Each component AI lead reviews the component's use cases and certifies them: OMB's reporting checks
   must pass, or every failing check (severity ``error``) carries a written explanation. The
   certification keeps the SHA-256 of the component's export content at that moment
   (``component_content_sha256``); any later change to the component's use cases changes that hash,
   and the certification is then *stale* until the lead certifies again.
3. The CAIO certifies the whole: every component with active use cases must hold a current
   certification. raigov then freezes a snapshot: OMB's 2025 CSV, in full and in its public form, under
   ``DATA_DIR/snapshots/<year>/``; both SHA-256 are kept on the cycle (``snapshot_sha256``, ``public_sha256``)
   and recorded in an audit event, a tree head covering that event is signed, and the cycle is certified
   (frozen: later certifications are refused).

The public form of the snapshot leaves out ``contact_email`` (as ``inventory export --public``) and the
use cases whose ``is_withheld`` answer is yes. The public pages serve the public file's exact bytes after
checking them against ``public_sha256``, and only while that column agrees with the audit event.

The snapshot's files follow the transaction. ``certify`` writes each file to ``<name>.pending`` in the
snapshot folder (fsynced) and registers it on the session; only after the database commits is each renamed
into place (``after_commit``), and a rollback removes them (``after_rollback``). A crash between the commit
and the renames leaves a certified cycle with pending files: serving the snapshot finishes the rename when
the final file is missing and the pending one has the recorded hash (``finish_snapshot``, idempotent).

Before certifying, the lead works through the failing checks grouped by kind (``worklist``: one answer set
for many use cases at once through the inventory service, or one explanation saved for a chosen set of use
cases; plain names from ``kinds``).

Modules: ``models`` (the tables), ``cycles`` (open, progress, certify a component, certify the whole: the
writes), ``worklist`` (checks by kind, fix many, explain once), ``kinds`` (plain names of checks and fields),
``snapshot`` (the files' names and formats), ``files`` (files that follow the transaction),
``publication`` (what was published, and serving it).
"""

from __future__ import annotations

from raigov.datacall.cycles import (
    FAILING,
    UNASSIGNED,
    CertifyResult,
    ComponentProgress,
    FailingCheck,
    Progress,
    certify,
    certify_component,
    check_key,
    component_content_sha256,
    cycle_as_dict,
    failing_by_component,
    get_cycle,
    list_cycles,
    open_cycle,
    progress,
    saved_explanations,
)
from raigov.datacall.files import PENDING, pending_path
from raigov.datacall.kinds import field_label, kind_title
from raigov.datacall.publication import (
    FINISH_OK,
    SNAPSHOT_KINDS,
    FinishedFile,
    FinishResult,
    Publication,
    certified_years,
    finish,
    may_finish,
    publication,
    snapshot_bytes,
)
from raigov.datacall.snapshot import (
    COTS_FORMAT,
    FORMAT,
    MANIFEST,
    PUBLIC_OMIT,
    SnapshotRecordMismatch,
    SnapshotTampered,
    finish_snapshot,
    public_rows,
    safe_snapshot_names,
    snapshot_names,
)
from raigov.datacall.worklist import CheckGroup, check_groups, explain_checks, fix_checks, group_checks

__all__ = [
    "COTS_FORMAT",
    "FAILING",
    "FINISH_OK",
    "FORMAT",
    "MANIFEST",
    "PENDING",
    "PUBLIC_OMIT",
    "SNAPSHOT_KINDS",
    "UNASSIGNED",
    "CertifyResult",
    "CheckGroup",
    "ComponentProgress",
    "FailingCheck",
    "FinishResult",
    "FinishedFile",
    "Progress",
    "Publication",
    "SnapshotRecordMismatch",
    "SnapshotTampered",
    "certified_years",
    "certify",
    "certify_component",
    "check_groups",
    "check_key",
    "component_content_sha256",
    "cycle_as_dict",
    "explain_checks",
    "failing_by_component",
    "field_label",
    "finish",
    "finish_snapshot",
    "fix_checks",
    "get_cycle",
    "group_checks",
    "kind_title",
    "list_cycles",
    "may_finish",
    "open_cycle",
    "pending_path",
    "progress",
    "public_rows",
    "publication",
    "safe_snapshot_names",
    "saved_explanations",
    "snapshot_bytes",
    "snapshot_names",
]
