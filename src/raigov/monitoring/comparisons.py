"""A face-recognition window from a file of raw comparisons: one row per comparison with its score, whether it
is mated (genuine) or non-mated (impostor), and its demographic group column(s), as `raigov eval biometric`
reads them (docs/evaluation.md: higher score = more similar, **match iff score >= threshold**; the genuine
column 0/1 or true/false; a group value must not be missing). The rows are counted by the evaluation engine's
own per-batch statistics (`biometric_batches.map_biometric_batch`) at the monitor's threshold, streamed, on the
local or the Dask backend (the counts are integers and merge exactly), and read back per group as
`BiometricResult.counts()`: the window's ``biometric`` counts ``{"threshold", "groups": {group: {"n_gen", "fnm",
"n_imp", "fm"}}}``, then checked and evaluated exactly as counts sent to the API (monitoring/biometric.py).

With several group columns a group is their values joined by " / " in the order given (the intersections that
occur). Errors name the column (and the 1-based row for a bad value); an empty file is refused.
"""

from __future__ import annotations

from collections.abc import Sequence

from raigov.errors import ValidationFailed
from raigov.evaluation.backends import DaskRunner, bind, run
from raigov.evaluation.biometric import BiometricResult, BiometricSpec, map_biometric_batch
from raigov.evaluation.io import Source

FIELD = "comparisons"


def columns(score: str = "score", genuine: str = "genuine", groups: Sequence[str] = ("group",)) -> dict:
    """The column mapping of a comparisons file (checked: one name each, at least one group column)."""
    if not groups:
        raise ValidationFailed.one("--group", "name at least one group column of the comparisons")
    names = [score, genuine, *groups]
    if any(not isinstance(c, str) or not c.strip() for c in names):
        raise ValidationFailed.one("--score", "the score, genuine and group columns need names")
    if len(set(names)) != len(names):
        raise ValidationFailed.one("--group", "a column is named twice among --score, --genuine and --group")
    return {"score": score, "genuine": genuine, "groups": list(groups)}


def comparison_counts(path: str, threshold: float, mapping: dict, backend: str = "local",
                      scheduler: str | None = None, runner: DaskRunner | None = None) -> dict:
    """Per group at ``threshold``: genuine comparisons, false non-matches (genuine score below it), impostor
    comparisons and false matches (impostor score at or above it), the evaluation engine's counts."""
    spec = BiometricSpec(score=mapping["score"], genuine=mapping["genuine"], groups=tuple(mapping["groups"]),
                         thresholds=(float(threshold),))
    src = Source(path)
    src.require({"--score": spec.score, "--genuine": spec.genuine, "--group": list(spec.groups)})
    stats = run(src, spec.columns, bind(map_biometric_batch, spec), backend=backend, scheduler=scheduler,
                zero_fn=spec.zero, runner=runner)
    res = BiometricResult(spec, stats, float(threshold), {"rule": "fixed", "threshold": float(threshold)})
    c, seen = res.counts(), res.observed()
    groups = {}
    for i, label in enumerate(res.labels):
        if seen[i]:
            name = " / ".join(str(v) for v in label.values())
            groups[name] = {k: int(c[k][i]) for k in ("n_gen", "fnm", "n_imp", "fm")}
    if not groups:
        raise ValidationFailed.one(FIELD, f"the comparisons file {path.rsplit('/', 1)[-1]} has no rows", "empty")
    return {"threshold": float(threshold), "groups": groups}
