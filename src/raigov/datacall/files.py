"""Files that follow a database transaction: written under a pending name beside their final name
(fsynced), renamed into place after the commit, removed after a rollback. The data call's snapshot files
are written this way (``raigov.datacall.cycles.certify``); ``finish_file`` completes a rename that a crash
between the commit and the renames left undone.

The list of staged files lives in ``session.info``; the listeners are registered on the session itself
(once), so other sessions are untouched."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session

PENDING = ".pending"  # suffix of a snapshot file written but not yet renamed into place (see the module's doc)

log = logging.getLogger("raigov.datacall")

_FILES = "raigov.datacall.pending_files"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # e.g. a platform that cannot open a directory
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def pending_path(path: Path) -> Path:
    return path.with_name(path.name + PENDING)


def stage_file(session: Session, path: Path, data: bytes) -> Path:
    """Write `data` to `path`'s pending name (fsynced); it is renamed to `path` only after `session` commits,
    and removed if it rolls back."""
    tmp = pending_path(path)
    staged = session.info.get(_FILES)
    if staged is None:
        staged = session.info[_FILES] = []
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_rollback", _after_rollback)
    staged.append((tmp, path))  # before writing: a failed write is cleaned up by the rollback too
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return tmp


def staged_by(session: Session, path: Path) -> bool:
    """Whether `session`'s transaction staged `path` (its bytes are still under the pending name until the commit):
    a reader in the same transaction reads the pending file and leaves the rename to the commit."""
    return any(p == path for _, p in session.info.get(_FILES) or ())


def _after_commit(session: Session) -> None:
    staged = session.info.pop(_FILES, None) or []
    for tmp, path in staged:
        try:
            os.replace(tmp, path)
        except OSError:  # committed: serving the snapshot finishes the rename (finish_snapshot)
            log.exception("could not rename %s into place after the commit; it is finished when served", tmp)
    for directory in {path.parent for _, path in staged}:
        fsync_dir(directory)


def _after_rollback(session: Session) -> None:
    staged = session.info.pop(_FILES, None) or []
    for tmp, _ in staged:
        tmp.unlink(missing_ok=True)
    for directory in {path.parent for _, path in staged}:
        with contextlib.suppress(OSError):
            directory.rmdir()  # only when empty: a folder this attempt created and filled


def finish_file(path: Path, expected: str | None) -> str:
    """Make sure `path` is in place: 'present' (already there: not checked here), 'finished' (its pending file
    had the expected hash and was renamed into place), 'missing' (neither), or 'mismatch' (a pending file whose
    bytes are not the expected ones: left where it is)."""
    if path.exists():
        return "present"
    tmp = pending_path(path)
    try:
        data = tmp.read_bytes()
    except FileNotFoundError:
        return "present" if path.exists() else "missing"  # another request may have just finished it
    if expected is None or sha256_bytes(data) != expected:
        return "mismatch"
    try:
        os.replace(tmp, path)
    except FileNotFoundError:  # finished by another request meanwhile
        return "present" if path.exists() else "missing"
    fsync_dir(path.parent)
    log.warning("finished the rename of %s left pending by an interrupted certification", path)
    return "finished"


def file_sha(path: Path) -> str | None:
    try:
        return sha256_bytes(path.read_bytes())
    except FileNotFoundError:
        return None
