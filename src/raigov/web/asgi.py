"""ASGI entry point for servers: `uvicorn raigov.web.asgi:app` (the app with the public pages' fast path in front of
it, disclosure/fastpath.py ``front``, and a keep-alive connection closed after ``keepalive_max_requests`` requests,
web/middleware.py ``KeepAliveLimit``, so that connections spread over the worker processes).

Once the app is built, the objects made at start-up (routes, models, templates, policy packs: about a million) are
moved out of the garbage collector's view (``gc.freeze``): a full collection then walks only what requests made,
instead of stalling every request in flight for a few hundred milliseconds while it walks the whole heap."""

import gc

from raigov.config import get_settings
from raigov.disclosure.fastpath import front
from raigov.web.app import create_app
from raigov.web.middleware import KeepAliveLimit

app = KeepAliveLimit(front(create_app()), get_settings().keepalive_max_requests)
gc.collect()
gc.freeze()
