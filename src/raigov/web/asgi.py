"""ASGI entry point for servers: `uvicorn raigov.web.asgi:app` (the app with the public pages' fast path in front of
it, disclosure/fastpath.py ``front``)."""

from raigov.disclosure.fastpath import front
from raigov.web.app import create_app

app = front(create_app())
