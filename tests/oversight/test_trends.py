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
    # each bucket: reviewed (override rate), then the appeals (appeal rate); the reversal on 12-06 is after the range
    assert ("<td>2 (50.0 %)</td><td>1 (50.0 %)</td><td>–</td><td>–</td><td>2 (50.0 %)</td><td>1 (50.0 %)</td>"
            "<td>–</td><td>–</td></tr>") in page.text


def test_operator_appeals_per_bucket_by_hand():
    """Week 1: a.ng reviews 3 decisions, one appealed (filed on the 2nd) and reversed (on the 3rd); b.ruiz reviews 1,
    appealed on the 3rd and upheld in week 2. c.li reviewed nothing in the range, but an appeal against one of their
    decisions was decided in it: they have an entry with 0 reviewed."""
    rows = [("a.ng", D(2026, 12, 1), "accepted", 3), ("b.ruiz", D(2026, 12, 2), "overrode", 1)]
    appeals = [("a.ng", D(2026, 12, 2), "appeal_filed", 1), ("a.ng", D(2026, 12, 3), "appeal_reversed", 1),
               ("b.ruiz", D(2026, 12, 3), "appeal_filed", 1), ("b.ruiz", D(2026, 12, 8), "appeal_upheld", 1),
               ("c.li", D(2026, 12, 7), "appeal_modified", 1),
               ("a.ng", D(2026, 11, 30), "appeal_filed", 4)]  # before the range
    ops, n = T.operator_series(rows, D(2026, 12, 1), D(2026, 12, 8), "week", appeals=appeals)
    assert n == 3 and [o["reviewer"] for o in ops] == ["a.ng", "b.ruiz", "c.li"]
    a, b, c = ops
    w1, w2 = a["series"]
    assert {k: w1[k] for k in (*T.APPEAL_COUNTS, *T.OPERATOR_RATES)} == {
        "appeals": 1, "appeals_decided": 1, "appeals_reversed": 1, "override_rate": 0.0, "appeal_rate": 0.333333,
        "reversal_rate": 1.0}
    assert (w2["reviewed"], w2["appeals"], w2["appeal_rate"], w2["reversal_rate"]) == (0, 0, None, None)
    assert (a["appeals"], a["appeals_decided"], a["appeals_reversed"], a["appeal_rate"], a["reversal_rate"]) == (
        1, 1, 1, 0.333333, 1.0)
    assert [(r["appeals"], r["appeals_decided"], r["appeals_reversed"], r["appeal_rate"], r["reversal_rate"])
            for r in b["series"]] == [(1, 0, 0, 1.0, None), (0, 1, 0, None, 0.0)]
    assert (b["appeal_rate"], b["reversal_rate"]) == (1.0, 0.0)
    assert (c["reviewed"], c["override_rate"], c["appeals_decided"], c["appeal_rate"], c["reversal_rate"]) == (
        0, None, 1, None, 0.0)
    assert [r["appeals_decided"] for r in c["series"]] == [0, 1]


def _two_reviewers(db, people, officers, key, low) -> None:  # noqa: F811
    """Week of 2026-11-30: officer.ng reviews three decisions on 12-01 (D-1 to D-3), officer.ray overrides one on
    12-02 (D-4). The appeal against D-1 is filed on 12-02 and reversed on 12-03; the one against D-4 is filed on
    12-03 and upheld on 12-08 (the next week)."""
    with db.transaction() as s:
        oversight.record_operator(s, people["lead"], low, "officer.ray", D(2026, 11, 1), D(2027, 11, 1))
    rows = [decision(low, n, decided_at="2026-12-01T14:00:00Z") for n in (1, 2, 3)]
    rows.append(decision(low, 4, decided_at="2026-12-02T14:00:00Z", reviewer="officer.ray", human_action="overrode"))
    with db.transaction() as s:
        res = oversight.record_decisions(s, people["cbp-sys"], key,
                                         oversight.parse_batch(json.dumps({"decisions": rows}).encode()), now=NOW)
    ids = {r["decision_id"]: r["id"] for r in res.rows}
    at = dt.datetime(2026, 12, 2, 15, 0, tzinfo=dt.UTC)
    with db.transaction() as s:
        a1, _ = oversight.file_appeal(s, people["cbp-sys"], ids["D-1"], "wrong stubs", now=at)
        a4, _ = oversight.file_appeal(s, people["cbp-sys"], ids["D-4"], "not mine", now=at + dt.timedelta(days=1))
        oversight.decide_appeal(s, officers["appeals.cbp"], a1.id, "reversed", "misread",
                                now=at + dt.timedelta(days=1))
        oversight.decide_appeal(s, officers["appeals.cbp"], a4.id, "upheld", "in order",
                                now=at + dt.timedelta(days=6))


def test_appeals_per_operator_per_bucket(db, client, people, officers, use_cases, key, cli_env,  # noqa: F811
                                         token_for, sign_in, make_user):
    low = use_cases["low"]
    _two_reviewers(db, people, officers, key, low)
    with db.transaction() as s:
        weeks = oversight.trends(s, people["lead"], low, "2026-11-30", "2026-12-13", "week")
        later = oversight.trends(s, people["lead"], low, "2026-12-07", "2026-12-13", "week")
        ray = oversight.trends(s, people["lead"], low, "2026-11-30", "2026-12-13", "week", operator="officer.ray")
    ng, ray_ = weeks["operators"]
    assert (ng["reviewer"], ray_["reviewer"], weeks["operators_total"]) == ("officer.ng", "officer.ray", 2)
    keys = ("reviewed", *T.APPEAL_COUNTS, "appeal_rate", "reversal_rate")
    assert [{k: r[k] for k in keys} for r in ng["series"]] == [
        {"reviewed": 3, "appeals": 1, "appeals_decided": 1, "appeals_reversed": 1, "appeal_rate": 0.333333,
         "reversal_rate": 1.0},
        {"reviewed": 0, "appeals": 0, "appeals_decided": 0, "appeals_reversed": 0, "appeal_rate": None,
         "reversal_rate": None}]
    assert [{k: r[k] for k in keys} for r in ray_["series"]] == [
        {"reviewed": 1, "appeals": 1, "appeals_decided": 0, "appeals_reversed": 0, "appeal_rate": 1.0,
         "reversal_rate": None},
        {"reviewed": 0, "appeals": 0, "appeals_decided": 1, "appeals_reversed": 0, "appeal_rate": None,
         "reversal_rate": 0.0}]
    assert (ray_["appeals"], ray_["appeals_decided"], ray_["appeal_rate"], ray_["reversal_rate"]) == (1, 1, 1.0, 0.0)
    for k in T.APPEAL_COUNTS:  # every decision had a reviewer: the operators add up to the use case
        assert [ng["series"][i][k] + ray_["series"][i][k] for i in (0, 1)] == [r[k] for r in weeks["series"]]
    (only,) = later["operators"]  # no review in the range, an appeal decided in it: an entry with 0 reviewed
    assert (only["reviewer"], only["reviewed"], only["appeals_decided"], only["override_rate"], only["reversal_rate"],
            later["operators_total"]) == ("officer.ray", 0, 1, None, 0.0, 1)
    assert [o["reviewer"] for o in ray["operators"]] == ["officer.ray"] and ray["operators"][0]["appeals"] == 1
    r = client.get(f"/api/v1/use-cases/{low}/oversight/trends?since=2026-11-30&until=2026-12-13&bucket=week",
                   headers=token_for("lead"))
    assert r.status_code == 200, r.text
    first = r.json()["operators"][0]["series"][0]
    assert (first["appeal_rate"], first["reversal_rate"], first["override_rate"]) == (0.333333, 1.0, 0.0)
    run = CliRunner().invoke
    out = run(cli_app, ["oversight", "trends", low, "--since", "2026-11-30", "--until", "2026-12-13", "--bucket",
                        "week", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["operators"][1]["series"][1]["reversal_rate"] == 0.0
    out = run(cli_app, ["oversight", "trends", low, "--since", "2026-11-30", "--until", "2026-12-13", "--bucket",
                        "week"])
    assert out.exit_code == 0, out.output
    assert ("officer.ng: 3 reviewed, override rate 0.0%; 2026-11-30 3 (0.0%)\n    appeals 1 (appeal rate 33.3%), "
            "reversed 1 of 1 decided (reversal rate 100.0%); 2026-11-30 1 (33.3%) reversed 1 of 1") in out.output
    assert "2026-11-30 1 (100.0%) reversed 0 of 0, 2026-12-07 0 (n/a) reversed 0 of 1" in out.output
    make_user("lead4", "component_ai_lead@CBP")
    sign_in("lead4")
    page = client.get(f"/oversight/use-cases/{low}?since=2026-11-30&until=2026-12-13&bucket=week")
    assert page.status_code == 200
    assert "Per operator per week: decisions reviewed and override rate, appeals and reversals" in page.text
    assert "<th scope=\"col\">2026-11-30 to 2026-12-06 appeals</th>" in page.text
    assert ("<td>3 (0.0 %)</td><td>1 (33.3 %), 1 of 1 reversed</td><td>3 (0.0 %)</td><td>1 (33.3 %), 1 of 1 "
            "reversed</td><td>–</td><td>–</td></tr>") in page.text
    assert "<td>–</td><td>0, 0 of 1 reversed</td></tr>" in page.text  # officer.ray's week 2: an appeal upheld
