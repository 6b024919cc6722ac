"""Monitoring over HTTP and the CLI, on both databases: an operational system sends a window as counts (the
same counts as the file ingest gives: the same metrics), bad counts are refused naming the feature with
nothing written; a reviewer closes the alert from the page (a blank note is refused at its field); the monitor
page draws its chart and table; `raigov monitor create|ingest|status|report --json`."""

from __future__ import annotations

import datetime as dt
import json
import re

from sqlalchemy import func, select
from typer.testing import CliRunner

from raigov.cli.main import app as cli
from raigov.clock import agency_today
from raigov.monitoring.ingest import window_counts
from raigov.monitoring.models import MonitorWindow
from raigov.monitoring.windows import spec_from_dict
from tests.web.conftest import csrf_from


def _windows(db) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(MonitorWindow))


def test_api_window_as_counts_then_the_reviewer_closes_the_alert_on_the_page(db, client, case, token_for, sign_in):
    bid, mid, tmp = case
    h = token_for("cbp-sys")
    r = client.get(f"/api/v1/monitors/{mid}", headers=token_for("lead"))
    assert r.status_code == 200, r.text
    spec = spec_from_dict(r.json()["monitor"]["spec"])
    body = window_counts(spec, r.json()["monitor"]["config"], str(tmp / "drift.csv"))
    # the last full week before today (agency day): a fixed week fell overdue as the calendar moved on
    end = agency_today() - dt.timedelta(days=1)
    start = end - dt.timedelta(days=6)
    window = {"period_start": start.isoformat(), "period_end": end.isoformat(), **body}
    for bad, field in (({**window, "features": {**body["features"], "income": [1]}}, "features.income"),
                       ({**window, "rows": "1000"}, "rows"), ({**window, "rows": 999}, "features.age")):
        r = client.post(f"/api/v1/monitors/{mid}/windows", json=bad, headers=h)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == field, r.text
    assert client.post("/api/v1/monitors/999/windows", json=window, headers=h).status_code == 404
    assert _windows(db) == 0
    r = client.post(f"/api/v1/monitors/{mid}/windows", json=window, headers=h)
    assert r.status_code == 201, r.text
    [alert] = r.json()["alerts"]
    assert (alert["feature"], alert["severity"], alert["n_current"]) == ("age", "high", 1000)
    assert client.post(f"/api/v1/monitors/{mid}/windows", json=window, headers=h).status_code == 409
    st = client.get(f"/api/v1/use-cases/{bid}/monitoring", headers=token_for("lead")).json()
    assert [r["code"] for r in st["gate_reasons"]] == ["monitoring_alert"]

    assert sign_in("crcl").status_code == 303
    page = client.get(f"/inventory/{bid}/monitoring")
    assert page.status_code == 200 and "High severity: PSI of age" in page.text
    r = client.post(f"/monitoring/alerts/{alert['id']}/close", data={"note": " ", "csrf_token": csrf_from(page.text)})
    assert r.status_code == 422 and 'usa-error-message' in r.text and "closing an alert needs a note" in r.text
    r = client.post(f"/monitoring/alerts/{alert['id']}/close",
                    data={"note": "new intake form; retrained", "csrf_token": csrf_from(page.text)}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(r.headers["location"]).text
    assert "Alert closed." in page and "No open alert." in page
    page = client.get(f"/monitoring/monitors/{mid}").text
    assert "<svg" in page and "age: each window against the reference" in page
    assert re.search(rf"{start.isoformat()} to {end.isoformat()}</th><td data-label=\"PSI\">0\.\d+", page)


def test_cli_create_ingest_status_report(db, case, cli_env):
    bid, first, tmp = case
    run = CliRunner().invoke
    r = run(cli, ["monitor", "create", bid, "--name", "Second", "--reference", str(tmp / "ref.csv"), "--numeric", "age",
                  "--starts-on", "2026-11-21", "--json"])
    assert r.exit_code == 0, r.output
    mid = json.loads(r.output)["id"]
    r = run(cli, ["monitor", "ingest", str(mid), str(tmp / "drift.csv"), "--start", "2026-11-22", "--end",
                  "2026-11-28", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["rows"] == 1000 and out["drift"] is True and out["alerts"][0]["severity"] == "high"
    r = run(cli, ["monitor", "ingest", str(first), str(tmp / "wrong.csv"), "--start", "2026-11-29", "--end", "2026-12-05"])
    assert r.exit_code == 2 and "missing column: channel" in r.output
    r = run(cli, ["monitor", "status", bid, "--json"])
    st = json.loads(r.output)
    assert [m["name"] for m in st["monitors"]] == ["Intake model", "Second"]
    assert any(g["code"] == "monitoring_alert" for g in st["gate_reasons"])
    rep = json.loads(run(cli, ["monitor", "report", str(mid), "--json"]).output)
    assert [w["period_start"] for w in rep["windows"]] == ["2026-11-22"]
    assert rep["windows"][0]["features"][0]["name"] == "age"
