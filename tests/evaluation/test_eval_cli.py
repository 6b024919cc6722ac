"""CLI contract: `raigov eval ...` run as a subprocess on small generated files."""

from __future__ import annotations

import json
import math
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
    p = subprocess.run([RAIGOV, "eval", *map(str, args)], capture_output=True, text=True, timeout=120)
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
