"""OIDC sign-in against a real (small) provider started on a local port."""

from urllib.parse import urlparse

import httpx
import pytest
from fastapi.testclient import TestClient

from raigov.identity import service
from raigov.identity.schemas import RoleGrantIn, UserCreate
from raigov.web.app import create_app
from tests.oidc_provider import Provider


@pytest.fixture
def provider():
    p = Provider().start()
    yield p
    p.stop()


def _flow(client: TestClient, provider: Provider):
    r = client.get("/auth/oidc/login?next=/account", follow_redirects=False)
    assert r.status_code == 302 and r.headers["location"].startswith(provider.issuer + "/authorize")
    assert "code_challenge=" in r.headers["location"] and "nonce=" in r.headers["location"]
    back = httpx.get(r.headers["location"], follow_redirects=False)
    assert back.status_code == 302
    u = urlparse(back.headers["location"])
    return client.get(f"{u.path}?{u.query}", follow_redirects=False)


def test_oidc_sign_in(settings, db, system, provider):
    settings.oidc_issuer, settings.oidc_client_id, settings.oidc_client_secret = (
        provider.issuer,
        provider.client_id,
        provider.client_secret,
    )
    with db.transaction() as s:
        service.create_user(
            s,
            system,
            UserCreate(username="dana", display_name="Dana Reyes", email="dana@agency.gov", roles=[RoleGrantIn(role="caio")]),
            settings,
        )
    with TestClient(create_app(settings, db), base_url="http://testserver") as client:
        assert "Sign in with" in client.get("/sign-in").text
        provider.next_user = {"sub": "idp-42", "email": "dana@agency.gov", "email_verified": True, "name": "Dana"}
        r = _flow(client, provider)
        assert r.status_code == 303 and r.headers["location"] == "/account"
        assert "dana" in client.get("/account").text
        # an identity with no account is refused, with a clear message
        client.cookies.clear()
        provider.next_user = {"sub": "idp-99", "email": "stranger@agency.gov", "email_verified": True}
        r = _flow(client, provider)
        assert r.status_code == 401 and "no raigov account is linked" in r.text
    with db.transaction() as s:
        u = service.get_user(s, "dana")
        assert (u.oidc_issuer, u.oidc_subject) == (provider.issuer, "idp-42")


def test_tampered_id_token_is_refused(settings, db, system, provider):
    settings.oidc_issuer, settings.oidc_client_id, settings.oidc_client_secret = (
        provider.issuer,
        provider.client_id,
        provider.client_secret,
    )
    with db.transaction() as s:
        service.create_user(s, system, UserCreate(username="dana", display_name="Dana", email="dana@agency.gov"), settings)
    real_sign = provider.id_token

    def forged(claims):  # a token whose payload was changed after signing
        tok = real_sign(claims)
        h, _p, sig = tok.split(".")
        return ".".join([h, real_sign({**claims, "sub": "someone-else"}).split(".")[1], sig])

    provider.id_token = forged
    provider.next_user = {"sub": "idp-42", "email": "dana@agency.gov", "email_verified": True}
    with TestClient(create_app(settings, db), base_url="http://testserver") as client:
        r = _flow(client, provider)
        assert r.status_code == 401 and "could not be verified" in r.text
        assert "raigov_session" not in r.cookies
