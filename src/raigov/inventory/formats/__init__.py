"""Readers and writers of the published AI use case inventory formats.

The contract other modules call::

    read_inventory(path, *, max_bytes=None) -> ParsedInventory
    use_case_key(row, parsed) -> str
    write_omb_2025_csv(rows, fh_or_path) / write_omb_2025_xlsx(rows, path) / write_omb_2025_cots_csv(...)

See docs/inventory-formats.md for the forms recognised, the problem codes and the round-trip rule.
"""

from __future__ import annotations

import re
import unicodedata

from raigov.inventory.formats.model import InventoryRow, ParsedInventory, Problem
from raigov.inventory.formats.reader import read_inventory, read_inventory_bytes

FORMS = (
    "omb-2023-csv",
    "omb-2024-csv",
    "omb-2024-xls",
    "omb-2025-csv",
    "omb-2025-xlsx",
    "dhs-2025-xlsx",
    "omb-2025-cots-csv",
    "omb-2025-cots-xlsx",
)

_PLACEHOLDER_IDS = {"", "tbd", "n/a", "na", "none", "-", "0"}
_DASH = re.compile(r"\s*[\u2010-\u2015\u2212-]\s*")
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalize_name(name: str) -> str:
    """Use case name for matching: NFKC, lower case, punctuation and spacing collapsed."""
    t = unicodedata.normalize("NFKC", name or "").casefold()
    return _NON_WORD.sub(" ", t).strip()


def normalize_id(use_case_id: str) -> str:
    t = unicodedata.normalize("NFKC", use_case_id or "").strip().upper()
    t = _DASH.sub("-", t)
    return re.sub(r"\s+", "", t)


def name_key(agency: str | None, name: str | None) -> str:
    return f"name:{(agency or '').strip().upper()}:{normalize_name(name or '')}"


def use_case_key(row: InventoryRow, parsed: ParsedInventory) -> str:
    """Stable identity of a use case within and across files.

    2025 and 2023 forms: ``id:<ID>``, the use case id normalised (upper case, dashes unified,
    spaces removed), prefixed with the agency abbreviation when the id does not already start
    with it (``35`` at SEC -> ``id:SEC-35``). Blank or placeholder ids (``TBD``) and the 2024
    forms (no id) fall back to ``name:<AGENCY>:<normalised name>``. COTS rows:
    ``cots:<agency name>:<task>``.
    """
    v = row.values
    schema = parsed.schema
    if schema == "cots-2025":
        return f"cots:{normalize_name(str(v.get('agency_name') or ''))}:{normalize_name(str(v.get('cots_task') or ''))}"
    if schema == "2024":
        return name_key(v.get("3_abr"), v.get("2_use_case_name"))
    if schema == "2023":
        agency, uid, name = v.get("Department_Code"), v.get("Use_Case_ID"), v.get("Title")
    else:
        agency, uid, name = v.get("agency"), v.get("id"), v.get("use_case_name")
    agency = (str(agency).strip().upper() if agency else "")
    uid_n = normalize_id(str(uid)) if uid else ""
    if uid_n.casefold() not in _PLACEHOLDER_IDS:
        if agency and not uid_n.startswith(agency):
            uid_n = f"{agency}-{uid_n}"
        return f"id:{uid_n}"
    return name_key(agency, str(name or ""))


def __getattr__(name):  # lazy: the exporters import openpyxl only when used
    if name in ("write_omb_2025_csv", "write_omb_2025_xlsx", "write_omb_2025_cots_csv",
                "write_omb_2025_cots_xlsx", "omb_2025_csv_text"):
        from raigov.inventory.formats import export

        return getattr(export, name)
    raise AttributeError(name)


__all__ = [
    "FORMS",
    "InventoryRow",
    "ParsedInventory",
    "Problem",
    "name_key",
    "normalize_id",
    "normalize_name",
    "read_inventory",
    "read_inventory_bytes",
    "use_case_key",
    "write_omb_2025_cots_csv",
    "write_omb_2025_csv",
    "write_omb_2025_xlsx",
]
