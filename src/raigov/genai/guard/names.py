"""PERSON: person names from a name list, titles and cue words; no model.

The name list is the U.S. Census Bureau's 1990 name frequency files (public domain), as shipped by the
PyPI package ``names`` 0.3.0 (Trey Hunner, MIT licence): 1,219 male and 4,275 female first names and 88,799
surnames. Nothing is downloaded at run time; the files are read once, on first use.

Rules (each gives a span and a confidence):
- ``name.title``: a title (Mr, Ms, Dr, Officer ...) followed by one to three capitalised words;
- ``name.first_last``: a known first name followed by one to three capitalised words (middle initials
  allowed) that are not common words;
- ``name.cue``: a cue ("my name is", "Dear", "applicant", "Sincerely,") followed by capitalised words;
- ``name.first``: a known first name alone (not a common English word; lower confidence).
Expect recall to be limited for names outside the U.S. lists (docs/genai.md, "Limits").
"""

from __future__ import annotations

import functools
import os

from raigov.genai.guard.engine import Doc, Finding, rx

# capitalised words (with O'Brien, Mary-Jane), initials "J." and the particles of surnames
_TOKEN = rx(r"\p{Lu}[\p{Ll}'’]*\p{Ll}(?:-\p{Lu}\p{Ll}+)?|\b\p{Lu}\."
            r"|\b(?:van|von|de|der|den|da|di|del|della|la|le|du|bin|ibn|al)\b")
_TITLES = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "rev", "hon", "judge", "officer", "agent",
           "sgt", "capt", "lt", "col", "gen", "det", "mister", "madam", "professor", "doctor", "senator", "rep"}
_CUES = rx(r"(?i)(?:\bmy name is|\bname is|\bname:|\bnamed|\bdear|\bapplicant:?|\bsubject:?|\bpatient:?|\bemployee:?"
           r"|\bclient:?|\bsincerely,|\bregards,|\bsigned,?|\bsigned by|\bthis is|\bi am|\bi'm|\bcontact:?"
           r"|\bfrom:|\bto:|\battn:?)\s*$")
_PARTICLES = {"van", "von", "de", "der", "den", "da", "di", "del", "della", "la", "le", "du", "bin", "ibn", "al"}

# Capitalised words that are first names or surnames in the lists but far more often ordinary words
# (months, days, virtues, flowers, verbs at the start of a sentence, address and organisation words).
_COMMON_WORDS = """
january february march april may june july august september october november december monday tuesday wednesday
thursday friday saturday sunday spring summer autumn winter will mark bill art grace hope faith joy rose lily iris
dawn ray guy jack frank rich sandy pat carol chase drew gene max miles norm penny ruby sky stone young king page
christian love major royal sterling bob sunny chance lane glen dale wade cliff dusty rusty misty stormy honey ginger
candy cherry amber jade crystal pearl ivy holly heather violet daisy jasmine olive fern hazel ebony melody harmony
charity patience prudence mercy trinity destiny unique precious angel star rain golden august noble earnest
price rice street avenue road boulevard drive court place lane way circle park bank university college school
hospital county city state states united north south east west new old saint san santa fort port lake mount
the this that these those there here then when where what which who why how and but for not all any our your
his her their its you we they she he please thanks thank hello hi dear yes no ok okay note see also per via
department security homeland national federal office agency service services center centre group team inc llc
corp company limited ltd bureau division unit section program project system data information report
don doctor professor judge officer agent president general major captain sergeant lieutenant colonel
ben
"""
# surnames that are also ordinary words: they end a name after a first name (John Smith, Ann Young) but
# never start one
_WORD_SURNAMES = frozenset({"smith", "taylor", "miller", "carter", "baker", "cook", "walker", "turner", "parker",
                            "cooper", "mason", "porter", "hunter", "fisher", "young", "king", "price", "rice"})
COMMON = frozenset(_COMMON_WORDS.split()) - _WORD_SURNAMES
_NOT_NAME_START = COMMON | _WORD_SURNAMES
_STOP_AFTER = COMMON


@functools.cache
def name_lists() -> tuple[frozenset[str], frozenset[str]]:
    """(first names, surnames), lower case, from the ``names`` package's Census files."""
    import names  # the PyPI package "names" (MIT): U.S. Census 1990 name files

    folder = os.path.dirname(names.__file__)

    def read(fn: str) -> frozenset[str]:
        with open(os.path.join(folder, fn), encoding="ascii") as fh:
            return frozenset(line.split(None, 1)[0].lower() for line in fh if line.strip())

    return read("dist.male.first") | read("dist.female.first"), read("dist.all.last")


def _runs(doc: Doc) -> list[list[tuple[int, int, str]]]:
    """Runs of capitalised words, initials and particles separated by single spaces."""
    text = doc.text
    runs: list[list[tuple[int, int, str]]] = []
    last_end = -2
    for s, e in doc.find(_TOKEN):
        if runs and s == last_end + 1 and text[last_end] == " ":
            runs[-1].append((s, e, text[s:e]))
        else:
            runs.append([(s, e, text[s:e])])
        last_end = e
    return runs


def _word(tok: str) -> str:
    return tok.lower().rstrip(".").replace("’", "'")


def _take(run, i: int, limit: int = 4) -> int:
    """The index after the name that starts at run[i]: up to `limit` further words that are not common
    words; a particle counts only when a capitalised word follows it."""
    j = i + 1
    while j < len(run) and j - i <= limit:
        w = _word(run[j][2])
        if w in _STOP_AFTER or w in _TITLES:
            break
        if w in _PARTICLES:
            k = j
            while k < len(run) and _word(run[k][2]) in _PARTICLES:
                k += 1
            if k >= len(run):
                break
        j += 1
    while j - 1 > i and _word(run[j - 1][2]) in _PARTICLES:
        j -= 1
    return j


def person(doc: Doc) -> list[Finding]:
    """PERSON spans by the rules of the module docstring."""
    text = doc.text
    first, last = name_lists()
    out: list[Finding] = []
    for run in _runs(doc):
        i = 0
        while i < len(run):
            s, _e, tok = run[i]
            w = _word(tok)
            if w in _PARTICLES or (len(tok) == 2 and tok.endswith(".")):
                i += 1
                continue
            prev = text[max(0, s - 24):s]
            title = (i > 0 and _word(run[i - 1][2]) in _TITLES) or _title_before(prev)
            if w in _TITLES:
                i += 1
                continue
            j = _take(run, i)
            if title and w not in COMMON:
                out.append(Finding("PERSON", s, run[j - 1][1], "name.title", 0.9))
            elif w in first and w in COMMON and j - i >= 2 and _word(run[i + 1][2]) in last:
                out.append(Finding("PERSON", s, run[j - 1][1], "name.first_last", 0.7))  # Grace Hopper, Will Smith
            elif w in first and w not in _NOT_NAME_START and len(w) > 2:
                if j - i >= 2:
                    conf = 0.9 if _word(run[j - 1][2]) in last else 0.8
                    out.append(Finding("PERSON", s, run[j - 1][1], "name.first_last", conf))
                else:
                    out.append(Finding("PERSON", s, run[i][1], "name.first", 0.6))
            elif _CUES.search(prev) and w not in COMMON and (w in first or w in last):
                out.append(Finding("PERSON", s, run[j - 1][1], "name.cue", 0.75))
            else:
                i += 1
                continue
            i = j
    return out


_TITLE_BEFORE = rx(r"(?i)\b(?:mr|mrs|ms|mx|dr|prof|rev|hon|sgt|capt|lt|col|gen|det)\.? $")


def _title_before(prev: str) -> bool:
    return _TITLE_BEFORE.search(prev)


DETECTORS = (person,)
