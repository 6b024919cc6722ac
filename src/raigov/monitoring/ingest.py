"""Files to counts, streamed in batches (bounded memory once the spec is fixed): the reference profile of a new
monitor, and a window's counts on the monitor's bins (the same JSON the API takes: windows.check_counts).

A window is counted as the evaluation engine counts its files (`evaluation/backends.py`): a map (one batch to
its :class:`WindowStats`) and a reduce (``+``, an exact integer merge), run in-process (``local``, streaming) or
as a Dask graph over the file's partitions (``dask``: a LocalCluster unless a scheduler address is given); the
counts are the same integers either way."""

from __future__ import annotations

import os
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


def flags(arr, column: str, offset: int) -> np.ndarray:
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
    score: str | None = None

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
        y = flags(batch.column(ws.label), ws.label, offset)
        p = flags(batch.column(ws.prediction), ws.prediction, offset)
        g = (to_text(batch.column(ws.group)).fill_null("").to_pylist() if ws.group else [""] * batch.num_rows)
        keep = ~(np.isnan(y) | np.isnan(p))
        score = None
        if ws.score:
            score = check_scores(batch.column(ws.score), ws.score, offset, keep, ws.spec.score_edges)
        if keep.any():
            prof.add_outcomes(WINDOW, np.asarray(g, dtype=object)[keep], y[keep] == 1, p[keep] == 1,
                              None if score is None else score[keep])
    return WindowStats(prof)


def check_scores(arr, column: str, offset: int, labelled: np.ndarray, edges) -> np.ndarray:
    """The scores of a batch as floats: every labelled row (label and prediction present) needs one, inside the
    monitor's score bins (``spec.score_edges``, [0, 1] by default); errors name the column and 1-based row."""
    s = to_float(arr, column, offset)
    bad = labelled & np.isnan(s)
    if bad.any():
        raise ValidationFailed.one(column, f"row {offset + int(np.argmax(bad)) + 1}: a labelled row has no score",
                                   "missing")
    out = labelled & ((s < edges[0]) | (s > edges[-1]))
    if out.any():
        i = int(np.argmax(out))
        raise ValidationFailed.one(column, f"row {offset + i + 1}: score {s[i]!r} outside the monitor's score bins "
                                   f"[{edges[0]:g}, {edges[-1]:g}]")
    return s


def empty_window(spec: Spec) -> WindowStats:
    return WindowStats(Profile(spec))


def check_backend(backend: str) -> None:
    if backend not in BACKENDS:
        raise ValidationFailed.one("--backend", f"unknown backend {backend!r} (local or dask)")


OUTCOME_COLUMNS = ("group", "label", "prediction", "score", "record_id")


def window_columns(config: dict, names: Sequence[str], record_id: str | None = None,
                   score: str | None = None) -> dict:
    """The monitor's columns a window file gives (``record_id`` and ``score`` override the monitor's for this
    file): ``{"group", "label", "prediction", "score", "record_id", "labels": "file" | "later" | None}``. When the
    monitor names a record-id column and the file has no label column, the labels come later (``raigov monitor
    labels``): the window is counted without outcomes, its prediction and score columns must still be there."""
    cols = {k: config.get(k) or None for k in OUTCOME_COLUMNS}
    if record_id is not None:
        cols["record_id"] = record_id
    if score is not None:
        cols["score"] = score
    if (cols["score"] or cols["record_id"]) and not (cols["label"] and cols["prediction"]):
        raise ValidationFailed.one("--score" if cols["score"] else "--record-id",
                                   "the monitor has no label and prediction columns: scores and record ids go with "
                                   "outcomes (create the monitor with --label and --prediction)")
    cols["labels"] = None
    if cols["label"] and cols["prediction"]:
        cols["labels"] = "later" if cols["record_id"] and cols["label"] not in names else "file"
    return cols


def file_info(config: dict, path: str, record_id: str | None = None, score: str | None = None,
              time_column: str | None = None) -> dict:
    """What a window keeps of its file: name, size, SHA-256 (streamed), the columns it was counted with, and
    whether its labels were in it (``labels`` "file") or come later ("later", joined by the record id)."""
    src = Source(path)
    cols = window_columns(config, src.names, record_id, score)
    return {"name": os.path.basename(path)[:300], "bytes": os.path.getsize(path), "sha256": src.sha256(),
            **{k: cols[k] for k in ("record_id", "score", "label", "prediction", "group", "labels")},
            "time_column": time_column}


def sha256(path: str) -> str:
    """The SHA-256 of a CSV or Parquet file (streamed)."""
    return Source(path).sha256()


def window_plan(spec: Spec, config: dict, src: Source, record_id: str | None = None, score: str | None = None,
                more: dict | None = None) -> tuple[WindowSpec, list[str]]:
    """The columns a window file must have (every one missing is named) and what is read to count it."""
    feats = [f.name for f in spec.features]
    cols = window_columns(config, src.names, record_id, score)
    need = {k: cols[k] for k in OUTCOME_COLUMNS if cols[k] and not (k == "label" and cols["labels"] == "later")}
    src.require({"the monitor's features": feats, **{f"the monitor's {k.replace('_', '-')} column": v
                                                      for k, v in need.items()}, **(more or {})})
    ws = (WindowSpec(spec, cols["group"], cols["label"], cols["prediction"], cols["score"])
          if cols["labels"] == "file" else WindowSpec(spec))
    read = [*feats, *([c for c in (ws.group, ws.label, ws.prediction, ws.score) if c] if ws.outcomes else []),
            *[c for c in (more or {}).values() if isinstance(c, str)]]
    return ws, list(dict.fromkeys(read))


def window_counts(spec: Spec, config: dict, path: str, backend: str = "local", scheduler: str | None = None,
                  runner: DaskRunner | None = None, record_id: str | None = None, score: str | None = None,
                  progress=None) -> dict:
    """The window's counts from a CSV or Parquet file: ``{"rows", "features", "outcomes"}`` (and ``"scores"``
    when the monitor has a score column). The file must hold every feature of the monitor (and its group, label,
    prediction, score and record-id columns when the monitor names them; the label column may be missing when
    the labels come later, see window_columns). ``backend`` "local" streams the batches in this process; "dask"
    counts the file's partitions on a Dask cluster (``runner``, or a LocalCluster unless ``scheduler``) and
    merges them: the same counts."""
    check_backend(backend)
    src = Source(path)
    feats = [f.name for f in spec.features]
    ws, read = window_plan(spec, config, src, record_id, score)
    stats = run(src, read, bind(map_window_batch, ws), backend=backend, scheduler=scheduler,
                zero_fn=bind(empty_window, spec), runner=runner, progress=progress)
    prof = stats.profile
    counts = {f: prof.feature_counts(WINDOW, f).tolist() for f in feats}
    rows = sum(counts[feats[0]])
    if rows == 0:
        raise ValidationFailed.one("FILE", "the window is empty (0 rows)", "empty")
    body = {"rows": rows, "features": counts, **outcome_counts(prof, WINDOW, bool(ws.score))}
    return body


def outcome_counts(prof: Profile, window: str, scores: bool) -> dict:
    """A window's outcomes per group ``[tp, fp, fn, tn]`` and, with scores, its score-bin counts per group
    ``{"positive": [...], "negative": [...]}`` (labels 1 and 0) on the spec's score bins."""
    out = {"outcomes": {g: v.tolist() for (w, g, _), v in sorted(prof.confusion.items()) if w == window}}
    if scores:
        nb = len(prof.spec.score_edges) - 1
        out["scores"] = {g: {"positive": prof.scores.get((window, g, "1"), np.zeros(nb, np.int64)).tolist(),
                             "negative": prof.scores.get((window, g, "0"), np.zeros(nb, np.int64)).tolist()}
                         for g in out["outcomes"]}
    return out


def file_window(spec: Spec, config: dict, path: str, comparisons: str | None = None, columns: dict | None = None,
                backend: str = "local", scheduler: str | None = None, runner: DaskRunner | None = None,
                record_id: str | None = None, score: str | None = None, progress=None) -> dict:
    """A window's body (the API's JSON) from its file, and on a face-recognition monitor (``config.biometric``)
    from its raw comparisons (``columns``: comparisons.columns) at the monitor's threshold. With the dask
    backend and no ``runner``, one cluster counts both files."""
    check_backend(backend)
    mapping = comparison_columns(**(columns or {})) if comparisons is not None else None
    own = DaskRunner(scheduler) if backend == "dask" and runner is None else None
    try:
        body = window_counts(spec, config, path, backend, scheduler, runner or own, record_id, score, progress)
        if comparisons is not None:
            body["biometric"] = comparison_counts(comparisons, config["biometric"]["threshold"], mapping, backend,
                                                  scheduler, runner or own)
    finally:
        if own is not None:
            own.close()
    return body

