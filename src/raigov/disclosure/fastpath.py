"""The public site's fast path (issue #19): a pure ASGI middleware, outermost, that serves the public pages of a
build from memory.

A build (``raigov public build``) never changes once published, so a public page is rendered once per build: the
first anonymous ``GET`` of a URL under ``/public`` runs the app as usual; its response is kept (the final bytes
and headers, security headers included) when it was made only from the build's files. The pages say which files
they read (``raigov.disclosure.site.Site.read`` notes each verified file in ``reads``), and the build's marker
file (``DATA_DIR/public/current``, renamed into place when a build commits) is one more dependency. A kept
response is served again only while every file it depends on is unchanged on disk (same size, modification
time and inode, one ``os.stat`` each): a new build (the marker changes) or a file changed on disk (the app then
refuses it, 500, as before) sends the request back through the app. A response carries a strong ``ETag`` (the
SHA-256 of its bytes, or of the published file) and ``If-None-Match`` gets a ``304`` from memory.

Only requests that carry no cookie and no ``Authorization`` take the fast path, and only ``200`` responses
that set no cookie and are not ``no-store``/``private`` are kept, so no session, CSRF token or navigation of a
signed-in person can ever be kept or served to someone else. Bounded: at most ``MAX_ENTRIES`` responses and
``MAX_BYTES`` bytes (the oldest go first)."""

from __future__ import annotations

import hashlib
import os
import time
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

MAX_ENTRIES = 4096
MAX_BYTES = 128 * 1024 * 1024
MAX_BODY = 16 * 1024 * 1024  # a response larger than this is not kept
PREFIX = "/public"
MARKER = "current"  # DATA_DIR/public/current: the latest build's directory, replaced at each build

# the files (absolute paths) one request read from the build, with their stat signatures; None: not tracked
reads: ContextVar[list | None] = ContextVar("raigov_public_reads", default=None)


def signature(path: str) -> tuple | None:
    """What changes when a file is replaced or rewritten: (size, mtime in ns, inode); None when it is missing."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def note_read(path: Path | str, sig: tuple | None) -> None:
    """Called by the site's reader for each file it verified: the response depends on it."""
    deps = reads.get()
    if deps is not None and sig is not None:
        deps.append((str(path), sig))


@dataclass
class Entry:
    status: int
    headers: list
    body: bytes
    etag: bytes
    deps: tuple
    checked: float = 0.0  # time.monotonic() of the last check of `deps` (used when ``recheck_ms`` is set)


def _header(headers, name: bytes) -> bytes | None:
    for k, v in headers:
        if k.lower() == name:
            return v
    return None


def _anonymous_get(scope) -> bool:
    if scope["type"] != "http" or scope.get("method") != "GET" or not scope["path"].startswith(PREFIX):
        return False
    return not any(k in (b"cookie", b"authorization") for k, _ in scope.get("headers") or [])


def _key(scope) -> bytes:
    return (scope.get("raw_path") or scope["path"].encode()) + b"?" + (scope.get("query_string") or b"")


def _matches(inm: bytes | None, etag: bytes) -> bool:
    return inm is not None and (inm.strip() == b"*" or etag in [t.strip() for t in inm.split(b",")])


class PublicCache:
    """See the module's doc. ``marker_dir`` is ``DATA_DIR/public``."""

    def __init__(self, app, marker_dir: Path, recheck_ms: int = 0):
        self.app = app
        self.recheck = recheck_ms / 1000
        self.marker = str(Path(marker_dir) / MARKER)
        self.entries: dict[bytes, Entry] = {}
        self.size = 0
        self.hits = self.misses = 0

    def fresh(self, key: bytes) -> Entry | None:
        """The kept response of `key` while the files it depends on are unchanged (checked at most every
        ``recheck`` seconds; 0: on every request); None (and dropped) when one changed."""
        entry = self.entries.get(key)
        if entry is None:
            return None
        now = time.monotonic() if self.recheck else 0.0
        if self.recheck and now - entry.checked < self.recheck:
            return entry
        if all(signature(p) == sig for p, sig in entry.deps):
            entry.checked = now
            return entry
        self._drop(key)
        return None

    async def __call__(self, scope, receive, send):
        if not _anonymous_get(scope):
            return await self.app(scope, receive, send)
        key = _key(scope)
        entry = self.fresh(key)
        if entry is not None:
            self.hits += 1
            return await self.respond(scope, send, entry)
        self.misses += 1
        await self._fill(scope, receive, send, key)

    async def respond(self, scope, send, entry: Entry) -> None:
        if _matches(_header(scope.get("headers") or [], b"if-none-match"), entry.etag):
            headers = [(k, v) for k, v in entry.headers if k.lower() not in (b"content-length", b"content-type")]
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": entry.status, "headers": entry.headers})
        await send({"type": "http.response.body", "body": entry.body})

    async def _fill(self, scope, receive, send, key: bytes) -> None:
        """Run the app; keep its response when it may be kept (see the module's doc)."""
        deps: list = []
        token = reads.set(deps)
        start: dict = {}
        chunks: list[bytes] = []
        size = 0
        keep = True

        async def capture(message):
            nonlocal size, keep
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body" and keep:
                size += len(message.get("body", b""))
                if size > MAX_BODY:
                    keep = False
                    chunks.clear()
                else:
                    chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            reads.reset(token)
        if not keep or start.get("status") != 200 or not deps:
            return
        headers = list(start.get("headers") or [])
        cache_control = (_header(headers, b"cache-control") or b"").lower()
        if _header(headers, b"set-cookie") is not None or b"no-store" in cache_control or b"private" in cache_control:
            return
        marker = signature(self.marker)
        if marker is None:
            return
        body = b"".join(chunks)
        etag = _header(headers, b"etag")
        if etag is None:
            etag = b'"' + hashlib.sha256(body).hexdigest().encode() + b'"'
            headers.append((b"etag", etag))
        self._put(key, Entry(200, headers, body, etag, (*dict(deps).items(), (self.marker, marker)), time.monotonic()))

    def _put(self, key: bytes, entry: Entry) -> None:
        self._drop(key)
        while self.entries and (len(self.entries) >= MAX_ENTRIES or self.size + len(entry.body) > MAX_BYTES):
            self._drop(next(iter(self.entries)))
        self.entries[key] = entry
        self.size += len(entry.body)

    def _drop(self, key: bytes) -> None:
        old = self.entries.pop(key, None)
        if old is not None:
            self.size -= len(old.body)


class Front:
    """The fast path in front of the whole application (`front`): a response kept by the app's `PublicCache` is
    served from here without entering Starlette, its error middleware or the rest of the stack; anything else
    (a miss, a stale entry, any other request) goes to the app unchanged, where the `PublicCache` fills."""

    def __init__(self, app):
        self.app = app
        self.cache: PublicCache | None = None

    def __getattr__(self, name):  # the app's attributes (state, routes, ...) stay reachable through the front
        return getattr(self.app, name)

    async def __call__(self, scope, receive, send):
        cache = self.cache
        if cache is not None and _anonymous_get(scope):
            entry = cache.fresh(_key(scope))
            if entry is not None:
                cache.hits += 1
                return await cache.respond(scope, send, entry)
        await self.app(scope, receive, send)
        if cache is None:  # Starlette builds its middleware stack on its first call (the lifespan's, under a server)
            m = getattr(self.app, "middleware_stack", None)
            while m is not None and not isinstance(m, PublicCache):
                m = getattr(m, "app", None)
            self.cache = m


def front(app) -> Front:
    """`app` (create_app's) with its public fast path also in front of it: what the servers run."""
    return Front(app)
