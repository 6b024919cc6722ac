"""Labels that arrive later, joined to a window's file by record id, in bounded memory.

raigov keeps no record-level data: a window keeps its counts and the SHA-256 of the file it was counted from.
When the labels come, the operator gives the labels file (a record id and a 0/1 label per row) and the window's
file again; the service checks that file's digest against the one kept at ingest, then this module joins the
two by record id and counts the window's outcomes ``[tp, fp, fn, tn]`` per group and, with a score column, its
labelled rows per score bin.

The join is a **partitioned hash join**: both files are read once in batches and each row goes to one of K
buckets by a hash of its record id (K = 1 while the larger file is under ``BUCKET_BYTES``: then the buckets stay
in memory; past it each bucket is an Arrow IPC file in a temporary folder), then each bucket (about 1/K of each
file) is joined on its own. Memory is bounded by a batch and a bucket, whatever the files' sizes.

Refused, naming the column and the 1-based data row (nothing is written): a label that is not 0/1 (or
true/false), a missing id or label, an id given twice in the labels file or in the window, an id of the labels
file that is not a record of the window (with a time column: of this window's period), a labelled row without a
score (or one outside the monitor's score bins). A record of the window without a label is left out of the
outcomes (labels may come for part of the window); a labelled record without a prediction too.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc

from raigov.evaluation.io import Source, bad_value
from raigov.monitoring.batches import in_period
from raigov.monitoring.columns import to_float, to_text
from raigov.monitoring.ingest import WINDOW, flags, outcome_counts
from raigov.monitoring.profile import Profile, Spec

BUCKET_BYTES = 256 << 20
LABELS = pa.schema([("id", pa.string()), ("y", pa.int8()), ("row", pa.int64())])
RECORDS = pa.schema([("id", pa.string()), ("p", pa.float64()), ("s", pa.float64()), ("g", pa.string()),
                     ("row", pa.int64())])


@dataclass(frozen=True)
class JoinColumns:
    """The labels file's id and label columns; the window file's record-id, prediction, score (optional), group
    (optional) and time (optional, with the window's period) columns."""

    label_id: str
    label: str
    record_id: str
    prediction: str
    score: str | None = None
    group: str | None = None
    time_column: str | None = None
    period: tuple[dt.date, dt.date] | None = None


def _ids(arr, column: str, offset: int) -> pa.Array:
    ids = to_text(arr)
    if ids.null_count:
        i = int(np.flatnonzero(np.asarray(ids.is_null().to_numpy(zero_copy_only=False)))[0])
        raise bad_value(column, offset + i + 1, "missing record id", "missing")
    return ids


def _labels01(arr, column: str, offset: int) -> np.ndarray:
    y = flags(arr, column, offset)
    bad = np.isnan(y) | ~np.isin(y, (0.0, 1.0))
    if bad.any():
        i = int(np.argmax(bad))
        what = "missing label" if np.isnan(y[i]) else f"label {to_text(arr)[i].as_py()!r} is not 0/1"
        raise bad_value(column, offset + i + 1, what, "invalid-label")
    return y.astype(np.int8)


class _Buckets:
    """K buckets of Arrow tables: in memory (K = 1) or as IPC files in a temporary folder."""

    def __init__(self, k: int, schema: pa.Schema, folder: str | None, name: str):
        self.k, self.schema = k, schema
        self.parts: list[list[pa.RecordBatch]] = [[] for _ in range(k)] if folder is None else []
        self.paths = [os.path.join(folder, f"{name}-{i}.arrow") for i in range(k)] if folder else []
        self.writers = [ipc.new_file(p, schema) for p in self.paths]

    def add(self, batch: pa.RecordBatch) -> None:
        h = _bucket(batch.column(0), self.k) if self.k > 1 else np.zeros(batch.num_rows, np.int64)
        for i in range(self.k):
            part = batch.filter(pa.array(h == i)) if self.k > 1 else batch
            if part.num_rows:
                if self.parts:
                    self.parts[i].append(part)
                else:
                    self.writers[i].write_batch(part)

    def table(self, i: int) -> pa.Table:
        if self.parts:
            return pa.Table.from_batches(self.parts[i], self.schema)
        if self.writers:
            for w in self.writers:
                w.close()
            self.writers = []
        with pa.memory_map(self.paths[i]) as src:
            return ipc.open_file(src).read_all()


def _bucket(ids: pa.Array, k: int) -> np.ndarray:
    """A bucket per id (a hash of the id's text; the same in both files within this process)."""
    enc = pc.dictionary_encode(ids)
    lut = np.array([hash(v) % k for v in enc.dictionary.to_pylist()], dtype=np.int64)
    return lut[enc.indices.to_numpy(zero_copy_only=False)]


def _duplicate(ids: pa.Array, rows: np.ndarray, column: str, where: str) -> None:
    vc = pc.value_counts(ids)
    twice = pc.filter(vc.field("values"), pc.greater(vc.field("counts"), 1))
    if len(twice):
        at = np.sort(rows[np.asarray(pc.is_in(ids, twice).to_numpy(zero_copy_only=False))])
        first = ids[int(np.flatnonzero(rows == at[0])[0])].as_py()
        same = rows[np.asarray(pc.equal(ids, first).to_numpy(zero_copy_only=False))]
        raise bad_value(column, int(at[0]), f"record id {first!r} appears more than once in {where} (rows "
                        f"{', '.join(str(int(r)) for r in np.sort(same)[:5])})", "duplicate-id")


def join_counts(spec: Spec, window_path: str, labels_path: str, cols: JoinColumns,
                bucket_bytes: int = BUCKET_BYTES) -> dict:
    """The window's ``{"outcomes", "scores"?}`` from its file and the labels file, and what was joined:
    ``{"labels": rows of the labels file, "records": records of the window, "labelled": outcomes counted,
    "no_prediction": labelled records without a prediction}``."""
    lsrc, wsrc = Source(labels_path), Source(window_path)
    lsrc.require({"--id": cols.label_id, "--label": cols.label})
    wsrc.require({"the window's record-id column": cols.record_id, "the monitor's prediction column": cols.prediction,
                  **({"the monitor's score column": cols.score} if cols.score else {}),
                  **({"the monitor's group column": cols.group} if cols.group else {}),
                  **({"the window's time column": cols.time_column} if cols.time_column else {})})
    size = max(os.path.getsize(labels_path), os.path.getsize(window_path))
    k = max(1, -(-size // bucket_bytes))
    with tempfile.TemporaryDirectory(prefix="raigov-labels-") if k > 1 else _nothing() as folder:
        lb, wb = _Buckets(k, LABELS, folder, "labels"), _Buckets(k, RECORDS, folder, "records")
        n_labels = n_records = 0
        for offset, batch in lsrc.batches([cols.label_id, cols.label]):
            ids = _ids(batch.column(cols.label_id), cols.label_id, offset)
            y = _labels01(batch.column(cols.label), cols.label, offset)
            rows = np.arange(offset + 1, offset + batch.num_rows + 1, dtype=np.int64)
            lb.add(pa.record_batch([ids, pa.array(y, pa.int8()), pa.array(rows)], schema=LABELS))
            n_labels += batch.num_rows
        read = [c for c in (cols.record_id, cols.prediction, cols.score, cols.group, cols.time_column) if c]
        for offset, batch in wsrc.batches(list(dict.fromkeys(read))):
            keep = np.ones(batch.num_rows, bool)
            if cols.time_column:
                keep = in_period(batch.column(cols.time_column), cols.time_column, offset, *cols.period)
            ids = _ids(batch.column(cols.record_id), cols.record_id, offset)
            p = flags(batch.column(cols.prediction), cols.prediction, offset)
            s = _score_floats(batch, cols.score, offset)
            g = to_text(batch.column(cols.group)).fill_null("") if cols.group else pa.array([""] * batch.num_rows)
            rows = np.arange(offset + 1, offset + batch.num_rows + 1, dtype=np.int64)
            rb = pa.record_batch([ids, pa.array(p), pa.array(s), g, pa.array(rows)], schema=RECORDS)
            if not keep.all():
                rb = rb.filter(pa.array(keep))
            wb.add(rb)
            n_records += rb.num_rows
        prof, labelled, no_pred = Profile(spec), 0, 0
        for i in range(k):
            lt, wt = lb.table(i), wb.table(i)
            lid, wid = lt.column("id").combine_chunks(), wt.column("id").combine_chunks()
            _duplicate(lid, lt.column("row").to_numpy(), cols.label_id, "the labels file")
            _duplicate(wid, wt.column("row").to_numpy(), cols.record_id, "the window's file")
            at = np.asarray(pc.index_in(lid, value_set=wid).fill_null(-1).to_numpy(zero_copy_only=False))
            if (at < 0).any():
                lrows = lt.column("row").to_numpy()
                j = int(np.argmin(np.where(at < 0, lrows, np.iinfo(np.int64).max)))
                period = (f" of the window {cols.period[0].isoformat()} to {cols.period[1].isoformat()}"
                          if cols.period and cols.time_column else "")
                raise bad_value(cols.label_id, int(lrows[j]), f"record id {lid[j].as_py()!r} is not a record of the "
                                f"window's file{period}", "unknown-id")
            y = lt.column("y").to_numpy()
            p = wt.column("p").to_numpy()[at]
            has = ~np.isnan(p)
            no_pred += int((~has).sum())
            if not has.any():
                continue
            s = None
            if cols.score:
                s = wt.column("s").to_numpy()[at][has]
                _check_joined_scores(s, wt.column("row").to_numpy()[at][has], cols.score, spec.score_edges)
            g = np.asarray(wt.column("g").to_pylist(), dtype=object)[at][has]
            prof.add_outcomes(WINDOW, g, y[has] == 1, p[has] == 1, s)
            labelled += int(has.sum())
    out = outcome_counts(prof, WINDOW, bool(cols.score))
    out.update(labels=n_labels, records=n_records, labelled=labelled, no_prediction=no_pred)
    return out


def _score_floats(batch, column: str | None, offset: int) -> np.ndarray:
    if not column:
        return np.full(batch.num_rows, np.nan)
    return to_float(batch.column(column), column, offset)


def _check_joined_scores(s: np.ndarray, rows: np.ndarray, column: str, edges) -> None:
    bad = np.isnan(s) | (s < edges[0]) | (s > edges[-1])
    if bad.any():
        j = int(np.argmin(np.where(bad, rows, np.iinfo(np.int64).max)))
        what = ("a labelled record has no score" if np.isnan(s[j])
                else f"score {s[j]!r} outside the monitor's score bins [{edges[0]:g}, {edges[-1]:g}]")
        raise bad_value(column, int(rows[j]), what, "invalid")


class _nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False
