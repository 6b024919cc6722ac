"""Typed domain errors. Services raise these; each adapter maps them in one place
(web/errors.py to RFC 9457 problem details, cli/common.py to exit codes)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FieldError:
    field: str
    message: str
    code: str = "invalid"

    def as_dict(self) -> dict:
        return {"field": self.field, "message": self.message, "code": self.code}


class RaigovError(Exception):
    status = 400
    code = "error"
    title = "Request failed"

    def __init__(self, detail: str = "", *, errors: list[FieldError] | None = None):
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors or []


class ValidationFailed(RaigovError):
    status, code, title = 422, "validation-error", "The input is not valid"

    @classmethod
    def one(cls, field_name: str, message: str, code: str = "invalid") -> ValidationFailed:
        return cls(f"{field_name}: {message}", errors=[FieldError(field_name, message, code)])


class NotFound(RaigovError):
    status, code, title = 404, "not-found", "Not found"


class Conflict(RaigovError):
    status, code, title = 409, "conflict", "Conflict with the current state"


class AuthenticationFailed(RaigovError):
    status, code, title = 401, "unauthenticated", "Authentication required"


class LockedOut(RaigovError):
    status, code, title = 429, "locked-out", "Too many failed attempts"

    def __init__(self, detail: str = "", *, errors: list[FieldError] | None = None, retry_after: int | None = None):
        super().__init__(detail, errors=errors)
        self.retry_after = retry_after  # seconds: the Retry-After header of the 429


class PermissionDenied(RaigovError):
    status, code, title = 403, "forbidden", "Not permitted"


class PayloadTooLarge(RaigovError):
    status, code, title = 413, "payload-too-large", "The request body is too large"


class Busy(RaigovError):
    """The database is held by another writer (a long import) past the wait allowed: try again later."""

    status, code, title = 503, "busy", "The database is busy"

    def __init__(self, detail: str = "", *, retry_after: int = 5):
        super().__init__(detail or "Another change (such as an inventory import) holds the database; try again shortly.")
        self.retry_after = retry_after


@dataclass
class Problem:
    """RFC 9457 problem details."""

    status: int
    title: str
    detail: str
    type: str = "about:blank"
    instance: str | None = None
    errors: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        d = {"type": self.type, "title": self.title, "status": self.status, "detail": self.detail}
        if self.instance:
            d["instance"] = self.instance
        if self.errors:
            d["errors"] = self.errors
        return d


def problem_type(code: str) -> str:
    return f"urn:raigov:problem:{code}"
