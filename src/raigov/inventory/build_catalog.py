"""Generate ``raigov/inventory/data/catalog.json`` from OMB's own data dictionaries.

    python -m raigov.inventory.build_catalog SHARED_DATA_DIR [--out PATH]

Inputs (all read as data, never executed):
  data_dictionary.json   OMB 2025 (M-25-21) dictionary: short names, XLSX headers, valid
                         selections, long->short maps, OMB's recoding of agency spellings.
  data_dictionary.yaml   OMB 2024 (M-24-10) dictionary: short names, enums, conditional rules.
  2024_consolidated_ai_inventory_raw.csv          header row only: the 2024 short names in order.
  2024_consolidated_ai_inventory_raw_v2.from_xls.csv  header row only: the 2024 long headers.
  2023_consolidated_ai_inventory_raw.csv          header row only: the 2023 columns.
  2025_consolidated_COTS_AI_use_cases.csv         header + the 20 standard task texts.
  2025_individually_reported_AI_use_cases.dev.csv header only: checks the 2025 column order.

The output is committed; the package never needs the shared folder at run time.
"""

from __future__ import annotations

import argparse
import csv
import difflib
import hashlib
import io
import json
import re
import sys
from pathlib import Path

import yaml

CATALOG_VERSION = 1

# ---------------------------------------------------------------------------------------------
# 2025
# ---------------------------------------------------------------------------------------------

# OMB added two columns in front of the agencies' template when it consolidated (README/XLSX).
OMB_ADDED_2025 = [
    ("agency", "Agency Abbreviation", "Agency abbreviation (added by OMB on consolidation)"),
    ("agency_name", "Agency Name", "Agency name (added by OMB on consolidation)"),
]

STAGES_2025 = {"pd": "Pre-deployment", "p": "Pilot", "d": "Deployed", "r": "Retired"}


def _norm(s: str) -> str:
    return " ".join(s.replace("\u2019", "'").split()).casefold()


def _lookup_close(mapping: dict, key: str, default):
    """mapping[key], tolerating OMB's own spelling slips between its lists (``in-progess``)."""
    if key in mapping:
        return mapping[key]
    nk = _norm(key)
    for k, v in mapping.items():
        if _norm(k) == nk:
            return v
    close = difflib.get_close_matches(nk, [_norm(k) for k in mapping], n=1, cutoff=0.95)
    if close:
        for k, v in mapping.items():
            if _norm(k) == close[0]:
                return v
    return default


def _rule_2025(name: str, instructions: str) -> dict:
    """Turn OMB's 'Required: ...' sentence into a declarative rule (raise if not understood)."""
    text = " ".join(instructions.split())
    m = re.search(r"Required:\s*(.*)$", text)
    if not m:
        raise SystemExit(f"2025 field {name}: no 'Required:' sentence in its instructions")
    req = m.group(1).strip().rstrip(".").lower()
    stage = "development_stage"
    if req == "yes":
        return {"when": "always", "source": m.group(0)}
    if req == "no":
        return {"when": "never", "source": m.group(0)}
    if req.startswith("yes, for pre-deployment, pilot and deployed"):
        return {"when": {"all": [{"field": stage, "in": ["Pre-deployment", "Pilot", "Deployed"]}]},
                "source": m.group(0)}
    if req.startswith("yes, for pilot and deployed"):
        return {"when": {"all": [{"field": stage, "in": ["Pilot", "Deployed"]}]}, "source": m.group(0)}
    if req.startswith("yes, only for high-impact deployed"):
        return {"when": {"all": [{"field": "is_high_impact", "in": ["High-impact"]},
                                 {"field": stage, "in": ["Deployed"]}]}, "source": m.group(0)}
    if "presumed high-impact, but determined not high-impact" in req:
        return {"when": {"all": [{"field": "is_high_impact",
                                  "in": ["Presumed High-Impact, but Not High-impact"]}]},
                "source": m.group(0)}
    if '"purchased from a vendor"' in req and "pilot or deployed" in req:
        return {"when": {"all": [{"field": "contracting_usage",
                                  "in": ["Vendor Purchased", "Contracting and In House"]},
                                 {"field": stage, "in": ["Pilot", "Deployed"]}]}, "source": m.group(0)}
    if '"yes" is selected for the previous question' in req and "pilot or deployed" in req:
        return {"when": {"all": [{"field": "have_ato", "in": ["Yes"]},
                                 {"field": stage, "in": ["Pilot", "Deployed"]}]}, "source": m.group(0)}
    raise SystemExit(f"2025 field {name}: required rule not understood: {m.group(0)!r}")


def build_2025(dd: dict, dev_csv_header: list[str] | None) -> list[dict]:
    fields: list[dict] = []
    for name, long_header, desc in OMB_ADDED_2025:
        fields.append({
            "name": name, "csv_header": name, "long_header": long_header, "type": "free_text",
            "multi": False, "omb_added": True, "description": desc, "instructions": "",
            "values": [], "long_values": [], "long_to_short": {}, "short_to_long": {}, "recoding": {},
            "required": {"when": "always", "source": "added by OMB"}, "crosswalk_2025": name,
        })
    items = sorted(dd.items(), key=lambda kv: kv[1]["column_order_in_original_excel"])
    for name, spec in items:
        dtype = spec.get("data_type") or "free_text"
        long_values = list(spec.get("valid_selections") or [])
        short_map = spec.get("short_hand_recodings") or {}
        long_to_short = {lv: _lookup_close(short_map, lv, lv) for lv in long_values}
        values = [long_to_short[lv] for lv in long_values]
        short_to_long = {s: lv for lv, s in long_to_short.items()}
        recoding: dict[str, str] = {}
        for target, aliases in (spec.get("recoding_map") or {}).items():
            # OMB's recoding targets are valid selections, except for spelling slips in the
            # dictionary itself ("in-progess"); a target that is no valid selection at all
            # ("Other – Economic & Financial") is not a recoding into OMB's list, so it is dropped
            # and such values are reported as outside the list.
            lv = target if target in long_to_short else _lookup_close({x: x for x in long_values}, target, None)
            if lv is None:
                continue
            canon = long_to_short[lv]
            recoding[target] = canon
            for alias in aliases or []:
                recoding[alias] = canon
        fields.append({
            "name": name,
            "csv_header": name,
            "long_header": spec["excel_header"],
            "type": dtype,
            "multi": dtype == "select_multiple",
            "omb_added": False,
            "description": spec.get("description", ""),
            "instructions": spec.get("instructions", ""),
            "values": values,
            "long_values": long_values,
            "long_to_short": long_to_short,
            "short_to_long": short_to_long,
            "recoding": recoding,
            "required": _rule_2025(name, spec.get("instructions", "")),
            "crosswalk_2025": name,
        })
    if dev_csv_header is not None and [f["csv_header"] for f in fields] != dev_csv_header:
        raise SystemExit("2025 column order from data_dictionary.json does not match the published CSV header")
    for i, f in enumerate(fields):
        f["position"] = i
    return fields


# ---------------------------------------------------------------------------------------------
# 2024
# ---------------------------------------------------------------------------------------------

# Where a 2024 field carries over to a 2025 one. "same": same question; "approximate": related
# question whose values or wording changed (e.g. rights/safety impact -> high-impact).
CROSSWALK_2024 = {
    "2_use_case_name": ("use_case_name", "same"),
    "3_agency": ("agency_name", "same"),
    "3_abr": ("agency", "same"),
    "4_bureau": ("agency_bureau", "same"),
    "8_topic_area": ("topic_area", "approximate"),
    "11_purpose_benefits": ("problem_solved", "approximate"),
    "12_outputs": ("system_outputs", "same"),
    "16_dev_stage": ("development_stage", "approximate"),
    "17_impact_type": ("is_high_impact", "approximate"),
    "20_date_implemented": ("operational_date", "approximate"),
    "22_dev_method": ("contracting_usage", "approximate"),
    "29_contains_pii": ("has_pii", "same"),
    "33_agency_data": ("data_description", "approximate"),
    "35_demo_features": ("demographic_features", "same"),
    "37_custom_code": ("has_custom_code", "same"),
    "39_code_link": ("code_url", "same"),
    "40_has_ato": ("have_ato", "same"),
    "41_system_name": ("system_name_ato", "same"),
    "52_impact_assessment": ("hi_assessment_completed", "approximate"),
    "53_real_world_testing": ("hi_testing_conducted", "approximate"),
    "54_key_risks": ("hi_potential_impacts", "approximate"),
    "55_independent_eval": ("hi_independent_review", "approximate"),
    "56_monitor_postdeploy": ("hi_ongoing_monitoring", "approximate"),
    "63_stakeholder_consult": ("hi_public_consultation", "approximate"),
    "65_appeal_process": ("hi_appeal_process", "approximate"),
}
# 2024 stage -> 2025 stage (NIST SDLC -> M-25-21 stages); used by the crosswalk helpers.
STAGE_2024_TO_2025 = {
    "Initiated": "Pre-deployment",
    "Acquisition and/or Development": "Pre-deployment",
    "Implementation and Assessment": "Pilot",
    "Operation and Maintenance": "Deployed",
    "Retired": "Retired",
}
# The YAML gives these as select-one, but the guidance and the data make them select-multiple.
MULTI_2024 = {"35_demo_features", "59_ai_notice", "63_stakeholder_consult"}
DATE_2024 = {"18_date_initiated", "19_date_acq_dev_began", "20_date_implemented", "21_date_retired"}


def _find_key(obj, key):
    """First value under ``key`` anywhere in a nested dict (the YAML nests some slips)."""
    if isinstance(obj, dict):
        if key in obj:
            return obj[key]
        for v in obj.values():
            found = _find_key(v, key)
            if found is not None:
                return found
    return None


def _rule_2024(spec: dict) -> dict:
    cons = spec.get("constraints") or {}
    if cons.get("required") is True:
        return {"when": "always", "source": "data_dictionary.yaml constraints.required"}
    cond = _find_key(spec, "conditional_required")
    if not cond:
        return {"when": "never", "source": "data_dictionary.yaml: no requirement"}
    if cond.get("logic", "and") != "and":
        raise SystemExit(f"2024 field {spec['name']}: unsupported top-level logic {cond.get('logic')}")
    clauses = []
    for c in cond.get("conditions") or []:
        if c.get("logic") not in ("equals", "or"):
            raise SystemExit(f"2024 field {spec['name']}: unsupported condition {c}")
        clauses.append({"field": c["if_field"], "in": list(c["if_values"])})
    return {"when": {"all": clauses}, "source": "data_dictionary.yaml conditional_required"}


def build_2024(yml: dict, short_header: list[str], long_header: list[str]) -> list[dict]:
    specs = yml["fields"]
    names = [s["name"] for s in specs]
    if short_header and names != short_header:
        raise SystemExit("2024 short names in data_dictionary.yaml do not match the v1 CSV header order")
    if len(long_header) != len(names):
        raise SystemExit("2024 long header count differs from the dictionary")
    fields = []
    for i, (spec, long_h) in enumerate(zip(specs, long_header)):
        name = spec["name"]
        enum = _find_key(spec, "enum") or []
        if name.endswith("_question_type"):
            # The YAML gives ["Standard", "Other"], but the published column holds the free-text
            # "If Other, please explain." answer (a copy-paste slip in the dictionary).
            enum = []
        enum = [str(v) for v in enum]
        qnum = name.split("_", 1)[0]
        if enum and f"{qnum}_question_type" in names and "Other" not in enum:
            # The form offered "Other" wherever it asked "If Other, please explain." next.
            enum.append("Other")
        xw = CROSSWALK_2024.get(name)
        fields.append({
            "name": name,
            "position": i,
            "csv_header": name,
            "long_header": long_h,
            "type": "date" if name in DATE_2024 else
                    ("select_multiple" if name in MULTI_2024 else
                     ("multiple_choice" if enum else "free_text")),
            "multi": name in MULTI_2024,
            "omb_added": False,
            "description": spec.get("description", ""),
            "instructions": "",
            "values": enum,
            "long_values": enum,
            "long_to_short": {v: v for v in enum},
            "short_to_long": {v: v for v in enum},
            "recoding": {},
            "required": _rule_2024(spec),
            "crosswalk_2025": xw[0] if xw else None,
            "crosswalk_kind": xw[1] if xw else None,
        })
    return fields


# ---------------------------------------------------------------------------------------------
# 2023 and COTS (no OMB dictionary: defined here from the published header)
# ---------------------------------------------------------------------------------------------

FIELDS_2023 = {
    "Use_Case_ID": ("structured_text", "Use case identifier, e.g. DHS-0000-2023", ("id", "same")),
    "Department_Code": ("free_text", "Department abbreviation", ("agency", "same")),
    "Agency": ("free_text", "Agency (sub-agency) within the department", ("agency_bureau", "approximate")),
    "Office": ("free_text", "Office within the agency", None),
    "Title": ("free_text", "Use case title", ("use_case_name", "same")),
    "Summary": ("free_text", "Summary of the use case", ("problem_solved", "approximate")),
    "Development_Stage": ("free_text", "Stage of development (free text in 2023)",
                          ("development_stage", "approximate")),
    "Techniques": ("free_text", "AI techniques used", ("classification", "approximate")),
    "Source_Code": ("free_text", "Link to source code", ("code_url", "same")),
    "Department": ("free_text", "Department name", ("agency_name", "same")),
}
REQUIRED_2023 = {"Use_Case_ID", "Department_Code", "Title"}


def build_2023(header: list[str]) -> list[dict]:
    if header and list(FIELDS_2023) != header:
        raise SystemExit("2023 header differs from the known 10 columns")
    out = []
    for i, (name, (dtype, desc, xw)) in enumerate(FIELDS_2023.items()):
        out.append({
            "name": name, "position": i, "csv_header": name, "long_header": name, "type": dtype,
            "multi": False, "omb_added": False, "description": desc, "instructions": "",
            "values": [], "long_values": [], "long_to_short": {}, "short_to_long": {}, "recoding": {},
            "required": {"when": "always" if name in REQUIRED_2023 else "never", "source": "2023 format"},
            "crosswalk_2025": xw[0] if xw else None, "crosswalk_kind": xw[1] if xw else None,
        })
    return out


COTS_COLUMNS = [
    ("agency_name", "Agency", "free_text", "Agency name"),
    ("cots_task", "AI Use Case", "multiple_choice", "One of OMB's 20 standard commercial-AI tasks"),
    ("cots_agency_use", "Agency Use (Y/N)?", "multiple_choice", "Whether the agency uses AI for the task"),
    ("cots_products", "Name of Commercial Product or Service Used", "free_text",
     "Commercial products or services used"),
    ("cots_license_band", "Estimated # of Licenses/Users", "multiple_choice", "Licence-count band"),
]
LICENSE_BANDS = ["1-100", "101-1000", "1001-5000", "5001-10,000", "10,000-50,000", "50,000+"]


def build_cots(rows: list[list[str]]) -> list[dict]:
    header = rows[0]
    if [c[1] for c in COTS_COLUMNS] != header:
        raise SystemExit("COTS header differs from the known 5 columns")
    # The 20 standard tasks are OMB's list (2025 guidance §1(a)(i)); take OMB's exact wording.
    tasks: list[str] = []
    for r in rows[1:]:
        t = r[1].strip()
        if t and t not in tasks:
            tasks.append(t)
    recode_tasks = {r[1]: r[1].strip() for r in rows[1:] if r[1] != r[1].strip()}
    out = []
    for i, (name, h, dtype, desc) in enumerate(COTS_COLUMNS):
        values = {"cots_task": tasks, "cots_agency_use": ["Y", "N"],
                  "cots_license_band": LICENSE_BANDS}.get(name, [])
        recoding = {"cots_task": recode_tasks, "cots_agency_use": {"Yes": "Y", "No": "N"}}.get(name, {})
        out.append({
            "name": name, "position": i, "csv_header": h, "long_header": h, "type": dtype,
            "multi": False, "omb_added": False, "description": desc, "instructions": "",
            "values": values, "long_values": values, "long_to_short": {v: v for v in values},
            "short_to_long": {v: v for v in values}, "recoding": recoding,
            "required": {"when": "always" if name in ("agency_name", "cots_task", "cots_agency_use")
                         else {"all": [{"field": "cots_agency_use", "in": ["Y"]}]},
                         "source": "2025 guidance §1(a)(i)"},
            "crosswalk_2025": "agency_name" if name == "agency_name" else None,
        })
    return out


# ---------------------------------------------------------------------------------------------

def _csv_rows(path: Path, encoding: str, limit: int | None = None) -> list[list[str]]:
    text = path.read_bytes().decode(encoding)
    reader = csv.reader(io.StringIO(text, newline=""))
    out = []
    for i, r in enumerate(reader):
        if limit is not None and i >= limit:
            break
        out.append(r)
    return out


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(shared: Path) -> dict:
    dd_json = shared / "data_dictionary.json"
    dd_yaml = shared / "data_dictionary.yaml"
    dd = json.loads(dd_json.read_text(encoding="utf-8"))
    yml = yaml.safe_load(dd_yaml.read_text(encoding="utf-8"))

    def header_of(name: str, enc: str) -> list[str]:
        p = shared / name
        return _csv_rows(p, enc, 1)[0] if p.exists() else []

    dev_header = header_of("2025_individually_reported_AI_use_cases.dev.csv", "utf-8-sig") or None
    short_2024 = header_of("2024_consolidated_ai_inventory_raw.csv", "utf-8-sig")
    long_2024 = header_of("2024_consolidated_ai_inventory_raw_v2.from_xls.csv", "utf-8")
    header_2023 = header_of("2023_consolidated_ai_inventory_raw.csv", "utf-8")
    cots_rows = _csv_rows(shared / "2025_consolidated_COTS_AI_use_cases.csv", "utf-8-sig")

    sources = {}
    for p in (dd_json, dd_yaml):
        sources[p.name] = _sha(p)
    return {
        "version": CATALOG_VERSION,
        "generated_by": "python -m raigov.inventory.build_catalog",
        "sources": sources,
        "stage_2024_to_2025": STAGE_2024_TO_2025,
        "years": {
            "2025": build_2025(dd, dev_header),
            "2024": build_2024(yml, short_2024, long_2024),
            "2023": build_2023(header_2023),
            "cots-2025": build_cots(cots_rows),
        },
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("shared_data_dir", type=Path)
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("data") / "catalog.json")
    args = ap.parse_args(argv)
    shared = args.shared_data_dir
    if (shared / "federal-ai-inventory").is_dir():
        shared = shared / "federal-ai-inventory"
    catalog = build(shared)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(catalog, ensure_ascii=False, indent=1, sort_keys=False) + "\n",
                        encoding="utf-8")
    n = {k: len(v) for k, v in catalog["years"].items()}
    print(f"wrote {args.out} ({n})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
