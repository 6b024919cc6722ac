"""Appeal and reversal rates per operator (issue #15 item 6), on both databases: the appeals against the decisions
each reviewer reviewed, filed and decided within the window, beside the existing per-operator keys, in the stats
(API, `raigov oversight stats --json` and its text) and on the use case's page."""

from __future__ import annotations

import datetime as dt
import json

from typer.testing import CliRunner

from raigov.cli.main import app as cli_app
from raigov.clock import agency_today
from raigov.oversight import service as oversight
from tests.oversight.conftest import NOW, decision
from tests.oversight.test_appeals import officers  # noqa: F401  (the fixture)

OLD_KEYS = {"reviewer", "decisions", "accepted", "modified", "overrode", "share_of_reviewed", "override_rate",
            "modified_rate"}


def _appealed(db, people, officers, key, low) -> None:  # noqa: F811
    """officer.ng reviewed 8 decisions, officer.ray 2; appeals: 3 against officer.ng's (one reversed, one upheld,
    one open), 1 against officer.ray's (reversed three days later)."""
    today = agency_today(now=NOW)
    with db.transaction() as s:
        oversight.record_operator(s, people["lead"], low, "officer.ray", today - dt.timedelta(days=10),
                                  today + dt.timedelta(days=300))
    rows = [decision(low, n) for n in range(1, 9)] + [decision(low, n, reviewer="officer.ray") for n in (9, 10)]
    with db.transaction() as s:
        res = oversight.record_decisions(s, people["cbp-sys"], key,
                                         oversight.parse_batch(json.dumps({"decisions": rows}).encode()), now=NOW)
    pks = [r["id"] for r in res.rows]
    officer = officers["appeals.cbp"]
    with db.transaction() as s:
        made = [oversight.file_appeal(s, people["cbp-sys"], pks[i], f"grounds {i}", now=NOW)[0].id for i in (0, 1, 2, 8)]
    later = NOW + dt.timedelta(days=3)
    with db.transaction() as s:
        oversight.decide_appeal(s, officer, made[0], "reversed", "misread", now=later)
        oversight.decide_appeal(s, officer, made[1], "upheld", "right", now=later)
        oversight.decide_appeal(s, officer, made[3], "reversed", "misread", now=later)


def test_appeal_and_reversal_rates_per_operator(db, people, officers, use_cases, key):  # noqa: F811
    low = use_cases["low"]
    _appealed(db, people, officers, key, low)
    with db.transaction() as s:
        st = oversight.stats(s, people["lead"], low)
        filed_only = oversight.stats(s, people["lead"], low, until=agency_today(now=NOW))
        decided_only = oversight.stats(s, people["lead"], low, since=agency_today(now=NOW) + dt.timedelta(days=1))
    ng, ray = st["by_operator"]
    assert set(ng) >= OLD_KEYS and (ng["reviewer"], ng["decisions"], ray["reviewer"], ray["decisions"]) == (
        "officer.ng", 8, "officer.ray", 2)
    assert {k: ng[k] for k in ("appeals", "appeals_decided", "appeals_reversed", "appeal_rate", "reversal_rate")} == {
        "appeals": 3, "appeals_decided": 2, "appeals_reversed": 1, "appeal_rate": 0.375, "reversal_rate": 0.5}
    assert (ray["appeals"], ray["appeals_decided"], ray["appeals_reversed"], ray["appeal_rate"], ray["reversal_rate"]) \
        == (1, 1, 1, 0.5, 1.0)
    # the window: appeals by the day filed, decided ones by the day decided (three days later)
    assert [(o["appeals"], o["appeals_decided"]) for o in filed_only["by_operator"]] == [(3, 0), (1, 0)]
    assert [(o["reviewer"], o["decisions"], o["appeals"], o["appeals_decided"], o["appeals_reversed"],
             o["appeal_rate"], o["reversal_rate"]) for o in decided_only["by_operator"]] == [
        ("officer.ng", 0, 0, 2, 1, None, 0.5), ("officer.ray", 0, 0, 1, 1, None, 1.0)]


def test_api_cli_and_page(db, client, people, officers, use_cases, key, cli_env, token_for, sign_in,  # noqa: F811
                          make_user):
    low = use_cases["low"]
    _appealed(db, people, officers, key, low)
    api = client.get(f"/api/v1/use-cases/{low}/decision-stats", headers=token_for("lead"))
    assert api.status_code == 200
    assert [(o["reviewer"], o["appeals"], o["appeals_reversed"], o["reversal_rate"]) for o in api.json()["by_operator"]] \
        == [("officer.ng", 3, 1, 0.5), ("officer.ray", 1, 1, 1.0)]
    r = CliRunner().invoke(cli_app, ["oversight", "stats", low, "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["by_operator"][0]["appeal_rate"] == 0.375
    r = CliRunner().invoke(cli_app, ["oversight", "stats", low])
    assert "appeals 3 (appeal rate 37.5%), reversed 1 of 2 decided (reversal rate 50.0%)" in r.output
    make_user("lead2", "component_ai_lead@CBP")
    sign_in("lead2")
    page = client.get(f"/oversight/use-cases/{low}")
    assert page.status_code == 200 and "Reversal rate" in page.text
    assert "37.5 %" in page.text and "1 of 2" in page.text and "50.0 %" in page.text
