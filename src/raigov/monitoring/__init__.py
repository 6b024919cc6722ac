"""Monitoring deployed models: a reference profile fixed once, mergeable counts per window, and drift,
performance and fairness metrics that name their exact formula (docs/monitoring.md)."""
