"""Face-recognition monitors (issue #17 item 4), on both databases: FMR and FNMR per demographic group per
window from the evaluation engine's biometric counts, equal (1e-12) to the evaluation engine's own result on the
same comparisons; partitions' counts add; the dhs-026-11 pack's FMR max/min ratio limit raises a high alert; bad
counts are refused naming the field with nothing written; the API takes the counts and the monitor page shows
the table."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pytest
from sqlalchemy import func, select

from raigov.errors import ValidationFailed
from raigov.evaluation import pipeline
from raigov.evaluation.biometric import BiometricSpec
from raigov.monitoring import service
from raigov.monitoring.models import Monitor, MonitorAlert, MonitorWindow
from tests.monitoring.test_monitor_cli import write_csv

T = 0.5


def _counts(tmp, seed: int, fm_shift: dict[str, float]) -> tuple[dict, dict]:
    """Synthetic comparisons (score, genuine, group) in a CSV; the evaluation engine's result at T, and its
    per-group counts at T in the monitor's JSON shape."""
    g = np.random.default_rng(seed)
    rows = {"score": [], "genuine": [], "group": []}
    for grp in ("A", "B", "C"):
        gen = g.normal(0.8, 0.15, 400)
        imp = g.normal(0.1 + fm_shift.get(grp, 0.0), 0.15, 4000)
        rows["score"] += [*gen.tolist(), *imp.tolist()]
        rows["genuine"] += [1] * gen.size + [0] * imp.size
        rows["group"] += [grp] * (gen.size + imp.size)
    path = tmp / f"scores-{seed}.csv"
    write_csv(path, rows)
    result, out = pipeline.biometric(str(path), BiometricSpec(score="score", genuine="genuine", groups=("group",)),
                                     threshold=T)
    c = result.counts()
    groups = {lab["group"]: {"n_gen": int(c["n_gen"][i]), "fnm": int(c["fnm"][i]), "n_imp": int(c["n_imp"][i]),
                             "fm": int(c["fm"][i])} for i, lab in enumerate(result.labels)}
    return out, {"threshold": T, "groups": groups}


@pytest.fixture
def fr(db, people, case):
    bid, _, tmp = case
    with db.transaction() as s:
        mon = service.create_monitor(s, people["owner"], bid, name="Face matcher", reference=str(tmp / "ref.csv"),
                                     numeric=["age"], categorical=["channel"], biometric_threshold=T,
                                     starts_on=dt.date(2026, 11, 21))
        assert mon.config["biometric"] == {"threshold": T, "pack": "dhs-026-11"}
        return bid, mon.id, tmp


def _window(db, tmp, mid):
    from raigov.monitoring.ingest import window_counts
    from raigov.monitoring.windows import spec_from_dict

    with db.transaction() as s:
        mon = s.get(Monitor, mid)
        return window_counts(spec_from_dict(mon.spec), mon.config, str(tmp / "same.csv"))


def _n(db, model) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_fmr_fnmr_per_group_equal_the_evaluation_engine_and_the_pack_limit_raises_an_alert(db, people, fr):
    _, mid, tmp = fr
    body = _window(db, tmp, mid)
    out, bio = _counts(tmp, 1, {})
    with db.transaction() as s:
        win, alerts = service.record_window(s, people["cbp-sys"], mid, dt.date(2026, 11, 22), dt.date(2026, 11, 28),
                                            {**body, "biometric": bio})
        res = win.results["biometric"]
        assert not [a for a in alerts if a.metric.endswith("max_min_ratio")]
    for grp in out["groups"]:
        mine = res["groups"][grp["group"]["group"]]
        assert abs(mine["fmr"] - grp["fmr"]) <= 1e-12 and abs(mine["fnmr"] - grp["fnmr"]) <= 1e-12
    for k in ("fmr_max_min_ratio", "fnmr_max_min_ratio", "garbe"):
        assert abs(res["differentials"][k] - out["differentials"][k]) <= 1e-12, k
    assert res["criteria"]["max_fmr_ratio"] == 3.0 and res["criteria_source"].startswith("dhs-026-11")
    assert all(c["passed"] for c in res["checks"])

    # group C's impostors score higher: its FMR rises; counts of two partitions add to the whole
    out2, bio2 = _counts(tmp, 2, {"C": 0.25})
    half = {g: {k: v // 2 for k, v in c.items()} for g, c in bio2["groups"].items()}
    rest = {g: {k: v - half[g][k] for k, v in c.items()} for g, c in bio2["groups"].items()}
    merged = {g: {k: half[g][k] + rest[g][k] for k in c} for g, c in half.items()}
    assert merged == bio2["groups"]
    with db.transaction() as s:
        win, alerts = service.record_window(s, people["cbp-sys"], mid, dt.date(2026, 11, 29), dt.date(2026, 12, 5),
                                            {**body, "biometric": {"threshold": T, "groups": merged}})
        [a] = [a for a in alerts if a.metric == "fmr_max_min_ratio"]
        assert (a.severity, a.group_name, a.threshold) == ("high", "C", 3.0)
        assert abs(a.value - out2["differentials"]["fmr_max_min_ratio"]) <= 1e-12 and a.value > 3.0
        assert "dhs-026-11" in a.threshold_source
        assert [c["passed"] for c in win.results["biometric"]["checks"] if c["name"] == "FMR max/min ratio"] == [False]


def test_bad_biometric_counts_are_refused_naming_the_field_and_nothing_is_written(db, people, case, fr):
    _, mid, tmp = fr
    body = _window(db, tmp, mid)
    ok = {"n_gen": 100, "fnm": 2, "n_imp": 1000, "fm": 1}
    before = (_n(db, MonitorWindow), _n(db, MonitorAlert))
    for bad, field in (({"threshold": 0.7, "groups": {"A": ok}}, "biometric.threshold"),
                       ({"threshold": T, "groups": {"A": {**ok, "fm": 1001}}}, "biometric.groups.A.fm"),
                       ({"threshold": T, "groups": {"A": {**ok, "fnm": -1}}}, "biometric.groups.A.fnm"),
                       ({"threshold": T, "groups": {"A": {**ok, "n_imp": 2**70}}}, "biometric.groups.A.n_imp"),
                       ({"threshold": T, "groups": {"A": {"n_gen": 1}}}, "biometric.groups.A"),
                       ({"threshold": T, "groups": {}}, "biometric.groups"),
                       ({"threshold": T, "groups": {"A": {k: 0 for k in ok}}}, "biometric.groups"),
                       ({"threshold": T, "groups": {"A": ok}, "rows": 3}, "biometric")):
        with db.transaction() as s, pytest.raises(ValidationFailed) as e:
            service.record_window(s, people["cbp-sys"], mid, dt.date(2026, 11, 22), dt.date(2026, 11, 28),
                                  {**body, "biometric": bad})
        assert e.value.errors[0].field == field, (bad, e.value.errors)
    _, other, _ = case  # the drift monitor has no threshold: biometric counts are refused there
    with db.transaction() as s, pytest.raises(ValidationFailed) as e:
        service.record_window(s, people["cbp-sys"], other, dt.date(2026, 11, 22), dt.date(2026, 11, 28),
                              {**body, "biometric": {"threshold": T, "groups": {"A": ok}}})
    assert e.value.errors[0].field == "biometric"
    assert (_n(db, MonitorWindow), _n(db, MonitorAlert)) == before


def test_api_takes_biometric_counts_and_the_monitor_page_shows_the_table(db, client, people, fr, token_for, sign_in):
    bid, mid, tmp = fr
    body = _window(db, tmp, mid)
    _, bio = _counts(tmp, 3, {"B": 0.3})
    r = client.post(f"/api/v1/monitors/{mid}/windows", headers=token_for("cbp-sys"),
                    json={"period_start": "2026-11-22", "period_end": "2026-11-28", **body, "biometric": bio})
    assert r.status_code == 201, r.text
    assert "fmr_max_min_ratio" in [a["metric"] for a in r.json()["alerts"]]
    r = client.post(f"/api/v1/monitors/{mid}/windows", headers=token_for("cbp-sys"),
                    json={"period_start": "2026-11-29", "period_end": "2026-12-05", **body,
                          "biometric": {**bio, "threshold": 0.9}})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "biometric.threshold"
    assert sign_in("crcl").status_code == 303
    page = client.get(f"/monitoring/monitors/{mid}").text
    assert "Face recognition: FMR and FNMR per group" in page
    assert re.search(r"FMR max/min ratio: [0-9.]+ against the limit 3.0: <strong>above the limit</strong>", page)
    assert f'<td data-label="Impostor comparisons">{bio["groups"]["B"]["n_imp"]}</td>' in page
    uc_page = client.get(f"/inventory/{bid}/monitoring").text
    assert "FMR max/min ratio of the groups (highest: &#39;B&#39;)" in uc_page
