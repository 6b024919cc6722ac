"""Upload limits, declared on the route that accepts the upload.

A route that takes a file declares the dependency ``upload_limit()`` (a size setting, by default
``upload_limit_bytes`` = RAIGOV_UPLOAD_LIMIT_BYTES)::

    @router.post("/things/{id}/file", dependencies=[upload_limit()])

or takes its value, the limit in bytes, as a parameter (``limit: UploadLimit``). When the app is built,
:func:`upload_routes` finds every route that declares it; the BodyLimit middleware (web/middleware.py) then
lets those routes' bodies grow to the declared limit, and keeps the small JSON limit
(RAIGOV_MAX_JSON_BODY_BYTES) for every other route. A body over the limit gets 413 problem+json before it
is read. tests/web/test_upload_limits.py fails when a route that accepts a file lacks the dependency.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import compile_path


class _UploadLimit:
    """The dependency: its value is the route's limit in bytes (the setting named `setting`)."""

    def __init__(self, setting: str = "upload_limit_bytes"):
        self.setting = setting

    def __call__(self, request: Request) -> int:
        return int(getattr(request.app.state.settings, self.setting))

    def __repr__(self) -> str:
        return f"upload_limit({self.setting!r})"


_DEFAULT = _UploadLimit()


def upload_limit(setting: str = "upload_limit_bytes"):
    """``Depends`` declaring that the route accepts an upload of up to ``settings.<setting>`` bytes."""
    return Depends(_DEFAULT if setting == _DEFAULT.setting else _UploadLimit(setting))


UploadLimit = Annotated[int, upload_limit()]


@dataclass(frozen=True)
class UploadRoute:
    path: str
    regex: re.Pattern
    methods: frozenset[str]
    setting: str


def _declared(dependant) -> str | None:
    for dep in dependant.dependencies:
        if isinstance(dep.call, _UploadLimit):
            return dep.call.setting
        found = _declared(dep)
        if found:
            return found
    return None


def declared_limit(route) -> str | None:
    """The size setting a route declares with ``upload_limit()``, or None."""
    return _declared(route.dependant) if isinstance(route, APIRoute) else None


def app_routes(app) -> list[tuple[str, frozenset[str], object]]:
    """(full path, methods, the APIRoute or other route) of every route of `app`, routers included."""
    return [(ctx.path, frozenset(ctx.methods or ()), ctx.original_route)
            for ctx in iter_route_contexts(app.routes) if ctx.path]


def upload_routes(app) -> list[UploadRoute]:
    """Every route of `app` that declares ``upload_limit()``."""
    return [UploadRoute(path, compile_path(path)[0], methods, setting)
            for path, methods, route in app_routes(app) if (setting := declared_limit(route))]


def limit_for(routes: list[UploadRoute], settings):
    """The BodyLimit middleware's question: the body limit of a request (method, path); None for the
    default JSON limit."""

    def _limit(method: str, path: str) -> int | None:
        for r in routes:
            if method in r.methods and r.regex.match(path):
                return int(getattr(settings, r.setting))
        return None

    return _limit
