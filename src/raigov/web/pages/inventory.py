"""Inventory pages: the list (search, facets, sort, pages, CSV of the view), a use case (OMB's
sections, history, diff, audit events), the create/edit form, and the import page (dry run first)."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import tempfile
from pathlib import Path
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, StreamingResponse

from raigov import flows
from raigov.audit import service as audit
from raigov.clock import agency_today
from raigov.domains import load
from raigov.errors import RaigovError, ValidationFailed
from raigov.identity.permissions import can
from raigov.identity.service import org_units
from raigov.inventory import records, uploads
from raigov.inventory import service as inventory
from raigov.inventory.catalog import fields
from raigov.inventory.checks import check_use_case
from raigov.inventory.formats import read_inventory
from raigov.inventory.formats.safe import HEADER as SAFE_HEADER
from raigov.inventory.formats.safe import NOTICE as SAFE_NOTICE
from raigov.inventory.formats.safe import SafeCells
from raigov.inventory.questions import SECTIONS_2025, form_sections, label_of
from raigov.inventory.records import DEPARTMENT_FIELDS
from raigov.policy import service as policy
from raigov.policy.fields import RAIGOV_FIELDS
from raigov.policy.outcome import ANSWER_WORDS
from raigov.policy.packs import current_registry
from raigov.web import flash
from raigov.web.deps import CSRF_FIELD, check_csrf, require_page_actor, settings_of, uow
from raigov.web.pages.governance import gate_view
from raigov.web.params import OptRevision, form_int
from raigov.web.templating import render
from raigov.web.uploads import UploadLimit

router = APIRouter(prefix="/inventory", include_in_schema=False)

NOT_EDITABLE = inventory.NOT_EDITABLE
PER_PAGE = 25


def _flag(v: str | None) -> bool | None:
    return {"yes": True, "no": False}.get((v or "").lower())


def _query(params) -> inventory.UseCaseQuery:
    page = form_int(params.get("page"), "page", lo=1) or 1  # out of range: 422 naming `page`
    return inventory.UseCaseQuery(
        q=params.get("q") or None, component=params.get("component") or None, stage=params.get("stage") or None,
        impact=params.get("impact") or None, topic=params.get("topic") or None, status=params.get("status") or None,
        agency=params.get("agency") or None, cots=_flag(params.get("cots")), face_recognition=_flag(params.get("fr")),
        genai=_flag(params.get("genai")), sort=params.get("sort") or ("relevance" if params.get("q") else "business_id"),
        desc=params.get("desc") == "1", page=page, per_page=PER_PAGE)


@router.get("")
def list_page(request: Request):
    actor = require_page_actor(request)
    query = _query(request.query_params)
    with uow(request) as s:
        rows, total, facets = inventory.list_use_cases(s, actor, query)
        items = [{"id": u.business_id, "name": u.name, "component": u.org_unit.code if u.org_unit else u.agency,
                  "stage": u.stage, "impact": u.impact, "status": u.status, "updated": u.updated_at,
                  "flags": [n for n, on in (("FR/FC", u.is_face_recognition), ("GenAI", u.is_genai), ("COTS", u.is_cots)) if on]}
                 for u in rows]
    keep = {k: v for k, v in request.query_params.items() if k != "page" and v}
    pages = max(1, -(-total // PER_PAGE))
    base = {k: v for k, v in keep.items() if k not in ("sort", "desc")}

    def sort_url(key: str) -> str:
        desc = "&desc=1" if keep.get("sort") == key and keep.get("desc") != "1" else ""
        return "/inventory?" + urlencode({**base, "sort": key}) + desc
    return render(request, "inventory/list.html", {
        "nav": "inventory", "items": items, "total": total, "facets": facets, "params": keep, "query": query,
        "page": query.page, "pages": pages, "qs": urlencode(keep), "sort_url": sort_url,
        "pager": pager(query.page, pages),
        "can_create": any(can(actor, "inventory.use_case.create", g.org_unit) for g in actor.grants),
        "can_import": any(can(actor, "inventory.file.import", g.org_unit) for g in actor.grants),
        "can_export": any(can(actor, "inventory.file.export", g.org_unit) for g in actor.grants)})


def pager(page: int, pages: int, around: int = 1) -> list[int | None]:
    """The page numbers the pager shows (None: an ellipsis): the first, the last, and `around` either side
    of the current page; a gap of one page shows that page instead of an ellipsis."""
    keep = {1, pages, *range(max(1, page - around), min(pages, page + around) + 1)}
    out: list[int | None] = []
    last = 0
    for n in sorted(keep):
        if n - last == 2:
            out.append(n - 1)
        elif n - last > 2:
            out.append(None)
        out.append(n)
        last = n
    return out


@router.get(".csv")
def list_csv(request: Request):
    actor = require_page_actor(request)
    query = _query(request.query_params)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["id", "name", "agency", "component", "stage", "impact", "topic", "status", "face_recognition", "genai",
                "cots", "revisions", "updated_at"])
    safe = SafeCells()  # a person opens this in a spreadsheet: no cell may run as a formula
    with uow(request) as s:
        for u in inventory.iter_use_cases(s, actor, query):
            w.writerow([safe(str(v)) for v in (
                u.business_id, u.name, u.agency or "", u.org_unit.code if u.org_unit else "", u.stage or "",
                u.impact or "", u.topic or "", u.status, u.is_face_recognition, u.is_genai, u.is_cots, u.revision_count,
                u.updated_at.isoformat())])
    data = "\ufeff" + buf.getvalue()
    return StreamingResponse(iter([data]), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition":
                                          f'attachment; filename="inventory-{agency_today(settings_of(request))}.csv"',
                                      SAFE_HEADER: safe.header_value()})


def _field_rows(schema: str, values: dict, raw: dict) -> list[tuple[str, list[dict]]]:
    by_name = {f.name: f for f in fields(schema)}
    dept = [{"name": n, "label": label, "value": str(values[n]), "raw": None} for n, label, _ in DEPARTMENT_FIELDS
            if values.get(n) not in (None, "", [])]
    sections = SECTIONS_2025 if schema == "2025" else [(f"{schema} answers", [f.name for f in fields(schema)])]
    out = []
    for title, names in sections:
        items = []
        for n in names:
            f = by_name.get(n)
            if f is None:
                continue
            v = values.get(n)
            if v in (None, "", []):
                continue
            items.append({"name": n, "label": label_of(n, schema) if schema == "2025" else (f.long_header or n),
                          "value": ", ".join(map(str, v)) if isinstance(v, list) else str(v), "raw": raw.get(n)})
        if items:
            out.append((title, items))
    if dept:
        out.append(("Department information (not reported to OMB)", dept))
    return out


HISTORY_DIFFS = 20  # the newest revisions whose changes the History section lists
DETERMINE_LABELS = {"reason": "Written reason", "decision": "Decision", "framework": "Framework"}


def _diff_rows(diff) -> list[dict]:
    """A revision diff for people: only the changed answers, each under its plain label."""
    def shown(v):
        if v in (None, "", []):
            return None
        return ", ".join(map(str, v)) if isinstance(v, list) else str(v)
    return [{"field": d.field, "label": label_of(d.field), "before": shown(d.before), "after": shown(d.after)}
            for d in diff]


_SOURCE = re.compile(r"^(agency: )?import:(.*)#[0-9a-f]{12}:row (\d+)$", re.DOTALL)


def source_words(source: str | None) -> dict:
    """Where a revision or determination came from, as a person reads it: an import names its file (shown as
    code) and row, never the stored key `import:FILE#HASH:row N`; "official" is an official's determination."""
    m = _SOURCE.match(source or "")
    if m:
        return {"before": "the agency's report in the import of " if m.group(1) else "the import of ",
                "file": m.group(2), "row": m.group(3)}
    words = {"official": "an official's determination", "form": "the form", "api": "the API", "": "—"}
    return {"before": words.get(source or "", source or ""), "file": None, "row": None}


def _history(s, actor, uc) -> list[dict]:
    """Revisions, newest first, each with what it changed from the one before (the newest HISTORY_DIFFS)."""
    revs = list(uc.revisions)
    out = []
    for i in range(len(revs) - 1, -1, -1):
        r = revs[i]
        changes = None
        if i > 0 and len(revs) - i <= HISTORY_DIFFS:
            changes = _diff_rows(records.diff(revs[i - 1].schema, revs[i - 1].values, r.schema, r.values))
        out.append({"number": r.number, "at": r.created_at, "by": r.created_by, "reason": r.reason,
                    "source": source_words(r.source), "schema": r.schema, "changes": changes})
    return out


def evidence_label(name: str, schema: str = "2025") -> str:
    """The words for a field the screen quotes as evidence: OMB's question, or the description of one of
    raigov's derived fields (`raigov.short_text`), never the key."""
    if name == "precedent":
        return "Earlier determination"
    if name in RAIGOV_FIELDS:
        text = RAIGOV_FIELDS[name][1]
        return text[:1].upper() + text[1:]
    return label_of(name, schema if schema in ("2025", "2024") else "2025")


def screen_words(sc) -> dict:
    """The stored screen's outcome in words for the use case page: the answers to give (their questions),
    the categories that could apply (their titles) and the precedent, with no item id or field key."""
    r = sc.result or {}
    titles: list[str] = []
    try:
        pack = current_registry().get(sc.pack)
        titles = [pack.item(c).title for c in r.get("could_apply") or []]
    except (KeyError, LookupError):
        titles = []
    answers = [ANSWER_WORDS.get(m) or label_of(m) for m in r.get("missing") or []]
    p = r.get("precedent")
    prec = None
    if p:
        prec = (f"Reported {str(p.get('determination', '')).replace('-', ' ')}"
                f"{' in ' + str(p['year']) if p.get('year') else ' before'} under {p.get('framework')} "
                f"(from {p.get('source')})" + ("; it presumes this screen." if p.get("flags") else "."))
    return {"answers": answers, "could_apply": titles, "precedent": prec}


def _detail_context(request: Request, s, actor, uc, a: int | None, b: int | None) -> dict:
    """Long because it gathers every section of the use case page (answers, determination, checks, history,
    audit events, the forms the person may use) in one read."""
    rev = uc.revisions[-1]
    diff = None
    if a and b:
        diff = _diff_rows(inventory.revision_diff(s, actor, uc.business_id, a, b))
    events = []
    if can(actor, "audit.event.read"):
        events, _ = audit.list_events(s, actor, audit.EventFilter(object_type="use_case", object_id=uc.business_id), limit=50)
        # a big import records one event per batch of use cases: the batches holding this one's revisions
        events = sorted(events + inventory.import_events(s, actor, uc), key=lambda e: e.seq, reverse=True)
        events = [audit.event_as_dict(e) for e in events]
    checks = []
    if rev.schema in ("2025", "2024"):

        vals = dict(rev.values)
        if uc.retirement_reason:
            vals["retirement_reason"] = uc.retirement_reason
        checks = [c.as_dict() for c in check_use_case(vals, rev.schema)]
    people = [{"username": p.user.username, "name": p.user.display_name, "role": p.role} for p in uc.people]
    comp = uc.org_unit.code if uc.org_unit and uc.org_unit.kind != "department" else None

    sc = policy.latest_screening(s, uc)
    screening = None
    if sc is not None:
        screening = {"pack": sc.pack, "presumed": sc.presumed, "at": sc.created_at, "by": sc.created_by,
                     "revision": sc.revision_number, "result": sc.result,
                     "outcome": sc.outcome or ("presumed" if sc.presumed else "not_presumed"),
                     **screen_words(sc)}
    framework = policy.framework_of_schema(rev.schema)
    dets = [{"decision": policy.FRAMEWORKS[framework]["decisions"].get(d.decision, d.decision), "status": d.status,
             "reason": d.reason, "by": d.created_by, "at": d.created_at,
             "source": source_words(d.source), "framework": d.framework}
            for d in reversed(policy.determinations(s, uc))]

    values = rev.values
    summary = [(label_of(n), values.get(n)) for n in SUMMARY_FIELDS if values.get(n) not in (None, "", [])]
    return {"nav": "inventory", "uc": uc, "answer": gate_view(s, actor, uc), "flash": flash.banner(request),
            "component": uc.org_unit.code if uc.org_unit else uc.agency, "summary": summary,
            "sections": _field_rows(rev.schema, rev.values, rev.raw), "schema": rev.schema,
            "revisions": _history(s, actor, uc), "history_events": _other_history(request, s, actor, uc),
            "diff": diff, "a": a, "b": b, "events": events, "checks": checks,
            "people": people, "can_edit": can(actor, "inventory.use_case.revise", comp) and rev.schema == "2025",
            "can_retire": can(actor, "inventory.use_case.retire", comp) and uc.status != "retired",
            "can_oversight": can(actor, "oversight.decision.read", comp) and uc.status != "draft",
            "screening": screening, "determinations": dets, "framework": framework,
            "decisions": policy.FRAMEWORKS[framework]["decisions"],
            "can_screen": can(actor, "policy.use_case.screen", comp) and rev.schema in ("2025", "2024"),
            "can_decide": policy.may_decide(actor, framework), "evidence_label": evidence_label,
            "retire_error": None, "determine_error": None, "typed": {}}


def _other_history(request: Request, s, actor, uc) -> list:
    """The History lines other domains register (an incident opened, a suspension ...), newest first."""
    entries = [e for ref in request.app.state.history_sources for e in load(ref)(s, actor, uc)]
    return sorted(entries, key=lambda e: e.at, reverse=True)


SUMMARY_FIELDS = ("development_stage", "is_high_impact", "topic_area", "problem_solved", "contact_email")


def _detail(request: Request, business_id: str, a: int | None = None, b: int | None = None, *, status: int = 200,
            **extra):
    actor = require_page_actor(request)
    with uow(request) as s:
        uc = inventory.get_use_case(s, actor, business_id)
        ctx = _detail_context(request, s, actor, uc, a, b)
        ctx.update(extra)
        return render(request, "inventory/detail.html", ctx, status)


@router.get("/{business_id}")
def detail(request: Request, business_id: str, a: OptRevision = None, b: OptRevision = None):
    return _detail(request, business_id, a, b)


# ---------------------------------------------------------------- form

def _values_from_form(form) -> dict:
    """The answers the form asks (inventory.questions), as typed: one-line answers trimmed, lists as lists."""
    out: dict = {}
    for section in form_sections():
        for q in _all_questions(section.questions):
            if q.kind == "checkboxes":
                out[q.name] = [v for v in form.getlist(q.name) if v]
            else:
                out[q.name] = str(form.get(q.name) or "").strip()
    return out


def _all_questions(questions):
    for q in questions:
        yield q
        yield from _all_questions(q.followups)


def _field_errors(exc: ValidationFailed) -> dict[str, str]:
    """{field: message} for the form (an unknown `values.x` names the field x)."""
    out: dict[str, str] = {}
    for e in exc.errors:
        out.setdefault(e.field.removeprefix("values."), e.message)
    return out


def _form(request, actor, *, values, errors, uc=None, component=None, status=200, stale=None):
    comps = sorted({g.org_unit for g in actor.grants if g.org_unit and can(actor, "inventory.use_case.create", g.org_unit)})
    if any(g.org_unit is None and can(actor, "inventory.use_case.create") for g in actor.grants):
        with uow(request) as s:
            comps = [u.code for u in org_units(s) if u.kind != "department"]
    return render(request, "inventory/form.html", {
        "nav": "inventory", "sections": form_sections(), "values": values, "errors": errors, "uc": uc,
        "components": comps, "component": component, "reason": values.get("_reason", ""), "stale": stale}, status)


@router.get("/new/use-case")
def new_form(request: Request):
    actor = require_page_actor(request)
    return _form(request, actor, values={}, errors={})


@router.post("/new/use-case")
async def create(request: Request):
    """The service validates (inventory.questions.answer_errors): on an error the form comes back (422) with
    each message at its field and every answer as typed."""
    actor = require_page_actor(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    values = _values_from_form(form)
    component = str(form.get("component") or "").strip()
    reason = str(form.get("reason") or "").strip()
    try:
        with uow(request) as s:
            uc = inventory.create_use_case(s, actor, component=component, values=values,
                                           reason=reason or "created", settings=settings_of(request))
            bid = uc.business_id
    except ValidationFailed as exc:
        return _form(request, actor, values={**values, "_reason": reason}, errors=_field_errors(exc),
                     component=component, status=422)
    return RedirectResponse(flash.done_url(f"/inventory/{bid}", "created"), status_code=303)


@router.get("/{business_id}/edit")
def edit_form(request: Request, business_id: str):
    actor = require_page_actor(request)
    with uow(request) as s:
        uc = inventory.get_use_case(s, actor, business_id)
        values = dict(uc.revisions[-1].values)
        info = {"business_id": uc.business_id, "name": uc.name, "base_revision": uc.revision_count}
    return _form(request, actor, values=values, errors={}, uc=info)


def _norm(v):
    """An answer as the form would send it, for comparing a typed answer with a stored one."""
    if v in (None, "", []):
        return None
    if isinstance(v, (list, tuple)):
        return sorted(str(x).strip() for x in v)
    return str(v).strip()


def _stale_form(request, actor, business_id: str, typed: dict, reason: str, exc: inventory.StaleRevision):
    """409: somebody saved while this person edited. Show what changed meanwhile (old -> new) and the form
    again on top of the new revision: the answers this person changed are kept as typed, the others are
    the new revision's (so saving again does not undo the other change)."""
    with uow(request) as s:
        uc = inventory.get_use_case(s, actor, business_id)
        revs = {r.number: r for r in uc.revisions}
        base_values = dict(revs[exc.base].values) if exc.base in revs else {}
        latest = dict(uc.revisions[-1].values)
        diffs = inventory.changes_since(s, actor, business_id, exc.base)
        info = {"business_id": uc.business_id, "name": uc.name, "base_revision": uc.revision_count}
        by = [{"number": r.number, "by": r.created_by, "at": r.created_at, "reason": r.reason}
              for r in uc.revisions if r.number > exc.base]
    mine = {k for k, v in typed.items() if _norm(v) != _norm(base_values.get(k))}
    values = {**latest, **{k: typed[k] for k in mine}, "_reason": reason}
    changed = [{"field": d.field, "label": label_of(d.field), "before": d.before, "after": d.after,
                "yours": typed.get(d.field) if d.field in mine else None, "both": d.field in mine} for d in diffs]
    stale = {"base": exc.base, "current": exc.current, "changed": changed, "revisions": by,
             "kept": sorted(mine)}
    return _form(request, actor, values=values, errors={}, uc=info, status=409, stale=stale)


@router.post("/{business_id}/edit")
async def edit(request: Request, business_id: str):
    actor = require_page_actor(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    values = _values_from_form(form)
    reason = str(form.get("reason") or "").strip()
    base = str(form.get("base_revision") or "").strip()
    base_revision = int(base) if base.isdigit() and len(base) < 10 else None
    info = {"business_id": business_id, "name": values.get("use_case_name"), "base_revision": base_revision}
    try:
        with uow(request) as s:
            inventory.edit_use_case(s, actor, business_id, values, reason, base_revision=base_revision)
    except inventory.StaleRevision as exc:
        return _stale_form(request, actor, business_id, values, reason, exc)
    except ValidationFailed as exc:
        return _form(request, actor, values={**values, "_reason": reason}, errors=_field_errors(exc), uc=info,
                     status=422)
    return RedirectResponse(flash.done_url(f"/inventory/{business_id}", "saved"), status_code=303)


@router.post("/{business_id}/screen")
async def screen_now(request: Request, business_id: str):
    actor = require_page_actor(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    with uow(request) as s:
        flows.screen(s, actor, business_id)
    return RedirectResponse(flash.done_url(f"/inventory/{business_id}", "screened") + "#determination", status_code=303)


@router.post("/{business_id}/determine")
async def determine(request: Request, business_id: str):
    actor = require_page_actor(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    decision, reason = str(form.get("decision") or ""), str(form.get("reason") or "")
    try:
        with uow(request) as s:
            flows.decide(s, actor, business_id, decision, reason)
    except ValidationFailed as exc:
        e = exc.errors[0]
        return _detail(request, business_id, status=422, typed={"decision": decision, "reason": reason},
                       determine_error=f"{DETERMINE_LABELS.get(e.field, e.field)}: {e.message}.")
    return RedirectResponse(flash.done_url(f"/inventory/{business_id}", "determined") + "#determination", status_code=303)


@router.post("/{business_id}/retire")
async def retire(request: Request, business_id: str):
    actor = require_page_actor(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    try:
        with uow(request) as s:
            inventory.retire_use_case(s, actor, business_id, str(form.get("reason") or ""))
    except ValidationFailed:
        return _detail(request, business_id, status=422,
                       retire_error="Why it is retired: a retired use case needs a reason.")
    return RedirectResponse(flash.done_url(f"/inventory/{business_id}", "retired"), status_code=303)


@router.get("/export/{fmt}")
def export_download(request: Request, fmt: str, component: str | None = None):
    """OMB's own format, for the whole inventory or one component."""
    actor = require_page_actor(request)
    suffix = ".xlsx" if fmt.endswith("xlsx") else ".csv"
    with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
        with uow(request) as s:
            report = inventory.export_inventory(s, actor, fmt, tmp.name, component or None, spreadsheet_safe=True)
        data = Path(tmp.name).read_bytes()
    xlsx_media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    media = xlsx_media if suffix == ".xlsx" else "text/csv; charset=utf-8"
    name = f"{fmt}{'-' + component if component else ''}-{agency_today(settings_of(request))}{suffix}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if suffix == ".csv":  # the exact OMB file (nothing prefixed) comes from `raigov inventory export`
        headers[SAFE_HEADER] = f"{report.formula_cells} cells prefixed; {SAFE_NOTICE}"
    return StreamingResponse(iter([data]), media_type=media, headers=headers)


# ---------------------------------------------------------------- import

@router.get("/import/file")
def import_page(request: Request):
    require_page_actor(request)
    return render(request, "inventory/import.html", {"nav": "inventory", "report": None, "error": None})


@router.post("/import/file")
async def import_upload(request: Request, limit: UploadLimit):
    """Step 1: upload and dry run. The file is kept (by its SHA-256, mode 0600) for step 2. Whether the
    person may import at all is asked before the body is read: a refused caller leaves nothing behind."""
    actor = require_page_actor(request)
    inventory.require_import(actor)
    settings = settings_of(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    upload = form.get("file")
    if upload is None or not getattr(upload, "filename", ""):
        return render(request, "inventory/import.html", {"nav": "inventory", "report": None, "error": "choose a file"}, 422)
    data = await upload.read(limit + 1)
    if len(data) > limit:
        return render(request, "inventory/import.html", {"nav": "inventory", "report": None,
                                                         "error": "the file is over the upload limit"}, 413)
    sha = hashlib.sha256(data).hexdigest()
    path = uploads.keep(settings, sha, upload.filename, data)
    try:
        parsed = read_inventory(path, max_bytes=limit)
        with uow(request) as s:
            report = inventory.import_inventory(s, actor, parsed, settings, dry_run=True)
    except RaigovError as exc:
        uploads.discard(settings, sha)  # nothing to commit: do not keep it
        return render(request, "inventory/import.html", {"nav": "inventory", "report": None, "error": exc.detail}, exc.status)
    except BaseException:
        uploads.discard(settings, sha)
        raise
    return render(request, "inventory/import.html", {"nav": "inventory", "report": report, "error": None,
                                                     "sha": sha, "name": path.name})


@router.post("/import/commit")
async def import_commit(request: Request):
    """Step 2: import the file that was dry-run, in one transaction; the kept file is deleted afterwards."""
    actor = require_page_actor(request)
    inventory.require_import(actor)
    settings = settings_of(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    sha, name = str(form.get("sha", "")), str(form.get("name", ""))
    path = uploads.find(settings, sha, name)
    if path is None:
        return render(request, "inventory/import.html", {"nav": "inventory", "report": None,
                                                         "error": "that upload is gone: upload the file again"}, 404)
    try:
        parsed = read_inventory(path, max_bytes=settings.upload_limit_bytes)
        with uow(request) as s:
            report = inventory.import_inventory(s, actor, parsed, settings)
    finally:
        uploads.discard(settings, sha)
    return render(request, "inventory/import.html", {"nav": "inventory", "report": report, "error": None, "done": True})
