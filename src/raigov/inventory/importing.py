"""Importing an inventory file (the only code that writes use cases from a file) and proving an imported revision through
its batch event and the audit trail. See docs/inventory.md."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from raigov.audit import batch as audit_batch
from raigov.audit import merkle
from raigov.audit.canonical import event_bytes, event_hash, state_digest
from raigov.audit.models import AuditEvent
from raigov.audit.service import event_as_dict, inclusion, record
from raigov.config import Settings
from raigov.db.base import utcnow
from raigov.errors import NotFound, ValidationFailed
from raigov.identity.models import OrgUnit
from raigov.identity.permissions import Actor, components_visible, require
from raigov.inventory import records
from raigov.inventory.access import get_use_case
from raigov.inventory.catalog import text_key
from raigov.inventory.formats import ParsedInventory, name_key, normalize_id, use_case_key
from raigov.inventory.models import UseCase, UseCaseRevision
from raigov.inventory.revisions import (
    add_revision,
    apply_summary,
    import_item,
    next_business_id,
    revision_event,
)
from raigov.inventory.vocab import UseCaseStatus

SCHEMA_YEAR = {"2023": 2023, "2024": 2024, "2025": 2025, "cots-2025": 2025}


LINK_COLUMNS = ("raigov_id", "raigov_2025_id")  # a file may link rows to raigov use cases by id


IMPORT_AUDIT_BATCH = 1000  # an import that changes more use cases than this records one event per batch of them


BATCH_ACTION = "inventory.batch.import"  # one event per batch of a large import (Merkle root of its items)


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
    require(actor, "inventory.file.import")


def import_inventory(session: Session, actor: Actor, parsed: ParsedInventory, settings: Settings, *,
                     dry_run: bool = False, agency: str | None = None) -> ImportReport:
    """Import every row of a parsed inventory file. Creates use cases, or adds a revision to those
    it finds (by id, by a raigov link column, or by agency + normalised name); an identical row
    changes nothing. With `dry_run` everything is done and then rolled back, so the report is
    exactly what the real run will do. The caller's transaction makes the real run all or nothing."""
    require(actor, "inventory.file.import")
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
        record(session, actor, "inventory.file.import", "inventory_file", parsed.sha256,
               {k: v for k, v in report.as_dict(with_rows=False).items() if k != "problems"}, details)
    return report


def _record_changes(session: Session, actor: Actor, parsed: ParsedInventory, changes: list[tuple]) -> int:
    """The import's audit events, after all its rows: one per changed use case as an edit records it, or,
    above IMPORT_AUDIT_BATCH, one `inventory.batch.import` event per IMPORT_AUDIT_BATCH of them (in the
    order of the revisions' row ids) carrying the Merkle root of their items. Returns the number of batches."""
    if len(changes) <= IMPORT_AUDIT_BATCH:
        for rev, business_id in changes:
            action, state, details = revision_event(rev)
            record(  # audit-actions: inventory.use_case.create inventory.use_case.revise
                session, actor, action, "use_case", business_id, state, details)
        return 0
    ordered = sorted(changes, key=lambda c: c[0].id)
    items = [import_item(rev, business_id) for rev, business_id in ordered]

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
    """Write every row of the parsed file: match it to a use case (by id, link column or agency + name),
    skip what the actor may not import, add a revision or a new use case, and note the change for the
    audit events written after all rows. Long because the matching rules depend on each other row by row
    (a key seen twice, a business id taken) and share the state of one pass."""
    units = UnitMatcher(session)
    schema = parsed.schema
    year = SCHEMA_YEAR[schema]
    known = _Known.load(session)
    business_ids = {pk: b for b, pk in known.by_business_id.items()}
    own_agency = settings.agency_code.upper()
    allowed = components_visible(actor, "inventory.file.import")  # None: every unit
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
        json_values = records.stored_values(values)
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
                         agency=summary.agency or settings.agency_code, org_unit=unit, status=UseCaseStatus.ACTIVE,
                         created_at=utcnow(), revision_count=0, revisions=[])
            apply_summary(uc, summary)
            session.add(uc)
            add_revision(session, uc, actor, schema, json_values, r.raw, r.extra, chash, source, reason, parsed.form,
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
            report.problems.append({"row": r.row, "column": None, "raw": None, "severity": "warning",
                                    "code": "older-than-current",
                                    "message": f"{business_ids.get(pk)} already has {known.current_schema[pk]} answers; "
                                               f"this {schema} row is older", "action": "not imported"})
            report.rows.append(RowOutcome(r.row, key, business_ids.get(pk), "skipped", "older than the current revision"))
            continue
        uc = session.get(UseCase, pk)
        if add_revision(session, uc, actor, schema, json_values, r.raw, r.extra, chash, source, reason, parsed.form,
                        changes=changes) is None:  # no field changed (e.g. a blank cell where a column was missing)
            known.hashes.setdefault(pk, set()).add(chash)
            report.unchanged += 1
            report.rows.append(RowOutcome(r.row, key, business_ids.get(pk), "unchanged"))
            continue
        if key.startswith("id:") and uc.id_key is None:
            uc.id_key = key
        apply_summary(uc, summary)
        known.hashes.setdefault(pk, set()).add(chash)
        known.current_schema[pk] = schema
        report.updated += 1
        report.rows.append(RowOutcome(r.row, key, uc.business_id, "updated"))


def _business_id(key: str, link: str | None, agency: str, existing: dict[str, int]) -> str:
    for candidate in (normalize_id(link) if link else None, key[3:] if key.startswith("id:") else None):
        if candidate and candidate not in existing:
            return candidate
    return next_business_id(agency, existing)


_IMPORT_SOURCE = re.compile(r"^import:.*#([0-9a-f]{12}):row \d+$", re.DOTALL)


def _batch_event_of(session: Session, rev: UseCaseRevision) -> tuple[AuditEvent, dict] | None:
    """The `inventory.batch.import` event whose batch holds this revision, with its details."""
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
    require(actor, "audit.event.read")
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
    require(actor, "audit.event.read")
    uc = get_use_case(session, actor, business_id)
    revs = {r.number: r for r in uc.revisions}
    number = revision if revision is not None else uc.revisions[-1].number
    if number not in revs:
        raise ValidationFailed.one("revision", f"{uc.business_id} has revisions 1 to {len(revs)}")
    rev = revs[number]
    out: dict[str, Any] = {"business_id": uc.business_id, "revision": number, "revision_id": rev.id, "source": rev.source}
    action, state, details = revision_event(rev)
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
        items = [import_item(r, bid) for r, bid in members]
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
