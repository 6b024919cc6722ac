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
from bisect import bisect_left
from importlib import resources
from itertools import accumulate

from raigov.genai.guard.engine import Doc, Finding, rx

# runs of capitalised words (O'Brien, Mary-Jane, initials "J.") and surname particles, separated by single
# spaces: one RE2 match per run, split into words in Python
_RUN = rx(r"\p{Lu}[\p{L}'’.-]*(?: (?:\p{Lu}[\p{L}'’.-]*|(?:van|von|de|der|den|da|di|del|della|la|le|du|bin|ibn|al)\b))*",
          prefilter=False)
# the same on the folded text (engine._FoldTable: \x01 an upper-case letter, \x02 another letter, ’ as '), where a
# hit's offsets are code points: what _runs searches
_RUN_FOLDED = rx(r"[A-Z\x01][A-Za-z\x01\x02'.-]*(?: (?:[A-Z\x01][A-Za-z\x01\x02'.-]*"
                 r"|(?:van|von|de|der|den|da|di|del|della|la|le|du|bin|ibn|al)\b))*", prefilter=False)
_TITLES = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "rev", "hon", "judge", "officer", "agent",
           "sgt", "capt", "lt", "col", "gen", "det", "mister", "madam", "professor", "doctor", "senator", "rep"}
# Cues before a name. Each is found once per prompt (``Doc.ends``: one RE2 pass), ending with the spaces after
# it, so a cue stands before the word at `s` when a hit ends at `s` and starts at most _CUE_REACH code points
# before it (``_Cues``). A cue that another begins with comes after it ("signed by" before "signed").
_CUES = rx(r"(?i)(?:\bmy name is|\bname is|\bname:|\bnamed|\bdear|\bapplicant:?|\bsubject:?|\bpatient:?|\bemployee:?"
           r"|\bclient:?|\bsincerely,|\bregards,|\bsigned by|\bsigned,?|\bthis is|\bi am|\bi'm|\bcontact:?"
           r"|\bfrom:|\bto:|\battn:?)\s*")
# cues strong enough that the next capitalised word is a name whatever the lists say
_STRONG_CUES = rx(r"(?i)(?:\bmy name is|\bname is|\bname:|\b(?:last|first|full|maiden|middle|family) name(?: is|:|\?)"
                  r"|\bsurname(?: is|:)|\bdear|\bsincerely,|\bregards,|\battn:?|\bsigned by|\bsays|\bsaid)\s*")
_CUE_REACH = 24


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


_LONG_RUN = 8  # runs of more words are split with list-wide steps (cheaper per word, dearer per run)
# A name-shaped word (the test _runs writes out in each of its loops): capitalised with a lower-case letter (Smith,
# McDonald), an initial (J.) or a particle; not an acronym (SSN, CUI).


def _runs(doc: Doc, cues: _Cues | None = None) -> list[list[tuple[int, int, str, str]]]:
    """Runs of name-shaped words separated by single spaces, as (start, end, word, lower-case word); a word's
    final full stop (end of a sentence) is left out of its span unless it is an initial; a word that is not
    name-shaped (an acronym) ends its run.

    With `cues`, a run of one word (most runs: "The", "What", "Since", "Suite") is left out when nothing could make
    it a name: it is not a listed first name nor shaped like a surname, and no title, cue, relative, role or
    credit stands before it and no context word after it (what each rule of ``person`` and ``context_names``
    needs for one word: a listed surname alone is a name only after a title or a cue)."""
    text = doc.text
    runs: list[list[tuple[int, int, str, str]]] = []
    if cues is not None:
        first, cued_starts, cued_ends = cues.first, cues.cued_starts, cues.cued_ends
    for s, e in doc.find_folded(_RUN_FOLDED):
        seg = text[s:e]
        if " " not in seg:  # one word: most runs
            if len(seg) > 2:
                w = seg.rstrip(".")
                if w.isupper():
                    continue  # an acronym
                lw = w.lower()
                if "’" in lw:
                    lw = lw.replace("’", "'")
            elif len(seg) == 2 and seg[1] == ".":  # an initial
                w, lw = seg, seg[0].lower()
            elif seg.isupper():
                continue
            else:
                w, lw = seg, seg.lower()
            end = s + len(w)
            if cues is None or (lw in first or s in cued_starts or end in cued_ends or (s >= 2 and text[s - 2] == ".")
                                or (len(lw) >= 6 and lw.endswith(_SURNAME_ENDINGS))):
                runs.append([(s, end, w, lw)])
            continue
        toks = seg.split(" ")
        if len(toks) <= _LONG_RUN:
            run: list[tuple[int, int, str, str]] = []
            pos = s
            quote = "’" in seg
            for tok in toks:
                n = len(tok)
                w = tok.rstrip(".") if n > 2 else tok
                if (w[0].isupper() and not w.isupper()) or w in _PARTICLES or (len(w) == 2 and w[1] == "."):  # name-shaped
                    lw = w.lower().rstrip(".")
                    run.append((pos, pos + len(w), w, lw.replace("’", "'") if quote else lw))
                elif run:  # a word that is not name-shaped (an acronym) ends its run
                    runs.append(run)
                    run = []
                pos += n + 1
            if run:
                runs.append(run)
            continue
        # a long run (a heading in title case, or an attack): each step over all its words at once
        ws = [t if len(t) <= 2 else t.rstrip(".") for t in toks]
        lws = [x.rstrip(".") for x in map(str.lower, ws)]
        if "’" in seg:
            lws = [x.replace("’", "'") for x in lws]
        starts = list(accumulate([len(t) + 1 for t in toks[:-1]], initial=s))
        run = []
        shaped = [(len(w) == 2 and w[1] == ".") or w in _PARTICLES or (w[0].isupper() and not w.isupper()) for w in ws]
        for word, ok in zip(zip(starts, [a + len(w) for a, w in zip(starts, ws)], ws, lws), shaped):  # name-shaped
            if ok:
                run.append(word)
            elif run:
                runs.append(run)
                run = []
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
        w = run[j][3]
        if w in _STOP_AFTER or w in _TITLES:
            break
        if w in _PARTICLES:
            k = j
            while k < len(run) and run[k][3] in _PARTICLES:
                k += 1
            if k >= len(run):
                break
        j += 1
    while j - 1 > i and run[j - 1][3] in _PARTICLES:
        j -= 1
    return j


def person(doc: Doc, runs: list | None = None, unclaimed: list | None = None, cues: _Cues | None = None
           ) -> list[Finding]:
    """PERSON spans by the list and shape rules of the module docstring. `runs`: ``_runs(doc)`` when the caller
    has it; `unclaimed`: a list to which the runs in which no name was found are added.

    Most words of a prompt are not names: the tests that turn them away come first and cost a set look-up
    each; a word goes on to the rules below only when a list, a title, an initial or a cue speaks for it."""
    text = doc.text
    first, listed = name_lists()
    cues = cues or _Cues(doc)
    strong_cues, weak_cues = cues.strong, cues.weak
    endings = _SURNAME_ENDINGS
    out: list[Finding] = []
    for run in _runs(doc) if runs is None else runs:
        before = len(out)
        n = len(run)
        i = 0
        while i < n:
            s, _e, tok, w = run[i]
            if w in _PARTICLES or w in _TITLES or (len(tok) == 2 and tok[1] == "."):
                i += 1
                continue
            in_first = w in first
            in_last = w in listed or (len(w) >= 6 and w.endswith(endings))
            if not (in_first or in_last or s in strong_cues or (i > 0 and run[i - 1][3] in _TITLES)
                    or (s >= 2 and text[s - 2] == ".") or (i + 2 < n and (
                        len(run[i + 1][2]) == 1 or (len(run[i + 1][2]) == 2 and run[i + 1][2][1] == ".")))):
                i += 1  # no list, cue, title or initial speaks for it (what each test below needs first)
                continue
            common = w in COMMON
            strong = not common and strong_cues.get(s, -1) >= max(0, s - _CUE_REACH)
            title = (i > 0 and run[i - 1][3] in _TITLES) or (
                s >= 2 and text[s - 2] == "." and _title_before(text[max(0, s - 8):s]))
            nxt = run[i + 1][2] if i + 2 < n else ""
            initial = nxt != "" and len(nxt) <= 2 and nxt[0].isupper() and (len(nxt) == 1 or nxt[1] == ".")
            if not (title or initial or strong or in_first or in_last):
                i += 1
                continue
            j = _take(run, i)
            if initial and not common and not title and run[i + 2][3] not in COMMON:
                # First I. Last (or First I Last): the shape of a name, whatever the lists say
                out.append(Finding("PERSON", s, run[j - 1][1], "name.initial", 0.8))
                i = j
                continue
            second = run[i + 1][3] if j - i >= 2 else ""
            if title and not common:
                out.append(Finding("PERSON", s, run[j - 1][1], "name.title", 0.9))
            elif strong:
                out.append(Finding("PERSON", s, run[j - 1][1], "name.cue", 0.8))
            elif in_first and common and second and _surname(second, listed):
                out.append(Finding("PERSON", s, run[j - 1][1], "name.first_last", 0.7))  # Grace Hopper, Will Smith
            elif in_first and w not in _NOT_NAME_START and len(w) > 2:
                if second:
                    conf = 0.9 if _surname(run[j - 1][3], listed) else 0.8
                    out.append(Finding("PERSON", s, run[j - 1][1], "name.first_last", conf))
                else:
                    out.append(Finding("PERSON", s, run[i][1], "name.first", 0.6))
            elif second and w not in _NOT_NAME_START and _surname(second, listed) and second not in COMMON and (
                    not _sentence_start(text, s) or second in listed):
                # an unlisted first name before a surname (Nicodemus Ballesteros): a listed one at the start of
                # a sentence, a listed or surname-shaped one inside it
                out.append(Finding("PERSON", s, run[j - 1][1], "name.surname", 0.65))
            elif (in_first or in_last) and not common and weak_cues.get(s, -1) >= max(0, s - _CUE_REACH):
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


def _surname(w: str, listed: frozenset[str]) -> bool:
    """A Census surname, or a word shaped like a surname."""
    return w in listed or surname_shaped(w)


def _sentence_start(text: str, s: int) -> bool:
    """Does the word at `s` start a sentence (text start, or after ". ", "! ", "? ", a line break)?"""
    k = s - 1
    while k >= 0 and text[k] in " \t\"'(":
        k -= 1
    return k < 0 or text[k] in ".!?\n:"


_TITLE_BEFORE = rx(r"(?i)\b(?:mr|mrs|ms|mx|dr|prof|rev|hon|sgt|capt|lt|col|gen|det)\.? $", prefilter=False)


def _title_before(prev: str) -> bool:
    return _TITLE_BEFORE.search(prev)


@functools.cache
def english_words() -> frozenset[str]:
    """Ordinary English words, lower case (SCOWL via Debian's ``wamerican``: see data/SCOWL-LICENSE.txt)."""
    raw = resources.files("raigov.genai.guard").joinpath("data/english_words.txt.gz").read_bytes()
    return frozenset(gzip.decompress(raw).decode("ascii").split())


# What follows a name, found in one RE2 pass (each kind starts with its own character, so their hits never
# overlap): a verb said of people ("Ana said", "Ana lives on ...", "Ana had given"); a call by name at the start of a
# sentence ("Ana, can I ...", "Ana, please ..."); what people own ("Ana's address", "Ana's kid").
_PERSON_VERB = (r" (?:said|says|told|tells|asked|asks|shouted|yelled|replied|answered|whispered|lives|lived"
                r"|spent|began|wrote|married|died|smiled|laughed|cried|explained|admitted|insisted|thinks|thought"
                r"|wants|wanted|believes|believed|feels|felt|(?:had|has) (?:given|told|asked|said)|was born)\b")
_VOCATIVE = r", (?:can|could|would|will|please|do|did|are|have|thank|thanks|how|what|when|where|why|I|we|you)\b"
_OWNS = (r"(?:'s|’s) (?:address|phone|number|email|e-mail|kid|kids|child|children|son|daughter|wife|husband|mother"
         r"|father|brother|sister|friend|family|birthday|name|passport|case|file|record|lawyer|attorney|doctor"
         r"|house|home|car|account|application|visa|employer|partner|parents)\b")
_AFTER = rx("|".join((_PERSON_VERB, _VOCATIVE, _OWNS)))
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


def _eligible(w: str, first: frozenset[str], english: frozenset[str]) -> bool:
    """A word the context may make a name: a listed first name (Frank, Grace), or a word that is not an ordinary
    English word (He, Cool, Young are listed surnames too, but words first)."""
    return w in first or (w not in english and w not in COMMON and w not in _TITLES)


class _Cues:
    """What the prompt says around its runs of capitals, each cue found once per prompt (one RE2 pass each)."""

    __slots__ = ("after", "befores", "cued_ends", "cued_starts", "first", "listed", "strong", "text", "weak")

    def __init__(self, doc: Doc):
        self.text = doc.text
        self.first, self.listed = name_lists()
        self.strong = doc.ends(_STRONG_CUES)  # a strong cue ends where a name starts
        self.weak = doc.ends(_CUES)  # and so does a cue
        self.befores = doc.ends(_BEFORE)  # so does a relative, a role or a credit
        self.after = doc.starts(_AFTER)  # a verb, a comma or an "'s" after a name starts where it ends
        # where a cue of any kind ends (a name may start there), and where a name may end before a context word
        # (there, or before its "'s")
        self.cued_starts = {*self.strong, *self.weak, *self.befores}
        self.cued_ends = {*self.after, *(p + 2 for p in self.after)}

    def told(self, s: int, end: int, one_word: bool) -> bool:
        """Does the context say that the words from `s` to `end` name a person?"""
        if s in self.befores:
            return True
        after = self.text[end:end + 2]
        c = after[:1]
        # the hit's first character tells its kind: " " a verb, "'" or "’" a possession, ", " a call by name
        return end in self.after and (c != "," or (one_word and after == ", " and _sentence_start(self.text, s)))


def context_names(doc: Doc, runs: list, cues: _Cues | None = None) -> list[Finding]:
    """``name.context`` spans (see the module docstring) in `runs`: the runs of capitals in which no other rule
    found a name (``person(..., unclaimed=)``)."""
    if not runs:
        return []
    english = english_words()
    ctx = cues or _Cues(doc)
    first, befores = ctx.first, ctx.befores
    # where a context word starts right after a name: a run none of whose words ends at one of these (or 2 before,
    # for "'s"), that does not start after a relative, a role or a credit and has no role in it, is not told
    after = sorted(ctx.after)
    out: list[Finding] = []
    for run in runs:
        s = run[0][0]
        if s not in befores:
            k = bisect_left(after, s)
            if (k == len(after) or after[k] > run[-1][1]) and (
                    len(run) == 1 or _ROLE_WORDS.isdisjoint([t[3].rstrip(":") for t in run[:_ROLE_REACH - 1]])):
                continue
        if len(run) == 1:  # most runs: one word, and most are told apart by what follows them, the cheapest test
            s, end, tok, w = run[0]
            if tok.endswith(("'s", "’s")):  # Ana's address: the name without its 's
                end, tok = end - 2, tok[:-2]
                w = _word(tok)
            if ctx.told(s, end, True) and _eligible(w, first, english) and not _never_alone(w, tok):
                out.append(Finding("PERSON", s, end, "name.context", 0.7))
            continue
        ws = [t[3] for t in run[:_ROLE_REACH + 5]]
        if not any(_eligible(x, first, english) for x in ws):
            continue
        # a name starts the run, or follows a role near its start ("Applicant Ana", "Beneficiary: Ana Lopez")
        for i in [0, *(i for i in range(1, min(len(run), _ROLE_REACH)) if ws[i - 1].rstrip(":") in _ROLE_WORDS)]:
            s, _, tok, _ = run[i]
            if _never_alone(ws[i], tok):
                continue
            j = i + 1 if len(run) == i + 1 else _take(run, i)
            end = run[j - 1][1]
            words = ws[i:j]
            if run[j - 1][2].endswith(("'s", "’s")):
                end -= 2
                words = [*words[:-1], words[-1][:-2]]
            if (i > 0 or ctx.told(s, end, j == 1)) and any(_eligible(x, first, english) for x in words):
                out.append(Finding("PERSON", s, end, "name.context", 0.7))
                break
    return out


def person_all(doc: Doc) -> list[Finding]:
    """PERSON: the list and shape rules, then the context rule where they found nothing."""
    cues = _Cues(doc)
    runs = _runs(doc, cues)
    if not runs:
        return []
    unclaimed: list = []
    found = person(doc, runs, unclaimed, cues)
    return found + context_names(doc, unclaimed, cues) if unclaimed else found


DETECTORS = (person_all,)
