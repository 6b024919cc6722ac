"""ASGI entry point for servers: `uvicorn raigov.web.asgi:app`."""

from raigov.web.app import create_app

app = create_app()
