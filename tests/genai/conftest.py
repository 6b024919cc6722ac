"""The web fixtures (app, client, token_for, sign_in) for the guard's adapter tests."""

from tests.web.conftest import app, client, sign_in, token_for  # noqa: F401 (pytest fixtures)
