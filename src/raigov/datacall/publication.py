"""What was published (no account needed) and the checks before serving it: ``publication`` reads a
certified cycle's hashes from its columns and, to compare, from its audit event; ``snapshot_bytes`` serves a
snapshot file's exact bytes only when the two agree and the file has the recorded hash; ``finish`` is the
by-hand recovery after a crash between a certification's commit and its renames. The public pages are the
adapters of these reads."""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import asdict, dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from raigov.audit.actions import stored_names
from raigov.audit.models import AuditEvent, AuditTreeHead
from raigov.audit.service import head_as_dict, record
from raigov.config import Settings
from raigov.datacall.cycles import cycle_row
from raigov.datacall.files import file_sha, finish_file, pending_path, sha256_bytes, staged_by
from raigov.datacall.models import ReportingCycle
from raigov.datacall.snapshot import (
    SnapshotRecordMismatch,
    SnapshotTampered,
    finish_snapshot,
    snapshot_files,
    snapshot_names,
)
from raigov.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from raigov.governance.vocab import CycleStatus
from raigov.identity.permissions import Actor, can

log = logging.getLogger("raigov.datacall")


@dataclass
class Publication:
    year: int
    title: str
    certified_at: dt.datetime
    certified_by: str
    rows: int
    public_rows: int
    snapshot_sha256: str | None  # from the cycle's columns
    public_sha256: str | None
    public_file: str
    event_seq: int
    head: dict | None
    recorded_snapshot_sha256: str | None = None  # from the datacall.cycle.certify audit event
    recorded_public_sha256: str | None = None
    # the spreadsheet-safe CSV and the XLSX beside the public file (None: certified before they were made)
    public_safe_file: str | None = None
    public_safe_sha256: str | None = None
    public_xlsx_file: str | None = None
    public_xlsx_sha256: str | None = None
    recorded_public_safe_sha256: str | None = None
    recorded_public_xlsx_sha256: str | None = None

    @property
    def disagreements(self) -> list[str]:
        """What the cycle's columns and the audit event disagree on (empty: they agree)."""
        out = []
        for what, mine, recorded in (("spreadsheet-safe file", self.public_safe_sha256, self.recorded_public_safe_sha256),
                                     ("XLSX file", self.public_xlsx_sha256, self.recorded_public_xlsx_sha256)):
            if mine != recorded:
                out.append(f"the {what}'s hash on the cycle ({mine or 'none'}) is not the one in audit event "
                           f"{self.event_seq} ({recorded or 'none'})")
        if self.public_sha256 != self.recorded_public_sha256:
            out.append(f"the public file's hash on the cycle ({self.public_sha256 or 'none'}) is not the one in audit "
                       f"event {self.event_seq} ({self.recorded_public_sha256 or 'none'})")
        if self.snapshot_sha256 != self.recorded_snapshot_sha256:
            out.append(f"the full file's hash on the cycle ({self.snapshot_sha256 or 'none'}) is not the one in audit "
                       f"event {self.event_seq} ({self.recorded_snapshot_sha256 or 'none'})")
        return out


def _certify_event(session: Session, year: int) -> AuditEvent:
    # certifications before the rename are stored as `datacall.certify`
    ev = session.scalar(select(AuditEvent).where(AuditEvent.action.in_(stored_names("datacall.cycle.certify")),
                                                 AuditEvent.object_id == str(year)).order_by(AuditEvent.seq.desc()).limit(1))
    if ev is None:
        raise NotFound(f"the {year} inventory was not certified")
    return ev


def publication(session: Session, year: int | None = None) -> Publication | None:
    """The latest (or `year`'s) certified snapshot: its hashes from the cycle (and, to compare, from the audit
    trail) and the first signed tree head that covers its certification event. None when nothing was certified
    yet. Does not refuse when the two disagree (see `Publication.disagreements`; `snapshot_bytes` refuses)."""
    q = select(ReportingCycle).where(ReportingCycle.status == CycleStatus.CERTIFIED)
    if year is not None:
        q = q.where(ReportingCycle.year == year)
    cycle = session.scalar(q.order_by(ReportingCycle.year.desc()).limit(1))
    if cycle is None:
        return None
    ev = _certify_event(session, cycle.year)
    details = json.loads(ev.details) if isinstance(ev.details, str) else dict(ev.details)
    h = session.scalar(select(AuditTreeHead).where(AuditTreeHead.tree_size >= ev.seq).order_by(AuditTreeHead.id).limit(1))
    public_count = cycle.public_count if cycle.public_count is not None else int(details["public_rows"])
    return Publication(cycle.year, cycle.title, cycle.certified_at, cycle.certified_by,
                       cycle.snapshot_count if cycle.snapshot_count is not None else int(details["rows"]),
                       public_count, cycle.snapshot_sha256, cycle.public_sha256,
                       cycle.public_file or snapshot_names(cycle.year)[1], ev.seq, head_as_dict(h) if h else None,
                       details.get("snapshot_sha256"), details.get("public_sha256"),
                       public_safe_file=cycle.public_safe_file, public_safe_sha256=cycle.public_safe_sha256,
                       public_xlsx_file=cycle.public_xlsx_file, public_xlsx_sha256=cycle.public_xlsx_sha256,
                       recorded_public_safe_sha256=details.get("public_safe_sha256"),
                       recorded_public_xlsx_sha256=details.get("public_xlsx_sha256"))


def certified_years(session: Session) -> list[int]:
    return list(session.scalars(select(ReportingCycle.year).where(ReportingCycle.status == CycleStatus.CERTIFIED)
                                .order_by(ReportingCycle.year.desc())))


FINISH_OK = ("present", "finished")  # states of a file in place (with the recorded hash: see `FinishResult.complete`)


@dataclass
class FinishedFile:
    name: str
    state: str  # see `finish_file`; 'tampered': in place, but its bytes do not have the recorded hash
    expected_sha256: str | None
    actual_sha256: str | None  # of the file in place, else of its pending file (None: neither exists)

    @property
    def ok(self) -> bool:
        return self.state in FINISH_OK and (self.expected_sha256 is None or self.actual_sha256 == self.expected_sha256)


@dataclass
class FinishResult:
    year: int
    directory: str
    files: list[FinishedFile]
    event_seq: int | None  # the datacall.snapshot.finish audit event (None: nothing was renamed)

    @property
    def complete(self) -> bool:
        """Every file is in place with its recorded hash."""
        return all(f.ok for f in self.files)

    def as_dict(self) -> dict:
        return {"year": self.year, "directory": self.directory, "complete": self.complete, "event_seq": self.event_seq,
                "files": [{**asdict(f), "ok": f.ok} for f in self.files]}


def may_finish(actor: Actor) -> bool:
    """Who may finish a snapshot by hand: the CAIO's office (those who open the data call) or an administrator
    (department-wide: operations). Not the shell itself: as for certifying, a named person signs in."""
    return actor.kind == "user" and can(actor, "datacall.snapshot.finish")


def finish(session: Session, actor: Actor, settings: Settings, year: int) -> FinishResult:
    """`finish_snapshot` on request (`raigov datacall finish YEAR`): after a crash between the certification's
    commit and its renames, rename each missing file's pending file into place when its bytes have the recorded
    hash, and report every file (in place files are checked against their hash too). Refuses (nothing renamed)
    when the cycle is not certified or its recorded hashes disagree with the audit event. Idempotent; records a
    `datacall.snapshot.finish` audit event only when it renamed something."""
    if not may_finish(actor):
        raise PermissionDenied(f"{actor.label} may not finish a data call snapshot: the CAIO's office or an "
                               "administrator does")
    cycle = cycle_row(session, year)
    if cycle.status != CycleStatus.CERTIFIED:
        raise Conflict(f"the {year} data call is {cycle.status}: there is no snapshot to finish")
    pub = publication(session, year)
    if pub is not None and pub.disagreements:
        raise SnapshotRecordMismatch(f"the {year} snapshot is not finished: " + "; ".join(pub.disagreements))
    states = finish_snapshot(settings, cycle)
    folder = settings.data_dir / (cycle.snapshot_path or f"snapshots/{year}")
    files = []
    for name, expected in snapshot_files(cycle):
        path, state = folder / name, states[name]
        actual = file_sha(path)
        if actual is None and state == "mismatch":
            actual = file_sha(pending_path(path))
        if state == "present" and actual is None:
            state = "missing"
        elif state == "present" and expected is not None and actual != expected:
            state = "tampered"
        files.append(FinishedFile(name, state, expected, actual))
    seq = None
    if any(f.state == "finished" for f in files):
        ev = record(session, actor, "datacall.snapshot.finish", "reporting_cycle", year, None,
                    {"year": year, "files": {f.name: f.state for f in files}})
        seq = ev.seq
    return FinishResult(year, (cycle.snapshot_path or f"snapshots/{year}"), files, seq)


SNAPSHOT_KINDS = ("full", "public", "safe", "xlsx")


def snapshot_bytes(session: Session, settings: Settings, year: int, public: bool = True, *,
                   kind: str | None = None) -> bytes:
    """The exact bytes of a certified snapshot file, after checking that the cycle's recorded hash agrees with
    the audit trail's and that the file's bytes match it (refuses to serve otherwise). A file left pending by a
    crash after the commit is finished first (`finish_snapshot`). `kind`: "full", "public" (the default, as
    `public`), "safe" (the public file's spreadsheet-safe CSV) or "xlsx" (its XLSX); NotFound for the last two
    on a cycle certified before they were made."""
    kind = kind or ("public" if public else "full")
    if kind not in SNAPSHOT_KINDS:
        raise ValidationFailed.one("kind", f"one of {', '.join(SNAPSHOT_KINDS)}")
    pub = publication(session, year)
    if pub is None:
        raise NotFound(f"the {year} inventory was not certified")
    if pub.disagreements:
        log.error("the %s snapshot's records disagree: %s", year, "; ".join(pub.disagreements))
        raise SnapshotRecordMismatch(f"the {year} snapshot is not served: " + "; ".join(pub.disagreements))
    cycle = cycle_row(session, year)
    if kind == "safe" or kind == "xlsx":
        name, expected = (cycle.public_safe_file, cycle.public_safe_sha256) if kind == "safe" else \
            (cycle.public_xlsx_file, cycle.public_xlsx_sha256)
        if not name:
            raise NotFound(f"the {year} snapshot has no {'spreadsheet-safe CSV' if kind == 'safe' else 'XLSX'}: it "
                           "was certified before they were made; its exact public file is served")
    else:
        name, expected = snapshot_files(cycle)[1 if kind == "public" else 0]
    path = settings.data_dir / (cycle.snapshot_path or f"snapshots/{year}") / name
    if staged_by(session, path):  # certified in this very transaction (the demo's load): renamed at its commit
        path = pending_path(path)
    elif finish_file(path, expected) == "mismatch":
        raise SnapshotTampered(f"the {year} snapshot file {name} is missing and its pending file does not match "
                               "the recorded hash")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SnapshotTampered(f"the {year} snapshot file {name} is missing") from None
    if sha256_bytes(data) != expected:
        raise SnapshotTampered(f"the {year} snapshot file {name} does not match the recorded hash")
    return data
