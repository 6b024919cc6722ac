"""Which accountability reports the public site publishes (issue #19, item 6: "stored and published with their
hashes"). Read by ``raigov public build`` (disclosure/site.py), which adds the chosen files to the build: each is
then a leaf of the build's tree with its SHA-256 and inclusion proof, like every other published file.

A build publishes, per report (kind and year) and format, the newest file generated, when:

- it is **final**: a compliance plan only when it was generated from the finalised plan; the face recognition
  report and the inventory summary are final when generated (they are the platform's figures, not a draft);
- its bytes still have the SHA-256 recorded when it was generated (a changed stored file is not published);
- it names **nothing withheld** from the public inventory: its words (HTML and DOCX read as text; a PDF through
  the HTML or DOCX generated from the same figures, ``data_sha256``) hold none of the withheld use cases' ids,
  names or answers, nor any withheld answer. A report that does is left out and named in the build's flags."""

from __future__ import annotations

import functools
import hashlib
import html
import io
import re
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from raigov.config import Settings
from raigov.disclosure.reports.document import FORMATS, KINDS
from raigov.disclosure.reports.models import ReportFile
from raigov.inventory.catalog import fields

MIN_SECRET = 6  # shorter withheld answers ("Yes", "No", a stage) say nothing by themselves
_TAGS = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


def _words(s: str) -> str:
    return _SPACE.sub(" ", s).strip()


def text_of(fmt: str, data: bytes) -> str | None:
    """A report file's words (whitespace made single spaces); None for a PDF (read through its siblings)."""
    if fmt == "html":
        return _words(html.unescape(_TAGS.sub(" ", data.decode("utf-8", "replace"))))
    if fmt == "docx":
        import docx  # python-docx: only when a build publishes a DOCX

        d = docx.Document(io.BytesIO(data))
        parts = [p.text for p in d.paragraphs]
        parts += [c.text for t in d.tables for row in t.rows for c in row.cells]
        return _words(" ".join(parts))
    return None


@functools.lru_cache(maxsize=1)
def free_text_fields() -> frozenset[str]:
    """The answers written in words (not a choice from a list, not a date): the ones a report could repeat."""
    return frozenset(f.name for f in fields("2025") if not (f.enumerated or f.multi or f.is_date)) - {
        "agency", "agency_name", "agency_bureau"}


def withheld_texts(full_rows: list[dict], public_rows: list[dict]) -> set[str]:
    """What must not be published, from one year's full (OMB) and public rows: every written answer of a use case
    left out of the public file (its id and name too), and every written answer emptied in the public file.
    Answers chosen from a list (a stage, a topic) are left aside: a report counts them, it cannot name them."""
    public = {r.get("id"): r for r in public_rows}
    out: set[str] = set()
    free = free_text_fields()
    for row in full_rows:
        mine = public.get(row.get("id"))
        for field, value in row.items():
            if value in (None, "") or field not in free:
                continue
            if mine is None or (field != "id" and mine.get(field) in (None, "")):
                for v in value if isinstance(value, list | tuple) else [value]:
                    v = _words(str(v))
                    if len(v) >= MIN_SECRET:
                        out.add(v)
    return out


def _stored(settings: Settings, row: ReportFile) -> bytes | None:
    path = Path(settings.data_dir) / "reports" / f"{row.sha256}.{row.fmt}"
    data = path.read_bytes() if path.is_file() else b""
    return data if hashlib.sha256(data).hexdigest() == row.sha256 else None


def published(session: Session, settings: Settings, secrets: set[str]) -> tuple[dict[str, bytes], list[dict], list[str]]:
    """({build path: bytes}, the list the public reports page shows, flags for the CAIO's office)."""
    newest: dict[tuple, ReportFile] = {}
    for row in session.scalars(select(ReportFile).order_by(ReportFile.id.desc())):
        newest.setdefault((row.kind, row.year, row.fmt), row)
    files: dict[str, bytes] = {}
    listed: list[dict] = []
    flags: list[str] = []
    clean_figures: set[str] = set()  # data_sha256 of the figures whose words were read and found clean
    chosen = sorted(newest.values(), key=lambda r: (r.year, r.kind, list(FORMATS).index(r.fmt)))
    checked: list[tuple[ReportFile, bytes]] = []
    for row in chosen:
        name = f"{KINDS[row.kind]} {row.year} ({row.fmt.upper()})"
        if row.kind == "compliance-plan" and not row.final:
            continue  # a draft: published once generated from the finalised plan
        data = _stored(settings, row)
        if data is None:
            flags.append(f"report not published: {name}: the stored file does not match its recorded SHA-256")
            continue
        words = text_of(row.fmt, data)
        if words is not None:
            found = sorted(s for s in secrets if s in words)
            if found:
                flags.append(f"report not published: {name}: it holds {len(found)} text(s) withheld from the public")
                continue
            clean_figures.add(row.data_sha256)
        checked.append((row, data))
    for row, data in checked:
        name = f"{KINDS[row.kind]} {row.year} ({row.fmt.upper()})"
        if row.fmt == "pdf" and row.data_sha256 not in clean_figures:
            flags.append(f"report not published: {name}: generate its HTML or DOCX from the same figures so it can "
                         "be checked for withheld texts")
            continue
        path = f"reports/{row.year}/{row.kind}.{row.fmt}"
        files[path] = data
        listed.append({"kind": row.kind, "title": KINDS[row.kind], "year": row.year, "format": row.fmt, "path": path,
                       "sha256": row.sha256, "size": row.size, "generated_at": row.created_at.isoformat(),
                       "data_sha256": row.data_sha256})
    return files, listed, flags
