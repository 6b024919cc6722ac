"""Classifier metrics against Fairlearn 0.15 (MetricFrame and its wrappers) and research vectors T5/T5b."""

from __future__ import annotations

import functools
import math
import warnings

import fairlearn.metrics as flm
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.metrics import accuracy_score, precision_score

from raigov.errors import ValidationFailed
from raigov.evaluation.classifier import METRICS, ClassifierResult, classifier_metrics
from raigov.evaluation.stats import ConfusionStats

T5_Y_TRUE = [1, 1, 0, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0, 0, 1, 1, 0, 0]
T5_Y_PRED = [1, 0, 0, 1, 1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 0, 0, 0, 1, 0, 1]
T5_RACE = ["A"] * 8 + ["B"] * 6 + ["C"] * 6
T5_SEX = ["F", "F", "F", "F", "M", "M", "M", "M", "F", "F", "F", "M", "M", "M", "F", "F", "F", "F", "F", "F"]

FL_METRICS = {
    "selection_rate": flm.selection_rate,
    "tpr": flm.true_positive_rate,
    "fpr": flm.false_positive_rate,
    "fnr": flm.false_negative_rate,
    "tnr": flm.true_negative_rate,
    "precision": functools.partial(precision_score, zero_division=0.0),
    "accuracy": accuracy_score,
}


def close(a, b, tol=1e-12):
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= tol


class TestT5:
    def setup_method(self):
        self.r = classifier_metrics(T5_Y_TRUE, T5_Y_PRED, {"race": T5_RACE})

    def test_rates_by_group(self):
        r = self.r
        assert [lab["race"] for lab in r.labels] == ["A", "B", "C"]
        np.testing.assert_allclose(r.by_group("selection_rate"), [0.625, 0.5, 1 / 3], atol=1e-15)
        np.testing.assert_allclose(r.by_group("tpr"), [0.75, 2 / 3, 0.5], atol=1e-15)
        np.testing.assert_allclose(r.by_group("fpr"), [0.5, 1 / 3, 0.25], atol=1e-15)
        np.testing.assert_allclose(r.by_group("precision"), [0.6, 2 / 3, 0.5], atol=1e-15)
        assert r.overall("selection_rate") == 0.5
        assert close(r.overall("tpr"), 2 / 3) and close(r.overall("fpr"), 4 / 11)
        c = r.stats.counts
        assert c[0].ravel().tolist() == [2, 2, 1, 3]  # TN FP FN TP of A
        assert c[1].ravel().tolist() == [2, 1, 1, 2]
        assert c[2].ravel().tolist() == [3, 1, 1, 1]

    def test_between_groups(self):
        r = self.r
        assert r.demographic_parity_difference() == 0.2916666666666667
        assert r.demographic_parity_ratio() == 0.5333333333333333
        assert r.equalized_odds_difference() == 0.25
        assert r.equalized_odds_difference(agg="mean") == 0.25
        assert r.equalized_odds_ratio() == 0.5
        assert r.equal_opportunity_difference() == 0.25
        assert close(r.equal_opportunity_ratio(), 0.6666666666666666)

    def test_to_overall(self):
        r = self.r
        assert close(r.demographic_parity_difference("to_overall"), 0.16666666666666669)
        assert close(r.demographic_parity_ratio("to_overall"), 0.6666666666666666)
        assert close(r.equalized_odds_difference("to_overall"), 0.16666666666666663)
        assert close(r.equalized_odds_difference("to_overall", agg="mean"), 0.1515151515151515)
        assert close(r.equalized_odds_ratio("to_overall"), 0.6875)
        assert close(r.equal_opportunity_ratio("to_overall"), 0.75)

    def test_four_fifths_integer_exactly_080_passes(self):
        ff = self.r.four_fifths()
        assert ff["reference"] == {"race": "A"}
        by = {g["group"]["race"]: g for g in ff["groups"]}
        assert by["B"]["passes"] is True and by["B"]["impact_ratio"] == 0.8
        assert by["C"]["passes"] is False and close(by["C"]["impact_ratio"], 0.5333333333333333)
        assert ff["passes"] is False

    def test_intersectional(self):
        r = classifier_metrics(T5_Y_TRUE, T5_Y_PRED, {"race": T5_RACE, "sex": T5_SEX})
        sel = dict(zip([(lab["race"], lab["sex"]) for lab in r.labels], r.by_group("selection_rate")))
        assert sel[("A", "F")] == 0.5 and sel[("A", "M")] == 0.75
        assert close(sel[("B", "F")], 1 / 3) and close(sel[("B", "M")], 2 / 3) and close(sel[("C", "F")], 1 / 3)
        assert math.isnan(sel[("C", "M")])  # empty intersection kept as NaN
        assert close(r.difference("selection_rate"), 0.4166666666666667)
        assert close(r.difference("tpr"), 0.5)
        assert close(r.ratio("selection_rate"), 0.4444444444444444)
        assert close(r.ratio("tpr"), 0.5)
        # marginals are exact sums of the intersections
        m = r.marginal(["race"])
        assert m.stats.equals(classifier_metrics(T5_Y_TRUE, T5_Y_PRED, {"race": T5_RACE}).stats)
        # observed-only listing for the CLI
        assert len(r.group_rows()) == 5


class TestT5b:
    def test_group_without_positives_gets_zero_tpr(self):
        r = classifier_metrics([0, 0, 0, 1, 1, 0], [1, 0, 0, 1, 0, 0], list("XXXYYY"))
        assert r.by_group("tpr").tolist() == [0.0, 0.5]
        assert r.by_group("fnr").tolist() == [0.0, 0.5]  # not 1 - TPR: Fairlearn zeroes 0/0
        np.testing.assert_allclose(r.by_group("fpr"), [1 / 3, 0.0])
        nan = classifier_metrics([0, 0, 0, 1, 1, 0], [1, 0, 0, 1, 0, 0], list("XXXYYY"), zero_division=float("nan"))
        assert math.isnan(nan.by_group("tpr")[0])

    def test_all_predictions_zero(self):
        r = classifier_metrics([0, 1, 0, 1], [0, 0, 0, 0], list("XXYY"))
        assert math.isnan(r.demographic_parity_ratio())
        assert math.isnan(r.demographic_parity_ratio("to_overall"))
        assert r.demographic_parity_difference() == 0.0
        assert r.four_fifths()["passes"] is True

    def test_single_group(self):
        r = classifier_metrics([0, 1, 0, 1], [1, 1, 0, 1], list("XXXX"))
        assert r.demographic_parity_ratio() == 1.0 and r.demographic_parity_difference() == 0.0

    def test_weighted(self):
        r = classifier_metrics([0, 1, 0, 1], [1, 0, 1, 1], list("XXYY"), sample_weight=[1, 2, 3, 4])
        assert close(r.demographic_parity_difference(), 2 / 3)


class TestFourFifthsIntegers:
    def test_boundary_decided_in_integers(self):
        # group rates 4/5 * (7/9) exactly: 28/45 vs 7/9 -> ratio exactly 0.8 passes
        y = [0] * 90
        pred = [1] * 28 + [0] * 17 + [1] * 35 + [0] * 10
        grp = ["a"] * 45 + ["b"] * 45
        ff = classifier_metrics(y, pred, grp).four_fifths()
        assert ff["passes"] is True
        pred2 = [1] * 27 + [0] * 18 + [1] * 35 + [0] * 10
        assert classifier_metrics(y, pred2, grp).four_fifths()["passes"] is False

    def test_harmful_outcome_uses_complement(self):
        ff = classifier_metrics([0] * 10, [1] * 5 + [0] * 5, ["a"] * 5 + ["b"] * 5).four_fifths("not-selected")
        assert ff["reference"] == {"sensitive_feature_0": "b"} or ff["reference"]["sensitive_feature_0"] == "b"


def fairlearn_frame(y_true, y_pred, sf, weights):
    sp = None
    if weights is not None:
        sp = {k: {"sample_weight": weights} for k in FL_METRICS}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return flm.MetricFrame(metrics=FL_METRICS, y_true=y_true, y_pred=y_pred, sensitive_features=sf,
                               sample_params=sp)


@st.composite
def classifier_data(draw):
    n = draw(st.integers(min_value=1, max_value=60))
    n_features = draw(st.integers(min_value=1, max_value=2))
    y_true = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    y_pred = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    feats = {}
    for k in range(n_features):
        card = draw(st.integers(min_value=1, max_value=4))
        feats[f"f{k}"] = np.array([f"v{x}" for x in draw(st.lists(st.integers(0, card - 1), min_size=n, max_size=n))])
    # sometimes a group with no positives / no negatives
    if draw(st.booleans()):
        g0 = feats["f0"] == feats["f0"][0]
        y_true[g0] = draw(st.integers(0, 1))
    weights = None
    if draw(st.booleans()):
        weights = np.array(draw(st.lists(st.floats(0.1, 10.0), min_size=n, max_size=n)))
    return y_true, y_pred, feats, weights


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(classifier_data())
def test_equal_to_fairlearn_metricframe(data):
    y_true, y_pred, feats, weights = data
    sf = pd.DataFrame(feats) if len(feats) > 1 else pd.Series(feats["f0"], name="f0")
    mf = fairlearn_frame(y_true, y_pred, sf, weights)
    r = classifier_metrics(y_true, y_pred, feats, sample_weight=weights)
    labels = [tuple(lab.values()) for lab in r.labels]
    bg = mf.by_group
    assert len(bg) == len(labels)  # Cartesian product, empty intersections included
    for m in METRICS:
        ours = dict(zip(labels, r.by_group(m)))
        for idx, val in bg[m].items():
            key = idx if isinstance(idx, tuple) else (idx,)
            assert close(ours[key], val), (m, key, ours[key], val)
        assert close(r.overall(m), mf.overall[m]), m
        for method in ("between_groups", "to_overall"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                d, q = mf.difference(method=method)[m], mf.ratio(method=method)[m]
            assert close(r.difference(m, method), d), (m, method)
            assert close(r.ratio(m, method), q), (m, method)


@settings(max_examples=40, deadline=None)
@given(classifier_data(), st.sampled_from(["between_groups", "to_overall"]))
def test_equal_to_fairlearn_wrappers(data, method):
    y_true, y_pred, feats, weights = data
    sf = pd.DataFrame(feats)
    r = classifier_metrics(y_true, y_pred, feats, sample_weight=weights)
    kw = {"sensitive_features": sf, "method": method, "sample_weight": weights}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pairs = [
            (r.demographic_parity_difference(method), flm.demographic_parity_difference(y_true, y_pred, **kw)),
            (r.demographic_parity_ratio(method), flm.demographic_parity_ratio(y_true, y_pred, **kw)),
            (r.equalized_odds_difference(method), flm.equalized_odds_difference(y_true, y_pred, **kw)),
            (r.equalized_odds_difference(method, "mean"),
             flm.equalized_odds_difference(y_true, y_pred, agg="mean", **kw)),
            (r.equalized_odds_ratio(method), flm.equalized_odds_ratio(y_true, y_pred, **kw)),
            (r.equal_opportunity_difference(method), flm.equal_opportunity_difference(y_true, y_pred, **kw)),
            (r.equal_opportunity_ratio(method), flm.equal_opportunity_ratio(y_true, y_pred, **kw)),
        ]
    for ours, theirs in pairs:
        assert close(ours, theirs), (ours, theirs)


@settings(max_examples=40, deadline=None)
@given(classifier_data())
def test_four_fifths_matches_dp_ratio(data):
    y_true, y_pred, feats, _ = data
    r = classifier_metrics(y_true, y_pred, {"f0": feats["f0"]})
    ff = r.four_fifths()
    dpr = r.demographic_parity_ratio()
    if math.isnan(dpr):
        assert ff["passes"] is True
    elif abs(dpr - 0.8) > 1e-9:  # away from the boundary the float and integer rules agree
        assert ff["passes"] == (dpr >= 0.8)


def test_pandas_categorical_and_pyarrow_inputs_agree():
    import pyarrow as pa

    cat = pd.Series(T5_RACE, dtype="category")
    a = classifier_metrics(T5_Y_TRUE, T5_Y_PRED, {"race": cat})
    b = classifier_metrics(np.array(T5_Y_TRUE, bool), np.array(T5_Y_PRED), {"race": pa.array(T5_RACE).dictionary_encode()})
    assert a.stats.equals(b.stats)


def test_minus_one_labels_and_bad_labels():
    a = classifier_metrics([-1, 1, -1, 1], [1, 1, -1, -1], list("XXYY"))
    b = classifier_metrics([0, 1, 0, 1], [1, 1, 0, 0], list("XXYY"))
    assert a.stats.equals(b.stats)
    with pytest.raises(ValidationFailed) as ei:
        classifier_metrics([0, 1, 2, 1], [1, 1, 0, 0], list("XXYY"))
    assert ei.value.errors[0].field == "y_true" and "row 3" in ei.value.errors[0].message


def test_result_from_merged_stats_is_same_object_shape():
    s = ConfusionStats.zero(["g"])
    r = ClassifierResult(s)
    assert r.group_rows() == [] and r.overall_row()["n"] == 0
