"""Dataset registry pages: the datasets a person may read, the form that registers one with its data card, one
data card with its versions, the use cases using it and the evaluation runs whose input matches a version; who
manages the dataset edits the card, registers a version there (by its stated SHA-256, or by the file: a file
given is checked against the hash stated, then dropped) and links the use cases that use it. The rules live in
raigov.datasets; a refused form comes back (422) with each error at its field and what was typed."""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from raigov.datasets import reads
from raigov.datasets import service as ds
from raigov.datasets.schemas import CHARACTERISTICS, PURPOSES, DatasetIn, VersionIn
from raigov.errors import RaigovError
from raigov.identity.permissions import can, require
from raigov.web import flash
from raigov.web.deps import CSRF_FIELD, check_csrf, require_page_actor, uow
from raigov.web.pages.acquisition import folded
from raigov.web.pages.component_choice import choices
from raigov.web.pages.forms import field_errors
from raigov.web.params import RowId
from raigov.web.templating import render
from raigov.web.uploads import UploadLimit

router = APIRouter(prefix="/datasets", include_in_schema=False)
flash.register({"datasets.version_added": "Version registered.",
                "datasets.created": "Registered. Add its versions and the use cases that use it below.",
                "datasets.card_saved": "The data card is saved.", "datasets.linked": "The use case is linked.",
                "datasets.unlinked": "The link is removed."})
TEXT_FIELDS = ("name", "component", "owner", "source", "provenance", "collection_method", "starts_on", "ends_on",
               "pta", "pia", "sorn", "retention", "quality_notes", "known_limits")
WORDS = {"characteristics": CHARACTERISTICS, "purposes": PURPOSES}


@router.get("")
def index(request: Request):
    actor = require_page_actor(request)
    with uow(request) as s:
        rows = reads.list_datasets(s, actor)
    return render(request, "datasets/index.html", {"nav": "datasets", "rows": rows, "flash": flash.banner(request),
                                                   "may_register": can(actor, ds.MANAGE)})


def _card_values(form) -> dict:
    values = {k: str(form.get(k) or "").strip() for k in TEXT_FIELDS}
    values["pii"] = form.get("pii") or ""
    values["protected_characteristics"] = [str(c) for c in form.getlist("protected_characteristics")]
    return values


def _card_in(values: dict, name: str | None = None) -> DatasetIn:
    return DatasetIn(name=name if name is not None else values["name"], component=values["component"] or None,
                     owner=values["owner"], source=values["source"], provenance=values["provenance"],
                     collection_method=values["collection_method"], starts_on=values["starts_on"] or None,
                     ends_on=values["ends_on"] or None, pii=values["pii"] == "yes",
                     protected_characteristics=values["protected_characteristics"], pta=values["pta"],
                     pia=values["pia"], sorn=values["sorn"], retention=values["retention"],
                     quality_notes=values["quality_notes"], known_limits=values["known_limits"])


def _card_page(request: Request, errors: dict | None = None, values: dict | None = None, status: int = 200,
               dataset: dict | None = None):
    """The data card's form: a new dataset, or the card of `dataset` (its name and component stay)."""
    actor = require_page_actor(request)
    with uow(request) as s:
        components = choices(s, actor, ds.MANAGE) if dataset is None else []
    if dataset is None and not components:
        require(actor, ds.MANAGE)  # PermissionDenied: the page says so
    return render(request, "datasets/card_form.html", {"nav": "datasets", "components": components, "d": dataset,
                                                       "errors": errors or {}, "values": values or {}, **WORDS}, status)


@router.get("/new")
def new_dataset(request: Request):
    return _card_page(request, values={"pii": "no"})


@router.post("/new")
async def create_dataset(request: Request):
    actor = require_page_actor(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    values = _card_values(form)
    try:
        data = _card_in(values)
        with uow(request) as s:
            did = ds.create_dataset(s, actor, data).id
    except (ValidationError, RaigovError) as exc:
        if isinstance(exc, RaigovError) and exc.status in (403, 404) and not exc.errors:
            raise
        return _card_page(request, folded(field_errors(exc)), values, 422)
    return RedirectResponse(flash.done_url(f"/datasets/{did}", "datasets.created"), status_code=303)


def _page(request: Request, dataset_id: int, errors: dict | None = None, values: dict | None = None, status: int = 200,
          act: str = "version"):
    actor = require_page_actor(request)
    with uow(request) as s:
        d = reads.dataset_view(s, actor, dataset_id)
    return render(request, "datasets/dataset.html", {"nav": "datasets", "d": d, "errors": errors or {}, "act": act,
                                                      "values": values or {}, "flash": flash.banner(request), **WORDS},
                  status)


@router.get("/{dataset_id}")
def dataset(request: Request, dataset_id: RowId):
    return _page(request, dataset_id)


def _editable(request: Request, dataset_id: int) -> dict:
    actor = require_page_actor(request)
    with uow(request) as s:
        ds.check_manage(s, actor, dataset_id)
        return reads.dataset_view(s, actor, dataset_id)


@router.get("/{dataset_id}/edit")
def edit_card(request: Request, dataset_id: RowId):
    d = _editable(request, dataset_id)
    values = {**{k: d[k] for k in TEXT_FIELDS if k not in ("name", "component")},
              "starts_on": d["starts_on"].isoformat() if d["starts_on"] else "",
              "ends_on": d["ends_on"].isoformat() if d["ends_on"] else "",
              "pii": "yes" if d["pii"] else "no", "protected_characteristics": d["protected_characteristics"]}
    return _card_page(request, values=values, dataset=d)


@router.post("/{dataset_id}/edit")
async def save_card(request: Request, dataset_id: RowId):
    actor = require_page_actor(request)
    d = _editable(request, dataset_id)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    values = {**_card_values(form), "component": d["component"] or ""}
    try:
        data = _card_in(values, name=d["name"])
        with uow(request) as s:
            ds.update_dataset(s, actor, dataset_id, data)
    except (ValidationError, RaigovError) as exc:
        if isinstance(exc, RaigovError) and exc.status in (403, 404) and not exc.errors:
            raise
        return _card_page(request, folded(field_errors(exc)), values, 422, dataset=d)
    return RedirectResponse(flash.done_url(f"/datasets/{dataset_id}", "datasets.card_saved"), status_code=303)


@router.post("/{dataset_id}/versions")
async def add_version(request: Request, dataset_id: RowId, limit: UploadLimit):
    """A version by the SHA-256 stated; with a file, the file's SHA-256 must be the one stated, or (none stated)
    is the version's."""
    actor = require_page_actor(request)
    with uow(request) as s:  # before the body is read
        ds.check_manage(s, actor, dataset_id)
    form = await request.form(max_files=1, max_fields=10)
    check_csrf(request, form.get(CSRF_FIELD))
    values = {k: str(form.get(k) or "") for k in ("label", "sha256", "note")}
    upload = form.get("file")
    try:
        content = None
        filename = ""
        if upload is not None and getattr(upload, "filename", ""):
            content = await upload.read(limit + 1)
            filename = upload.filename
        sha = values["sha256"].strip().lower()
        if not sha and content is not None:
            sha = hashlib.sha256(content).hexdigest()
        data = VersionIn(label=values["label"], sha256=sha, filename=filename[:300], note=values["note"])
        with uow(request) as s:
            ds.add_version(s, actor, dataset_id, data, content)
    except (ValidationError, RaigovError) as exc:
        if isinstance(exc, RaigovError) and exc.status in (403, 404, 413):
            raise
        errors = field_errors(exc)
        if "sha256" in errors and not values["sha256"].strip():
            errors["sha256"] = "state the file's SHA-256 (64 hexadecimal digits), or give the file"
        return _page(request, dataset_id, errors, values, 422)
    return RedirectResponse(flash.done_url(f"/datasets/{dataset_id}", "datasets.version_added") + "#versions",
                            status_code=303)


@router.post("/{dataset_id}/use-cases")
async def link_use_case(request: Request, dataset_id: RowId):
    """Link a use case that uses the dataset for a purpose (``use_case``, ``purpose``), or remove it (``unlink``)."""
    actor = require_page_actor(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    values = {k: str(form.get(k) or "").strip() for k in ("use_case", "purpose")}
    unlink = bool(form.get("unlink"))
    try:
        with uow(request) as s:
            ds.link_use_case(s, actor, dataset_id, values["use_case"], values["purpose"], unlink=unlink)
    except RaigovError as exc:
        if exc.status in (403, 404):
            raise
        errors = field_errors(exc)
        if "form" in errors:  # a link already there
            errors = {"use_case": errors["form"]}
        return _page(request, dataset_id, errors, values, 422, act="link")
    return RedirectResponse(flash.done_url(f"/datasets/{dataset_id}", "datasets.unlinked" if unlink else "datasets.linked")
                            + "#use-cases", status_code=303)
