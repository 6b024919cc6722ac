"""Sign-in, CSRF, lockout, cookies and page access."""

from tests.web.conftest import csrf_from


def test_sign_in_sets_a_safe_cookie_and_home_shows_the_roles(client, make_user, sign_in):
    make_user("alice", "caio", "auditor")
    r = sign_in("alice")
    assert r.status_code == 303 and r.headers["location"] == "/home"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("raigov_session=")).lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    home = client.get("/home")
    assert home.status_code == 200 and "Chief AI Officer" in home.text and "Auditor" in home.text


def test_secure_cookie_behind_https(settings, db, make_user):
    from fastapi.testclient import TestClient

    from raigov.web.app import create_app
    from tests.conftest import PASSWORD

    make_user("alice", "caio")
    settings.cookie_secure = True
    with TestClient(create_app(settings, db), base_url="https://testserver") as c:
        page = c.get("/sign-in")
        r = c.post("/sign-in", data={"username": "alice", "password": PASSWORD, "csrf_token": csrf_from(page.text)},
                   follow_redirects=False)
        cookie = next(x for x in r.headers.get_list("set-cookie") if x.startswith("raigov_session=")).lower()
        assert "secure" in cookie
        assert "strict-transport-security" in r.headers


def test_wrong_password_gets_the_generic_message(client, make_user, sign_in):
    make_user("alice", "caio")
    r1 = sign_in("alice", "not-the-password")
    r2 = sign_in("no-such-user", "not-the-password")
    assert r1.status_code == r2.status_code == 401
    assert "The username or password is incorrect." in r1.text and "The username or password is incorrect." in r2.text
    assert "no-such-user" not in r2.text.split("<form")[0]  # nothing says whether the account exists


def test_lockout_after_repeated_failures(client, make_user, sign_in, settings, monkeypatch):
    """(Issue #12 item 12: the wait is per name and address and grows; the clock is frozen here so that the
    first one-second wait cannot pass while the test runs. Retry-After says how long.)"""
    from raigov.db.base import utcnow
    from raigov.identity import signin
    from tests.conftest import PASSWORD

    make_user("alice", "caio")
    frozen = utcnow()
    monkeypatch.setattr(signin, "utcnow", lambda: frozen)
    for _ in range(settings.login_max_failures):
        assert sign_in("alice", "not-the-password").status_code == 401
    r = sign_in("alice", PASSWORD)
    assert r.status_code == 429 and "Too many failed sign-in attempts" in r.text
    assert r.headers["retry-after"] == "1"


def test_form_without_csrf_token_is_refused(client, make_user):
    from tests.conftest import PASSWORD

    make_user("alice", "caio")
    client.get("/sign-in")
    r = client.post("/sign-in", data={"username": "alice", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 403 and "security token" in r.text
    r = client.post("/sign-in", data={"username": "alice", "password": PASSWORD, "csrf_token": "0" * 64}, follow_redirects=False)
    assert r.status_code == 403


def test_csrf_token_is_bound_to_the_session(client, make_user, sign_in):
    make_user("adm", "admin")
    old_token = csrf_from(client.get("/sign-in").text)
    sign_in("adm")
    r = client.post("/admin/users/new", data={"username": "bob", "display_name": "Bob", "csrf_token": old_token})
    assert r.status_code == 403  # the pre-sign-in token does not work inside the session


def test_sign_out(client, make_user, sign_in):
    make_user("alice", "caio")
    sign_in("alice")
    token = csrf_from(client.get("/home").text)
    r = client.post("/sign-out", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/home", follow_redirects=False).status_code == 303


def test_open_redirect_is_refused(client, make_user):
    from tests.conftest import PASSWORD

    make_user("alice", "caio")
    page = client.get("/sign-in")
    r = client.post("/sign-in", data={"username": "alice", "password": PASSWORD, "next": "//evil.example/x",
                                      "csrf_token": csrf_from(page.text)}, follow_redirects=False)
    assert r.headers["location"] == "/"


def test_admin_creates_an_account_through_the_form(client, make_user, sign_in):
    make_user("adm", "admin")
    sign_in("adm")
    form = client.get("/admin/users/new")
    token = csrf_from(form.text)
    bad = client.post("/admin/users/new", data={"username": "B!", "display_name": "", "csrf_token": token})
    assert bad.status_code == 422 and "username" in bad.text and "usa-input--error" in bad.text
    ok = client.post("/admin/users/new", data={"username": "bob", "display_name": "Bob Smith", "kind": "person",
                                               "role": "submitter", "role_component": "CBP",
                                                   "password": "Correct-Horse-Battery-7",
                                               "csrf_token": token}, follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"].startswith("/admin/users/bob")
    detail = client.get("/admin/users/bob")
    assert "submitter" in detail.text and "CBP" in detail.text


def test_pages_enforce_roles(client, make_user, sign_in):
    make_user("sub", "submitter@CBP")
    sign_in("sub")
    assert client.get("/admin/users").status_code == 403
    assert client.get("/audit").status_code == 403
    assert client.get("/account").status_code == 200
    assert client.get("/evaluation").status_code == 200  # a submitter reads their component's runs
    # the T&E page: the evaluation service refuses someone who may read no run (the page no longer checks)
    make_user("emp", "employee")
    client.post("/sign-out", data={"csrf_token": csrf_from(client.get("/account").text)})
    sign_in("emp")
    assert client.get("/evaluation").status_code == 403
