"""Orchestration: file -> validated partitions -> merged statistics -> results.

This is the one place that combines :mod:`io`, :mod:`backends` and the metric modules; the CLI and
(later) the web/evidence layer call these functions.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from raigov.errors import ValidationFailed
from raigov.evaluation.backends import DaskRunner, bind, bind_args, run
from raigov.evaluation.biometric import (
    BiometricResult,
    CalibrationStats,
    au_fdr_targets,
    fmr_ladder,
    ladder_bins,
    map_biometric_batch,
    map_calibration_batch,
    map_ladder_batch,
    threshold_from_tail,
    thresholds_at_targets,
)
from raigov.evaluation.classifier import ClassifierResult, ClassifierSpec, map_classifier_batch
from raigov.evaluation.io import Source
from raigov.evaluation.stats import HIST_BITS, BinValues, ScoreHistogram, ScoreStats


def json_safe(obj: Any) -> Any:
    """Recursively replace NaN/±inf by None and numpy scalars by Python ones (valid JSON)."""
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [json_safe(v) for v in obj.tolist()]
    if isinstance(obj, (np.floating, float)):
        f = float(obj)
        return f if math.isfinite(f) else None
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def run_classifier(
    path,
    spec: ClassifierSpec,
    backend: str = "local",
    scheduler: str | None = None,
    progress=None,
    zero_division: float = 0.0,
    runner: DaskRunner | None = None,
    fmt: str | None = None,
    batch_rows: int | None = None,
) -> tuple[ClassifierResult, dict[str, Any]]:
    """Evaluate a classifier file. Returns the result and a data summary (rows, file SHA-256)."""
    source = Source(path, fmt=fmt, **({"batch_rows": batch_rows} if batch_rows else {}))
    source.require(spec.flags())
    stats = run(source, spec.columns, bind(map_classifier_batch, spec), backend=backend, scheduler=scheduler,
                progress=progress, zero_fn=spec.zero, runner=runner)
    result = ClassifierResult(stats, zero_division)
    data = {"file": str(path), "format": source.fmt, "rows": int(stats.counts.sum()), "sha256": source.sha256(),
            "backend": backend}
    return result, data


def run_biometric(
    path,
    spec,
    threshold: float | None = None,
    target_fmr: float | None = None,
    grid=None,
    grid_points: int = 0,
    alpha: float = 0.5,
    zero_rule: str = "upper-bound",
    ci_method: str = "wilson",
    confidence: float = 0.95,
    bootstrap: int = 0,
    seed: int = 0,
    au_fdr_range: tuple[float, float] | None = None,
    au_fdr_points: int = 0,
    backend: str = "local",
    scheduler: str | None = None,
    progress=None,
    runner: DaskRunner | None = None,
    fmt: str | None = None,
    batch_rows: int | None = None,
    hash_file: bool = True,
):
    """Evaluate a biometric score file at one global threshold (given, or at a target FMR).

    Pass 1 (only with ``target_fmr``, ``grid_points`` or ``au_fdr_range``): totals, score range and
    the exact top-k impostor tail, from which the threshold is set (and, for AU-FDR, a coarse key
    histogram of the impostor scores). Pass 1b (AU-FDR only): the exact impostor scores of the few
    histogram bins that decide the thresholds at the FMR-target ladder. Pass 2: per-group counts on
    the grid, at the ladder and at the operating threshold, per-subject counts, cross-group matrix,
    crossed-bootstrap replicate counts. Every pass is a map/merge run on the chosen backend.

    ``au_fdr_range=(lo, hi)``, ``au_fdr_points``: the FMR-target ladder of AU-FDR (see
    :func:`~raigov.evaluation.biometric.au_fdr_targets`). ``spec.bootstrap_design="crossed"`` (with
    ``spec.ref_subject``) selects the crossed probe x reference bootstrap.

    Long because the passes share the same spec, partitions and intermediate statistics; each pass is a
    short block commented with what it computes."""
    import dataclasses

    if (threshold is None) == (target_fmr is None):
        raise ValidationFailed.one("--threshold", "give exactly one of --threshold or --target-fmr")
    if target_fmr is not None and not (0 < target_fmr < 1):
        raise ValidationFailed.one("--target-fmr", "must be between 0 and 1")
    if threshold is not None and not math.isfinite(threshold):
        raise ValidationFailed.one("--threshold", "must be a finite number")
    if not (0 <= alpha <= 1):
        raise ValidationFailed.one("--alpha", "must be between 0 and 1")
    if bootstrap < 0:
        raise ValidationFailed.one("--bootstrap", "must be 0 or more")
    targets: tuple[float, ...] = ()
    if au_fdr_range is not None:
        lo, hi = (float(v) for v in au_fdr_range)
        if not (math.isfinite(lo) and math.isfinite(hi) and 0 < lo < hi < 1):
            raise ValidationFailed.one("--au-fdr-range", "give two FMR targets LO HI with 0 < LO < HI < 1")
        if au_fdr_points == 1 or au_fdr_points < 0:
            raise ValidationFailed.one("--au-fdr-points", "give 0 (one per decade) or at least 2")
        targets = au_fdr_targets(lo, hi, au_fdr_points)
    spec = dataclasses.replace(spec, bootstrap=bootstrap if spec.bootstrap_design == "crossed" else 0, seed=seed)
    spec.validate()
    source = Source(path, fmt=fmt, **({"batch_rows": batch_rows} if batch_rows else {}))
    source.require(spec.flags())
    cols = spec.columns

    def own_runner():
        return runner if runner is not None or backend != "dask" else DaskRunner(scheduler)

    r = own_runner()
    try:
        rule: dict[str, Any] = {"rule": "fixed", "threshold": threshold}
        calib = None
        passes = 1
        ladder: list[float] = []
        if target_fmr is not None or grid_points or targets:
            k = 0
            if target_fmr is not None:
                k = math.floor(target_fmr * source.num_rows) + 2 if source.num_rows else 10_000
            spec1 = dataclasses.replace(spec, thresholds=(), operating=(), tail_k=max(k, 1),
                                        hist_bits=HIST_BITS if targets else 0)

            def calib_zero():
                return CalibrationStats(ScoreStats.zero((), [], spec1.tail_k),
                                        ScoreHistogram.zero(spec1.hist_bits) if spec1.hist_bits else None)

            cal = run(source, cols, bind(map_calibration_batch, spec1), backend=backend, progress=progress,
                      zero_fn=calib_zero, runner=r)
            calib, hist = cal.scores, cal.hist
            passes += 1
            n_imp = calib.n_impostor_total
            if target_fmr is not None:
                if n_imp == 0:
                    raise ValidationFailed.one(spec.genuine, "no impostor comparisons to set the threshold on")
                try:
                    threshold = threshold_from_tail(calib.imp_top_scores, n_imp, target_fmr)
                except ValueError:  # tail too short (CSV: row count unknown up front): one more pass
                    spec_tail = dataclasses.replace(spec1, tail_k=math.floor(target_fmr * n_imp) + 2,
                                                    hist_bits=0)
                    calib = run(source, cols, bind(map_calibration_batch, spec_tail), backend=backend,
                                progress=progress, runner=r).scores
                    passes += 1
                    threshold = threshold_from_tail(calib.imp_top_scores, n_imp, target_fmr)
                achieved = int((calib.imp_top_scores >= threshold).sum())
                rule = {"rule": "target-fmr", "target_fmr": target_fmr, "threshold": threshold,
                        "achieved_fmr": achieved / n_imp, "false_matches": achieved,
                        "calibration_impostors": n_imp, "tail_k": int(calib.tail_k),
                        "method": "smallest observed impostor score u with #(s>=u) <= target*N (bob.measure)"}
            if targets and n_imp > 0:
                bins = tuple(sorted({b for t in targets for b in ladder_bins(hist.counts, t)}))
                gathered = run(source, cols, bind_args(map_ladder_batch, spec1, bins), backend=backend,
                               progress=progress, zero_fn=lambda: BinValues.zero(bins, spec1.hist_bits), runner=r)
                passes += 1
                ladder = thresholds_at_targets(hist, gathered, targets)
        grid_values = [] if grid is None else list(np.asarray(grid, dtype=np.float64).ravel())
        if grid_points and calib is not None and math.isfinite(calib.score_min):
            lo, hi = calib.score_min, calib.score_max
            grid_values += list(np.linspace(lo, hi, grid_points))
            grid_values += fmr_ladder(calib.imp_top_scores, calib.n_impostor_total)
        thresholds = tuple(np.unique(np.asarray(grid_values + ladder + [threshold], dtype=np.float64)).tolist())
        operating = [float(threshold)]
        if ladder and bootstrap > 0 and spec.subject:  # per-subject counts at the ladder: AU-FDR bootstrap
            operating += ladder
        operating = tuple(np.unique(np.asarray(operating, np.float64)).tolist())
        spec2 = dataclasses.replace(spec, thresholds=thresholds, operating=operating, tail_k=0, hist_bits=0)
        stats = run(source, cols, bind(map_biometric_batch, spec2), backend=backend, progress=progress,
                    zero_fn=spec2.zero, runner=r)
    finally:
        if r is not None and r is not runner:
            r.close()
    result = BiometricResult(spec2, stats, float(threshold), rule, alpha=alpha, zero_rule=zero_rule,
                             ci_method=ci_method, confidence=confidence, bootstrap=bootstrap, seed=seed,
                             au_fdr_targets=targets, au_fdr_thresholds=tuple(ladder))
    s = stats.scores
    data = {"file": str(path), "format": source.fmt, "rows": int(s.n.sum() + s.failed.sum()),
            "groups": int(result.observed().sum()), "group_columns": list(spec.groups),
            "sha256": source.sha256() if hash_file else None, "backend": backend,
            "passes": passes}
    return result, data
