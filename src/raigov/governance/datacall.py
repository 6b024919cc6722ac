"""The annual data call: the only code that writes `reporting_cycles` and `component_certifications`.

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
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import logging
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from raigov.audit.actions import stored_names
from raigov.audit.canonical import canonical_json
from raigov.audit.models import AuditEvent, AuditTreeHead
from raigov.audit.service import head_as_dict, record, sign_head
from raigov.config import Settings
from raigov.db.base import utcnow
from raigov.errors import Conflict, FieldError, NotFound, PermissionDenied, RaigovError, ValidationFailed
from raigov.governance.models import ComponentCertification, ReportingCycle
from raigov.governance.vocab import CycleStatus
from raigov.identity.models import OrgUnit
from raigov.identity.permissions import Actor, can, components_visible, require
from raigov.inventory import service as inventory
from raigov.inventory.formats.safe import SafeCells
from raigov.inventory.models import UseCase

FORMAT = "omb-2025-csv"
COTS_FORMAT = "omb-2025-cots-csv"
PUBLIC_OMIT = ("contact_email",)
FAILING = ("error",)  # check severities that need a fix or a written explanation before certifying
UNASSIGNED = "(none)"  # use cases without an owning component
PENDING = ".pending"  # suffix of a snapshot file written but not yet renamed into place (see the module's doc)
MANIFEST = "manifest.json"

log = logging.getLogger("raigov.datacall")


# ---------------------------------------------------------------- helpers

def check_key(business_id: str, check: dict) -> str:
    """The stable key of one failing check: ``DHS-0123:rule:field``."""
    return f"{business_id}:{check.get('rule')}:{check.get('field')}"


def snapshot_names(year: int) -> tuple[str, str]:
    return f"omb-2025-inventory-{year}.csv", f"omb-2025-inventory-{year}-public.csv"


def safe_snapshot_names(year: int) -> tuple[str, str]:
    """The files offered beside the exact public file: its spreadsheet-safe CSV and its XLSX."""
    return f"omb-2025-inventory-{year}-public-spreadsheet-safe.csv", f"omb-2025-inventory-{year}-public.xlsx"


def _csv_text(rows, omit: tuple[str, ...] = (), cells=None) -> str:
    from raigov.inventory import formats

    buf = io.StringIO(newline="")
    formats.write_omb_2025_csv(rows, buf, omit=omit, cells=cells)
    return buf.getvalue()


def _xlsx_bytes(rows, omit: tuple[str, ...] = ()) -> bytes:
    from raigov.inventory import formats

    buf = io.BytesIO()
    formats.write_omb_2025_xlsx(rows, buf, omit=omit)
    return buf.getvalue()


def _cots_text(rows) -> str:
    from raigov.inventory import formats

    buf = io.StringIO(newline="")
    formats.write_omb_2025_cots_csv(rows, buf)
    return buf.getvalue()


def _is_withheld(row) -> bool:
    v = row.values.get("is_withheld")
    return v is True or (isinstance(v, str) and v.strip().lower() in ("yes", "true", "y"))


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def component_content_sha256(session: Session, actor: Actor, component: str) -> str:
    """SHA-256 of what a certification of `component` covers: the component's OMB 2025 CSV export and COTS
    CSV export (exact bytes, as `inventory export --component` writes them) and each reported use case's
    id and status, as canonical JSON. Any edit, import, retirement or submission changes it."""
    rows, _ = inventory.export_rows(session, actor, FORMAT, component)
    cots, _ = inventory.export_rows(session, actor, COTS_FORMAT, component)
    statuses = [[bid, status, reason or ""] for bid, status, reason in session.execute(
        select(UseCase.business_id, UseCase.status, UseCase.retirement_reason).join(OrgUnit, UseCase.org_unit_id == OrgUnit.id)
        .where(OrgUnit.code == component, UseCase.status != "draft").order_by(UseCase.id))]
    material = {FORMAT: _csv_text(rows), COTS_FORMAT: _cots_text(cots) if cots else "", "use_cases": statuses}
    return _sha(canonical_json(material).encode("utf-8"))


def _cycle(session: Session, year: int, *, lock: bool = False) -> ReportingCycle:
    q = select(ReportingCycle).where(ReportingCycle.year == year)
    if lock:
        q = q.with_for_update()
    c = session.scalar(q)
    if c is None:
        raise NotFound(f"no reporting cycle for {year}")
    return c


def _may_read(actor: Actor) -> set[str] | None:
    """None: every component; else the components whose progress the actor may see."""
    if can(actor, "datacall.open") or can(actor, "datacall.certify"):
        return None
    if components_visible(actor, "inventory.export") is None:  # may export every row anyway (auditor, the shell)
        return None
    units = components_visible(actor, "datacall.certify_component")
    if units is None:
        return None
    if not units:
        raise PermissionDenied(f"{actor.label} takes no part in the data call")
    return units


def _require_open(cycle: ReportingCycle) -> None:
    if cycle.status != CycleStatus.OPEN:
        raise Conflict(f"the {cycle.year} data call was certified by {cycle.certified_by} on "
                       f"{cycle.certified_at:%Y-%m-%d}: it is frozen")


def cycle_as_dict(c: ReportingCycle) -> dict:
    return {"year": c.year, "title": c.title, "due_on": c.due_on.isoformat(), "status": c.status,
            "opened_by": c.opened_by, "opened_at": c.opened_at.isoformat(), "certified_by": c.certified_by,
            "certified_at": c.certified_at.isoformat() if c.certified_at else None,
            "snapshot_sha256": c.snapshot_sha256, "snapshot_path": c.snapshot_path, "snapshot_count": c.snapshot_count,
            "snapshot_file": c.snapshot_file, "snapshot_size": c.snapshot_size, "public_file": c.public_file,
            "public_sha256": c.public_sha256, "public_size": c.public_size, "public_count": c.public_count,
            "manifest_sha256": c.manifest_sha256, "public_safe_file": c.public_safe_file,
            "public_safe_sha256": c.public_safe_sha256, "public_safe_size": c.public_safe_size,
            "public_xlsx_file": c.public_xlsx_file, "public_xlsx_sha256": c.public_xlsx_sha256,
            "public_xlsx_size": c.public_xlsx_size}


# ---------------------------------------------------------------- open

def open_cycle(session: Session, actor: Actor, year: int, due_on: dt.date, title: str | None = None) -> ReportingCycle:
    """Open the reporting cycle of `year` (one per year)."""
    require(actor, "datacall.open")
    errors = []
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        errors.append(FieldError("year", "a year between 2000 and 2100"))
    if not isinstance(due_on, dt.date):
        errors.append(FieldError("due_on", "a date (YYYY-MM-DD)", "missing"))
    if errors:
        raise ValidationFailed(errors[0].message if len(errors) == 1 else "the input is not valid", errors=errors)
    existing = session.scalar(select(ReportingCycle).where(ReportingCycle.year == year))
    if existing is not None:
        raise Conflict(f"the {year} data call is already {existing.status} (opened by {existing.opened_by})")
    title = (title or "").strip() or f"{year} AI use case inventory data call"
    c = ReportingCycle(year=year, title=title[:300], due_on=due_on, status=CycleStatus.OPEN, opened_by=actor.label,
                       opened_at=utcnow(), version=1)
    session.add(c)
    session.flush()
    record(session, actor, "datacall.cycle.open", "reporting_cycle", year, cycle_as_dict(c),
           {"year": year, "due_on": due_on.isoformat(), "title": c.title[:200]})
    return c


def get_cycle(session: Session, actor: Actor, year: int) -> ReportingCycle:
    _may_read(actor)
    return _cycle(session, year)


def list_cycles(session: Session, actor: Actor) -> list[ReportingCycle]:
    _may_read(actor)
    return list(session.scalars(select(ReportingCycle).order_by(ReportingCycle.year.desc())))


# ---------------------------------------------------------------- progress

@dataclass
class FailingCheck:
    key: str
    business_id: str
    name: str
    field: str
    rule: str
    message: str
    explanation: str | None = None  # from the current certification, if it explains this check


@dataclass
class ComponentProgress:
    component: str
    name: str
    active: int
    reported: int  # active + retired: the rows of the export
    failing: list[FailingCheck] = field(default_factory=list)
    explained: int = 0
    certified_by: str | None = None
    certified_at: dt.datetime | None = None
    statement: str | None = None
    certified_sha256: str | None = None
    content_sha256: str = ""
    state: str = "not certified"  # not certified | certified | stale

    @property
    def current(self) -> bool:
        return self.state == "certified"

    @property
    def needs_certification(self) -> bool:
        return self.active > 0

    def as_dict(self) -> dict:
        d = asdict(self)
        d["certified_at"] = self.certified_at.isoformat() if self.certified_at else None
        return d


@dataclass
class Progress:
    cycle: dict
    components: list[ComponentProgress]

    @property
    def required(self) -> int:
        return sum(1 for c in self.components if c.needs_certification)

    @property
    def done(self) -> int:
        return sum(1 for c in self.components if c.needs_certification and c.current)

    def as_dict(self) -> dict:
        return {"cycle": self.cycle, "required": self.required, "certified": self.done,
                "components": [c.as_dict() for c in self.components]}


def _counts(session: Session) -> dict[str, dict]:
    out: dict[str, dict] = {}
    q = (select(OrgUnit.code, OrgUnit.name, OrgUnit.kind, UseCase.status, func.count())
         .select_from(UseCase).outerjoin(OrgUnit, UseCase.org_unit_id == OrgUnit.id)
         .where(UseCase.status != "draft").group_by(OrgUnit.code, OrgUnit.name, OrgUnit.kind, UseCase.status))
    for code, name, kind, status, n in session.execute(q):
        key = code if code else UNASSIGNED
        d = out.setdefault(key, {"name": name or "No owning component", "active": 0, "retired": 0})
        d[status] = d.get(status, 0) + n
    return out


def _failing_by_component(session: Session, actor: Actor, components: set[str] | None) -> dict[str, list[FailingCheck]]:
    checks = inventory.run_checks(session, actor)
    q = (select(UseCase.business_id, UseCase.name, OrgUnit.code).outerjoin(OrgUnit, UseCase.org_unit_id == OrgUnit.id)
         .where(UseCase.business_id.in_(list(checks) or ["-"])))
    info = {bid: (name, code or UNASSIGNED) for bid, name, code in session.execute(q)} if checks else {}
    out: dict[str, list[FailingCheck]] = {}
    for bid, results in checks.items():
        name, comp = info.get(bid, (bid, UNASSIGNED))
        if components is not None and comp not in components:
            continue
        seen = set()
        for c in results:
            if c.get("severity") not in FAILING:
                continue
            key = check_key(bid, c)
            if key in seen:
                continue
            seen.add(key)
            out.setdefault(comp, []).append(FailingCheck(key, bid, name, str(c.get("field")), str(c.get("rule")),
                                                         str(c.get("message"))))
    return out


def _latest_certifications(session: Session, cycle: ReportingCycle) -> dict[str, ComponentCertification]:
    latest: dict[str, ComponentCertification] = {}
    for cert in session.scalars(select(ComponentCertification).where(ComponentCertification.cycle_id == cycle.id)
                                .order_by(ComponentCertification.id)):
        latest[cert.component] = cert
    return latest


def progress(session: Session, actor: Actor, year: int, component: str | None = None) -> Progress:
    """Per component: active use cases, failing reporting checks (and how many the current certification
    explains), who certified it and when, the certified and the current content hashes, and its state."""
    visible = _may_read(actor)
    cycle = _cycle(session, year)
    wanted = visible if component is None else {component}
    if component is not None and visible is not None and component not in visible:
        raise PermissionDenied(f"{actor.label} may not see the data call of {component}")
    counts = _counts(session)
    latest = _latest_certifications(session, cycle)
    failing = _failing_by_component(session, actor, wanted)
    codes = set(counts) | set(latest)
    if component is not None:
        codes = {component}
        if not session.scalar(select(OrgUnit.id).where(OrgUnit.code == component)):
            raise NotFound(f"no component {component!r}")
    elif wanted is not None:
        codes &= wanted
    names = dict(session.execute(select(OrgUnit.code, OrgUnit.name)).all())
    out = []
    for code in sorted(codes):
        cnt = counts.get(code, {"name": names.get(code, code), "active": 0, "retired": 0})
        p = ComponentProgress(component=code, name=names.get(code, cnt["name"]), active=cnt.get("active", 0),
                              reported=cnt.get("active", 0) + cnt.get("retired", 0), failing=failing.get(code, []))
        if code != UNASSIGNED:
            p.content_sha256 = component_content_sha256(session, actor, code) if visible is None or code in visible \
                else ""
        cert = latest.get(code)
        if cert is not None:
            p.certified_by, p.certified_at, p.statement = cert.certified_by, cert.certified_at, cert.statement
            p.certified_sha256 = cert.content_sha256
            p.state = "certified" if cert.content_sha256 == p.content_sha256 else "stale"
            for f in p.failing:
                f.explanation = (cert.explanations or {}).get(f.key)
            p.explained = sum(1 for f in p.failing if f.explanation)
        out.append(p)
    return Progress(cycle_as_dict(cycle), out)


# ---------------------------------------------------------------- certify a component

def certify_component(session: Session, actor: Actor, year: int, component: str, statement: str,
                      explanations: dict[str, str] | None = None) -> ComponentCertification:
    """The component AI lead certifies the component's use cases for the cycle. Refused while a reporting
    check fails without a written explanation. A re-certification is a new row."""
    require(actor, "datacall.certify_component", component)
    cycle = _cycle(session, year, lock=True)
    _require_open(cycle)
    if not session.scalar(select(OrgUnit.id).where(OrgUnit.code == component)):
        raise ValidationFailed.one("component", f"unknown component {component!r}")
    statement = (statement or "").strip()
    if not statement:
        raise ValidationFailed.one("statement", "write the certification statement", "missing")
    given = {str(k).strip(): str(v).strip() for k, v in (explanations or {}).items() if v and str(v).strip()}
    failing = _failing_by_component(session, actor, {component}).get(component, [])
    missing = [f for f in failing if not given.get(f.key)]
    if missing:
        errors = [FieldError(f"explanations.{f.key}", f"{f.business_id} fails {f.rule} on {f.field}: {f.message}. "
                             "Fix it or explain it", "missing") for f in missing]
        first = missing[0]
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise ValidationFailed(f"check {first.key} fails without an explanation{more}", errors=errors)
    kept = {f.key: given[f.key][:4000] for f in failing}
    counts = _counts(session).get(component, {})
    sha = component_content_sha256(session, actor, component)
    cert = ComponentCertification(cycle_id=cycle.id, component=component, use_case_count=counts.get("active", 0),
                                  content_sha256=sha, explanations=kept, statement=statement[:10000],
                                  certified_by=actor.label, certified_at=utcnow())
    session.add(cert)
    session.flush()
    record(session, actor, "datacall.component.certify", "reporting_cycle", f"{year}/{component}",
           {"component": component, "content_sha256": sha, "explanations": kept, "statement": cert.statement},
           {"year": year, "component": component, "content_sha256": sha, "use_cases": cert.use_case_count,
            "explained": len(kept)})
    return cert


# ---------------------------------------------------------------- certify the whole

@dataclass
class CertifyResult:
    year: int
    rows: int
    public_rows: int
    snapshot_sha256: str
    public_sha256: str
    directory: str
    files: dict[str, str]
    event_seq: int
    head: dict

    def as_dict(self) -> dict:
        return asdict(self)


# Files that follow the transaction: written under a pending name beside their final name, renamed into place
# after the commit, removed after a rollback. The list lives in session.info; the listeners are registered on
# the session itself (once), so other sessions are untouched.
_FILES = "raigov.datacall.pending_files"


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # e.g. a platform that cannot open a directory
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def pending_path(path: Path) -> Path:
    return path.with_name(path.name + PENDING)


def _stage_file(session: Session, path: Path, data: bytes) -> Path:
    """Write `data` to `path`'s pending name (fsynced); it is renamed to `path` only after `session` commits,
    and removed if it rolls back."""
    tmp = pending_path(path)
    staged = session.info.get(_FILES)
    if staged is None:
        staged = session.info[_FILES] = []
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_rollback", _after_rollback)
    staged.append((tmp, path))  # before writing: a failed write is cleaned up by the rollback too
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return tmp


def _after_commit(session: Session) -> None:
    staged = session.info.pop(_FILES, None) or []
    for tmp, path in staged:
        try:
            os.replace(tmp, path)
        except OSError:  # committed: serving the snapshot finishes the rename (finish_snapshot)
            log.exception("could not rename %s into place after the commit; it is finished when served", tmp)
    for directory in {path.parent for _, path in staged}:
        _fsync_dir(directory)


def _after_rollback(session: Session) -> None:
    staged = session.info.pop(_FILES, None) or []
    for tmp, _ in staged:
        tmp.unlink(missing_ok=True)
    for directory in {path.parent for _, path in staged}:
        try:
            directory.rmdir()  # only when empty: a folder this attempt created and filled
        except OSError:
            pass


def certify(session: Session, actor: Actor, year: int, statement: str, settings: Settings) -> CertifyResult:
    """The CAIO certifies the whole inventory: freezes the signed snapshot. Not delegable.

    The snapshot's files are written under pending names here and renamed into place only once `session`
    commits (removed if it rolls back): until then `CertifyResult.files` names files that do not exist yet."""
    require(actor, "datacall.certify")
    cycle = _cycle(session, year, lock=True)
    _require_open(cycle)
    statement = (statement or "").strip()
    if not statement:
        raise ValidationFailed.one("statement", "write the certification statement", "missing")
    prog = progress(session, actor, year)
    pending = [c for c in prog.components if c.needs_certification and not c.current]
    if pending:
        errors = [FieldError(f"components.{c.component}",
                             f"{c.active} active use cases have no owning component: assign them first"
                             if c.component == UNASSIGNED else f"{c.component} is {c.state}" +
                             (" (its use cases changed after it was certified)" if c.state == "stale" else ""))
                  for c in pending]
        raise ValidationFailed("every component with active use cases needs a current certification: missing "
                               + ", ".join(f"{c.component} ({c.state})" for c in pending), errors=errors)

    rows, warnings = inventory.export_rows(session, actor, FORMAT)
    public = [r for r in rows if not _is_withheld(r)]
    full_bytes = _csv_text(rows).encode("utf-8")
    public_bytes = _csv_text(public, PUBLIC_OMIT).encode("utf-8")
    # beside the exact public file: a spreadsheet-safe copy and an XLSX of the same rows, each with its own hash
    safe_cells = SafeCells()
    safe_bytes = _csv_text(public, PUBLIC_OMIT, safe_cells).encode("utf-8")
    xlsx_bytes = _xlsx_bytes(public, PUBLIC_OMIT)
    full_name, public_name = snapshot_names(year)
    safe_name, xlsx_name = safe_snapshot_names(year)
    data_dir = settings.ensure_data_dir()
    rel = Path("snapshots") / str(year)
    directory = data_dir / rel
    directory.mkdir(parents=True, exist_ok=True)
    full_sha, public_sha, safe_sha, xlsx_sha = _sha(full_bytes), _sha(public_bytes), _sha(safe_bytes), _sha(xlsx_bytes)
    files = {full_name: full_sha, public_name: public_sha, safe_name: safe_sha, xlsx_name: xlsx_sha}
    sizes = {full_name: len(full_bytes), public_name: len(public_bytes), safe_name: len(safe_bytes),
             xlsx_name: len(xlsx_bytes)}
    certified_at = utcnow()
    manifest = {"year": year, "format": FORMAT, "files": files, "rows": len(rows), "public_rows": len(public),
                "certified_by": actor.label, "certified_at": certified_at.isoformat(), "statement": statement,
                "components": {c.component: c.content_sha256 for c in prog.components if c.certified_sha256}}
    manifest_bytes = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    # pending until the transaction commits (renamed then), removed if it rolls back
    _stage_file(session, directory / full_name, full_bytes)
    _stage_file(session, directory / public_name, public_bytes)
    _stage_file(session, directory / safe_name, safe_bytes)
    _stage_file(session, directory / xlsx_name, xlsx_bytes)
    _stage_file(session, directory / MANIFEST, manifest_bytes)

    cycle.status, cycle.certified_by, cycle.certified_at = "certified", actor.label, certified_at
    cycle.snapshot_sha256, cycle.snapshot_path, cycle.snapshot_count = full_sha, rel.as_posix(), len(rows)
    cycle.snapshot_file, cycle.snapshot_size = full_name, len(full_bytes)
    cycle.public_file, cycle.public_sha256, cycle.public_size = public_name, public_sha, len(public_bytes)
    cycle.public_count, cycle.manifest_sha256 = len(public), _sha(manifest_bytes)
    cycle.public_safe_file, cycle.public_safe_sha256, cycle.public_safe_size = safe_name, safe_sha, len(safe_bytes)
    cycle.public_xlsx_file, cycle.public_xlsx_sha256, cycle.public_xlsx_size = xlsx_name, xlsx_sha, len(xlsx_bytes)
    cycle.version += 1
    ev = record(session, actor, "datacall.cycle.certify", "reporting_cycle", year, {**cycle_as_dict(cycle), "manifest": manifest},
                {"year": year, "snapshot_sha256": full_sha, "public_sha256": public_sha, "rows": len(rows),
                 "public_rows": len(public), "files": files, "sizes": sizes,
                 "public_safe_sha256": safe_sha, "public_xlsx_sha256": xlsx_sha, "prefixed_cells": safe_cells.count,
                 "manifest_sha256": cycle.manifest_sha256, "statement": statement[:200],
                 "components": manifest["components"], "warnings": len(warnings)})
    session.flush()
    head = sign_head(session, actor, data_dir)
    return CertifyResult(year, len(rows), len(public), full_sha, public_sha, rel.as_posix(), files, ev.seq, head)


# ---------------------------------------------------------------- what was published (no account needed)

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
    q = select(ReportingCycle).where(ReportingCycle.status == "certified")
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
    return list(session.scalars(select(ReportingCycle.year).where(ReportingCycle.status == "certified")
                                .order_by(ReportingCycle.year.desc())))


class SnapshotTampered(RaigovError):
    status, code, title = 500, "snapshot-tampered", "The stored snapshot does not match its recorded hash"


class SnapshotRecordMismatch(RaigovError):
    status, code, title = 500, "snapshot-record-mismatch", \
        "The snapshot's recorded hash and the audit trail disagree: nothing is served"


def _snapshot_files(cycle: ReportingCycle) -> list[tuple[str, str | None]]:
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


def _finish_file(path: Path, expected: str | None) -> str:
    """Make sure `path` is in place: 'present' (already there: not checked here), 'finished' (its pending file
    had the expected hash and was renamed into place), 'missing' (neither), or 'mismatch' (a pending file whose
    bytes are not the expected ones: left where it is)."""
    if path.exists():
        return "present"
    tmp = pending_path(path)
    try:
        data = tmp.read_bytes()
    except FileNotFoundError:
        return "present" if path.exists() else "missing"  # another request may have just finished it
    if expected is None or _sha(data) != expected:
        return "mismatch"
    try:
        os.replace(tmp, path)
    except FileNotFoundError:  # finished by another request meanwhile
        return "present" if path.exists() else "missing"
    _fsync_dir(path.parent)
    log.warning("finished the rename of %s left pending by an interrupted certification", path)
    return "finished"


def finish_snapshot(settings: Settings, cycle: ReportingCycle) -> dict[str, str]:
    """Recovery after a crash between a certification's commit and its renames: each file of the certified
    `cycle` that is missing while its pending file has the recorded hash is renamed into place. Idempotent;
    returns {file name: state} (see `_finish_file`). Nothing to do for a cycle that is not certified."""
    if cycle.status != "certified":
        return {}
    folder = settings.data_dir / (cycle.snapshot_path or f"snapshots/{cycle.year}")
    return {name: _finish_file(folder / name, expected) for name, expected in _snapshot_files(cycle)}


FINISH_OK = ("present", "finished")  # states of a file in place (with the recorded hash: see `FinishResult.complete`)


@dataclass
class FinishedFile:
    name: str
    state: str  # see `_finish_file`; 'tampered': in place, but its bytes do not have the recorded hash
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
    return actor.kind == "user" and can(actor, "datacall.finish")


def _file_sha(path: Path) -> str | None:
    try:
        return _sha(path.read_bytes())
    except FileNotFoundError:
        return None


def finish(session: Session, actor: Actor, settings: Settings, year: int) -> FinishResult:
    """`finish_snapshot` on request (`raigov datacall finish YEAR`): after a crash between the certification's
    commit and its renames, rename each missing file's pending file into place when its bytes have the recorded
    hash, and report every file (in place files are checked against their hash too). Refuses (nothing renamed)
    when the cycle is not certified or its recorded hashes disagree with the audit event. Idempotent; records a
    `datacall.snapshot.finish` audit event only when it renamed something."""
    if not may_finish(actor):
        raise PermissionDenied(f"{actor.label} may not finish a data call snapshot: the CAIO's office or an "
                               "administrator does")
    cycle = _cycle(session, year)
    if cycle.status != "certified":
        raise Conflict(f"the {year} data call is {cycle.status}: there is no snapshot to finish")
    pub = publication(session, year)
    if pub is not None and pub.disagreements:
        raise SnapshotRecordMismatch(f"the {year} snapshot is not finished: " + "; ".join(pub.disagreements))
    states = finish_snapshot(settings, cycle)
    folder = settings.data_dir / (cycle.snapshot_path or f"snapshots/{year}")
    files = []
    for name, expected in _snapshot_files(cycle):
        path, state = folder / name, states[name]
        actual = _file_sha(path)
        if actual is None and state == "mismatch":
            actual = _file_sha(pending_path(path))
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
    cycle = _cycle(session, year)
    if kind == "safe" or kind == "xlsx":
        name, expected = (cycle.public_safe_file, cycle.public_safe_sha256) if kind == "safe" else \
            (cycle.public_xlsx_file, cycle.public_xlsx_sha256)
        if not name:
            raise NotFound(f"the {year} snapshot has no {'spreadsheet-safe CSV' if kind == 'safe' else 'XLSX'}: it "
                           "was certified before they were made; its exact public file is served")
    else:
        name, expected = _snapshot_files(cycle)[1 if kind == "public" else 0]
    path = settings.data_dir / (cycle.snapshot_path or f"snapshots/{year}") / name
    state = _finish_file(path, expected)
    if state == "mismatch":
        raise SnapshotTampered(f"the {year} snapshot file {name} is missing and its pending file does not match "
                               "the recorded hash")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SnapshotTampered(f"the {year} snapshot file {name} is missing") from None
    if _sha(data) != expected:
        raise SnapshotTampered(f"the {year} snapshot file {name} does not match the recorded hash")
    return data


def public_rows(data: bytes) -> list[dict]:
    """The rows of a public snapshot file, for listing."""
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    return [dict(r) for r in reader]
