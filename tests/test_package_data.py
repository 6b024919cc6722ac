"""The package data declared in pyproject.toml is exactly the data the package has: every glob matches a
file, and every file that is not Python source (the data the code reads through importlib.resources:
templates, static files, packs, lanes.yaml, permissions.yaml, the migration template) is shipped."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "src" / "raigov"


def _globs() -> list[str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return data["tool"]["setuptools"]["package-data"]["raigov"]


def _matches(pattern: str) -> set[Path]:
    return {p for p in PKG.glob(pattern) if p.is_file() and "__pycache__" not in p.parts}


def test_every_package_data_glob_matches_a_file():
    empty = [g for g in _globs() if not _matches(g)]
    assert empty == []


def test_every_data_file_of_the_package_is_shipped():
    tracked = subprocess.run(["git", "ls-files", "src/raigov"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    data = {ROOT / f for f in tracked if not f.endswith(".py")}
    assert data, "git ls-files found no data files"
    shipped = set().union(*(_matches(g) for g in _globs()))
    missing = sorted(str(p.relative_to(PKG)) for p in data - shipped)
    assert missing == []
