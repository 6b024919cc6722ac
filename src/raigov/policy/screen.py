"""Screening: what a pack proposes for one use case, with its evidence and a full trace. Pure.

``screen(values, pack)`` takes a use case's answers (canonical field -> value, as an inventory
row's ``values``) and returns a ``ScreenResult``: the exclusions that apply, the presumption
categories matched (``presumed``), prohibited-use findings, the practices, reviews and clocks
that follow, each finding's evidence (item, citation, field and the words matched) and the trace
of every item evaluated. ``screen_inventory(parsed, packs)`` screens every row of a parsed
inventory; ``contract_row`` is the one-line JSON the CLI prints.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial as bind
from typing import NamedTuple

from raigov.inventory.formats import use_case_key
from raigov.policy import fields as F
from raigov.policy.conditions import Evaluator, compiled
from raigov.policy.crosswalk import map_items
from raigov.policy.outcome import INSUFFICIENT, NOT_PRESUMED, PRESUMED, Precedent, insufficient_reason, partly_seen
from raigov.policy.packs import Item, Pack
from raigov.policy.signals import WordIndex

_SEP = "\n\n"


@dataclass
class Evidence:
    item: str
    citation: str
    field: str
    text: str
    start: int | None = None
    end: int | None = None
    signal: str | None = None
    kind: str = "text"  # text (words matched) | answer (a structured answer)

    def as_dict(self) -> dict:
        d = {"item": self.item, "citation": self.citation, "field": self.field, "text": self.text, "kind": self.kind}
        if self.signal:
            d["signal"] = self.signal
        if self.start is not None:
            d["start"], d["end"] = self.start, self.end
        return d


@dataclass
class Finding:
    item: str
    kind: str
    title: str
    citation: str
    status: str
    impact: tuple[str, ...] = ()
    evidence: list[Evidence] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"item": self.item, "kind": self.kind, "title": self.title, "citation": self.citation,
                "status": self.status, "impact": list(self.impact),
                "evidence": [e.as_dict() for e in self.evidence]}


class TraceEntry(NamedTuple):
    """One item's evaluation (a tuple: one is made for every item of every use case screened)."""

    item: str
    kind: str
    citation: str
    condition: dict | None
    result: bool
    tree: dict | None  # what each part of the condition saw

    def as_dict(self) -> dict:
        return {"item": self.item, "kind": self.kind, "citation": self.citation, "condition": self.condition,
                "result": self.result, "saw": self.tree}


@dataclass
class ScreenResult:
    pack: str  # id@version
    presumed: bool
    out_of_scope: bool
    categories: list[Finding]
    exclusions: list[Finding]
    prohibited: list[Finding]
    practices: list[Finding]
    reviews: list[Finding]
    clocks: list[Finding]
    principles: list[Finding]
    trace: list[TraceEntry]
    outcome: str = NOT_PRESUMED  # presumed | insufficient_information | not_presumed (outcome.OUTCOMES)
    reason: str | None = None  # insufficient_information: the answers to give, in words
    missing: list[str] = field(default_factory=list)  # insufficient_information: those answers (field names)
    could_apply: list[str] = field(default_factory=list)  # insufficient_information: categories partly seen
    precedent: Precedent | None = None

    @property
    def impacts(self) -> list[str]:
        seen: list[str] = []
        for f in self.categories:
            for i in f.impact:
                if i not in seen:
                    seen.append(i)
        return seen

    @property
    def evidence(self) -> list[Evidence]:
        out = []
        for group in (self.categories, self.prohibited, self.exclusions):
            for f in group:
                out.extend(f.evidence)
        if self.precedent is not None and self.precedent.flags and self.presumed and not self.categories:
            out.append(_precedent_evidence(self.precedent))
        return out

    def as_dict(self, *, trace: bool = True) -> dict:
        d = {"pack": self.pack, "presumed": self.presumed, "out_of_scope": self.out_of_scope,
             "impacts": self.impacts,
             "categories": [f.as_dict() for f in self.categories],
             "exclusions": [f.as_dict() for f in self.exclusions],
             "prohibited": [f.as_dict() for f in self.prohibited],
             "practices": [f.as_dict() for f in self.practices],
             "reviews": [f.as_dict() for f in self.reviews],
             "clocks": [f.as_dict() for f in self.clocks],
             "principles": [f.as_dict() for f in self.principles],
             "outcome": self.outcome, "reason": self.reason, "missing": list(self.missing),
             "could_apply": list(self.could_apply),
             "precedent": self.precedent.as_dict() if self.precedent is not None else None}
        if trace:
            d["trace"] = [t.as_dict() for t in self.trace]
        return d


class Subject:
    """One use case prepared for screening: its values and its text as one searchable document."""

    def __init__(self, values: dict, schema: str | None, text_fields: dict[str, tuple[str, ...]]):
        self.schema = schema or F.guess_schema(values)
        self.values = F.derived_values(values, self.schema)
        names = list(text_fields.get(self.schema) or F.TEXT_FIELDS.get(self.schema, ()))
        parts: list[str] = []
        spans: list[tuple[int, int, str]] = []
        pos = 0
        for n in names:
            v = values.get(n)
            if v is None:
                continue
            t = "; ".join(map(str, v)) if isinstance(v, (list, tuple)) else (v if isinstance(v, str) else None)
            if not t or not t.strip():
                continue
            spans.append((pos, pos + len(t), n))
            parts.append(t)
            pos += len(t) + len(_SEP)
        self.doc = _SEP.join(parts)
        self.index = WordIndex(self.doc)
        self.spans = spans
        self.text_field_names = names
        self.text_field_set = frozenset(names)
        self._cache: dict = {}

    def field_at(self, offset: int) -> tuple[str, int] | None:
        for s, e, n in self.spans:
            if s <= offset < e:
                return n, s
        return None

    def text_of(self, name: str) -> str:
        v = self.values.get(name)
        if isinstance(v, (list, tuple)):
            return "; ".join(map(str, v))
        return v if isinstance(v, str) else ""


def _signal_hits(pack: Pack, subj: Subject, name: str, only: Sequence[str] | None,
                 _stack: tuple = ()) -> tuple[list[dict], list[dict]]:
    key = (name, tuple(only)) if only else name
    got = subj._cache.get(key)
    if got is not None:
        return got
    sig = pack.signals[name]
    allowed, in_doc = _reach(sig, only, subj.text_field_set)
    if in_doc and not sig.any_of and sig._matcher is not None:  # the pack's phrase filter answers first
        found = subj.index.candidates(sig._matcher)
        if found is not None and sig._slot not in found:  # no phrase can match: ``find`` would return nothing
            got = subj._cache[key] = ([], [])
            return got
    hits: list[dict] = []
    negated: list[dict] = []
    if sig.phrases:
        if in_doc:
            docs = [(subj.doc, None, subj.index)]
        else:  # fields outside the text fields: search each on its own
            docs = [(subj.text_of(n), n, None) for n in sorted(allowed) if subj.text_of(n)]
        for text, fixed, index in docs:
            for h in sig.find(text, index):
                if fixed is None:
                    loc = subj.field_at(h.start)
                    if loc is None:
                        continue
                    fname, base = loc
                else:
                    fname, base = fixed, 0
                if allowed is not None and fname not in allowed:
                    continue
                rec = {"field": fname, "text": h.text, "start": h.start - base, "end": h.end - base}
                if h.negated or h.vetoed:
                    rec["why"] = "vetoed" if h.vetoed else "negated"
                    negated.append(rec)
                else:
                    hits.append(rec)
    for other in sig.any_of:
        h2, n2 = _signal_hits(pack, subj, other, only)
        hits.extend(h2)
        negated.extend(n2)
    subj._cache[key] = (hits, negated)
    return hits, negated


_REACH: dict[tuple, tuple] = {}  # (signal's identity, fields, the subject's text fields) -> (signal, the answer)


def _reach(sig, only: Sequence[str] | None, text_fields: frozenset) -> tuple[set[str] | None, bool]:
    """(the fields a signal reads: ``only``, else its own fields, else None for the pack's text fields; True when
    those are all in the subject's text, so one search of its document serves), worked out once per signal."""
    k = (id(sig), tuple(only) if only else None, text_fields)
    got = _REACH.get(k)
    if got is not None and got[0] is sig:
        return got[1]
    allowed = set(only) if only else (set(sig.fields) if sig.fields else None)
    ans = (allowed, allowed is None or allowed <= text_fields)
    if len(_REACH) >= 100_000:
        _REACH.clear()
    _REACH[k] = (sig, ans)
    return ans


def signal_hits(pack: Pack, subj: Subject, name: str, fields: Sequence[str] | None = None):
    """(hits, negated hits) of the pack's signal ``name`` in ``subj``, as the screen sees them."""
    return _signal_hits(pack, subj, name, fields)


def screen(values: dict, pack: Pack, *, schema: str | None = None, today: dt.date | None = None,
           with_trace: bool = True, precedent: Precedent | None = None) -> ScreenResult:
    """Screen one use case's answers against ``pack``; ``precedent``: its earlier determination, if any
    (``policy.outcome``: a flagging precedent presumes, with itself as the evidence)."""
    subj = Subject(values, schema, pack.text_fields)
    results: dict[str, tuple[bool, list[dict]]] = {}
    trace: list[TraceEntry] = []
    partial: list[str] = []

    def item_result(item_id: str):
        return results.get(item_id, (False, []))

    ev = Evaluator(subj.values, refs=pack.conditions, signal_hits=bind(_signal_hits, pack, subj),
                   item_result=item_result, kind_matched=_KindMatched(pack, results), today=today, trace=with_trace)
    plan = _plan(pack, subj.text_field_set)
    if not with_trace:
        ev.skip = _nothing_found(plan, subj)
    for it, fn in plan.items:
        if fn is None:
            # definitions and principles always stand; practices/reviews/clocks without a
            # condition apply to every use case the pack governs
            res, tree, evid = it.kind not in ("definition",), None, []
        elif with_trace:
            res, tree, evid = ev.eval(it.when)
        else:  # the condition's function, as ``Evaluator.eval`` would call it
            res, evid = fn(ev)
            tree = None
        results[it.id] = (res, evid)
        if it.kind == "presumption" and not res and tree is not None and partly_seen(tree):
            partial.append(it.id)
        trace.append(tuple.__new__(TraceEntry, (it.id, it.kind, it.citation, it.when, res, tree)))

    def findings(kind: str) -> list[Finding]:
        out = []
        for it in pack.items_by_kind(kind):
            if not results.get(it.id, (False,))[0]:
                continue
            out.append(_finding(it, results[it.id][1]))
        return out

    exclusions = findings("exclusion")
    out_of_scope = any(pack.item(f.item).effect == "out-of-scope" for f in exclusions)
    no_practices = out_of_scope or any(pack.item(f.item).effect == "practices-not-required" for f in exclusions)
    categories = findings("presumption")
    if precedent is not None and precedent.flags and not out_of_scope:
        have = {f.item for f in categories}
        pev = _precedent_evidence(precedent)
        for cid in precedent.mapped:
            if cid not in have and any(i.id == cid for i in pack.items):
                it = pack.item(cid)
                categories.append(Finding(item=it.id, kind=it.kind, title=it.title, citation=it.citation,
                                          status=it.status, impact=it.impact,
                                          evidence=[Evidence(item=it.id, citation=pev.citation, field=pev.field,
                                                             text=pev.text, kind="precedent")]))
    presumed = (bool(categories) or bool(precedent is not None and precedent.flags)) and not out_of_scope
    practices = [] if no_practices else findings("practice")
    reviews = [] if out_of_scope else findings("review")
    res = ScreenResult(pack=pack.key, presumed=presumed, out_of_scope=out_of_scope, categories=categories,
                       exclusions=exclusions, prohibited=[] if out_of_scope else findings("prohibition"),
                       practices=practices, reviews=reviews, clocks=findings("clock"),
                       principles=findings("principle"), trace=trace, precedent=precedent)
    if presumed:
        res.outcome = PRESUMED
    elif not out_of_scope:
        why = insufficient_reason(subj.values, subj.schema, partial)
        if why is not None and not with_trace:  # a short row: which categories were partly seen (as the trace says)
            partial = [it.id for it in pack.items_by_kind("presumption") if it.when is not None
                       and not results.get(it.id, (False,))[0] and ev.seen(it.when)[1]]
            why = insufficient_reason(subj.values, subj.schema, partial)
        if why is not None:
            res.outcome, res.reason, res.missing, res.could_apply = INSUFFICIENT, why[0], why[1], partial
    return res


class _KindMatched(dict):
    """``kind_matched(kind, impact)`` of one row: the items of a kind are all evaluated before any item that asks
    (they are its dependencies, ``packs.parse_pack``), so the answer is kept for the row's next item that asks."""

    __slots__ = ("pack", "results")

    def __init__(self, pack: Pack, results: dict):
        super().__init__()
        self.pack, self.results = pack, results

    def __call__(self, kind: str, impact: str | None) -> list[str]:
        got = self.get((kind, impact))
        if got is None:
            got = self[(kind, impact)] = [i.id for i in self.pack.items_by_kind(kind, impact)
                                          if self.results.get(i.id, (False,))[0]]
        return list(got)


class _Plan(NamedTuple):
    """A pack's screen, worked out once per pack and set of text fields."""

    pack: Pack
    items: tuple  # (item, its condition's compiled function or None), in evaluation order
    matcher: object  # the pack's phrase filter (``raigov.policy.matcher``), or None
    filterable: frozenset  # signals the filter alone can rule out when asked without fields
    slot_names: dict  # filter slot -> signal name, for those signals


_PLANS: dict[tuple, _Plan] = {}


def _plan(pack: Pack, text_fields: frozenset) -> _Plan:
    k = (id(pack), text_fields)
    got = _PLANS.get(k)
    if got is not None and got.pack is pack:
        return got
    refs = pack.conditions
    items = tuple((pack.item(i), compiled(pack.item(i).when, refs) if pack.item(i).when is not None else None)
                  for i in pack.order)
    matchers = {id(s._matcher): s._matcher for s in pack.signals.values() if s._matcher is not None}
    matcher = next(iter(matchers.values())) if len(matchers) == 1 else None
    slot_names = {}
    if matcher is not None:
        for name, sig in pack.signals.items():
            if sig.phrases and not sig.any_of and sig._matcher is matcher and _reach(sig, None, text_fields)[1]:
                slot_names[sig._slot] = name
    got = _Plan(pack, items, matcher, frozenset(slot_names.values()), slot_names)
    if len(_PLANS) >= 1000:
        _PLANS.clear()
    _PLANS[k] = got
    return got


def _nothing_found(plan: _Plan, subj: Subject) -> frozenset | set:
    """The signals the pack's phrase filter rules out in the subject's text (as ``_signal_hits`` would find)."""
    if plan.matcher is None or not plan.filterable:
        return frozenset()
    found = subj.index.candidates(plan.matcher)
    if found is None:
        return frozenset()
    names = plan.slot_names
    return plan.filterable.difference([names[s] for s in found if s in names])


def _precedent_evidence(p: Precedent) -> Evidence:
    return Evidence(item="precedent", citation=f"{p.framework} determination", field="precedent",
                    text=p.words(), kind="precedent")


def _finding(it: Item, evid: list[dict]) -> Finding:
    seen = set()
    out = []
    for e in evid:
        k = (e.get("field"), e.get("start"), e.get("text"))
        if k in seen:
            continue
        seen.add(k)
        out.append(Evidence(item=it.id, citation=it.citation, field=e.get("field", ""), text=str(e.get("text", "")),
                            start=e.get("start"), end=e.get("end"), signal=e.get("signal"),
                            kind=e.get("kind", "text")))
    return Finding(item=it.id, kind=it.kind, title=it.title, citation=it.citation, status=it.status,
                   impact=it.impact, evidence=out)


# ---------------------------------------------------------------- many packs, many rows


@dataclass
class RowScreen:
    row: int
    id: str | None
    name: str | None
    agency: str | None
    agency_determination: str | None
    key: str | None
    results: list[ScreenResult]

    @property
    def presumed(self) -> bool:
        return any(r.presumed for r in self.results)

    @property
    def outcome(self) -> str:
        """presumed by any pack; else insufficient information for any; else not presumed."""
        for o in (PRESUMED, INSUFFICIENT):
            if any(r.outcome == o for r in self.results):
                return o
        return NOT_PRESUMED


def screen_values(values: dict, packs: Iterable[Pack], *, schema: str | None = None,
                  today: dt.date | None = None, with_trace: bool = False, history=None,
                  key: str | None = None) -> list[ScreenResult]:
    """``history``: an ``outcome.History`` of earlier files, for each pack's precedent of the row."""
    return [screen(values, p, schema=schema, today=today, with_trace=with_trace,
                   precedent=history.lookup(values, schema or F.guess_schema(values), key, p) if history else None)
            for p in packs]


def screen_inventory(parsed, packs: Sequence[Pack], *, today: dt.date | None = None,
                     with_trace: bool = False, history=None) -> Iterable[RowScreen]:
    """Screen every row of a ``ParsedInventory`` in file order (``history``: see ``screen_values``)."""
    schema = parsed.schema or None
    for r in parsed.rows:
        v = r.values
        sch = schema or F.guess_schema(v)
        rid = v.get(F.ID_FIELD.get(sch, "id")) if sch in F.ID_FIELD else None
        key = use_case_key(r, parsed)
        yield RowScreen(
            row=r.row, id=str(rid) if rid not in (None, "") else (key if sch == "2024" else None),
            name=_s(v.get(F.NAME_FIELD.get(sch, "use_case_name"))), agency=_s(v.get(F.AGENCY_FIELD.get(sch, "agency"))),
            agency_determination=_s(v.get(F.DETERMINATION_FIELD.get(sch, ""))) if sch in F.DETERMINATION_FIELD else None,
            key=key, results=screen_values(v, packs, schema=sch, today=today, with_trace=with_trace,
                                           history=history, key=key))


def _s(v) -> str | None:
    if v is None:
        return None
    return "; ".join(map(str, v)) if isinstance(v, (list, tuple)) else str(v)


def contract_row(rs: RowScreen, *, trace: bool = False) -> dict:
    """The JSON object the CLI prints for one row (keys fixed by the screen contract)."""
    cats: list[str] = []
    prohibited: list[str] = []
    evidence: list[dict] = []
    impacts: list[str] = []
    exclusions: list[str] = []
    practices: list[str] = []
    reviews: list[str] = []
    for res in rs.results:
        for f in res.categories:
            cats.append(f.item)
            for i in f.impact:
                if i not in impacts:
                    impacts.append(i)
        prohibited.extend(f.item for f in res.prohibited)
        exclusions.extend(f.item for f in res.exclusions)
        practices.extend(f.item for f in res.practices)
        reviews.extend(f.item for f in res.reviews)
        seen_ev = set()
        for e in res.evidence:
            k = (e.item, e.field, e.text.casefold())
            if k in seen_ev:
                continue
            seen_ev.add(k)
            evidence.append({"item": e.item, "field": e.field, "text": e.text, "citation": e.citation})
    d = {"row": rs.row, "id": rs.id, "name": rs.name, "agency": rs.agency,
         "presumed": rs.presumed, "categories": cats, "impacts": impacts, "evidence": evidence,
         "prohibited": prohibited, "exclusions": exclusions, "practices": practices, "reviews": reviews,
         "packs": [r.pack for r in rs.results], "agency_determination": rs.agency_determination}
    d.update(outcome_fields(rs.results))
    if trace:
        d["trace"] = {r.pack: [t.as_dict() for t in r.trace] for r in rs.results}
    return d


def outcome_fields(results: Sequence[ScreenResult]) -> dict:
    """``outcome``, ``reason`` (insufficient information: the answers to give, in words), ``missing`` (those
    answers' fields), ``could_apply`` (categories partly seen) and ``precedent`` (the first pack's, as a dict:
    year, determination, source, ...) of one use case screened by one or more packs."""
    outcome = NOT_PRESUMED
    for o in (PRESUMED, INSUFFICIENT):
        if any(r.outcome == o for r in results):
            outcome = o
            break
    thin = [r for r in results if r.outcome == INSUFFICIENT] if outcome == INSUFFICIENT else []
    missing: list[str] = []
    could: list[str] = []
    for r in thin:
        missing.extend(m for m in r.missing if m not in missing)
        could.extend(c for c in r.could_apply if c not in could)
    prec = next((r.precedent for r in results if r.precedent is not None), None)
    return {"outcome": outcome, "reason": thin[0].reason if thin else None, "missing": missing,
            "could_apply": could, "precedent": prec.as_dict() if prec is not None else None}


@dataclass
class ResultChange:
    """How one use case's result differs between two packs (see ``compare_results``)."""

    presumed: tuple[bool, bool]  # (old, new)
    categories_old: list[str]
    categories_new: list[str]
    categories_added: list[str]
    categories_removed: list[str]  # old categories (mapped through the crosswalk across packs) now gone
    prohibited_added: list[str]
    prohibited_removed: list[str]
    practices_added: list[str]  # within one pack id only; empty across packs
    practices_removed: list[str]


def compare_results(old: Pack, new: Pack, ra: ScreenResult, rb: ScreenResult) -> ResultChange | None:
    """The change between one use case's result under ``old`` (``ra``) and under ``new`` (``rb``), or None.

    A change is a different ``presumed``, categories, prohibited items or (within one pack id) practices.
    Categories are compared by id; when ``new`` carries a crosswalk from ``old``'s pack id, old category
    ids are first mapped through it, so a renamed category is not reported as a change. Across packs
    practices are not compared (each memo has its own)."""
    same = old.id == new.id
    ca = [f.item for f in ra.categories]
    cb = [f.item for f in rb.categories]
    ca_m = ca if same else sorted({t for c in ca for t in map_items(new, old.id, c)})
    pa = [f.item for f in ra.prohibited]
    pb = [f.item for f in rb.prohibited]
    qa = [f.item for f in ra.practices] if same else []
    qb = [f.item for f in rb.practices] if same else []
    if ra.presumed == rb.presumed and set(ca_m) == set(cb) and set(pa) == set(pb) and set(qa) == set(qb):
        return None
    return ResultChange(presumed=(ra.presumed, rb.presumed), categories_old=ca, categories_new=cb,
                        categories_added=[c for c in cb if c not in ca_m],
                        categories_removed=[c for c in ca_m if c not in cb],
                        prohibited_added=[p for p in pb if p not in pa],
                        prohibited_removed=[p for p in pa if p not in pb],
                        practices_added=[q for q in qb if q not in qa],
                        practices_removed=[q for q in qa if q not in qb])


def diff_inventory(parsed, old: Pack, new: Pack, *, today: dt.date | None = None) -> list[dict]:
    """Rows whose result differs between two packs (``compare_results``): presumed, categories
    (across packs mapped through the crosswalk), prohibited, practices (within one pack id)."""
    out = []
    for rs in screen_inventory(parsed, [old, new], today=today):
        ra, rb = rs.results
        ch = compare_results(old, new, ra, rb)
        if ch is None:
            continue
        out.append({"row": rs.row, "id": rs.id, "name": rs.name, "agency": rs.agency,
                    "presumed": list(ch.presumed),
                    "categories_old": ch.categories_old, "categories_new": ch.categories_new,
                    "categories_added": ch.categories_added, "categories_removed": ch.categories_removed,
                    "prohibited_added": ch.prohibited_added, "prohibited_removed": ch.prohibited_removed,
                    "evidence_new": [e.as_dict() for e in rb.evidence][:20]})
    return out
