"""Files to counts, streamed in batches (bounded memory once the spec is fixed): the reference profile of a new
monitor, and a window's counts on the monitor's bins (the same JSON the API takes: windows.check_counts).

A window is counted as the evaluation engine counts its files (`evaluation/backends.py`): a map (one batch to
its :class:`WindowStats`) and a reduce (``+``, an exact integer merge), run in-process (``local``, streaming) or
as a Dask graph over the file's partitions (``dask``: a LocalCluster unless a scheduler address is given); the
counts are the same integers either way."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from raigov.errors import ValidationFailed
from raigov.evaluation.backends import BACKENDS, DaskRunner, bind, run
from raigov.evaluation.io import Source
from raigov.monitoring.columns import to_float, to_text
from raigov.monitoring.comparisons import columns as comparison_columns
from raigov.monitoring.comparisons import comparison_counts
from raigov.monitoring.fit import fit_reference
from raigov.monitoring.profile import Profile, Spec

WINDOW = "window"


def reference_profile(path: str, numeric: Sequence[str], categorical: Sequence[str], bins: int = 10,
                      top_k: int = 20) -> tuple[Spec, dict[str, list[int]], int]:
    """(spec, counts per feature, rows) of the reference file."""
    if not numeric and not categorical:
        raise ValidationFailed.one("numeric", "name at least one numeric or categorical feature")
    both = [*numeric, *categorical]
    if len(set(both)) != len(both):
        raise ValidationFailed.one("numeric", "a column is named twice")
    if not 1 <= bins <= 1000:
        raise ValidationFailed.one("bins", "must be between 1 and 1000")
    src = Source(path)
    src.require({"numeric": list(numeric), "categorical": list(categorical)})
    spec, fitted = fit_reference(src, numeric, categorical, bins=bins, top_k=top_k)
    counts = {f.name: fitted[f.name].tolist() for f in spec.features}
    rows = sum(counts[spec.features[0].name])
    if rows == 0:
        raise ValidationFailed.one("reference", "the reference file has no rows", "empty")
    return spec, counts, rows


def _flags(arr, column: str, offset: int) -> np.ndarray:
    """0/1 (or false/true) values as floats 0, 1; NaN when missing."""
    try:
        return to_float(arr, column, offset)
    except ValidationFailed:
        text = to_text(arr).to_pylist()
        words = {"true": 1.0, "false": 0.0, "yes": 1.0, "no": 0.0}
        out = []
        for i, v in enumerate(text):
            if v is None:
                out.append(np.nan)
            elif v.lower() in words:
                out.append(words[v.lower()])
            else:
                raise ValidationFailed.one(column, f"row {offset + i + 1}: {v!r} is not 0/1 or true/false") from None
        return np.array(out)


@dataclass(frozen=True)
class WindowSpec:
    """What a worker needs to count a window's batch (picklable: a frozen spec and column names)."""

    spec: Spec
    group: str | None = None
    label: str | None = None
    prediction: str | None = None

    @property
    def outcomes(self) -> bool:
        return bool(self.label and self.prediction)


@dataclass
class WindowStats:
    """A window's counts so far (a :class:`Profile`); ``+`` merges two exactly (integer sums)."""

    profile: Profile

    def __add__(self, other: WindowStats) -> WindowStats:
        return WindowStats(self.profile.merge(other.profile))


def map_window_batch(ws: WindowSpec, offset: int, batch) -> WindowStats:
    """One batch of a window's rows counted on the monitor's bins (and its outcomes, when the monitor has them)."""
    prof = Profile(ws.spec)
    prof.add_batch(batch, WINDOW, None, offset)
    if ws.outcomes:
        y = _flags(batch.column(ws.label), ws.label, offset)
        p = _flags(batch.column(ws.prediction), ws.prediction, offset)
        g = (to_text(batch.column(ws.group)).fill_null("").to_pylist() if ws.group else [""] * batch.num_rows)
        keep = ~(np.isnan(y) | np.isnan(p))
        if keep.any():
            prof.add_outcomes(WINDOW, np.asarray(g, dtype=object)[keep], y[keep] == 1, p[keep] == 1)
    return WindowStats(prof)


def empty_window(spec: Spec) -> WindowStats:
    return WindowStats(Profile(spec))


def check_backend(backend: str) -> None:
    if backend not in BACKENDS:
        raise ValidationFailed.one("--backend", f"unknown backend {backend!r} (local or dask)")


def window_counts(spec: Spec, config: dict, path: str, backend: str = "local", scheduler: str | None = None,
                  runner: DaskRunner | None = None) -> dict:
    """The window's counts from a CSV or Parquet file: ``{"rows", "features", "outcomes"}``. The file must hold
    every feature of the monitor (and its group, label and prediction columns when the monitor names them).
    ``backend`` "local" streams the batches in this process; "dask" counts the file's partitions on a Dask
    cluster (``runner``, or a LocalCluster unless ``scheduler``) and merges them: the same counts."""
    check_backend(backend)
    src = Source(path)
    feats = [f.name for f in spec.features]
    extra = {k: config.get(k) for k in ("group", "label", "prediction") if config.get(k)}
    src.require({"the monitor's features": feats, **{f"the monitor's {k} column": v for k, v in extra.items()}})
    ws = WindowSpec(spec, **extra) if {"label", "prediction"} <= set(extra) else WindowSpec(spec)
    cols = [*feats, *(extra.values() if ws.outcomes else [])]
    stats = run(src, list(dict.fromkeys(cols)), bind(map_window_batch, ws), backend=backend, scheduler=scheduler,
                zero_fn=bind(empty_window, spec), runner=runner)
    prof = stats.profile
    counts = {f: prof.feature_counts(WINDOW, f).tolist() for f in feats}
    rows = sum(counts[feats[0]])
    if rows == 0:
        raise ValidationFailed.one("FILE", "the window is empty (0 rows)", "empty")
    outcomes = {g: v.tolist() for (_, g, _), v in sorted(prof.confusion.items())}
    return {"rows": rows, "features": counts, "outcomes": outcomes}


def file_window(spec: Spec, config: dict, path: str, comparisons: str | None = None, columns: dict | None = None,
                backend: str = "local", scheduler: str | None = None, runner: DaskRunner | None = None) -> dict:
    """A window's body (the API's JSON) from its file, and on a face-recognition monitor (``config.biometric``)
    from its raw comparisons (``columns``: comparisons.columns) at the monitor's threshold. With the dask
    backend and no ``runner``, one cluster counts both files."""
    check_backend(backend)
    mapping = comparison_columns(**(columns or {})) if comparisons is not None else None
    own = DaskRunner(scheduler) if backend == "dask" and runner is None else None
    try:
        body = window_counts(spec, config, path, backend, scheduler, runner or own)
        if comparisons is not None:
            body["biometric"] = comparison_counts(comparisons, config["biometric"]["threshold"], mapping, backend,
                                                  scheduler, runner or own)
    finally:
        if own is not None:
            own.close()
    return body
