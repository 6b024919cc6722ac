"""How precise each signal and condition of a pack is on labelled inventory files (``raigov policy
signals-report``), and the precision floor a pack may set.

For every row of the files, the agency's own answer in the label column is read as positive, negative or
unlabelled (``raigov.policy.labels``). Then, for each of the pack's signals (found, not negated, as the
screen finds it), shared conditions and items with a condition, the rows on which it holds are counted
by label. Precision = positives / (positives + negatives) among the labelled rows it holds on.

A pack may set ``signal_precision_floor: {min_precision: P, min_hits: N}``: every signal that holds on
at least N labelled rows must have a precision of at least P (``below_floor``; the pack's tests check it
on the public labelled data).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from raigov.errors import ValidationFailed
from raigov.policy import fields as F
from raigov.policy.conditions import Evaluator
from raigov.policy.labels import NEGATIVE, POSITIVE, label
from raigov.policy.packs import Pack
from raigov.policy.screen import Subject, screen, signal_hits


@dataclass
class Tally:
    kind: str  # signal | condition | item
    name: str
    title: str = ""
    pos: int = 0
    neg: int = 0
    unl: int = 0

    @property
    def labelled(self) -> int:
        return self.pos + self.neg

    @property
    def precision(self) -> float | None:
        return self.pos / self.labelled if self.labelled else None

    def as_dict(self) -> dict:
        return {"kind": self.kind, "name": self.name, "title": self.title, "positive_hits": self.pos,
                "negative_hits": self.neg, "unlabelled_hits": self.unl, "precision": self.precision}


@dataclass
class Report:
    pack: str
    files: list[str]
    label_column: str
    rows: dict[str, int] = field(default_factory=lambda: {POSITIVE: 0, NEGATIVE: 0, "unl": 0})
    tallies: list[Tally] = field(default_factory=list)
    floor: dict | None = None

    def below_floor(self) -> list[Tally]:
        return below_floor(self.tallies, self.floor)

    def as_dict(self) -> dict:
        low = {(t.kind, t.name) for t in self.below_floor()}
        return {"pack": self.pack, "files": self.files, "label_column": self.label_column,
                "rows": {"positive": self.rows[POSITIVE], "negative": self.rows[NEGATIVE],
                         "unlabelled": self.rows["unl"]},
                "floor": self.floor,
                "entries": [dict(t.as_dict(), below_floor=(t.kind, t.name) in low) for t in self.tallies]}


def below_floor(tallies: Iterable[Tally], floor: dict | None) -> list[Tally]:
    """The signals that hold on at least ``min_hits`` labelled rows with a precision under ``min_precision``."""
    if not floor:
        return []
    need, least = floor.get("min_hits", 1), floor["min_precision"]
    return [t for t in tallies if t.kind == "signal" and t.labelled >= need and t.labelled
            and t.precision < least]


def too_few_hits(tallies: Iterable[Tally], floor: dict | None) -> list[Tally]:
    """The signals under ``min_precision`` on fewer than ``min_hits`` labelled rows: reported, not judged."""
    if not floor:
        return []
    need, least = floor.get("min_hits", 1), floor["min_precision"]
    return [t for t in tallies if t.kind == "signal" and 0 < t.labelled < need and t.precision < least]


def label_values(parsed, column: str) -> list:
    """The label column's answer on every row of a parsed inventory: ``column`` is a header of the file
    (case and spaces ignored) or a catalogue field name."""
    want = " ".join(column.split()).casefold()
    for i, h in enumerate(parsed.header or []):
        if isinstance(h, str) and " ".join(h.split()).casefold() == want:
            name = parsed.columns[i] if i < len(parsed.columns) else None
            if name:
                return [r.values.get(name) for r in parsed.rows]
            return [r.extra.get(h) for r in parsed.rows]
    if any(column in r.values for r in parsed.rows):
        return [r.values.get(column) for r in parsed.rows]
    raise ValidationFailed.one("labels", f"no column {column!r} in {parsed.source_name}")


def _holds(pack: Pack, values: dict, schema: str | None) -> dict[tuple[str, str], bool]:
    """For one row: whether each signal, shared condition and conditioned item holds."""
    res = screen(values, pack, schema=schema, with_trace=False)
    items = {t.item: t.result for t in res.trace}
    subj = Subject(values, schema, pack.text_fields)
    out: dict[tuple[str, str], bool] = {}
    for name in pack.signals:
        out[("signal", name)] = bool(signal_hits(pack, subj, name)[0])

    def kind_matched(kind, impact):
        return [i.id for i in pack.items if i.kind == kind and (impact is None or impact in i.impact)
                and items.get(i.id)]

    ev = Evaluator(subj.values, refs=pack.conditions, signal_hits=lambda n, fl: signal_hits(pack, subj, n, fl),
                   item_result=lambda i: (items.get(i, False), []), kind_matched=kind_matched, trace=False)
    for name, cond in pack.conditions.items():
        out[("condition", name)] = ev.test(cond)[0]
    for it in pack.items:
        if it.when is not None:
            out[("item", it.id)] = bool(items.get(it.id))
    return out


def signals_report(parsed_files: list, pack: Pack, label_column: str) -> Report:
    """The report for ``pack`` on parsed inventories (``read_inventory``), labelled by ``label_column``."""
    rep = Report(pack=pack.key, files=[p.source_name for p in parsed_files], label_column=label_column,
                 floor=pack.data.get("signal_precision_floor"))
    tallies: dict[tuple[str, str], Tally] = {}
    for name, sig in pack.signals.items():
        tallies[("signal", name)] = Tally("signal", name, sig.title)
    for name in pack.conditions:
        tallies[("condition", name)] = Tally("condition", name)
    for it in pack.items:
        if it.when is not None:
            tallies[("item", it.id)] = Tally("item", it.id, it.title)
    for parsed in parsed_files:
        labels = label_values(parsed, label_column)
        for r, answer in zip(parsed.rows, labels):
            lab = label(answer)
            rep.rows[lab] += 1
            schema = parsed.schema or F.guess_schema(r.values)
            for key, held in _holds(pack, r.values, schema).items():
                if held:
                    t = tallies[key]
                    setattr(t, lab, getattr(t, lab) + 1)
    rep.tallies = list(tallies.values())
    return rep
