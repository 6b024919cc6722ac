"""The FastAPI application factory: JSON API under /api/v1, pages, static files, health."""

from __future__ import annotations

from importlib import resources
from zoneinfo import ZoneInfo

from fastapi import Depends, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import text

from raigov import __version__
from raigov.config import Settings, get_settings
from raigov.db.engine import Database, get_database
from raigov.web import errors
from raigov.web.deps import CSRF_COOKIE, SESSION_COOKIE, csrf_token, page_user, refuse_nul, set_cookie
from raigov.web.middleware import BodyLimit, SecurityHeaders


def make_templates(settings: Settings) -> Jinja2Templates:
    path = resources.files("raigov.web").joinpath("templates")
    templates = Jinja2Templates(directory=str(path))
    # a domain may keep its own templates in <domain>/templates (raigov/domains.py)
    from jinja2 import ChoiceLoader, FileSystemLoader

    from raigov.domains import template_dirs

    extra = [d for d in template_dirs() if d != str(path)]
    if extra:
        templates.env.loader = ChoiceLoader([templates.env.loader, *(FileSystemLoader(d) for d in extra)])
    tz = ZoneInfo(settings.agency_timezone)
    env = templates.env
    env.globals.update(agency_name=settings.agency_name, agency_code=settings.agency_code, version=__version__,
                       csrf_token=csrf_token, oidc_enabled=settings.oidc_enabled, oidc_name=settings.oidc_display_name)

    def localtime(value, fmt: str = "%Y-%m-%d %H:%M %Z"):
        if value is None:
            return ""
        if isinstance(value, str):
            from datetime import datetime

            try:
                value = datetime.fromisoformat(value)  # Python 3.11+ reads a trailing Z
            except ValueError:
                return value
        return value.astimezone(tz).strftime(fmt)

    env.filters["localtime"] = localtime
    return templates


def render(request: Request, name: str, context: dict | None = None, status_code: int = 200):
    """Render a page with the signed-in user and a CSRF token (setting the CSRF cookie if new)."""
    templates: Jinja2Templates = request.app.state.templates
    found = page_user(request)
    ctx = {"actor": found[0] if found else None, "user_name": found[1] if found else None}
    if found:
        from raigov.domains import allowed

        # the navigation the domains register, each entry shown to who may take its action (domains.py)
        ctx["nav_items"] = [link for link in request.app.state.nav if allowed(found[0], link.action)]
    ctx.update(context or {})
    response = templates.TemplateResponse(request, name, ctx, status_code=status_code)
    new = getattr(request.state, "new_csrf_cookie", None)
    if new:
        set_cookie(request, response, CSRF_COOKIE, new)
    return response


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
    from raigov.web import openapi

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
        from raigov.db.migrate import current_revision, head_revision

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
    from raigov import domains

    for ref in domains.api_routers() + domains.page_routers():
        app.include_router(domains.load(ref))
    app.state.nav = domains.nav()
    app.state.home_panels = domains.home_panels()
    app.state.dashboard_panels = domains.dashboard_panels()
    if settings.oidc_enabled:
        from starlette.middleware.sessions import SessionMiddleware

        app.add_middleware(SessionMiddleware, secret_key=settings.secret().decode(), session_cookie="raigov_oidc",
                           max_age=600, same_site="lax", https_only=settings.secure_cookies)
    from raigov.web.uploads import limit_for, upload_routes

    app.state.upload_routes = upload_routes(app)  # the routes that declare upload_limit() (web/uploads.py)
    app.add_middleware(BodyLimit, limit=settings.max_json_body_bytes,
                       limit_for=limit_for(app.state.upload_routes, settings))
    app.add_middleware(SecurityHeaders, hsts=settings.secure_cookies, session_cookie=SESSION_COOKIE)
    return app
