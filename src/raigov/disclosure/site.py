"""The public site's builds (issue #19, items 2-4): the only code that writes `disclosure_site_builds`.

``build`` (``raigov public build``, the CAIO) reads every certified year's public snapshot (its bytes checked
against the recorded hashes by ``datacall.snapshot_bytes``), derives the public pages' data (public_data.py),
and publishes a new folder ``DATA_DIR/public/<name>/`` of files: per year the open data (OMB CSV exactly as
certified, JSON, XLSX), each page's JSON, the waivers in force and certified pilots of public use cases, the
year-over-year changes and an Atom feed. Each file's item ``{"path", "sha256", "size"}`` is a leaf of one
RFC 9162 tree whose root a ``disclosure.site.publish`` audit event carries; a tree head is signed after it,
and the build's ``manifest.json`` keeps the items, that event, its inclusion proof and the head, so that
anyone can check a file offline (docs/verify.md). Files are written pending and renamed after the commit.

The public pages read only the latest build (``current``), and serve a file only when its bytes have the
SHA-256 its manifest lists (the manifest itself checked against the build's row)."""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from sqlalchemy import select
from sqlalchemy.orm import Session

from raigov.audit import service as audit
from raigov.audit.batch import item_proof, record_batches
from raigov.audit.models import AuditTreeHead
from raigov.clock import agency_today
from raigov.config import Settings
from raigov.datacall import publication as datacall_pub
from raigov.datacall.files import sha256_bytes, stage_file
from raigov.datacall.snapshot import public_rows
from raigov.db.base import utcnow
from raigov.disclosure import bodies_page, fastpath
from raigov.disclosure import public_data as pd
from raigov.disclosure.models import SiteBuild
from raigov.disclosure.reports import publish as report_publish
from raigov.errors import Conflict, NotFound, RaigovError
from raigov.governance.models import Pilot, Waiver
from raigov.governance.vocab import PilotStatus, WaiverStatus
from raigov.identity.permissions import Actor, require
from raigov.inventory.checks import check_acronyms, check_readability
from raigov.inventory.formats import normalize_id
from raigov.inventory.models import UseCase
from raigov.inventory.questions import label_of

FORMAT = "raigov-public-site-1"
MANIFEST = "manifest.json"
OPEN_DATA = ("csv", "json", "xlsx")


class SiteTampered(RaigovError):
    status, code, title = 500, "public-site-tampered", "A published file does not match its recorded hash"


_NOT_SLUG = re.compile(r"[^A-Za-z0-9]+")


@functools.lru_cache(maxsize=65536)
def slug(value: str) -> str:
    return _NOT_SLUG.sub("-", value or "").strip("-") or "none"


def json_bytes(obj) -> bytes:
    return (json.dumps(obj, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


@dataclass
class BuildResult:
    directory: str
    files: int
    merkle_root: str
    event_seq: int
    head: dict
    plain_language: list[str]  # flags for the owners (not a block): "DHS-0001: ..."

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def _practice(item: str) -> str:
    text = label_of(item)
    return text if text != item else item.replace("_", " ").capitalize()


def _waivers_and_pilots(session: Session, today: dt.date, public: dict[str, dict]) -> tuple[list[dict], list[dict]]:
    """Waivers in force and active pilots of the use cases in the latest public file, as the public reads them."""
    waivers, pilots = [], []
    q = (select(Waiver, UseCase.business_id).join(UseCase, UseCase.id == Waiver.use_case_id)
         .where(Waiver.status == WaiverStatus.ACTIVE, Waiver.expires_on >= today).order_by(UseCase.business_id, Waiver.id))
    for w, bid in session.execute(q):
        if bid in public:
            waivers.append({"id": bid, "use_case_name": pd.text(public[bid].get("use_case_name")),
                            "agency_bureau": pd.text(public[bid].get("agency_bureau")),
                            "practice": _practice(w.practice_item), "summary": pd.text(w.public_summary),
                            "granted_on": w.granted_at.date().isoformat(), "expires_on": w.expires_on.isoformat()})
    q = (select(Pilot, UseCase.business_id).join(UseCase, UseCase.id == Pilot.use_case_id)
         .where(Pilot.status == PilotStatus.ACTIVE, Pilot.ends_on >= today).order_by(UseCase.business_id, Pilot.id))
    for p, bid in session.execute(q):
        if bid in public:
            pilots.append({"id": bid, "use_case_name": pd.text(public[bid].get("use_case_name")),
                           "agency_bureau": pd.text(public[bid].get("agency_bureau")), "scale": pd.text(p.scale),
                           "max_participants": p.max_participants, "starts_on": p.starts_on.isoformat(),
                           "ends_on": p.ends_on.isoformat(), "opt_in_out": pd.text(p.opt_in_out),
                           "practices_applied": pd.text(p.practices_applied)})
    return waivers, pilots


def _plain_language(year: int, rows: list[dict]) -> list[str]:
    out = []
    for r in rows:
        for res in check_acronyms(r) + check_readability(r):
            out.append(f"{year} {r.get('id')}: {res.message}")
    return out


def _atom(files: dict[str, bytes], years: list, built: str, reports: list[dict] = ()) -> bytes:
    entries = []
    for r in reports:  # the accountability reports published (reports/publish.py), newest first
        entries.append(f"<entry><title>{escape(r['title'])}, {r['year']} ({r['format'].upper()})</title>"
                       f"<id>urn:raigov:report:{escape(r['kind'])}:{r['year']}:{r['sha256']}</id>"
                       f"<updated>{escape(r['generated_at'])}</updated>"
                       f'<link rel="enclosure" href="/public/site/{escape(r["path"])}"/><link href="/public/reports"/>'
                       f"<summary>SHA-256 of the file: {r['sha256']}.</summary></entry>")
    for y, certified_at in years:
        links = "".join(f'<link rel="enclosure" type="{t}" href="/public/data/{y}/inventory.{ext}"/>'
                        for ext, t in (("csv", "text/csv"), ("json", "application/json"),
                                       ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
                        if f"data/{y}/inventory.{ext}" in files)
        sha = sha256_bytes(files[f"data/{y}/inventory.csv"])
        entries.append(f"<entry><title>AI use case inventory {y}, as certified</title><id>urn:raigov:inventory:{y}:{sha}</id>"
                       f"<updated>{escape(certified_at)}</updated><link href=\"/public?year={y}\"/>{links}"
                       f"<summary>The {y} public inventory. SHA-256 of the CSV: {sha}.</summary></entry>")
    return ('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
            "<title>AI use case inventory: publications</title><id>urn:raigov:public-site</id>"
            f'<updated>{built}</updated><link rel="self" href="/public/feed.atom"/>' + "".join(entries) + "</feed>\n"
            ).encode("utf-8")


def _year_files(session: Session, settings: Settings, year: int, prev: tuple[int, list[dict]] | None,
                extras: tuple[list[dict], list[dict]] | None, files: dict[str, bytes],
                hidden: set[str]) -> tuple[list[dict], str]:
    """Add one certified year's files to `files` and what it withholds to `hidden`; returns its public rows and
    its certification time."""
    pub = datacall_pub.publication(session, year)
    public_bytes = datacall_pub.snapshot_bytes(session, settings, year, kind="public")
    rows = public_rows(public_bytes)
    full = {r.get("id"): r for r in public_rows(datacall_pub.snapshot_bytes(session, settings, year, kind="full"))}
    withheld = pd.withheld_counts(rows, list(full.values()))
    hidden |= report_publish.withheld_texts(list(full.values()), rows)
    certified_at = pub.certified_at.isoformat()
    files[f"data/{year}/inventory.csv"] = public_bytes
    files[f"data/{year}/inventory.json"] = json_bytes({
        "year": year, "certified_at": certified_at, "certified_file_sha256": pub.public_sha256,
        "use_cases": rows, "withheld_by_component": withheld})
    if pub.public_xlsx_file:
        files[f"data/{year}/inventory.xlsx"] = datacall_pub.snapshot_bytes(session, settings, year, kind="xlsx")
    idx = pd.index(year, rows, withheld)
    idx["certified_at"] = certified_at
    files[f"pages/{year}/index.json"] = json_bytes(idx)
    waivers, pilots = extras or ([], [])
    for r in rows:
        page = pd.use_case_page(year, r, pd.withheld_labels(r, full.get(r.get("id"))),
                                [w for w in waivers if w["id"] == r["id"]], [p for p in pilots if p["id"] == r["id"]])
        files[f"pages/{year}/use-cases/{slug(r['id'])}.json"] = json_bytes(page)
    for c in idx["components"]:
        mine = [s for s in idx["use_cases"] if (s["agency_bureau"] or "(none)") == c["component"]]
        files[f"pages/{year}/components/{slug(c['component'])}.json"] = json_bytes({"year": year, **c, "list": mine})
    files[f"pages/{year}/changes.json"] = json_bytes(pd.changes(year, rows, prev[0] if prev else None,
                                                                prev[1] if prev else []))
    return rows, certified_at


def build(session: Session, actor: Actor, settings: Settings, *, now: dt.datetime | None = None) -> BuildResult:
    """Publish a new build of the public site from the certified snapshots (see the module's doc). Refuses
    (Conflict) while nothing is certified. Long because it lays out the build's files in order."""
    require(actor, "disclosure.site.publish")
    years = sorted(datacall_pub.certified_years(session))
    if not years:
        raise Conflict("no inventory is certified yet: there is nothing to publish")
    files: dict[str, bytes] = {}
    prev, stamps, flags = None, [], []
    latest = public_rows(datacall_pub.snapshot_bytes(session, settings, years[-1], kind="public"))
    latest_rows = {r["id"]: r for r in latest}
    extras = _waivers_and_pilots(session, agency_today(settings, now), latest_rows)
    hidden: set[str] = set()
    for y in years:
        rows, certified_at = _year_files(session, settings, y, prev, extras if y == years[-1] else None, files, hidden)
        prev = (y, rows)
        stamps.append((y, certified_at))
        flags += _plain_language(y, rows)
    files["pages/waivers.json"] = json_bytes({"year": years[-1], "waivers": extras[0]})
    files["pages/pilots.json"] = json_bytes({"year": years[-1], "pilots": extras[1]})
    files["pages/bodies.json"] = json_bytes(bodies_page.page(session, years[-1], latest_rows))
    report_files, reports, report_flags = report_publish.published(session, settings, hidden)
    files.update(report_files)
    files["pages/reports.json"] = json_bytes({"reports": reports})
    flags += report_flags
    built = (now or utcnow()).isoformat()
    files["feed.atom"] = _atom(files, list(reversed(stamps)), built,
                               sorted(reports, key=lambda r: r["generated_at"], reverse=True))
    files["pages/site.json"] = json_bytes({"years": list(reversed(years)), "built_at": built})

    items = [{"path": p, "sha256": sha256_bytes(b), "size": len(b)} for p, b in sorted(files.items())]
    name = f"{(now or utcnow()).strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(3)}"
    (ev,) = record_batches(session, actor, "disclosure.site.publish", "public_site", name, items, len(items),
                           lambda n, c, chunk: {"directory": name, "years": years})
    session.flush()
    head = audit.sign_head(session, actor, settings.ensure_data_dir())
    proof = audit.inclusion(session, actor, ev.seq, head["tree_size"])
    root = json.loads(ev.details)["merkle_root"]
    manifest = {"format": FORMAT, "directory": name, "built_at": built, "files": items, "merkle_root": root,
                "event": audit.event_as_dict(ev), "event_proof": proof, "head": head}
    manifest_bytes = json_bytes(manifest)
    folder = settings.ensure_data_dir() / "public" / name
    for p, b in [*files.items(), (MANIFEST, manifest_bytes)]:
        (folder / p).parent.mkdir(parents=True, exist_ok=True)
        stage_file(session, folder / p, b)
    # the marker the public pages' fast path watches (disclosure/fastpath.py): replaced after the commit
    stage_file(session, folder.parent / fastpath.MARKER, f"{name}\n".encode())
    session.add(SiteBuild(directory=name, files=len(items), merkle_root=root, manifest_sha256=sha256_bytes(manifest_bytes),
                          event_seq=ev.seq, built_by=actor.label))
    session.flush()
    return BuildResult(name, len(items), root, ev.seq, head, flags)


# ---------------------------------------------------------------- reading (the public pages)

@dataclass(frozen=True)
class Site:
    folder: Path
    manifest: dict
    by_path: dict

    def sha(self, path: str) -> str:
        item = self.by_path.get(path)
        if item is None:
            raise NotFound(f"nothing is published at {path}")
        return item["sha256"]

    def read(self, path: str) -> bytes:
        """A published file's bytes, only when they have its recorded SHA-256."""
        expected = self.sha(path)
        file = self.folder / path
        before = fastpath.signature(str(file))
        try:
            data = file.read_bytes()
        except FileNotFoundError:
            raise SiteTampered(f"the published file {path} is missing") from None
        if sha256_bytes(data) != expected:
            raise SiteTampered(f"the published file {path} does not match its recorded hash")
        fastpath.note_read(file, before)  # the page made from it may be served again while it is unchanged
        return data

    def json(self, path: str):
        data = self.read(path)
        return _parsed(self.sha(path), data)

    def proof(self, path: str) -> dict:
        """Everything needed to check `path` offline: its item, its inclusion in the build's tree, the audit
        event carrying that tree's root, the event's inclusion proof and the signed head."""
        items = self.manifest["files"]
        idx = next((i for i, it in enumerate(items) if it["path"] == path), None)
        if idx is None:
            raise NotFound(f"nothing is published at {path}")
        m = self.manifest
        return {"format": FORMAT, "item": items[idx], "item_proof": _item_proof(m["directory"], idx, items),
                "event": m["event"], "event_proof": m["event_proof"], "head": m["head"]}


@functools.lru_cache(maxsize=4096)
def _parsed(sha: str, data: bytes):
    return json.loads(data)


_ITEM_PROOFS: dict = {}


def _item_proof(directory: str, idx: int, items: list[dict]) -> dict:
    key = (directory, idx)
    if key not in _ITEM_PROOFS:
        if len(_ITEM_PROOFS) > 20000:
            _ITEM_PROOFS.clear()
        _ITEM_PROOFS[key] = item_proof(items, idx)
    return _ITEM_PROOFS[key]


_SITES: dict = {}


def current(session: Session, settings: Settings) -> Site | None:
    """The latest build (None: nothing published yet); its manifest is checked against the build's row."""
    b = session.scalar(select(SiteBuild).order_by(SiteBuild.id.desc()).limit(1))
    if b is None:
        return None
    folder = settings.data_dir / "public" / b.directory
    key = (str(folder), b.manifest_sha256)
    site = _SITES.get(key)
    if site is None:
        try:
            data = (folder / MANIFEST).read_bytes()
        except FileNotFoundError:
            raise SiteTampered("the public site's manifest is missing") from None
        if sha256_bytes(data) != b.manifest_sha256:
            raise SiteTampered("the public site's manifest does not match its recorded hash")
        manifest = json.loads(data)
        site = Site(folder, manifest, {it["path"]: it for it in manifest["files"]})
        if len(_SITES) > 16:
            _SITES.clear()
        _SITES[key] = site
    return site


def published_use_case(session: Session, settings: Settings, business_id: str) -> dict | None:
    """The public page data of a use case in the latest year of the latest build (what the public may read of
    it), or None: not published (withheld whole, not certified yet, retired, or nothing is built)."""
    cur = current(session, settings)
    if cur is None:
        return None
    year = cur.json("pages/site.json")["years"][0]
    path = f"pages/{year}/use-cases/{slug(normalize_id(business_id))}.json"
    return cur.json(path) if path in cur.by_path else None


def withheld_texts(session: Session, settings: Settings) -> set[str]:
    """The written answers the certified inventories withhold from the public (every certified year; see
    reports/publish.py ``withheld_texts``): what nothing published may repeat."""
    out: set[str] = set()
    for year in datacall_pub.certified_years(session):
        full = public_rows(datacall_pub.snapshot_bytes(session, settings, year, kind="full"))
        public = public_rows(datacall_pub.snapshot_bytes(session, settings, year, kind="public"))
        out |= report_publish.withheld_texts(full, public)
    return out


def heads_at(session: Session, sizes) -> list[dict]:
    """The signed heads kept at these tree sizes (the first of each size)."""
    out = {}
    for h in session.scalars(select(AuditTreeHead).where(AuditTreeHead.tree_size.in_(list(sizes))).order_by(AuditTreeHead.id)):
        out.setdefault(h.tree_size, audit.head_as_dict(h))
    return [out[k] for k in sorted(out)]
