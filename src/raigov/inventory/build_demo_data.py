"""Generate the demo agency's inventory data from DHS's real published inventories.

    python -m raigov.inventory.build_demo_data SHARED_DATA_DIR [--out DIR]

Writes into ``raigov/inventory/data/`` (committed):

  demo_dhs_2025.csv   DHS's 238 use cases of the 2025 inventory in OMB's 2025 CSV convention
                      (short names, OMB's recoded values, BOM, LF), WITHOUT the contact_email column.
                      Source: the DHS rows of OMB's consolidated 2025 CSV, which OMB built from
                      DHS's own published XLSX (same 238 ids, names and answers; tested).
  demo_dhs_2024.csv   DHS's 2024 rows (OMB's 2024 v2 inventory, from the .xls that keeps Unicode)
                      whose normalised name matches a 2025 DHS use case, in the 2024 short-name
                      CSV convention, cells as published, plus a ``raigov_2025_id`` column linking
                      each to its 2025 use case (read_inventory keeps it under ``extra``).
  demo_sources.json   provenance: source file names and SHA-256, row counts.

Both CSV files are read back with ``read_inventory`` like any agency file. No personal contact
data: the only such column (2025 ``contact_email``) is dropped, and the generator refuses to write
if any remaining cell holds an e-mail address or a phone number.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import sys
from pathlib import Path

from raigov.inventory.catalog import fields
from raigov.inventory.formats import normalize_name, read_inventory
from raigov.inventory.formats.export import write_omb_2025_csv
from raigov.inventory.normalize import format_value

SRC_2025 = "2025_individually_reported_AI_use_cases.dev.csv"
SRC_2025_DHS = "2025_0128_ocio-dhs-ai-use-case-inventory.xlsx"
SRC_2024 = "2024_consolidated_ai_inventory_raw_v2.xls"
AGENCY = "DHS"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"\(?\b\d{3}\)?[ .-]\d{3}-\d{4}\b")


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _check_no_contact_data(path: Path) -> None:
    text = path.read_text(encoding="utf-8-sig")
    for rx, what in ((_EMAIL, "an e-mail address"), (_PHONE, "a phone number")):
        m = rx.search(text)
        if m:
            raise SystemExit(f"{path.name} would contain {what} ({m.group(0)!r}); refusing to write it")


def build(shared: Path, out: Path) -> dict:
    p25 = read_inventory(shared / SRC_2025)
    rows25 = [r for r in p25.rows if r.values.get("agency") == AGENCY]
    # Cross-check with DHS's own file: same ids in the same number.
    own = read_inventory(shared / SRC_2025_DHS)
    own_ids = sorted(str(r.values["id"]) for r in own.rows)
    if sorted(str(r.values["id"]) for r in rows25) != own_ids:
        raise SystemExit("DHS rows of OMB's 2025 CSV and DHS's own XLSX do not hold the same use cases")
    out.mkdir(parents=True, exist_ok=True)
    f25 = out / "demo_dhs_2025.csv"
    write_omb_2025_csv(rows25, f25, omit=("contact_email",))
    _check_no_contact_data(f25)

    by_name = {normalize_name(str(r.values["use_case_name"])): str(r.values["id"]) for r in rows25}
    p24 = read_inventory(shared / SRC_2024)
    rows24 = [r for r in p24.rows if r.values.get("3_abr") == AGENCY
              and normalize_name(str(r.values.get("2_use_case_name") or "")) in by_name]
    f24 = out / "demo_dhs_2024.csv"
    fs = fields("2024")
    with open(f24, "w", encoding="utf-8", newline="") as fh:
        fh.write("\ufeff")
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow([f.csv_header for f in fs] + ["raigov_2025_id"])
        for r in rows24:
            cells = [r.raw[f.name] if f.name in r.raw else format_value(f, r.values.get(f.name), "json")
                     for f in fs]
            w.writerow(cells + [by_name[normalize_name(str(r.values["2_use_case_name"]))]])
    _check_no_contact_data(f24)

    meta = {
        "generated_by": "python -m raigov.inventory.build_demo_data",
        "agency": AGENCY,
        "files": {
            f25.name: {"rows": len(rows25), "form": "omb-2025-csv", "omitted_columns": ["contact_email"],
                       "source": SRC_2025, "source_sha256": _sha(shared / SRC_2025),
                       "cross_checked_with": SRC_2025_DHS, "cross_check_sha256": _sha(shared / SRC_2025_DHS),
                       "sha256": _sha(f25)},
            f24.name: {"rows": len(rows24), "form": "omb-2024-csv", "source": SRC_2024,
                       "source_sha256": _sha(shared / SRC_2024), "match": "agency DHS + normalised use case name",
                       "link_column": "raigov_2025_id", "sha256": _sha(f24)},
        },
    }
    (out / "demo_sources.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    return meta


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("shared_data_dir", type=Path)
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("data"))
    args = ap.parse_args(argv)
    shared = args.shared_data_dir
    if (shared / "federal-ai-inventory").is_dir():
        shared = shared / "federal-ai-inventory"
    meta = build(shared, args.out)
    for name, m in meta["files"].items():
        print(f"wrote {args.out / name}: {m['rows']} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
