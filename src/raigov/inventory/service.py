"""Inventory services: import (dry run or one all-or-nothing transaction), create, edit (a new
immutable revision each time), retire, read, search, export. Every change appends its audit event;
an import appends its events after all its rows are written (so that it holds the trail's append
lock only briefly), one per use case, or for a big import one per batch of use cases (audit/batch.py)."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from sqlalchemy import Select, func, literal_column, or_, select, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session, selectinload

from raigov.audit import batch as audit_batch
from raigov.audit import merkle
from raigov.audit.canonical import event_bytes, event_hash, state_digest
from raigov.audit.models import AuditEvent
from raigov.audit.service import event_as_dict, inclusion, record
from raigov.config import Settings
from raigov.db.base import utcnow
from raigov.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from raigov.identity.models import OrgUnit
from raigov.identity.permissions import Actor, can, components_visible, require
from raigov.inventory import records
from raigov.inventory.catalog import fields as catalog_fields
from raigov.inventory.catalog import text_key
from raigov.inventory.formats import ParsedInventory, name_key, normalize_id, use_case_key
from raigov.inventory.models import UseCase, UseCasePerson, UseCaseRevision

SCHEMA_YEAR = {"2023": 2023, "2024": 2024, "2025": 2025, "cots-2025": 2025}
LINK_COLUMNS = ("raigov_id", "raigov_2025_id")  # a file may link rows to raigov use cases by id
IMPORT_AUDIT_BATCH = 1000  # an import that changes more use cases than this records one event per batch of them
BATCH_ACTION = "inventory.import.batch"
NOT_EDITABLE = {"agency", "agency_name", "id"}  # set by raigov, never by an edit


# ---------------------------------------------------------------- org units

class UnitMatcher:
    """Bureau text (code or name, as agencies spell it) -> org unit of this department."""

    def __init__(self, session: Session):
        self.units = list(session.scalars(select(OrgUnit)).all())
        self.by_key: dict[str, OrgUnit] = {}
        for u in self.units:
            for alias in (u.code, u.name, u.name.removeprefix("U.S. "), u.name.removeprefix("Office of ")):
                self.by_key.setdefault(text_key(alias), u)
        self.department = next((u for u in self.units if u.kind == "department"), None)

    def match(self, text_: str | None) -> OrgUnit | None:
        if not text_:
            return None
        k = text_key(text_)
        if k in self.by_key:
            return self.by_key[k]
        m = re.search(r"\(([A-Za-z&]{2,8})\)", text_)  # "Customs and Border Protection (CBP)"
        if m and text_key(m.group(1)) in self.by_key:
            return self.by_key[text_key(m.group(1))]
        return None


# ---------------------------------------------------------------- import

@dataclass
class RowOutcome:
    row: int
    key: str
    business_id: str | None
    action: str  # created | updated | unchanged | skipped
    detail: str = ""


@dataclass
class ImportReport:
    source: str
    form: str
    year: int
    sha256: str
    dry_run: bool
    rows_read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    problems: list[dict] = field(default_factory=list)
    rows: list[RowOutcome] = field(default_factory=list)

    def as_dict(self, with_rows: bool = True) -> dict:
        d = {k: getattr(self, k) for k in ("source", "form", "year", "sha256", "dry_run", "rows_read", "created",
                                           "updated", "unchanged", "skipped")}
        d["problems"] = [dict(p) for p in self.problems]
        if with_rows:
            d["rows"] = [asdict(r) for r in self.rows]
        return d


def require_import(actor: Actor) -> None:
    """May ``actor`` import at all (in some component)? The check an adapter makes before it reads or keeps
    an uploaded file; which rows they may import is decided row by row by :func:`import_inventory`."""
    require(actor, "inventory.import")


def import_inventory(session: Session, actor: Actor, parsed: ParsedInventory, settings: Settings, *,
                     dry_run: bool = False, agency: str | None = None) -> ImportReport:
    """Import every row of a parsed inventory file. Creates use cases, or adds a revision to those
    it finds (by id, by a raigov link column, or by agency + normalised name); an identical row
    changes nothing. With `dry_run` everything is done and then rolled back, so the report is
    exactly what the real run will do. The caller's transaction makes the real run all or nothing."""
    require(actor, "inventory.import")
    report = ImportReport(parsed.source_name, parsed.form, parsed.year, parsed.sha256, dry_run)
    report.problems = [dict(vars(p)) for p in parsed.problems]  # flat dataclasses: no deep copy
    if parsed.schema not in SCHEMA_YEAR:
        raise ValidationFailed.one("file", f"{parsed.form} files cannot be imported")
    nested = session.begin_nested() if dry_run else None
    changes: list[tuple] = []  # (revision, business id): their audit events come after every row
    try:
        _import_rows(session, actor, parsed, settings, report, agency, changes)
        session.flush()  # every row written (and every revision numbered) before the append lock is taken
    finally:
        if nested is not None:
            nested.rollback()
    if not dry_run:
        details = {"file": parsed.source_name, "form": parsed.form, "rows": report.rows_read, "created": report.created,
                   "updated": report.updated, "unchanged": report.unchanged, "skipped": report.skipped}
        batches = _record_changes(session, actor, parsed, changes)
        if batches:
            details["batches"] = batches
        record(session, actor, "inventory.import", "inventory_file", parsed.sha256,
               {k: v for k, v in report.as_dict(with_rows=False).items() if k != "problems"}, details)
    return report


def _revision_event(rev: UseCaseRevision) -> tuple[str, dict, dict]:
    """The action, state and details of a revision's audit event (or of its item in a batch event)."""
    return ("inventory.use_case.revise" if rev.number > 1 else "inventory.use_case.create",
            {"revision": rev.number, "content_hash": rev.content_hash, "schema": rev.schema},
            {"revision": rev.number, "source": rev.source[:200]})


def _import_item(rev: UseCaseRevision, business_id: str) -> dict:
    """A batch item: what the revision's own event would have said, with the revision's row id."""
    action, state, details = _revision_event(rev)
    return {"action": action, "object_type": "use_case", "object_id": business_id, "revision_id": rev.id,
            "state_digest": state_digest(state), "details": details}


def _record_changes(session: Session, actor: Actor, parsed: ParsedInventory, changes: list[tuple]) -> int:
    """The import's audit events, after all its rows: one per changed use case as an edit records it, or,
    above IMPORT_AUDIT_BATCH, one `inventory.import.batch` event per IMPORT_AUDIT_BATCH of them (in the
    order of the revisions' row ids) carrying the Merkle root of their items. Returns the number of batches."""
    if len(changes) <= IMPORT_AUDIT_BATCH:
        for rev, business_id in changes:
            action, state, details = _revision_event(rev)
            record(session, actor, action, "use_case", business_id, state, details)
        return 0
    ordered = sorted(changes, key=lambda c: c[0].id)
    items = [_import_item(rev, business_id) for rev, business_id in ordered]

    def details_of(n: int, of: int, chunk: list[dict]) -> dict:
        return {"file": parsed.source_name[:200], "first_revision_id": chunk[0]["revision_id"],
                "last_revision_id": chunk[-1]["revision_id"]}

    events = audit_batch.record_batches(session, actor, BATCH_ACTION, "inventory_file", parsed.sha256, items,
                                        IMPORT_AUDIT_BATCH, details_of)
    return len(events)


@dataclass
class _Known:
    """What the importer knows of the use cases already there, loaded once as plain tuples."""

    by_business_id: dict[str, int]
    by_id_key: dict[str, int]
    by_name_key: dict[str, list[int]]
    hashes: dict[int, set[str]]
    current_schema: dict[int, str]
    unit_of: dict[int, str | None]

    @classmethod
    def load(cls, session: Session) -> _Known:
        k = cls({}, {}, {}, {}, {}, {})
        for pk, bid, idk, nk, unit in session.execute(
                select(UseCase.id, UseCase.business_id, UseCase.id_key, UseCase.name_key, OrgUnit.code)
                .outerjoin(OrgUnit, UseCase.org_unit_id == OrgUnit.id)):
            k.unit_of[pk] = unit
            k.by_business_id[bid] = pk
            if idk:
                k.by_id_key[idk] = pk
            k.by_name_key.setdefault(nk, []).append(pk)
        for uc_id, h, schema in session.execute(select(UseCaseRevision.use_case_id, UseCaseRevision.content_hash,
                                                       UseCaseRevision.schema).order_by(UseCaseRevision.number)):
            k.hashes.setdefault(uc_id, set()).add(h)
            k.current_schema[uc_id] = schema
        return k

    def find(self, key: str, nkey: str, link: str | None) -> int | None:
        if link and normalize_id(link) in self.by_business_id:
            return self.by_business_id[normalize_id(link)]
        if key.startswith("id:") and key in self.by_id_key:
            return self.by_id_key[key]
        if key.startswith("id:") and key[3:] in self.by_business_id and self.by_business_id[key[3:]] > 0:
            return self.by_business_id[key[3:]]
        matches = self.by_name_key.get(nkey, [])
        return matches[0] if len(matches) == 1 else None


def _import_rows(session, actor, parsed, settings, report, agency_filter, changes) -> None:
    units = UnitMatcher(session)
    schema = parsed.schema
    year = SCHEMA_YEAR[schema]
    known = _Known.load(session)
    business_ids = {pk: b for b, pk in known.by_business_id.items()}
    own_agency = settings.agency_code.upper()
    allowed = components_visible(actor, "inventory.import")  # None: every unit
    seen_keys: Counter = Counter()

    def outside(unit_code: str | None, row: int, key: str) -> bool:
        if allowed is None or unit_code in allowed:
            return False
        report.skipped += 1
        report.problems.append({"row": row, "column": "agency_bureau", "raw": unit_code, "severity": "warning",
                                "code": "outside-your-components",
                                "message": f"this row belongs to {unit_code or 'no component of yours'}",
                                "action": "not imported: you may import only your components' use cases"})
        report.rows.append(RowOutcome(row, key, None, "skipped", "outside your components"))
        return True
    for r in parsed.rows:
        report.rows_read += 1
        values = dict(r.values)
        if schema == "2025" and not values.get("agency"):  # DHS's own template has no agency column
            values["agency"] = settings.agency_code
            values.setdefault("agency_name", settings.agency_name)
        summary = records.summarise(schema, values)
        if schema == "cots-2025" and summary.agency and text_key(summary.agency) == text_key(settings.agency_name):
            summary.agency = own_agency
        if agency_filter and (summary.agency or "") != agency_filter.upper():
            report.skipped += 1
            report.rows.append(RowOutcome(r.row, "", None, "skipped", f"agency {summary.agency} is not {agency_filter}"))
            continue
        key = use_case_key(replace(r, values=values), parsed)
        nkey = name_key(summary.agency, summary.name)
        seen_keys[key] += 1
        if seen_keys[key] > 1:  # the same id or name twice in one file: keep both, told apart by order
            n = seen_keys[key]
            report.problems.append({"row": r.row, "column": "id" if key.startswith("id:") else "use_case_name",
                                    "raw": key.split(":", 2)[-1][:200], "severity": "warning", "code": "duplicate-key",
                                    "message": f"row {r.row} repeats {key} (occurrence {n} in this file)",
                                    "action": f"kept as its own use case, matched by order of occurrence (#{n})"})
            key, nkey = f"name:{key}#{n}", f"{nkey}#{n}"
        link = next((r.extra.get(c) for c in LINK_COLUMNS if r.extra.get(c)), None)
        pk = known.find(key, nkey, link)
        json_values = records.to_json_values(values)
        chash = records.content_hash(schema, json_values, r.extra)
        source = f"import:{parsed.source_name}#{parsed.sha256[:12]}:row {r.row}"
        reason = f"imported from {parsed.source_name}"
        if pk is None:
            unit = units.match(summary.bureau) if summary.agency == own_agency else None
            if unit is None and summary.agency == own_agency:
                unit = units.department
                if summary.bureau:
                    report.problems.append({"row": r.row, "column": "agency_bureau", "raw": summary.bureau, "severity": "info",
                                            "code": "unknown-bureau", "message": f"no org unit matches {summary.bureau!r}",
                                            "action": "owned by the department until assigned"})
            if outside(unit.code if unit else None, r.row, key):
                continue
            business_id = _business_id(key, link, "COTS" if schema == "cots-2025" else (summary.agency or settings.agency_code),
                                       known.by_business_id)
            known.by_business_id[business_id] = -1
            uc = UseCase(business_id=business_id[:120], id_key=key[:300] if key.startswith("id:") else None, name_key=nkey[:400],
                         agency=summary.agency or settings.agency_code, org_unit=unit, status="active",
                         created_at=utcnow(), revision_count=0, revisions=[])
            _apply_summary(uc, summary)
            session.add(uc)
            _add_revision(session, uc, actor, schema, json_values, r.raw, r.extra, chash, source, reason, parsed.form,
                          changes=changes)
            report.created += 1
            report.rows.append(RowOutcome(r.row, key, business_id, "created"))
            continue
        if outside(known.unit_of.get(pk), r.row, key):
            continue
        if chash in known.hashes.get(pk, ()):
            report.unchanged += 1
            report.rows.append(RowOutcome(r.row, key, business_ids.get(pk), "unchanged"))
            continue
        if SCHEMA_YEAR.get(known.current_schema.get(pk, ""), 0) > year:
            report.skipped += 1
            report.problems.append({"row": r.row, "column": None, "raw": None, "severity": "warning", "code": "older-than-current",
                                    "message": f"{business_ids.get(pk)} already has {known.current_schema[pk]} answers; "
                                               f"this {schema} row is older", "action": "not imported"})
            report.rows.append(RowOutcome(r.row, key, business_ids.get(pk), "skipped", "older than the current revision"))
            continue
        uc = session.get(UseCase, pk)
        if key.startswith("id:") and uc.id_key is None:
            uc.id_key = key
        _apply_summary(uc, summary)
        _add_revision(session, uc, actor, schema, json_values, r.raw, r.extra, chash, source, reason, parsed.form,
                      changes=changes)
        known.hashes.setdefault(pk, set()).add(chash)
        known.current_schema[pk] = schema
        report.updated += 1
        report.rows.append(RowOutcome(r.row, key, uc.business_id, "updated"))


def _business_id(key: str, link: str | None, agency: str, existing: dict[str, int]) -> str:
    for candidate in (normalize_id(link) if link else None, key[3:] if key.startswith("id:") else None):
        if candidate and candidate not in existing:
            return candidate
    return next_business_id(agency, existing)


def next_business_id(agency: str, existing) -> str:
    """The agency's next free number. `existing` may be a set or dict of business ids; a dict also
    keeps, under the key (None, prefix), the highest number it has seen, so that an import of
    thousands of new rows stays linear."""
    prefix = f"{agency.upper()}-"
    cache = existing.get((None, prefix)) if isinstance(existing, dict) else None
    if cache is None:
        nums = [int(b[len(prefix):]) for b in existing
                if isinstance(b, str) and b.startswith(prefix) and b[len(prefix):].isdigit()]
        cache = max(nums) if nums else 0
    n = cache + 1
    while f"{prefix}{n:04d}" in existing:
        n += 1
    if isinstance(existing, dict):
        existing[(None, prefix)] = n
    return f"{prefix}{n:04d}"


def _apply_summary(uc: UseCase, s: records.Summary) -> None:
    uc.name = s.name[:500]
    uc.stage, uc.impact, uc.topic = (x[:200] if x else None for x in (s.stage, s.impact, s.topic))
    uc.is_cots, uc.is_face_recognition, uc.is_genai = s.is_cots, s.is_face_recognition, s.is_genai
    uc.search_text = f"{uc.business_id} {s.search_text}"
    uc.office = s.bureau[:300] if s.bureau else None
    if s.stage == "Retired" and uc.status != "retired":
        uc.status = "retired"
        uc.retired_at = uc.retired_at or utcnow()
    uc.updated_at = utcnow()


def _add_revision(session, uc, actor, schema, values, raw, extra, chash, source, reason, form=None, *,
                  changes: list | None = None) -> UseCaseRevision:
    """Append a revision without loading the earlier ones (imports touch thousands of use cases). With
    `changes` (an import), its audit event is left to the end: the revision is added to that list."""
    uc.revision_count = (uc.revision_count or 0) + 1
    rev = UseCaseRevision(number=uc.revision_count, schema=schema, values=values, raw=dict(raw), extra=dict(extra),
                          content_hash=chash, source=source, source_form=form, reason=reason, created_at=utcnow(),
                          created_by=actor.label)
    if uc.id is None or "revisions" not in sa_inspect(uc).unloaded:
        uc.revisions.append(rev)  # a collection already loaded in this session stays current
    else:
        rev.use_case_id = uc.id
        session.add(rev)
    if changes is not None:
        changes.append((rev, uc.business_id))
        return rev
    action, state, details = _revision_event(rev)
    record(session, actor, action, "use_case", uc.business_id, state, details)
    return rev


# ---------------------------------------------------------------- create, edit, retire

def component_of(uc: UseCase) -> str | None:
    """The code of the component that owns the use case (None: the department's own, or none)."""
    return uc.org_unit.code if uc.org_unit is not None and uc.org_unit.kind != "department" else None


def may_read(actor: Actor, uc: UseCase) -> bool:
    """The read rule of one use case: ``usecase.read_draft`` for a draft, ``usecase.read`` otherwise, in its
    component; or being one of its people (owner, developer). What is attached to a use case (evidence)
    is read through this rule too."""
    action = "usecase.read_draft" if uc.status == "draft" else "usecase.read"
    return can(actor, action, component_of(uc)) or _is_person_of(actor, uc)


def check_read(actor: Actor, uc: UseCase) -> None:
    """PermissionDenied unless `actor` may read `uc` (``may_read``)."""
    if not may_read(actor, uc):
        raise PermissionDenied(f"{actor.label} may not read {uc.business_id}")


def _is_person_of(actor: Actor, uc: UseCase) -> bool:
    return actor.user_id is not None and any(p.user_id == actor.user_id for p in uc.people)


def create_use_case(session: Session, actor: Actor, *, component: str, values: dict[str, Any], reason: str,
                    settings: Settings, schema: str = "2025") -> UseCase:
    """A new use case, as a draft of `component`, with its first revision."""
    require(actor, "usecase.create", component)
    unit = session.scalar(select(OrgUnit).where(OrgUnit.code == component))
    if unit is None:
        raise ValidationFailed.one("component", f"unknown org unit {component!r}")
    values = {k: v for k, v in values.items() if v not in (None, "", [])}
    values.setdefault("agency", settings.agency_code)
    values.setdefault("agency_name", settings.agency_name)
    values.setdefault("agency_bureau", unit.code)
    if not str(values.get("use_case_name") or "").strip():
        raise ValidationFailed.one("use_case_name", "a use case needs a name", "missing")
    summary = records.summarise(schema, values)
    existing = {b for (b,) in session.execute(select(UseCase.business_id))}
    business_id = next_business_id(settings.agency_code, existing)
    values["id"] = business_id
    uc = UseCase(business_id=business_id, id_key=f"id:{business_id}", name_key=name_key(summary.agency, summary.name),
                 agency=settings.agency_code, org_unit=unit, status="draft", created_at=utcnow())
    _apply_summary(uc, records.summarise(schema, values))
    session.add(uc)
    if actor.user_id is not None:
        uc.people.append(UseCasePerson(user_id=actor.user_id, role="owner"))
    _add_revision(session, uc, actor, schema, records.to_json_values(values), {}, {},
                  records.content_hash(schema, values, {}), "edit", reason or "created")
    return uc


def edit_use_case(session: Session, actor: Actor, business_id: str, changes: dict[str, Any], reason: str,
                  base_revision: int | None = None) -> UseCase:
    """A new revision with `changes` applied to the current answers. The reason is required.

    ``base_revision``: the revision the editor started from (the form's hidden field, the API's
    ``If-Match``). When the use case has a newer revision, somebody saved in between: Conflict (409),
    naming both revisions, instead of silently overwriting their change. Without it (older API
    clients), the changes apply to whatever is current, as before."""
    uc = get_use_case(session, actor, business_id)
    require(actor, "usecase.edit", component_of(uc))
    # serialise editors of one use case: a second save waits here until the first commits, then sees it
    session.execute(select(UseCase.id).where(UseCase.id == uc.id).with_for_update())
    session.refresh(uc, ["revision_count", "revisions"])
    if base_revision is not None and base_revision != uc.revision_count:
        raise StaleRevision(uc.business_id, base_revision, uc.revision_count)
    if not reason.strip():
        raise ValidationFailed.one("reason", "say why the use case changes", "missing")
    current = uc.revisions[-1]
    editable = {f.name for f in catalog_fields(current.schema)} | {n for n, _, _ in records.DEPARTMENT_FIELDS}
    for k in changes:
        if k not in editable or k in NOT_EDITABLE:
            raise ValidationFailed.one(f"values.{k}", f"not an answer of the {current.schema} form that can be edited"
                                       if k not in NOT_EDITABLE else "set by raigov; it cannot be edited")
    values = dict(current.values)
    for k, v in changes.items():
        if v in (None, "", []):
            values.pop(k, None)
        else:
            values[k] = records.to_json_value(v)
    chash = records.content_hash(current.schema, values, current.extra)
    if chash == current.content_hash:
        return uc
    _apply_summary(uc, records.summarise(current.schema, values))
    _add_revision(session, uc, actor, current.schema, values, {}, current.extra, chash, "edit", reason)
    return uc


class StaleRevision(Conflict):
    """An edit started from an older revision than the current one."""

    def __init__(self, business_id: str, base: int, current: int):
        super().__init__(f"{business_id} changed while you edited it: you started from revision {base}, it is now "
                         f"at revision {current}", errors=[FieldError("base_revision", f"the current revision is {current}",
                                                                        "stale")])
        self.business_id, self.base, self.current = business_id, base, current


def changes_since(session: Session, actor: Actor, business_id: str, base: int) -> list[records.FieldDiff]:
    """What changed in the answers from revision ``base`` to the current one (the 409 page's list)."""
    uc = get_use_case(session, actor, business_id)
    if not 1 <= base <= uc.revision_count:
        return []
    return revision_diff(session, actor, business_id, base, uc.revision_count)


def submit_use_case(session: Session, actor: Actor, business_id: str, reason: str = "") -> UseCase:
    """The owner submits a draft: it becomes active (in the inventory, screened and sent to its reviews)."""
    uc = get_use_case(session, actor, business_id)
    require(actor, "usecase.edit", component_of(uc))
    if uc.status != "draft":
        raise ValidationFailed.one("status", f"{uc.business_id} is {uc.status}, not a draft")
    uc.status, uc.updated_at = "active", utcnow()
    record(session, actor, "inventory.use_case.submit", "use_case", uc.business_id, {"status": "active"},
           {"reason": (reason or "submitted for review")[:200]})
    return uc


def retire_use_case(session: Session, actor: Actor, business_id: str, reason: str) -> UseCase:
    uc = get_use_case(session, actor, business_id)
    require(actor, "usecase.retire", component_of(uc))
    if not reason.strip():
        raise ValidationFailed.one("reason", "a retired use case needs a reason", "missing")
    uc.status, uc.retired_at, uc.retirement_reason = "retired", utcnow(), reason
    record(session, actor, "inventory.use_case.retire", "use_case", uc.business_id, {"status": "retired", "reason": reason},
           {"reason": reason[:200]})
    return uc


def assign_person(session: Session, actor: Actor, business_id: str, username: str, role: str) -> UseCase:
    """Add an owner or a member of the development team (who may not review it independently)."""
    from raigov.identity.models import User

    if role not in ("owner", "developer"):
        raise ValidationFailed.one("role", "owner or developer")
    uc = get_use_case(session, actor, business_id)
    require(actor, "usecase.assign", component_of(uc))
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise ValidationFailed.one("username", f"no user {username!r}")
    if any(p.user_id == user.id and p.role == role for p in uc.people):
        return uc
    uc.people.append(UseCasePerson(user_id=user.id, role=role))
    record(session, actor, "inventory.use_case.assign", "use_case", uc.business_id,
           {"people": sorted(f"{p.user_id}:{p.role}" for p in uc.people)}, {"user": user.username, "role": role})
    return uc


# ---------------------------------------------------------------- reading

def get_use_case(session: Session, actor: Actor, business_id: str) -> UseCase:
    uc = session.scalar(select(UseCase).options(selectinload(UseCase.revisions), selectinload(UseCase.people),
                                                selectinload(UseCase.org_unit))
                        .where(UseCase.business_id == normalize_id(business_id)))
    if uc is None:
        raise NotFound(f"no use case {business_id}")
    check_read(actor, uc)
    return uc


def get_use_case_for(session: Session, actor: Actor, business_id: str, action: str) -> UseCase:
    """The use case, when ``actor`` may read it and take ``action`` (e.g. ``usecase.edit``) in its component:
    the check an adapter makes before it even validates the request body."""
    uc = get_use_case(session, actor, business_id)
    require(actor, action, component_of(uc))
    return uc


@dataclass
class UseCaseQuery:
    q: str | None = None
    component: str | None = None
    stage: str | None = None
    impact: str | None = None
    topic: str | None = None
    status: str | None = None
    agency: str | None = None
    cots: bool | None = None
    face_recognition: bool | None = None
    genai: bool | None = None
    sort: str = "business_id"  # business_id | name | updated | stage | impact | component | relevance
    desc: bool = False
    page: int = 1
    per_page: int = 50


FACETS = {"component": UseCase.org_unit_id, "stage": UseCase.stage, "impact": UseCase.impact, "topic": UseCase.topic,
          "status": UseCase.status, "agency": UseCase.agency}
SORTS = {"business_id": UseCase.business_id, "name": UseCase.name, "updated": UseCase.updated_at,
         "stage": UseCase.stage, "impact": UseCase.impact, "component": OrgUnit.code}


def in_units(session: Session, codes) -> Any:
    """SQL condition: the use case belongs to one of the org units `codes` as a grant scoped to them reaches
    it (sub-units included; the department's unit reaches the department's own use cases, those of its own
    unit and those with no unit)."""
    from raigov.identity.permissions import is_department
    from raigov.identity.service import units_under

    codes = set(codes)
    ids = list(session.scalars(select(OrgUnit.id).where(OrgUnit.code.in_(sorted(units_under(session, codes))))).all())
    cond = UseCase.org_unit_id.in_(ids or [-1])
    if any(is_department(c) for c in codes):
        cond = or_(cond, UseCase.org_unit_id.is_(None))
    return cond


def _visible(session: Session, actor: Actor, q: Select) -> Select:
    """Limit to what the actor may read: drafts only of their components (or their own)."""
    units = components_visible(actor, "usecase.read")
    draft_units = components_visible(actor, "usecase.read_draft")
    if units is not None:
        if not units and actor.user_id is None:
            raise PermissionDenied(f"{actor.label} may not read use cases")
        q = q.where(or_(in_units(session, units), UseCase.id.in_(_own(actor))))
    if draft_units is not None:
        q = q.where(or_(UseCase.status != "draft", in_units(session, draft_units), UseCase.id.in_(_own(actor))))
    return q


def _own(actor: Actor):
    return select(UseCasePerson.use_case_id).where(UseCasePerson.user_id == (actor.user_id or -1))


def _search(session: Session, q: Select, text_q: str) -> tuple[Select, Any]:
    words = re.findall(r"\w+", text_q, re.UNICODE)[:12]
    if not words:
        return q, None
    if session.get_bind().dialect.name == "postgresql":
        ts = literal_column("use_cases.use_cases_fts_vector")  # stored, indexed (migration 0002)
        tq = func.websearch_to_tsquery(literal_column("'english'"), " ".join(words))
        return q.where(ts.op("@@")(tq)), func.ts_rank(ts, tq).desc()
    match = " AND ".join(f'"{w}"*' for w in words)
    sub = text("SELECT rowid FROM use_cases_fts WHERE use_cases_fts MATCH :m").bindparams(m=match)
    return q.where(UseCase.id.in_(sub)), None


def list_use_cases(session: Session, actor: Actor, query: UseCaseQuery) -> tuple[list[UseCase], int, dict[str, list[tuple[str, int]]]]:
    """One page of use cases, the total, and counts per facet value (over the filtered set)."""
    base = _visible(session, actor, select(UseCase))
    rank = None
    if query.q:
        base, rank = _search(session, base, query.q)
    units = {u.id: u.code for u in session.scalars(select(OrgUnit))}
    codes = {c: i for i, c in units.items()}
    filters = {"component": codes.get(query.component, -1) if query.component else None, "stage": query.stage,
               "impact": query.impact, "topic": query.topic, "status": query.status, "agency": query.agency}
    for col, val in ((UseCase.is_cots, query.cots), (UseCase.is_face_recognition, query.face_recognition),
                     (UseCase.is_genai, query.genai)):
        if val is not None:
            base = base.where(col.is_(val))
    facets: dict[str, list[tuple[str, int]]] = {}
    for name, col in FACETS.items():  # each facet counts with every filter but its own
        fq = base
        for other, val in filters.items():
            if val is not None and other != name:
                fq = fq.where(FACETS[other] == val)
        rows = session.execute(fq.with_only_columns(col, func.count()).group_by(col).order_by(func.count().desc())).all()
        facets[name] = [((units.get(v, "") if name == "component" else v) or "", n) for v, n in rows]
    q = base
    for name, val in filters.items():
        if val is not None:
            q = q.where(FACETS[name] == val)
    total = sum(n for _, n in facets["status"])  # the status facet is counted over exactly this set
    if query.status:
        total = next((n for v, n in facets["status"] if v == query.status), 0)
    order = SORTS.get(query.sort, UseCase.business_id)
    if query.sort == "component":
        q = q.outerjoin(OrgUnit, UseCase.org_unit_id == OrgUnit.id)
    order_by = [rank] if (query.sort == "relevance" and rank is not None) else [order.desc() if query.desc else order.asc()]
    page = max(query.page, 1)
    per = max(1, min(query.per_page, 500))
    rows = session.scalars(q.options(selectinload(UseCase.org_unit)).order_by(*order_by, UseCase.id)
                           .limit(per).offset((page - 1) * per)).all()
    return list(rows), total, facets


def iter_use_cases(session: Session, actor: Actor, query: UseCaseQuery, batch: int = 1000):
    """Every use case of a query, current revision loaded (exports, CSV downloads)."""
    query = UseCaseQuery(**{**asdict(query), "per_page": batch, "page": 1})
    while True:
        rows, total, _ = list_use_cases(session, actor, query)
        if not rows:
            return
        ids = [r.id for r in rows]
        full = {u.id: u for u in session.scalars(select(UseCase).options(selectinload(UseCase.revisions))
                                                 .where(UseCase.id.in_(ids)))}
        for r in rows:
            yield full[r.id]
        if query.page * batch >= total:
            return
        query.page += 1


def current_values(uc: UseCase) -> tuple[str, dict[str, Any]]:
    rev = uc.revisions[-1]
    return rev.schema, records.from_json_values(rev.schema, rev.values)


def revision_diff(session: Session, actor: Actor, business_id: str, a: int, b: int) -> list[records.FieldDiff]:
    uc = get_use_case(session, actor, business_id)
    revs = {r.number: r for r in uc.revisions}
    if a not in revs or b not in revs:
        raise ValidationFailed.one("revision", f"{business_id} has revisions 1 to {len(revs)}")
    ra, rb = revs[a], revs[b]
    return records.diff(ra.schema, ra.values, rb.schema, rb.values)


# ---------------------------------------------------------------- proving an imported revision

_IMPORT_SOURCE = re.compile(r"^import:.*#([0-9a-f]{12}):row \d+$", re.DOTALL)


def _batch_event_of(session: Session, rev: UseCaseRevision) -> tuple[AuditEvent, dict] | None:
    """The `inventory.import.batch` event whose batch holds this revision, with its details."""
    m = _IMPORT_SOURCE.match(rev.source or "")
    if m is None or rev.id is None:
        return None
    q = (select(AuditEvent).where(AuditEvent.action == BATCH_ACTION, AuditEvent.object_type == "inventory_file",
                                  AuditEvent.object_id.startswith(m.group(1))).order_by(AuditEvent.seq))
    for ev in session.scalars(q):
        d = json.loads(ev.details)
        if d.get("first_revision_id", 0) <= rev.id <= d.get("last_revision_id", -1):
            return ev, d
    return None


def import_events(session: Session, actor: Actor, uc: UseCase) -> list[AuditEvent]:
    """The batch events that record this use case's imported revisions (a big import records one
    event per batch instead of one per use case: the use case's history still shows it)."""
    require(actor, "audit.read")
    out: dict[int, AuditEvent] = {}
    for rev in uc.revisions:
        found = _batch_event_of(session, rev)
        if found is not None:
            out[found[0].seq] = found[0]
    return [out[k] for k in sorted(out)]


def prove_revision(session: Session, actor: Actor, business_id: str, revision: int | None = None) -> dict:
    """How a revision's audit record is proven: its own event (an edit, a small import) with the event's
    inclusion proof in the trail, or, for a revision of a big import, its batch item (rebuilt from the
    revision row), the item's inclusion proof in the batch's Merkle root, the batch event carrying that
    root and the event's inclusion proof in the trail. `verified` says whether every step checks out."""
    require(actor, "audit.read")
    uc = get_use_case(session, actor, business_id)
    revs = {r.number: r for r in uc.revisions}
    number = revision if revision is not None else uc.revisions[-1].number
    if number not in revs:
        raise ValidationFailed.one("revision", f"{uc.business_id} has revisions 1 to {len(revs)}")
    rev = revs[number]
    out: dict[str, Any] = {"business_id": uc.business_id, "revision": number, "revision_id": rev.id, "source": rev.source}
    action, state, details = _revision_event(rev)
    own = None
    for ev in session.scalars(select(AuditEvent).where(AuditEvent.object_type == "use_case",
                                                       AuditEvent.object_id == uc.business_id,
                                                       AuditEvent.action == action).order_by(AuditEvent.seq)):
        if json.loads(ev.details).get("revision") == number:
            own = ev
            break
    batch = None
    if own is None:
        found = _batch_event_of(session, rev)
        if found is None:
            raise NotFound(f"no audit event records revision {number} of {uc.business_id}")
        own, d = found
        sha12 = _IMPORT_SOURCE.match(rev.source).group(1)
        members = session.execute(
            select(UseCaseRevision, UseCase.business_id).join(UseCase, UseCaseRevision.use_case_id == UseCase.id)
            .where(UseCaseRevision.id.between(d["first_revision_id"], d["last_revision_id"]),
                   UseCaseRevision.source.contains(f"#{sha12}:row ", autoescape=True))
            .order_by(UseCaseRevision.id)).all()
        items = [_import_item(r, bid) for r, bid in members]
        index = next(i for i, it in enumerate(items) if it["revision_id"] == rev.id)
        proof = audit_batch.item_proof(items, index)
        batch = {"item": items[index], **proof, "event_merkle_root": d.get("merkle_root"), "event_items": d.get("items")}
        batch["verified"] = (proof["merkle_root"] == d.get("merkle_root") and proof["tree_size"] == d.get("items")
                             and audit_batch.verify_item(items[index], proof, d.get("merkle_root") or ""))
    else:
        ok_state = own.state_digest == state_digest(state) and json.loads(own.details) == details
    event = event_as_dict(own)
    event_proof = inclusion(session, actor, own.seq)
    recomputed = event_hash(event_bytes(**{k: event[k] for k in ("seq", "time", "actor", "action", "object_type",
                                                                  "object_id", "state_digest", "details", "prev_hash")}))
    event_ok = recomputed == own.event_hash and merkle.verify_inclusion(
        bytes.fromhex(own.event_hash), event_proof["leaf_index"], event_proof["tree_size"],
        [bytes.fromhex(h) for h in event_proof["inclusion_path"]], bytes.fromhex(event_proof["root_hash"]))
    out.update({"batch": batch, "event": event, "event_proof": event_proof,
                "verified": bool(event_ok and (batch["verified"] if batch is not None else ok_state))})
    return out


# ---------------------------------------------------------------- export

EXPORT_FORMATS = ("omb-2025-csv", "omb-2025-xlsx", "omb-2025-cots-csv")


@dataclass
class ExportReport:
    format: str
    path: str
    rows: int = 0
    warnings: list[str] = field(default_factory=list)
    # CSV: cells starting with = + - @ tab or CR (a spreadsheet reads them as formulas). In the exact OMB file
    # they are left as they are (counted for a warning); in a spreadsheet-safe copy they were prefixed with '.
    formula_cells: int = 0
    spreadsheet_safe: bool = False


def export_rows(session: Session, actor: Actor, fmt: str, component: str | None = None) -> tuple[list, list[str]]:
    """The rows of an OMB export, in the order the use cases entered raigov (so a file imported into
    an empty inventory comes back in its own order), with their raw text for byte-exact round trips."""
    from raigov.inventory.formats import InventoryRow

    if fmt not in EXPORT_FORMATS:
        raise ValidationFailed.one("format", f"unknown format {fmt!r}; formats: {', '.join(EXPORT_FORMATS)}")
    q = select(UseCase).options(selectinload(UseCase.revisions))
    q = q.where(UseCase.status != "draft")
    if component:
        require(actor, "inventory.export", component)
        q = q.where(in_units(session, {component}))
    else:  # the whole export is the department's; anyone else gets the components they may export
        units = components_visible(actor, "inventory.export")
        if units is not None:
            if not units:
                require(actor, "inventory.export")
            q = q.where(in_units(session, units))
    want_cots = fmt == "omb-2025-cots-csv"
    crosswalk = None
    rows, warnings = [], []
    for uc in session.scalars(q.order_by(UseCase.id)).unique():
        rev = uc.revisions[-1]
        if (rev.schema == "cots-2025") != want_cots:
            continue
        values = records.from_json_values(rev.schema, rev.values)
        raw, form = rev.raw, rev.source_form
        if rev.schema in ("2024", "2023"):
            if rev.schema == "2023":
                warnings.append(f"{uc.business_id}: only 2023 answers; left out of the 2025 export")
                continue
            if crosswalk is None:
                from raigov.inventory.catalog import load_catalog

                crosswalk = load_catalog().crosswalk("2024")
            values = {crosswalk[k]: v for k, v in values.items() if k in crosswalk}
            values.setdefault("id", uc.business_id)
            raw, form = {}, None
            warnings.append(f"{uc.business_id}: 2024 answers mapped to the 2025 fields (crosswalk); review before submitting")
        rows.append(InventoryRow(row=len(rows) + 1, line=None, values=values, raw=dict(raw or {}), extra=dict(rev.extra or {}),
                                 source_form=form))
    return rows, warnings


def _export_scope(actor: Actor) -> str:
    """What an export without a component holds for this actor: "all", or the units they may export."""
    units = components_visible(actor, "inventory.export")
    return "all" if units is None else ",".join(sorted(units))


def export_inventory(session: Session, actor: Actor, fmt: str, path, component: str | None = None,
                     omit: tuple[str, ...] = (), *, spreadsheet_safe: bool = False) -> ExportReport:
    """Write OMB's format to `path`. CSV: exact for OMB, counting the cells a spreadsheet would run as formulas
    (`ExportReport.formula_cells`); with `spreadsheet_safe` (every download a person opens) those cells get a
    leading ' instead (OWASP). XLSX writes every text as a string cell, never a formula."""
    from raigov.inventory import formats
    from raigov.inventory.formats.safe import FormulaCells, SafeCells

    rows, warnings = export_rows(session, actor, fmt, component)
    cells = SafeCells() if spreadsheet_safe else FormulaCells()
    if fmt == "omb-2025-csv":
        n = formats.write_omb_2025_csv(rows, path, omit=omit, cells=cells)
    elif fmt == "omb-2025-xlsx":
        n = formats.write_omb_2025_xlsx(rows, path, omit=omit)
    else:
        n = formats.write_omb_2025_cots_csv(rows, path, cells=cells)
    scope = component or _export_scope(actor)
    record(session, actor, "inventory.export", "inventory_export", fmt, {"rows": n, "component": component},
           {"format": fmt, "rows": n, "component": scope}
           | ({"spreadsheet_safe": True, "prefixed_cells": cells.count} if spreadsheet_safe else {}))
    return ExportReport(fmt, str(path), n, warnings, cells.count, spreadsheet_safe and fmt != "omb-2025-xlsx")


# ---------------------------------------------------------------- reporting checks

def run_checks(session: Session, actor: Actor, business_id: str | None = None) -> dict[str, list[dict]]:
    """OMB's pre-submission checks: per use case (required fields, valid answers, consistency, plain
    language) and across use cases (duplicate candidates: same component, near name)."""
    from raigov.inventory.checks import check_use_case, duplicate_candidates

    if business_id:
        ucs = [get_use_case(session, actor, business_id)]
    else:
        ucs = list(iter_use_cases(session, actor, UseCaseQuery(status=None)))
    out: dict[str, list[dict]] = {}
    by_schema: dict[str, list[tuple[str, dict]]] = {}
    for uc in ucs:
        if uc.status == "draft" and business_id is None:
            continue
        schema, values = current_values(uc)
        if schema not in ("2025", "2024"):
            continue
        if uc.retirement_reason:
            values["retirement_reason"] = uc.retirement_reason
        out[uc.business_id] = [asdict(c) for c in check_use_case(values, schema)]
        by_schema.setdefault(schema, []).append((uc.business_id, values))
    if business_id is None:
        for schema, items in by_schema.items():
            for c in duplicate_candidates([v for _, v in items], schema):
                a, b = items[c.detail["a"]][0], items[c.detail["b"]][0]
                msg = f"{a} and {b} have near-identical names in the same component ({c.detail['similarity']:.2f})"
                for bid, other in ((a, b), (b, a)):
                    out.setdefault(bid, []).append({"field": c.field, "rule": c.rule, "severity": c.severity,
                                                    "message": msg, "detail": {"other": other, **c.detail}})
    return out
