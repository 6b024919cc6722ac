"""Public pages and documents: no account needed, only what was published."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from raigov.audit import service as audit
from raigov.web.deps import uow

router = APIRouter(prefix="/public", tags=["public"])


@router.get("/audit/head")
def audit_head(request: Request):
    """The latest signed tree head of the audit trail (see docs/audit.md to verify it)."""
    with uow(request) as s:
        head = audit.latest_head(s)
    if head is None:
        return JSONResponse({"detail": "no tree head has been signed yet"}, status_code=404)
    return head
