import re

import pytest
from fastapi.testclient import TestClient

from raigov.web.app import create_app


@pytest.fixture
def app(settings, db):
    return create_app(settings, db)


@pytest.fixture
def client(app):
    with TestClient(app, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def token_for(db, settings, system):
    from raigov.identity import service

    def _token(username: str) -> dict:
        with db.transaction() as s:
            token, _ = service.create_token(s, system, username, "test", settings)
        return {"Authorization": f"Bearer {token}"}

    return _token


def csrf_from(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert m, "no CSRF token in the form"
    return m.group(1)


@pytest.fixture
def sign_in(client):
    from tests.conftest import PASSWORD

    def _sign_in(username: str, password: str = PASSWORD):
        page = client.get("/sign-in")
        return client.post("/sign-in", data={"username": username, "password": password, "next": "/home",
                                             "csrf_token": csrf_from(page.text)}, follow_redirects=False)

    return _sign_in
