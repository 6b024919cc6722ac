"""Evaluation's vocabularies. StrEnums: a member is the very string stored."""

from __future__ import annotations

from enum import StrEnum


class RunKind(StrEnum):
    CLASSIFIER = "classifier"
    BIOMETRIC = "biometric"


class RunStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


# What a person reads for each measure the runs store (the keys stay in the stored JSON and the API). One
# table for the run page, the report and the criteria; a key it lacks reads as its words (metric_label).
METRIC_LABELS: dict[str, str] = {
    # biometric, per group and overall
    "fmr": "False match rate (FMR)", "fnmr": "False non-match rate (FNMR)",
    "fpir": "False positive identification rate (FPIR)", "fnir": "False negative identification rate (FNIR)",
    "genuine": "Genuine comparisons", "impostor": "Impostor comparisons",
    "false_matches": "False matches", "false_non_matches": "False non-matches",
    # biometric differentials between groups
    "fmr_max_min_ratio": "FMR ratio, highest group to lowest",
    "fnmr_max_min_ratio": "FNMR ratio, highest group to lowest",
    "fpir_max_min_ratio": "FPIR ratio, highest group to lowest",
    "fnir_max_min_ratio": "FNIR ratio, highest group to lowest",
    "fmr_max_geomean": "FMR, highest group over the geometric mean",
    "fnmr_max_geomean": "FNMR, highest group over the geometric mean",
    "fpir_max_geomean": "FPIR, highest group over the geometric mean",
    "fnir_max_geomean": "FNIR, highest group over the geometric mean",
    "fmr_max_minus_min": "FMR difference, highest group minus lowest",
    "fnmr_max_minus_min": "FNMR difference, highest group minus lowest",
    "fpir_max_minus_min": "FPIR difference, highest group minus lowest",
    "fnir_max_minus_min": "FNIR difference, highest group minus lowest",
    "gini_fmr": "Gini coefficient of FMR across groups", "gini_fnmr": "Gini coefficient of FNMR across groups",
    "gini_fpir": "Gini coefficient of FPIR across groups", "gini_fnir": "Gini coefficient of FNIR across groups",
    "garbe": "Gini aggregation rate for biometric equitability (GARBE)",
    "fdr": "Fairness discrepancy rate (FDR)",
    "ir": "Inequity rate (IR)",
    "werm": "Worst-to-geometric-mean error ratio (WERM)",
    "au_fdr": "Area under the fairness discrepancy rate curve (AU-FDR)",
    "alpha": "Weight of false matches against false non-matches (α)",
    "zero_handling": "Groups with no errors",
    "groups_fmr": "Groups with impostor comparisons", "groups_fnmr": "Groups with genuine comparisons",
    "groups_fpir": "Groups with non-mated searches", "groups_fnir": "Groups with mated searches",
    # classifier
    "n": "Rows", "selection_rate": "Selection rate", "tpr": "True positive rate", "fpr": "False positive rate",
    "fnr": "False negative rate", "tnr": "True negative rate", "precision": "Precision", "accuracy": "Accuracy",
    "demographic_parity_difference": "Demographic parity difference",
    "demographic_parity_ratio": "Demographic parity ratio",
    "equalized_odds_difference": "Equalized odds difference", "equalized_odds_ratio": "Equalized odds ratio",
    "equal_opportunity_difference": "Equal opportunity difference",
    "equal_opportunity_ratio": "Equal opportunity ratio",
    "four_fifths": "Four-fifths rule",
}
RUN_KIND_WORDS = {"biometric": "Biometric demographic differentials", "classifier": "Classifier fairness"}


def metric_label(key: str) -> str:
    """The label of a stored measure's key ('fmr_max_min_ratio' -> 'FMR ratio, highest group to lowest')."""
    return METRIC_LABELS.get(key, key.replace("_", " "))
