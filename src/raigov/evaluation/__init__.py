"""Test and evaluation engine: mergeable sufficient statistics, classifier fairness metrics,
biometric demographic differentials, confidence intervals, streaming and Dask backends, reports.

Pure domain logic: no database, no web. See docs/evaluation.md for the conventions.

ConfusionStats, ScoreStats and SubjectStats (raigov.evaluation.stats) load on first use (PEP 562), so that
raigov.evaluation.register, read by `raigov --help`, does not import NumPy.
"""

__all__ = ["ConfusionStats", "ScoreStats", "SubjectStats"]


def __getattr__(name: str):
    if name in __all__:
        from raigov.evaluation import stats

        value = getattr(stats, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'raigov.evaluation' has no attribute {name!r}")
