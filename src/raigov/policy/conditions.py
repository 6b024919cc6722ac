"""The condition language and its small interpreter. No ``eval``: a condition is plain data.

A condition is one mapping of one of these forms::

    {all: [c, ...]}            every sub-condition holds (evaluation stops at the first false one;
                               the trace shows the rest as skipped)
    {any: [c, ...]}            at least one holds
    {not: c}                   c does not hold
    {field: F, equals: V}      the answer equals V (text compared case- and space-insensitively;
                               a multi-select list holds V)
    {field: F, in: [V, ...]}   the answer is one of the values (or a list shares one)
    {field: F, exists: true}   the answer is present and not blank (false: absent or blank)
    {field: F, contains: S}    the text contains S (case-insensitive), or a list holds S
    {field: F, gt|ge|lt|le: N} numeric comparison
    {field: F, before|after|on_or_before|on_or_after: YYYY-MM-DD}   date comparison
    {field: F, older_than_days: N}  a date more than N days before the screening date
    {signal: S}                the pack's text signal S is found (not negated) in the row's text
    {signal: S, fields: [F]}   ... in these fields only
    {ref: NAME}                the pack's shared condition NAME
    {item: ID}                 the pack's item ID applied
    {matched: {kind: K, impact: I}}  some item of kind K (with impact tag I) applied

``F`` must be a catalogue field or a declared raigov field (``raigov.policy.fields``); signals,
refs and items must exist in the pack, and references must not form a cycle. ``check``
enforces this when a pack loads; ``Evaluator`` evaluates conditions against one subject and
returns a trace of everything it looked at.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from raigov.inventory.catalog import text_key
from raigov.policy import fields as F

COMBINATORS = ("all", "any", "not")
FIELD_OPS = ("equals", "in", "exists", "contains", "gt", "ge", "lt", "le",
             "before", "after", "on_or_before", "on_or_after", "older_than_days")
DATE_OPS = ("before", "after", "on_or_before", "on_or_after")
NUM_OPS = ("gt", "ge", "lt", "le")
FORMS = COMBINATORS + ("field", "signal", "ref", "item", "matched")


@dataclass
class ConditionProblem:
    path: tuple
    message: str


def check(cond: Any, path: tuple, *, signals: dict, refs: dict, items: dict,
          kinds: set[str]) -> list[ConditionProblem]:
    """Static problems of a condition (shape, unknown field/signal/ref/item, bad value).

    Long because its nested walk is one recursive function over every node kind of the condition language,
    each kind a short branch."""
    out: list[ConditionProblem] = []

    def bad(p, msg):
        out.append(ConditionProblem(p, msg))

    def walk(c, p):
        """Long because it is one branch per node kind of the condition language."""
        if not isinstance(c, dict) or not c:
            bad(p, "a condition must be a mapping with one of: " + ", ".join(FORMS))
            return
        forms = [k for k in c if k in FORMS]
        if len(forms) != 1:
            unknown = [k for k in c if k not in FORMS and k not in FIELD_OPS and k != "fields"]
            if unknown:
                bad(p + (unknown[0],), f"unknown key {unknown[0]!r} in a condition")
            else:
                bad(p, "a condition needs exactly one of: " + ", ".join(FORMS))
            return
        form = forms[0]
        extra = set(c) - {form} - (set(FIELD_OPS) if form == "field" else set()) - (
            {"fields"} if form == "signal" else set())
        if extra:
            k = min(extra)
            bad(p + (k,), f"unknown key {k!r} in a {form} condition")
            return
        if form in ("all", "any"):
            if not isinstance(c[form], list) or not c[form]:
                bad(p + (form,), f"{form} takes a non-empty list of conditions")
                return
            for i, sub in enumerate(c[form]):
                walk(sub, p + (form, i))
        elif form == "not":
            walk(c["not"], p + ("not",))
        elif form == "field":
            name = c["field"]
            if not isinstance(name, str) or not F.field_exists(name):
                bad(p + ("field",), f"no such field {name!r} (not in the inventory catalogue nor a raigov field)")
                return
            ops = [k for k in c if k in FIELD_OPS]
            if len(ops) != 1:
                bad(p, f"a field condition needs exactly one operator ({', '.join(FIELD_OPS)})")
                return
            op, val = ops[0], c[ops[0]]
            vp = p + (op,)
            if op == "equals" or op == "contains":
                if isinstance(val, (list, dict)):
                    bad(vp, f"{op} takes one value")
                elif op == "equals" and (msg := F.enum_check(name, val)):
                    bad(vp, msg)
            elif op == "in":
                if not isinstance(val, list) or not val:
                    bad(vp, "in takes a non-empty list")
                else:
                    for i, v in enumerate(val):
                        if msg := F.enum_check(name, v):
                            bad(vp + (i,), msg)
            elif op == "exists":
                if not isinstance(val, bool):
                    bad(vp, "exists takes true or false")
            elif op in NUM_OPS:
                if isinstance(val, bool) or not isinstance(val, (int, float)):
                    bad(vp, f"{op} takes a number")
            elif op in DATE_OPS:
                if F.as_date(val) is None:
                    bad(vp, f"{op} takes a date YYYY-MM-DD")
            elif op == "older_than_days" and (isinstance(val, bool) or not isinstance(val, int) or val < 0):
                bad(vp, "older_than_days takes a whole number of days")
        elif form == "signal":
            if c["signal"] not in signals:
                bad(p + ("signal",), f"no signal {c['signal']!r} in this pack")
            fl = c.get("fields")
            if fl is not None:
                if not isinstance(fl, list) or not fl:
                    bad(p + ("fields",), "fields takes a non-empty list of field names")
                else:
                    for i, n in enumerate(fl):
                        if not F.field_exists(n):
                            bad(p + ("fields", i), f"no such field {n!r}")
        elif form == "ref":
            if c["ref"] not in refs:
                bad(p + ("ref",), f"no shared condition {c['ref']!r} in this pack")
        elif form == "item":
            if c["item"] not in items:
                bad(p + ("item",), f"no item {c['item']!r} in this pack")
        elif form == "matched":
            m = c["matched"]
            if not isinstance(m, dict) or "kind" not in m or set(m) - {"kind", "impact"}:
                bad(p + ("matched",), "matched takes {kind: K} or {kind: K, impact: I}")
            elif m["kind"] not in kinds:
                bad(p + ("matched", "kind"), f"unknown item kind {m['kind']!r}")

    walk(cond, path)
    return out


def references(cond: Any) -> list[tuple[str, Any]]:
    """(kind, target) references of a condition: ("signal", s), ("ref", n), ("item", id), ("matched", {...})."""
    out: list[tuple[str, Any]] = []

    def walk(c):
        if not isinstance(c, dict):
            return
        for k in ("all", "any"):
            if isinstance(c.get(k), list):
                for s in c[k]:
                    walk(s)
        if "not" in c:
            walk(c["not"])
        for k in ("signal", "ref", "item", "matched"):
            if k in c:
                out.append((k, c[k]))

    walk(cond)
    return out


# ---------------------------------------------------------------- evaluation


def _norm(v: Any) -> str:
    return text_key(str(v))


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, (list, tuple)) and not v)


def _show(v: Any) -> Any:
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if isinstance(v, str) and len(v) > 200:
        return v[:200] + "…"
    return v


class Evaluator:
    """Evaluates conditions for one subject. ``signal_hits(name, fields)`` and ``item_result(id)``
    and ``kind_matched(kind, impact)`` are supplied by the screen. With ``trace=False`` ``eval``
    builds no trace (its node is None): same result and evidence, faster."""

    def __init__(self, values: dict, *, refs: dict, signal_hits, item_result, kind_matched,
                 today: dt.date | None = None, field_names: dict | None = None, trace: bool = True):
        self.values = values
        self.refs = refs
        self.signal_hits = signal_hits
        self.item_result = item_result
        self.kind_matched = kind_matched
        self._today = today
        self.trace = trace
        # signals (asked without ``fields``) the screen already knows find nothing in this subject: the compiled
        # conditions answer them without asking ``signal_hits`` (same answer, fewer calls)
        self.skip: frozenset[str] | set[str] = frozenset()

    @property
    def today(self) -> dt.date:
        """The date conditions compare with (the agency's today unless given), read on first use."""
        if self._today is None:
            from raigov.clock import agency_today  # the settings (pydantic) only when a date is compared

            self._today = agency_today()
        return self._today

    def eval(self, c: dict) -> tuple[bool, dict | None, list[dict]]:
        """(result, trace node, evidence) for condition ``c``; the node is None without a trace."""
        if not self.trace:
            res, ev = self.test(c)
            return res, None, ev
        return self._traced(c)

    def test(self, c: dict) -> tuple[bool, list[dict]]:
        """(result, evidence) for condition ``c``, as ``eval`` gives them, without the trace (the
        condition is turned into Python functions once, see ``compiled``)."""
        return compiled(c, self.refs)(self)

    def seen(self, c: dict) -> tuple[bool, bool]:
        """(result, partly seen) for condition ``c``: ``partly seen`` is what ``outcome.partly_seen`` says of
        the trace node ``eval`` would build (a signal with hits among the parts evaluated, not under ``not``),
        without building it."""
        return compiled_seen(c, self.refs)(self)

    def _traced(self, c: dict) -> tuple[bool, dict, list[dict]]:
        if "all" in c or "any" in c:
            op = "all" if "all" in c else "any"
            kids = []
            for sub in c[op]:
                if op == "all" and kids and not kids[-1][0]:
                    # ``all`` stops at the first false part; the rest is shown as not evaluated
                    kids.append((False, {"op": "skipped", "result": None, "condition": sub}, []))
                    continue
                kids.append(self._traced(sub))
            res = all(k[0] for k in kids) if op == "all" else any(k[0] for k in kids)
            ev: list[dict] = []
            if res:
                for r, _t, e in kids:
                    if r:
                        ev.extend(e)
            return res, {"op": op, "result": res, "children": [k[1] for k in kids]}, ev
        if "not" in c:
            r, t, _e = self._traced(c["not"])
            return (not r), {"op": "not", "result": not r, "children": [t]}, []
        if "field" in c:
            return self._field(c)
        if "signal" in c:
            hits, negated = self.signal_hits(c["signal"], c.get("fields"))
            res = bool(hits)
            node = {"op": "signal", "signal": c["signal"], "result": res,
                    "hits": hits[:10], "negated": negated[:10]}
            if c.get("fields"):
                node["fields"] = list(c["fields"])
            return res, node, [dict(h, signal=c["signal"]) for h in hits]
        if "ref" in c:
            r, t, e = self._traced(self.refs[c["ref"]])
            return r, {"op": "ref", "ref": c["ref"], "result": r, "children": [t]}, e
        if "item" in c:
            r, e = self.item_result(c["item"])
            return r, {"op": "item", "item": c["item"], "result": r}, e
        if "matched" in c:
            m = c["matched"]
            ids = self.kind_matched(m["kind"], m.get("impact"))
            res = bool(ids)
            return res, {"op": "matched", "kind": m["kind"], "impact": m.get("impact"), "result": res,
                         "saw": ids}, []
        raise ValueError(f"not a condition: {c!r}")  # refused at load; unreachable for loaded packs

    def _field(self, c: dict) -> tuple[bool, dict, list[dict]]:
        name = c["field"]
        op = next(k for k in c if k in FIELD_OPS)
        res, v = self._field_value(c)
        node = {"op": op, "field": name, "expected": _show(c[op]), "saw": _show(v), "result": res}
        return res, node, _answer_evidence(name, v) if res and not _blank(v) else []

    def _field_value(self, c: dict) -> tuple[bool, Any]:
        """(result, the answer seen) of a field condition.

        Long because it is one branch per operator of the field condition, each a line or two."""
        name = c["field"]
        op = next(k for k in c if k in FIELD_OPS)
        want = c[op]
        v = self.values.get(name)
        res = False
        if op == "exists":
            res = (not _blank(v)) == bool(want)
        elif _blank(v):
            res = False
        elif op == "equals":
            if isinstance(want, bool) or isinstance(v, bool):
                res = _truthy(v) == want if isinstance(want, bool) else _norm(v) == _norm(want)
            elif isinstance(v, (list, tuple)):
                res = any(_norm(x) == _norm(F.canonical_answer(name, str(want))) or _norm(x) == _norm(want)
                          for x in v)
            else:
                res = _norm(v) in (_norm(want), _norm(F.canonical_answer(name, str(want))))
        elif op == "in":
            wanted = {_norm(w) for w in want} | {_norm(F.canonical_answer(name, str(w))) for w in want}
            vs = v if isinstance(v, (list, tuple)) else [v]
            res = any(_norm(x) in wanted for x in vs)
        elif op == "contains":
            res = any(_norm(x) == _norm(want) for x in v) if isinstance(v, (list, tuple)) else _norm(want) in _norm(v)
        elif op in NUM_OPS:
            try:
                x = float(v)
            except (TypeError, ValueError):
                res = False
            else:
                res = {"gt": x > want, "ge": x >= want, "lt": x < want, "le": x <= want}[op]
        elif op in DATE_OPS or op == "older_than_days":
            d = F.as_date(v)
            if d is not None:
                if op == "older_than_days":
                    res = (self.today - d).days > want
                else:
                    w = F.as_date(want)
                    res = {"before": d < w, "after": d > w, "on_or_before": d <= w, "on_or_after": d >= w}[op]
        return res, v


# ---------------------------------------------------------------- compiled conditions (no trace)

_COMPILED: dict[int, tuple[dict, Any]] = {}  # id(condition) -> (condition, function); the condition kept alive
_COMPILED_MAX = 200_000


def compiled(c: dict, refs: dict):
    """``c`` as a function ``f(evaluator) -> (result, evidence)`` giving what ``Evaluator.eval`` gives
    (without the trace): ``all`` stops at the first false part, ``any`` evaluates every part and keeps
    the evidence of those that hold. Made once per condition (the packs' conditions never change)."""
    got = _COMPILED.get(id(c))
    if got is not None and got[0] is c:
        return got[1]
    fn = _compile(c, refs)
    if len(_COMPILED) >= _COMPILED_MAX:
        _COMPILED.clear()
    _COMPILED[id(c)] = (c, fn)
    return fn


def _compile(c: dict, refs: dict):
    """Long because it is one small closure per node kind of the condition language."""
    if "all" in c:
        parts = [compiled(sub, refs) for sub in c["all"]]

        def all_(ev):
            acc: list[dict] = []
            for f in parts:
                r, e = f(ev)
                if not r:
                    return False, []
                acc.extend(e)
            return True, acc
        return all_
    if "any" in c:
        parts = [compiled(sub, refs) for sub in c["any"]]

        def any_(ev):
            acc: list[dict] = []
            res = False
            for f in parts:
                r, e = f(ev)
                if r:
                    res = True
                    acc.extend(e)
            return res, acc
        return any_
    if "signal" in c:
        name, only = c["signal"], c.get("fields")

        def signal_(ev):
            if only is None and name in ev.skip:
                return False, []
            hits = ev.signal_hits(name, only)[0]
            return (True, [dict(h, signal=name) for h in hits]) if hits else (False, [])
        return signal_
    if "field" in c:
        return _compile_field(c)
    if "not" in c:
        inner = compiled(c["not"], refs)
        return lambda ev: (not inner(ev)[0], [])
    if "ref" in c:
        return _ref_call(c["ref"], refs, compiled)
    if "item" in c:
        item = c["item"]
        return lambda ev: ev.item_result(item)
    if "matched" in c:
        kind, impact = c["matched"]["kind"], c["matched"].get("impact")
        return lambda ev: (bool(ev.kind_matched(kind, impact)), [])
    raise ValueError(f"not a condition: {c!r}")  # refused at load; unreachable for loaded packs


_SEEN: dict[int, tuple[dict, Any]] = {}  # as _COMPILED, for ``compiled_seen``


def compiled_seen(c: dict, refs: dict):
    """``c`` as a function ``f(evaluator) -> (result, partly seen)`` (``Evaluator.seen``); made once per condition.
    ``all`` stops at the first false part (the trace shows the rest as skipped), ``any`` evaluates every part."""
    got = _SEEN.get(id(c))
    if got is not None and got[0] is c:
        return got[1]
    fn = _compile_seen(c, refs)
    if len(_SEEN) >= _COMPILED_MAX:
        _SEEN.clear()
    _SEEN[id(c)] = (c, fn)
    return fn


def _compile_seen(c: dict, refs: dict):
    if "all" in c or "any" in c:
        every = "any" in c
        parts = [compiled_seen(sub, refs) for sub in c["any" if every else "all"]]

        def group_(ev):
            res, seen = True, False
            if every:
                res = False
            for f in parts:
                r, s = f(ev)
                seen = seen or s
                if every:
                    res = res or r
                elif not r:
                    return False, seen
            return res, seen
        return group_
    if "signal" in c:
        name, only = c["signal"], c.get("fields")

        def signal_(ev):
            if only is None and name in ev.skip:
                return False, False
            hit = bool(ev.signal_hits(name, only)[0])
            return hit, hit
        return signal_
    if "ref" in c:
        return _ref_call(c["ref"], refs, compiled_seen)
    if "not" in c:
        inner = compiled_seen(c["not"], refs)
        return lambda ev: (not inner(ev)[0], False)
    plain = compiled(c, refs)  # a field, an item or a kind matched: never "seen" in the text
    return lambda ev: (plain(ev)[0], False)


def _ref_call(name: str, refs: dict, make):
    """A shared condition's function, made on its first call (references may form a chain; cycles are refused
    at load) and kept."""
    fn = None

    def ref_(ev):
        nonlocal fn
        if fn is None:
            fn = make(refs[name], refs)
        return fn(ev)
    return ref_


def _compile_field(c: dict):
    name = c["field"]
    op = next(k for k in c if k in FIELD_OPS)
    want = c[op]
    if op == "exists" or (op == "equals" and isinstance(want, bool)):  # as ``_field_value`` decides them
        exists = op == "exists"
        wanted = bool(want)

        def flag_(ev):
            v = ev.values.get(name)
            if _blank(v):
                return (exists and not wanted), []
            res = wanted if exists else _truthy(v) == want
            return res, _answer_evidence(name, v) if res else []
        return flag_
    if op == "in":  # the common case: the wanted answers normalised once
        wanted = {_norm(w) for w in want} | {_norm(F.canonical_answer(name, str(w))) for w in want}

        def in_(ev):
            v = ev.values.get(name)
            if _blank(v):
                return False, []
            vs = v if isinstance(v, (list, tuple)) else [v]
            if any(_norm(x) in wanted for x in vs):
                return True, _answer_evidence(name, v)
            return False, []
        return in_
    if op == "equals" and not isinstance(want, bool):
        w1, w2 = _norm(want), _norm(F.canonical_answer(name, str(want)))

        def equals_(ev):
            v = ev.values.get(name)
            if _blank(v) or isinstance(v, bool):
                res, v2 = ev._field_value(c)
                return res, _answer_evidence(name, v2) if res and not _blank(v2) else []
            many = isinstance(v, (list, tuple))
            res = any(_norm(x) == w2 or _norm(x) == w1 for x in v) if many else _norm(v) in (w1, w2)
            return res, _answer_evidence(name, v) if res else []
        return equals_

    def field_(ev):
        res, v = ev._field_value(c)
        return res, _answer_evidence(name, v) if res and not _blank(v) else []
    return field_


def _answer_evidence(name: str, v: Any) -> list[dict]:
    return [{"field": name, "text": _show(v) if not isinstance(v, list) else "; ".join(map(str, v)),
             "kind": "answer"}]


def _truthy(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, str):
        return text_key(v) in ("yes", "true", "y", "1")
    return bool(v)
