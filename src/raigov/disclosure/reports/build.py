"""From figures (facts.py) to a :class:`Document` (pure). The words are plain; every number comes from the
figures, which the document keeps (`figures`) so that its hash names exactly what the report says."""

from __future__ import annotations

from raigov.disclosure.reports.document import KINDS, Document, Section, Table, text

REVIEW_TITLES = {"privacy": "Privacy Office", "crcl": "Civil Rights and Civil Liberties", "ocio": "Chief Information Officer"}
DIFF_LABELS = {"fmr_max_min_ratio": "False match rate, highest / lowest group",
               "fnmr_max_min_ratio": "False non-match rate, highest / lowest group",
               "fpir_max_min_ratio": "False positive identification rate, highest / lowest group",
               "fnir_max_min_ratio": "False negative identification rate, highest / lowest group",
               "garbe": "Gini aggregation rate for biometric equitability (GARBE)"}
# the compliance plan's sections: key -> title (M-25-21 §3(b)(ii) plan, the OMB template's headings in short)
PLAN_SECTIONS = {
    "governance": "1. AI governance",
    "inventory": "2. The use case inventory",
    "determinations": "3. Determining high-impact AI",
    "practices": "4. Minimum risk-management practices",
    "waivers": "5. Waivers",
    "genai": "6. Generative AI",
}


def _review(r: dict | None) -> str:
    if not r:
        return "Not opened"
    words = str(r["status"]).replace("_", " ")
    return f"{words} on {r['decided_on']}" if r.get("decided_on") else words


def fr_fc(year: int, generated_on: str, uses: list[dict]) -> Document:
    intro = Section("About this report", [
        f"This report covers the {len(uses)} face recognition and face capture uses in the department's inventory "
        f"that are in use or being developed, as of {generated_on}. DHS Directive 026-11 requires that each is tested "
        "for unintended bias before it is fielded and at least every three years, reviewed by the Privacy Office, "
        "the Office for Civil Rights and Civil Liberties and the Office of the Chief Information Officer, never used "
        "as the sole basis of an enforcement action, and that U.S. citizens may opt out of non-law-enforcement uses."],
        [Table("Uses by component", ["Component", "Uses"],
               [[c, str(n)] for c, n in sorted(_count(uses, "component").items())], chart=True)])
    sections = [intro]
    for u in uses:
        bt, ov = u["bias_test"], u["oversight"]
        paras = [f"Component: {u['component']}. Stage: {text(u['stage'])}.", f"Purpose: {text(u['purpose'])}"]
        tests = [["Latest bias test", text(bt["date"])], ["Outcome of its criteria", text(bt["run_outcome"])],
                 ["Next test due", text(u["next_test_due"]) + (" (overdue)" if u["test_overdue"] else "")]]
        tests += [[DIFF_LABELS[k], text(v)] for k, v in bt["differentials"].items()]
        reviews = [[REVIEW_TITLES[lane], _review(r)] for lane, r in u["reviews"].items()]
        stats = [["Decisions recorded", text(ov["recorded"])], ["Decisions refused by the rules", text(ov["refused"])],
                 ["Reviewed by a person", text(ov["reviewed"])], ["Overridden by the reviewer", text(ov["overrode"])],
                 ["Override rate", "Not applicable" if ov["override_rate"] is None else f"{ov['override_rate']:.1%}"]]
        other = [["U.S. citizens' opt-outs recorded", text(u["opt_outs"])], ["Retention", text(u["retention"])]]
        sections.append(Section(f"{u['name']} ({u['business_id']})", paras, [
            Table("Testing", ["Item", "Value"], tests), Table("Oversight reviews", ["Office", "Review"], reviews),
            Table(f"Human oversight in {year}", ["Item", "Value"], stats),
            Table("Opt-out and retention", ["Item", "Value"], other)]))
    return Document("fr-fc", year, f"{KINDS['fr-fc']}, {year}", f"Generated on {generated_on} from the AI governance platform.",
                    sections, {"uses": uses})


def _count(rows: list[dict], key: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in rows:
        out[r[key]] = out.get(r[key], 0) + 1
    return out


def _counts_table(caption: str, head: str, counts: dict[str, int], chart: bool = True) -> Table:
    return Table(caption, [head, "Use cases"], [[k, str(v)] for k, v in counts.items()], chart=chart)


def _practice_table(practices: dict[str, dict[str, int]]) -> Table:
    rows = []
    for comp, by in practices.items():
        done = by.get("done", 0) + by.get("waived", 0) + by.get("not_applicable", 0)
        total = sum(by.values())
        rows.append([comp, str(total), str(by.get("done", 0)), str(by.get("waived", 0)),
                     str(by.get("not_applicable", 0)), str(total - done), f"{done / total:.0%}" if total else "-"])
    return Table("Required minimum practices by component", ["Component", "Required", "Done", "Waived",
                 "Not applicable", "Open", "Met or closed"], rows)


def _waiver_table(waivers: list[dict]) -> Table:
    return Table("Waivers in force", ["Use case", "Component", "Practice waived", "Expires", "Public summary"],
                 [[f"{w['name']} ({w['business_id']})", w["component"], w["practice"], w["expires_on"], w["public_summary"]]
                  for w in waivers])


def inventory_summary(year: int, generated_on: str, inv: dict, practices: dict, waivers: list[dict],
                      call: dict | None) -> Document:
    call_text = ("No data call has been opened for this year." if call is None else
                 f"The {year} data call is {call['status']} (due {call['due_on']}); "
                 + (f"it was certified on {call['certified_on']} with {text(call['use_cases'])} use cases "
                    f"({text(call['public_use_cases'])} public), snapshot SHA-256 {call['snapshot_sha256']}."
                    if call.get("certified_on") else f"{call['components_certified']} components have certified."))
    sections = [
        Section("Overview", [f"As of {generated_on}, the department's inventory holds {inv['total']} active AI use cases "
                             f"({inv['drafts']} more are drafts). {inv['face_recognition']} use face recognition or face "
                             f"capture; {inv['genai']} use generative AI. {inv['awaiting_caio']} determinations await the "
                             "Chief AI Officer.", call_text]),
        Section("Use cases by component",
                tables=[_counts_table("Active use cases by component", "Component", inv["by_component"])]),
        Section("Use cases by stage", tables=[_counts_table("Active use cases by stage", "Stage", inv["by_stage"])]),
        Section("Use cases by determination",
                tables=[_counts_table("Active use cases by current determination", "Determination", inv["by_determination"])]),
        Section("Practice compliance", ["Each high-impact use case must apply the minimum risk-management practices "
                                        "of OMB M-25-21 or hold a waiver."], [_practice_table(practices)]),
        Section("Waivers", [f"{len(waivers)} waivers are in force."], [_waiver_table(waivers)]),
    ]
    return Document("inventory-summary", year, f"{KINDS['inventory-summary']}, {year}",
                    f"Generated on {generated_on} from the AI governance platform.", sections,
                    {"inventory": inv, "practices": practices, "waivers": waivers, "data_call": call})


def plan_draft(year: int, state: dict) -> dict[str, str]:
    """The platform's draft of each compliance plan section, from its state."""
    inv, gov, call = state["inventory"], state["governance"], state["data_call"]
    practices = state["practices"]
    total = sum(sum(v.values()) for v in practices.values())
    met = sum(v.get("done", 0) + v.get("waived", 0) + v.get("not_applicable", 0) for v in practices.values())
    return {
        "governance": (f"The Chief AI Officer's office ({gov['caio']} people hold the role, {gov['delegates']} delegates) "
                       f"leads AI governance. Use cases are reviewed in {len(gov['lanes'])} review lanes: "
                       f"{', '.join(gov['lanes'])}."),
        "inventory": (f"The inventory holds {inv['total']} active use cases across {len(inv['by_component'])} components, "
                      "collected through a yearly data call that each component's AI lead certifies before the Chief AI "
                      "Officer certifies the whole. "
                      + ("No data call is open for this year yet." if call is None
                         else f"The {year} data call is {call['status']}, due {call['due_on']}.")),
        "determinations": ("Every use case is screened against the policy packs and the Chief AI Officer determines "
                           "whether it is high-impact. Current determinations: "
                           + "; ".join(f"{k}: {v}" for k, v in inv["by_determination"].items()) + "."),
        "practices": (f"{met} of {total} required minimum practices are met, waived or not applicable; each is tracked "
                      "with its evidence, and a use case is not authorized until its practices are in place."),
        "waivers": (f"{len(state['waivers'])} waivers of minimum practices are in force; each is granted by the Chief AI "
                    "Officer in writing, re-certified yearly and reported to OMB within 30 days."),
        "genai": (f"{inv['genai']} use cases use generative AI. Prompts to approved tools are screened by the GenAI "
                  f"guard ({state['genai_tools']} tools are covered by the policy) before they leave the department."),
    }


def compliance_plan(year: int, generated_on: str, state: dict, edited: dict[str, str], final: bool) -> Document:
    draft = plan_draft(year, state)
    sections = [Section(title, [edited.get(key) or draft[key]], key=key) for key, title in PLAN_SECTIONS.items()]
    sections[1].tables.append(_counts_table("Active use cases by component", "Component", state["inventory"]["by_component"]))
    sections[2].tables.append(_counts_table("Active use cases by current determination", "Determination",
                                            state["inventory"]["by_determination"]))
    sections[3].tables.append(_practice_table(state["practices"]))
    sections[4].tables.append(_waiver_table(state["waivers"]))
    status = "Final" if final else "Draft"
    return Document("compliance-plan", year, f"{KINDS['compliance-plan']}, {year}",
                    f"{status}. Generated on {generated_on} from the AI governance platform.", sections,
                    {**state, "sections": {s.key: s.paragraphs[0] for s in sections}, "final": final})
