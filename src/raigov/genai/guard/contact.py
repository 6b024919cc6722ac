"""Detectors of contact and personal details: phone number, e-mail address, IP address (v4 and v6), date of
birth (a date with a birth word nearby) and street address (number, street words, a USPS suffix, and the
unit, city, state and ZIP that may follow; a few European street forms)."""

from __future__ import annotations

import ipaddress

from raigov.genai.guard.engine import Doc, Finding, digits, rx

# ------------------------------------------------------------------ phone

_SEP = r"[-. ]"
_PHONE = rx(
    r"(?:\+?1" + _SEP + r"?)?(?:\([2-9]\d{2}\) ?|[2-9]\d{2}" + _SEP + r")[2-9]\d{2}" + _SEP + r"\d{4}"  # NANP, separated
    r"|\+\d{1,3}(?:[-. ]?\(\d{1,4}\))?(?:[-. ]?\d{1,5}){1,6}"  # international with +
    r"|\b00\d{1,3}(?:[-. ]\d{1,5}){2,6}"  # international with 00
    r"|\(0\d{1,5}\) ?\d{3,5}[-. ]?\d{3,5}|\b0\d{1,5}(?:[-. ]\d{2,5}){1,4}"  # national trunk-0 forms
    r"|\b\d{10}\b|\b\d{3}\.\d{4}\b|\b\d{3}-\d{4}\b"  # bare forms (with context only)
)
_EXT = rx(r"^ ?(?:[xX]|ext\.?|Ext\.?|extension) ?\d{1,6}\b", prefilter=False)
_PHONE_CONTEXT = rx(r"(?i)\b(?:phone|tel|telephone|mobile|cell|fax|call|contact|number|ph|ring|text|whatsapp|dial)\b")


def phone(doc: Doc) -> list[Finding]:
    """PHONE_NUMBER: a NANP number (NXX-NXX-XXXX, N = 2-9, optional +1, brackets, dots, dashes or spaces),
    an international number (+CC or 00CC and 8 to 15 digits), a national number with a trunk 0 and
    separators (needs a phone word), or a bare 10-digit / 7-digit number (needs a phone word). An
    extension (x123, ext. 123) is part of the span."""
    text = doc.text
    out = []
    for s, e in doc.find(_PHONE):
        raw = text[s:e]
        if s and (text[s - 1].isalnum() or text[s - 1] in "+-./"):
            continue
        x = _EXT.find_end(text[e:e + 16])  # an extension (x751, ext. 12) belongs to the number
        end = e + x
        if end < len(text) and (text[end].isalnum() or (text[end] in "-./" and end + 1 < len(text) and text[end + 1].isdigit())):
            continue
        n = len(digits(raw))
        context = doc.near(_PHONE_CONTEXT, s, e, before=40, after=0)
        if raw.startswith("+") or raw.startswith("00"):
            if not 8 <= n - (2 if raw.startswith("00") else 0) <= 15:
                continue
            conf = 0.8
        elif raw.startswith("(0") or raw.startswith("0"):
            groups = len([g for g in raw.replace("(", " ").replace(")", " ").replace("-", " ").replace(".", " ").split() if g])
            if not (9 <= n <= 12 and (context or groups >= 3)):
                continue  # a national number (trunk 0): with a phone word, or written in three groups or more
            conf = 0.6
        elif (n in (7, 10) and raw.isdigit()) or (n == 7 and len(raw) == 8):
            if not context:
                continue
            conf = 0.6
        else:
            conf = 0.85 if context else 0.75
        out.append(Finding("PHONE_NUMBER", s, end, "phone.nanp" if n in (10, 11) and
                           not raw.startswith(("+4", "+3", "+5", "+6", "+7", "+8", "+9", "00", "0")) else "phone.intl", conf))
    return out


# ------------------------------------------------------------------ e-mail

_EMAIL = rx(r"[A-Za-z0-9][A-Za-z0-9._%+'-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.)+[A-Za-z]{2,24}\b"
            r"|(?i)\b[a-z0-9][a-z0-9._%+-]{0,63} ?[\[(] ?at ?[\])] ?[a-z0-9-]{1,63}(?: ?[\[(] ?dot ?[\])] ?[a-z0-9-]{1,63})+")


def email(doc: Doc) -> list[Finding]:
    """EMAIL_ADDRESS: local@domain.tld (the top-level label 2 to 24 letters), and the usual obfuscations
    ``name [at] agency [dot] gov``, ``name (at) agency (dot) gov``."""
    text = doc.text
    out = []
    for s, e in doc.find(_EMAIL):
        if s and text[s - 1] in "._%+-'" :
            continue
        out.append(Finding("EMAIL_ADDRESS", s, e, "email.address" if "@" in text[s:e] else "email.obfuscated",
                           0.95 if "@" in text[s:e] else 0.8))
    return out


# ------------------------------------------------------------------ IP addresses

_IPV4 = rx(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
_IPV6 = rx(r"(?i)[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?:(?::|\b)\d{1,3}(?:\.\d{1,3}){3})?(?:%[0-9a-z]{1,16})?")


def ip_address(doc: Doc) -> list[Finding]:
    """IP_ADDRESS: dotted-quad IPv4 and the IPv6 forms (full, compressed with ::, with an embedded IPv4),
    each confirmed by Python's ``ipaddress``; an IPv4 inside a longer dotted run (a version number) is
    not one."""
    text = doc.text
    out = []
    for s, e in doc.find(_IPV4):
        if (s >= 2 and text[s - 1] == "." and text[s - 2].isdigit()) or (
                e + 1 < len(text) and text[e] == "." and text[e + 1].isdigit()):
            continue
        try:
            ipaddress.IPv4Address(text[s:e])
        except ValueError:
            continue
        out.append(Finding("IP_ADDRESS", s, e, "ip.v4", 0.9))
    for s, e in doc.find(_IPV6):
        cand = text[s:e]
        if cand.count(":") < 2 or (s and (text[s - 1].isalnum() or text[s - 1] == ":")):
            continue
        try:
            ipaddress.IPv6Address(cand)
        except ValueError:
            continue
        out.append(Finding("IP_ADDRESS", s, e, "ip.v6", 0.9))
    return out


# ------------------------------------------------------------------ date of birth

_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?"
          r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_DATE = rx(
    r"(?i)\b\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})\b"  # 03/14/1985, 14.03.85
    r"|\b(?:1[89]|20)\d{2}[/.-]\d{1,2}[/.-]\d{1,2}\b"  # 1985-03-14
    r"|\b" + _MONTH + r"\.? \d{1,2}(?:st|nd|rd|th)?,? (?:1[89]|20)\d{2}\b"  # March 14, 1985
    r"|\b\d{1,2}(?:st|nd|rd|th)? (?:of )?" + _MONTH + r"\.?,? (?:1[89]|20)\d{2}\b"  # 14 March 1985
)
_DOB_CONTEXT = rx(r"(?i)\b(?:dob|d\.o\.b\.?|date of birth|birth ?date|birthday|born|b\. ?day|birth)\b")


def date_of_birth(doc: Doc) -> list[Finding]:
    """DATE_OF_BIRTH: a date (numeric m/d/y, d.m.y, y-m-d, or with the month's name) with a birth word
    (DOB, date of birth, born, birthday, birthdate) within 40 characters before it. A date without one is
    not reported: an unlabelled date is low risk."""
    if not doc.has(_DOB_CONTEXT):
        return []
    return [Finding("DATE_OF_BIRTH", s, e, "dob.context", 0.85) for s, e in doc.find(_DATE)
            if doc.near(_DOB_CONTEXT, s, e, before=40, after=0)]


# ------------------------------------------------------------------ street address

_SUFFIX = (r"(?:street|st|avenue|ave|av|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|place|pl|terrace|ter|way|circle|cir"
           r"|parkway|pkwy|highway|hwy|square|sq|trail|trl|plaza|plz|alley|aly|crescent|cres|expressway|expy|freeway|fwy"
           r"|junction|jct|loop|path|pike|point|pt|ridge|rdg|row|run|turnpike|tpke|walk|crossing|xing|bend|grove|grv"
           r"|heights|hts|hill|hl|hollow|holw|landing|lndg|meadow|mdw|park|pass|pines|shore|shrs|springs|spgs|station|sta"
           r"|summit|smt|valley|vly|view|vw|village|vlg|cove|cv|creek|crk|estates|ests|gardens|gdns|glen|harbor|hbr"
           r"|isle|lake|lk|manor|mnr|mill|ml|mount|mt|orchard|oval|pointe|port|prairie|ranch|rnch|route|rte|spur|trace"
           r"|track|trak|vista|vis|close|mews|rise|wynd|green|gate|gardens)")
_STATES = (r"(?:A[LKZR]|C[AOT]|D[EC]|FL|GA|HI|I[DLNA]|K[SY]|LA|M[EDAINSOT]|N[EVHJMYCD]|O[HKR]|PA|RI|S[CD]|T[NX]|UT|V[TA]"
           r"|W[AVIY]|PR|GU|VI|AS|MP|AA|AE|AP)")
_ADDRESS = rx(
    r"\b\d{1,6}[A-Za-z]?(?:-\d{1,4})? (?:(?:[NSEW]|NE|NW|SE|SW|North|South|East|West)\.? )?"
    r"(?:(?:\d{1,3}(?:st|nd|rd|th)|\p{Lu}[\p{L}'.-]*) ){0,4}"
    r"(?:\d{1,3}(?:st|nd|rd|th)|\p{Lu}[\p{L}'.-]*) (?i:" + _SUFFIX + r")\b\.?"
    r"(?: (?:[NSEW]|NE|NW|SE|SW)\b\.?)?"
    r"(?:,? (?i:apt|apartment|suite|ste|unit|fl|floor|rm|room|bldg|building|#)\.? ?#? ?[A-Za-z0-9-]{1,6}\b)?"
    r"(?:,? \p{Lu}[\p{L}'.-]+(?: \p{Lu}[\p{L}'.-]+){0,3},? " + _STATES + r"\b(?:,? \d{5}(?:-\d{4})?\b)?)?"
    r"|(?i:\bp\.? ?o\.? box \d{1,6}\b)"
    r"|(?i:\b(?:unit|psc|cmr) \d{1,5},? box \d{1,5}\b(?:\s+(?:apo|fpo|dpo) a[aep] \d{5}\b)?)"  # U.S. military mail
    r"|\b(?:USNS|USS|USCGC) \p{Lu}[\p{L} ]{1,30}\s+(?:FPO|APO|DPO) A[AEP] \d{5}\b"
    r"|\b(?:Rue|Calle|C/|Via|Viale|Vicolo|Corso|Largo|Piazza|Piazzetta|Avenida|Avda\.|Rua|Plaza|Chemin|Carrer|Paseo|Avenue"
    r"|Boulevard|Ulica|ul\.)"
    r"(?: [\p{L}'.-]+){1,4},? \d{1,5}[a-zA-Z]?\b"
    r"|\b\p{Lu}[\p{Ll}-]*(?:straße|strasse|str\.|weg|gasse|platz|allee|ring|damm|laan|straat|gracht|plein|vej|gade|gatan"
    r"|vägen|veien|katu|tie|utca|ulica|út|gata|gade|graben|gasse|steig|pad) \d{1,5}[a-z]?\b"
)


def street_address(doc: Doc) -> list[Finding]:
    """STREET_ADDRESS: a house number, up to five street words and a USPS street suffix (Street, Ave, Blvd
    ...), with the directional, unit, city, state and ZIP that may follow; a P.O. box; and the European
    forms "Rue/Calle/Via ... 12" and "...straße/-weg/-laan/-vej/-gatan 12"."""
    return [Finding("STREET_ADDRESS", s, e, "address.street", 0.8) for s, e in doc.find(_ADDRESS)]


DETECTORS = (phone, email, ip_address, date_of_birth, street_address)
