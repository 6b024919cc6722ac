"""Dataset registry pages: the datasets a person may read, and one data card with its versions, the use cases
using it and the evaluation runs whose input matches a version; who manages the dataset registers a version
there (the file is checked against the SHA-256 stated, then dropped). The rules live in raigov.datasets."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from raigov.datasets import reads
from raigov.datasets import service as ds
from raigov.datasets.schemas import VersionIn
from raigov.errors import RaigovError
from raigov.web import flash
from raigov.web.deps import CSRF_FIELD, check_csrf, require_page_actor, uow
from raigov.web.pages.forms import field_errors
from raigov.web.params import RowId
from raigov.web.templating import render
from raigov.web.uploads import UploadLimit

router = APIRouter(prefix="/datasets", include_in_schema=False)
flash.register({"datasets.version_added": "Version registered."})


@router.get("")
def index(request: Request):
    actor = require_page_actor(request)
    with uow(request) as s:
        rows = reads.list_datasets(s, actor)
    return render(request, "datasets/index.html", {"nav": "datasets", "rows": rows})


def _page(request: Request, dataset_id: int, errors: dict | None = None, values: dict | None = None, status: int = 200):
    actor = require_page_actor(request)
    with uow(request) as s:
        d = reads.dataset_view(s, actor, dataset_id)
    return render(request, "datasets/dataset.html", {"nav": "datasets", "d": d, "errors": errors or {},
                                                      "values": values or {}, "flash": flash.banner(request)}, status)


@router.get("/{dataset_id}")
def dataset(request: Request, dataset_id: RowId):
    return _page(request, dataset_id)


@router.post("/{dataset_id}/versions")
async def add_version(request: Request, dataset_id: RowId, limit: UploadLimit):
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
        data = VersionIn(label=values["label"], sha256=values["sha256"].strip().lower(), filename=filename[:300],
                         note=values["note"])
        with uow(request) as s:
            ds.add_version(s, actor, dataset_id, data, content)
    except (ValidationError, RaigovError) as exc:
        if isinstance(exc, RaigovError) and exc.status in (403, 404, 413):
            raise
        return _page(request, dataset_id, field_errors(exc), values, 422)
    return RedirectResponse(flash.done_url(f"/datasets/{dataset_id}", "datasets.version_added") + "#versions",
                            status_code=303)
