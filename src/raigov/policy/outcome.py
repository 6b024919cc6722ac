"""The screen's outcome and the use case's precedent. Pure.

Three outcomes (``OUTCOMES``), each explained:

- ``presumed``: a presumption category matched (or an earlier rights-, safety- or high-impact determination
  of the same use case flags it: its precedent), and no out-of-scope exclusion applies;
- ``insufficient_information``: nothing matched, but the answers that describe the use are missing or too
  short to read a category's context and function (``fields.SHORT_TEXT_WORDS``): ``reason`` names those
  answers and the categories that could apply (those a part of whose condition was seen, else every one);
- ``not_presumed``: nothing matched on a description long enough to be read (or an exclusion applies).

A **precedent** is the determination reported for the same use case before: a row of an earlier inventory
file (``History``: matched by id or by agency + normalised name, as the import matches) or, in the
database, an earlier revision or determination. M-24-10 determinations are mapped to M-25-21 through the
crosswalk (``precedent_for``): the categories the earlier row's own text shows under the M-24-10 pack are
mapped to their M-25-21 categories; one whose categories M-25-21 dropped entirely does not flag.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from raigov.inventory.formats import name_key, use_case_key
from raigov.policy import fields as F
from raigov.policy.crosswalk import map_items

OUTCOMES = ("presumed", "insufficient_information", "not_presumed")
PRESUMED, INSUFFICIENT, NOT_PRESUMED = OUTCOMES

# the determinations as reported (canonical catalogue answers), per year's form -> (framework, decision word)
REPORTED = {
    "rights-impacting": ("M-24-10", "rights-impacting"),
    "safety-impacting": ("M-24-10", "safety-impacting"),
    "both": ("M-24-10", "both"),
    "neither": ("M-24-10", "neither"),
    "high-impact": ("M-25-21", "high-impact"),
    "presumed high-impact, but not high-impact": ("M-25-21", "presumed-not-high-impact"),
    "not high-impact": ("M-25-21", "not-high-impact"),
}
# decisions that flag a later screen: the use was rights-/safety-impacting, or presumed high-impact
FLAGGING = {"rights-impacting", "safety-impacting", "both", "high-impact", "presumed-not-high-impact"}
PACK_OF_FRAMEWORK = {"M-24-10": "omb-m-24-10", "M-25-21": "omb-m-25-21"}
YEAR_OF_SCHEMA = {"2025": 2025, "2024": 2024, "2023": 2023}

# plain words for the describing answers (the reason names them)
ANSWER_WORDS = {
    "problem_solved": "the problem the AI solves", "benefits": "the expected benefits",
    "system_outputs": "what the AI produces", "11_purpose_benefits": "the purpose and expected benefits",
    "12_outputs": "what the AI produces", "Summary": "the summary",
}


@dataclass
class Precedent:
    """A determination reported for the same use case before."""

    year: int | None
    framework: str  # M-24-10 | M-25-21
    determination: str  # decision word (rights-impacting, high-impact, neither, ...)
    source: str  # a file name, or "revision N" / "determination" in the database
    categories: list[str] = field(default_factory=list)  # the earlier pack's categories the earlier text shows
    mapped: list[str] = field(default_factory=list)  # those categories in the current pack (crosswalk)
    dropped: bool = False  # every category shown was dropped by the newer memo: the precedent does not flag

    @property
    def flags(self) -> bool:
        return self.determination in FLAGGING and not self.dropped

    def as_dict(self) -> dict:
        return {"year": self.year, "framework": self.framework, "determination": self.determination,
                "source": self.source, "categories": list(self.categories), "mapped": list(self.mapped),
                "flags": self.flags}

    def words(self) -> str:
        when = f"in {self.year}" if self.year else "before"
        return f"reported {self.determination} {when} ({self.framework}; {self.source})"


def reported_decision(values: dict, schema: str) -> tuple[str, str] | None:
    """(framework, decision) of the determination a row reports, or None (2023 forms report none)."""
    fld = F.DETERMINATION_FIELD.get(schema)
    v = values.get(fld) if fld else None
    if not isinstance(v, str):
        return None
    return REPORTED.get(" ".join(v.split()).casefold())


def precedent_for(pack, framework: str, decision: str, *, year: int | None, source: str,
                  old_categories: list[str] | None = None) -> Precedent:
    """A precedent for a screen under ``pack``: categories of another framework mapped through the crosswalk."""
    prec = Precedent(year=year, framework=framework, determination=decision, source=source,
                     categories=list(old_categories or []))
    old_pack = PACK_OF_FRAMEWORK.get(framework)
    if old_pack == pack.id or not prec.categories:
        prec.mapped = list(prec.categories) if old_pack == pack.id else []
        return prec
    mapped: list[str] = []
    for c in prec.categories:
        mapped.extend(t for t in map_items(pack, old_pack, c) if t not in mapped)
    prec.mapped = mapped
    prec.dropped = not mapped and bool(pack.crosswalk and pack.crosswalk.get("from") == old_pack)
    return prec


class History:
    """Earlier inventory files, indexed for precedent: by use case key (id) and by agency + normalised name.

    ``add(parsed, source)`` indexes a parsed file; ``lookup(values, schema, key, pack)`` the newest earlier
    determination of the row (the latest year wins). ``old_packs`` (framework -> pack) screens an earlier
    row's text to name its categories (only rows that are looked up, once)."""

    def __init__(self, old_packs: dict | None = None, screen=None):
        self.old_packs = old_packs or {}
        self.screen = screen  # policy.screen.screen (given by the caller: screen imports this module)
        self._by_key: dict[str, tuple] = {}
        self._cats: dict[int, list[str]] = {}
        self.files: list[str] = []

    def add(self, parsed, source: str) -> int:
        """Index the rows of ``parsed`` that report a determination; returns how many."""
        self.files.append(source)
        n = 0
        schema = parsed.schema or None
        for r in parsed.rows:
            sch = schema or F.guess_schema(r.values)
            dec = reported_decision(r.values, sch)
            if dec is None:
                continue
            entry = (YEAR_OF_SCHEMA.get(sch), dec[0], dec[1], source, r.values, sch)
            for k in self._keys(r.values, sch, use_case_key(r, parsed)):
                old = self._by_key.get(k)
                if old is None or (old[0] or 0) <= (entry[0] or 0):
                    self._by_key[k] = entry
            n += 1
        return n

    @staticmethod
    def _keys(values: dict, schema: str, key: str | None) -> list[str]:
        keys = [key] if key else []
        nk = name_key(values.get(F.AGENCY_FIELD.get(schema, "agency")), values.get(F.NAME_FIELD.get(schema, "")))
        if nk not in keys and not nk.endswith(":"):
            keys.append(nk)
        return keys

    def lookup(self, values: dict, schema: str, key: str | None, pack) -> Precedent | None:
        for k in self._keys(values, schema, key):
            e = self._by_key.get(k)
            if e is not None:
                return self._precedent(e, pack)
        return None

    def _precedent(self, e: tuple, pack) -> Precedent:
        year, framework, decision, source, values, sch = e
        cats = None
        old = self.old_packs.get(framework)
        if old is not None and self.screen is not None and decision in FLAGGING and old.id != pack.id:
            if id(values) not in self._cats:
                res = self.screen(values, old, schema=sch, with_trace=False)
                self._cats[id(values)] = [f.item for f in res.categories]
            cats = self._cats[id(values)]
        return precedent_for(pack, framework, decision, year=year, source=source, old_categories=cats)


# ---------------------------------------------------------------- the outcome


def partly_seen(node: dict) -> bool:
    """Whether a part of a condition that did not match was seen in the text (a signal with hits)."""
    if node.get("op") == "signal":
        return bool(node.get("hits"))
    if node.get("op") == "not":
        return False
    if node.get("op") == "field":
        return False  # a topic or answer alone says nothing about the text
    return any(partly_seen(k) for k in node.get("children", ()) if isinstance(k, dict))


def insufficient_reason(values: dict, schema: str, categories: list[str]) -> tuple[str, list[str]] | None:
    """(reason in words, the answers to give) when the describing answers are too short to screen, else None."""
    if schema not in F.DESCRIPTION_FIELDS or F.description_words(values, schema) >= F.SHORT_TEXT_WORDS:
        return None
    parts, names = [], []
    for n, words in F.thin_answers(values, schema):
        names.append(n)
        label = ANSWER_WORDS.get(n, n)
        parts.append(f"{label} (not answered)" if words == 0 else f"{label} ({words} word{'s' if words != 1 else ''})")
    cats = ", ".join(categories) if categories else "any of the categories"
    reason = (f"The use is described in fewer than {F.SHORT_TEXT_WORDS} words: answer {'; '.join(parts)} so the "
              f"screen can read whether {cats} appl{'ies' if len(categories) == 1 else 'y'}.")
    return reason, names
