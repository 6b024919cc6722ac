"""Public pages and documents: no account needed, only what was published."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from raigov.audit import service as audit
from raigov.datacall import service as datacall
from raigov.inventory.formats.safe import HEADER as SAFE_HEADER
from raigov.inventory.formats.safe import NOTICE as SAFE_NOTICE
from raigov.web.deps import settings_of, uow
from raigov.web.params import OptYear, YearPath
from raigov.web.templating import render

router = APIRouter(prefix="/public", tags=["public"])


@router.get("/audit/head")
def audit_head(request: Request):
    """The latest signed tree head of the audit trail (see docs/audit.md to verify it)."""
    with uow(request) as s:
        head = audit.latest_head(s)
    if head is None:
        return JSONResponse({"detail": "no tree head has been signed yet"}, status_code=404)
    return head


@router.get("/inventory", include_in_schema=False)
def inventory_page(request: Request, year: OptYear = None):
    """The latest certified inventory (or `year`'s): its public rows, the SHA-256 of the public file and the
    signed tree head covering the certification event. The rows are read from the verified snapshot file: its
    bytes must match the cycle's `public_sha256`, which must match the audit event's; otherwise the page
    refuses (500, saying which check failed) and shows nothing of it."""
    with uow(request) as s:
        pub = datacall.publication(s, year)
        rows = datacall.public_rows(datacall.snapshot_bytes(s, settings_of(request), pub.year)) if pub else []
        years = datacall.certified_years(s)
    return render(request, "public/inventory.html", {"pub": pub, "rows": rows, "years": years},
                  status_code=200 if pub or year is None else 404)


@router.get("/inventory/{year}.csv", include_in_schema=False)
def inventory_csv(request: Request, year: YearPath):
    """The exact bytes of the certified public snapshot, checked first against the cycle's `public_sha256` and
    that against the audit event's (500 and nothing served when either disagrees). A file a crash left pending
    after the commit is renamed into place first when its bytes have the recorded hash."""
    with uow(request) as s:
        data = datacall.snapshot_bytes(s, settings_of(request), year)
        name = datacall.snapshot_names(year)[1]
    return Response(data, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             SAFE_HEADER: "no; the certified file exactly as published: cells starting with = + - @ "
                                          "are as given. To open it in a spreadsheet, download "
                                          f"/public/inventory/{year}/spreadsheet-safe.csv or /public/inventory/{year}.xlsx"})


@router.get("/inventory/{year}/spreadsheet-safe.csv", include_in_schema=False)
def inventory_safe_csv(request: Request, year: YearPath):
    """The certified public file's spreadsheet-safe copy (cells starting with = + - @ tab CR prefixed with '),
    written and hashed with the snapshot; served only when its bytes match its recorded hash (as the exact file)."""
    with uow(request) as s:
        data = datacall.snapshot_bytes(s, settings_of(request), year, kind="safe")
        name = datacall.safe_snapshot_names(year)[0]
    return Response(data, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', SAFE_HEADER: f"yes; {SAFE_NOTICE}"})


@router.get("/inventory/{year}.xlsx", include_in_schema=False)
def inventory_xlsx(request: Request, year: YearPath):
    """The certified public file's rows as OMB's XLSX (texts as string cells, never formulas), written and hashed
    with the snapshot; served only when its bytes match its recorded hash."""
    with uow(request) as s:
        data = datacall.snapshot_bytes(s, settings_of(request), year, kind="xlsx")
        name = datacall.safe_snapshot_names(year)[1]
    return Response(data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
