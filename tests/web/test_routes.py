"""The order of the app's routers changes no answer, so the routers operational systems call at a high rate can be
tried first (raigov/domains.py ``Contribution.hot``).

A request's route is the first that matches, trying the routers in the order they were included. Two routes of
different routers that could match the same request would make that order part of the answer; so for every API
and page route, a path built from its template (each parameter a sample value) is matched against every other
route: where two match, they are of the same router (whose own order is its author's), never of a hot router,
or one of the overlaps listed below, whose resolution is checked."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute, _IncludedRouter
from starlette.routing import Match

from raigov import domains

SAMPLE = {"int": "7", "path": "a/b"}


def _sample(path: str) -> str:
    return re.sub(r"\{([^}:]+)(?::([^}]+))?\}", lambda m: SAMPLE.get(m.group(2), "zz9"), path)


def _routes(app) -> list[tuple[int, APIRoute]]:
    """(index of the router it came from among the app's routes, route), every route of every included router."""
    return [(i, r) for i, top in enumerate(app.router.routes) for r in _flat([top])]


def _scope(method: str, path: str) -> dict:
    return {"type": "http", "method": method, "path": path, "root_path": "", "headers": [], "query_string": b""}


# Overlaps across routers that the order of the page routers decides, each checked below to resolve as meant:
# the feedback form of a use case (business id "DHS-1") before the public site's page of a year's use case (the
# year must be a number, which the site route checks only after it is chosen).
KNOWN_ACROSS = {("GET", "/public/use-cases/{business_id}/feedback", "/public/use-cases/{year}/{ident}")}


def _resolve(app, method: str, path: str):
    """The endpoint the app's routers choose for a request (the first full match, in order)."""
    for top in app.router.routes:
        if top.matches(_scope(method, path))[0] == Match.FULL:
            for r in _flat([top]):
                if r.matches(_scope(method, path))[0] == Match.FULL:
                    return r.endpoint
    return None


def _flat(routes):
    for r in routes:
        if isinstance(r, _IncludedRouter):
            yield from _flat(r.original_router.routes)
        elif isinstance(r, APIRoute):
            yield r


def test_routes_of_different_routers_never_match_the_same_request(app):
    routes = _routes(app)
    assert len(routes) > 250
    hot = {id(domains.load(ref)) for _, c in domains.contributions() for ref in c.hot}
    hot_routes = {id(r) for h in hot for top in app.router.routes
                  if isinstance(top, _IncludedRouter) and id(top.original_router) == h for r in _flat([top])}
    across = set()
    for i, r in routes:
        path = _sample(r.path)
        for method in r.methods:
            for j, other in routes:
                if other is not r and j != i and other.matches(_scope(method, path))[0] == Match.FULL:
                    across.add((method, r.path, other.path))
                    assert id(r) not in hot_routes and id(other) not in hot_routes, (method, r.path, other.path)
    assert across == KNOWN_ACROSS
    from raigov.web.pages import feedback

    assert _resolve(app, "GET", "/public/use-cases/DHS-1/feedback") is feedback.public_form


def test_the_hot_routers_come_first_and_the_decisions_route_is_found_in_the_first_of_them(app):
    hot = [domains.load(ref) for _, c in domains.contributions() for ref in c.hot]
    assert hot and domains.api_routers()[:len(hot)] == [ref for _, c in domains.contributions() for ref in c.hot]
    included = [r for r in app.router.routes if isinstance(r, _IncludedRouter)]
    assert [r.original_router for r in included[:len(hot)]] == hot
    first_match = next(k for k, r in enumerate(app.router.routes)
                       if r.matches(_scope("POST", "/api/v1/decisions"))[0] == Match.FULL)
    assert first_match <= app.router.routes.index(included[len(hot) - 1])


def test_a_hot_router_must_be_one_of_the_domains_api_routers(monkeypatch):
    fake = domains.Contribution(api=("a:router",), hot=("b:router",))
    monkeypatch.setattr(domains, "contributions", lambda: [("x", fake)])
    with pytest.raises(ValueError, match=r"x: hot routers must be among its api routers: \['b:router'\]"):
        domains.api_routers()
