"""Who sees the review queue of every lane, decided by the service on SQLite and PostgreSQL: those who assign
reviews (CAIO, delegate, component AI lead, each within what they may read) and the operator's shell
(`raigov review queue`); a reviewer asking for every lane gets PermissionDenied from the service, 403 from
`GET /api/v1/reviews?all=true`, and their own lanes on the `/reviews` page."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from raigov.errors import PermissionDenied
from raigov.governance import service as gov
from raigov.identity.permissions import Actor
from tests.conftest import PASSWORD
from tests.governance.test_governance_rules import _new


def _lanes(rows) -> list[tuple[str, str]]:
    return sorted((q.business_id, q.review.lane) for q in rows)


@pytest.fixture
def open_reviews(db, settings, people):
    """A CBP high-impact use case just synchronised: every lane its determination requires is open."""
    bid = _new(db, settings, people)
    with db.transaction() as s:
        lanes = sorted(r.lane for r in gov.reviews_of(s, people["caio"], bid) if r.status == "open")
    assert {"privacy", "component_ai_lead"} <= set(lanes) and len(lanes) >= 4
    return bid, lanes


def test_the_service_decides_who_sees_every_lane(db, people, open_reviews):
    bid, lanes = open_reviews
    every = [(bid, lane) for lane in lanes]
    assert [who for who in people if gov.may_queue_all(people[who])] == ["lead", "tsa.lead", "caio", "delegate"]
    assert gov.may_queue_all(Actor.system("test")) is True
    with db.transaction() as s:
        assert _lanes(gov.queue(s, people["privacy"])) == [(bid, "privacy")]
        for who in ("privacy", "crcl", "rug", "owner", "tester"):
            with pytest.raises(PermissionDenied) as e:
                gov.queue(s, people[who], include_all=True)
            assert "own lanes only" in e.value.detail
        for who in ("caio", "delegate", "lead"):
            assert _lanes(gov.queue(s, people[who], include_all=True)) == every, who
        assert gov.queue(s, people["tsa.lead"], include_all=True) == []  # may assign, but not read CBP's use case
        assert _lanes(gov.queue(s, Actor.system("cli/test"), include_all=True)) == every
        assert _lanes(gov.queue(s, people["lead"], "privacy", include_all=True)) == [(bid, "privacy")]

        view = gov.queue_view(s, people["privacy"], include_all=True)  # the page: own lanes, no refusal
        assert (_lanes(view.rows), view.include_all, view.may_include_all) == ([(bid, "privacy")], False, False)
        view = gov.queue_view(s, people["lead"], include_all=True)
        assert (_lanes(view.rows), view.include_all, view.may_include_all) == (every, True, True)
        view = gov.queue_view(s, people["lead"])
        assert (_lanes(view.rows), view.include_all) == ([(bid, "component_ai_lead")], False)


@pytest.fixture
def client(settings, db):
    from raigov.web.app import create_app

    with TestClient(create_app(settings, db), base_url="http://testserver") as c:
        yield c


def _token(db, settings, username: str) -> dict:
    from raigov.identity import service

    with db.transaction() as s:
        token, _ = service.create_token(s, Actor.system("test"), username, "test", settings)
    return {"Authorization": f"Bearer {token}"}


def test_api_refuses_all_lanes_to_a_reviewer(db, settings, people, open_reviews, client):
    bid, lanes = open_reviews
    privacy, lead = _token(db, settings, "privacy"), _token(db, settings, "lead")
    r = client.get("/api/v1/reviews", params={"all": "true"}, headers=privacy)
    assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"].endswith("forbidden") and "own lanes only" in r.json()["detail"]
    r = client.get("/api/v1/reviews", headers=privacy)
    assert r.status_code == 200 and [(q["use_case"], q["lane"]) for q in r.json()] == [(bid, "privacy")]
    r = client.get("/api/v1/reviews", params={"all": "true"}, headers=lead)
    assert r.status_code == 200 and sorted(q["lane"] for q in r.json()) == lanes
    assert {q["use_case"] for q in r.json()} == {bid}
    r = client.get("/api/v1/reviews", params={"all": "false"}, headers=lead)
    assert r.status_code == 200 and [q["lane"] for q in r.json()] == ["component_ai_lead"]


def _sign_in(client, username: str) -> None:
    page = client.get("/sign-in")
    csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text).group(1)
    r = client.post("/sign-in", data={"username": username, "password": PASSWORD, "next": "/home", "csrf_token": csrf},
                    follow_redirects=False)
    assert r.status_code == 303, r.text


def _page_lanes(html: str) -> list[str]:
    cells = re.findall(r'<td data-label="Lane">([^<]*)</td>', html)
    return sorted(cells)


def test_page_shows_a_reviewer_their_own_lanes(db, settings, people, open_reviews, client, make_user):
    from raigov.governance.lanes import config

    _bid, lanes = open_reviews
    titles = config().lanes
    make_user("priv.web", "privacy_reviewer")
    make_user("lead.web", "component_ai_lead@CBP")
    _sign_in(client, "priv.web")
    for url in ("/reviews?all=1", "/reviews"):
        r = client.get(url)
        assert r.status_code == 200, url
        assert _page_lanes(r.text) == [titles["privacy"].title] and "1 open review(s)" in r.text
    client.cookies.clear()
    _sign_in(client, "lead.web")
    r = client.get("/reviews?all=1")
    assert r.status_code == 200
    assert _page_lanes(r.text) == sorted(titles[c].title for c in lanes) and f"{len(lanes)} open review(s)" in r.text
    r = client.get("/reviews")
    assert _page_lanes(r.text) == [titles["component_ai_lead"].title]



def test_cli_queue_still_shows_every_lane(db, people, open_reviews, cli_env):
    from typer.testing import CliRunner

    from raigov.cli.review import app

    bid, lanes = open_reviews
    res = CliRunner().invoke(app, ["queue", "--json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert sorted((r["use_case"], r["lane"]) for r in rows) == [(bid, lane) for lane in lanes]
