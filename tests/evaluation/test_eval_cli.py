"""CLI contract: `raigov eval ...` run as a subprocess on small generated files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from raigov.evaluation.classifier import classifier_metrics

RAIGOV = str(Path(sys.executable).parent / "raigov")


def strict_json(text):
    def no_constants(name):
        raise AssertionError(f"invalid JSON constant {name}")

    return json.loads(text, parse_constant=no_constants)


def run_cli(*args, check=True):
    p = subprocess.run([RAIGOV, "eval", *map(str, args)], capture_output=True, text=True, timeout=120, check=False)
    if check and p.returncode != 0:
        raise AssertionError(f"exit {p.returncode}\nstdout:{p.stdout}\nstderr:{p.stderr}")
    return p


@pytest.fixture(scope="module")
def clf_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("clf")
    rng = np.random.default_rng(5)
    n = 3000
    race = np.array(["A", "B", "C"])[rng.integers(0, 3, n)]
    sex = np.array(["F", "M"])[rng.integers(0, 2, n)]
    sex[(race == "C")] = "F"  # C x M is an empty intersection
    y_true = rng.integers(0, 2, n)
    y_true[race == "B"] = 0  # group with no positives
    y_pred = (rng.random(n) < np.where(race == "A", 0.6, 0.4)).astype(int)
    table = pa.table({"label": y_true, "pred": y_pred, "race": race, "sex": sex})
    csv = d / "clf.csv"
    import pyarrow.csv as pacsv

    pacsv.write_csv(table, csv)
    pqf = d / "clf.parquet"
    pq.write_table(table, pqf, row_group_size=500)
    return {"csv": csv, "parquet": pqf, "y_true": y_true, "y_pred": y_pred, "race": race, "sex": sex}


def test_classifier_json_contract(clf_files):
    p = run_cli("classifier", clf_files["csv"], "--y-true", "label", "--y-pred", "pred",
                "--group", "race", "--group", "sex", "--json")
    out = strict_json(p.stdout)  # valid JSON, nothing else on stdout
    assert {"overall", "groups"} <= out.keys()
    expected = classifier_metrics(clf_files["y_true"], clf_files["y_pred"],
                                  {"race": clf_files["race"], "sex": clf_files["sex"]})
    assert len(out["groups"]) == 5  # observed intersections only (C x M is empty)
    for g in out["groups"]:
        assert set(g["group"]) == {"race", "sex"}
        for key in ("n", "selection_rate", "tpr", "fpr", "fnr", "precision", "accuracy"):
            assert key in g
        i = expected.labels.index(g["group"])
        for m in ("selection_rate", "tpr", "fpr", "fnr", "precision", "accuracy"):
            assert g[m] == pytest.approx(float(expected.by_group(m)[i]), abs=1e-12)
        assert g["n"] == int(expected.n[i])
    b = [g for g in out["groups"] if g["group"]["race"] == "B"]
    assert all(g["tpr"] == 0.0 for g in b)  # Fairlearn convention: no positives -> 0.0
    assert out["overall"]["n"] == 3000
    assert out["overall"]["selection_rate"] == pytest.approx(expected.overall("selection_rate"), abs=1e-15)
    assert "conventions" in out and out["data"]["rows"] == 3000 and len(out["data"]["sha256"]) == 64


def test_classifier_csv_and_parquet_agree(clf_files):
    a = json.loads(run_cli("classifier", clf_files["csv"], "--y-true", "label", "--y-pred", "pred",
                           "--group", "race", "--json").stdout)
    b = json.loads(run_cli("classifier", clf_files["parquet"], "--y-true", "label", "--y-pred", "pred",
                           "--group", "race", "--json").stdout)
    assert a["groups"] == b["groups"] and a["overall"] == b["overall"]


def test_classifier_nan_output_is_null(tmp_path):
    f = tmp_path / "x.csv"
    f.write_text("y,p,g\n0,0,a\n0,0,b\n")
    p = run_cli("classifier", f, "--y-true", "y", "--y-pred", "p", "--group", "g", "--json", "--nan-zero-division")
    out = strict_json(p.stdout)
    assert out["groups"][0]["tpr"] is None
    assert out["summary"]["between_groups"]["demographic_parity_ratio"] is None


def test_classifier_table_output(clf_files):
    p = run_cli("classifier", clf_files["parquet"], "--y-true", "label", "--y-pred", "pred", "--group", "race")
    assert "overall" in p.stdout and "four-fifths" in p.stdout


@pytest.mark.parametrize(
    "content,args,column,row",
    [
        ("y,p,g\n0,1,a\n1,2,b\n", ["--y-true", "y", "--y-pred", "p", "--group", "g"], "p", 2),
        ("y,p,g\n0,1,a\n1,1,b\n1,0,\n", ["--y-true", "y", "--y-pred", "p", "--group", "g"], "g", 3),
        ("y,p,g\n0,1,a\nyes,1,b\nmaybe,0,c\n", ["--y-true", "y", "--y-pred", "p", "--group", "g"], "y", 3),
    ],
)
def test_classifier_bad_input_names_column_and_row(tmp_path, content, args, column, row):
    f = tmp_path / "bad.csv"
    f.write_text(content)
    p = run_cli("classifier", f, *args, "--json", check=False)
    assert p.returncode == 2
    assert p.stdout == ""
    assert f"'{column}'" in p.stderr or f"{column}:" in p.stderr
    assert f"row {row}" in p.stderr


def test_classifier_missing_column(clf_files):
    p = run_cli("classifier", clf_files["csv"], "--y-true", "nope", "--y-pred", "pred", "--group", "race",
                check=False)
    assert p.returncode == 2 and "nope" in p.stderr and "not found" in p.stderr


def test_parquet_bad_row_number_spans_row_groups(tmp_path):
    y = np.zeros(1200, dtype=np.int64)
    y[1100] = 7
    f = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"y": y, "p": np.zeros(1200, np.int64), "g": ["a"] * 1200}), f, row_group_size=500)
    p = run_cli("classifier", f, "--y-true", "y", "--y-pred", "p", "--group", "g", check=False)
    assert p.returncode == 2 and "row 1101" in p.stderr and "'y'" in p.stderr


# ------------------------------------------------------------------------------------ biometric
@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    f = tmp_path_factory.mktemp("bio") / "s.parquet"
    p = run_cli("synth-biometric", "--subjects", 3000, "--groups", 3, "--seed", 5, "--rows-per-group", 10_000,
                "-o", f, "--json")
    meta = strict_json(p.stdout)
    assert meta["rows"] == 3000 * 22 and pq.ParquetFile(f).metadata.num_row_groups > 1
    return f


BIO_GROUP_KEYS = {"group", "genuine", "impostor", "fmr", "fnmr", "fmr_ci", "fnmr_ci"}
DIFF_KEYS = {"fmr_max_min_ratio", "fnmr_max_min_ratio", "gini_fmr", "gini_fnmr", "garbe", "fdr", "ir"}


def test_synth_is_deterministic(tmp_path, synth):
    f2 = tmp_path / "again.parquet"
    run_cli("synth-biometric", "--subjects", 3000, "--groups", 3, "--seed", 5, "--rows-per-group", 10_000, "-o", f2)
    assert pq.read_table(f2).equals(pq.read_table(synth))


def test_biometric_json_contract_fixed_threshold(synth):
    p = run_cli("biometric", synth, "--score", "score", "--genuine", "genuine", "--group", "group",
                "--subject", "subject", "--threshold", 0.25, "--json")
    out = strict_json(p.stdout)
    assert {"threshold", "groups", "differentials", "conventions"} <= out.keys()
    assert out["threshold"] == 0.25
    assert out["differentials"].keys() >= DIFF_KEYS
    assert out["conventions"]["alpha"] == 0.5 and out["conventions"]["zero_handling"] == "upper-bound"
    assert "impostor_pairing" in out["conventions"]
    tbl = pq.read_table(synth).to_pandas()
    for g in out["groups"]:
        assert g.keys() >= BIO_GROUP_KEYS
        sub = tbl[tbl.group == g["group"]["group"]]
        imp, gen = sub[~sub.genuine], sub[sub.genuine]
        assert g["impostor"] == len(imp) and g["genuine"] == len(gen)
        assert g["fmr"] == pytest.approx((imp.score.astype(float) >= 0.25).mean(), abs=1e-15)
        assert g["fnmr"] == pytest.approx((gen.score.astype(float) < 0.25).mean(), abs=1e-15)
        lo, hi = g["fmr_ci"]
        assert lo <= g["fmr"] <= hi
    fmrs = [g["fmr"] for g in out["groups"]]
    assert out["differentials"]["fmr_max_min_ratio"] == pytest.approx(max(fmrs) / min(fmrs), rel=1e-12)


def test_biometric_target_fmr(synth):
    out = strict_json(run_cli("biometric", synth, "--score", "score", "--genuine", "genuine", "--group", "group",
                              "--target-fmr", 1e-3, "--json").stdout)
    imp = pq.read_table(synth, columns=["score", "genuine"]).to_pandas()
    imp = imp[~imp.genuine].score.astype(float).to_numpy()
    from raigov.evaluation.biometric import threshold_at_fmr

    assert out["threshold"] == threshold_at_fmr(imp, 1e-3)
    rule = out["conventions"]["threshold_rule"]
    assert rule["rule"] == "target-fmr" and rule["achieved_fmr"] <= 1e-3
    assert out["overall"]["fmr"] == rule["achieved_fmr"]


def test_biometric_table_output(synth):
    p = run_cli("biometric", synth, "--score", "score", "--genuine", "genuine", "--group", "group",
                "--threshold", 0.25)
    assert "overall" in p.stdout and "garbe" in p.stdout


def test_biometric_needs_exactly_one_threshold_rule(synth):
    p = run_cli("biometric", synth, "--score", "score", "--genuine", "genuine", "--group", "group", check=False)
    assert p.returncode == 2 and "--threshold" in p.stderr


@pytest.mark.parametrize(
    "content,column,row,what",
    [
        ("s,gen,g\n0.5,1,a\n0.4,0,b\nabc,0,a\n", "s", 3, "not a number"),
        ("s,gen,g\n0.5,1,a\nNaN,0,b\n", "s", 2, "NaN"),
        ("s,gen,g\n0.5,1,a\n0.1,0,b\n0.2,2,b\n", "gen", 3, "unknown label"),
        ("s,gen,g\n0.5,1,a\n,0,b\n", "s", 2, "empty"),
    ],
)
def test_biometric_bad_input(tmp_path, content, column, row, what):
    f = tmp_path / "bad.csv"
    f.write_text(content)
    p = run_cli("biometric", f, "--score", "s", "--genuine", "gen", "--group", "g", "--threshold", 0.3, "--json",
                check=False)
    assert p.returncode == 2 and p.stdout == ""
    assert f"'{column}'" in p.stderr and f"row {row}" in p.stderr and what in p.stderr


def test_biometric_missing_column(synth):
    p = run_cli("biometric", synth, "--score", "nope", "--genuine", "genuine", "--group", "group",
                "--threshold", 0.3, check=False)
    assert p.returncode == 2 and "nope" in p.stderr


@pytest.mark.slow
def test_biometric_dask_backend_matches_local(synth):
    args = ["biometric", synth, "--score", "score", "--genuine", "genuine", "--group", "group",
            "--target-fmr", 1e-3, "--json"]
    a = strict_json(run_cli(*args).stdout)
    b = strict_json(run_cli(*args, "--backend", "dask").stdout)
    a.pop("data"), b.pop("data")
    assert a == b


# ------------------------------------------------------------------- AU-FDR and the crossed bootstrap
# every key the biometric JSON had before AU-FDR; the new ones are added, none renamed
DIFF_KEYS_ALL = {"fmr_max_min_ratio", "fnmr_max_min_ratio", "fmr_max_geomean", "fnmr_max_geomean",
                 "fmr_max_minus_min", "fnmr_max_minus_min", "gini_fmr", "gini_fnmr", "garbe", "fdr", "ir", "werm",
                 "alpha", "zero_handling", "groups_fmr", "groups_fnmr"}


def test_biometric_json_keys_kept_au_fdr_added(synth):
    out = strict_json(run_cli("biometric", synth, "--score", "score", "--genuine", "genuine", "--group", "group",
                              "--threshold", 0.25, "--json").stdout)
    assert set(out) == {"threshold", "groups", "differentials", "overall", "conventions", "data"}
    assert set(out["differentials"]) == DIFF_KEYS_ALL | {"au_fdr"}
    assert out["differentials"]["au_fdr"] is None and out["conventions"]["au_fdr"] == "off"
    assert out["conventions"]["bootstrap"] == "off" and out["conventions"]["bootstrap_design"] == "off"


def test_biometric_au_fdr_and_crossed_bootstrap_flags(synth):
    from raigov.evaluation.biometric import BiometricSpec
    from raigov.evaluation.runner import json_safe, run_biometric

    args = ["--score", "score", "--genuine", "genuine", "--group", "group", "--subject", "subject",
            "--target-fmr", 1e-3, "--alpha", 0.3, "--au-fdr-range", 1e-3, 1e-1, "--au-fdr-points", 3,
            "--bootstrap", 20, "--seed", 7, "--bootstrap-design", "crossed", "--ref-subject", "ref_subject"]
    out = strict_json(run_cli("biometric", synth, *args, "--json").stdout)
    assert out["differentials"].keys() >= DIFF_KEYS_ALL
    assert 0 <= out["differentials"]["au_fdr"] <= 1
    conv = out["conventions"]["au_fdr"]
    assert conv["range"] == [1e-3, 1e-1] and conv["targets"] == [1e-3, 1e-2, 1e-1] and conv["points"] == 3
    assert conv["alpha"] == 0.3 and conv["beta"] == pytest.approx(0.7, abs=1e-15)
    assert len(conv["thresholds"]) == 3 and conv["thresholds"] == sorted(conv["thresholds"], reverse=True)
    assert out["conventions"]["bootstrap_design"] == "crossed"
    assert "au_fdr" in out["differentials_ci_bootstrap"]
    for g in out["groups"]:
        assert g.keys() >= BIO_GROUP_KEYS and "fmr_ci_bootstrap" in g
    spec = BiometricSpec(score="score", genuine="genuine", groups=("group",), subject="subject",
                         ref_subject="ref_subject", bootstrap_design="crossed")
    res, _ = run_biometric(synth, spec, target_fmr=1e-3, alpha=0.3, au_fdr_range=(1e-3, 1e-1), au_fdr_points=3,
                           bootstrap=20, seed=7)
    lib = json_safe(res.to_dict())
    assert lib["differentials"] == out["differentials"] and lib["groups"] == out["groups"]
    assert args[16] == 3 and args[17] == "--bootstrap"
    table = run_cli("biometric", synth, *args[:17]).stdout  # the table, with AU-FDR, without the bootstrap
    line = next(ln for ln in table.splitlines() if "au_fdr" in ln)
    assert f"{out['differentials']['au_fdr']:.6g}" in line


@pytest.mark.parametrize(
    "extra,flag",
    [
        (["--subject", "subject", "--bootstrap", 5, "--bootstrap-design", "crossed"], "--ref-subject"),
        (["--subject", "subject", "--ref-subject", "ref_subject", "--bootstrap-design", "crossed"], "--bootstrap"),
        (["--subject", "subject", "--ref-subject", "ref_subject", "--bootstrap", 5], "--bootstrap-design crossed"),
        (["--subject", "subject", "--bootstrap", 5, "--bootstrap-design", "both"], "--bootstrap-design"),
        (["--au-fdr-range", 0.1, 0.01], "--au-fdr-range"),
        (["--au-fdr-range", 0.01, 0.1, "--au-fdr-points", 1], "--au-fdr-points"),
    ],
)
def test_biometric_new_flags_bad_input(synth, extra, flag):
    p = run_cli("biometric", synth, "--score", "score", "--genuine", "genuine", "--group", "group",
                "--threshold", 0.25, *extra, "--json", check=False)
    assert p.returncode == 2 and p.stdout == "" and flag in p.stderr
