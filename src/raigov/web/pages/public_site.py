"""The public site (no account): pages, open data, proofs and the well-known public key, read only from the
latest build of ``raigov public build`` (raigov.disclosure.site), each file served only when its bytes have
the SHA-256 its manifest lists. Every page's data is its JSON twin under /public/site/ (linked from the page,
with its hash and proof). Works without JavaScript: the index's search and filters are a GET form."""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from raigov.audit import service as audit
from raigov.disclosure import public_data as pd
from raigov.disclosure import site as sites
from raigov.errors import NotFound
from raigov.identity.permissions import Actor
from raigov.web.deps import settings_of, uow
from raigov.web.params import OptYear, PageNo, TreeSize, YearPath
from raigov.web.templating import render

router = APIRouter(prefix="/public", include_in_schema=False)
well_known = APIRouter(include_in_schema=False)

TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json", "atom": "application/atom+xml",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
PER_PAGE = 50  # use cases per page of the index
FILTERS = ("q", "component", "topic", "stage", "high_impact", "face", "genai")
PUBLIC_READER = Actor.system("public-site")  # reads the audit trail's roots for consistency proofs only


def _site(request: Request) -> sites.Site | None:
    with uow(request) as s:
        return sites.current(s, settings_of(request))


def _need(request: Request) -> sites.Site:
    site = _site(request)
    if site is None:
        raise NotFound("nothing is published yet")
    return site


def _page(request: Request, site: sites.Site, name: str, path: str, ctx: dict):
    """A page of the build with the SHA-256 of its bytes as a strong ETag (304 when the client has it)."""
    ctx = {"data_path": path, "data_sha256": site.sha(path), "years": site.json("pages/site.json")["years"], **ctx}
    return _tagged(request, render(request, f"disclosure/public/{name}.html", ctx))


def _tagged(request: Request, resp: Response) -> Response:
    etag = f'"{hashlib.sha256(resp.body).hexdigest()}"'
    resp.headers["ETag"] = etag
    if etag in [t.strip() for t in (request.headers.get("if-none-match") or "").split(",")]:
        return Response(status_code=304, headers={k: v for k, v in resp.headers.items()
                                                  if k.lower() not in ("content-length", "content-type")})
    return resp


def _file(request: Request, site: sites.Site, path: str, filename: str | None = None) -> Response:
    """A published file with its SHA-256 as a strong ETag (304 when the client has it)."""
    sha = site.sha(path)
    etag = f'"{sha}"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=300", "X-Content-SHA256": sha,
               "Link": f'</public/proofs/{path}>; rel="describedby"'}
    if etag in [t.strip() for t in (request.headers.get("if-none-match") or "").split(",")]:
        return Response(status_code=304, headers=headers)
    if filename:
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    ext = path.rsplit(".", 1)[-1]
    return Response(site.read(path), media_type=TYPES.get(ext, "application/octet-stream"), headers=headers)


@router.get("")
def index(request: Request, year: OptYear = None, q: str = Query("", max_length=200),
          component: str = Query("", max_length=200), topic: str = Query("", max_length=200),
          stage: str = Query("", max_length=200), high_impact: str = Query("", max_length=3),
          face: str = Query("", max_length=3), genai: str = Query("", max_length=3), page: PageNo = 1):
    """The inventory's public index: search and filters (a GET form, no JavaScript needed)."""
    site = _site(request)
    if site is None:
        return render(request, "disclosure/public/none.html", {}, status_code=200)
    years = site.json("pages/site.json")["years"]
    year = year or years[0]
    path = f"pages/{year}/index.json"
    if path not in site.by_path:
        raise NotFound(f"no inventory is published for {year}")
    data = site.json(path)
    chosen = {"q": q.strip(), "component": component, "topic": topic, "stage": stage,
              "high_impact": high_impact, "face": face, "genai": genai}
    rows = pd.filter_rows(data["use_cases"], **chosen)
    options = {k: sorted({r[f] for r in data["use_cases"] if r[f]})
               for k, f in (("component", "agency_bureau"), ("topic", "topic_area"), ("stage", "development_stage"))}
    pages = max(1, -(-len(rows) // PER_PAGE))
    page = min(page, pages)
    query = urlencode({"year": year, **{k: v for k, v in chosen.items() if v}})
    return _page(request, site, "index", path, {"data": data, "year": year, "rows": rows, "chosen": chosen,
                                                 "shown": rows[(page - 1) * PER_PAGE:page * PER_PAGE], "page": page,
                                                 "pages": pages, "query": query, "options": options, "slug": sites.slug})


@router.get("/use-cases/{year}/{ident}")
def use_case(request: Request, year: YearPath, ident: str):
    site = _need(request)
    path = f"pages/{year}/use-cases/{sites.slug(ident)}.json"
    return _page(request, site, "use_case", path, {"uc": site.json(path), "year": year})


@router.get("/components/{year}/{code}")
def component(request: Request, year: YearPath, code: str):
    site = _need(request)
    path = f"pages/{year}/components/{sites.slug(code)}.json"
    return _page(request, site, "component", path, {"c": site.json(path), "year": year, "slug": sites.slug})


@router.get("/changes/{year}")
def changes(request: Request, year: YearPath):
    site = _need(request)
    path = f"pages/{year}/changes.json"
    return _page(request, site, "changes", path, {"ch": site.json(path), "year": year, "slug": sites.slug})


@router.get("/waivers")
def waivers(request: Request):
    site = _need(request)
    return _page(request, site, "waivers", "pages/waivers.json", {"w": site.json("pages/waivers.json"),
                                                                    "slug": sites.slug})


@router.get("/pilots")
def pilots(request: Request):
    site = _need(request)
    return _page(request, site, "pilots", "pages/pilots.json", {"p": site.json("pages/pilots.json"), "slug": sites.slug})


@router.get("/bodies")
def governance_bodies(request: Request):
    """What the governance bodies chose to publish: decisions, recommendations and minutes (a build made before
    the bodies' page existed has none)."""
    site = _need(request)
    path = "pages/bodies.json"
    if path not in site.by_path:
        return render(request, "disclosure/public/bodies.html", {"g": {"decisions": [], "minutes": []}, "slug": sites.slug,
                                                                 "years": site.json("pages/site.json")["years"]})
    return _page(request, site, "bodies", path, {"g": site.json(path), "slug": sites.slug})


@router.get("/reports")
def reports(request: Request):
    """The accountability reports the build publishes (disclosure/reports/publish.py), each with its hash and proof."""
    site = _need(request)
    if "pages/reports.json" not in site.by_path:  # a build made before reports were published
        return _tagged(request, render(request, "disclosure/public/reports.html", {
            "r": {"reports": []}, "years": site.json("pages/site.json")["years"]}))
    return _page(request, site, "reports", "pages/reports.json", {"r": site.json("pages/reports.json")})


@router.get("/data")
def open_data(request: Request):
    """The open data: each year's files with their hashes, the feed, and how to verify them."""
    site = _need(request)
    years = site.json("pages/site.json")["years"]
    files = [{"year": y, "files": [(ext, f"/public/data/{y}/inventory.{ext}", site.by_path[f"data/{y}/inventory.{ext}"])
                                   for ext in sites.OPEN_DATA if f"data/{y}/inventory.{ext}" in site.by_path]}
             for y in years]
    return _tagged(request, render(request, "disclosure/public/data.html", {
        "files": files, "years": years, "head": site.manifest["head"], "manifest": site.manifest}))


@router.get("/data/{year}/inventory.{ext}")
def open_data_file(request: Request, year: YearPath, ext: str):
    if ext not in sites.OPEN_DATA:
        raise NotFound(f"the open data comes as {', '.join(sites.OPEN_DATA)}")
    site = _need(request)
    return _file(request, site, f"data/{year}/inventory.{ext}", f"ai-use-case-inventory-{year}.{ext}")


@router.get("/feed.atom")
def feed(request: Request):
    return _file(request, _need(request), "feed.atom")


@router.get("/site/{path:path}")
def site_file(request: Request, path: str):
    """Any file of the latest build, by its path in the manifest (nothing else is reachable)."""
    return _file(request, _need(request), path)


@router.get("/proofs/consistency")
def consistency_proof(request: Request, old: TreeSize, new: TreeSize):
    """The RFC 9162 consistency proof between two tree sizes (of two signed heads), and the signed heads kept at
    those sizes."""
    with uow(request) as s:
        proof = audit.consistency(s, PUBLIC_READER, old, new)
        proof["heads"] = sites.heads_at(s, (old, new))
    return proof


@router.get("/proofs/{path:path}")
def proof(request: Request, path: str):
    """A published file's proof: its item, its inclusion in the build's tree, the audit event carrying the tree's
    root, that event's inclusion proof and the signed tree head (docs/verify.md)."""
    return JSONResponse(_need(request).proof(path))


@well_known.get("/.well-known/raigov-signing-key.json")
def signing_key(request: Request):
    """The Ed25519 public key that signs the audit trail's tree heads (pin it: later heads must carry it)."""
    with uow(request) as s:
        head = audit.latest_head(s)
    if head is None:
        raise NotFound("no tree head has been signed yet")
    return {"algorithm": "Ed25519", "public_key": head["public_key"], "encoding": "hex, raw 32 bytes",
            "signs": "tree heads of the audit trail (docs/audit.md section 4)"}

