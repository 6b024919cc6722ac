"""PERSON: person names from a name list, titles and cue words; no model.

The name list is the U.S. Census Bureau's 1990 name frequency files (public domain), as shipped by the
PyPI package ``names`` 0.3.0 (Trey Hunner, MIT licence): 1,219 male and 4,275 female first names and 88,799
surnames. Nothing is downloaded at run time; the files are read once, on first use.

Rules (each gives a span and a confidence):
- ``name.title``: a title (Mr, Ms, Dr, Officer ...) followed by one to three capitalised words;
- ``name.first_last``: a known first name followed by one to three capitalised words (middle initials
  allowed) that are not common words;
- ``name.cue``: a cue ("my name is", "Dear", "applicant", "Sincerely,") followed by capitalised words;
- ``name.first``: a known first name alone (not a common English word; lower confidence);
- ``name.context``: a name the context tells, whatever the lists say, when the word is a listed name or not an
  ordinary English word (SCOWL's list, data/english_words.txt.gz, built by scripts/build_guard_words.py): before a
  verb said of people ("... said", "... lives on", "... had given"), called by name at the start of a sentence
  ("Ana, can I ..."), after a relative or a role ("my son ...", "applicant ...", "beneficiary ...", "traveler
  ..."), after a credit ("directed by", "starring"), or owning what people own ("...'s address").
Expect recall to be limited for names outside the U.S. lists that no such context marks (docs/genai.md, "Limits").
"""

from __future__ import annotations

import functools
import gzip
import os
from importlib import resources

from raigov.genai.guard.engine import Doc, Finding, rx

# runs of capitalised words (O'Brien, Mary-Jane, initials "J.") and surname particles, separated by single
# spaces: one RE2 match per run, split into words in Python
_RUN = rx(r"\p{Lu}[\p{L}'’.-]*(?: (?:\p{Lu}[\p{L}'’.-]*|(?:van|von|de|der|den|da|di|del|della|la|le|du|bin|ibn|al)\b))*")
_TITLES = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "rev", "hon", "judge", "officer", "agent",
           "sgt", "capt", "lt", "col", "gen", "det", "mister", "madam", "professor", "doctor", "senator", "rep"}
_CUES = rx(r"(?i)(?:\bmy name is|\bname is|\bname:|\bnamed|\bdear|\bapplicant:?|\bsubject:?|\bpatient:?|\bemployee:?"
           r"|\bclient:?|\bsincerely,|\bregards,|\bsigned,?|\bsigned by|\bthis is|\bi am|\bi'm|\bcontact:?"
           r"|\bfrom:|\bto:|\battn:?)\s*$")
# cues strong enough that the next capitalised word is a name whatever the lists say
_STRONG_CUES = rx(r"(?i)(?:\bmy name is|\bname is|\bname:|\b(?:last|first|full|maiden|middle|family) name(?: is|:|\?)"
                  r"|\bsurname(?: is|:)|\bdear|\bsincerely,|\bregards,|\battn:?|\bsigned by|\bsays|\bsaid)\s*$")
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
ben los las el rio des
ask contact call tell email mail send thank meet let have get give make take pay visit invite inform notify remind help
sales support billing customer user manager director
"""
# surnames that are also ordinary words: they end a name after a first name (John Smith, Ann Young) but
# never start one
_WORD_SURNAMES = frozenset({"smith", "taylor", "miller", "carter", "baker", "cook", "walker", "turner", "parker",
                            "cooper", "mason", "porter", "hunter", "fisher", "young", "king", "price", "rice"})
COMMON = frozenset(_COMMON_WORDS.split()) - _WORD_SURNAMES
_NOT_NAME_START = COMMON | _WORD_SURNAMES
_STOP_AFTER = COMMON


# Surname endings of many languages (Slavic -ov/-ova/-ski/-wicz/-ović, Romanian -escu, Nordic -sson/-dóttir,
# Greek -poulos, Italian -ini/-elli/-ucci, Georgian -shvili/-dze, Ukrainian -enko/-chuk, Spanish -quez,
# Turkish -oğlu): a capitalised word of at least six letters ending so is read as a surname (general
# onomastics; the Census lists hold few of them).
_SURNAME_ENDINGS = ("ov", "ova", "ev", "eva", "sky", "ski", "ska", "skaya", "skiy", "wicz", "vich", "vić", "ović", "ovic",
                    "evic", "escu", "eanu", "sson", "dóttir", "dottir", "poulos", "akis", "idis", "ini", "elli", "etti",
                    "ucci", "shvili", "dze", "enko", "chuk", "czyk", "iak", "ová", "ský", "ská", "quez", "oglu", "oğlu",
                    "ovna", "evna", "ovich", "evich")


def surname_shaped(w: str) -> bool:
    return len(w) >= 6 and w.endswith(_SURNAME_ENDINGS)


@functools.cache
def name_lists() -> tuple[frozenset[str], frozenset[str]]:
    """(first names, surnames), lower case, from the ``names`` package's Census files."""
    import names  # the PyPI package "names" (MIT): U.S. Census 1990 name files

    folder = os.path.dirname(names.__file__)

    def read(fn: str) -> frozenset[str]:
        with open(os.path.join(folder, fn), encoding="ascii") as fh:
            return frozenset(line.split(None, 1)[0].lower() for line in fh if line.strip())

    return read("dist.male.first") | read("dist.female.first"), read("dist.all.last")


def _is_word(tok: str) -> bool:
    """A name-shaped word: capitalised with a lower-case letter (Smith, McDonald), an initial (J.) or a
    particle; not an acronym (SSN, CUI)."""
    return (len(tok) == 2 and tok[1] == ".") or tok in _PARTICLES or (tok[0].isupper() and not tok.isupper())


def _runs(doc: Doc) -> list[list[tuple[int, int, str]]]:
    """Runs of name-shaped words separated by single spaces, as (start, end, word); a word's final full
    stop (end of a sentence) is left out of its span unless it is an initial."""
    text = doc.text
    runs: list[list[tuple[int, int, str]]] = []
    for s, e in doc.find(_RUN):
        run: list[tuple[int, int, str]] = []
        pos = s
        for tok in text[s:e].split(" "):
            end = pos + len(tok)
            word = tok if len(tok) <= 2 else tok.rstrip(".")
            if word and _is_word(word):
                run.append((pos, pos + len(word), word))
            elif run:
                runs.append(run)
                run = []
            pos = end + 1
        if run:
            runs.append(run)
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


class _Surnames:
    """The Census surnames, and any surname-shaped word."""

    __slots__ = ("listed",)

    def __init__(self, listed: frozenset[str]):
        self.listed = listed

    def __contains__(self, w: str) -> bool:
        return w in self.listed or surname_shaped(w)


def person(doc: Doc, runs: list | None = None, unclaimed: list | None = None) -> list[Finding]:
    """PERSON spans by the list and shape rules of the module docstring. `runs`: ``_runs(doc)`` when the caller
    has it; `unclaimed`: a list to which the runs in which no name was found are added."""
    text = doc.text
    first, listed = name_lists()
    last = _Surnames(listed)
    out: list[Finding] = []
    for run in _runs(doc) if runs is None else runs:
        before = len(out)
        i = 0
        while i < len(run):
            s, _e, tok = run[i]
            w = _word(tok)
            if w in _PARTICLES or (len(tok) == 2 and tok.endswith(".")):
                i += 1
                continue
            title = (i > 0 and _word(run[i - 1][2]) in _TITLES) or (
                s >= 2 and text[s - 2] == "." and _title_before(text[max(0, s - 8):s]))
            initial = i + 2 < len(run) and len(run[i + 1][2]) <= 2 and run[i + 1][2][0].isupper() and (
                len(run[i + 1][2]) == 1 or run[i + 1][2][1] == ".")
            strong = w not in COMMON and _STRONG_CUES.search(text[max(0, s - 24):s])
            if w in _TITLES or not (title or initial or strong or w in first or w in last):
                i += 1
                continue
            j = _take(run, i)
            if initial and w not in COMMON and not title and _word(run[i + 2][2]) not in COMMON:
                # First I. Last (or First I Last): the shape of a name, whatever the lists say
                out.append(Finding("PERSON", s, run[j - 1][1], "name.initial", 0.8))
                i = j
                continue
            if title and w not in COMMON:
                out.append(Finding("PERSON", s, run[j - 1][1], "name.title", 0.9))
            elif strong:
                out.append(Finding("PERSON", s, run[j - 1][1], "name.cue", 0.8))
            elif w in first and w in COMMON and j - i >= 2 and _word(run[i + 1][2]) in last:
                out.append(Finding("PERSON", s, run[j - 1][1], "name.first_last", 0.7))  # Grace Hopper, Will Smith
            elif w in first and w not in _NOT_NAME_START and len(w) > 2:
                if j - i >= 2:
                    conf = 0.9 if _word(run[j - 1][2]) in last else 0.8
                    out.append(Finding("PERSON", s, run[j - 1][1], "name.first_last", conf))
                else:
                    out.append(Finding("PERSON", s, run[i][1], "name.first", 0.6))
            elif j - i >= 2 and w not in _NOT_NAME_START and _word(run[i + 1][2]) in last and _word(
                    run[i + 1][2]) not in COMMON and (not _sentence_start(text, s) or _word(run[i + 1][2]) in last.listed):
                # an unlisted first name before a surname (Nicodemus Ballesteros): a listed one at the start of
                # a sentence, a listed or surname-shaped one inside it
                out.append(Finding("PERSON", s, run[j - 1][1], "name.surname", 0.65))
            elif (w in first or w in last) and w not in COMMON and _CUES.search(text[max(0, s - 24):s]):
                out.append(Finding("PERSON", s, run[j - 1][1], "name.cue", 0.75))
            elif surname_shaped(w) and not _sentence_start(text, s):
                out.append(Finding("PERSON", s, run[j - 1][1], "name.surname_shape", 0.6))
            else:
                i += 1
                continue
            i = j
        if unclaimed is not None and len(out) == before:
            unclaimed.append(run)
    return out


def _sentence_start(text: str, s: int) -> bool:
    """Does the word at `s` start a sentence (text start, or after ". ", "! ", "? ", a line break)?"""
    k = s - 1
    while k >= 0 and text[k] in " \t\"'(":
        k -= 1
    return k < 0 or text[k] in ".!?\n:"


_TITLE_BEFORE = rx(r"(?i)\b(?:mr|mrs|ms|mx|dr|prof|rev|hon|sgt|capt|lt|col|gen|det)\.? $")


def _title_before(prev: str) -> bool:
    return _TITLE_BEFORE.search(prev)


@functools.cache
def english_words() -> frozenset[str]:
    """Ordinary English words, lower case (SCOWL via Debian's ``wamerican``: see data/SCOWL-LICENSE.txt)."""
    raw = resources.files("raigov.genai.guard").joinpath("data/english_words.txt.gz").read_bytes()
    return frozenset(gzip.decompress(raw).decode("ascii").split())


# verbs said of people, right after the name ("Ana said", "Ana lives on ...", "Ana had given")
_PERSON_VERB = rx(r"^ (?:said|says|told|tells|asked|asks|shouted|yelled|replied|answered|whispered|lives|lived"
                  r"|spent|began|wrote|married|died|smiled|laughed|cried|explained|admitted|insisted|thinks|thought"
                  r"|wants|wanted|believes|believed|feels|felt|(?:had|has) (?:given|told|asked|said)|was born)\b")
# called by name at the start of a sentence: "Ana, can I ...", "Ana, please ..."
_VOCATIVE = rx(r"^, (?:can|could|would|will|please|do|did|are|have|thank|thanks|how|what|when|where|why|I|we|you)\b")
# what people own: "Ana's address", "Ana's kid"
_OWNS = rx(r"^(?:'s|’s) (?:address|phone|number|email|e-mail|kid|kids|child|children|son|daughter|wife|husband|mother"
           r"|father|brother|sister|friend|family|birthday|name|passport|case|file|record|lawyer|attorney|doctor"
           r"|house|home|car|account|application|visa|employer|partner|parents)\b")
# the roles a name follows in forms and case notes ("applicant Ana", "Beneficiary Ana")
_ROLES = ("applicant", "beneficiary", "petitioner", "traveler", "traveller", "passenger", "detainee", "respondent",
          "claimant", "requester", "requestor", "sponsor", "defendant", "plaintiff", "witness", "victim", "suspect",
          "tenant", "inmate", "refugee", "asylee", "visitor", "employee", "patient", "client", "student")
_ROLE_WORDS = frozenset(_ROLES)
_ROLE_REACH = 8  # a role is looked for among the first words of a run of capitals only (a run may be very long)
_KIN = ("son", "daughter", "kid", "child", "wife", "husband", "mother", "father", "brother", "sister", "friend",
        "colleague", "partner", "boss", "neighbor", "neighbour", "cousin", "uncle", "aunt", "grandmother",
        "grandfather", "mom", "dad", "fiancé", "fiancée", "spouse")
# a relative, a role or a credit just before a name (found in one pass over the prompt: a name starts where one ends)
_BEFORE = rx(r"(?i)(?:\b(?:my|his|her|your|our|their) (?:" + "|".join(_KIN) + r")"
             r"|\b(?:" + "|".join(_ROLES) + r"):?"
             r"|\b(?:directed|written|produced|composed|performed|painted|sung|narrated|illustrated|edited"
             r"|translated|founded|created|designed|invented|photographed) by|\bstarring|\bfeaturing)\s")


def _never_alone(w: str, tok: str) -> bool:
    """A word that does not start a name: a particle, a title, a role, an initial."""
    return w in _PARTICLES or w in _TITLES or w.rstrip(":") in _ROLE_WORDS or (len(tok) == 2 and tok.endswith("."))


def _told(text: str, s: int, end: int, one_word: bool, befores: set[int]) -> bool:
    """Does the context say that the words from `s` to `end` name a person (a cheap test before each pattern)?"""
    after = text[end:end + 24]
    return (s in befores
            or (after[:1] == " " and after[1:2].islower() and _PERSON_VERB.search(after))
            or (after[:1] in "'’" and _OWNS.search(after))
            or (one_word and after[:2] == ", " and _VOCATIVE.search(after) and _sentence_start(text, s)))


def _eligible(w: str, first: frozenset[str], english: frozenset[str]) -> bool:
    """A word the context may make a name: a listed first name (Frank, Grace), or a word that is not an ordinary
    English word (He, Cool, Young are listed surnames too, but words first)."""
    return w in first or (w not in english and w not in COMMON and w not in _TITLES)


def context_names(doc: Doc, runs: list) -> list[Finding]:
    """``name.context`` spans (see the module docstring) in `runs`: the runs of capitals in which no other rule
    found a name (``person(..., unclaimed=)``)."""
    text = doc.text
    first, _ = name_lists()
    english = english_words()
    out: list[Finding] = []
    befores = {e for _, e in doc.find(_BEFORE)}
    for run in runs:
        if len(run) == 1:  # most runs: one word, and most are told apart by what follows them, the cheapest test
            s, end, tok = run[0]
            if tok.endswith(("'s", "’s")):  # Ana's address: the name without its 's
                end, tok = end - 2, tok[:-2]
            if not _told(text, s, end, True, befores):
                continue
            w = _word(tok)
            if _eligible(w, first, english) and not _never_alone(w, tok):
                out.append(Finding("PERSON", s, end, "name.context", 0.7))
            continue
        ws = [_word(t[2]) for t in run[:_ROLE_REACH + 5]]
        if not any(_eligible(x, first, english) for x in ws):
            continue
        # a name starts the run, or follows a role near its start ("Applicant Ana", "Beneficiary: Ana Lopez")
        for i in [0, *(i for i in range(1, min(len(run), _ROLE_REACH)) if ws[i - 1].rstrip(":") in _ROLE_WORDS)]:
            s, _, tok = run[i]
            if _never_alone(ws[i], tok):
                continue
            j = i + 1 if len(run) == i + 1 else _take(run, i)
            end = run[j - 1][1]
            words = ws[i:j]
            if run[j - 1][2].endswith(("'s", "’s")):
                end -= 2
                words = [*words[:-1], words[-1][:-2]]
            if (i > 0 or _told(text, s, end, j == 1, befores)) and any(_eligible(x, first, english) for x in words):
                out.append(Finding("PERSON", s, end, "name.context", 0.7))
                break
    return out


def person_all(doc: Doc) -> list[Finding]:
    """PERSON: the list and shape rules, then the context rule where they found nothing."""
    unclaimed: list = []
    found = person(doc, _runs(doc), unclaimed)
    return found + context_names(doc, unclaimed)


DETECTORS = (person_all,)
