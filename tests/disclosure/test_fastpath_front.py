"""The fast path in front of the whole app (`raigov serve`, `raigov.web.asgi`; disclosure/fastpath.py ``front``), and
its check of the build's files at most every ``public_recheck_ms``: a kept page is served from in front of the
stack with the same bytes; within the interval a file changed on disk is not looked at (the kept bytes are the
verified ones), after it the page is refused (500) as on every request without it."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from raigov.disclosure.fastpath import Front, front
from raigov.web.app import create_app
from tests.disclosure.test_fastpath import _cache
from tests.disclosure.test_site import _setup, agency  # noqa: F401  (the fixture)
from tests.governance.test_datacall import YEAR


def test_the_front_serves_kept_pages_and_rechecks_on_its_interval(db, agency, settings):  # noqa: F811
    _, built = _setup(db, agency, settings)
    cbp1 = agency["ids"]["cbp1"]
    page = f"/public/use-cases/{YEAR}/{cbp1}"
    recheck = settings.model_copy(update={"public_recheck_ms": 300})
    app = front(create_app(recheck, db))
    assert isinstance(app, Front) and app.state is app.app.state  # the app's attributes through the front
    with TestClient(app) as c:
        first = c.get(page)
        assert first.status_code == 200
        cache = _cache(app.app)
        assert app.cache is cache
        hits = cache.hits
        again = c.get(page)
        assert again.content == first.content and again.headers["etag"] == first.headers["etag"]
        assert cache.hits == hits + 1
        assert c.get(page, headers={"If-None-Match": first.headers["etag"]}).status_code == 304
        signed = c.get(page, headers={"Cookie": "raigov_session=x"})  # never from memory with a cookie
        assert signed.status_code == 200 and cache.hits == hits + 2

        on_disk = settings.data_dir / "public" / built.directory / f"pages/{YEAR}/use-cases/{cbp1}.json"
        good = on_disk.read_bytes()
        time.sleep(0.35)
        assert c.get(page).content == first.content  # checked now: unchanged
        on_disk.write_bytes(good.replace(b"Translation", b"Translatiox") + b" ")
        assert c.get(page).content == first.content  # within the interval: the verified bytes kept
        time.sleep(0.35)
        assert c.get(page).status_code == 500  # after it: the changed file is refused
        on_disk.write_bytes(good)
        assert c.get(page).content == first.content
