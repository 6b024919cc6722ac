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
