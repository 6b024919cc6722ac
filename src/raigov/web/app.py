"""The FastAPI application factory: JSON API under /api/v1, pages, static files, health."""

from __future__ import annotations

from importlib import resources

from fastapi import Depends, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from starlette.middleware.sessions import SessionMiddleware

from raigov import __version__, domains
from raigov.config import Settings, get_settings
from raigov.db.engine import Database, get_database
from raigov.db.migrate import current_revision, head_revision
from raigov.disclosure.fastpath import PublicCache
from raigov.web import errors, openapi
from raigov.web.deps import SESSION_COOKIE, refuse_nul
from raigov.web.middleware import BodyLimit, SecurityHeaders
from raigov.web.templating import make_templates, render  # noqa: F401  (render: the old import path)
from raigov.web.uploads import limit_for, upload_routes


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    settings.ensure_data_dir()
    settings.secret()  # generate the key now, not on the first request
    db = db or get_database(settings.db_url)
    app = FastAPI(
        title="raigov API",
        version=__version__,
        description="Responsible-AI governance: inventory, policy, reviews, evaluation, oversight, audit.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        dependencies=[Depends(refuse_nul)],  # no NUL character in any text (web/deps.py)
    )
    app.state.settings = settings
    app.state.db = db
    templates = make_templates(settings)
    app.state.templates = templates
    errors.install(app, templates)

    openapi.install(app, settings)

    static_dir = resources.files("raigov.web").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static_dir)), name="static")

    @app.get("/api/docs", include_in_schema=False)
    def swagger():
        return get_swagger_ui_html(
            openapi_url="/api/openapi.json",
            title="raigov API",
            swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/img/favicon.svg",
        )

    @app.get("/healthz", tags=["health"])
    def healthz():
        return {"status": "ok", "version": __version__}

    @app.get("/readyz", tags=["health"])
    def readyz():
        try:
            with db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            cur, head = current_revision(db), head_revision(db)
        except Exception as exc:  # noqa: BLE001
            return JSONResponse({"status": "unavailable", "detail": type(exc).__name__}, status_code=503)
        if cur != head:
            return JSONResponse({"status": "unavailable", "detail": f"database at {cur}, code needs {head}"}, status_code=503)
        return {"status": "ready", "database": db.dialect, "revision": cur}

    # the routers the domains register (raigov/domains.py): the JSON API first, then the pages

    for ref in domains.api_routers() + domains.page_routers():
        app.include_router(domains.load(ref))
    app.state.nav = domains.nav()
    app.state.home_panels = domains.home_panels()
    app.state.dashboard_panels = domains.dashboard_panels()
    app.state.history_sources = domains.history_sources()
    app.state.tasks = domains.tasks()  # the home page's "Your tasks" (web/pages/home.py)
    if settings.oidc_enabled:
        app.add_middleware(SessionMiddleware, secret_key=settings.secret().decode(), session_cookie="raigov_oidc",
                           max_age=600, same_site="lax", https_only=settings.secure_cookies)

    app.state.upload_routes = upload_routes(app)  # the routes that declare upload_limit() (web/uploads.py)
    app.add_middleware(BodyLimit, limit=settings.max_json_body_bytes,
                       limit_for=limit_for(app.state.upload_routes, settings))
    app.add_middleware(SecurityHeaders, hsts=settings.secure_cookies, session_cookie=SESSION_COOKIE)
    app.add_middleware(PublicCache, marker_dir=settings.data_dir / "public",
                       recheck_ms=settings.public_recheck_ms)  # outermost: the public site's fast path
    return app
