"""The public site's fast path (disclosure/fastpath.py), on SQLite and PostgreSQL: a public page is rendered once
per build and then served from memory with the same bytes and a strong ETag (304 for If-None-Match); a file
changed on disk is refused again (500), a new build is served at once, a signed-in person's page (with the
navigation and a CSRF token) is never kept or shown to anyone else, and pages that are not the build's (the
feedback form, the consistency proofs) are never kept."""

from __future__ import annotations

from fastapi.testclient import TestClient

from raigov.disclosure import site
from raigov.disclosure.fastpath import PublicCache
from raigov.web.app import create_app
from tests.disclosure.test_site import _setup, agency  # noqa: F401  (the fixture)
from tests.governance.test_datacall import YEAR
from tests.web.conftest import csrf_from
from tests.web.test_domains import signed_in


def _cache(app) -> PublicCache:
    m = app.middleware_stack
    while m is not None and not isinstance(m, PublicCache):
        m = getattr(m, "app", None)
    assert m is not None
    return m


def test_public_pages_are_rendered_once_per_build(db, agency, settings):  # noqa: F811
    """Long because it follows one page through the cache's whole life (one database per backend)."""
    _, built = _setup(db, agency, settings)
    cbp1 = agency["ids"]["cbp1"]
    app = create_app(settings, db)
    page = f"/public/use-cases/{YEAR}/{cbp1}"
    with TestClient(app) as c:
        first = c.get(page)
        assert first.status_code == 200 and first.headers["etag"].startswith('"')
        cache = _cache(app)
        misses = cache.misses
        again = c.get(page)
        assert again.content == first.content and again.headers["etag"] == first.headers["etag"]
        assert cache.misses == misses and cache.hits >= 1  # from memory
        for h in ("content-security-policy", "x-content-type-options"):
            assert again.headers[h] == first.headers[h]
        r = c.get(page, headers={"If-None-Match": first.headers["etag"]})
        assert r.status_code == 304 and r.content == b"" and r.headers["etag"] == first.headers["etag"]
        r = c.get(f"/public/data/{YEAR}/inventory.csv")
        assert c.get(f"/public/data/{YEAR}/inventory.csv", headers={"If-None-Match": r.headers["etag"]}).status_code == 304

        # a changed file is refused again, not served from memory; put back, it is served again
        on_disk = settings.data_dir / "public" / built.directory / f"pages/{YEAR}/use-cases/{cbp1}.json"
        good = on_disk.read_bytes()
        on_disk.write_bytes(good.replace(b"Translation", b"Translatiox") + b" ")
        assert c.get(page).status_code == 500
        on_disk.write_bytes(good)
        assert c.get(page).content == first.content

        # a new build is served at once (the open data page names the build's head)
        data_page = c.get("/public/data").text
        with db.transaction() as s:
            newer = site.build(s, agency["caio"], settings)
        assert newer.directory != built.directory
        assert c.get("/public/data").text != data_page
        assert str(newer.head["tree_size"]) in c.get("/public/data").text

        # pages that are not made from the build alone are never kept
        kept = len(cache.entries)
        c.get(f"/public/proofs/consistency?old=1&new={newer.head['tree_size']}")
        c.get("/public/audit/head")
        assert len(cache.entries) == kept

    # a signed-in person's page (navigation, sign-out form with a CSRF token) is not kept, nor served to others
    app = create_app(settings, db)
    with signed_in(app, "caio") as c:
        for _ in range(2):
            mine = c.get(page)
            assert "Sign out" in mine.text and csrf_from(mine.text)
            assert mine.headers["cache-control"] == "no-store"
        assert _cache(app).entries == {}
    with TestClient(app) as c:
        assert "Sign out" not in c.get(page).text
        assert "Sign out" not in c.get(page).text
        assert _cache(app).hits == 1
