"""The vendored front-end assets are exactly those recorded by `make vendor` (scripts/vendor.sh)."""

import hashlib
from pathlib import Path

VENDOR = Path(__file__).resolve().parents[2] / "src" / "raigov" / "web" / "static" / "vendor"


def test_checksums_match():
    lines = (VENDOR / "SHA256SUMS").read_text().splitlines()
    assert len(lines) > 100
    for line in lines:
        digest, name = line.split(maxsplit=1)
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name
    versions = (VENDOR / "VERSIONS").read_text()
    for pkg in ("@uswds/uswds", "htmx.org", "axe-core", "swagger-ui-dist"):
        assert pkg in versions


def test_no_cdn_in_templates():
    templates = Path(__file__).resolve().parents[2] / "src" / "raigov" / "web" / "templates"
    for t in templates.rglob("*.html"):
        text = t.read_text()
        assert "https://" not in text.replace("https://</strong>", ""), t
