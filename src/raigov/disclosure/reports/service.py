"""The accountability reports' service: build a report from the platform's data, render it, store the file with
its SHA-256 and record the audit event in the same transaction; read the compliance plan, edit its sections and
finalise it (the CAIO's office). Permissions: disclosure.report.read, disclosure.report.generate,
disclosure.plan.edit, disclosure.plan.finalise (identity/permissions.yaml)."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from raigov.audit import service as audit
from raigov.audit.canonical import sha256_json
from raigov.clock import agency_today
from raigov.config import Settings
from raigov.db.base import utcnow
from raigov.disclosure.reports import build, facts
from raigov.disclosure.reports.document import FORMATS, KINDS, Document
from raigov.disclosure.reports.models import CompliancePlan, ReportFile
from raigov.disclosure.reports.render import RENDERERS
from raigov.errors import Conflict, NotFound, ValidationFailed
from raigov.genai.models import Tool as GenaiTool
from raigov.governance.dashboard import scope_of
from raigov.governance.lanes import config as lanes_config
from raigov.identity.models import RoleAssignment
from raigov.identity.permissions import Actor, require

READ, GENERATE = "disclosure.report.read", "disclosure.report.generate"
EDIT, FINALISE = "disclosure.plan.edit", "disclosure.plan.finalise"
MAX_SECTION_CHARS = 20_000
FIRST_YEAR, LAST_YEAR = 2020, 2100

__all__ = [
    "FORMATS",
    "KINDS",
    "PLAN_SECTIONS",
    "build_document",
    "check_year",
    "edit_plan",
    "finalise_plan",
    "generate",
    "list_reports",
    "plan",
    "report_file",
]
PLAN_SECTIONS = build.PLAN_SECTIONS


def check_year(year: int) -> int:
    if not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationFailed.one("year", f"a year from {FIRST_YEAR} to {LAST_YEAR}")
    return year


def _check(kind: str, fmt: str | None = None) -> None:
    if kind not in KINDS:
        raise ValidationFailed.one("kind", f"one of {', '.join(KINDS)}")
    if fmt is not None and fmt not in FORMATS:
        raise ValidationFailed.one("format", f"one of {', '.join(FORMATS)}")


def _plan_state(session: Session, scope, year: int, today: dt.date) -> dict:
    roles = dict(session.execute(select(RoleAssignment.role, func.count(func.distinct(RoleAssignment.user_id)))
                                 .where(RoleAssignment.role.in_(("caio", "caio_delegate")))
                                 .group_by(RoleAssignment.role)).all())
    return {"inventory": facts.inventory_counts(session, scope), "practices": facts.practice_counts(session, scope),
            "waivers": facts.active_waivers(session, scope, today), "data_call": facts.data_call(session, year),
            "governance": {"caio": int(roles.get("caio", 0)), "delegates": int(roles.get("caio_delegate", 0)),
                           "lanes": [lane.title for lane in lanes_config().lanes.values()]},
            "genai_tools": int(session.scalar(select(func.count()).select_from(GenaiTool)) or 0)}  # the catalog's


def _plan_row(session: Session, year: int) -> CompliancePlan | None:
    return session.scalar(select(CompliancePlan).where(CompliancePlan.year == year))


def build_document(session: Session, actor: Actor, kind: str, year: int, today: dt.date | None = None) -> Document:
    """The report of `kind` for `year` from the platform's data now (nothing stored)."""
    require(actor, READ)
    _check(kind)
    check_year(year)
    today = today or agency_today()
    scope = scope_of(session, actor)
    on = today.isoformat()
    if kind == "fr-fc":
        return build.fr_fc(year, on, facts.fr_fc_uses(session, scope, year, today))
    if kind == "inventory-summary":
        return build.inventory_summary(year, on, facts.inventory_counts(session, scope), facts.practice_counts(session, scope),
                                       facts.active_waivers(session, scope, today), facts.data_call(session, year))
    row = _plan_row(session, year)
    return build.compliance_plan(year, on, _plan_state(session, scope, year, today), dict(row.sections) if row else {},
                                 bool(row and row.status == "final"))


def _store(settings: Settings, data: bytes, sha: str, fmt: str) -> None:
    folder = settings.ensure_data_dir() / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{sha}.{fmt}"
    if not path.exists():
        tmp = path.with_suffix(f".{fmt}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)


def generate(session: Session, actor: Actor, settings: Settings, kind: str, year: int, fmt: str,
             today: dt.date | None = None) -> tuple[ReportFile, bytes]:
    """Build, render and store one report file; its row and audit event carry the file's SHA-256 and the hash of
    the figures it holds. Files are named by their SHA-256, so a file written for a transaction that rolls back
    is harmless (and the same report generated again is stored once)."""
    require(actor, GENERATE)
    _check(kind, fmt)
    doc = build_document(session, actor, kind, year, today)
    data = RENDERERS[fmt](doc)
    sha = hashlib.sha256(data).hexdigest()
    _store(settings, data, sha, fmt)
    row = ReportFile(kind=kind, year=year, fmt=fmt, sha256=sha, size=len(data), data_sha256=sha256_json(doc.figures),
                     final=bool(doc.figures.get("final")), created_by=actor.label)
    session.add(row)
    session.flush()
    audit.record(session, actor, "disclosure.report.generate", "accountability_report", row.id,
                 details={"kind": kind, "year": year, "format": fmt, "sha256": sha, "size": len(data),
                          "data_sha256": row.data_sha256})
    return row, data


def list_reports(session: Session, actor: Actor, limit: int = 200) -> list[ReportFile]:
    require(actor, READ)
    return list(session.scalars(select(ReportFile).order_by(ReportFile.id.desc()).limit(limit)))


def report_file(session: Session, actor: Actor, settings: Settings, report_id: int) -> tuple[ReportFile, bytes]:
    """A stored report and its bytes, checked against the SHA-256 recorded when it was generated."""
    require(actor, READ)
    row = session.get(ReportFile, report_id)
    if row is None:
        raise NotFound("no such report")
    path = Path(settings.ensure_data_dir()) / "reports" / f"{row.sha256}.{row.fmt}"
    data = path.read_bytes() if path.is_file() else b""
    if hashlib.sha256(data).hexdigest() != row.sha256:
        raise Conflict("the stored report file is missing or does not match its recorded SHA-256")
    return row, data


def plan(session: Session, actor: Actor, year: int, today: dt.date | None = None) -> dict:
    """The compliance plan of `year`: each section's draft (from the platform's state), the edited text if any,
    its status and version."""
    require(actor, READ)
    check_year(year)
    today = today or agency_today()
    row = _plan_row(session, year)
    draft = build.plan_draft(year, _plan_state(session, scope_of(session, actor), year, today))
    edited = dict(row.sections) if row else {}
    return {"year": year, "status": row.status if row else "draft", "version": row.version if row else 0,
            "finalised_by": row.finalised_by if row else None, "finalised_at": row.finalised_at if row else None,
            "sections": [{"key": k, "title": t, "draft": draft[k], "text": edited.get(k) or draft[k],
                          "edited": k in edited} for k, t in PLAN_SECTIONS.items()]}


def edit_plan(session: Session, actor: Actor, year: int, key: str, text: str, version: int | None = None) -> CompliancePlan:
    """Store the CAIO office's text of one section (an empty text goes back to the platform's draft)."""
    require(actor, EDIT)
    check_year(year)
    if key not in PLAN_SECTIONS:
        raise ValidationFailed.one("section", f"one of {', '.join(PLAN_SECTIONS)}")
    text = (text or "").replace("\r\n", "\n").strip()
    if len(text) > MAX_SECTION_CHARS:
        raise ValidationFailed.one("text", f"at most {MAX_SECTION_CHARS:,} characters (this one has {len(text):,})")
    row = _plan_row(session, year)
    if row is None:
        row = CompliancePlan(year=year, sections={}, status="draft", version=0, updated_by=actor.label)
        session.add(row)
    if row.status == "final":
        raise Conflict(f"the {year} compliance plan is final: it can no longer be edited")
    if version is not None and version != row.version:
        raise Conflict("someone else edited the plan since you opened it: reload the page and edit again")
    sections = dict(row.sections)
    if text:
        sections[key] = text
    else:
        sections.pop(key, None)
    row.sections, row.version, row.updated_by, row.updated_at = sections, row.version + 1, actor.label, utcnow()
    session.flush()
    audit.record(session, actor, "disclosure.plan.edit", "compliance_plan", year, state=sections,
                 details={"year": year, "section": key, "characters": len(text), "version": row.version})
    return row


def finalise_plan(session: Session, actor: Actor, year: int) -> CompliancePlan:
    require(actor, FINALISE)
    check_year(year)
    row = _plan_row(session, year)
    if row is None:
        row = CompliancePlan(year=year, sections={}, status="draft", version=0, updated_by=actor.label)
        session.add(row)
    if row.status == "final":
        raise Conflict(f"the {year} compliance plan is already final")
    row.status, row.finalised_by, row.finalised_at, row.version = "final", actor.label, utcnow(), row.version + 1
    session.flush()
    audit.record(session, actor, "disclosure.plan.finalise", "compliance_plan", year, state=dict(row.sections),
                 details={"year": year, "edited_sections": sorted(row.sections), "version": row.version})
    return row
