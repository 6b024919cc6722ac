"""Mergeable statistics: a zero, associativity/commutativity, bit-identical across 1, 7, 64 partitions."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from raigov.evaluation.stats import (
    ConfusionStats,
    ScoreStats,
    SubjectStats,
    encode_column,
    merge_all,
    subject_keys,
)

RNG = np.random.default_rng(20260101)
N = 20_000
RACE = np.array(["A", "B", "C", "D", "E"])[RNG.integers(0, 5, N)]
SEX = np.array(["F", "M", "X"])[RNG.integers(0, 3, N)]
Y_TRUE = RNG.integers(0, 2, N).astype(bool)
Y_PRED = RNG.integers(0, 2, N).astype(bool)
SCORES = np.round(RNG.normal(0, 1, N), 2)  # rounded: many ties
GENUINE = RNG.random(N) < 0.3
SUBJECT = RNG.integers(0, 700, N)
T = np.linspace(-3, 3, 61)


def splits(n_parts, seed=0):
    cuts = np.sort(np.random.default_rng(seed).choice(np.arange(1, N), n_parts - 1, replace=False))
    return np.split(np.arange(N), cuts)


def conf(idx):
    return ConfusionStats.from_arrays(Y_TRUE[idx], Y_PRED[idx], {"race": RACE[idx], "sex": SEX[idx]})


def score(idx, k=50):
    return ScoreStats.from_arrays(SCORES[idx], GENUINE[idx], {"race": RACE[idx], "sex": SEX[idx]}, T, tail_k=k)


@pytest.mark.parametrize("n_parts", [1, 7, 64])
def test_confusion_partition_invariant(n_parts):
    full = conf(np.arange(N))
    parts = [conf(p) for p in splits(n_parts)]
    assert merge_all(parts).equals(full)
    order = np.random.default_rng(n_parts).permutation(len(parts))
    acc = ConfusionStats.zero(["race", "sex"])
    for i in order:
        acc = acc + parts[i]
    assert acc.equals(full)
    assert acc.counts.dtype == np.int64


def test_confusion_marginals_are_sums():
    full = conf(np.arange(N))
    race_only = ConfusionStats.from_arrays(Y_TRUE, Y_PRED, {"race": RACE})
    assert full.marginal(["race"]).equals(race_only)
    assert full.marginal([]).counts.sum() == N
    sex_race = ConfusionStats.from_arrays(Y_TRUE, Y_PRED, {"sex": SEX, "race": RACE})
    assert full.marginal(["sex", "race"]).equals(sex_race)


def test_partitions_with_disjoint_levels_merge():
    a = ConfusionStats.from_arrays([1, 0], [1, 1], {"g": ["x", "z"]})
    b = ConfusionStats.from_arrays([0, 0], [0, 1], {"g": ["y", "x"]})
    m = a + b
    assert m.levels == (("x", "y", "z"),)
    assert m.equals(b + a)
    assert m.equals(ConfusionStats.from_arrays([1, 0, 0, 0], [1, 1, 0, 1], {"g": ["x", "z", "y", "x"]}))


@pytest.mark.parametrize("n_parts", [1, 7, 64])
def test_score_stats_partition_invariant(n_parts):
    full = score(np.arange(N))
    parts = [score(p) for p in splits(n_parts, seed=n_parts)]
    assert merge_all(parts).equals(full)
    acc = ScoreStats.zero(["race", "sex"], T, tail_k=50)
    for i in np.random.default_rng(3).permutation(len(parts)):
        acc = acc + parts[i]
    assert acc.equals(full)


def test_score_counts_equal_direct_counting():
    full = score(np.arange(N))
    lv_r, c_r = encode_column(RACE)
    lv_s, c_s = encode_column(SEX)
    for gi in range(len(lv_r)):
        for si in range(len(lv_s)):
            m = (c_r == gi) & (c_s == si)
            for kind in (0, 1):
                s = SCORES[m & (bool(kind) == GENUINE)]
                assert full.n[gi, si, kind] == s.size
                assert full.ge[gi, si, kind].tolist() == [(s >= t).sum() for t in T]


def test_tails_are_the_exact_extremes():
    full = score(np.arange(N), k=100)
    imp = np.sort(SCORES[~GENUINE])[::-1][:100]
    gen = np.sort(SCORES[GENUINE])[:100]
    assert np.array_equal(full.imp_top_scores, imp)
    assert np.array_equal(full.gen_bottom_scores, gen)


def test_score_exactly_on_threshold_is_a_match():
    s = ScoreStats.from_arrays([0.5, 0.5, 0.49999999], [False, True, True], {"g": ["a", "a", "a"]}, [0.5])
    assert s.ge[0, 0, 0] == 1  # impostor at t: false match
    assert s.ge[0, 1, 0] == 1  # genuine at t: correct match


@pytest.mark.parametrize("n_parts", [1, 7, 64])
def test_subject_stats_partition_invariant(n_parts):
    keys = subject_keys(pa.array(SUBJECT))
    ops = [0.0, 1.5]

    def sub(idx):
        return SubjectStats.from_arrays(keys[idx], SCORES[idx], GENUINE[idx], {"race": RACE[idx]}, ops)

    full = sub(np.arange(N))
    assert merge_all([sub(p) for p in splits(n_parts)]).equals(full)
    assert full.attempts.sum() == N


def test_subject_keys_text_and_number_agree():
    a = subject_keys(pa.array([1, 22, 333]))
    b = subject_keys(pa.array(["1", "22", "333"]))
    c = subject_keys(pa.array(["1", "22", "333"]).dictionary_encode())
    assert np.array_equal(a, b) and np.array_equal(b, c)
    assert len(set(a.tolist())) == 3
    # FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c
    assert subject_keys(pa.array(["a"]))[0] == np.uint64(0xAF63DC4C8601EC8C)
    sliced = pa.array(["x", "1", "22"]).slice(1)
    assert np.array_equal(subject_keys(sliced), subject_keys(pa.array(["1", "22"])))
