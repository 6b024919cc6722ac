"""The public site's data, from the certified public snapshot's rows (pure: no database, no files).

Each function returns plain JSON values (strings, integers, lists, objects): what a public page shows is
exactly what its JSON twin holds, so that the JSON's SHA-256 and inclusion proof vouch for the page.
Rows are the public file's rows (``{field: text}``, as ``datacall.public_rows`` reads them)."""

from __future__ import annotations

import re
from collections import Counter

from raigov.inventory.checks import HI_PRACTICES
from raigov.inventory.questions import label_of

FACE = re.compile(r"\b(face|faces|facial)\b", re.IGNORECASE)
GENAI = "Generative AI"
DONE = ("Yes", "Yes - Monitoring Established", "Training Established", "Appeal Process Established",
        "Internal Independent Review", "Oversight Board Review", "CAIO Review", "Usability Testing",
        "Public Feedback Solicitations", "Public Hearings", "Other")
NOT_APPLICABLE = ("Not Applicable", "Appeal Precluded by Law")
SUMMARY_FIELDS = ("id", "use_case_name", "agency_bureau", "topic_area", "development_stage", "is_high_impact")


def text(v) -> str:
    return " ".join(str(v or "").split())


def is_face_recognition(row: dict) -> bool:
    """Face recognition or face capture: OMB's 2025 form has no such answer, so a use case counts when its
    name, purpose or outputs speak of faces (face, faces, facial)."""
    return any(FACE.search(row.get(f) or "") for f in ("use_case_name", "problem_solved", "system_outputs"))


def is_genai(row: dict) -> bool:
    return GENAI.lower() in (row.get("classification") or "").lower()


def is_high_impact(row: dict) -> bool:
    return (row.get("is_high_impact") or "").strip() == "High-impact"


def safeguards(row: dict) -> dict:
    """The minimum practices of a high-impact use case as counts in words: in place, in progress, waived, not
    applicable, not answered; and each practice with its answer."""
    items = [(label_of(f), text(row.get(f))) for f in HI_PRACTICES if f != "hi_potential_impacts"]
    counts = Counter()
    for _, v in items:
        if not v:
            counts["not answered"] += 1
        elif v == "CAIO Waived":
            counts["waived by the Chief AI Officer"] += 1
        elif "progress" in v.lower():
            counts["in progress"] += 1
        elif v in NOT_APPLICABLE:
            counts["not applicable"] += 1
        else:
            counts["in place"] += 1
    return {"counts": dict(sorted(counts.items())), "practices": [{"practice": p, "answer": v or "Not answered"}
                                                                   for p, v in items]}


def summary(row: dict) -> dict:
    out = {k: text(row.get(k)) for k in SUMMARY_FIELDS}
    out.update(high_impact=is_high_impact(row), face_recognition=is_face_recognition(row), genai=is_genai(row))
    return out


def use_case_page(year: int, row: dict, withheld: list[str], waivers: list[dict], pilots: list[dict]) -> dict:
    """One use case in plain language. `withheld`: the labels of answers the CAIO's office withheld."""
    hi = is_high_impact(row)
    appeal = text(row.get("hi_appeal_process"))
    failsafe = text(row.get("hi_failsafe_presence"))
    remedies = []
    if appeal:
        remedies.append(f"Appeal: {appeal}.")
    if failsafe:
        remedies.append(f"A person can take over or stop the system (fail-safe): {failsafe}.")
    for p in pilots:
        if p.get("opt_in_out"):
            remedies.append(f"Opting in or out of the pilot: {p['opt_in_out']}")
    return {
        "year": year, **summary(row),
        "what_it_does": text(row.get("problem_solved")), "outputs": text(row.get("system_outputs")),
        "benefits": text(row.get("benefits")), "classification": text(row.get("classification")),
        "who_it_affects": {"data": text(row.get("data_description")), "personal_information": text(row.get("has_pii")),
                           "demographic_features": text(row.get("demographic_features")),
                           "potential_impacts": text(row.get("hi_potential_impacts"))},
        "high_impact_reason": text(row.get("HI_justification")) if hi else "",
        "safeguards": safeguards(row) if hi else None,
        "remedies": remedies, "operational_date": text(row.get("operational_date")),
        "vendor": text(row.get("vendor_name")), "privacy_impact_assessment": text(row.get("pia_url")),
        "withheld": withheld, "waivers": waivers, "pilots": pilots,
    }


def withheld_labels(public: dict, full: dict | None) -> list[str]:
    """Labels of the answers empty in the public row but given in the full (OMB's) row: what was withheld."""
    if not full:
        return []
    return [label_of(f) for f, v in full.items()
            if f not in ("contact_email",) and text(v) and not text(public.get(f))]


def withheld_counts(public_rows: list[dict], full_rows: list[dict]) -> dict[str, int]:
    """Use cases reported to OMB but left out of the public file, per component."""
    shown = {r.get("id") for r in public_rows}
    return dict(sorted(Counter((r.get("agency_bureau") or "(none)") for r in full_rows
                               if r.get("id") not in shown).items()))


def components(rows: list[dict], withheld: dict[str, int]) -> list[dict]:
    by = Counter(r.get("agency_bureau") or "(none)" for r in rows)
    hi = Counter(r.get("agency_bureau") or "(none)" for r in rows if is_high_impact(r))
    return [{"component": c, "use_cases": by.get(c, 0), "high_impact": hi.get(c, 0), "withheld": withheld.get(c, 0)}
            for c in sorted(set(by) | set(withheld))]


def changes(year: int, rows: list[dict], prev_year: int | None, prev: list[dict]) -> dict:
    """Year over year: use cases added, no longer listed (retired or withheld), retired this year, and those
    whose high-impact determination or stage changed."""
    now = {r["id"]: r for r in rows}
    before = {r["id"]: r for r in prev}
    name = lambda r: {"id": r["id"], "use_case_name": text(r.get("use_case_name")),  # noqa: E731
                      "agency_bureau": text(r.get("agency_bureau"))}
    changed = []
    for i in sorted(set(now) & set(before)):
        for f, what in (("is_high_impact", "Determination"), ("development_stage", "Stage")):
            a, b = text(before[i].get(f)), text(now[i].get(f))
            if a != b:
                changed.append({**name(now[i]), "what": what, "before": a or "Not answered", "now": b or "Not answered"})
    return {"year": year, "previous_year": prev_year,
            "added": [name(now[i]) for i in sorted(set(now) - set(before))] if prev_year else [],
            "no_longer_listed": [name(before[i]) for i in sorted(set(before) - set(now))],
            "retired": [name(r) for r in rows if text(r.get("development_stage")) == "Retired"
                        and text(before.get(r["id"], {}).get("development_stage")) != "Retired"],
            "changed": changed}


def filter_rows(rows: list[dict], *, q: str = "", component: str = "", topic: str = "", stage: str = "",
                high_impact: str = "", face: str = "", genai: str = "") -> list[dict]:
    """The index's search (words in the name, purpose, outputs or ID, all of them) and filters, over summaries
    (`summary` plus `search` text)."""
    words = [w.lower() for w in q.split()][:20]
    out = []
    for r in rows:
        if (component and r["agency_bureau"] != component) or (topic and r["topic_area"] != topic):
            continue
        if stage and r["development_stage"] != stage:
            continue
        if any((flag == "yes" and not r[key]) or (flag == "no" and r[key])
               for flag, key in ((high_impact, "high_impact"), (face, "face_recognition"), (genai, "genai"))):
            continue
        if words and not all(w in r["search"] for w in words):
            continue
        out.append(r)
    return out


def index(year: int, rows: list[dict], withheld: dict[str, int]) -> dict:
    items = []
    for r in rows:
        s = summary(r)
        s["search"] = " ".join(text(r.get(f)) for f in ("id", "use_case_name", "problem_solved", "system_outputs")).lower()
        items.append(s)
    return {"year": year, "use_cases": items, "components": components(rows, withheld),
            "withheld_total": sum(withheld.values())}
