"""`raigov monitor drift`: the JSON contract, its values against SciPy on the same data, bad input named."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy import stats
from typer.testing import CliRunner

from raigov.cli.main import app

KEYS = ["name", "kind", "n_reference", "n_current", "psi", "psi_critical", "js_distance", "js_base",
        "wasserstein_std", "chi2", "chi2_dof", "chi2_p", "ks", "ks_p", "drift", "method"]
TOL = 1e-12


def write_csv(path, cols):
    n = len(next(iter(cols.values())))
    lines = [",".join(cols)] + [",".join("" if (v is None or (isinstance(v, float) and np.isnan(v))) else
                                         (repr(float(v)) if isinstance(v, float) else str(v))
                                         for v in (cols[c][i] for c in cols)) for i in range(n)]
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture
def files(tmp_path):
    g = np.random.default_rng(11)
    ref = {"age": g.normal(40, 10, 800).tolist(), "state": g.choice(["VA", "MD", "DC"], 800).tolist()}
    cur = {"age": g.normal(44, 12, 600).tolist(), "state": g.choice(["VA", "MD", "DC", "WV"], 600).tolist()}
    ref["age"][5] = None
    cur["state"][7] = None
    write_csv(tmp_path / "ref.csv", ref)
    pq.write_table(pa.table(cur), tmp_path / "cur.parquet")
    return tmp_path, ref, cur


def run(*args):
    return CliRunner().invoke(app, ["monitor", "drift", *map(str, args)])


def test_json_contract_and_values_match_scipy(files):
    tmp, ref, cur = files
    res = run(tmp / "ref.csv", tmp / "cur.parquet", "--numeric", "age", "--categorical", "state", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert list(out) == ["features"]
    age, state = out["features"]
    assert list(age) == KEYS and list(state) == KEYS
    x = np.array([v for v in ref["age"] if v is not None])
    y = np.array(cur["age"])
    ks = stats.ks_2samp(x, y)
    assert (age["kind"], age["n_reference"], age["n_current"]) == ("numeric", 800, 600)
    assert age["ks"] == pytest.approx(ks.statistic, abs=TOL) and age["ks_p"] == pytest.approx(ks.pvalue, abs=TOL)
    assert age["wasserstein_std"] == pytest.approx(stats.wasserstein_distance(x, y) / np.std(x), abs=TOL)
    assert age["chi2"] is None and age["js_base"] == 2.0 and age["drift"] is True
    assert "exact" in age["method"] and "Benjamini-Hochberg" in age["method"]
    # categorical: two-sample contingency over VA/MD/DC + unseen (WV) + missing
    cats = ["VA", "MD", "DC"]
    r = [ref["state"].count(c) for c in cats] + [0, 0]
    c = [cur["state"].count(k) for k in cats] + [cur["state"].count("WV"), 1]
    table = np.array([r, c])
    table = table[:, table.sum(axis=0) > 0]
    chi = stats.chi2_contingency(table, correction=False)
    assert state["chi2"] == pytest.approx(chi.statistic, abs=TOL) and state["chi2_dof"] == chi.dof
    assert state["chi2_p"] == pytest.approx(chi.pvalue, abs=TOL)
    assert state["ks"] is None and state["wasserstein_std"] is None
    assert state["psi_critical"] == pytest.approx((1 / 800 + 1 / 600) * stats.chi2.ppf(0.95, table.shape[1] - 1),
                                                  abs=TOL)


def test_kinds_inferred_and_table_output(files):
    tmp, _, _ = files
    res = run(tmp / "ref.csv", tmp / "cur.parquet")
    assert res.exit_code == 0, res.output
    assert "age" in res.stdout and "state" in res.stdout


def test_missing_column_and_bad_value_are_named(files, tmp_path):
    tmp, _, _ = files
    res = run(tmp / "ref.csv", tmp / "cur.parquet", "--numeric", "income", "--json")
    assert res.exit_code == 2 and "income" in res.output
    (tmp_path / "bad.csv").write_text("age,state\n1.5,VA\nabc,MD\n")
    res = run(tmp_path / "bad.csv", tmp / "cur.parquet", "--numeric", "age", "--json")
    assert res.exit_code == 2 and "'age'" in res.output and "row 2" in res.output
    res = run(tmp / "ref.csv", tmp / "cur.parquet", "--bins", "0")
    assert res.exit_code == 2 and "--bins" in res.output
