"""Inventory services: import (dry run or one all-or-nothing transaction), create, edit (a new
immutable revision each time), retire, read, search, export. Every change appends its audit event;
an import appends its events after all its rows are written (so that it holds the trail's append
lock only briefly), one per use case, or for a big import one per batch of use cases (audit/batch.py).

The code is in this module (create, edit, retire, read, search, checks) and beside it: ``access`` (the read
rule and the lookups), ``revisions`` (adding a revision), ``importing`` (import and proving an imported
revision) and ``exporting``; this module re-exports their public names, so callers keep
``from raigov.inventory import service as inventory``."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Select, func, literal_column, select, text
from sqlalchemy.orm import Session, selectinload

from raigov.audit.service import record
from raigov.config import Settings
from raigov.db.base import utcnow
from raigov.errors import Conflict, FieldError, PermissionDenied, ValidationFailed
from raigov.identity.models import OrgUnit, User
from raigov.identity.permissions import ANYWHERE, Actor, require
from raigov.inventory import records
from raigov.inventory.access import (
    check_read,
    component_of,
    get_use_case,
    get_use_case_for,
    in_units,
    may_read,
    readable,
)
from raigov.inventory.catalog import fields as catalog_fields
from raigov.inventory.checks import check_use_case, duplicate_candidates
from raigov.inventory.exporting import EXPORT_FORMATS, ExportReport, export_inventory, export_rows
from raigov.inventory.formats import name_key
from raigov.inventory.importing import (
    BATCH_ACTION,
    IMPORT_AUDIT_BATCH,
    LINK_COLUMNS,
    SCHEMA_YEAR,
    ImportReport,
    RowOutcome,
    UnitMatcher,
    import_events,
    import_inventory,
    prove_revision,
    require_import,
)
from raigov.inventory.models import UseCase, UseCasePerson
from raigov.inventory.questions import answer_errors
from raigov.inventory.revisions import add_revision, apply_summary, next_business_id, revision_event
from raigov.inventory.vocab import UseCaseStatus
from raigov.policy.models import Screening

NOT_EDITABLE = {"agency", "agency_name", "id"}  # set by raigov, never by an edit

__all__ = [
    "BATCH_ACTION", "EXPORT_FORMATS", "FACETS", "IMPORT_AUDIT_BATCH", "LINK_COLUMNS", "NOT_EDITABLE", "SCHEMA_YEAR",
    "SORTS", "ExportReport", "ImportReport", "RowOutcome", "StaleRevision", "UnitMatcher", "UseCaseQuery",
    "add_revision", "apply_summary", "assign_person", "changes_since", "check_read", "component_of",
    "create_use_case", "current_values", "edit_use_case", "export_inventory", "export_rows", "get_use_case",
    "get_use_case_for", "import_events", "import_inventory", "in_units", "invalid", "iter_use_cases", "list_use_cases",
    "may_read", "next_business_id", "prove_revision", "require_import", "retire_use_case", "revision_diff",
    "revision_event", "run_checks", "submit_use_case",
]


# ---------------------------------------------------------------- create, edit, retire


def create_use_case(session: Session, actor: Actor, *, component: str, values: dict[str, Any], reason: str,
                    settings: Settings, schema: str = "2025") -> UseCase:
    """A new use case, as a draft of `component`, with its first revision. Every answer given is checked
    (``questions.answer_errors``): one ValidationFailed lists each field that is wrong, with its message."""
    require(actor, "inventory.use_case.create", component or ANYWHERE)  # no component yet: a field error below
    unit = session.scalar(select(OrgUnit).where(OrgUnit.code == component)) if component else None
    values = {k: v for k, v in values.items() if v not in (None, "", [])}
    errors = [] if unit is not None else [FieldError(
        "component", "“Owning component”: choose the component that owns the use case." if not component
        else f"“Owning component”: there is no component {component!r}.", "missing" if not component else "invalid")]
    if not str(values.get("use_case_name") or "").strip() and schema != "2025":
        errors.append(FieldError("use_case_name", "“Use Case Name” is required: it cannot be empty.", "missing"))
    errors += answer_errors(values, None, schema) if schema == "2025" else []
    if errors:
        raise invalid(errors)
    values.setdefault("agency", settings.agency_code)
    values.setdefault("agency_name", settings.agency_name)
    values.setdefault("agency_bureau", unit.code)
    summary = records.summarise(schema, values)
    existing = {b for (b,) in session.execute(select(UseCase.business_id))}
    business_id = next_business_id(settings.agency_code, existing)
    values["id"] = business_id
    uc = UseCase(business_id=business_id, id_key=f"id:{business_id}", name_key=name_key(summary.agency, summary.name),
                 agency=settings.agency_code, org_unit=unit, status=UseCaseStatus.DRAFT, created_at=utcnow())
    apply_summary(uc, records.summarise(schema, values))
    session.add(uc)
    if actor.user_id is not None:
        uc.people.append(UseCasePerson(user_id=actor.user_id, role="owner"))
    add_revision(session, uc, actor, schema, records.to_json_values(values), {}, {},
                  records.content_hash(schema, values, {}), "edit", reason or "created")
    return uc


def invalid(errors: list[FieldError]) -> ValidationFailed:
    """One ValidationFailed carrying every field's error (the page shows each at its field)."""
    summary = "; ".join(f"{e.field}: {e.message}" for e in errors[:3]) + ("; ..." if len(errors) > 3 else "")
    return ValidationFailed(summary, errors=errors)


def edit_use_case(session: Session, actor: Actor, business_id: str, changes: dict[str, Any], reason: str,
                  base_revision: int | None = None) -> UseCase:
    """A new revision with `changes` applied to the current answers. The reason is required.

    ``base_revision``: the revision the editor started from (the form's hidden field, the API's
    ``If-Match``). When the use case has a newer revision, somebody saved in between: Conflict (409),
    naming both revisions, instead of silently overwriting their change. Without it (older API
    clients), the changes apply to whatever is current, as before."""
    uc = get_use_case(session, actor, business_id)
    require(actor, "inventory.use_case.revise", component_of(uc))
    # serialise editors of one use case: a second save waits here until the first commits, then sees it
    session.execute(select(UseCase.id).where(UseCase.id == uc.id).with_for_update())
    session.refresh(uc, ["revision_count", "revisions"])
    if base_revision is not None and base_revision != uc.revision_count:
        raise StaleRevision(uc.business_id, base_revision, uc.revision_count)
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
    changed = [k for k in changes if _same(values.get(k)) != _same(current.values.get(k))]
    errors = answer_errors(values, changed, current.schema) if current.schema == "2025" else []
    if not reason.strip():
        errors.append(FieldError("reason", "“Why this change”: say why the use case changes.", "missing"))
    if errors:
        raise invalid(errors)
    chash = records.content_hash(current.schema, values, current.extra)
    if chash == current.content_hash:
        return uc
    if add_revision(session, uc, actor, current.schema, values, {}, current.extra, chash, "edit", reason) is None:
        return uc  # no field changed (a blank for a missing answer): nothing written
    apply_summary(uc, records.summarise(current.schema, values))
    return uc


def _same(v: Any) -> Any:
    """An answer as compared for "did the edit change it" (a list's order does not count)."""
    return sorted(map(str, v)) if isinstance(v, list) else v


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
    require(actor, "inventory.use_case.revise", component_of(uc))
    if uc.status != UseCaseStatus.DRAFT:
        raise ValidationFailed.one("status", f"{uc.business_id} is {uc.status}, not a draft")
    uc.status, uc.updated_at = UseCaseStatus.ACTIVE, utcnow()
    record(session, actor, "inventory.use_case.submit", "use_case", uc.business_id, {"status": UseCaseStatus.ACTIVE},
           {"reason": (reason or "submitted for review")[:200]})
    return uc


def retire_use_case(session: Session, actor: Actor, business_id: str, reason: str) -> UseCase:
    uc = get_use_case(session, actor, business_id)
    require(actor, "inventory.use_case.retire", component_of(uc))
    if not reason.strip():
        raise ValidationFailed.one("reason", "a retired use case needs a reason", "missing")
    uc.status, uc.retired_at, uc.retirement_reason = UseCaseStatus.RETIRED, utcnow(), reason
    record(session, actor, "inventory.use_case.retire", "use_case", uc.business_id,
           {"status": UseCaseStatus.RETIRED, "reason": reason}, {"reason": reason[:200]})
    return uc


def assign_person(session: Session, actor: Actor, business_id: str, username: str, role: str) -> UseCase:
    """Add an owner or a member of the development team (who may not review it independently)."""
    if role not in ("owner", "developer"):
        raise ValidationFailed.one("role", "owner or developer")
    uc = get_use_case(session, actor, business_id)
    require(actor, "inventory.use_case.assign", component_of(uc))
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
SORTS = {"business_id": UseCase.id_sort, "name": UseCase.name, "updated": UseCase.updated_at,
         "stage": UseCase.stage, "impact": UseCase.impact, "component": OrgUnit.code}


def _visible(session: Session, actor: Actor, q: Select) -> Select:
    """Limit to what the actor may read (``access.readable``): drafts only of their components (or their own)."""
    scope = readable(session, actor)
    if scope.nothing and (actor.user_id is None or actor.kind == "service"):  # a service is named on no use case
        raise PermissionDenied(f"{actor.label} may not read use cases")
    return scope.use_cases(q)


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


def list_use_cases(
    session: Session, actor: Actor, query: UseCaseQuery
) -> tuple[list[UseCase], int, dict[str, list[tuple[str, int]]]]:
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
    order = SORTS.get(query.sort, UseCase.id_sort)  # ids in natural order: DHS-14 before DHS-101
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


# ---------------------------------------------------------------- reporting checks

SCREEN_RULE = "screen:insufficient-information"


def screen_checks(session: Session, uc: UseCase) -> list[dict]:
    """The impact screen's reporting check: when the use case's newest screen could not run for lack of
    information, "answer these fields so the screen can run" (one check per answer). It stays until the use case
    is screened again with enough information: a newer revision that nobody screened does not clear it (the
    message then says which revision the screen read and that it must be screened again)."""
    sc = session.scalars(select(Screening).where(Screening.use_case_id == uc.id)
                         .order_by(Screening.id.desc()).limit(1)).first()
    if sc is None or sc.outcome != "insufficient_information":
        return []
    missing = (sc.result or {}).get("missing") or []
    msg = "answer this so the impact screen can run: " + str((sc.result or {}).get("reason") or "")
    if sc.revision_number is not None and sc.revision_number != uc.revision_count:
        msg += (f" (the screen read revision {sc.revision_number}; revision {uc.revision_count} is not screened "
                "yet: screen it again)")
    return [{"field": f, "rule": SCREEN_RULE, "severity": "error", "message": msg} for f in missing]


def run_checks(session: Session, actor: Actor, business_id: str | None = None) -> dict[str, list[dict]]:
    """OMB's pre-submission checks: per use case (required fields, valid answers, consistency, plain
    language) and across use cases (duplicate candidates: same component, near name)."""
    if business_id:
        ucs = [get_use_case(session, actor, business_id)]
    else:
        ucs = list(iter_use_cases(session, actor, UseCaseQuery(status=None)))
    out: dict[str, list[dict]] = {}
    by_schema: dict[str, list[tuple[str, dict]]] = {}
    for uc in ucs:
        if uc.status == UseCaseStatus.DRAFT and business_id is None:
            continue
        schema, values = current_values(uc)
        if schema not in ("2025", "2024"):
            continue
        if uc.retirement_reason:
            values["retirement_reason"] = uc.retirement_reason
        out[uc.business_id] = [asdict(c) for c in check_use_case(values, schema)] + screen_checks(session, uc)
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
