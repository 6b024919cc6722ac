"""Face-recognition windows from a file of raw comparisons (issue #17), on both databases: the counts per group
at the monitor's threshold equal a hand count (match iff score >= threshold); the window stored from the file
equals the window stored from the same counts sent as JSON (counts, FMR/FNMR, ratios, checks, alerts); local and
Dask count the same; a missing column, a wrong value, an empty file or a monitor without a threshold is refused
naming the column and nothing is written; the CLI takes --comparisons with the T&E column options."""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from raigov.cli.main import app as cli
from raigov.errors import ValidationFailed
from raigov.evaluation.backends import DaskRunner
from raigov.monitoring import service
from raigov.monitoring.models import MonitorAlert, MonitorWindow
from tests.monitoring.test_monitor_biometric import T, _counts, _window, fr  # noqa: F401  (the FR monitor fixture)
from tests.monitoring.test_monitor_ingest_dask import dask_client  # noqa: F401  (the in-process Dask cluster)

D1, D2 = dt.date(2026, 11, 22), dt.date(2026, 11, 28)


def _n(db) -> tuple[int, int]:
    with db.transaction() as s:
        return (s.scalar(select(func.count()).select_from(MonitorWindow)),
                s.scalar(select(func.count()).select_from(MonitorAlert)))


def _second_fr(db, people, bid, tmp) -> int:
    with db.transaction() as s:
        return service.create_monitor(s, people["owner"], bid, name="Face matcher (counts)",
                                      reference=str(tmp / "ref.csv"), numeric=["age"], categorical=["channel"],
                                      biometric_threshold=T, starts_on=dt.date(2026, 11, 21)).id


def test_hand_count_at_the_threshold(db, people, fr, tmp_path):  # noqa: F811
    _, mid, tmp = fr
    # group F: genuine 0.9, 0.5 (= T: a match), 0.49 (a false non-match); impostors 0.5 (= T: a false match), 0.1
    # group M: genuine 0.7; impostors 0.2, 0.3, 0.8 (a false match); labels as true/false
    rows = [(0.9, "1", "F"), (0.5, "1", "F"), (0.49, "1", "F"), (0.5, "0", "F"), (0.1, "0", "F"),
            (0.7, "true", "M"), (0.2, "false", "M"), (0.3, "false", "M"), (0.8, "false", "M")]
    path = tmp_path / "cmp.csv"
    path.write_text("sim,mated,sex\n" + "".join(f"{s},{g},{x}\n" for s, g, x in rows))
    with db.transaction() as s:
        win, _ = service.ingest_file(s, people["cbp-sys"], mid, str(tmp / "same.csv"), D1, D2,
                                     comparisons=str(path), columns={"score": "sim", "genuine": "mated",
                                                                     "groups": ["sex"]})
        bio = win.counts["biometric"]
        res = win.results["biometric"]
    assert bio == {"threshold": T, "groups": {"F": {"n_gen": 3, "fnm": 1, "n_imp": 2, "fm": 1},
                                              "M": {"n_gen": 1, "fnm": 0, "n_imp": 3, "fm": 1}}}
    assert res["groups"]["F"]["fmr"] == 0.5 and res["groups"]["F"]["fnmr"] == 1 / 3
    assert res["groups"]["M"]["fmr"] == 1 / 3 and res["groups"]["M"]["fnmr"] == 0.0


def test_the_file_and_the_counts_store_the_same_window_local_and_dask(db, people, fr, dask_client):  # noqa: F811
    bid, mid, tmp = fr
    other = _second_fr(db, people, bid, tmp)
    body = _window(db, tmp, mid)
    _, bio = _counts(tmp, 2, {"C": 0.25})  # group C's impostors score higher: a high FMR-ratio alert
    csv = tmp / "scores-2.csv"
    table = pacsv.read_csv(csv)
    pq.write_table(table, tmp / "scores-2.parquet", row_group_size=1000)  # 13 row groups
    with db.transaction() as s:
        a, alerts_a = service.ingest_file(s, people["cbp-sys"], mid, str(tmp / "same.csv"), D1, D2,
                                          comparisons=str(csv))
        b, alerts_b = service.record_window(s, people["cbp-sys"], other, D1, D2, {**body, "biometric": bio})
        # the file's window also keeps the file's name and SHA-256 (for labels that arrive later): not a count
        assert a.counts["file"]["name"] == "same.csv" and "file" not in b.counts
        counts_a = {k: v for k, v in a.counts.items() if k != "file"}
        assert counts_a == b.counts and a.results == b.results and a.rows == b.rows and a.drift == b.drift
        key = [(x.feature, x.group_name, x.metric, x.value, x.threshold, x.severity, x.threshold_source)
               for x in alerts_a]
        assert key == [(x.feature, x.group_name, x.metric, x.value, x.threshold, x.severity, x.threshold_source)
                       for x in alerts_b]
        assert ("face recognition", "C", "fmr_max_min_ratio") in [k[:3] for k in key]
        c, _ = service.ingest_file(s, people["cbp-sys"], mid, str(tmp / "same.csv"), D2 + dt.timedelta(days=1),
                                   D2 + dt.timedelta(days=7), comparisons=str(tmp / "scores-2.parquet"),
                                   backend="dask", runner=DaskRunner(client=dask_client))
        assert c.counts == a.counts and c.results == a.results


def test_bad_comparison_files_are_refused_naming_the_column(db, people, case, fr, tmp_path):  # noqa: F811
    _, mid, tmp = fr
    _, plain, _ = case
    good = "score,genuine,group\n0.9,1,A\n0.1,0,A\n"
    files = {"missing": ("score,group\n0.9,A\n", "genuine"), "score": ("score,genuine,group\n0.9,1,A\nhigh,0,A\n",
                                                                          "score"),
             "genuine": ("score,genuine,group\n0.9,maybe,A\n", "genuine"),
             "group": ("score,genuine,group\n0.9,1,A\n0.2,0,\n", "group"),
             "empty": ("score,genuine,group\n", "comparisons")}
    before = _n(db)
    for name, (text, field) in files.items():
        path = tmp_path / f"{name}.csv"
        path.write_text(text)
        with db.transaction() as s, pytest.raises(ValidationFailed) as e:
            service.ingest_file(s, people["cbp-sys"], mid, str(tmp / "same.csv"), D1, D2, comparisons=str(path))
        assert e.value.errors[0].field == field, (name, e.value.errors)
    (tmp_path / "good.csv").write_text(good)
    pq.write_table(pa.table({"score": [0.5], "genuine": [1], "group": ["A"]}).slice(0, 0), tmp_path / "empty.parquet")
    same, good = str(tmp / "same.csv"), str(tmp_path / "good.csv")
    for mon, window, comparisons, field in ((plain, same, good, "comparisons"),  # not a face-recognition monitor
                                            (mid, same, str(tmp_path / "empty.parquet"), "comparisons"),
                                            (mid, str(tmp / "wrong.csv"), good, "channel")):  # a wrong window file
        with db.transaction() as s, pytest.raises(ValidationFailed) as e:
            service.ingest_file(s, people["cbp-sys"], mon, window, D1, D2, comparisons=comparisons)
        assert e.value.errors[0].field == field, (comparisons, e.value.errors)
    with db.transaction() as s, pytest.raises(ValidationFailed) as e:
        service.ingest_file(s, people["cbp-sys"], mid, str(tmp / "same.csv"), D1, D2,
                            comparisons=str(tmp_path / "good.csv"), columns={"groups": []})
    assert e.value.errors[0].field == "--group"
    assert _n(db) == before


def test_cli_ingest_with_comparisons(db, fr, cli_env, tmp_path):  # noqa: F811
    _, mid, tmp = fr
    (tmp_path / "c.csv").write_text("s,g,race,sex\n0.9,1,A,F\n0.4,1,A,F\n0.6,0,A,M\n0.1,0,B,M\n0.95,1,B,M\n")
    r = CliRunner().invoke(cli, ["monitor", "ingest", str(mid), str(tmp / "same.csv"), "--start", "2026-11-22",
                                 "--end", "2026-11-28", "--comparisons", str(tmp_path / "c.csv"), "--score", "s",
                                 "--genuine", "g", "--group", "race", "--group", "sex", "--json"])
    assert r.exit_code == 0, r.output
    groups = json.loads(r.output)["biometric"]["groups"]
    assert {g: (v["n_gen"], v["fnm"], v["n_imp"], v["fm"]) for g, v in groups.items()} == {
        "A / F": (2, 1, 0, 0), "A / M": (0, 0, 1, 1), "B / M": (1, 0, 1, 0)}
    r = CliRunner().invoke(cli, ["monitor", "ingest", str(mid), str(tmp / "same.csv"), "--start", "2026-11-29",
                                 "--end", "2026-12-05", "--comparisons", str(tmp_path / "c.csv"), "--json"])
    assert r.exit_code == 2 and "score" in r.output and "--score" in r.output
    r = CliRunner().invoke(cli, ["monitor", "ingest", str(mid), str(tmp / "same.csv"), "--start", "2026-11-29",
                                 "--end", "2026-12-05", "--score", "s", "--json"])
    assert r.exit_code == 2 and "--comparisons" in r.output
