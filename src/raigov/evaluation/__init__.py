"""Test and evaluation engine: mergeable sufficient statistics, classifier fairness metrics,
biometric demographic differentials, confidence intervals, streaming and Dask backends, reports.

Pure domain logic: no database, no web. See docs/evaluation.md for the conventions.
"""

from raigov.evaluation.stats import ConfusionStats, ScoreStats, SubjectStats  # noqa: F401
