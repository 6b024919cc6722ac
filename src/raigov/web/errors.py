"""The one place where errors become HTTP: RFC 9457 problem+json for the API (naming the field),
an accessible error page for the pages. Never a stack trace, never a 500 for bad input."""

from __future__ import annotations

import logging
import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from raigov.db.engine import is_busy
from raigov.errors import AuthenticationFailed, Busy, PermissionDenied, Problem, RaigovError, problem_type
from raigov.identity.permissions import matrix
from raigov.identity.roles import roles_in_words

log = logging.getLogger("raigov.web")
PROBLEM_JSON = "application/problem+json"

_MESSAGES = {
    "extra_forbidden": "unknown field",
    "missing": "this field is required",
    "json_invalid": "the body is not valid JSON",
}


_DENIED = re.compile(r"^(?:user|service|system):\S+ may not (\S+)(.*)$", re.S)
_LABEL = re.compile(r"\b(?:user|system|service):([A-Za-z0-9_.@\-]+)")


def page_detail(detail: str) -> str:
    """An error's detail as a person reads it on a page: "user:caio may not identity.user.manage" says who may
    ("You may not do this: it needs a user administrator."), and no actor label is shown."""
    m = _DENIED.match(detail or "")
    if m:
        action, rest = m.groups()
        rule = matrix().get(action) if "." in action else None
        if rule is not None:
            return f"You may not do this{rest}: it needs {roles_in_words([r for r in rule.roles if r != 'system'])}."
        return f"You may not {action}{rest}."
    return _LABEL.sub(lambda x: x.group(1), detail or "")


def wants_problem_json(request: Request) -> bool:
    p = request.url.path
    return p.startswith("/api/") or p in ("/healthz", "/readyz") or "application/json" in request.headers.get("accept", "")


def problem_response(request: Request, p: Problem, headers: dict | None = None) -> JSONResponse:
    p.instance = p.instance or request.url.path
    return JSONResponse(p.as_dict(), status_code=p.status, media_type=PROBLEM_JSON, headers=headers)


def field_of(loc: tuple) -> str:
    parts = [str(x) for x in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie", "form"):
        where, rest = parts[0], parts[1:]
        if where == "body" and rest and rest[0].isdigit() and len(rest) == 1:
            return "body"  # position inside malformed JSON
        return ".".join(rest) if rest else where
    return ".".join(parts) or "body"


def validation_errors(exc: RequestValidationError) -> list[dict]:
    out = []
    for e in exc.errors():
        loc = tuple(e.get("loc", ()))
        code = e.get("type", "invalid")
        msg = _MESSAGES.get(code, e.get("msg", "invalid"))
        if code == "json_invalid":
            pos = loc[1] if len(loc) > 1 else None
            ctx = (e.get("ctx") or {}).get("error")
            msg = f"the body is not valid JSON{f' at position {pos}' if pos is not None else ''}{f': {ctx}' if ctx else ''}"
        out.append({"field": field_of(loc), "message": msg, "code": code})
    return out


def install(app: FastAPI, templates) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errors = validation_errors(exc)
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        if not wants_problem_json(request):  # a page's parameter (e.g. /audit/{seq} out of range): the error page
            return templates.TemplateResponse(
                request, "error.html", {"status": 422, "title": "The input is not valid", "detail": detail}, status_code=422
            )
        return problem_response(
            request, Problem(422, "The input is not valid", detail, problem_type("validation-error"), errors=errors)
        )

    @app.exception_handler(RaigovError)
    async def _domain(request: Request, exc: RaigovError):
        if not wants_problem_json(request):
            if isinstance(exc, AuthenticationFailed):
                return RedirectResponse(f"/sign-in?next={request.url.path}", status_code=303)
            return templates.TemplateResponse(
                request,
                "error.html",
                {"status": exc.status, "title": exc.title, "detail": page_detail(exc.detail)},
                status_code=exc.status,
                headers={"Retry-After": str(exc.retry_after)} if getattr(exc, "retry_after", None) else None,
            )
        headers = {"WWW-Authenticate": 'Bearer realm="raigov"'} if isinstance(exc, AuthenticationFailed) else None
        if getattr(exc, "retry_after", None):
            headers = {**(headers or {}), "Retry-After": str(exc.retry_after)}
        return problem_response(
            request,
            Problem(exc.status, exc.title, exc.detail, problem_type(exc.code), errors=[e.as_dict() for e in exc.errors]),
            headers,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        title = {404: "Not found", 405: "Method not allowed", 413: "The request body is too large"}.get(
            exc.status_code, "Request failed"
        )
        if not wants_problem_json(request):
            return templates.TemplateResponse(
                request,
                "error.html",
                {"status": exc.status_code, "title": title, "detail": str(exc.detail)},
                status_code=exc.status_code,
            )
        return problem_response(
            request, Problem(exc.status_code, title, str(exc.detail), problem_type(f"http-{exc.status_code}"))
        )

    @app.exception_handler(OperationalError)
    async def _database(request: Request, exc: OperationalError):
        # a lock held past RAIGOV_DB_LOCK_WAIT_SECONDS (SQLite "database is locked", PostgreSQL
        # lock_timeout) is temporary: 503 with Retry-After, never 500
        if is_busy(exc):
            log.warning("database busy on %s %s: answered 503", request.method, request.url.path)
            return await _domain(request, Busy(retry_after=request.app.state.settings.busy_retry_after_seconds))
        return await _unexpected(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        if not wants_problem_json(request):
            return templates.TemplateResponse(
                request,
                "error.html",
                {"status": 500, "title": "Something went wrong", "detail": "The error was logged."},
                status_code=500,
            )
        return problem_response(request, Problem(500, "Internal error", "The error was logged.", problem_type("internal")))


__all__ = ["PermissionDenied", "install", "problem_response"]
