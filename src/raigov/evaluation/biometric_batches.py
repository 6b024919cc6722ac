"""Mapping partitions of a biometric input: the column mapping and options (``BiometricSpec``) and the
per-batch statistics (``BiometricStats``, ``CalibrationStats``) that the runner merges across partitions.
The conventions are those of ``raigov.evaluation.biometric`` (its module docstring)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from raigov.errors import ValidationFailed
from raigov.evaluation.io import bad_value, check_group, labels_to_bool, scores_to_float
from raigov.evaluation.stats import (
    BinValues,
    CrossedBootstrapStats,
    ScoreHistogram,
    ScoreStats,
    SubjectStats,
    subject_keys,
)

PAIRINGS = ("all", "same-group")
FAILURE_MODES = ("algorithm-only", "end-to-end")
BOOTSTRAP_DESIGNS = ("probe", "crossed")


@dataclass(frozen=True)
class BiometricSpec:
    """Column mapping and options; picklable so the same map runs in Dask workers."""

    score: str
    genuine: str
    groups: tuple[str, ...]
    subject: str | None = None
    ref_groups: tuple[str, ...] = ()
    failure: str | None = None
    rank: str | None = None
    max_rank: int | None = None
    mode: str = "verification"  # or "identification"
    pairing: str = "all"
    failure_mode: str = "algorithm-only"
    thresholds: tuple[float, ...] = ()  # grid (and operating thresholds) counted per group
    operating: tuple[float, ...] = ()  # thresholds with per-subject and cross-group counts
    tail_k: int = 0
    ref_subject: str | None = None  # reference subject id column (crossed bootstrap)
    bootstrap_design: str = "probe"  # or "crossed"
    bootstrap: int = 0  # replicates computed while mapping (crossed design only)
    seed: int = 0
    hist_bits: int = 0  # calibration pass: also a key histogram of impostor scores (AU-FDR ladder)

    def validate(self) -> None:
        if self.pairing not in PAIRINGS:
            raise ValidationFailed.one("--impostor-pairing", f"use one of {PAIRINGS}")
        if self.pairing == "same-group" and not self.ref_groups:
            raise ValidationFailed.one("--impostor-pairing",
                                       "same-group pairing needs the reference group columns (--ref-group)")
        if self.ref_groups and len(self.ref_groups) != len(self.groups):
            raise ValidationFailed.one("--ref-group", "give one --ref-group per --group, in the same order")
        if self.failure_mode not in FAILURE_MODES:
            raise ValidationFailed.one("--failure-mode", f"use one of {FAILURE_MODES}")
        if self.mode not in ("verification", "identification"):
            raise ValidationFailed.one("--mode", "verification or identification")
        if self.bootstrap_design not in BOOTSTRAP_DESIGNS:
            raise ValidationFailed.one("--bootstrap-design", f"use one of {BOOTSTRAP_DESIGNS}")
        if self.bootstrap_design == "crossed" and not (self.subject and self.ref_subject):
            raise ValidationFailed.one("--bootstrap-design",
                                       "the crossed bootstrap needs --subject and --ref-subject")
        if self.ref_subject and self.bootstrap_design != "crossed":
            raise ValidationFailed.one("--ref-subject",
                                       "the reference subject is used by the crossed bootstrap only: "
                                       "add --bootstrap-design crossed")

    @property
    def columns(self) -> tuple[str, ...]:
        cols = [self.score, self.genuine, *self.groups, *self.ref_groups]
        cols += [c for c in (self.subject, self.failure, self.rank, self.ref_subject) if c]
        return tuple(dict.fromkeys(cols))

    def flags(self) -> dict[str, Any]:
        return {"--score": self.score, "--genuine": self.genuine, "--group": list(self.groups),
                "--ref-group": list(self.ref_groups), "--subject": self.subject, "--failure": self.failure,
                "--rank": self.rank, "--ref-subject": self.ref_subject}

    @property
    def crossed(self) -> bool:
        return self.bootstrap_design == "crossed" and self.bootstrap > 0 and bool(self.subject and self.ref_subject)

    def zero(self) -> BiometricStats:
        return BiometricStats.zero(self)


@dataclass
class BiometricStats:
    """The monoid for one pass: per-group score counts, optional per-subject and cross-group counts."""

    scores: ScoreStats
    subjects: SubjectStats | None = None
    cross: ScoreStats | None = None
    crossed: CrossedBootstrapStats | None = None  # crossed-bootstrap replicate counts of impostors

    @classmethod
    def zero(cls, spec: BiometricSpec) -> BiometricStats:
        ops = np.asarray(spec.operating, np.float64)
        return cls(
            ScoreStats.zero(spec.groups, spec.thresholds, spec.tail_k),
            SubjectStats.zero(spec.groups, ops) if spec.subject else None,
            ScoreStats.zero(spec.groups + tuple(f"ref:{c}" for c in spec.ref_groups), ops) if spec.ref_groups
            else None,
            CrossedBootstrapStats.zero(spec.groups, ops, spec.bootstrap, spec.seed) if spec.crossed else None,
        )

    def __add__(self, other: BiometricStats) -> BiometricStats:
        return BiometricStats(
            self.scores + other.scores,
            None if self.subjects is None else self.subjects + other.subjects,
            None if self.cross is None else self.cross + other.cross,
            None if self.crossed is None else self.crossed + other.crossed,
        )

    def equals(self, other: BiometricStats) -> bool:
        def eq(a, b):
            return (a is None and b is None) or (a is not None and b is not None and a.equals(b))

        return (eq(self.scores, other.scores) and eq(self.subjects, other.subjects) and eq(self.cross, other.cross)
                and eq(self.crossed, other.crossed))


@dataclass
class CalibrationStats:
    """The monoid of the calibration pass: totals and exact tails of every scored comparison, and
    (for an AU-FDR ladder) a coarse key histogram of the scored impostor comparisons."""

    scores: ScoreStats
    hist: ScoreHistogram | None = None

    def __add__(self, other: CalibrationStats) -> CalibrationStats:
        return CalibrationStats(self.scores + other.scores,
                                None if self.hist is None else self.hist + other.hist)


def _column(batch, name):
    return batch.column(name) if hasattr(batch, "column") else batch[name]


def _read_scores(spec: BiometricSpec, row_offset: int, batch):
    genuine = labels_to_bool(_column(batch, spec.genuine), spec.genuine, row_offset)
    failed = None
    if spec.failure:
        failed = labels_to_bool(_column(batch, spec.failure), spec.failure, row_offset)
    raw = _column(batch, spec.score)
    skip = failed
    if spec.mode == "identification":
        # a missing score means no candidate returned (non-mated) / mate not returned (mated)
        missing = np.asarray(pc.is_null(raw).to_numpy(zero_copy_only=False), bool)
        skip = missing if skip is None else (skip | missing)
        s = scores_to_float(raw, spec.score, row_offset, skip=skip)
        s = np.where(missing, -np.inf, s)
        if spec.rank and spec.max_rank is not None:
            rk = scores_to_float(_column(batch, spec.rank), spec.rank, row_offset, skip=~genuine | missing)
            s = np.where(genuine & ~missing & (rk > spec.max_rank), -np.inf, s)
        return s, genuine, failed
    s = scores_to_float(raw, spec.score, row_offset, skip=skip)
    return s, genuine, failed


def _scored_impostors(s, genuine, failed) -> np.ndarray:
    imp = ~genuine if failed is None else (~genuine & ~failed)
    return s[imp]


def map_calibration_batch(spec: BiometricSpec, row_offset: int, batch) -> CalibrationStats:
    """Pass 1: no groups, no grid; totals, min/max and the exact tails of every scored comparison,
    and with ``spec.hist_bits`` the key histogram of the scored impostor comparisons."""
    s, genuine, failed = _read_scores(spec, row_offset, batch)
    stats = ScoreStats.from_arrays(s, genuine, {}, [], tail_k=spec.tail_k, failed=failed)
    hist = ScoreHistogram.from_scores(_scored_impostors(s, genuine, failed), spec.hist_bits) if spec.hist_bits else None
    return CalibrationStats(stats, hist)


def map_ladder_batch(spec: BiometricSpec, bins: tuple[int, ...], row_offset: int, batch) -> BinValues:
    """Pass 1b (AU-FDR ladder): the exact scored impostor scores that fall in the given key bins."""
    s, genuine, failed = _read_scores(spec, row_offset, batch)
    return BinValues.from_scores(_scored_impostors(s, genuine, failed), bins, spec.hist_bits)


def map_biometric_batch(spec: BiometricSpec, row_offset: int, batch) -> BiometricStats:
    """Pass 2 (or the only pass): per-group counts on the declared thresholds, per-subject counts
    and the cross-group matrix at the operating thresholds."""
    s, genuine, failed = _read_scores(spec, row_offset, batch)
    groups = {g: check_group(_column(batch, g), g, row_offset) for g in spec.groups}
    include = None
    refs = {}
    if spec.ref_groups:
        refs = {f"ref:{r}": check_group(_column(batch, r), r, row_offset) for r in spec.ref_groups}
        if spec.pairing == "same-group":
            same = np.ones(len(s), bool)
            for g, r in zip(spec.groups, spec.ref_groups):
                a, b = groups[g], refs[f"ref:{r}"]
                a = a.dictionary_decode() if pa.types.is_dictionary(a.type) else a
                b = b.dictionary_decode() if pa.types.is_dictionary(b.type) else b
                if a.type != b.type:
                    a, b = pc.cast(a, pa.string()), pc.cast(b, pa.string())
                same &= np.asarray(pc.equal(a, b).to_numpy(zero_copy_only=False), bool)
            include = genuine | same
    stats = ScoreStats.from_arrays(s, genuine, groups, spec.thresholds, tail_k=spec.tail_k, failed=failed,
                                   include=include)
    subjects = cross = None
    ops = np.asarray(spec.operating, np.float64)
    ok = np.ones(len(s), bool) if failed is None else ~failed
    if spec.subject:
        keys = subject_keys(_column(batch, spec.subject))
        inc = ok if include is None else ok & include
        subjects = SubjectStats.from_arrays(keys, s, genuine, groups, ops, include=inc)
    if spec.ref_groups:
        imp = ok & ~genuine
        cross = ScoreStats.from_arrays(s, np.zeros(len(s), bool), {**groups, **refs}, ops, include=imp)
    crossed = None
    if spec.crossed:
        imp = ok & ~genuine if include is None else ok & ~genuine & include
        ref = _column(batch, spec.ref_subject)
        if ref.null_count:
            missing = np.asarray(ref.is_null().to_numpy(zero_copy_only=False), bool) & imp
            if missing.any():
                raise bad_value(spec.ref_subject, row_offset + int(np.flatnonzero(missing)[0]) + 1,
                                "missing reference subject on an impostor comparison", "missing")
        crossed = CrossedBootstrapStats.from_arrays(keys, subject_keys(ref), s, groups, ops, spec.bootstrap,
                                                    spec.seed, include=imp)
    return BiometricStats(stats, subjects, cross, crossed)


