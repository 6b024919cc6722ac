"""Oversight signals over time (issue #15 item 6): the buckets (days, ISO weeks clipped to the range) and rates from
the count rows (pure), the range's validation naming each field, and, on both databases, the trends of recorded
decisions, refused attempts, reviews, overrides and appeals through the service, the API, the CLI and the use case's
page (charts with the same numbers in tables; field errors on the since/until form)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from raigov.cli.main import app as cli_app
from raigov.errors import PermissionDenied, ValidationFailed
from raigov.oversight import service as oversight
from raigov.oversight import trends as T
from tests.oversight.conftest import NOW, decision
from tests.oversight.test_appeals import officers  # noqa: F401  (the fixture)

D = dt.date


def test_weeks_are_clipped_and_rates_follow_their_denominators():
    daily = [(D(2026, 11, 26), "recorded", "accepted", 8), (D(2026, 11, 26), "recorded", "overrode", 2),
             (D(2026, 11, 27), "refused", "none", 5), (D(2026, 12, 1), "recorded", "modified", 1),
             (D(2026, 12, 1), "recorded", "none", 3), (D(2026, 11, 20), "recorded", "accepted", 100)]  # outside
    remedy = [(D(2026, 11, 28), "appeal_filed", 2), (D(2026, 12, 2), "appeal_reversed", 1),
              (D(2026, 12, 2), "appeal_upheld", 1), (D(2026, 12, 3), "notice_owed", 7)]
    w1, w2, w3 = T.series(daily, remedy, D(2026, 11, 25), D(2026, 12, 8), "week")
    assert (w1["start"], w1["end"], w2["start"], w2["end"], w3["start"], w3["end"]) == (
        D(2026, 11, 25), D(2026, 11, 29), D(2026, 11, 30), D(2026, 12, 6), D(2026, 12, 7), D(2026, 12, 8))
    assert w1 == {"start": D(2026, 11, 25), "end": D(2026, 11, 29), "recorded": 10, "refused": 5, "attempts": 15,
                  "reviewed": 10, "overrode": 2, "modified": 0, "appeals": 2, "appeals_decided": 0,
                  "appeals_reversed": 0, "review_share": 1.0, "override_rate": 0.2, "refused_share": 0.333333,
                  "appeal_rate": 0.2, "reversal_rate": None}
    assert (w2["recorded"], w2["reviewed"], w2["modified"], w2["review_share"], w2["override_rate"],
            w2["refused_share"], w2["appeals_decided"], w2["appeals_reversed"], w2["reversal_rate"]) == (
        4, 1, 1, 0.25, 0.0, 0.0, 2, 1, 0.5)
    assert all(w3[k] == 0 for k in T.COUNTS) and all(w3[k] is None for k in T.RATES)  # nothing counted: no rate
    days = T.series(daily, remedy, D(2026, 11, 25), D(2026, 11, 27), "day")
    assert [(r["start"], r["recorded"], r["refused"]) for r in days] == [
        (D(2026, 11, 25), 0, 0), (D(2026, 11, 26), 10, 0), (D(2026, 11, 27), 0, 5)]


def test_the_range_is_validated_field_by_field():
    today = D(2026, 12, 4)
    assert T.parse_range(today=today) == (D(2026, 11, 5), today, "day")
    assert T.parse_range(None, "2026-12-01", "week", today) == (D(2026, 9, 2), D(2026, 12, 1), "week")
    with pytest.raises(ValidationFailed) as e:
        T.parse_range("yesterday", "2026-13-01", "month", today)
    assert {x.field for x in e.value.errors} == {"since", "until", "bucket"}
    with pytest.raises(ValidationFailed) as e:
        T.parse_range("2026-12-05", "2026-12-01", "day", today)
    assert [(x.field, x.code) for x in e.value.errors] == [("until", "range")]
    with pytest.raises(ValidationFailed) as e:
        T.parse_range("2025-01-01", "2026-12-01", "day", today)
    assert e.value.errors[0].field == "since" and "weeks" in e.value.errors[0].message
    assert T.parse_range("2025-01-01", "2026-12-01", "week", today)[2] == "week"


def _recorded(db, people, officers, key, low) -> None:  # noqa: F811
    """On 2026-12-04: three decisions (one overridden, one without review of a favourable kind), two refused
    attempts; an appeal filed that day, reversed on 2026-12-06."""
    rows = [decision(low, 1), decision(low, 2, human_action="overrode"),
            decision(low, 3, kind="favourable", reviewer=None, human_action="none", other_bases=[])]
    with db.transaction() as s:
        res = oversight.record_decisions(s, people["cbp-sys"], key,
                                         oversight.parse_batch(json.dumps({"decisions": rows}).encode()), now=NOW)
    for n in (8, 9):
        bad = oversight.parse_decision(json.dumps(decision(low, n, reviewer="cbp.trainee")).encode())
        with db.transaction() as s:
            assert oversight.record_decisions(s, people["cbp-sys"], key, [bad], now=NOW).refusals
    with db.transaction() as s:
        a, _ = oversight.file_appeal(s, people["cbp-sys"], res.rows[0]["id"], "wrong stubs", now=NOW)
        oversight.decide_appeal(s, officers["appeals.cbp"], a.id, "reversed", "misread",
                                now=NOW + dt.timedelta(days=2))


def test_trends_of_a_use_case(db, people, officers, use_cases, key):  # noqa: F811
    low = use_cases["low"]
    _recorded(db, people, officers, key, low)
    with db.transaction() as s:
        days = oversight.trends(s, people["lead"], low, "2026-12-03", "2026-12-07", "day")
        weeks = oversight.trends(s, people["auditor"], low, "2026-12-01", "2026-12-07", "week")
        with pytest.raises(PermissionDenied):
            oversight.trends(s, people["tsa.lead"], low, "2026-12-01", "2026-12-07", "day")
    assert days["bucket"] == "day" and [r["start"] for r in days["series"]] == [D(2026, 12, d) for d in range(3, 8)]
    d4, d6 = days["series"][1], days["series"][3]
    assert {k: d4[k] for k in (*T.COUNTS, *T.RATES)} == {
        "recorded": 3, "refused": 2, "attempts": 5, "reviewed": 2, "overrode": 1, "modified": 0, "appeals": 1,
        "appeals_decided": 0, "appeals_reversed": 0, "review_share": 0.666667, "override_rate": 0.5,
        "refused_share": 0.4, "appeal_rate": 0.333333, "reversal_rate": None}
    assert (d6["recorded"], d6["appeals_decided"], d6["appeals_reversed"], d6["reversal_rate"]) == (0, 1, 1, 1.0)
    assert days["totals"] == {"recorded": 3, "refused": 2, "attempts": 5, "reviewed": 2, "overrode": 1, "modified": 0,
                              "appeals": 1, "appeals_decided": 1, "appeals_reversed": 1}
    w1, w2 = weeks["series"]
    assert (w1["start"], w1["end"], w2["start"], w2["end"]) == (D(2026, 12, 1), D(2026, 12, 6), D(2026, 12, 7),
                                                                D(2026, 12, 7))
    assert (w1["recorded"], w1["refused"], w1["appeals_reversed"], w1["reversal_rate"], w2["recorded"]) == (
        3, 2, 1, 1.0, 0)


def test_api_cli_and_page(db, client, people, officers, use_cases, key, cli_env, token_for, sign_in,  # noqa: F811
                          make_user):
    low = use_cases["low"]
    _recorded(db, people, officers, key, low)
    url = f"/api/v1/use-cases/{low}/oversight/trends"
    r = client.get(f"{url}?since=2026-12-01&until=2026-12-07&bucket=week", headers=token_for("lead"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["bucket"] == "week" and [x["recorded"] for x in body["series"]] == [3, 0]
    assert body["series"][0]["override_rate"] == 0.5 and body["series"][0]["start"] == "2026-12-01"
    r = client.get(f"{url}?since=2026-12-09&until=2026-12-01", headers=token_for("lead"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "until"
    r = client.get(f"{url}?bucket=month&since=x", headers=token_for("lead"))
    assert r.status_code == 422 and {e["field"] for e in r.json()["errors"]} == {"bucket", "since"}
    assert client.get(url, headers=token_for("tsa.lead")).status_code == 403
    run = CliRunner().invoke
    out = run(cli_app, ["oversight", "trends", low, "--since", "2026-12-03", "--until", "2026-12-05", "--json"])
    assert out.exit_code == 0, out.output
    assert [x["refused"] for x in json.loads(out.output)["series"]] == [0, 2, 0]
    out = run(cli_app, ["oversight", "trends", low, "--since", "2026-12-04", "--until", "2026-12-04"])
    assert "2026-12-04  recorded 3, refused 2, reviewed 66.7%, override rate 50.0%, appeals 1" in out.output
    bad = run(cli_app, ["oversight", "trends", low, "--bucket", "month"])
    assert bad.exit_code == 2 and "--bucket" in bad.output
    make_user("lead2", "component_ai_lead@CBP")
    sign_in("lead2")
    page = client.get(f"/oversight/use-cases/{low}?since=2026-12-03&until=2026-12-05&bucket=day")
    assert page.status_code == 200
    text = page.text
    for title in ("Decisions recorded and attempts refused per day", "Share with human review and override rate per day",
                  "Appeals filed, decided and reversed per day", "Appeal rate and reversal rate per day"):
        assert f"<caption>{title}</caption>" in text and f">{title}</title>" in text
    assert 'data-value="66.7"' in text and 'data-value="50.0"' in text and 'data-value="33.3"' in text
    assert "2026-12-04 3, 2026-12-05 0" in text  # the chart's description carries the numbers too
    bad = client.get(f"/oversight/use-cases/{low}?since=2026-12-09&until=2026-12-01")
    assert bad.status_code == 422 and 'id="trend-until-error"' in bad.text and "on or after the first day" in bad.text
    assert "Correct the dates above" in bad.text
    bad = client.get(f"/oversight/use-cases/{low}?since=soon&bucket=month")
    assert bad.status_code == 422 and "a date, YYYY-MM-DD" in bad.text and "day or week" in bad.text


def test_operator_series_by_hand():
    rows = [("b.ruiz", D(2026, 12, 1), "accepted", 3), ("b.ruiz", D(2026, 12, 2), "overrode", 1),
            ("a.ng", D(2026, 12, 1), "modified", 2), ("a.ng", D(2026, 12, 8), "overrode", 2),
            ("a.ng", D(2026, 11, 30), "overrode", 9),  # before the range
            ("c.li", D(2026, 12, 3), "none", 5)]  # no review: not an operator's figure
    ops, n = T.operator_series(rows, D(2026, 12, 1), D(2026, 12, 8), "week")
    assert n == 2 and [o["reviewer"] for o in ops] == ["a.ng", "b.ruiz"]  # 4 each: by name
    a, b = ops
    assert (a["reviewed"], a["accepted"], a["modified"], a["overrode"], a["override_rate"]) == (4, 0, 2, 2, 0.5)
    assert [(r["start"], r["end"], r["reviewed"], r["override_rate"]) for r in a["series"]] == [
        (D(2026, 12, 1), D(2026, 12, 6), 2, 0.0), (D(2026, 12, 7), D(2026, 12, 8), 2, 1.0)]
    assert [(r["reviewed"], r["override_rate"]) for r in b["series"]] == [(4, 0.25), (0, None)]
    top, total = T.operator_series(rows, D(2026, 12, 1), D(2026, 12, 8), "day", limit=1)
    assert total == 2 and len(top) == 1 and len(top[0]["series"]) == 8


def test_trends_per_operator(db, client, people, officers, use_cases, key, cli_env, token_for, sign_in,  # noqa: F811
                             make_user):
    low = use_cases["low"]
    _recorded(db, people, officers, key, low)
    with db.transaction() as s:
        days = oversight.trends(s, people["lead"], low, "2026-12-03", "2026-12-05", "day")
        none = oversight.trends(s, people["lead"], low, "2026-12-03", "2026-12-05", "day", operator="nobody")
    assert days["operators_total"] == 1 and none["operators"] == [] and none["operators_total"] == 0
    (o,) = days["operators"]
    assert (o["reviewer"], o["reviewed"], o["accepted"], o["overrode"], o["override_rate"]) == (
        "officer.ng", 2, 1, 1, 0.5)
    assert [(r["start"], r["reviewed"], r["overrode"]) for r in o["series"]] == [
        (D(2026, 12, 3), 0, 0), (D(2026, 12, 4), 2, 1), (D(2026, 12, 5), 0, 0)]
    url = f"/api/v1/use-cases/{low}/oversight/trends?since=2026-12-01&until=2026-12-07&bucket=week"
    r = client.get(f"{url}&operator=officer.ng", headers=token_for("lead"))
    assert r.status_code == 200 and r.json()["operators"][0]["series"][0]["override_rate"] == 0.5
    r = client.get(f"{url}&operator={'x' * 201}", headers=token_for("lead"))
    assert r.status_code == 422 and "operator" in r.text
    out = CliRunner().invoke(cli_app, ["oversight", "trends", low, "--since", "2026-12-04", "--until", "2026-12-04",
                                       "--operator", "officer.ng"])
    assert out.exit_code == 0, out.output
    assert "officer.ng: 2 reviewed, override rate 50.0%; 2026-12-04 2 (50.0%)" in out.output
    make_user("lead3", "component_ai_lead@CBP")
    sign_in("lead3")
    page = client.get(f"/oversight/use-cases/{low}?since=2026-12-03&until=2026-12-05&bucket=day")
    assert page.status_code == 200
    assert "Per operator per day: decisions reviewed and override rate" in page.text
    assert "<td>2 (50.0 %)</td><td>–</td><td>2 (50.0 %)</td><td>–</td>" in page.text
