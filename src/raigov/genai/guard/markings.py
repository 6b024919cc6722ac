"""Detectors of markings: CUI banners and portion marks (32 CFR 2002, the NARA CUI Registry), classification
banners and portion marks (E.O. 13526, CAPCO grammar), and DHS legacy markings (FOUO, LES, SBU, SSI ...).

Markings are matched by their shape, not by the bare word: "secret" and "confidential" in prose are
common, so a classification level counts only in upper case as a banner (a line of its own), before
"//", or as a portion mark in brackets. Short legacy forms (LES, SBU, SSI) count only with "//" or in
brackets; the long phrases ("FOR OFFICIAL USE ONLY") count anywhere, in any case.
"""

from __future__ import annotations

import functools
from importlib import resources

import yaml

from raigov.genai.guard.engine import Doc, Finding, rx

_LEVEL = r"(?:TOP SECRET|SECRET|CONFIDENTIAL)"
_CONTROLS = r"(?://? ?[A-Z0-9][A-Z0-9 ,/-]{0,80})?"
_CLASS = rx(
    r"(?m)^[ \t]*" + _LEVEL + _CONTROLS + r"[ \t]*$"  # a banner line of its own
    r"|\b" + _LEVEL + r"//[A-Z][A-Z0-9 ,/-]{0,80}"  # LEVEL//controls anywhere
    r"|\((?:TS|S|C)//[A-Z][A-Z0-9 ,/-]{0,60}\)"  # (S//NF), (TS//SI//NOFORN)
    r"|(?m)^[ \t]*\((?:TS|S)\)[ \t]"  # (TS) / (S) portion mark starting a paragraph
    r"|(?m)^[ \t]*\(C\)[ \t]+\p{Lu}[^\n]{0,40}(?:\bclassified\b|\bsecret\b|\bNOFORN\b)"  # (C) only with more signs
    r"|\b(?:NOFORN|ORCON|IMCON|RELIDO|FVEY)\b"  # dissemination controls of classified text
    r"|(?i:\bclassified by:|\bderived from:|\bdeclassify on:)"  # the classification authority block
)
_CUI = rx(
    r"(?m)^[ \t]*(?:CUI|CONTROLLED)(?://[A-Z0-9][A-Z0-9 ,/-]{0,80})?[ \t]*$"  # banner line
    r"|\b(?:CUI|CONTROLLED)//[A-Z][A-Z0-9 ,/-]{0,80}"  # CUI//SP-PRVCY anywhere
    r"|\(CUI(?://[A-Z][A-Z0-9 ,/-]{0,60})?\)"  # portion mark (CUI), (CUI//SP-PRVCY)
    r"|(?mi)^[ \t]*(?:CUI Category|Distribution/Dissemination Control|Dissemination Control|Limited Dissemination Control)[ \t]*:"
    r"|\bSP-[A-Z]{2,10}\b"  # a CUI Specified category marking
)
_LEGACY = rx(
    r"(?i)\bfor official use only\b|\blaw enforcement sensitive\b|\bsensitive but unclassified\b"
    r"|\bsensitive security information\b|\bprotected critical infrastructure information\b"
    r"|\bchemical-terrorism vulnerability information\b|\blimited official use\b|\bDEA sensitive\b"
    r"|\bFOUO\b|\bU ?// ?(?:FOUO|LES|SBU|SSI|LOU|OUO)\b|\bFOUO-LES\b|\bLES-FOUO\b"
    r"|\((?:U//)?(?:FOUO|LES|SBU|SSI|LOU|OUO|U//FOUO)\)|//(?:LES|SBU|SSI|LOU)\b"
)


@functools.cache
def vocabulary() -> tuple[frozenset[str], frozenset[str]]:
    """(CUI category codes, limited dissemination controls) from data/cui.yaml."""
    data = yaml.safe_load(resources.files("raigov.genai.guard").joinpath("data/cui.yaml").read_text(encoding="utf-8"))
    return frozenset(str(c) for c in data["categories"]), frozenset(str(c) for c in data["ldc"])


def _known_cui(marking: str) -> bool:
    """Do the categories and controls after "CUI//" all come from the registry list?"""
    cats, ldc = vocabulary()
    parts = [p.strip() for chunk in marking.split("//")[1:] for p in chunk.split("/") if p.strip()]
    return bool(parts) and all(p.removeprefix("SP-") in cats or p in ldc or p.startswith("REL TO") for p in parts)


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s] in " \t":
        s += 1
    while e > s and text[e - 1] in " \t,/-":
        e -= 1
    return s, e


def classification(doc: Doc) -> list[Finding]:
    """CLASSIFICATION_MARKING: banners (TOP SECRET, SECRET//NOFORN, TOP SECRET//SI//NOFORN on a line of
    their own or followed by "//"), portion marks ((TS), (S), (S//NF); (C) only with further signs, as
    "(C)" is also the copyright sign), dissemination controls of classified text (NOFORN, ORCON, IMCON,
    RELIDO) and the classification authority block (Classified By:, Derived From:, Declassify On:)."""
    text = doc.text
    out = []
    for s, e in doc.find(_CLASS):
        s, e = _trim(text, s, e)
        raw = text[s:e]
        rule = ("classification.portion" if raw.startswith("(") else "classification.control"
                if raw.split("/")[0].strip() in ("NOFORN", "ORCON", "IMCON", "RELIDO", "FVEY")
                else "classification.authority" if raw.endswith(":") else "classification.banner")
        out.append(Finding("CLASSIFICATION_MARKING", s, e, rule, 0.95))
    return out


def cui(doc: Doc) -> list[Finding]:
    """CUI_MARKING: the banner (CUI or CONTROLLED, alone on a line or followed by "//" categories and
    controls), portion marks ((CUI), (CUI//SP-PRVCY)), SP- category markings, and the labels of the DoD
    designation indicator (CUI Category:, Dissemination Control:). Confidence 0.99 when every category
    and control after "//" is in the registry list (data/cui.yaml), 0.9 otherwise."""
    text = doc.text
    out = []
    for s, e in doc.find(_CUI):
        s, e = _trim(text, s, e)
        raw = text[s:e].strip("()")
        if raw.startswith("SP-"):
            if raw[3:] not in vocabulary()[0]:
                continue
            rule = "cui.category"
        elif raw.endswith(":"):
            rule = "cui.designation"
        else:
            rule = "cui.portion" if text[s] == "(" else "cui.banner"
        conf = 0.99 if "//" in raw and _known_cui(raw) else 0.9
        out.append(Finding("CUI_MARKING", s, e, rule, conf))
    return out


def legacy(doc: Doc) -> list[Finding]:
    """LEGACY_MARKING: DHS and other pre-CUI markings: FOR OFFICIAL USE ONLY / FOUO (DHS MD 11042.1),
    LAW ENFORCEMENT SENSITIVE / LES, SENSITIVE BUT UNCLASSIFIED / SBU, SENSITIVE SECURITY INFORMATION
    (49 CFR 1520), PCII, CVI, LIMITED OFFICIAL USE, DEA Sensitive; short forms only as U//LES, (LES),
    //SBU, FOUO-LES."""
    return [Finding("LEGACY_MARKING", s, e, "legacy.marking", 0.95) for s, e in doc.find(_LEGACY)]


DETECTORS = (classification, cui, legacy)
