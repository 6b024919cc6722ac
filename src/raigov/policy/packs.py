"""Policy packs: load and check one YAML file, and the registry of packs keyed by id@version.

``load_pack(path)`` reads a file, validates it against ``pack.schema.json`` and the semantic
rules (fields exist, signals/refs/items exist, no reference cycles, phrases compile) and returns a
``Pack``; every refusal is a ``PackError`` naming the file, the line and the key.

``PackRegistry`` holds packs by ``id@version``. A published pack is immutable: two files with the
same id@version and different content are refused. ``load_registry(extra_dirs)`` builds one from
the shipped packs plus the agency's directories; ``current_registry()`` /
``reload_registry()`` keep the packs in force, and a failed reload leaves them as they were.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from raigov.audit.canonical import sha256_json
from raigov.errors import FieldError, ValidationFailed
from raigov.policy import conditions as C
from raigov.policy import fields as F
from raigov.policy.matcher import attach as attach_phrase_set
from raigov.policy.signals import DEFAULT_NEGATION_CUES, DEFAULT_POST_CUES, PhraseError, Signal
from raigov.policy.yamlsrc import YamlError, YamlProblem, line_of, load_yaml, path_text

ITEM_KINDS = ("definition", "principle", "prohibition", "exclusion", "presumption", "practice", "review", "clock",
              "decision_rule")
SHIPPED_DIR = Path(__file__).with_name("packs")
MAX_PACK_BYTES = 2_000_000


class PackError(ValidationFailed):
    """A pack was refused. ``problems`` lists each with file, line and key."""

    def __init__(self, problems: list[YamlProblem]):
        self.problems = problems
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"policy pack refused: {first}{more}",
                         errors=[FieldError(f"{p.source}:{p.line or '?'} {p.key}".strip(), p.message)
                                 for p in problems])


@dataclass(frozen=True)
class Item:
    id: str
    kind: str
    title: str
    citation: str
    status: str
    text: str = ""
    impact: tuple[str, ...] = ()
    when: dict | None = None
    effect: str | None = None
    timing: str | None = None
    clock: dict | None = None
    reviewers: tuple[str, ...] = ()
    notes: str = ""
    line: int | None = None
    criteria: dict | None = None  # practices: the limits a test report is judged against
    refuse: dict | None = None  # decision rules: {code, when, implements, message} (raigov.oversight.rules)
    notify: dict | None = None  # decision rules: {code, when, methods, message}: the notice owed (oversight.rules)

    def as_dict(self) -> dict:
        d = {"id": self.id, "kind": self.kind, "title": self.title, "citation": self.citation,
             "status": self.status}
        for k in ("text", "effect", "timing", "notes"):
            if getattr(self, k):
                d[k] = getattr(self, k)
        if self.impact:
            d["impact"] = list(self.impact)
        if self.when is not None:
            d["when"] = self.when
        if self.clock:
            d["clock"] = self.clock
        if self.reviewers:
            d["reviewers"] = list(self.reviewers)
        if self.criteria:
            d["criteria"] = dict(self.criteria)
        if self.refuse:
            d["refuse"] = dict(self.refuse)
        if self.notify:
            d["notify"] = dict(self.notify)
        return d


@dataclass
class Pack:
    id: str
    version: str
    title: str
    status: str
    effective_from: dt.date
    effective_until: dt.date | None
    source: dict
    items: tuple[Item, ...]
    signals: dict[str, Signal]
    conditions: dict[str, dict]
    text_fields: dict[str, tuple[str, ...]]
    data: dict  # the document as loaded
    path: str
    digest: str  # sha256 of the canonical JSON of ``data``
    agency: str | None = None
    determination: dict | None = None
    crosswalk: dict | None = None
    supersedes: tuple[str, ...] = ()
    order: tuple[str, ...] = ()  # item ids in evaluation order (dependencies first)
    _by_id: dict = field(default_factory=dict, repr=False)
    _by_kind: dict = field(default_factory=dict, repr=False, compare=False)  # (kind, impact) -> items, made on use

    @property
    def key(self) -> str:
        return f"{self.id}@{self.version}"

    def item(self, item_id: str) -> Item:
        return self._by_id[item_id]

    def items_of(self, kind: str) -> list[Item]:
        return [i for i in self.items if i.kind == kind]

    def items_by_kind(self, kind: str, impact: str | None = None) -> tuple[Item, ...]:
        """The items of ``kind`` (with ``impact`` among their impacts, if given), in the pack's order; kept."""
        got = self._by_kind.get((kind, impact))
        if got is None:
            got = tuple(i for i in self.items if i.kind == kind and (impact is None or impact in i.impact))
            self._by_kind[(kind, impact)] = got
        return got

    def in_force(self, on: dt.date) -> bool:
        return self.effective_from <= on and (self.effective_until is None or on < self.effective_until)

    def summary(self) -> dict:
        counts: dict[str, int] = {}
        for i in self.items:
            counts[i.kind] = counts.get(i.kind, 0) + 1
        return {"id": self.id, "version": self.version, "key": self.key, "title": self.title,
                "status": self.status, "agency": self.agency,
                "effective": {"from": self.effective_from.isoformat(),
                              "until": self.effective_until.isoformat() if self.effective_until else None},
                "source": self.source, "items": counts, "signals": len(self.signals),
                "path": self.path, "sha256": self.digest}


@lru_cache(maxsize=1)
def pack_schema() -> dict:
    return json.loads(resources.files("raigov.policy").joinpath("pack.schema.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _validator() -> jsonschema.protocols.Validator:
    cls = jsonschema.validators.validator_for(pack_schema())
    return cls(pack_schema(), format_checker=cls.FORMAT_CHECKER)


_UNEXPECTED = re.compile(r"\('([^']+)'(?:, '[^']+')* (?:was|were) unexpected\)")


def _schema_problems(data: Any, marks: dict, source: str) -> list[YamlProblem]:
    out = []
    errors = sorted(_validator().iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    for e in errors[:20]:
        path = tuple(e.absolute_path)
        msg = e.message
        if e.validator == "additionalProperties":
            m = _UNEXPECTED.search(msg)
            if m:
                path = path + (m.group(1),)
                msg = f"unknown key {m.group(1)!r}"
        elif e.validator == "propertyNames":
            msg = f"bad name: {msg}"
        elif e.validator == "required":
            msg = f"missing key: {msg}"
        out.append(YamlProblem(source, line_of(marks, path), path_text(path) or "(top)", msg))
    return out


# keys that are the pack's own tests, not what it decides: left out of its digest, so stating them in a published
# version does not make it a different publication (the screen of every use case is the same with or without them)
METADATA_KEYS = ("signal_precision_floor",)


def canonical_digest(data: Any) -> str:
    if isinstance(data, dict) and any(k in data for k in METADATA_KEYS):
        data = {k: v for k, v in data.items() if k not in METADATA_KEYS}
    return sha256_json(data)


def _find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    WHITE, GREY, BLACK = 0, 1, 2
    color = {n: WHITE for n in graph}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        color[n] = GREY
        stack.append(n)
        for m in graph.get(n, ()):
            if color.get(m, BLACK) == GREY:
                return stack[stack.index(m):] + [m]
            if color.get(m) == WHITE:
                cyc = visit(m)
                if cyc:
                    return cyc
        stack.pop()
        color[n] = BLACK
        return None

    for n in graph:
        if color[n] == WHITE:
            cyc = visit(n)
            if cyc:
                return cyc
    return None


def parse_pack(text: str, source: str) -> Pack:
    """Parse and check a pack document; raise PackError naming file, line and key.

    Long because it checks a pack document key by key, in the document's order, each check naming the
    file, line and key it refuses."""
    try:
        data, marks = load_yaml(text, source)
    except YamlError as exc:
        raise PackError([exc.problem]) from None
    if not isinstance(data, dict):
        raise PackError([YamlProblem(source, 1, "(top)", "a pack is a mapping with id, title, version, ...")])
    probs = _schema_problems(data, marks, source)
    if probs:
        raise PackError(probs)

    def P(path: tuple, msg: str) -> YamlProblem:
        return YamlProblem(source, line_of(marks, path), path_text(path), msg)

    problems: list[YamlProblem] = []
    neg = data.get("negation") or {}
    cues = tuple(c.lower() for c in neg.get("cues", DEFAULT_NEGATION_CUES))
    post = tuple(neg.get("post_cues", DEFAULT_POST_CUES))

    # text fields
    text_fields = {k: tuple(v) for k, v in (data.get("text_fields") or F.TEXT_FIELDS).items()}
    for schema, names in (data.get("text_fields") or {}).items():
        for i, n in enumerate(names):
            if not F.field_exists(n):
                problems.append(P(("text_fields", schema, i), f"no such field {n!r}"))

    # signals
    signals: dict[str, Signal] = {}
    raw_signals = data.get("signals") or {}
    for name, sd in raw_signals.items():
        sp = ("signals", name)
        if not sd.get("phrases") and not sd.get("any_of"):
            problems.append(P(sp, "a signal needs phrases or any_of"))
            continue
        for i, other in enumerate(sd.get("any_of", [])):
            if other not in raw_signals:
                problems.append(P(sp + ("any_of", i), f"no signal {other!r} in this pack"))
        for i, n in enumerate(sd.get("fields", [])):
            if not F.field_exists(n):
                problems.append(P(sp + ("fields", i), f"no such field {n!r}"))
        sig = Signal(name=name, phrases=tuple(sd.get("phrases", ())), title=sd.get("title", ""),
                     excepts=tuple(sd.get("except", ())), negation=sd.get("negation", True),
                     inflect=sd.get("inflect", True),
                     fields=tuple(sd["fields"]) if sd.get("fields") else None,
                     any_of=tuple(sd.get("any_of", ())), cues=cues, post_cues=post)
        try:
            sig.compile()
        except (PhraseError, re.error) as exc:
            # find which phrase
            bad_path = sp
            for key in ("phrases", "except"):
                for i, ph in enumerate(sd.get(key, [])):
                    try:
                        Signal(name="t", phrases=(ph,), inflect=sig.inflect).compile()
                    except (PhraseError, re.error):
                        bad_path = sp + (key, i)
                        break
            problems.append(P(bad_path, f"bad phrase: {exc}"))
            continue
        signals[name] = sig

    attach_phrase_set(signals)  # one filter of every phrase by the words it needs
    for name in (data.get("signal_precision_floor") or {}).get("known_below") or {}:
        if name not in raw_signals:
            problems.append(P(("signal_precision_floor", "known_below", name), f"no signal {name!r} in this pack"))

    refs = data.get("conditions") or {}
    raw_items = data["items"]
    items_by_id: dict[str, dict] = {}
    for i, it in enumerate(raw_items):
        if it["id"] in items_by_id:
            problems.append(P(("items", i, "id"), f"duplicate item id {it['id']!r}"))
        items_by_id[it["id"]] = it
    kinds = set(ITEM_KINDS)
    for name, cond in refs.items():
        for cp in C.check(cond, ("conditions", name), signals=raw_signals, refs=refs, items=items_by_id, kinds=kinds):
            problems.append(P(cp.path, cp.message))
    for i, it in enumerate(raw_items):
        ip = ("items", i)
        if it["kind"] in ("presumption", "prohibition", "exclusion") and "when" not in it:
            problems.append(P(ip, f"a {it['kind']} item needs a 'when' condition"))
        if "effect" in it and it["kind"] != "exclusion":
            problems.append(P(ip + ("effect",), "effect is for exclusion items only"))
        if it["kind"] == "exclusion" and "effect" not in it:
            problems.append(P(ip, "an exclusion item needs an effect (out-of-scope or practices-not-required)"))
        if (it["kind"] == "decision_rule") != (("refuse" in it) != ("notify" in it)):
            problems.append(P(ip, "a decision_rule item needs 'refuse' or 'notify' (one of them), and only decision "
                                  "rules have them"))
        elif "refuse" in it and it["refuse"].get("implements", it["id"]) not in items_by_id:
            problems.append(P(ip + ("refuse", "implements"), f"no item {it['refuse']['implements']!r} in this pack"))
        if "when" in it:
            for cp in C.check(it["when"], ip + ("when",), signals=raw_signals, refs=refs, items=items_by_id,
                              kinds=kinds):
                problems.append(P(cp.path, cp.message))
    if problems:
        raise PackError(problems)

    # reference cycles among signals, shared conditions and items
    graph: dict[str, list[str]] = {}
    where: dict[str, tuple] = {}
    for name, sd in raw_signals.items():
        graph[f"signal:{name}"] = [f"signal:{o}" for o in sd.get("any_of", [])]
        where[f"signal:{name}"] = ("signals", name)

    def deps(cond) -> list[str]:
        out = []
        for kind, target in C.references(cond):
            if kind == "signal":
                out.append(f"signal:{target}")
            elif kind == "ref":
                out.append(f"ref:{target}")
            elif kind == "item":
                out.append(f"item:{target}")
            elif kind == "matched":
                for it in raw_items:
                    if it["kind"] == target["kind"] and (target.get("impact") is None
                                                          or target["impact"] in it.get("impact", [])):
                        out.append(f"item:{it['id']}")
        return out

    for name, cond in refs.items():
        graph[f"ref:{name}"] = deps(cond)
        where[f"ref:{name}"] = ("conditions", name)
    for i, it in enumerate(raw_items):
        graph[f"item:{it['id']}"] = deps(it["when"]) if "when" in it else []
        where[f"item:{it['id']}"] = ("items", i, "when")
    cyc = _find_cycle(graph)
    if cyc:
        raise PackError([P(where[cyc[0]], "reference cycle: " + " -> ".join(cyc))])

    # evaluation order of items: dependencies first (graph is acyclic)
    order: list[str] = []
    seen: set[str] = set()

    def place(node: str):
        if node in seen:
            return
        seen.add(node)
        for d in graph.get(node, ()):
            place(d)
        if node.startswith("item:"):
            order.append(node[5:])

    for it in raw_items:
        place(f"item:{it['id']}")

    eff = data["effective"]
    e_from = dt.date.fromisoformat(eff["from"])
    e_until = dt.date.fromisoformat(eff["until"]) if eff.get("until") else None
    if e_until is not None and e_until <= e_from:
        raise PackError([P(("effective", "until"), "until must be after from")])
    status = data["status"]
    items = tuple(
        Item(id=it["id"], kind=it["kind"], title=it["title"], citation=it["citation"],
             status=it.get("status", status if status != "mixed" else "verified"), text=it.get("text", ""),
             impact=tuple(it.get("impact", ())), when=it.get("when"), effect=it.get("effect"),
             timing=it.get("timing"), clock=it.get("clock"), reviewers=tuple(it.get("reviewers", ())),
             notes=it.get("notes", ""), line=line_of(marks, ("items", i)), criteria=it.get("criteria"),
             refuse=it.get("refuse"), notify=it.get("notify"))
        for i, it in enumerate(raw_items))
    cw = data.get("crosswalk")
    if cw:
        for i, entry in enumerate(cw["entries"]):
            for j, target in enumerate(entry["to"]):
                if target not in items_by_id:
                    raise PackError([P(("crosswalk", "entries", i, "to", j), f"no item {target!r} in this pack")])
    pack = Pack(id=data["id"], version=data["version"], title=data["title"], status=status,
                effective_from=e_from, effective_until=e_until, source=data["source"], items=items,
                signals=signals, conditions=refs, text_fields=text_fields, data=data, path=source,
                digest=canonical_digest(data), agency=data.get("agency"), determination=data.get("determination"),
                crosswalk=cw, supersedes=tuple(data.get("supersedes", ())), order=tuple(order))
    pack._by_id.update({i.id: i for i in items})
    return pack


def load_pack(path: str | Path) -> Pack:
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise PackError([YamlProblem(str(p), None, "", f"cannot read: {exc.strerror or exc}")]) from None
    if len(raw) > MAX_PACK_BYTES:
        raise PackError([YamlProblem(str(p), None, "", f"larger than {MAX_PACK_BYTES} bytes")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PackError([YamlProblem(str(p), None, "", f"not UTF-8 text: {exc}")]) from None
    return parse_pack(text, str(p))


def _version_key(v: str) -> tuple:
    main, _, pre = v.partition("-")
    nums = tuple(int(x) for x in main.split("."))
    nums = nums + (0,) * (3 - len(nums))
    return nums + ((1, "") if not pre else (0, pre))


class PackRegistry:
    """Packs by id@version. Adding a different document under an existing id@version is refused."""

    def __init__(self):
        self._packs: dict[str, Pack] = {}

    def add(self, pack: Pack) -> None:
        old = self._packs.get(pack.key)
        if old is not None:
            if old.digest != pack.digest:
                raise PackError([YamlProblem(
                    pack.path, 1, "version",
                    f"{pack.key} is already published by {old.path} with different content; "
                    "a published pack is immutable: give the change a new version")])
            return
        self._packs[pack.key] = pack

    def __contains__(self, key: str) -> bool:
        try:
            self.get(key)
        except KeyError:
            return False
        return True

    def __len__(self) -> int:
        return len(self._packs)

    def packs(self) -> list[Pack]:
        return sorted(self._packs.values(), key=lambda p: (p.id, _version_key(p.version)))

    def versions(self, pack_id: str) -> list[Pack]:
        return [p for p in self.packs() if p.id == pack_id]

    def get(self, ref: str) -> Pack:
        """``id`` (latest version) or ``id@version``; KeyError if unknown."""
        if "@" in ref:
            if ref in self._packs:
                return self._packs[ref]
            raise KeyError(ref)
        vs = self.versions(ref)
        if not vs:
            raise KeyError(ref)
        return vs[-1]

    def in_force(self, on: dt.date, *, agency: str | None = None) -> list[Pack]:
        """Latest version of each pack in force on a date (government-wide, plus ``agency``'s)."""
        latest: dict[str, Pack] = {}
        for p in self.packs():
            if p.in_force(on) and (p.agency is None or agency is None or p.agency == agency):
                latest[p.id] = p
        return list(latest.values())


def pack_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.yaml") if p.is_file()) + sorted(
        p for p in directory.glob("*.yml") if p.is_file())


def load_registry(extra_dirs: list[str | Path] | None = None) -> PackRegistry:
    """The shipped packs plus every ``*.yaml`` in ``extra_dirs``; any refusal raises PackError."""
    return _load(extra_dirs, None)


def _load(extra_dirs: list[str | Path] | None, wanted=None) -> PackRegistry:
    """The registry of every pack file, or of those ``wanted(id, version)`` accepts by what they plainly state
    (a file that states no single id and version is parsed)."""
    reg = PackRegistry()
    problems: list[YamlProblem] = []
    dirs = [SHIPPED_DIR] + [Path(d) for d in (extra_dirs or [])]
    for d in dirs:
        if not d.is_dir():
            problems.append(YamlProblem(str(d), None, "", "policy directory does not exist"))
            continue
        for f in pack_files(d):
            if wanted is not None and (stated := _stated(f)) is not None and not wanted(*stated):
                continue
            try:
                reg.add(load_pack(f))
            except PackError as exc:
                problems.extend(exc.problems)
    if problems:
        raise PackError(problems)
    return reg


_TOP = {k: re.compile(rf"""^{k}:[ \t]*(["']?)([A-Za-z0-9_.\-+]+)\1[ \t]*(?:#.*)?$""", re.MULTILINE)
        for k in ("id", "version")}


def _stated(path: Path) -> tuple[str, str] | None:
    """The pack id and version a file plainly states (one top-level ``id:`` and one ``version:`` line), or None."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    if len(raw) > MAX_PACK_BYTES:
        return None
    text = raw.decode("utf-8", "replace")
    found = [rx.findall(text) for rx in _TOP.values()]
    return (found[0][0][1], found[1][0][1]) if all(len(f) == 1 for f in found) else None


def _newest(versions: list[str]) -> str | None:
    try:
        return max(versions, key=_version_key) if versions else None
    except ValueError:  # a version _version_key cannot read: load them all
        return None


def load_packs_for(refs: list[str], extra_dirs: list[str | Path] | None = None) -> PackRegistry:
    """A registry holding the packs ``refs`` name as ``load_registry`` would give them, for a command that uses
    those packs only: ``id@version`` loads that version's file, ``id`` the newest version's (by what the files
    plainly state: top-level ``id:`` and ``version:`` lines); a file that states neither plainly is parsed. When
    one of ``refs`` is not found, is not the newest, or a file is refused, the whole registry is loaded as
    ``load_registry`` does, so the same refusal (every problem of every file) or the same registry for the
    caller's "no such pack" message comes out."""
    stated = [s for d in [SHIPPED_DIR] + [Path(x) for x in (extra_dirs or [])] if d.is_dir()
              for f in pack_files(d) if (s := _stated(f)) is not None]
    keys = {r for r in refs if "@" in r}
    for r in refs:
        if "@" not in r:
            newest = _newest([v for i, v in stated if i == r])
            keys.add(f"{r}@{newest}" if newest else r)
    try:
        reg = _load(extra_dirs, lambda i, v: f"{i}@{v}" in keys or i in keys)
    except PackError:
        return load_registry(extra_dirs)
    if all(r in reg for r in refs) and all("@" in r or r in keys or f"{r}@{reg.get(r).version}" in keys
                                           for r in refs):
        return reg
    return load_registry(extra_dirs)


_lock = threading.Lock()
_current: PackRegistry | None = None


def configured_dirs() -> list[Path]:
    if not any(k.upper() == "RAIGOV_POLICY_DIR" for k in os.environ):
        return []  # the setting comes from that variable only (case-insensitive): no need to load the settings
    from raigov.config import get_settings

    d = get_settings().policy_dir
    return [d] if d else []


def current_registry() -> PackRegistry:
    """The packs in force (shipped + ``Settings.policy_dir``), loaded once."""
    global _current
    with _lock:
        if _current is None:
            _current = load_registry(configured_dirs())
        return _current


def reload_registry(extra_dirs: list[str | Path] | None = None) -> PackRegistry:
    """Reload; on any refusal raise PackError and keep the packs in force unchanged."""
    global _current
    new = load_registry(configured_dirs() if extra_dirs is None else extra_dirs)
    with _lock:
        _current = new
    return new
