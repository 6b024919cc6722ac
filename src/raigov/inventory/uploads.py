"""Uploaded inventory files kept between the dry run and the import (``DATA_DIR/uploads/<sha256>/<name>``).

Only a caller who may import writes here (the page checks ``inventory.require_import`` before it reads
the body). Files are created mode 0600 in directories mode 0700 (they hold unpublished inventory
answers); a file is deleted once it is imported, and ``raigov jobs run`` deletes any left behind (a dry
run nobody committed) after ``upload_retention_hours``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import time
from pathlib import Path

from raigov.config import Settings

_SHA = re.compile(r"[0-9a-f]{64}")


def upload_dir(settings: Settings) -> Path:
    d = settings.ensure_data_dir() / "uploads"
    d.mkdir(mode=0o700, exist_ok=True)
    os.chmod(d, 0o700)  # an older raigov made it with the umask's mode
    return d


def safe_name(filename: str) -> str:
    return re.sub(r"[^\w.\- ]", "_", Path(filename or "").name)[:120].strip(" .") or "upload"


def keep(settings: Settings, sha: str, filename: str, data: bytes) -> Path:
    """Write ``data`` (whose SHA-256 is ``sha``) as ``uploads/<sha>/<name>``: mode 0600, never through a
    link, the same bytes once."""
    if not _SHA.fullmatch(sha):
        raise ValueError("not a SHA-256 digest")
    folder = upload_dir(settings) / sha
    folder.mkdir(mode=0o700, exist_ok=True)
    path = folder / safe_name(filename)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "wb") as fh:
        os.fchmod(fh.fileno(), 0o600)
        fh.write(data)
    return path


def find(settings: Settings, sha: str, name: str) -> Path | None:
    """The kept upload named by the form's (sha, name), or None (gone, or not a name this module wrote)."""
    if not _SHA.fullmatch(sha or "") or name != safe_name(name):
        return None
    path = upload_dir(settings) / sha / name
    return path if path.is_file() and not path.is_symlink() else None


def discard(settings: Settings, sha: str) -> None:
    """Delete the upload ``sha`` (after its import, or when its dry run was refused)."""
    if _SHA.fullmatch(sha or ""):
        shutil.rmtree(upload_dir(settings) / sha, ignore_errors=True)


def clean(settings: Settings, now: dt.datetime | None = None) -> list[str]:
    """Delete uploads older than ``settings.upload_retention_hours`` (by modification time); returns the
    names removed, ``<sha256>/<file>``. Empty folders go too. Only ``DATA_DIR/uploads`` is touched."""
    root = settings.data_dir / "uploads"
    if not root.is_dir():
        return []
    cutoff = (now.timestamp() if now else time.time()) - settings.upload_retention_hours * 3600
    removed: list[str] = []
    for folder in sorted(root.iterdir()):
        if folder.is_symlink() or not folder.is_dir():
            if folder.lstat().st_mtime < cutoff:
                folder.unlink(missing_ok=True)
                removed.append(folder.name)
            continue
        old_folder = folder.lstat().st_mtime < cutoff
        for f in sorted(folder.iterdir()):
            if f.lstat().st_mtime < cutoff:
                if f.is_dir() and not f.is_symlink():
                    shutil.rmtree(f, ignore_errors=True)
                else:
                    f.unlink(missing_ok=True)
                removed.append(f"{folder.name}/{f.name}")
        if old_folder:
            with contextlib.suppress(OSError):
                folder.rmdir()  # only when empty
    return removed
