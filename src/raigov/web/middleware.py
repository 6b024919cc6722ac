"""Pure ASGI middleware: body-size limits (413 problem+json before the body is read) and
security headers on every response (and `Cache-Control: no-store` on every response to a signed-in
request)."""

from __future__ import annotations

import json

from raigov.errors import problem_type

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        b"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    ),
]
# Swagger UI (the OpenAPI page) is served from our own static files but needs inline script/style.
DOCS_CSP = (
    b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    b"script-src 'self' 'unsafe-inline'; object-src 'none'; frame-ancestors 'none'"
)


def _has_cookie(headers, name: bytes) -> bool:
    for k, v in headers:
        if k.lower() == b"cookie":
            for part in v.split(b";"):
                key, _, value = part.strip().partition(b"=")
                if key == name and value:
                    return True
    return False


def signed_in(scope, session_cookie: str) -> bool:
    """A request that carries credentials: the session cookie or an Authorization header."""
    headers = scope.get("headers") or []
    return any(k.lower() == b"authorization" for k, _ in headers) or _has_cookie(headers, session_cookie.encode())


class SecurityHeaders:
    """Security headers on every response. A response to a signed-in request (or one that signs in: it sets
    the session cookie) is `Cache-Control: no-store`: a page showing a new API token, a use case or the audit
    trail must not stay in the browser's or a proxy's cache. Static files are not personal and stay cacheable."""

    def __init__(self, app, hsts: bool = False, session_cookie: str = "raigov_session"):
        self.app = app
        self.hsts = hsts
        self.session_cookie = session_cookie

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        is_docs = scope["path"].startswith("/api/docs")
        personal = not scope["path"].startswith("/static/") and signed_in(scope, self.session_cookie)
        sets_session = f"{self.session_cookie}=".encode()

        async def send_wrapper(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                for k, v in SECURITY_HEADERS:
                    if k == b"content-security-policy" and is_docs:
                        v = DOCS_CSP
                    if k not in present:
                        headers.append((k, v))
                if self.hsts:
                    headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
                if personal or any(k.lower() == b"set-cookie" and v.startswith(sets_session) for k, v in headers):
                    cache = [v for k, v in headers if k.lower() == b"cache-control"]
                    if not cache or b"no-store" not in b",".join(cache):
                        headers = [(k, v) for k, v in headers if k.lower() != b"cache-control"]
                        headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_wrapper)


class BodyLimit:
    """Refuse bodies over `limit` bytes with 413, or over the limit a route declares for its uploads:
    ``limit_for(method, path)`` answers it (None: `limit`), see web/uploads.py."""

    def __init__(self, app, limit: int, limit_for=None):
        self.app = app
        self.limit = limit
        self.limit_for = limit_for

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        route_limit = self.limit_for(scope.get("method", "GET"), scope["path"]) if self.limit_for else None
        limit = self.limit if route_limit is None else route_limit
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                if int(declared) > limit:
                    return await self._too_large(scope, send, limit)
            except ValueError:
                return await self._too_large(scope, send, limit, bad_length=True)
        received = 0
        exceeded = False

        async def limited_receive():
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _TooLarge()
            return message

        started = False

        async def tracking_send(message):
            # once the body went over the limit, whatever the app answers (frameworks turn the
            # error into a 400) is replaced by our 413
            nonlocal started
            if exceeded:
                if message["type"] == "http.response.start" and not started:
                    started = True
                    await self._too_large(scope, send, limit)
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                started = True
                await self._too_large(scope, send, limit)
        except Exception:
            if exceeded and not started:
                await self._too_large(scope, send, limit)
            else:
                raise

    async def _too_large(self, scope, send, limit: int, bad_length: bool = False):
        status = 400 if bad_length else 413
        body = json.dumps({
            "type": problem_type("invalid-content-length" if bad_length else "payload-too-large"),
            "title": "Invalid Content-Length" if bad_length else "The request body is too large",
            "status": status,
            "detail": "Content-Length is not a number" if bad_length else f"the body exceeds the limit of {limit} bytes",
            "instance": scope["path"],
            "errors": [{"field": "body", "message": f"at most {limit} bytes", "code": "too_large"}],
        }).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


class KeepAliveLimit:
    """Close a keep-alive connection after `max_requests` requests: the response to the last one carries
    ``Connection: close``, which the server honours (uvicorn does), and the client opens a new connection, as
    nginx's ``keepalive_requests`` does. Why: under ``raigov serve --workers N`` a connection stays with the
    worker process that accepted it, and an operational system that keeps a few connections open for hours can
    leave most of them on one worker while another idles (seen with 8 clients and 2 workers: 7 on one, their
    decisions answered in twice the time of the eighth's). A reopened connection goes to whichever worker accepts
    it first, mostly the less busy one, so the load evens out. Connections are told apart by the client's address
    and port; a request whose client is unknown or was rewritten by a proxy's forwarding headers (port 0) is let
    through untouched (the proxy spreads its own connections). 0: never."""

    MAX_TRACKED = 10_000  # connections counted at once; past this the counts start again (closed ones are not seen)

    def __init__(self, app, max_requests: int):
        self.app = app
        self.max_requests = max_requests
        self._served: dict[tuple, int] = {}

    async def __call__(self, scope, receive, send):
        client = scope.get("client") if scope["type"] == "http" else None
        if self.max_requests <= 0 or not client or not client[1]:
            return await self.app(scope, receive, send)
        key = (tuple(client), tuple(scope.get("server") or ()))
        served = self._served.get(key, 0) + 1
        if served < self.max_requests:
            if len(self._served) >= self.MAX_TRACKED:
                self._served.clear()
            self._served[key] = served
            return await self.app(scope, receive, send)
        self._served.pop(key, None)

        async def closing(message):
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"connection"]
                message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        await self.app(scope, receive, closing)
