"""Synthetic biometric comparison scores with known group effects (research note §5).

Each group g (k = g/(G−1) from 0 to 1) has normal impostor and genuine score distributions:

* impostor: mean ``imp_shift·k``, sd ``imp_sd[0] + (imp_sd[1]−imp_sd[0])·k``
* genuine: mean ``gen_mean[0] + (gen_mean[1]−gen_mean[0])·k``, sd ``gen_sd[0] + (gen_sd[1]−gen_sd[0])·k``

plus a per-subject random effect N(0, τ) shared by all of a subject's comparisons (so comparisons
are correlated within subjects, as in real data). Marginally a score is N(μ, √(σ²+τ²)), so the true
FMR and FNMR of every group at any threshold are closed-form (:meth:`SynthParams.true_rates`) and
the engine can be checked against the truth within a binomial interval.

Subjects are assigned to groups in contiguous id blocks (by ``shares``); each subject has
``genuine_per_subject`` mated and ``impostor_per_subject`` non-mated comparisons, the references of
the non-mated ones drawn from the same group (same-group impostors). Rows are generated and written
chunk by chunk (one Parquet row group per chunk), each chunk seeded by ``(seed, chunk)``, so memory
is bounded and the file is a deterministic function of the parameters.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from scipy.stats import norm


@dataclass
class SynthParams:
    subjects: int = 10_000
    groups: int = 4
    genuine_per_subject: int = 2
    impostor_per_subject: int = 20
    imp_shift: float = 0.03
    imp_sd: tuple[float, float] = (0.07, 0.08)
    gen_mean: tuple[float, float] = (0.70, 0.66)
    gen_sd: tuple[float, float] = (0.10, 0.12)
    subject_sd: float = 0.01
    shares: tuple[float, ...] | None = None
    failure_rate: tuple[float, float] = (0.0, 0.0)  # failure to acquire, first and last group
    seed: int = 0
    rows_per_group: int = 1 << 20
    float32: bool = True
    group_names: tuple[str, ...] | None = None
    extra: dict = field(default_factory=dict)

    def names(self) -> list[str]:
        if self.group_names:
            return list(self.group_names)
        return [f"g{i + 1}" for i in range(self.groups)]

    def _k(self) -> np.ndarray:
        return np.linspace(0, 1, self.groups) if self.groups > 1 else np.zeros(1)

    def distributions(self) -> dict[str, np.ndarray]:
        k = self._k()
        return {
            "imp_mean": self.imp_shift * k,
            "imp_sd": self.imp_sd[0] + (self.imp_sd[1] - self.imp_sd[0]) * k,
            "gen_mean": self.gen_mean[0] + (self.gen_mean[1] - self.gen_mean[0]) * k,
            "gen_sd": self.gen_sd[0] + (self.gen_sd[1] - self.gen_sd[0]) * k,
            "fta": self.failure_rate[0] + (self.failure_rate[1] - self.failure_rate[0]) * k,
        }

    def true_rates(self, threshold: float) -> dict[str, np.ndarray]:
        """Population FMR and FNMR per group at ``threshold`` (match iff s ≥ t)."""
        d = self.distributions()
        tau = self.subject_sd
        fmr = norm.sf(threshold, d["imp_mean"], np.sqrt(d["imp_sd"] ** 2 + tau**2))
        fnmr = norm.cdf(threshold, d["gen_mean"], np.sqrt(d["gen_sd"] ** 2 + tau**2))
        return {"fmr": fmr, "fnmr": fnmr}

    def subject_bounds(self) -> np.ndarray:
        shares = np.asarray(self.shares if self.shares else [1.0] * self.groups, float)
        shares = shares / shares.sum()
        b = np.round(np.concatenate([[0], np.cumsum(shares)]) * self.subjects).astype(np.int64)
        b[-1] = self.subjects
        return b

    @property
    def rows(self) -> int:
        return self.subjects * (self.genuine_per_subject + self.impostor_per_subject)


def _chunk(params: SynthParams, start: int, stop: int, chunk_index: int, d, bounds) -> pa.Table:
    rng = np.random.default_rng([params.seed, chunk_index])
    subj = np.arange(start, stop, dtype=np.int64)
    grp = np.searchsorted(bounds, subj, side="right") - 1
    m_gen, m_imp = params.genuine_per_subject, params.impostor_per_subject
    per = m_gen + m_imp
    n = subj.size * per
    row_subj = np.repeat(subj, per)
    row_grp = np.repeat(grp, per)
    genuine = np.tile(np.r_[np.ones(m_gen, bool), np.zeros(m_imp, bool)], subj.size)
    effect = np.repeat(rng.normal(0.0, params.subject_sd, subj.size), per) if params.subject_sd > 0 else 0.0
    mean = np.where(genuine, d["gen_mean"][row_grp], d["imp_mean"][row_grp])
    sd = np.where(genuine, d["gen_sd"][row_grp], d["imp_sd"][row_grp])
    score = mean + sd * rng.standard_normal(n) + effect
    # references: the subject itself for genuine rows, another subject of the same group otherwise
    lo, hi = bounds[row_grp], bounds[row_grp + 1]
    size = np.maximum(hi - lo - 1, 1)
    ref = lo + (row_subj - lo + 1 + (rng.random(n) * size).astype(np.int64)) % np.maximum(hi - lo, 1)
    ref = np.where(genuine, row_subj, ref)
    names = pa.array(params.names())
    cols = {
        "subject": pa.array(row_subj.astype(np.int64)),
        "group": pa.DictionaryArray.from_arrays(pa.array(row_grp.astype(np.int32)), names),
        "ref_subject": pa.array(ref.astype(np.int64)),
        "ref_group": pa.DictionaryArray.from_arrays(pa.array(row_grp.astype(np.int32)), names),
        "genuine": pa.array(genuine),
        "score": pa.array(score.astype(np.float32 if params.float32 else np.float64)),
    }
    if params.failure_rate[0] > 0 or params.failure_rate[1] > 0:
        cols["failed"] = pa.array(rng.random(n) < d["fta"][row_grp])
    return pa.table(cols)


def generate(path, params: SynthParams, progress=None) -> dict:
    """Write the Parquet file; returns the metadata stored in it (parameters and group truth)."""
    d = params.distributions()
    bounds = params.subject_bounds()
    per = params.genuine_per_subject + params.impostor_per_subject
    subjects_per_chunk = max(1, params.rows_per_group // max(per, 1))
    meta = {
        "generator": "raigov.evaluation.synth",
        "params": {k: v for k, v in asdict(params).items() if k != "extra"},
        "groups": params.names(),
        "distributions": {k: v.tolist() for k, v in d.items()},
        "rows": params.rows,
    }
    writer = None
    try:
        done = 0
        for ci, start in enumerate(range(0, params.subjects, subjects_per_chunk)):
            stop = min(params.subjects, start + subjects_per_chunk)
            table = _chunk(params, start, stop, ci, d, bounds)
            if writer is None:
                schema = table.schema.with_metadata({"raigov.synth": json.dumps(meta)})
                writer = pq.ParquetWriter(str(path), schema, compression="zstd")
            writer.write_table(table.replace_schema_metadata(writer.schema.metadata),
                               row_group_size=table.num_rows)
            done += table.num_rows
            if progress:
                progress(done, params.rows)
    finally:
        if writer is not None:
            writer.close()
    return meta
