"""A public build for tests of pages that only need one (the feedback form): a folder of page files, its manifest and
the build's row, laid out as `raigov public build` lays them (without a data call to certify first)."""

from __future__ import annotations

from raigov.datacall.files import sha256_bytes
from raigov.disclosure import site
from raigov.disclosure.fastpath import MARKER
from raigov.disclosure.models import SiteBuild


def publish(db, settings, names: dict[str, str], year: int = 2026) -> str:
    """Publish use cases {business id: public name} as the latest build; its directory."""
    files = {"pages/site.json": site.json_bytes({"years": [year], "built_at": "2026-11-01T00:00:00+00:00"})}
    for bid, name in names.items():
        files[f"pages/{year}/use-cases/{site.slug(bid)}.json"] = site.json_bytes(
            {"year": year, "id": bid, "use_case_name": name, "agency_bureau": "CBP"})
    items = [{"path": p, "sha256": sha256_bytes(b), "size": len(b)} for p, b in sorted(files.items())]
    name = f"test-{len(names)}-{sha256_bytes(repr(sorted(names.items())).encode())[:8]}"
    manifest = site.json_bytes({"format": site.FORMAT, "directory": name, "files": items, "merkle_root": "0" * 64})
    folder = settings.ensure_data_dir() / "public" / name
    for p, b in [*files.items(), (site.MANIFEST, manifest)]:
        (folder / p).parent.mkdir(parents=True, exist_ok=True)
        (folder / p).write_bytes(b)
    (folder.parent / MARKER).write_text(name + "\n")
    with db.transaction() as s:
        s.add(SiteBuild(directory=name, files=len(items), merkle_root="0" * 64, manifest_sha256=sha256_bytes(manifest),
                        event_seq=1, built_by="system:test"))
    return name
