"""Sign in through headless Chromium and check every foundation page with axe-core: zero violations."""

import pytest

from tests.conftest import PASSWORD
from tests.e2e.conftest import axe_violations


def sign_in(page, username, password=PASSWORD):
    page.goto("/sign-in")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def assert_accessible(page, where: str):
    v = axe_violations(page)
    assert v == [], f"axe violations on {where}: {v}"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_pages_are_accessible_and_work(page, make_user, backend):
    make_user("root.admin", "admin", "auditor", "caio")
    page.goto("/")
    assert page.url.endswith("/sign-in")
    assert_accessible(page, "sign-in")

    sign_in(page, "root.admin", "wrong-password-here")
    assert page.get_by_role("alert").inner_text().strip() == "The username or password is incorrect."
    assert_accessible(page, "sign-in with an error")

    sign_in(page, "root.admin")
    page.wait_for_url("**/home")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Welcome")
    assert_accessible(page, "home")

    page.goto("/admin/users")
    assert page.get_by_role("link", name="root.admin").count() == 1
    assert_accessible(page, "user administration")

    page.goto("/admin/users/new")
    assert_accessible(page, "new account form")
    page.get_by_label("Username").fill("BAD NAME")
    page.get_by_label("Full name").fill("Bad")
    page.get_by_role("button", name="Create account").click()
    assert page.locator(".usa-error-message").first.is_visible()
    assert_accessible(page, "new account form with errors")
    page.get_by_label("Username").fill("tsa.owner")
    page.get_by_label("Full name").fill("Terry Owner")
    page.get_by_label("First role").select_option("submitter")
    page.get_by_label("Role scope").select_option("TSA")
    page.get_by_label("Initial password").fill("Another-Good-Passphrase-1")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/admin/users/tsa.owner?created=1")
    assert "Use case owner" in page.locator("table").first.inner_text()
    assert_accessible(page, "user detail")
    # a deciding role waits for a second person: shown pending, listed for the CAIO's office
    page.get_by_label("Role", exact=True).select_option("rug_member")
    page.get_by_role("button", name="Grant").click()
    page.wait_for_url("**/admin/users/tsa.owner?done=grant")
    assert "waiting for a second person" in page.locator("table").first.inner_text()
    assert_accessible(page, "user detail with a pending grant")
    page.goto("/admin/pending-grants")
    assert "Responsible Use Group member" in page.locator("table").inner_text()
    assert_accessible(page, "role grants waiting for a second person")

    page.goto("/audit")
    assert page.get_by_role("link", name="identity.user.create").count() == 0  # actions are text, seq is the link
    assert "identity.user.create" in page.locator("table").inner_text()
    assert_accessible(page, "audit trail")
    page.get_by_label("Action (or prefix)").fill("identity.user")
    page.get_by_role("button", name="Filter").click()
    assert "identity.session" not in page.locator("table").inner_text()

    page.goto("/audit/1")
    assert "Inclusion proof" in page.content()
    assert_accessible(page, "audit event")

    page.goto("/audit/verify")
    assert page.get_by_role("heading", name="Intact").count() == 1
    assert_accessible(page, "audit verification")

    page.goto("/account")
    page.get_by_label("What it is for").fill("scripts")
    page.get_by_role("button", name="Create token").click()
    assert page.locator("#new-token").inner_text().startswith("rgv_")
    assert_accessible(page, "account")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/sign-in")
    page.goto("/home")
    assert page.url.endswith("/sign-in?next=/home")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_accessibility_check_can_fail(page, backend):
    """Guard the guard: axe must report an image without alt text and an unlabelled input."""
    page.goto("/sign-in")
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', "
                  "'<img src=\"/static/img/favicon.svg\"><input id=\"unlabelled\">')")
    assert {"image-alt", "label"} <= {v["id"] for v in axe_violations(page)}
