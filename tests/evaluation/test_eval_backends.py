"""Local streaming vs Dask: bit-identical statistics across 1, 7 and 64 partitions."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from raigov.evaluation.backends import DaskRunner, bind, run
from raigov.evaluation.biometric import BiometricSpec, map_biometric_batch
from raigov.evaluation.classifier import ClassifierSpec, map_classifier_batch
from raigov.evaluation.io import Source
from raigov.evaluation.runner import json_safe, run_biometric, run_classifier

N = 64 * 250


@pytest.fixture(scope="module")
def dask_client():
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None)
    client = Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("parts")
    rng = np.random.default_rng(99)
    race = np.array(["A", "B", "C", "D"])[rng.integers(0, 4, N)]
    race[: N // 3] = "A"  # early partitions see fewer levels: exercises the level union
    sex = np.array(["F", "M"])[rng.integers(0, 2, N)]
    table = pa.table({
        "y": rng.integers(0, 2, N), "p": rng.integers(0, 2, N), "race": race, "sex": sex,
        "score": np.round(rng.normal(0, 1, N), 3), "genuine": rng.random(N) < 0.2,
        "subject": rng.integers(0, 500, N), "ref_race": np.array(["A", "B", "C", "D"])[rng.integers(0, 4, N)],
        "ref_subject": rng.integers(0, 500, N),
    })
    out = {}
    for parts in (1, 7, 64):
        f = d / f"data_{parts}.parquet"
        pq.write_table(table, f, row_group_size=-(-N // parts))
        assert pq.ParquetFile(f).metadata.num_row_groups == parts
        out[parts] = f
    csv = d / "data.csv"
    import pyarrow.csv as pacsv

    pacsv.write_csv(table, csv)
    out["csv"] = csv
    return out


CSPEC = ClassifierSpec(y_true="y", y_pred="p", groups=("race", "sex"))
BSPEC = BiometricSpec(score="score", genuine="genuine", groups=("race", "sex"), subject="subject",
                      ref_groups=("ref_race", "sex"), thresholds=tuple(np.linspace(-2, 2, 41)), operating=(0.5, 1.0),
                      tail_k=100)


def stats_for(path, spec, mapper, backend, client=None, batch_rows=None):
    src = Source(path, **({"batch_rows": batch_rows} if batch_rows else {}))
    runner = DaskRunner(client=client) if client else None
    return run(src, spec.columns, bind(mapper, spec), backend=backend, zero_fn=spec.zero, runner=runner)


def test_classifier_bit_identical_partitions_and_backends(files, dask_client):
    ref = stats_for(files[1], CSPEC, map_classifier_batch, "local")
    assert ref.counts.sum() == N
    for parts in (7, 64):
        assert stats_for(files[parts], CSPEC, map_classifier_batch, "local").equals(ref)
        assert stats_for(files[parts], CSPEC, map_classifier_batch, "dask", dask_client).equals(ref)
    assert stats_for(files["csv"], CSPEC, map_classifier_batch, "local", batch_rows=1000).equals(ref)
    assert stats_for(files["csv"], CSPEC, map_classifier_batch, "dask", dask_client).equals(ref)


def test_biometric_bit_identical_partitions_and_backends(files, dask_client):
    ref = stats_for(files[1], BSPEC, map_biometric_batch, "local")
    assert ref.scores.n.sum() == N and ref.subjects is not None and ref.cross is not None
    for parts in (7, 64):
        assert stats_for(files[parts], BSPEC, map_biometric_batch, "local").equals(ref)
        assert stats_for(files[parts], BSPEC, map_biometric_batch, "dask", dask_client).equals(ref)
    assert stats_for(files["csv"], BSPEC, map_biometric_batch, "local", batch_rows=3000).equals(ref)


def test_end_to_end_results_identical(files, dask_client):
    spec = BiometricSpec(score="score", genuine="genuine", groups=("race",), subject="subject")
    a, _ = run_biometric(files[1], spec, target_fmr=0.01, grid_points=21, bootstrap=20)
    b, _ = run_biometric(files[64], spec, target_fmr=0.01, grid_points=21, bootstrap=20, backend="dask",
                         runner=DaskRunner(client=dask_client))
    assert a.threshold == b.threshold
    assert json_safe(a.to_dict()) == json_safe(b.to_dict())
    c1, _ = run_classifier(files[1], CSPEC)
    c2, _ = run_classifier(files[64], CSPEC, backend="dask", runner=DaskRunner(client=dask_client))
    assert json_safe(c1.to_dict()) == json_safe(c2.to_dict())


def test_au_fdr_and_crossed_bootstrap_identical_on_dask(files, dask_client):
    spec = BiometricSpec(score="score", genuine="genuine", groups=("race",), subject="subject",
                         ref_subject="ref_subject", bootstrap_design="crossed")
    kw = {"target_fmr": 0.01, "au_fdr_range": (1e-3, 0.3), "bootstrap": 20, "seed": 5}
    a, da = run_biometric(files[1], spec, **kw)
    b, db = run_biometric(files[64], spec, backend="dask", runner=DaskRunner(client=dask_client), **kw)
    c, _ = run_biometric(files["csv"], spec, batch_rows=3000, **kw)
    assert da["passes"] == db["passes"] == 3  # calibration + histogram, bin values, counts
    assert a.stats.equals(b.stats) and a.stats.equals(c.stats) and a.stats.crossed is not None
    assert a.au_fdr_thresholds == b.au_fdr_thresholds == c.au_fdr_thresholds
    assert a.au_fdr() == b.au_fdr() == c.au_fdr() is not None
    assert json_safe(a.to_dict()) == json_safe(b.to_dict())


def test_validation_error_from_a_dask_worker_names_column_and_row(tmp_path, dask_client):
    from raigov.errors import ValidationFailed

    y = np.zeros(300, np.int64)
    y[250] = 5
    f = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"y": y, "p": y * 0, "race": ["a"] * 300, "sex": ["f"] * 300}), f, row_group_size=100)
    with pytest.raises(ValidationFailed) as ei:
        run_classifier(f, CSPEC, backend="dask", runner=DaskRunner(client=dask_client))
    assert ei.value.errors[0].field == "y" and "row 251" in ei.value.errors[0].message


def test_runner_connects_to_a_scheduler_address(files):
    from distributed import LocalCluster

    with (LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp",
                       dashboard_address=None) as cluster,
          DaskRunner(scheduler=cluster.scheduler_address) as r):
        got, _ = run_classifier(files[7], CSPEC, backend="dask", runner=r)
    ref, _ = run_classifier(files[1], CSPEC)
    assert got.stats.equals(ref.stats)
