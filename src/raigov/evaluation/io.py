"""Inputs: CSV and Parquet streamed in bounded memory, and validation of mapped columns.

A :class:`Source` reads only the mapped columns, batch by batch (Parquet ``iter_batches`` over row
groups; ``pyarrow.csv.open_csv`` over blocks), and knows the 0-based offset of each batch so that a
bad value can be reported by its **1-based data row number** (the header is not a data row).
Group columns are kept as pyarrow (dictionary) arrays and are dictionary-encoded downstream; no
Python object is created per row.

Bad input raises :class:`raigov.errors.ValidationFailed` whose :class:`~raigov.errors.FieldError`
names the column: a missing column, a non-numeric or NaN score, an unknown label value, a missing
(null/empty) value.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from raigov.errors import FieldError, ValidationFailed

DEFAULT_BATCH_ROWS = 1 << 20

POSITIVE_TOKENS = ("1", "true", "t", "yes", "y", "1.0", "+1")
NEGATIVE_TOKENS = ("0", "false", "f", "no", "n", "-1", "0.0", "-1.0")

_FLOAT_RE = r"^[+-]?(([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?|inf|infinity)$"


def bad_value(column: str, row: int, message: str, code: str = "invalid") -> ValidationFailed:
    msg = f"row {row}: {message}"
    return ValidationFailed(f"column {column!r}, {msg}", errors=[FieldError(column, msg, code)])


def _first(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _check_nulls(arr: pa.Array, column: str, row_offset: int) -> None:
    if arr.null_count:
        i = _first(np.asarray(arr.is_null().to_numpy(zero_copy_only=False)))
        raise bad_value(column, row_offset + i + 1, "missing value", "missing")


def _value_repr(arr: pa.Array, i: int) -> str:
    v = arr[i].as_py()
    return repr(v)


def labels_to_bool(arr, column: str, row_offset: int = 0) -> np.ndarray:
    """Binary labels to a boolean array. Accepted: booleans; numbers 1 (positive), 0 or −1
    (negative); text ``1/0/-1/true/false/t/f/yes/no/y/n`` (case-insensitive). Anything else raises."""
    arr = _as_array(arr)
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    _check_nulls(arr, column, row_offset)
    t = arr.type
    if pa.types.is_boolean(t):
        return arr.to_numpy(zero_copy_only=False).astype(bool)
    if pa.types.is_integer(t) or pa.types.is_floating(t):
        v = arr.to_numpy(zero_copy_only=False)
        if pa.types.is_floating(t):
            nan = np.isnan(v)
            if nan.any():
                raise bad_value(column, row_offset + _first(nan) + 1, "NaN is not a label (use 0 or 1)", "nan")
        bad = (v != 1) & (v != 0) & (v != -1)
        if bad.any():
            i = _first(bad)
            raise bad_value(column, row_offset + i + 1, f"unknown label value {_value_repr(arr, i)} (use 0 or 1)",
                            "unknown-label")
        return v == 1
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        norm = pc.utf8_lower(pc.utf8_trim_whitespace(arr))
        pos = pc.is_in(norm, value_set=pa.array(POSITIVE_TOKENS)).to_numpy(zero_copy_only=False)
        neg = pc.is_in(norm, value_set=pa.array(NEGATIVE_TOKENS)).to_numpy(zero_copy_only=False)
        bad = ~(pos | neg)
        if bad.any():
            i = _first(bad)
            raise bad_value(column, row_offset + i + 1, f"unknown label value {_value_repr(arr, i)} (use 0 or 1)",
                            "unknown-label")
        return np.asarray(pos, bool)
    raise ValidationFailed.one(column, f"labels of type {t} are not supported (use 0/1 or true/false)", "type")


def scores_to_float(arr, column: str, row_offset: int = 0, skip: np.ndarray | None = None) -> np.ndarray:
    """Scores to float64 (keeps float32 precision exactly). Non-numeric, missing and NaN values
    raise, except on rows where ``skip`` is true (e.g. failures to acquire, whose score is ignored)."""
    arr = _as_array(arr)
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    t = arr.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        trimmed = pc.utf8_trim_whitespace(arr)
        if skip is not None and skip.any():
            trimmed = pc.if_else(pa.array(skip), pa.scalar("0", trimmed.type), trimmed)
        _check_nulls(trimmed, column, row_offset)
        try:
            arr = pc.cast(trimmed, pa.float64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            ok = pc.match_substring_regex(trimmed, _FLOAT_RE, ignore_case=True).to_numpy(zero_copy_only=False)
            bad = ~np.asarray(ok, bool)
            nan_text = pc.match_substring_regex(trimmed, r"^[+-]?nan$", ignore_case=True).to_numpy(
                zero_copy_only=False)
            if not bad.any():  # pragma: no cover - arrow refused something the pattern accepted
                raise ValidationFailed.one(column, "scores could not be read as numbers", "non-numeric") from None
            i = _first(bad)
            if nan_text[i]:
                raise bad_value(column, row_offset + i + 1, "NaN score", "nan") from None
            what = "empty value" if len(trimmed[i].as_py()) == 0 else f"not a number: {_value_repr(arr, i)}"
            raise bad_value(column, row_offset + i + 1, what, "non-numeric") from None
    elif not (pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)):
        raise ValidationFailed.one(column, f"scores of type {t} are not numeric", "non-numeric")
    if skip is not None and skip.any() and arr.null_count:
        arr = pc.fill_null(arr, 0.0)
    _check_nulls(arr, column, row_offset)
    v = arr.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
    nan = np.isnan(v)
    if skip is not None:
        nan &= ~skip
    if nan.any():
        raise bad_value(column, row_offset + _first(nan) + 1, "NaN score", "nan")
    return v


def check_group(arr, column: str, row_offset: int = 0) -> pa.Array:
    """A group column: no missing values, no NaN. Returned as a pyarrow array (dictionary kept)."""
    arr = _as_array(arr)
    if pa.types.is_dictionary(arr.type):
        if arr.null_count:
            _check_nulls(arr, column, row_offset)
        return arr
    _check_nulls(arr, column, row_offset)
    if pa.types.is_floating(arr.type):
        v = arr.to_numpy(zero_copy_only=False)
        if np.isnan(v).any():
            raise bad_value(column, row_offset + _first(np.isnan(v)) + 1, "NaN group value", "nan")
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        empty = pc.equal(pc.utf8_length(arr), 0).to_numpy(zero_copy_only=False)
        if empty.any():
            raise bad_value(column, row_offset + _first(empty) + 1, "missing value", "missing")
    return arr


def check_weights(arr, column: str, row_offset: int = 0) -> np.ndarray:
    w = scores_to_float(arr, column, row_offset)
    neg = (w < 0) | ~np.isfinite(w)
    if neg.any():
        raise bad_value(column, row_offset + _first(neg) + 1, "weights must be finite and non-negative")
    return w


def _as_array(values) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks()
    if isinstance(values, pa.Array):
        return values
    if hasattr(values, "dtype") and str(getattr(values, "dtype", "")) == "category":
        return pa.DictionaryArray.from_arrays(
            pa.array(np.asarray(values.cat.codes), type=pa.int32()), pa.array(list(values.cat.categories)),
        )
    if hasattr(values, "to_numpy"):
        values = values.to_numpy()
    return pa.array(np.asarray(values))


# ---------------------------------------------------------------------------------------------
# sources
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Partition:
    """A self-contained, picklable unit of work: one file slice (Parquet row groups or a whole CSV)."""

    path: str
    fmt: str
    columns: tuple[str, ...]
    row_groups: tuple[int, ...] | None
    row_offset: int
    num_rows: int | None
    batch_rows: int = DEFAULT_BATCH_ROWS


def detect_format(path: str) -> str:
    low = path.lower()
    if low.endswith((".parquet", ".pq", ".parq")):
        return "parquet"
    if low.endswith((".csv", ".csv.gz", ".txt", ".tsv")):
        return "csv"
    with open(path, "rb") as fh:
        head = fh.read(4)
    return "parquet" if head == b"PAR1" else "csv"


class Source:
    """A CSV or Parquet file, read column-wise in batches."""

    def __init__(self, path: str | os.PathLike, fmt: str | None = None, batch_rows: int = DEFAULT_BATCH_ROWS):
        self.path = os.fspath(path)
        if not os.path.isfile(self.path):
            raise ValidationFailed.one("FILE", f"no such file: {self.path}", "not-found")
        self.fmt = fmt or detect_format(self.path)
        if self.fmt not in ("csv", "parquet"):
            raise ValidationFailed.one("FILE", f"unknown format {self.fmt!r} (csv or parquet)")
        self.batch_rows = batch_rows
        self._pf = None
        try:
            if self.fmt == "parquet":
                self._pf = pq.ParquetFile(self.path)
                self.names = list(self._pf.schema_arrow.names)
                self.num_rows: int | None = self._pf.metadata.num_rows
            else:
                reader = pacsv.open_csv(self.path, read_options=pacsv.ReadOptions(block_size=1 << 16))
                self.names = list(reader.schema.names)
                self.num_rows = None
        except (pa.ArrowInvalid, OSError) as exc:
            raise ValidationFailed.one("FILE", f"cannot read {self.path} as {self.fmt}: {exc}") from None

    def require(self, columns: dict[str, str | Sequence[str] | None]) -> None:
        """``columns``: option name -> column name(s). Raises naming every missing column."""
        errors = []
        for flag, cols in columns.items():
            if cols is None:
                continue
            for c in [cols] if isinstance(cols, str) else cols:
                if c not in self.names:
                    errors.append(FieldError(c, f"column not found (given by {flag}); the file has: "
                                                f"{', '.join(self.names)}", "missing-column"))
        if errors:
            raise ValidationFailed(
                "missing column" + ("s" if len(errors) > 1 else "") + ": " + ", ".join(e.field for e in errors)
                + f" (the file's columns are: {', '.join(self.names)})",
                errors=errors,
            )

    def partitions(self, columns: Sequence[str], rows_per_partition: int | None = None) -> list[Partition]:
        cols = tuple(dict.fromkeys(columns))
        if self.fmt == "csv":
            return [Partition(self.path, "csv", cols, None, 0, None, self.batch_rows)]
        md = self._pf.metadata
        parts, cur, cur_rows, offset, start = [], [], 0, 0, 0
        target = rows_per_partition or 1
        for i in range(md.num_row_groups):
            n = md.row_group(i).num_rows
            cur.append(i)
            cur_rows += n
            offset += n
            if cur_rows >= target:
                parts.append(Partition(self.path, "parquet", cols, tuple(cur), start, cur_rows, self.batch_rows))
                start, cur, cur_rows = offset, [], 0
        if cur:
            parts.append(Partition(self.path, "parquet", cols, tuple(cur), start, cur_rows, self.batch_rows))
        return parts

    def batches(self, columns: Sequence[str]) -> Iterator[tuple[int, pa.RecordBatch]]:
        for part in self.partitions(columns, rows_per_partition=1 << 62):
            yield from read_partition(part)

    def sha256(self) -> str:
        h = hashlib.sha256()
        with open(self.path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 22), b""):
                h.update(chunk)
        return h.hexdigest()


def read_partition(part: Partition) -> Iterator[tuple[int, pa.RecordBatch]]:
    """Yield ``(row_offset, batch)`` with only the partition's columns, in bounded memory."""
    if part.fmt == "parquet":
        pf = pq.ParquetFile(part.path, pre_buffer=False)  # pre-buffering holds whole row groups: 2.3x the RSS, slower
        offset = part.row_offset
        for batch in pf.iter_batches(batch_size=part.batch_rows, row_groups=list(part.row_groups),
                                     columns=list(part.columns)):
            yield offset, batch
            offset += batch.num_rows
        return
    read = pacsv.ReadOptions(block_size=max(1 << 16, min(part.batch_rows * 32, 1 << 26)))
    conv = pacsv.ConvertOptions(include_columns=list(part.columns),
                                column_types={c: pa.string() for c in part.columns})
    try:
        reader = pacsv.open_csv(part.path, read_options=read, convert_options=conv)
        offset = 0
        for batch in reader:
            yield offset, batch
            offset += batch.num_rows
    except pa.ArrowInvalid as exc:
        raise ValidationFailed.one("FILE", f"malformed CSV: {exc}") from None
