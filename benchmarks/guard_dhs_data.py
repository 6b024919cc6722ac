"""A seeded generator of labelled prompts holding DHS identifiers and markings, for benchmarks/guard_bench.py.

    python benchmarks/guard_dhs_data.py [--n 600] [--seed 16] > dhs.json

Each record has the presidio-research shape: {"full_text", "spans": [{"entity_type", "entity_value",
"start_position", "end_position"}], "template_id"}. Values follow the format rules of the research note
(guard-and-monitoring.md §A3): A-numbers with 7-9 digits in their written forms, I-94 numbers of both eras,
passport books and cards, SEVIS ids, SSNs valid by the SSA rules, dates of birth with a birth word, and CUI,
classification and legacy markings in banner, portion and inline positions. Templates also hold hard
negatives (9- and 11-digit order and tracking numbers, versions, ZIP+4, "secret"/"confidential" in prose,
French "les", the copyright sign (C), invalid SSNs) that must not be reported. The templates were written
from the rules, before the guard was run on them; they are not the detectors' own patterns.
"""

from __future__ import annotations

import argparse
import json
import random
import string

_FIRST = ["Maria", "Ahmed", "Li", "Olga", "Kwame", "Sofia", "Diego", "Aisha", "Tomasz", "Nguyen"]
_LAST = ["Garcia", "Haddad", "Wei", "Petrova", "Mensah", "Rossi", "Fernandez", "Khan", "Nowak", "Tran"]


def _d(r: random.Random, n: int) -> str:
    return "".join(r.choice(string.digits) for _ in range(n))


def a_number(r):
    digits = r.choice([7, 8, 9])
    num = _d(r, digits)
    if num[0] == "0" and digits < 9:
        num = "1" + num[1:]
    form = r.randrange(6)
    if form == 0:
        return f"A{num}"
    if form == 1:
        return f"A-{num}"
    if form == 2:
        return f"A#{num}"
    nine = num.zfill(9)
    if form == 3:
        return f"A{nine[:3]}-{nine[3:6]}-{nine[6:]}"
    if form == 4:
        return f"A {nine[:3]} {nine[3:6]} {nine[6:]}"
    return f"A0{num[-8:]}"


def i94(r):
    return _d(r, 9) + r.choice(string.ascii_uppercase) + _d(r, 1) if r.random() < 0.6 else _d(r, 11)


def passport(r):
    k = r.randrange(3)
    return ("C" + _d(r, 8)) if k == 0 else (r.choice("ABEFGHJKLMNPRSTUVWXYZ") + _d(r, 8)) if k == 1 else ("5" + _d(r, 8))


def sevis(r):
    return "N" + _d(r, 10)


def ssn(r):
    while True:
        area = r.randrange(1, 900)
        if area != 666:
            break
    sep = r.choice(["-", " "])
    return f"{area:03d}{sep}{r.randrange(1, 100):02d}{sep}{r.randrange(1, 10000):04d}"


def dob(r):
    y, m, d = r.randrange(1940, 2010), r.randrange(1, 13), r.randrange(1, 29)
    months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December"]
    return r.choice([f"{m:02d}/{d:02d}/{y}", f"{y}-{m:02d}-{d:02d}", f"{months[m - 1]} {d}, {y}", f"{d} {months[m - 1]} {y}"])


def cui_banner(r):
    return r.choice(["CUI", "CUI//SP-PRVCY", "CUI//SP-CTI", "CUI//PRVCY//NOFORN", "CUI//SP-SSI//FEDCON", "CUI//LEI/PRVCY",
                     "CUI//SP-IMM", "CONTROLLED"])


def cui_portion(r):
    return r.choice(["(CUI)", "(CUI//SP-PRVCY)", "(CUI//FEDCON)", "(CUI//LEI)"])


def class_banner(r):
    return r.choice(["SECRET", "TOP SECRET", "CONFIDENTIAL", "SECRET//NOFORN", "TOP SECRET//SI//NOFORN",
                     "SECRET//REL TO USA, FVEY", "CONFIDENTIAL//NOFORN"])


def class_portion(r):
    return r.choice(["(S)", "(TS)", "(S//NF)", "(TS//SI//NF)", "(S//REL TO USA, FVEY)", "(C//NF)"])


def legacy(r):
    return r.choice(["FOR OFFICIAL USE ONLY", "FOUO", "U//FOUO", "(U//FOUO)", "LAW ENFORCEMENT SENSITIVE", "U//LES",
                     "SENSITIVE BUT UNCLASSIFIED", "Sensitive Security Information", "(U//LES)", "FOUO-LES"])


GEN = {"A_NUMBER": a_number, "I94_NUMBER": i94, "US_PASSPORT": passport, "SEVIS_ID": sevis, "US_SSN": ssn,
       "DATE_OF_BIRTH": dob, "CUI_MARKING": cui_banner, "CUI_PORTION": cui_portion,
       "CLASSIFICATION_MARKING": class_banner, "CLASS_PORTION": class_portion, "LEGACY_MARKING": legacy}
TYPE_OF = {"CUI_PORTION": "CUI_MARKING", "CLASS_PORTION": "CLASSIFICATION_MARKING"}

# {X} is a labelled value of generator X; {name} a person (labelled PERSON); {n9}/{n11} hard negatives
TEMPLATES = [
    "Please check the status of case {A_NUMBER} for {name}; the hearing was moved.",
    "Beneficiary {name}, Alien Registration Number {A_NUMBER}, filed the I-485 in March.",
    "The EAD lists USCIS# {A_NUMBER} and the applicant's date of birth is {DATE_OF_BIRTH}.",
    "Summarize: subject entered at JFK, I-94 record {I94_NUMBER}, class of admission B-2.",
    "Admission number {I94_NUMBER} shows the traveler must depart by the end of the month.",
    "Traveler {name} presented passport {US_PASSPORT} at the port of entry.",
    "Her U.S. passport card number is {US_PASSPORT}; please verify it against the record.",
    "The student's SEVIS ID {SEVIS_ID} was terminated after the school reported a status violation.",
    "Draft an email about SEVIS record {SEVIS_ID} and the OPT end date.",
    "Employee SSN {US_SSN}, born {DATE_OF_BIRTH}, needs a benefits correction.",
    "Her social security number is {US_SSN}. Order {n9} shipped on time.",
    "DOB: {DATE_OF_BIRTH}. Tracking number {n11} was delivered.",
    "{CUI_MARKING}\nRewrite the following paragraph for a general audience: the review found gaps.\n{CUI_MARKING}",
    "{CUI_PORTION} The office will complete the privacy review by Friday.",
    "{CLASSIFICATION_MARKING}\nSummarize this cable for the deputy.\n{CLASSIFICATION_MARKING}",
    "{CLASS_PORTION} Reporting indicates the shipment left port early.",
    "This memo is marked {LEGACY_MARKING} and should be summarized in two lines.",
    "{LEGACY_MARKING}\nPlease shorten the attached incident summary.",
    "Translate to French: les agents ont terminé l'inspection; version 2.10.4 is installed.",
    "The secret to a good summary is brevity; keep the confidential parts out, please.",
    "(C) 2024 Example Corp. All rights reserved. Ship to ZIP 20528-0075 by invoice {n9}.",
    "Invalid numbers for the test fixture: 000-12-3456, 666-45-1234 and 123-00-4567.",
    "Call center ticket {n11} references passport renewal guidance in general terms.",
    "The A4 paper tray holds 500 sheets; model A1200 and build 123456789 are in stock.",
    "Applicant {name} (A-Number {A_NUMBER}) and spouse (passport {US_PASSPORT}) arrived with I-94 {I94_NUMBER}.",
    "{CUI_MARKING}\nApplicant {name}, A-file {A_NUMBER}, date of birth {DATE_OF_BIRTH}, SSN {US_SSN}.",
]


def record(r: random.Random, tid: int) -> dict:
    tpl = TEMPLATES[tid]
    text, spans, pos = "", [], 0
    while pos < len(tpl):
        i = tpl.find("{", pos)
        if i < 0:
            text += tpl[pos:]
            break
        text += tpl[pos:i]
        j = tpl.index("}", i)
        key = tpl[i + 1:j]
        if key == "name":
            value = f"{r.choice(_FIRST)} {r.choice(_LAST)}"
            spans.append({"entity_type": "PERSON", "entity_value": value,
                          "start_position": len(text), "end_position": len(text) + len(value)})
        elif key == "n9":
            value = "7" + _d(r, 8)
        elif key == "n11":
            value = "9" + _d(r, 10)
        else:
            value = GEN[key](r)
            spans.append({"entity_type": TYPE_OF.get(key, key), "entity_value": value,
                          "start_position": len(text), "end_position": len(text) + len(value)})
        text += value
        pos = j + 1
    return {"full_text": text, "spans": spans, "template_id": tid, "metadata": None}


def generate(n: int = 600, seed: int = 16) -> list[dict]:
    r = random.Random(seed)
    return [record(r, i % len(TEMPLATES)) for i in range(n)]


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=600)
    ap.add_argument("--seed", type=int, default=16)
    a = ap.parse_args()
    json.dump(generate(a.n, a.seed), __import__("sys").stdout, indent=1)
