"""The annual data call's cycles: the only code that writes `reporting_cycles` and
`component_certifications` (see ``raigov.datacall.service`` for the whole process).

- the CAIO (or a delegate) opens the year's cycle (``open_cycle``);
- each component AI lead certifies the component's use cases (``certify_component``): OMB's reporting
  checks pass, or every failing check carries a written explanation; the certification keeps the SHA-256
  of the component's export content (``component_content_sha256``), and is *stale* once that changes;
- the CAIO certifies the whole (``certify``): every component with active use cases holds a current
  certification; the snapshot's files are written pending and renamed into place after the commit
  (``raigov.datacall.files``), their hashes kept on the cycle and in an audit event covered by a signed
  tree head.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from raigov.audit.canonical import canonical_json
from raigov.audit.service import record, sign_head
from raigov.config import Settings
from raigov.datacall.files import sha256_bytes, stage_file
from raigov.datacall.kinds import kind_id, kind_title
from raigov.datacall.models import CheckExplanation, ComponentCertification, ReportingCycle
from raigov.datacall.snapshot import (
    COTS_FORMAT,
    FORMAT,
    MANIFEST,
    PUBLIC_OMIT,
    cots_text,
    csv_text,
    safe_snapshot_names,
    snapshot_names,
    xlsx_data,
)
from raigov.db.base import utcnow
from raigov.disclosure import withholding
from raigov.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from raigov.governance.vocab import CycleStatus
from raigov.identity.models import OrgUnit
from raigov.identity.permissions import Actor, can, components_visible, require
from raigov.inventory import service as inventory
from raigov.inventory.formats.safe import SafeCells
from raigov.inventory.models import UseCase
from raigov.inventory.vocab import UseCaseStatus

FAILING = ("error",)  # check severities that need a fix or a written explanation before certifying
UNASSIGNED = "(none)"  # use cases without an owning component


def check_key(business_id: str, check: dict) -> str:
    """The stable key of one failing check: ``DHS-0123:rule:field``."""
    return f"{business_id}:{check.get('rule')}:{check.get('field')}"


def component_content_sha256(session: Session, actor: Actor, component: str) -> str:
    """SHA-256 of what a certification of `component` covers: the component's OMB 2025 CSV export and COTS
    CSV export (exact bytes, as `inventory export --component` writes them) and each reported use case's
    id and status, as canonical JSON. Any edit, import, retirement or submission changes it."""
    rows, _ = inventory.export_rows(session, actor, FORMAT, component)
    cots, _ = inventory.export_rows(session, actor, COTS_FORMAT, component)
    statuses = [[bid, status, reason or ""] for bid, status, reason in session.execute(
        select(UseCase.business_id, UseCase.status, UseCase.retirement_reason).join(OrgUnit, UseCase.org_unit_id == OrgUnit.id)
        .where(OrgUnit.code == component, UseCase.status != UseCaseStatus.DRAFT).order_by(UseCase.id))]
    material = {FORMAT: csv_text(rows), COTS_FORMAT: cots_text(cots) if cots else "", "use_cases": statuses}
    return sha256_bytes(canonical_json(material).encode("utf-8"))


def cycle_row(session: Session, year: int, *, lock: bool = False) -> ReportingCycle:
    q = select(ReportingCycle).where(ReportingCycle.year == year)
    if lock:
        q = q.with_for_update()
    c = session.scalar(q)
    if c is None:
        raise NotFound(f"no reporting cycle for {year}")
    return c


def _may_read(actor: Actor) -> set[str] | None:
    """None: every component; else the components whose progress the actor may see."""
    if can(actor, "datacall.cycle.open") or can(actor, "datacall.cycle.certify"):
        return None
    if components_visible(actor, "inventory.file.export") is None:  # may export every row anyway (auditor, the shell)
        return None
    units = components_visible(actor, "datacall.component.certify")
    if units is None:
        return None
    if not units:
        raise PermissionDenied(f"{actor.label} takes no part in the data call")
    return units


def require_open(cycle: ReportingCycle) -> None:
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
    require(actor, "datacall.cycle.open")
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
    return cycle_row(session, year)


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

    @property
    def pending(self) -> list[ComponentProgress]:
        """The components that need a current certification and lack one."""
        return [c for c in self.components if c.needs_certification and not c.current]

    @property
    def blocker(self) -> str | None:
        """Why the CAIO cannot certify the whole yet, in words (None: every component is certified):
        "10 of 11 components have not certified: CBP, CISA (changed since it certified), ..."."""
        pending = self.pending
        if not pending:
            return None
        names = [("use cases with no owning component" if c.component == UNASSIGNED else c.component)
                 + (" (changed since it certified)" if c.state == "stale" else "") for c in pending]
        return (f"{len(pending)} of {self.required} components {'has' if len(pending) == 1 else 'have'} not "
                f"certified: {', '.join(names)}")

    def as_dict(self) -> dict:
        return {"cycle": self.cycle, "required": self.required, "certified": self.done, "blocker": self.blocker,
                "components": [c.as_dict() for c in self.components]}


def _counts(session: Session) -> dict[str, dict]:
    out: dict[str, dict] = {}
    q = (select(OrgUnit.code, OrgUnit.name, OrgUnit.kind, UseCase.status, func.count())
         .select_from(UseCase).outerjoin(OrgUnit, UseCase.org_unit_id == OrgUnit.id)
         .where(UseCase.status != UseCaseStatus.DRAFT).group_by(OrgUnit.code, OrgUnit.name, OrgUnit.kind, UseCase.status))
    for code, name, _kind, status, n in session.execute(q):
        key = code if code else UNASSIGNED
        d = out.setdefault(key, {"name": name or "No owning component", "active": 0, "retired": 0})
        d[status] = d.get(status, 0) + n
    return out


def failing_by_component(session: Session, actor: Actor, components: set[str] | None) -> dict[str, list[FailingCheck]]:
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


def saved_explanations(session: Session, cycle: ReportingCycle, components: set[str] | None = None) -> dict[str, str]:
    """{check key: text} of the explanations saved for the cycle (before certifying), of `components` or all."""
    q = select(CheckExplanation.check_key, CheckExplanation.text).where(CheckExplanation.cycle_id == cycle.id)
    if components is not None:
        q = q.where(CheckExplanation.component.in_(sorted(components) or ["-"]))
    return dict(session.execute(q).all())


def progress(session: Session, actor: Actor, year: int, component: str | None = None) -> Progress:
    """Per component: active use cases, failing reporting checks (each with its explanation: the one saved for
    the cycle, else the current certification's; and how many are explained), who certified it and when, the
    certified and the current content hashes, and its state."""
    visible = _may_read(actor)
    cycle = cycle_row(session, year)
    wanted = visible if component is None else {component}
    if component is not None and visible is not None and component not in visible:
        raise PermissionDenied(f"{actor.label} may not see the data call of {component}")
    counts = _counts(session)
    latest = _latest_certifications(session, cycle)
    failing = failing_by_component(session, actor, wanted)
    codes = set(counts) | set(latest)
    if component is not None:
        codes = {component}
        if not session.scalar(select(OrgUnit.id).where(OrgUnit.code == component)):
            raise NotFound(f"no component {component!r}")
    elif wanted is not None:
        codes &= wanted
    names = dict(session.execute(select(OrgUnit.code, OrgUnit.name)).all())
    saved = saved_explanations(session, cycle, wanted)
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
        certified = (cert.explanations or {}) if cert is not None else {}
        for f in p.failing:
            f.explanation = saved.get(f.key) or certified.get(f.key)
        p.explained = sum(1 for f in p.failing if f.explanation)
        out.append(p)
    return Progress(cycle_as_dict(cycle), out)


# ---------------------------------------------------------------- certify a component

def certify_component(session: Session, actor: Actor, year: int, component: str, statement: str,
                      explanations: dict[str, str] | None = None) -> ComponentCertification:
    """The component AI lead certifies the component's use cases for the cycle. Refused while a reporting
    check fails without a written explanation: one saved for the cycle (``worklist.explain_checks``) or one in
    `explanations` ({check key: text}, which wins). The refusal counts the checks by kind, in words. A
    re-certification is a new row."""
    require(actor, "datacall.component.certify", component)
    cycle = cycle_row(session, year, lock=True)
    require_open(cycle)
    if not session.scalar(select(OrgUnit.id).where(OrgUnit.code == component)):
        raise ValidationFailed.one("component", f"unknown component {component!r}")
    statement = (statement or "").strip()
    if not statement:
        raise ValidationFailed.one("statement", "write the certification statement", "missing")
    given = {k: v.strip() for k, v in saved_explanations(session, cycle, {component}).items() if v and v.strip()}
    given.update({str(k).strip(): str(v).strip() for k, v in (explanations or {}).items() if v and str(v).strip()})
    failing = failing_by_component(session, actor, {component}).get(component, [])
    missing = [f for f in failing if not given.get(f.key)]
    if missing:
        raise unexplained(missing)
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


def unexplained(missing: list[FailingCheck]) -> ValidationFailed:
    """The refusal of a certification while checks fail unexplained: one error per kind of check, in words,
    naming the use cases (field ``checks.<kind>``)."""
    kinds: dict[str, list[FailingCheck]] = {}
    for f in missing:
        kinds.setdefault(kind_id(f.rule, f.field), []).append(f)
    errors = []
    for kind, items in sorted(kinds.items(), key=lambda kv: (-len(kv[1]), kind_title(kv[1][0].rule, kv[1][0].field))):
        ids = ", ".join(f.business_id for f in items[:5]) + (f" and {len(items) - 5} more" if len(items) > 5 else "")
        n = len(items)
        errors.append(FieldError(f"checks.{kind}", f"{kind_title(items[0].rule, items[0].field)}: {n} use "
                                 f"case{'s' if n != 1 else ''} ({ids}): fix the answer or explain it", "missing"))
    n = len(missing)
    return ValidationFailed(f"{n} failing check{'s' if n != 1 else ''} of {len(kinds)} kind{'s' if len(kinds) != 1 else ''} "
                            "still need a fix or an explanation: " + "; ".join(e.message for e in errors[:3])
                            + ("; ..." if len(errors) > 3 else ""), errors=errors)


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


def certify(session: Session, actor: Actor, year: int, statement: str, settings: Settings) -> CertifyResult:
    """The CAIO certifies the whole inventory: freezes the signed snapshot. Not delegable.

    The snapshot's files are written under pending names here and renamed into place only once `session`
    commits (removed if it rolls back): until then `CertifyResult.files` names files that do not exist yet."""
    require(actor, "datacall.cycle.certify")
    cycle = cycle_row(session, year, lock=True)
    require_open(cycle)
    statement = (statement or "").strip()
    if not statement:
        raise ValidationFailed.one("statement", "write the certification statement", "missing")
    prog = progress(session, actor, year)
    pending = prog.pending
    if pending:
        errors = [FieldError(f"components.{c.component}",
                             f"{c.active} active use cases have no owning component: assign them first"
                             if c.component == UNASSIGNED else f"{c.component} is {c.state}" +
                             (" (its use cases changed after it was certified)" if c.state == "stale" else ""))
                  for c in pending]
        raise ValidationFailed(f"{prog.blocker}. Every component with active use cases needs a current "
                               "certification first", errors=errors)

    rows, warnings = inventory.export_rows(session, actor, FORMAT)
    public = withholding.public_rows(session, rows)  # without what the CAIO's office withholds
    full_bytes = csv_text(rows).encode("utf-8")
    public_bytes = csv_text(public, PUBLIC_OMIT).encode("utf-8")
    # beside the exact public file: a spreadsheet-safe copy and an XLSX of the same rows, each with its own hash
    safe_cells = SafeCells()
    safe_bytes = csv_text(public, PUBLIC_OMIT, safe_cells).encode("utf-8")
    xlsx_bytes = xlsx_data(public, PUBLIC_OMIT)
    full_name, public_name = snapshot_names(year)
    safe_name, xlsx_name = safe_snapshot_names(year)
    data_dir = settings.ensure_data_dir()
    rel = Path("snapshots") / str(year)
    directory = data_dir / rel
    directory.mkdir(parents=True, exist_ok=True)
    full_sha, public_sha = sha256_bytes(full_bytes), sha256_bytes(public_bytes)
    safe_sha, xlsx_sha = sha256_bytes(safe_bytes), sha256_bytes(xlsx_bytes)
    files = {full_name: full_sha, public_name: public_sha, safe_name: safe_sha, xlsx_name: xlsx_sha}
    sizes = {full_name: len(full_bytes), public_name: len(public_bytes), safe_name: len(safe_bytes),
             xlsx_name: len(xlsx_bytes)}
    certified_at = utcnow()
    manifest = {"year": year, "format": FORMAT, "files": files, "rows": len(rows), "public_rows": len(public),
                "certified_by": actor.label, "certified_at": certified_at.isoformat(), "statement": statement,
                "components": {c.component: c.content_sha256 for c in prog.components if c.certified_sha256}}
    manifest_bytes = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    # pending until the transaction commits (renamed then), removed if it rolls back
    stage_file(session, directory / full_name, full_bytes)
    stage_file(session, directory / public_name, public_bytes)
    stage_file(session, directory / safe_name, safe_bytes)
    stage_file(session, directory / xlsx_name, xlsx_bytes)
    stage_file(session, directory / MANIFEST, manifest_bytes)

    cycle.status, cycle.certified_by, cycle.certified_at = CycleStatus.CERTIFIED, actor.label, certified_at
    cycle.snapshot_sha256, cycle.snapshot_path, cycle.snapshot_count = full_sha, rel.as_posix(), len(rows)
    cycle.snapshot_file, cycle.snapshot_size = full_name, len(full_bytes)
    cycle.public_file, cycle.public_sha256, cycle.public_size = public_name, public_sha, len(public_bytes)
    cycle.public_count, cycle.manifest_sha256 = len(public), sha256_bytes(manifest_bytes)
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
