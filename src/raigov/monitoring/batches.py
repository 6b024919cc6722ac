"""One file split into windows by a time column, streamed: each row's day (from the time column) falls in one
period of the monitor's cadence, and the rows of a batch are counted per period on the monitor's bins (a
:class:`Profile` keyed by the period's first day), so the counts of every window come from one read of the
file, locally or on Dask (the counts merge exactly).

The periods: **daily** one day; **weekly** seven days counted from the monitor's start day (``starts_on``,
``starts_on + 7``, ...; a day before it belongs to the period counted backwards); **monthly** a calendar month.
A row's day is the first ten characters of its time value as written (``YYYY-MM-DD``, then anything: a time, an
offset; the offset is not applied) or, for a date or timestamp column (Parquet), its date. A row without a
parsable time (missing, blank, not ``YYYY-MM-DD``, not a calendar day) is refused with its 1-based row number
(the first ten of them and how many), naming the column; nothing is written then.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from raigov.errors import ValidationFailed
from raigov.evaluation.backends import DaskRunner, bind, run
from raigov.evaluation.io import Source, bad_value
from raigov.monitoring.columns import to_text
from raigov.monitoring.ingest import (
    WindowSpec,
    WindowStats,
    check_backend,
    check_scores,
    empty_window,
    flags,
    outcome_counts,
    window_plan,
)
from raigov.monitoring.profile import Profile, Spec

DAY_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"


def to_days(arr, column: str, offset: int = 0) -> np.ndarray:
    """Each row's day as ``datetime64[D]``; raises naming the column and the rows without a parsable time."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if pa.types.is_timestamp(arr.type) or pa.types.is_date(arr.type):
        days = pc.cast(arr, pa.date32())
        ok = np.asarray(days.is_valid().to_numpy(zero_copy_only=False))
    else:
        text = pc.utf8_trim_whitespace(to_text(arr))
        ok = np.asarray(pc.fill_null(pc.match_substring_regex(text, DAY_RE), False).to_numpy(zero_copy_only=False))
        head = pc.utf8_slice_codeunits(text, 0, 10)
        vals = head.to_pylist() if not ok.all() else None
        if ok.all():
            try:
                days = pc.cast(head, pa.date32())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                vals = head.to_pylist()
        if vals is not None:  # some rows are not days: parse each, so that every bad row is named
            out = []
            for i, v in enumerate(vals):
                try:
                    out.append(dt.date.fromisoformat(v) if ok[i] else None)
                except (TypeError, ValueError):
                    ok[i] = False
                    out.append(None)
            days = pa.array(out, pa.date32())
    if not ok.all():
        bad = np.flatnonzero(~ok)
        rows = ", ".join(str(offset + int(i) + 1) for i in bad[:10])
        more = f" (and {bad.size - 10} more)" if bad.size > 10 else ""
        raise bad_value(column, offset + int(bad[0]) + 1,
                        f"no parsable time (YYYY-MM-DD...) in {bad.size} row{'s' if bad.size > 1 else ''}: rows "
                        f"{rows}{more}", "invalid-time")
    return np.asarray(days.to_numpy(zero_copy_only=False), dtype="datetime64[D]")


def period_starts(days: np.ndarray, cadence: str, starts_on: dt.date) -> np.ndarray:
    """The first day of each row's period (``datetime64[D]``)."""
    if cadence == "daily":
        return days
    if cadence == "weekly":
        origin = np.datetime64(starts_on.isoformat(), "D")
        k = np.floor_divide((days - origin).astype(np.int64), 7)
        return origin + (k * 7).astype("timedelta64[D]")
    if cadence == "monthly":
        return days.astype("datetime64[M]").astype("datetime64[D]")
    raise ValidationFailed.one("cadence", f"unknown cadence {cadence!r}")


def period_end(start: dt.date, cadence: str) -> dt.date:
    """The last day of the period that starts on ``start``."""
    if cadence == "daily":
        return start
    if cadence == "weekly":
        return start + dt.timedelta(days=6)
    nxt = dt.date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


@dataclass(frozen=True)
class TimeSpec:
    """What a worker needs to split a batch by period (picklable)."""

    window: WindowSpec
    time_column: str
    cadence: str
    starts_on: dt.date


def map_time_batch(ts: TimeSpec, offset: int, batch) -> WindowStats:
    """One batch counted per period of its rows' days: the profile's window key is the period's first day."""
    ws = ts.window
    starts = period_starts(to_days(batch.column(ts.time_column), ts.time_column, offset), ts.cadence, ts.starts_on)
    names, codes = np.unique(starts, return_inverse=True)
    labels = [str(d) for d in names]
    prof = Profile(ws.spec)
    prof.add_batch(batch, "", None, offset, windows=(labels, codes))
    if ws.outcomes:
        y = flags(batch.column(ws.label), ws.label, offset)
        p = flags(batch.column(ws.prediction), ws.prediction, offset)
        g = np.asarray(to_text(batch.column(ws.group)).fill_null("").to_pylist() if ws.group
                       else [""] * batch.num_rows, dtype=object)
        keep = ~(np.isnan(y) | np.isnan(p))
        score = check_scores(batch.column(ws.score), ws.score, offset, keep, ws.spec.score_edges) if ws.score else None
        for wi, w in enumerate(labels):
            m = keep & (codes == wi)
            if m.any():
                prof.add_outcomes(w, g[m], y[m] == 1, p[m] == 1, None if score is None else score[m])
    return WindowStats(prof)


def in_period(arr, column: str, offset: int, start: dt.date, end: dt.date) -> np.ndarray:
    """Which rows of a batch have their day in [start, end] (a bad time raises, as in the split)."""
    days = to_days(arr, column, offset)
    return (days >= np.datetime64(start.isoformat(), "D")) & (days <= np.datetime64(end.isoformat(), "D"))


def time_windows(spec: Spec, config: dict, path: str, time_column: str, cadence: str, starts_on: dt.date,
                 backend: str = "local", scheduler: str | None = None, runner: DaskRunner | None = None,
                 record_id: str | None = None, score: str | None = None,
                 progress=None) -> list[tuple[dt.date, dt.date, dict]]:
    """The windows of one file split by ``time_column`` on the monitor's cadence: ``(first day, last day, the
    window's counts as window_counts gives them)`` per period that has rows, in order; one read of the file.
    ``progress(rows done, rows in all)`` is called as the batches are counted (the CLI's progress bar)."""
    check_backend(backend)
    src = Source(path)
    ws, read = window_plan(spec, config, src, record_id, score, {"--time-column": time_column})
    stats = run(src, read, bind(map_time_batch, TimeSpec(ws, time_column, cadence, starts_on)), backend=backend,
                scheduler=scheduler, zero_fn=bind(empty_window, spec), runner=runner, progress=progress)
    prof = stats.profile
    periods = sorted({w for (w, _, _) in prof.features})
    if not periods:
        raise ValidationFailed.one("FILE", "the file is empty (0 rows)", "empty")
    feats = [f.name for f in spec.features]
    out = []
    for w in periods:
        counts = {f: prof.feature_counts(w, f).tolist() for f in feats}
        body = {"rows": sum(counts[feats[0]]), "features": counts, **outcome_counts(prof, w, bool(ws.score))}
        start = dt.date.fromisoformat(w)
        out.append((start, period_end(start, cadence), body))
    return out
