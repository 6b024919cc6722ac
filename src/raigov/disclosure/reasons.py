"""The reason codes for withholding (reasons.yaml), as data: code -> label. Pure."""

from __future__ import annotations

import functools
from pathlib import Path

import yaml

PATH = Path(__file__).with_name("reasons.yaml")


@functools.cache
def reasons() -> dict[str, str]:
    data = yaml.safe_load(PATH.read_text(encoding="utf-8"))
    return {code: spec["label"] for code, spec in data["reasons"].items()}


def label(code: str) -> str:
    return reasons().get(code, code)
