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
