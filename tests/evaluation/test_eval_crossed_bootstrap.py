"""The crossed (probe x reference) Poisson bootstrap for impostor comparisons (research note §1.9)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from raigov.errors import ValidationFailed
from raigov.evaluation import intervals as iv
from raigov.evaluation.backends import bind, map_partition, run
from raigov.evaluation.biometric import BiometricSpec, map_biometric_batch
from raigov.evaluation.io import Source
from raigov.evaluation.runner import json_safe, run_biometric
from raigov.evaluation.stats import CrossedBootstrapStats, merge_all, subject_keys

PROBE = BiometricSpec(score="score", genuine="genuine", groups=("group",), subject="subject")
CROSSED = dataclasses.replace(PROBE, ref_subject="ref_subject", bootstrap_design="crossed")
B, SEED, T = 200, 3, 2.5


def strong_subject_effect_table(seed: int = 42, subjects: int = 600, imp_per: int = 30, gen_per: int = 3):
    """Two groups; each subject has a strong random effect u ~ N(0, 1) that shifts every comparison
    it takes part in, as probe **and** as reference: impostor score = u_p + u_r + e."""
    rng = np.random.default_rng(seed)
    half = subjects // 2
    grp = np.where(np.arange(subjects) < half, "a", "b")
    u = rng.normal(0, 1.0, subjects)
    probe = np.repeat(np.arange(subjects), imp_per)
    base = (probe // half) * half
    ref = base + (probe - base + 1 + rng.integers(0, half - 1, probe.size)) % half  # same group, never itself
    imp = u[probe] + u[ref] + rng.normal(0, 0.7, probe.size)
    g = np.repeat(np.arange(subjects), gen_per)
    gen = 3.0 + u[g] + rng.normal(0, 1.0, g.size)
    t = pa.table({
        "subject": np.r_[probe, g].astype(str),
        "ref_subject": np.r_[ref, g].astype(np.int64),  # numbers here, text in "subject": same ids, same keys
        "group": np.r_[grp[probe], grp[g]],
        "genuine": np.r_[np.zeros(probe.size, bool), np.ones(g.size, bool)],
        "score": np.r_[imp, gen],
    })
    return t.take(rng.permutation(t.num_rows))


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("crossed")
    t = strong_subject_effect_table()
    out = {}
    for parts in (1, 7):
        f = d / f"x_{parts}.parquet"
        pq.write_table(t, f, row_group_size=-(-t.num_rows // parts))
        assert pq.ParquetFile(f).metadata.num_row_groups == parts
        out[parts] = f
    return out


@pytest.fixture(scope="module")
def runs(files):
    probe, _ = run_biometric(files[1], PROBE, threshold=T, bootstrap=B, seed=SEED)
    crossed, _ = run_biometric(files[1], CROSSED, threshold=T, bootstrap=B, seed=SEED)
    return probe, crossed


def width(ci):
    return ci[1] - ci[0]


def test_replicates_identical_across_partitions(files, runs):
    _, one = runs
    seven, _ = run_biometric(files[7], CROSSED, threshold=T, bootstrap=B, seed=SEED)
    assert one.stats.crossed is not None
    assert one.stats.crossed.equals(seven.stats.crossed)
    assert one.stats.equals(seven.stats)
    for a, b in zip(one.bootstrap_replicates(), seven.bootstrap_replicates()):
        assert np.array_equal(a, b)
    assert json_safe(one.to_dict()) == json_safe(seven.to_dict())


def test_partition_statistics_merge_in_any_order(files):
    spec = dataclasses.replace(CROSSED, thresholds=(T,), operating=(2.0, T), bootstrap=20, seed=SEED)
    mapper = bind(map_biometric_batch, spec)
    parts = [map_partition(p, mapper, spec.zero) for p in Source(files[7]).partitions(spec.columns)]
    assert len(parts) == 7
    full = run(Source(files[1]), spec.columns, bind(map_biometric_batch, spec), zero_fn=spec.zero)
    assert merge_all(parts).crossed.equals(full.crossed)
    assert merge_all(parts[::-1]).crossed.equals(full.crossed)
    assert merge_all([spec.zero(), *parts]).equals(full)


def test_crossed_intervals_wider_point_estimates_unchanged(runs):
    probe, crossed = runs
    p, x = json_safe(probe.to_dict()), json_safe(crossed.to_dict())
    # point estimates do not depend on the bootstrap design
    for a, b in zip(p["groups"], x["groups"]):
        for k in ("group", "genuine", "impostor", "fmr", "fnmr", "fmr_ci", "fnmr_ci", "false_matches",
                  "fmr_ci_cluster", "fnmr_ci_cluster", "subject_level"):
            assert a[k] == b[k]
    assert p["differentials"] == x["differentials"] and p["overall"] == x["overall"]
    for a, b in zip(p["groups"], x["groups"]):
        # impostor pairs share both subjects' effects: resampling both sides widens the interval
        assert width(b["fmr_ci_bootstrap"]) > 1.3 * width(a["fmr_ci_bootstrap"]), (a["group"], a, b)
        # genuine comparisons have one subject: both designs weigh them by w(subject)
        assert b["fnmr_ci_bootstrap"] == a["fnmr_ci_bootstrap"]
    assert x["differentials_ci_bootstrap"]["gini_fnmr"] == p["differentials_ci_bootstrap"]["gini_fnmr"]
    assert x["conventions"]["bootstrap_design"] == "crossed" and p["conventions"]["bootstrap_design"] == "probe"
    assert "w(probe)*w(reference)" in x["conventions"]["bootstrap"]
    assert p["conventions"]["bootstrap"].startswith("subject-clustered Poisson bootstrap")


def test_probe_design_replicates_unchanged_by_the_new_option(files, runs):
    probe, _ = runs
    again, _ = run_biometric(files[7], PROBE, threshold=T, bootstrap=B, seed=SEED)
    assert probe.stats.crossed is None
    # the probe-only replicates are the per-subject weighted sums of the one weight function
    sub = probe.stats.subjects
    codes = sub.dense_codes(probe.stats.scores.levels)
    att, err = iv.bootstrap_replicates(sub.keys, codes * 2 + sub.kinds, 4, sub.attempts, sub.errors[:, 0], B, SEED)
    assert np.array_equal(probe.bootstrap_replicates()[0], att.reshape(B, 2, 2))
    assert np.array_equal(probe.bootstrap_replicates()[1], err[:, :, 0].reshape(B, 2, 2))
    assert np.array_equal(again.bootstrap_replicates()[1], probe.bootstrap_replicates()[1])


def test_crossed_replicates_equal_rowwise_weights(files, runs):
    _, crossed = runs
    t = pq.read_table(files[1]).to_pandas()
    imp = t[~t.genuine]
    pk = subject_keys(pa.array(imp.subject.to_numpy()))
    rk = subject_keys(pa.array(imp.ref_subject.to_numpy()))
    cell = (imp.group.to_numpy() == "b").astype(np.int64)
    fm = (imp.score.to_numpy() >= T).astype(np.int64)
    att, err = crossed.bootstrap_replicates()
    for b in (0, 1, B - 1):
        w = iv.poisson_weights(pk, b, SEED) * iv.poisson_weights(rk, b, SEED)
        assert np.array_equal(att[b, :, 0], np.bincount(cell, weights=w, minlength=2).astype(np.int64))
        assert np.array_equal(err[b, :, 0], np.bincount(cell, weights=w * fm, minlength=2).astype(np.int64))


def test_crossed_replicates_add_across_partitions():
    rng = np.random.default_rng(4)
    n = 5000
    pk = rng.integers(0, 300, n).astype(np.uint64)
    rk = rng.integers(0, 300, n).astype(np.uint64)
    cell = rng.integers(0, 3, n)
    err = rng.integers(0, 2, (n, 2))
    full = iv.crossed_bootstrap_replicates(pk, rk, cell, 3, err, 15, seed=2)
    parts = [iv.crossed_bootstrap_replicates(pk[p], rk[p], cell[p], 3, err[p], 15, seed=2)
             for p in np.array_split(rng.permutation(n), 7)]
    assert np.array_equal(full[0], sum(p[0] for p in parts))
    assert np.array_equal(full[1], sum(p[1] for p in parts))
    w = np.stack([iv.poisson_weights(pk, b, 2) * iv.poisson_weights(rk, b, 2) for b in range(15)])
    assert np.array_equal(full[0], np.stack([np.bincount(cell, weights=w[b], minlength=3) for b in range(15)]))


def test_crossed_stats_zero_and_levels():
    a = CrossedBootstrapStats.from_arrays(np.array([1, 2], np.uint64), np.array([3, 4], np.uint64),
                                          np.array([0.9, 0.1]), {"g": np.array(["x", "x"])}, [0.5], 4, 0)
    b = CrossedBootstrapStats.from_arrays(np.array([5], np.uint64), np.array([1], np.uint64), np.array([0.7]),
                                          {"g": np.array(["w"])}, [0.5], 4, 0)
    z = CrossedBootstrapStats.zero(("g",), [0.5], 4, 0)
    m = z + a + b
    assert m.levels == (("w", "x"),) and m.equals(b + a + z)
    assert m.attempts.shape == (2, 4) and m.errors.shape == (2, 4, 1)


def test_validation(files):
    with pytest.raises(ValidationFailed) as ei:
        run_biometric(files[1], dataclasses.replace(CROSSED, ref_subject=None), threshold=T, bootstrap=5)
    assert ei.value.errors[0].field == "--bootstrap-design"
    with pytest.raises(ValidationFailed) as ei:
        run_biometric(files[1], dataclasses.replace(PROBE, ref_subject="ref_subject"), threshold=T, bootstrap=5)
    assert ei.value.errors[0].field == "--ref-subject"
    with pytest.raises(ValidationFailed):
        run_biometric(files[1], dataclasses.replace(CROSSED, ref_subject="nope"), threshold=T, bootstrap=5)


def test_missing_reference_subject_names_column_and_row(tmp_path):
    t = pa.table({"score": [0.9, 0.1, 0.8, 0.2], "genuine": [1, 0, 1, 0], "group": ["a", "a", "b", "b"],
                  "subject": ["1", "1", "2", "2"], "ref_subject": ["1", "2", None, None]})
    f = tmp_path / "m.parquet"
    pq.write_table(t, f)
    with pytest.raises(ValidationFailed) as ei:
        run_biometric(f, CROSSED, threshold=0.5, bootstrap=5)
    assert ei.value.errors[0].field == "ref_subject" and "row 4" in ei.value.errors[0].message
