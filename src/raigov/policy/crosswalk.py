"""The M-24-10 -> M-25-21 crosswalk (research/policy.md §2.10), kept as data in the newer pack.

``crosswalk(pack, from_pack_id)`` returns the entries ({from: [...], to: [...], note}) of the
``crosswalk`` block of ``pack``; ``map_items(pack, from_pack_id, item_id)`` the items of ``pack``
an older item maps to (empty when the category or practice was dropped).
"""

from __future__ import annotations

from raigov.policy.packs import Pack, PackRegistry


def crosswalk(pack: Pack, from_pack_id: str) -> list[dict]:
    cw = pack.crosswalk
    if not cw or cw.get("from") != from_pack_id:
        return []
    return [dict(e) for e in cw["entries"]]


def map_items(pack: Pack, from_pack_id: str, item_id: str) -> list[str]:
    out: list[str] = []
    for e in crosswalk(pack, from_pack_id):
        if item_id in e["from"]:
            out.extend(t for t in e["to"] if t not in out)
    return out


def load_crosswalk(registry: PackRegistry, old: str = "omb-m-24-10", new: str = "omb-m-25-21") -> dict[str, dict]:
    """{old item id: {"to": [new item ids], "notes": [...]}} from the newest ``new`` pack."""
    pack = registry.get(new)
    out: dict[str, dict] = {}
    for e in crosswalk(pack, old):
        for src in e["from"]:
            d = out.setdefault(src, {"to": [], "notes": []})
            d["to"].extend(t for t in e["to"] if t not in d["to"])
            if e.get("note"):
                d["notes"].append(e["note"])
    return out
