"""`raigov monitor ingest --backend dask` (issue #17): a window counted on a Dask cluster over the file's
partitions is stored exactly as the local, streamed count stores it (the counts' digest, the drift figures and
the alerts), for a multi-partition Parquet file and a CSV, on both databases; the CLI takes the same --backend and
--scheduler options as `raigov eval`."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from raigov.cli.main import app as cli
from raigov.evaluation.backends import DaskRunner
from raigov.evaluation.io import Source
from raigov.monitoring import service
from raigov.monitoring.models import MonitorAlert, MonitorWindow
from tests.monitoring.conftest import START, sample
from tests.monitoring.test_monitor_cli import write_csv

DAYS = [("2026-11-22", "2026-11-28"), ("2026-11-29", "2026-12-05")]


@pytest.fixture(scope="module")
def dask_client():
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None)
    client = Client(cluster)
    yield client
    client.close()
    cluster.close()


def digest(counts: dict) -> str:
    return hashlib.sha256(json.dumps(counts, sort_keys=True).encode()).hexdigest()


def _window_files(tmp):
    """The same drifted window (1,000 rows, missing values, outcomes per group) as a Parquet file of 11 row
    groups and as a CSV."""
    g = np.random.default_rng(7)
    cols = sample(g, 1000, shift=6.0)
    cols["age"][3] = None
    cols["channel"][9] = None
    cols["channel"][10] = "fax"  # unseen in the reference
    cols["region"] = g.choice(["north", "south"], 1000).tolist()
    cols["label"] = g.integers(0, 2, 1000).tolist()
    cols["pred"] = g.integers(0, 2, 1000).tolist()
    pq.write_table(pa.table(cols), tmp / "win.parquet", row_group_size=97)
    write_csv(tmp / "win.csv", cols)
    return tmp / "win.parquet", tmp / "win.csv"


def _stored(db, win_id: int) -> dict:
    with db.transaction() as s:
        w = s.get(MonitorWindow, win_id)
        alerts = [(a.feature, a.group_name, a.metric, a.value, a.threshold, a.severity, a.n_current)
                  for a in s.query(MonitorAlert).filter(MonitorAlert.last_window_id == win_id).order_by(MonitorAlert.id)]
        return {"rows": w.rows, "digest": digest(w.counts), "results": w.results, "drift": w.drift, "alerts": alerts}


def test_dask_ingest_stores_the_same_window_as_local_for_parquet_and_csv(db, people, case, dask_client):
    bid, _, tmp = case
    pq_file, csv_file = _window_files(tmp)
    assert len(Source(pq_file).partitions(["age"])) == 11
    mids = {}
    with db.transaction() as s:
        for way in ("local", "dask"):
            mids[way] = service.create_monitor(s, people["owner"], bid, name=f"Outcomes {way}",
                                               reference=str(tmp / "ref.csv"), numeric=["age"],
                                               categorical=["channel"], group="region", label="label",
                                               prediction="pred", starts_on=START).id
    for (start, end), path in zip(DAYS, (pq_file, csv_file), strict=True):
        stored = {}
        for way, mid in mids.items():
            with db.transaction() as s:
                win, _ = service.ingest_file(s, people["cbp-sys"], mid, str(path), dt.date.fromisoformat(start),
                                             dt.date.fromisoformat(end), backend=way,
                                             runner=DaskRunner(client=dask_client) if way == "dask" else None)
                wid = win.id
            stored[way] = _stored(db, wid)
        local, dask = stored["local"], stored["dask"]
        assert local["digest"] == dask["digest"], path
        assert local == dask, path
        assert local["rows"] == 1000 and local["drift"] is True and local["alerts"], path
        assert set(json.loads(json.dumps(local["results"]))) >= {"features"}
    # the CSV and the Parquet file are the same rows: the same counts
    with db.transaction() as s:
        c = [w.counts for w in s.query(MonitorWindow).filter(MonitorWindow.monitor_id == mids["dask"])
             .order_by(MonitorWindow.period_start)]
    # (each window also keeps its own file's name and SHA-256, for labels that arrive later: not a count)
    assert c[0]["file"]["sha256"] != c[1]["file"]["sha256"]
    c = [{k: v for k, v in x.items() if k != "file"} for x in c]
    assert digest(c[0]) == digest(c[1]) and sum(sum(v) for v in c[0]["outcomes"].values()) == 1000


def test_cli_backend_and_scheduler_options(db, case, cli_env):
    from distributed import LocalCluster

    _, mid, tmp = case
    pq_file, _ = _window_files(tmp)
    run = CliRunner().invoke
    r = run(cli, ["monitor", "ingest", str(mid), str(pq_file), "--start", "2026-11-22", "--end", "2026-11-28",
                  "--backend", "spark", "--json"])
    assert r.exit_code == 2 and "--backend" in r.output
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp",
                      dashboard_address=None) as cluster:
        r = run(cli, ["monitor", "ingest", str(mid), str(pq_file), "--start", "2026-11-22", "--end", "2026-11-28",
                      "--backend", "dask", "--scheduler", cluster.scheduler_address, "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["rows"] == 1000 and out["drift"] is True
    help_text = run(cli, ["monitor", "ingest", "--help"]).output
    assert "--backend" in help_text and "--scheduler" in help_text and "--comparisons" in help_text
