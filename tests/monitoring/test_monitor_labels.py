"""Labels that arrive later, scores, and windows by a time column (issue #17), on both databases.

* AUC from score bins against scikit-learn's `roc_auc_score` on scores that fall on the bin edges (then binning
  loses nothing: every tie in a bin is a tie of the scores), calibration per bin against NumPy;
* a window ingested without labels, its labels joined later by record id (the window's file given again, checked
  by its SHA-256): the same outcomes, scores and results as a window whose labels were in its file; `--replace`;
  bad labels (unknown id, duplicate id, a label not 0/1, another file) refused naming the column and row, nothing
  written; the partitioned join (spilled buckets) equal to the in-memory one;
* one file split into weekly windows by a time column, each window's counts equal to counting its rows alone, a
  row without a parsable time named by its row; labels joined to one of those windows;
* the API's optional score counts; the CLI (`monitor create|ingest|labels|status --json`).
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from sqlalchemy import func, select
from typer.testing import CliRunner

from raigov.audit.models import AuditEvent
from raigov.cli.main import app as cli
from raigov.errors import Conflict, ValidationFailed
from raigov.monitoring import service
from raigov.monitoring.ingest import window_counts
from raigov.monitoring.labels import JoinColumns, join_counts
from raigov.monitoring.models import Monitor, MonitorWindow
from raigov.monitoring.windows import spec_from_dict
from tests.monitoring.conftest import START, sample
from tests.monitoring.test_monitor_cli import write_csv

D1, D2 = dt.date(2026, 11, 22), dt.date(2026, 11, 28)


def records(g, n, start_id=0):
    """A window's records: features, a record id, group, score on the bin edges (k/20), prediction, label."""
    x = sample(g, n)
    s = g.integers(0, 20, n) / 20
    y = (g.random(n) < 0.15 + 0.7 * s).astype(int)
    return {**x, "rid": [f"r{start_id + i}" for i in range(n)], "grp": g.choice(["A", "B"], n).tolist(),
            "s": s.tolist(), "p": (s >= 0.5).astype(int).tolist(), "y": y.tolist()}


def without(cols, *names):
    return {k: v for k, v in cols.items() if k not in names}


@pytest.fixture
def lab(db, people, case):
    """A monitor with group, label, prediction, score and record-id columns; a window file with its labels
    (full.csv), the same without them (window.csv) and the labels alone (labels.csv, shuffled, one record left
    unlabelled)."""
    bid, _, tmp = case
    with db.transaction() as s:
        mid = service.create_monitor(s, people["owner"], bid, name="Scored", reference=str(tmp / "ref.csv"),
                                     numeric=["age"], categorical=["channel"], group="grp", label="y", prediction="p",
                                     score="s", record_id="rid", starts_on=START).id
    g = np.random.default_rng(1717)
    cols = records(g, 600)
    write_csv(tmp / "full.csv", cols)
    write_csv(tmp / "window.csv", without(cols, "y"))
    order = g.permutation(599)
    write_csv(tmp / "labels.csv", {"rid": [cols["rid"][i] for i in order], "y": [cols["y"][i] for i in order]})
    return bid, mid, tmp, cols


def n_rows(db):
    with db.transaction() as s:
        return (s.scalar(select(func.count()).select_from(MonitorWindow)),
                s.scalar(select(func.count()).select_from(AuditEvent)))


def test_auc_and_calibration_from_score_bins_match_sklearn_and_numpy(db, people, lab):
    _, mid, tmp, cols = lab
    with db.transaction() as s:
        win, _ = service.ingest_file(s, people["cbp-sys"], mid, str(tmp / "full.csv"), D1, D2)
        perf = win.results["performance"]
    y, sc = np.array(cols["y"]), np.array(cols["s"])
    assert perf["auc"] == pytest.approx(roc_auc_score(y, sc), abs=1e-12)
    for c in perf["calibration"]:
        m = (sc >= c["bin"][0]) & (sc < c["bin"][1])
        assert (c["n"], c["positive_rate"]) == (int(m.sum()), pytest.approx(y[m].mean(), abs=1e-12))
    p = np.array(cols["p"])
    tp, fp = int(((p == 1) & (y == 1)).sum()), int(((p == 1) & (y == 0)).sum())
    fn, tn = int(((p == 0) & (y == 1)).sum()), int(((p == 0) & (y == 0)).sum())
    assert (perf["tp"], perf["fp"], perf["fn"], perf["tn"]) == (tp, fp, fn, tn)
    assert perf["tpr"] == pytest.approx(tp / (tp + fn)) and perf["fpr"] == pytest.approx(fp / (fp + tn))
    assert perf["accuracy"] == pytest.approx((tp + tn) / 600) and perf["precision"] == pytest.approx(tp / (tp + fp))
    a = np.array(cols["grp"]) == "A"
    assert perf["groups_auc"]["A"] == pytest.approx(roc_auc_score(y[a], sc[a]), abs=1e-12)


def test_a_hand_worked_window():
    """Four labelled rows by hand: scores 0.1 (0), 0.4 (1), 0.4 (0), 0.9 (1): AUC = (1 + 0.5 + 1 + 1) / 4."""
    from raigov.monitoring.windows import performance_of

    spec = spec_from_dict({"features": [], "score_edges": [i / 20 for i in range(21)]})
    pos, neg = [0] * 20, [0] * 20
    pos[8] += 1
    pos[18] += 1
    neg[2] += 1
    neg[8] += 1
    perf = performance_of(spec, {"": [2, 0, 0, 2]}, {"": {"positive": pos, "negative": neg}})
    assert perf["auc"] == 0.875 and perf["accuracy"] == 1.0
    assert [(c["n"], c["positive_rate"]) for c in perf["calibration"]] == [(1, 0.0), (2, 0.5), (1, 1.0)]


def test_labels_later_give_the_same_window_as_labels_in_the_file(db, people, lab, tmp_path):
    _bid, mid, tmp, cols = lab
    with db.transaction() as s:
        direct, _ = service.ingest_file(s, people["cbp-sys"], mid, str(tmp / "full.csv"), D1, D2)
        want = (direct.counts["outcomes"], direct.counts["scores"], direct.results)
    with db.transaction() as s:
        win, _ = service.ingest_file(s, people["cbp-sys"], mid, str(tmp / "window.csv"), D2 + dt.timedelta(1),
                                     D2 + dt.timedelta(7))
        assert win.counts["outcomes"] == {} and win.counts["file"]["labels"] == "later"
        assert win.results["performance"] is None
        wid = win.id
    with db.transaction() as s:
        win, _, joined = service.window_labels(s, people["cbp-sys"], mid, str(wid), str(tmp / "labels.csv"),
                                               str(tmp / "window.csv"))
        assert joined == {"labels": 599, "records": 600, "labelled": 599, "no_prediction": 0}
        got = (win.counts["outcomes"], win.counts["scores"], win.results)
    # the direct window has one more labelled row (r599): count it without that row to compare
    cols599 = {k: v[:599] for k, v in cols.items()}
    write_csv(tmp_path / "full599.csv", cols599)
    with db.transaction() as s:
        mon = s.get(Monitor, mid)
        body = window_counts(spec_from_dict(mon.spec), mon.config, str(tmp_path / "full599.csv"))
    assert got[0] == body["outcomes"] and got[1] == body["scores"]
    assert got[2]["features"] == want[2]["features"]
    y, sc = np.array(cols["y"][:599]), np.array(cols["s"][:599])
    assert got[2]["performance"]["auc"] == pytest.approx(roc_auc_score(y, sc), abs=1e-12)
    with db.transaction() as s:
        ev = s.scalar(select(AuditEvent).where(AuditEvent.action == "monitoring.window.labels"))
        details = json.loads(ev.details)
        assert details["labelled"] == 599 and details["window_sha256"] == win.counts["file"]["sha256"]
    # again: a conflict without --replace; with it, a relabel
    before = n_rows(db)
    with db.transaction() as s, pytest.raises(Conflict):
        service.window_labels(s, people["cbp-sys"], mid, "2026-11-29", str(tmp / "labels.csv"), str(tmp / "window.csv"))
    assert n_rows(db) == before
    (tmp_path / "flip.csv").write_text("rid,y\nr0,1\nr1,0\n")
    with db.transaction() as s:
        win, _, joined = service.window_labels(s, people["cbp-sys"], mid, "2026-11-29", str(tmp_path / "flip.csv"),
                                               str(tmp / "window.csv"), replace=True)
        assert joined["labelled"] == 2 and sum(sum(v) for v in win.counts["outcomes"].values()) == 2
        assert s.scalar(select(func.count()).select_from(AuditEvent)
                        .where(AuditEvent.action == "monitoring.window.relabel")) == 1


def test_bad_labels_are_refused_naming_column_and_row_and_nothing_is_written(db, people, lab, tmp_path):
    _, mid, tmp, cols = lab
    with db.transaction() as s:
        wid = service.ingest_file(s, people["cbp-sys"], mid, str(tmp / "window.csv"), D1, D2)[0].id
    other = dict(cols, age=[a + 1 for a in cols["age"]])
    write_csv(tmp_path / "other.csv", without(other, "y"))
    dup = without(cols, "y")
    dup["rid"] = [*dup["rid"][:10], "r3", *dup["rid"][11:]]
    write_csv(tmp_path / "dupwin.csv", dup)
    cases = {"unknown.csv": ("rid,y\nr1,1\nzz,0\n", "rid", "row 2"),
             "twice.csv": ("rid,y\nr1,1\nr2,0\nr1,0\n", "rid", "row 1"),
             "two.csv": ("rid,y\nr1,1\nr2,2\n", "y", "row 2"),
             "blank.csv": ("rid,y\nr1,1\n,0\n", "rid", "row 2"),
             "nolabel.csv": ("rid,label\nr1,1\n", "y", "column not found")}
    before = n_rows(db)
    for name, (text, field, where) in cases.items():
        (tmp_path / name).write_text(text)
        with db.transaction() as s, pytest.raises(ValidationFailed) as e:
            service.window_labels(s, people["cbp-sys"], mid, str(wid), str(tmp_path / name), str(tmp / "window.csv"))
        assert e.value.errors[0].field == field and where in e.value.errors[0].message, (name, e.value.errors)
    (tmp_path / "ok.csv").write_text("rid,y\nr1,1\n")
    with db.transaction() as s, pytest.raises(ValidationFailed) as e:
        service.window_labels(s, people["cbp-sys"], mid, str(wid), str(tmp_path / "ok.csv"), str(tmp_path / "other.csv"))
    assert e.value.errors[0].field == "--window-file" and e.value.errors[0].code == "digest-mismatch"
    # the window's file with a record id twice (the digest kept is of that file: ingest it first)
    with db.transaction() as s:
        w2 = service.ingest_file(s, people["cbp-sys"], mid, str(tmp_path / "dupwin.csv"), D2 + dt.timedelta(1),
                                 D2 + dt.timedelta(7))[0].id
    before = n_rows(db)
    with db.transaction() as s, pytest.raises(ValidationFailed) as e:
        service.window_labels(s, people["cbp-sys"], mid, str(w2), str(tmp_path / "ok.csv"), str(tmp_path / "dupwin.csv"))
    assert e.value.errors[0].field == "rid" and "row 4" in e.value.errors[0].message and "r3" in e.value.errors[0].message
    assert n_rows(db) == before
    with db.transaction() as s:
        assert s.get(MonitorWindow, wid).counts["outcomes"] == {}


def test_the_spilled_join_equals_the_join_in_memory(tmp_path, lab, db):
    _, mid, tmp, _ = lab
    with db.transaction() as s:
        mon = s.get(Monitor, mid)
        spec = spec_from_dict(mon.spec)
    cols = JoinColumns("rid", "y", "rid", "p", "s", "grp")
    mem = join_counts(spec, str(tmp / "window.csv"), str(tmp / "labels.csv"), cols)
    spilled = join_counts(spec, str(tmp / "window.csv"), str(tmp / "labels.csv"), cols, bucket_bytes=4096)
    assert mem == spilled and mem["labelled"] == 599
    (tmp_path / "unknown.csv").write_text("rid,y\nr1,1\nzz,0\n")
    with pytest.raises(ValidationFailed) as e:
        join_counts(spec, str(tmp / "window.csv"), str(tmp_path / "unknown.csv"), cols, bucket_bytes=64)
    assert e.value.errors[0].field == "rid" and "row 2" in e.value.errors[0].message


def test_one_file_split_into_weekly_windows_by_a_time_column(db, people, lab, tmp_path):
    _, mid, _tmp, cols = lab
    days = [START + dt.timedelta(days=int(i % 14)) for i in range(600)]  # two weeks from the monitor's start
    stamped = dict(without(cols, "y"), ts=[f"{d.isoformat()}T08:30:00" for d in days])
    write_csv(tmp_path / "stream.csv", stamped)
    with db.transaction() as s:
        done = service.ingest_by_time(s, people["cbp-sys"], mid, str(tmp_path / "stream.csv"), "ts")
        got = [(w.period_start, w.period_end, w.rows, w.counts["features"]) for w, _ in done]
        mon = s.get(Monitor, mid)
        spec, config = spec_from_dict(mon.spec), mon.config
    weeks = [(START, START + dt.timedelta(6)), (START + dt.timedelta(7), START + dt.timedelta(13))]
    for (a, b), (start, end, rows, counts) in zip(weeks, got, strict=True):
        idx = [i for i, d in enumerate(days) if a <= d <= b]
        write_csv(tmp_path / "part.csv", {k: [v[i] for i in idx] for k, v in without(cols, "y").items()})
        assert (start, end, rows) == (a, b, len(idx))
        assert counts == window_counts(spec, config, str(tmp_path / "part.csv"))["features"]
    # labels for the second week's records only; a record of the first week is unknown to it
    second = [i for i, d in enumerate(days) if d >= weeks[1][0]]
    write_csv(tmp_path / "l2.csv", {"rid": [cols["rid"][i] for i in second], "y": [cols["y"][i] for i in second]})
    with db.transaction() as s:
        win, _, joined = service.window_labels(s, people["cbp-sys"], mid, weeks[1][0].isoformat(),
                                               str(tmp_path / "l2.csv"), str(tmp_path / "stream.csv"))
        assert joined["labelled"] == len(second) == joined["records"]
        y, sc = np.array(cols["y"])[second], np.array(cols["s"])[second]
        assert win.results["performance"]["auc"] == pytest.approx(roc_auc_score(y, sc), abs=1e-12)
    (tmp_path / "l1.csv").write_text(f"rid,y\n{cols['rid'][second[0]]},1\n")  # a record of the second week
    with db.transaction() as s, pytest.raises(ValidationFailed) as e:
        service.window_labels(s, people["cbp-sys"], mid, weeks[0][0].isoformat(), str(tmp_path / "l1.csv"),
                              str(tmp_path / "stream.csv"))
    assert e.value.errors[0].field == "rid" and "not a record of the window's file of the window" in str(e.value)
    # a row without a parsable time: named by its row, nothing written
    bad = dict(stamped, ts=[*stamped["ts"][:4], "tomorrow", *stamped["ts"][5:9], "", *stamped["ts"][10:]])
    write_csv(tmp_path / "bad.csv", bad)
    before = n_rows(db)
    with db.transaction() as s, pytest.raises(ValidationFailed) as e:
        service.ingest_by_time(s, people["cbp-sys"], mid, str(tmp_path / "bad.csv"), "ts")
    assert e.value.errors[0].field == "ts" and "rows 5, 10" in e.value.errors[0].message
    assert n_rows(db) == before


def test_api_window_with_score_counts(db, client, lab, token_for):
    _, mid, tmp, cols = lab
    h = token_for("cbp-sys")
    with db.transaction() as s:
        mon = s.get(Monitor, mid)
        body = window_counts(spec_from_dict(mon.spec), mon.config, str(tmp / "full.csv"))
    window = {"period_start": "2026-11-22", "period_end": "2026-11-28", **body}
    bad = json.loads(json.dumps(window))
    bad["scores"]["A"]["positive"][0] += 1
    r = client.post(f"/api/v1/monitors/{mid}/windows", json=bad, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "scores.A.positive", r.text
    r = client.post(f"/api/v1/monitors/{mid}/windows", json=window, headers=h)
    assert r.status_code == 201, r.text
    y, sc = np.array(cols["y"]), np.array(cols["s"])
    assert r.json()["results"]["performance"]["auc"] == pytest.approx(roc_auc_score(y, sc), abs=1e-12)


def test_cli_create_ingest_labels_status(db, case, cli_env, tmp_path):
    bid, _, tmp = case
    run = CliRunner().invoke
    g = np.random.default_rng(5)
    cols = records(g, 300)
    write_csv(tmp_path / "w.csv", dict(without(cols, "y", "rid"), id=cols["rid"]))
    write_csv(tmp_path / "l.csv", {"record": cols["rid"], "outcome": cols["y"]})
    r = run(cli, ["monitor", "create", bid, "--name", "CLI", "--reference", str(tmp / "ref.csv"), "--numeric", "age",
                  "--group", "grp", "--label", "y", "--prediction", "p", "--score", "s", "--record-id", "rid",
                  "--starts-on", "2026-11-21", "--json"])
    assert r.exit_code == 0, r.output
    mid = json.loads(r.output)["id"]
    r = run(cli, ["monitor", "ingest", str(mid), str(tmp_path / "w.csv"), "--start", "2026-11-22", "--end",
                  "2026-11-28", "--record-id", "id", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["labels"] == "later"
    r = run(cli, ["monitor", "labels", str(mid), "2026-11-22", str(tmp_path / "l.csv"), "--window-file",
                  str(tmp_path / "w.csv"), "--id", "record", "--label", "outcome", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["joined"]["labelled"] == 300
    assert out["performance"]["auc"] == pytest.approx(roc_auc_score(cols["y"], cols["s"]), abs=1e-12)
    r = run(cli, ["monitor", "labels", str(mid), "2026-11-22", str(tmp_path / "l.csv"), "--window-file",
                  str(tmp / "same.csv"), "--id", "record", "--label", "outcome"])
    assert r.exit_code != 0 and "SHA-256" in r.output
    st = json.loads(run(cli, ["monitor", "status", bid, "--json"]).output)
    [m] = [m for m in st["monitors"] if m["id"] == mid]
    [w] = m["outcomes"]
    assert w["labels"] == "joined" and w["performance"]["auc"] == out["performance"]["auc"]
    stamped = dict(without(cols, "y"), ts=["2026-11-29"] * 150 + ["2026-12-06"] * 150)
    write_csv(tmp_path / "t.csv", stamped)
    r = run(cli, ["monitor", "ingest", str(mid), str(tmp_path / "t.csv"), "--time-column", "ts", "--json"])
    assert r.exit_code == 0, r.output
    assert [(w["period_start"], w["rows"]) for w in json.loads(r.output)["windows"]] == [("2026-11-28", 150),
                                                                                         ("2026-12-05", 150)]


def test_the_monitor_page_shows_outcomes_per_window(db, client, people, lab, sign_in):
    _, mid, tmp, _cols = lab
    with db.transaction() as s:
        win, _ = service.ingest_file(s, people["cbp-sys"], mid, str(tmp / "full.csv"), D1, D2)
        auc = win.results["performance"]["auc"]
    assert sign_in("crcl").status_code == 303
    page = client.get(f"/monitoring/monitors/{mid}").text
    assert "<caption>Outcomes per window</caption>" in page
    assert f'<td data-label="AUC">{auc:.4g}</td>' in page and '<td data-label="Labelled rows">600</td>' in page
