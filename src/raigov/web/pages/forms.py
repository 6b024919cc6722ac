"""Helpers for HTML forms: turn pydantic and domain errors into per-field messages."""

from __future__ import annotations

from pydantic import ValidationError

from raigov.errors import RaigovError


def field_errors(exc: Exception) -> dict[str, str]:
    """field name -> message, for the USWDS error state of each input."""
    out: dict[str, str] = {}
    if isinstance(exc, ValidationError):
        for e in exc.errors():
            name = ".".join(str(x) for x in e["loc"]) or "form"
            msg = e["msg"]
            if e["type"] == "string_pattern_mismatch" and name == "username":
                msg = "use 3 to 64 lower-case letters, digits, dots, dashes or underscores"
            out.setdefault(name, msg.removeprefix("Value error, "))
    elif isinstance(exc, RaigovError):
        if exc.errors:
            for e in exc.errors:
                out.setdefault(e.field, e.message)
        else:
            out["form"] = exc.detail
    return out
