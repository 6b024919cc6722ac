"""A keep-alive connection is closed after ``keepalive_max_requests`` requests (web/middleware.py KeepAliveLimit):
served by a real uvicorn on a local port, one httpx client's requests travel over a new connection after every
N; 0 never closes; a request whose client a proxy rewrote (port 0) is never counted."""

from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest
import uvicorn

from raigov.web.middleware import KeepAliveLimit


async def _hello(scope, receive, send):
    assert scope["type"] == "http"
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain"), (b"connection", b"keep-alive")]})
    await send({"type": "http.response.body", "body": f"{scope['client'][1]}".encode()})


class _Served:
    def __init__(self, app):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        for _ in range(300):
            if self.server.started:
                return f"http://127.0.0.1:{self.port}"
            time.sleep(0.02)
        raise RuntimeError("the server did not start")

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.mark.parametrize("limit", [3, 0])
def test_a_connection_is_closed_after_the_limit(limit):
    with _Served(KeepAliveLimit(_hello, limit)) as url, httpx.Client(base_url=url) as c:
        answers = [c.get("/") for _ in range(9)]
    ports = [int(r.text) for r in answers]  # the client's port: one per connection
    closing = [r.headers.get("connection") for r in answers]
    if limit:
        assert closing == ["keep-alive", "keep-alive", "close"] * 3  # the app's own header replaced on the last
        assert len(set(ports)) == 3 and ports[0] == ports[2] != ports[3] == ports[5] != ports[6] == ports[8]
    else:
        assert set(closing) == {"keep-alive"} and len(set(ports)) == 1


def test_a_client_rewritten_by_a_proxy_is_not_counted():
    seen = []

    async def app(scope, receive, send):
        async def spy(message):
            if message["type"] == "http.response.start":
                seen.append(dict(message["headers"]).get(b"connection"))
        await _hello(scope, receive, spy)

    limited = KeepAliveLimit(app, 2)
    for _ in range(4):  # nothing in it waits: run to the end without an event loop (a test before may hold one)
        with pytest.raises(StopIteration):
            limited({"type": "http", "client": ("10.0.0.9", 0), "server": ("127.0.0.1", 8000)}, None, None).send(None)
    assert seen == [b"keep-alive"] * 4 and limited._served == {}
