"""The web fixtures (app, client, token_for, sign_in) for the guard's adapter tests, and the catalog's tools
the guard's adapters screen for (the catalog is the one list of tools)."""

import pytest

from tests.web.conftest import app, client, sign_in, token_for  # noqa: F401 (pytest fixtures)

GUARD_TOOLS = (("chatgpt", "ChatGPT (commercial)", "public"), ("claude", "Claude (commercial)", "public"),
               ("dhschat", "DHSChat (internal)", "internal"))


@pytest.fixture
def guard_tools(db, settings, system):
    """Two commercial tools cleared for public information and an internal one, in the catalog."""
    from raigov.clock import agency_today
    from raigov.genai import catalog

    with db.transaction() as s:
        for key, name, cls in GUARD_TOOLS:
            catalog.create_tool(s, system, key, name, cls, today=agency_today(settings))
    return [k for k, _, _ in GUARD_TOOLS]
