"""AU-FDR: the area under FDR over a ladder of FMR targets (research note §1.4), exact and mergeable."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from raigov.errors import ValidationFailed
from raigov.evaluation import biometric as bm
from raigov.evaluation.biometric import BiometricSpec
from raigov.evaluation.runner import json_safe, run_biometric
from raigov.evaluation.stats import BinValues, ScoreHistogram, merge_all, score_order_keys

# research note T4: three groups of impostor and genuine scores, with ties at 0.70
T4_IMP = {"A": [.10, .20, .30, .40, .50, .60, .70, .70, .80, .90], "B": [.05, .15, .25, .35, .45, .55, .65, .75],
          "C": [.12, .22, .32, .42, .52, .62, .70, .71]}
T4_GEN = {"A": [.55, .70, .85, .90, .99], "B": [.60, .69, .80, .95], "C": [.50, .60, .70]}
SPEC = BiometricSpec(score="score", genuine="genuine", groups=("grp",))


def t4_table() -> pa.Table:
    rows = [(s, False, g) for g, v in T4_IMP.items() for s in v] + [(s, True, g) for g, v in T4_GEN.items() for s in v]
    rows = [rows[i] for i in np.random.default_rng(3).permutation(len(rows))]
    return pa.table({"score": [r[0] for r in rows], "genuine": [r[1] for r in rows], "grp": [r[2] for r in rows]})


@pytest.fixture(scope="module")
def t4_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("aufdr")
    t = t4_table()
    out = {}
    for parts in (1, 7):
        f = d / f"t4_{parts}.parquet"
        pq.write_table(t, f, row_group_size=-(-t.num_rows // parts))
        assert pq.ParquetFile(f).metadata.num_row_groups == parts
        out[parts] = f
    out["csv"] = d / "t4.csv"
    pacsv.write_csv(t, out["csv"])
    return out


# ------------------------------------------------------------------------------ independent oracle
def oracle_threshold(impostors, target):
    """bob.measure's rule by brute force: the smallest observed u with #(s >= u) <= target*N."""
    s = np.asarray(impostors, float)
    ok = [u for u in np.unique(s) if (s >= u).sum() <= target * s.size]
    return min(ok) if ok else np.nextafter(s.max(), np.inf)


def oracle_au_fdr(imp: dict, gen: dict, targets, alpha):
    all_imp = [x for v in imp.values() for x in v]
    fdrs = []
    for target in targets:
        t = oracle_threshold(all_imp, target)
        fmr = [np.mean(np.asarray(imp[g]) >= t) for g in imp]
        fnmr = [np.mean(np.asarray(gen[g]) < t) for g in gen]
        a = max(abs(x - y) for x in fmr for y in fmr)
        b = max(abs(x - y) for x in fnmr for y in fnmr)
        fdrs.append(1 - (alpha * a + (1 - alpha) * b))
    x = np.asarray(targets, float)
    x = (x - x[0]) / (x[-1] - x[0])
    area = sum((x[i + 1] - x[i]) * (fdrs[i] + fdrs[i + 1]) / 2 for i in range(len(x) - 1))
    return area, fdrs


# -------------------------------------------------------------------------------- hand-worked value
def test_t4_au_fdr_by_hand(t4_files):
    """Targets 0.05, 0.1, 0.2 on the 26 T4 impostors give thresholds 0.90, 0.80, 0.71 (T4 table).

    t = 0.90: FMR A .1, B 0, C 0 -> A = .1;  FNMR A 3/5, B 3/4, C 3/3 -> B = .4;  FDR(.5) = .75
    t = 0.80: FMR A .2, B 0, C 0 -> A = .2;  FNMR A 2/5, B 2/4, C 3/3 -> B = .6;  FDR(.5) = .6
    t = 0.71: FMR A .2, B 1/8, C 1/8 -> A = .075; FNMR A 2/5, B 2/4, C 3/3 -> B = .6; FDR(.5) = .6625
    x = (0, 1/3, 1): area = 1/3·(.75+.6)/2 + 2/3·(.6+.6625)/2 = 31/48.
    """
    res, data = run_biometric(t4_files[1], SPEC, threshold=0.7, au_fdr_range=(0.05, 0.2), au_fdr_points=3)
    out = json_safe(res.to_dict())
    conv = out["conventions"]["au_fdr"]
    assert conv["targets"] == [0.05, 0.1, 0.2]
    assert conv["thresholds"] == [0.9, 0.8, 0.71]
    assert conv["fdr"] == pytest.approx([0.75, 0.6, 0.6625], abs=1e-15)
    assert out["differentials"]["au_fdr"] == pytest.approx(31 / 48, abs=1e-15)
    assert conv["alpha"] == 0.5 and conv["beta"] == 0.5 and conv["range"] == [0.05, 0.2] and conv["points"] == 3
    # the operating threshold and its rates are untouched by the ladder
    assert out["threshold"] == 0.7 and out["overall"]["fmr"] == pytest.approx(7 / 26, abs=1e-15)
    assert data["passes"] == 3  # calibration (+ histogram), exact bin values, counts


@pytest.mark.parametrize("alpha", [0.0, 0.3, 0.5, 0.9])
@pytest.mark.parametrize("rng_points", [((0.05, 0.2), 3), ((0.04, 0.5), 7), ((0.01, 0.3), 0)])
def test_au_fdr_matches_independent_numpy(t4_files, alpha, rng_points):
    (lo, hi), points = rng_points
    res, _ = run_biometric(t4_files[1], SPEC, threshold=0.5, alpha=alpha, au_fdr_range=(lo, hi),
                           au_fdr_points=points)
    targets = res.au_fdr_targets
    assert targets[0] == lo and targets[-1] == hi
    area, fdrs = oracle_au_fdr(T4_IMP, T4_GEN, targets, alpha)
    assert list(res.au_fdr_thresholds) == [oracle_threshold([x for v in T4_IMP.values() for x in v], t)
                                           for t in targets]
    assert res.fdr_curve() == pytest.approx(fdrs, abs=1e-14)
    assert res.au_fdr() == pytest.approx(area, abs=1e-14)
    conv = res.conventions()["au_fdr"]
    assert conv["alpha"] == alpha and conv["beta"] == pytest.approx(1 - alpha, abs=0)


def test_au_fdr_bit_identical_across_partitions_and_formats(t4_files):
    kw = {"target_fmr": 0.1, "au_fdr_range": (0.02, 0.5), "au_fdr_points": 9, "alpha": 0.7}
    one, _ = run_biometric(t4_files[1], SPEC, **kw)
    seven, d7 = run_biometric(t4_files[7], SPEC, **kw)
    csv, _ = run_biometric(t4_files["csv"], SPEC, batch_rows=5, **kw)
    assert d7["format"] == "parquet" and pq.ParquetFile(t4_files[7]).metadata.num_row_groups == 7
    assert one.stats.equals(seven.stats) and one.stats.equals(csv.stats)
    assert one.au_fdr_thresholds == seven.au_fdr_thresholds == csv.au_fdr_thresholds
    a, b, c = one.au_fdr(), seven.au_fdr(), csv.au_fdr()
    assert a == b == c and isinstance(a, float)  # bit-identical, not merely close
    assert json_safe(one.to_dict())["differentials"] == json_safe(seven.to_dict())["differentials"]


def test_au_fdr_off_by_default_and_contract_kept(t4_files):
    res, data = run_biometric(t4_files[1], SPEC, threshold=0.7)
    out = json_safe(res.to_dict())
    assert out["differentials"]["au_fdr"] is None
    assert out["conventions"]["au_fdr"] == "off"
    assert data["passes"] == 1
    for k in ("fmr_max_min_ratio", "fnmr_max_min_ratio", "gini_fmr", "gini_fnmr", "garbe", "fdr", "ir"):
        assert k in out["differentials"]


def test_au_fdr_range_validated(t4_files):
    for rng_, pts in (((0.2, 0.05), 0), ((0.0, 0.1), 0), ((0.1, 1.0), 0), ((0.01, 0.1), 1)):
        with pytest.raises(ValidationFailed):
            run_biometric(t4_files[1], SPEC, threshold=0.7, au_fdr_range=rng_, au_fdr_points=pts)


def test_fmr_target_ladder_is_exact_in_decades():
    assert bm.au_fdr_targets(1e-6, 1e-1) == (1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1)
    assert bm.au_fdr_targets(1e-3, 1e-1, 5) == (1e-3, 0.00316227766017, 1e-2, 0.0316227766017, 1e-1)
    assert bm.au_fdr_targets(0.05, 0.2) == (0.05, 0.2)  # less than a decade: the two ends


def test_au_fdr_of_published_t2_ladder():
    """The authors' published AU-FDR (research note T2, unfair system) from the decade ladder."""
    fdr = [0.88645, 0.70215, 0.57, 0.528, 0.5095, 0.50455]
    targets = bm.au_fdr_targets(1e-6, 1e-1)
    assert bm.au_fdr(targets, fdr[::-1]) == pytest.approx(0.7775780, abs=1e-7)


def test_au_fdr_bootstrap_interval(tmp_path):
    rng = np.random.default_rng(8)
    n = 4000
    subj = rng.integers(0, 300, n)
    grp = np.where(subj % 3 == 0, "x", "y")
    gen = rng.random(n) < 0.3
    score = np.where(gen, 0.7, 0.0) + rng.normal(0, 0.15, n) + np.where(grp == "x", 0.05, 0.0)
    f = tmp_path / "b.parquet"
    pq.write_table(pa.table({"s": score, "g": gen, "grp": grp, "subj": subj}), f)
    spec = BiometricSpec(score="s", genuine="g", groups=("grp",), subject="subj")
    res, _ = run_biometric(f, spec, threshold=0.35, au_fdr_range=(1e-2, 2e-1), bootstrap=50, seed=1)
    out = json_safe(res.to_dict())
    lo, hi = out["differentials_ci_bootstrap"]["au_fdr"]
    assert 0 <= lo <= hi <= 1
    assert lo - 0.05 <= out["differentials"]["au_fdr"] <= hi + 0.05
    # every ladder threshold has per-subject counts; the operating one is still the threshold
    assert set(res.au_fdr_thresholds) <= set(res.stats.subjects.thresholds.tolist())
    assert res.bootstrap_replicates()[1].shape == (50, 2, 2)


# ------------------------------------------------------- exact thresholds from merged histograms
@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(st.integers(-40, 40).map(lambda v: v / 8),
                       st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False),
                       st.sampled_from([0.0, -0.0, 1e-300, -1e-300, float("-inf")])),
             min_size=1, max_size=300),
    st.lists(st.floats(1e-4, 0.999), min_size=1, max_size=5),
    st.integers(1, 9),
)
def test_ladder_thresholds_from_merged_histograms_equal_full_sort(values, targets, n_parts):
    s = np.asarray(values, float)
    parts = np.array_split(np.arange(s.size), n_parts)
    hist = merge_all([ScoreHistogram.from_scores(s[p]) for p in parts])
    assert hist.n == s.size
    bins = sorted({b for t in targets for b in bm.ladder_bins(hist.counts, t)})
    gathered = merge_all([BinValues.from_scores(s[p], bins) for p in parts[::-1]])
    got = bm.thresholds_at_targets(hist, gathered, targets)
    want = [bm.threshold_at_fmr(s, t) for t in targets]
    assert got == want
    assert got == [oracle_threshold(s, t) for t in targets]


def test_order_keys_preserve_order():
    x = np.array([-np.inf, -1e300, -1.0, -1e-300, -0.0, 0.0, 1e-300, 0.5, 1.0, 1e300, np.inf])
    k = score_order_keys(x)
    assert np.all(np.diff(k.astype(object)) >= 0)
    assert k[4] == k[5]  # -0.0 and +0.0 are one score
