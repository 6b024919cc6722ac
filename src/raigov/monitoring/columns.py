"""Column conversion for monitoring: a pyarrow column (CSV strings or Parquet types) to floats with NaN for
missing values, or to strings with None for missing values. A bad value names its column and 1-based row."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from raigov.evaluation.io import bad_value


def _blank_to_null(arr: pa.Array) -> pa.Array:
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        trimmed = pc.utf8_trim_whitespace(arr)
        return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, arr.type), trimmed)
    return arr


def to_float(arr: pa.Array, column: str, row_offset: int = 0) -> np.ndarray:
    """Floats; null or blank is NaN (missing). A non-numeric or infinite value raises naming column and row."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    arr = _blank_to_null(arr)
    try:
        out = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        i = first_bad(arr)
        raise bad_value(column, row_offset + i + 1, f"{arr[i].as_py()!r} is not a number") from None
    out = np.array(out, dtype=np.float64, copy=True)
    inf = np.isinf(out)
    if inf.any():
        raise bad_value(column, row_offset + int(np.argmax(inf)) + 1, "infinite value")
    return out


def first_bad(arr: pa.Array) -> int:
    """The index of the first value that does not convert to a float (bisection: O(log n) casts)."""
    lo, hi = 0, len(arr)  # the first bad value is in [lo, hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        try:
            pc.cast(arr.slice(lo, mid - lo), pa.float64())
            lo = mid
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            hi = mid
    return lo


def to_text(arr: pa.Array) -> pa.Array:
    """Strings; null or blank is null (missing)."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = pc.cast(arr, pa.string())
    return _blank_to_null(arr)
