"""The evidence file store: content-addressed by SHA-256 under ``DATA_DIR/evidence/ab/abcdef...``.

A file's type is sniffed from its first bytes (never trusted from the name or the browser) against an
allow-list; executables, scripts and markup that a browser would render are refused. Nothing stored is
ever executed, unpacked or rendered: downloads go out as attachments with the sniffed type and
``X-Content-Type-Options: nosniff``, under a name whose extension is the sniffed type's (``filename_for``: text
named ``x.html`` is kept and served as ``x.txt``, so the saved file does not open in a browser as HTML). Writes go to a
temporary file first and are renamed into place, so
a crash never leaves half a file under a hash name; the same bytes are stored once.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from raigov.errors import PayloadTooLarge, ValidationFailed

# (media type, extension) by magic bytes
_MAGIC: list[tuple[bytes, str, str]] = [
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"PAR1", "application/vnd.apache.parquet", "parquet"),
    (b"PK\x03\x04", "application/zip", "zip"),  # docx, xlsx, pptx are zip containers
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage", "doc"),  # legacy Office
]
_REFUSED: list[tuple[bytes, str]] = [
    (b"MZ", "a Windows executable"),
    (b"\x7fELF", "an ELF executable"),
    (b"#!", "a script"),
    (b"\xca\xfe\xba\xbe", "a Mach-O or Java class file"),
    (b"\xcf\xfa\xed\xfe", "a Mach-O executable"),
]
_MARKUP = (b"<!doctype html", b"<html", b"<script", b"<svg", b"<?xml")
_SKIPPED = " \t\r\n\f\v\ufeff"
_OFFICE = {".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
           ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation"}


def sniff(data: bytes, filename: str = "") -> str:
    """The media type of ``data``, from its bytes; ValidationFailed (field ``file``) when refused."""
    if not data:
        raise ValidationFailed.one("file", "the file is empty")
    for magic, what in _REFUSED:
        if data.startswith(magic):
            raise ValidationFailed.one("file", f"{what} is not accepted as evidence")
    for magic, media, _ext in _MAGIC:
        if data.startswith(magic):
            if media == "application/zip":
                return _OFFICE.get(Path(filename).suffix.lower(), media)
            return media
    head = data[:4096]
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # a multi-byte character cut at 4096 bytes is still text
        try:
            text = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationFailed.one("file", "unrecognised binary file: evidence may be PDF, PNG, JPEG, Office "
                                       "documents, ZIP, Parquet, or UTF-8 text (CSV, JSON, Markdown, plain text)") from None
    # a byte-order mark (or U+FEFF anywhere at the start) and white space are skipped by browsers too
    low = text.lstrip(_SKIPPED).lower().encode()
    if any(low.startswith(m) for m in _MARKUP):
        raise ValidationFailed.one("file", "HTML, SVG and XML are not accepted as evidence (a browser would render "
                                   "them): attach a PDF instead")
    if "\x00" in text:
        raise ValidationFailed.one("file", "unrecognised binary file")
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        return "application/json"
    if Path(filename).suffix.lower() == ".csv":
        return "text/csv"
    return "text/plain"


# the name extensions each sniffed type may keep; the first is given to a name that has none of them
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "application/pdf": ("pdf",),
    "image/png": ("png",),
    "image/jpeg": ("jpg", "jpeg"),
    "application/vnd.apache.parquet": ("parquet",),
    "application/zip": ("zip",),
    "application/x-ole-storage": ("doc", "xls", "ppt", "msg"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ("docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("xlsx",),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ("pptx",),
    "application/json": ("json",),
    "text/csv": ("csv",),
    "text/plain": ("txt", "text", "md", "markdown", "log"),
}


def filename_for(filename: str, media: str | None) -> str:
    """The file name to keep and serve for bytes sniffed as `media`: the given name when its extension is one of
    that type's, else the name with its extension replaced by the type's (``notes.html`` sniffed as text ->
    ``notes.txt``; ``scan`` -> ``scan.pdf``), so that a downloaded file never opens as HTML or SVG. No path parts."""
    name = Path((filename or "").replace("\\", "/")).name.strip() or "evidence"
    exts = EXTENSIONS.get(media or "", ())
    if not exts:
        return name if "." not in name else name.rsplit(".", 1)[0] + ".bin"
    stem, dot, ext = name.rpartition(".")
    if dot and stem and ext.lower() in exts:
        return name
    return f"{stem if dot and stem else name}.{exts[0]}"


class EvidenceStore:
    def __init__(self, root: Path, limit_bytes: int):
        self.root = Path(root)
        self.limit = limit_bytes

    def path_of(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValidationFailed.one("sha256", "not a SHA-256 digest")
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes, filename: str = "") -> tuple[str, str, int]:
        """Store the bytes (once); returns (sha256, media type, size)."""
        if len(data) > self.limit:
            raise PayloadTooLarge(f"file: the evidence file is {len(data):,} bytes; the limit is {self.limit:,}")
        media = sniff(data, filename)
        digest = hashlib.sha256(data).hexdigest()
        dest = self.path_of(digest)
        if dest.exists() and dest.stat().st_size == len(data):
            return digest, media, len(data)
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o440)
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest, media, len(data)

    def get(self, sha256: str) -> bytes:
        data = self.path_of(sha256).read_bytes()
        if hashlib.sha256(data).hexdigest() != sha256:
            raise ValidationFailed.one("sha256", "the stored file no longer matches its hash")
        return data
