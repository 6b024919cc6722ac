"""Browser tests: the real app served by uvicorn on a local port, driven by Debian's Chromium
through Playwright (executable_path; no browser download). Outside CI a missing Chromium is a
loud skip; with CI=true it fails."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn

from tests.conftest import IN_CI

CHROMIUM = os.environ.get("RAIGOV_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
AXE = Path(__file__).resolve().parents[2] / "src" / "raigov" / "web" / "static" / "vendor" / "axe-core" / "axe.min.js"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        msg = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if IN_CI:
            pytest.fail(f"CI=true and {msg}")
        print(f"\n*** SKIPPING browser tests: {msg} ***")
        pytest.skip(msg)
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"])
    yield b
    b.close()
    pw.stop()


class LiveServer:
    def __init__(self, app):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        for _ in range(300):
            if self.server.started:
                return self
            time.sleep(0.02)
        raise RuntimeError("the app did not start")

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def live(settings, db):
    from raigov.web.app import create_app

    with LiveServer(create_app(settings, db)) as srv:
        yield srv


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    """The demo agency (`raigov demo load`) loaded once per test session into a SQLite file and a data
    directory (signing key, snapshots, the demo's credentials); `demo_site` gives each test its own copy."""
    from raigov.config import Settings
    from raigov.db.engine import Database
    from raigov.db.migrate import upgrade
    from raigov.demo import agency
    from raigov.identity.permissions import Actor

    root = tmp_path_factory.mktemp("demo")
    settings = Settings(data_dir=root / "data", secret_key="test-secret-key-not-for-production")
    db = Database(f"sqlite:///{root / 'raigov.sqlite3'}")
    upgrade(db)
    with db.transaction() as s:
        agency.load(s, settings, Actor.system("demo"))
    db.dispose()
    return root


@pytest.fixture
def demo_site(demo_template, tmp_path):
    """(settings, database, credentials) of a fresh copy of the demo agency, on SQLite."""
    from raigov.config import Settings
    from raigov.db.engine import Database
    from raigov.demo import agency

    shutil.copytree(demo_template / "data", tmp_path / "data")
    for f in demo_template.glob("raigov.sqlite3*"):  # the database and any WAL file beside it
        shutil.copy2(f, tmp_path / f.name)
    settings = Settings(data_dir=tmp_path / "data", secret_key="test-secret-key-not-for-production")
    db = Database(f"sqlite:///{tmp_path / 'raigov.sqlite3'}")
    yield settings, db, agency.read_credentials(settings)
    db.dispose()


@pytest.fixture
def demo_page(browser, demo_site):
    """A browser page on the app serving a copy of the demo agency."""
    from raigov.web.app import create_app

    settings, db, _ = demo_site
    with LiveServer(create_app(settings, db)) as srv:
        ctx = browser.new_context(base_url=srv.url)
        p = ctx.new_page()
        yield p
        ctx.close()


@pytest.fixture
def page(browser, live):
    ctx = browser.new_context(base_url=live.url)
    p = ctx.new_page()
    yield p
    ctx.close()


def axe_violations(page) -> list[dict]:
    """Run axe-core (vendored, same origin, so the page's CSP allows it) with WCAG 2.x A/AA rules."""
    from playwright.sync_api import Error as PlaywrightError

    for attempt in range(4):
        # a form post's redirect may still be replacing the document: wait for the page it lands on, and try again
        # if the script was injected into the document being torn down (Chromium then reports a CSP error)
        page.wait_for_load_state("load")
        try:
            page.add_script_tag(url="/static/vendor/axe-core/axe.min.js")
            break
        except PlaywrightError as exc:
            if attempt == 3 or "Content Security Policy" not in str(exc):
                raise
            page.wait_for_timeout(250)
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
    }""")
    return result
