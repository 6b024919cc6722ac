"""Orchestration: file -> validated partitions -> merged statistics -> results.

This is the one place that combines :mod:`io`, :mod:`backends` and the metric modules; the CLI and
(later) the web/evidence layer call these functions.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from raigov.evaluation.backends import DaskRunner, bind, run
from raigov.evaluation.classifier import ClassifierResult, ClassifierSpec, map_classifier_batch
from raigov.evaluation.io import Source


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
    backend: str = "local",
    scheduler: str | None = None,
    progress=None,
    runner: DaskRunner | None = None,
    fmt: str | None = None,
    batch_rows: int | None = None,
    hash_file: bool = True,
):
    """Evaluate a biometric score file at one global threshold (given, or at a target FMR).

    Pass 1 (only with ``target_fmr`` or ``grid_points``): totals, score range and the exact top-k
    impostor tail, from which the threshold is set. Pass 2: per-group counts on the grid and at the
    operating threshold, per-subject counts, cross-group matrix. Both passes are map/merge runs on
    the chosen backend.
    """
    import dataclasses

    from raigov.errors import ValidationFailed
    from raigov.evaluation.biometric import (
        BiometricResult,
        fmr_ladder,
        map_biometric_batch,
        map_calibration_batch,
        threshold_from_tail,
    )
    from raigov.evaluation.stats import ScoreStats

    if (threshold is None) == (target_fmr is None):
        raise ValidationFailed.one("--threshold", "give exactly one of --threshold or --target-fmr")
    if target_fmr is not None and not (0 < target_fmr < 1):
        raise ValidationFailed.one("--target-fmr", "must be between 0 and 1")
    if threshold is not None and not math.isfinite(threshold):
        raise ValidationFailed.one("--threshold", "must be a finite number")
    if not (0 <= alpha <= 1):
        raise ValidationFailed.one("--alpha", "must be between 0 and 1")
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
        if target_fmr is not None or grid_points:
            k = 0
            if target_fmr is not None:
                k = int(math.floor(target_fmr * source.num_rows)) + 2 if source.num_rows else 10_000
            spec1 = dataclasses.replace(spec, thresholds=(), operating=(), tail_k=max(k, 1))
            calib = run(source, cols, bind(map_calibration_batch, spec1), backend=backend, progress=progress,
                        zero_fn=lambda: ScoreStats.zero((), [], spec1.tail_k), runner=r)
            n_imp = calib.n_impostor_total
            if target_fmr is not None:
                if n_imp == 0:
                    raise ValidationFailed.one(spec.genuine, "no impostor comparisons to set the threshold on")
                try:
                    threshold = threshold_from_tail(calib.imp_top_scores, n_imp, target_fmr)
                except ValueError:  # tail too short (CSV: row count unknown up front): one more pass
                    spec1 = dataclasses.replace(spec1, tail_k=int(math.floor(target_fmr * n_imp)) + 2)
                    calib = run(source, cols, bind(map_calibration_batch, spec1), backend=backend,
                                progress=progress, runner=r)
                    threshold = threshold_from_tail(calib.imp_top_scores, n_imp, target_fmr)
                achieved = int((calib.imp_top_scores >= threshold).sum())
                rule = {"rule": "target-fmr", "target_fmr": target_fmr, "threshold": threshold,
                        "achieved_fmr": achieved / n_imp, "false_matches": achieved,
                        "calibration_impostors": n_imp, "tail_k": spec1.tail_k,
                        "method": "smallest observed impostor score u with #(s>=u) <= target*N (bob.measure)"}
        grid_values = [] if grid is None else list(np.asarray(grid, dtype=np.float64).ravel())
        if grid_points and calib is not None and math.isfinite(calib.score_min):
            lo, hi = calib.score_min, calib.score_max
            grid_values += list(np.linspace(lo, hi, grid_points))
            grid_values += fmr_ladder(calib.imp_top_scores, calib.n_impostor_total)
        thresholds = tuple(np.unique(np.asarray(grid_values + [threshold], dtype=np.float64)).tolist())
        spec2 = dataclasses.replace(spec, thresholds=thresholds, operating=(float(threshold),), tail_k=0)
        stats = run(source, cols, bind(map_biometric_batch, spec2), backend=backend, progress=progress,
                    zero_fn=spec2.zero, runner=r)
    finally:
        if r is not None and r is not runner:
            r.close()
    result = BiometricResult(spec2, stats, float(threshold), rule, alpha=alpha, zero_rule=zero_rule,
                             ci_method=ci_method, confidence=confidence, bootstrap=bootstrap, seed=seed)
    s = stats.scores
    data = {"file": str(path), "format": source.fmt, "rows": int(s.n.sum() + s.failed.sum()),
            "groups": int(result.observed().sum()), "group_columns": list(spec.groups),
            "sha256": source.sha256() if hash_file else None, "backend": backend,
            "passes": 2 if calib is not None else 1}
    return result, data
