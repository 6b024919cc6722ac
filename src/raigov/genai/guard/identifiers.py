"""Detectors of numbered identifiers: SSN and ITIN, A-number, I-94 admission number, U.S. passport book and
card, SEVIS id, payment card, bank account, ABA routing number, IBAN, driver's licence.

Each detector is a function ``(text) -> list[Finding]``: an RE2 pattern finds candidates, then the format
rules (docs/genai.md, "Types and rules"; research note guard-and-monitoring.md §A3) keep or drop each one.
Identifiers without a check digit and with a shape that many other numbers share (a bare 9-digit run, a
bank account) need a context word, matched as a whole word near the number.
"""

from __future__ import annotations

from raigov.genai.guard.engine import Doc, Finding, digits, luhn, rx

# ------------------------------------------------------------------ SSN / ITIN (SSA rules)

_SSN = rx(r"\b\d{3}-\d{2}-\d{4}\b|\b\d{3} \d{2} \d{4}\b|\b\d{9}\b")
_SSN_CONTEXT = rx(r"(?i)\b(?:ssn|ss#|ss ?no|social security|soc\.? ?sec\.?|ssa number|social)\b")
_ITIN_GROUPS = set(range(50, 66)) | set(range(70, 89)) | {90, 91, 92} | set(range(94, 100))
_SSN_EXAMPLES = {"078051120", "123456789", "219099999"}  # SSA: numbers used in advertising / misused


def ssn(doc: Doc) -> list[Finding]:
    """US_SSN: AAA-GG-SSSS with the same delimiter (dash or space) both times, or 9 digits with an SSN
    context word. Area 000 and 666, group 00 and serial 0000 are never issued. Area 9XX belongs to the
    IRS: a 9XX number whose group is an ITIN group is US_ITIN, any other 9XX is dropped."""
    text = doc.text
    out = []
    for s, e in doc.find(_SSN):
        raw = text[s:e]
        d = digits(raw)
        area, group, serial = int(d[:3]), int(d[3:5]), int(d[5:])
        if group == 0 or serial == 0 or area == 0 or area == 666 or d in _SSN_EXAMPLES:
            continue
        formatted = len(raw) == 11
        context = doc.near(_SSN_CONTEXT, s, e) or doc.near(_ITIN_CONTEXT, s, e)
        if not formatted and not context:
            continue
        if area >= 900:
            if group in _ITIN_GROUPS:
                out.append(Finding("US_ITIN", s, e, "itin.formatted" if formatted else "itin.context", 0.85))
            continue
        conf = 0.95 if context else 0.85
        out.append(Finding("US_SSN", s, e, "ssn.formatted" if formatted else "ssn.context", conf))
    return out


_ITIN_CONTEXT = rx(r"(?i)\b(?:itin|taxpayer identification|tax id|tin)\b")

# ------------------------------------------------------------------ DHS / State identifiers

_ANUM = rx(r"\bA(?:[-#]| ?# ?| )?(?:\d{7,9}|\d{3}[- ]\d{3}[- ]\d{3})\b|\ba[-#]\d{8,9}\b")
_ANUM_DIGITS = rx(r"\b\d{3}-\d{3}-\d{3}\b|\b\d{7,9}\b")
_ANUM_CONTEXT = rx(r"(?i)\b(?:a-?numbers?|a-?no\.?|a#|alien(?: registration)?(?: number| no\.?| #|s)?|uscis ?(?:#|no\.?|number)?"
                   r"|registration number)")


def a_number(doc: Doc) -> list[Finding]:
    """A_NUMBER (Alien Registration Number, "USCIS #"): "A" then 7 to 9 digits (A12345678, A-012345678,
    A# 123-456-789); or digits alone (7-9, or ###-###-###) with a context word (A-number, alien, USCIS)."""
    out = []
    for s, e in doc.find(_ANUM):
        # "A" and 8 digits is also a Next Generation passport's shape: a passport word and no A-number word
        # nearby leave it to the passport detector
        if e - s == 9 and doc.text[s + 1].isdigit() and doc.near(_PASSPORT_CONTEXT, s, e) and not doc.near(
                _ANUM_CONTEXT, s, e):
            continue
        out.append(Finding("A_NUMBER", s, e, "anumber.prefixed", 0.9))
    if not doc.has(_ANUM_CONTEXT):
        return out
    taken = [(f.start, f.end) for f in out]
    for s, e in doc.find(_ANUM_DIGITS):
        if any(a < e and s < b for a, b in taken):
            continue
        if doc.near(_ANUM_CONTEXT, s, e, before=40, after=0):
            out.append(Finding("A_NUMBER", s, e, "anumber.context", 0.8))
    return out


_I94 = rx(r"\b\d{9}[A-Z]\d\b|\b\d{11}\b")
_I94_CONTEXT = rx(r"(?i)\b(?:i-?94a?|admission(?: record)?(?: number| no\.?| #)?|arrival/departure|arrival-departure)\b")


def i94(doc: Doc) -> list[Finding]:
    """I94_NUMBER: 9 digits, a letter, a digit (CBP's format since May 2019: strong on its own), or 11
    digits (the older numeric form) with a context word (I-94, admission number, arrival/departure)."""
    text = doc.text
    out = []
    for s, e in doc.find(_I94):
        if text[s:e][9].isalpha():
            out.append(Finding("I94_NUMBER", s, e, "i94.alnum", 0.85 if not doc.near(_I94_CONTEXT, s, e) else 0.95))
        elif doc.near(_I94_CONTEXT, s, e):
            out.append(Finding("I94_NUMBER", s, e, "i94.context", 0.8))
    return out


_PASSPORT = rx(r"\b[A-Z]\d{8}\b|\b\d{9}\b")
_PASSPORT_CONTEXT = rx(r"(?i)\b(?:passports?|passport (?:no|number|card|book)|ppt|travel document)\b")


def passport(doc: Doc) -> list[Finding]:
    """US_PASSPORT: a letter and 8 digits (Next Generation book; "C" and 8 digits: the passport card) or
    9 digits (older books), always with a context word (passport, PPT, travel document; never "us")."""
    if not doc.has(_PASSPORT_CONTEXT):
        return []
    text = doc.text
    out = []
    for s, e in doc.find(_PASSPORT):
        if doc.near(_PASSPORT_CONTEXT, s, e):
            rule = "passport.card" if text[s:e][0] == "C" else "passport.book"
            out.append(Finding("US_PASSPORT", s, e, rule, 0.85))
    return out


_SEVIS = rx(r"\bN ?\d{10}\b")


def sevis(doc: Doc) -> list[Finding]:
    """SEVIS_ID: "N" followed by 10 digits (Student and Exchange Visitor Information System)."""
    return [Finding("SEVIS_ID", s, e, "sevis.id", 0.9) for s, e in doc.find(_SEVIS)]


# ------------------------------------------------------------------ payment card

_CARD = rx(
    r"\b\d{12,19}\b"
    r"|\b\d{4} \d{4} \d{4} \d{4} \d{3}\b|\b\d{4}-\d{4}-\d{4}-\d{4}-\d{3}\b"  # 19 digits in five groups (first)
    r"|\b\d{4} \d{4} \d{4} \d{1,7}\b|\b\d{4}-\d{4}-\d{4}-\d{1,7}\b"  # 4-4-4-x (13 to 19 digits)
    r"|\b\d{4} \d{6} \d{4,5}\b|\b\d{4}-\d{6}-\d{4,5}\b"  # Amex 4-6-5, Diners 4-6-4
    r"|\b\d{4} \d{4} \d{4}\b|\b\d{4}-\d{4}-\d{4}\b"  # 12-digit Maestro
)
_CARD_CONTEXT = rx(r"(?i)\b(?:card|credit|debit|visa|mastercard|master card|amex|american express|discover|jcb|diners"
                   r"|maestro|cc|ccn|pan)\b")


def _iin(d: str) -> bool:
    """Does `d` (digits only) begin with an issuer range of a current card network, at a length that
    network issues?"""
    n, p2, p3, p4, p6 = len(d), int(d[:2]), int(d[:3]), int(d[:4]), int(d[:6])
    return (
        (d[0] == "4" and n in (13, 16, 19))  # Visa
        or ((51 <= p2 <= 55 or 2221 <= p4 <= 2720) and n == 16)  # Mastercard
        or (p2 in (34, 37) and n == 15)  # American Express
        or ((p4 == 6011 or 644 <= p3 <= 649 or p2 == 65 or 622126 <= p6 <= 622925) and 16 <= n <= 19)  # Discover
        or (3528 <= p4 <= 3589 and 16 <= n <= 19)  # JCB
        or (p4 in (2131, 1800) and n == 15)  # JCB, older 15-digit
        or ((300 <= p3 <= 305 or p4 == 3095 or p2 in (36, 38, 39)) and 14 <= n <= 19)  # Diners Club
        or ((p2 == 50 or 56 <= p2 <= 69) and 12 <= n <= 19)  # Maestro and other 5/6 ranges
        or (p2 == 62 and 16 <= n <= 19)  # UnionPay
        or (2200 <= p4 <= 2204 and 16 <= n <= 19)  # Mir
    )


def credit_card(doc: Doc) -> list[Finding]:
    """CREDIT_CARD: 12 to 19 digits, grouped by spaces or dashes as cards print them, that pass the Luhn
    check and begin with a current issuer range (Visa, Mastercard incl. 2221-2720, Amex, Discover, JCB,
    Diners, Maestro, UnionPay, Mir). A card word nearby raises the confidence."""
    text = doc.text
    out = []
    for s, e in doc.find(_CARD):
        d = digits(text[s:e])
        if not (12 <= len(d) <= 19 and luhn(d) and _iin(d)):
            continue
        out.append(Finding("CREDIT_CARD", s, e, "card.luhn", 0.95 if doc.near(_CARD_CONTEXT, s, e) else 0.85))
    return out


# ------------------------------------------------------------------ bank account and routing number

_ACCOUNT = rx(r"\b\d{8,17}\b|\b\d{2,6}-\d{2,10}(?:-\d{1,6})?\b")
_ACCOUNT_CONTEXT = rx(r"(?i)\b(?:account|acct|acc|a/c|checking|savings|deposit|bank|iban|beneficiary)\b")
_ROUTING_CONTEXT = rx(r"(?i)\b(?:routing|aba|rtn|transit|ach|wire|bank)\b")


def aba_valid(d: str) -> bool:
    """The ABA routing number rules: 9 digits, a first pair of 00-12, 21-32, 61-72 or 80, and
    3·(d1+d4+d7) + 7·(d2+d5+d8) + (d3+d6+d9) ≡ 0 (mod 10)."""
    if len(d) != 9 or not d.isdigit():
        return False
    p = int(d[:2])
    if not (p <= 12 or 21 <= p <= 32 or 61 <= p <= 72 or p == 80):
        return False
    v = [int(c) for c in d]
    return (3 * (v[0] + v[3] + v[6]) + 7 * (v[1] + v[4] + v[7]) + v[2] + v[5] + v[8]) % 10 == 0


def bank(doc: Doc) -> list[Finding]:
    """ABA_ROUTING_NUMBER: 9 digits passing the ABA checksum with a routing word nearby (routing, ABA, RTN,
    transit, ACH, wire, bank). US_BANK_NUMBER: 8 to 17 digits (dashes allowed) with an account word nearby;
    there is no checksum, so never without context."""
    if not doc.has(_ROUTING_CONTEXT) and not doc.has(_ACCOUNT_CONTEXT):
        return []
    text = doc.text
    out = []
    for s, e in doc.find(_ACCOUNT):
        d = digits(text[s:e])
        if len(d) == 9 and d == text[s:e] and aba_valid(d) and doc.near(_ROUTING_CONTEXT, s, e):
            out.append(Finding("ABA_ROUTING_NUMBER", s, e, "aba.checksum", 0.9))
        elif 8 <= len(d) <= 17 and doc.near(_ACCOUNT_CONTEXT, s, e, before=40, after=0):
            out.append(Finding("US_BANK_NUMBER", s, e, "bank.context", 0.7))
    return out


# ------------------------------------------------------------------ IBAN (ISO 13616)

_IBAN = rx(r"(?i)\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
# total length per country (the SWIFT IBAN registry)
IBAN_LENGTH = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27, "BR": 29,
    "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
    "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
    "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28,
    "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20,
    "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25,
    "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27,
    "SO": 23, "ST": 25, "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}


def iban_valid(compact: str) -> bool:
    if IBAN_LENGTH.get(compact[:2]) != len(compact):
        return False
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def iban(doc: Doc) -> list[Finding]:
    """IBAN_CODE: country code, two check digits and the BBAN (groups of four may be spaced); the length
    must be the country's and the ISO 7064 mod-97 check must give 1. A valid IBAN may sit at the start of
    a longer match (a following word of capitals): the longest valid prefix is kept."""
    text = doc.text
    out = []
    for s, e in doc.find(_IBAN):

        raw = text[s:e].upper()  # written in lower case too
        want = IBAN_LENGTH.get(raw[:2])
        if want is None:
            continue
        count, cut = 0, None
        for i, ch in enumerate(raw):
            if ch != " ":
                count += 1
                if count == want:
                    cut = i + 1
                    break
        if cut is None or (cut < len(raw) and raw[cut] != " "):
            continue
        if iban_valid(raw[:cut].replace(" ", "")):
            out.append(Finding("IBAN_CODE", s, s + cut, "iban.mod97", 0.95))
    return out


# ------------------------------------------------------------------ driver's licence

# One token of 5 to 19 capitals, digits and "*" holding at least one digit: the shapes of the states'
# formats (1-2 letters and 4-14 digits, digits and a letter, "WDL..." and similar; data/dl_formats.yaml).
_DL = rx(r"\b[A-Z0-9*]{5,19}\b")
_DL_CONTEXT = rx(r"(?i)\b(?:driver'?s?|drivers|driving|operator'?s?) ?licen[cs]e|\bd/?l\b|\bdln\b|\bdl ?#"
                 r"|\blicen[cs]e ?(?:no|number|#)|\blic ?(?:no|#)")


def driver_license(doc: Doc) -> list[Finding]:
    """US_DRIVER_LICENSE: a token shaped like a state's licence number (at least one digit, 5-19 capitals,
    digits or "*") with a driver's-licence word nearby (driver's license, DL, DLN, license number). Without
    the context word the shapes match almost anything, so it is never reported alone."""
    if not doc.has(_DL_CONTEXT):
        return []
    text = doc.text
    out = []
    for s, e in doc.find(_DL):
        tok = text[s:e]
        if sum(map(str.isdigit, tok)) < 4:
            continue
        if doc.near(_DL_CONTEXT, s, e, before=40, after=0):
            out.append(Finding("US_DRIVER_LICENSE", s, e, "dl.context", 0.75))
    return out


DETECTORS = (ssn, a_number, i94, passport, sevis, credit_card, bank, iban, driver_license)
