"""Issue #12 item 12 through the sign-in page, on both databases: wrong passwords from one client address
slow down that address only (429 with Retry-After), the CAIO signs in from another; spraying names from one
address gets that address throttled."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from raigov.db.base import utcnow
from raigov.identity import signin
from tests.conftest import PASSWORD
from tests.web.conftest import csrf_from


@pytest.fixture
def frozen_clock(monkeypatch):
    now = utcnow()
    monkeypatch.setattr(signin, "utcnow", lambda: now)
    return now


def _sign_in(c: TestClient, username: str, password: str):
    page = c.get("/sign-in")
    return c.post("/sign-in", data={"username": username, "password": password, "next": "/home",
                                    "csrf_token": csrf_from(page.text)}, follow_redirects=False)


def test_an_attacker_elsewhere_does_not_lock_the_caio_out(app, make_user, frozen_clock):
    make_user("caio", "caio")
    with TestClient(app, base_url="http://testserver", client=("203.0.113.9", 5000)) as attacker, \
            TestClient(app, base_url="http://testserver", client=("198.51.100.7", 5000)) as desk:
        codes = [_sign_in(attacker, "caio", f"guess-{i}-xyz").status_code for i in range(8)]
        assert codes == [401] * 3 + [429] * 5
        r = _sign_in(attacker, "caio", PASSWORD)
        assert r.status_code == 429 and r.headers["retry-after"] == "1" and "Try again in 1 seconds" in r.text
        r = _sign_in(desk, "caio", PASSWORD)
        assert r.status_code == 303 and r.headers["location"] == "/home"


def test_spraying_names_from_one_address_is_throttled(app, make_user, settings, frozen_clock):
    make_user("alice", "caio")
    with TestClient(app, base_url="http://testserver", client=("203.0.113.9", 5000)) as sprayer:
        codes = [_sign_in(sprayer, f"user{i}", "Password-Spray-1").status_code for i in range(15)]
        assert codes == [401] * settings.login_client_max_failures + [429] * (15 - settings.login_client_max_failures)
        r = _sign_in(sprayer, "alice", PASSWORD)
        assert r.status_code == 429 and r.headers["retry-after"] == str(settings.login_client_window_minutes * 60)
    with TestClient(app, base_url="http://testserver", client=("198.51.100.7", 5000)) as other:
        assert _sign_in(other, "alice", PASSWORD).status_code == 303
