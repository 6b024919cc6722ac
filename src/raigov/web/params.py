"""Bounded integer parameters for routes (API and pages), so that no number a client sends reaches the
database out of the range of its column (PostgreSQL refuses it, SQLite overflows: a 500 either way).
Out of range is a 422 naming the parameter (problem+json for the API, the error page for pages).

The bounds follow the columns: row ids, versions and revision numbers are INTEGER (32-bit), the audit
trail's sequence numbers and tree sizes are BIGINT (64-bit). tests/web/test_hardening_inputs.py checks
that every integer parameter of every route has an upper bound."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from raigov.errors import ValidationFailed

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
YEAR_MAX = 9999

# path parameters
RowId = Annotated[int, Path(ge=1, le=INT32_MAX, description="a row id (1 to 2147483647)")]
Seq = Annotated[int, Path(ge=1, le=INT64_MAX, description="an audit event's sequence number")]
YearPath = Annotated[int, Path(ge=1, le=YEAR_MAX, description="a year")]

# query parameters
PageNo = Annotated[int, Query(ge=1, le=INT32_MAX, description="page number, from 1")]
Offset = Annotated[int, Query(ge=0, le=INT64_MAX)]
TreeSize = Annotated[int, Query(ge=0, le=INT64_MAX, description="a tree size (number of events)")]
OptTreeSize = Annotated[int | None, Query(ge=0, le=INT64_MAX, description="a tree size (number of events)")]
OptRevision = Annotated[int | None, Query(ge=0, le=INT32_MAX, description="a revision number")]
OptYear = Annotated[int | None, Query(ge=1, le=YEAR_MAX, description="a year")]
Flag = Annotated[int, Query(ge=0, le=INT32_MAX)]

def form_int(value, field: str, *, lo: int = 0, hi: int = INT32_MAX) -> int | None:
    """A whole number from a form or hand-parsed query value: None when empty, ValidationFailed naming
    `field` when it is not a whole number from `lo` to `hi`."""
    text = str(value if value is not None else "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > 20 or not lo <= int(text) <= hi:
        raise ValidationFailed.one(field, f"a whole number from {lo} to {hi}", "out_of_range")
    return int(text)
