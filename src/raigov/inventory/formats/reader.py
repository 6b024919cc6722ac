"""``read_inventory``: any published inventory file -> ``ParsedInventory``.

Steps: size and type checks -> cells (sources.py) -> header row and form detection from the
header set -> per-cell normalisation against the catalogue (normalize.py) -> rows + problems.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from raigov.inventory.catalog import Field, fields, text_key
from raigov.inventory.formats import sources
from raigov.inventory.formats.model import InventoryRow, ParsedInventory, Problem
from raigov.inventory.formats.sources import fail
from raigov.inventory.normalize import format_value, normalize_cell

HEADER_SCAN_ROWS = 10
_ALNUM = re.compile(r"\w", re.UNICODE)


@dataclass(frozen=True)
class Family:
    """A header set: one schema's fields as named in one header convention."""
    schema: str
    kind: str  # short | long
    style: str  # value formatting convention of files with this header set (normalize.format_value)
    fields: tuple[Field, ...]
    by_key: dict  # header key -> [fields] in catalogue order


def _family(schema: str, kind: str, style: str) -> Family:
    fs = fields(schema)
    by_key: dict[str, list[Field]] = {}
    for f in fs:
        h = f.csv_header if kind == "short" else f.long_header
        by_key.setdefault(text_key(h), []).append(f)
    return Family(schema, kind, style, fs, by_key)


@lru_cache(maxsize=1)
def families() -> tuple[Family, ...]:
    return (
        _family("2025", "short", "short"),
        _family("2025", "long", "long"),
        _family("2024", "short", "json"),
        _family("2024", "long", "json"),
        _family("2023", "short", "json"),
        _family("cots-2025", "short", "short"),
    )


def map_header(fam: Family, header: list[str]) -> tuple[list[Field | None], list[tuple[int, str, str]]]:
    """Map header cells to fields. A repeated header (2024's nine ``If Other, please explain.``)
    goes to the first unused field with that header after the previous mapped column."""
    out: list[Field | None] = []
    notes: list[tuple[int, str, str]] = []  # (col, code, detail)
    used: set[str] = set()
    last_pos = -1
    for i, h in enumerate(header):
        cands = fam.by_key.get(text_key(h)) if h.strip() else None
        if not cands:
            out.append(None)
            continue
        pick = None
        for f in cands:
            if f.name not in used and f.position > last_pos:
                pick = f
                break
        if pick is None:
            for f in cands:
                if f.name not in used:
                    pick = f
                    break
        if pick is None:
            out.append(None)
            notes.append((i, "header-duplicate", h))
            continue
        hdr = pick.csv_header if fam.kind == "short" else pick.long_header
        if h != hdr:
            notes.append((i, "header-repaired", h))
        used.add(pick.name)
        last_pos = pick.position
        out.append(pick)
    return out, notes


def _score(fam: Family, header: list[str]) -> tuple[float, int, list]:
    mapped, _ = map_header(fam, header)
    n = sum(1 for m in mapped if m is not None)
    nonempty = sum(1 for h in header if h.strip())
    if not nonempty:
        return 0.0, 0, mapped
    return n / max(nonempty, 1), n, mapped


_NAME_FIELDS = {"2025": "use_case_name", "2024": "2_use_case_name", "2023": "Title", "cots-2025": "cots_task"}


def detect(rows: list[tuple[int, list[str]]]) -> tuple[int, Family, list[Field | None]] | None:
    """(index of the header row among ``rows``, family, mapping) or None."""
    best = None
    for idx, (_, cells) in enumerate(rows[:HEADER_SCAN_ROWS]):
        for fam in families():
            frac, n, mapped = _score(fam, cells)
            if n < 3 or frac < 0.6:
                continue
            if not any(m is not None and m.name == _NAME_FIELDS[fam.schema] for m in mapped):
                continue
            key = (n / len(fam.fields) + frac, n)
            if best is None or key > best[0]:
                best = (key, idx, fam, mapped)
    if best is None:
        return None
    return best[1], best[2], best[3]


def _form_name(fam: Family, mapped: list[Field | None], ext: str) -> tuple[str, int]:
    if fam.schema == "cots-2025":
        return f"omb-2025-cots-{ext}", 2025
    year = int(fam.schema)
    prefix = "omb"
    if year == 2025 and fam.kind == "long":
        names = {m.name for m in mapped if m is not None}
        if "agency" not in names and "agency_name" not in names:
            prefix = "dhs"  # an agency's own template (DHS's file): no OMB-added agency columns
    if year == 2025 and prefix == "omb" and fam.kind != ("short" if ext == "csv" else "long"):
        # OMB publishes short names in CSV and long names in XLSX; the other pairing is a form
        # of its own, so an exporter never re-emits long raw texts into the short CSV or back.
        return f"omb-2025-{fam.kind}-{ext}", year
    return f"{prefix}-{year}-{ext}", year


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _kind_from(path: Path, data: bytes) -> str:
    ext = path.suffix.lower()
    if ext in (".xlsx", ".xlsm"):
        if not data.startswith(sources.ZIP_MAGIC):
            what = sources.sniff_binary(data)
            raise sources.fail(f"is named {ext} but is not an XLSX workbook"
                               + (f" (it looks like {what})" if what else " (it is not a ZIP archive)"),
                               "bad-xlsx")
        return "xlsx"
    if ext == ".xls":
        if not data.startswith(sources.OLE_MAGIC):
            raise sources.fail("is named .xls but is not a legacy Excel workbook", "bad-xls")
        return "xls"
    if ext in (".csv", ".txt", ".tsv"):
        what = sources.sniff_binary(data)
        if what:
            raise sources.fail(f"is named {ext} but is {what}, not a text CSV file", "not-csv")
        return "csv"
    if data.startswith(sources.ZIP_MAGIC):
        return "xlsx"
    if data.startswith(sources.OLE_MAGIC):
        return "xls"
    what = sources.sniff_binary(data)
    if what:
        raise sources.fail(f"is {what}, not an inventory file (CSV, XLSX or XLS)", "unknown-format")
    return "csv"


def read_inventory(path: str | os.PathLike, *, max_bytes: int | None = None) -> ParsedInventory:
    """Read any published inventory file (see docs/inventory-formats.md). Raises
    ``ValidationFailed`` (field ``file``) for a file that is not an inventory at all."""
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as e:
        raise fail(f"cannot be opened ({e.strerror})", "unreadable") from None
    if max_bytes is not None and size > max_bytes:
        raise fail(f"is {size} bytes, more than the {max_bytes} allowed", "too-large")
    data = p.read_bytes()
    if max_bytes is not None and len(data) > max_bytes:
        raise fail(f"is {len(data)} bytes, more than the {max_bytes} allowed", "too-large")
    return read_inventory_bytes(data, p.name, max_bytes=max_bytes)


def read_inventory_bytes(data: bytes, source_name: str, *, max_bytes: int | None = None) -> ParsedInventory:
    if max_bytes is not None and len(data) > max_bytes:
        raise fail(f"is {len(data)} bytes, more than the {max_bytes} allowed", "too-large")
    if not data.strip(b" \t\r\n\x00" + sources.BOM):
        raise fail("is empty", "empty")
    kind = _kind_from(Path(source_name), data)
    problems: list[Problem] = []
    encoding = None
    sheet_name = None
    if kind == "csv":
        text, encoding = sources.decode_text(data)
        if encoding == "cp1252":
            problems.append(Problem(None, None, None, "info", "encoding-cp1252",
                                    "the file is not UTF-8; read as Windows-1252. Characters that "
                                    "encoding cannot hold were already lost (often written as '?')",
                                    "decoded as Windows-1252"))
        elif encoding == "latin-1":
            problems.append(Problem(None, None, None, "warning", "encoding-unknown",
                                    "the file is neither UTF-8 nor Windows-1252", "decoded as Latin-1"))
        if not text.strip():
            raise fail("is empty", "empty")
        rows_iter = sources.csv_rows(text)
        head: list[tuple[int, list[str]]] = []
        for item in rows_iter:
            head.append(item)
            if len(head) >= HEADER_SCAN_ROWS:
                break
        det = detect(head)
        if det is None:
            raise _unknown_header(head)
        h_idx, fam, mapped = det
        header_line, header = head[h_idx]
        body: Iterable = _chain_csv(head[h_idx + 1:], rows_iter)
    else:
        if kind == "xlsx":
            sheets, notes = sources.read_xlsx(data, max_bytes)
        else:
            sheets, notes = sources.read_xls(data)
        for sev, code, msg in notes:
            problems.append(Problem(None, None, None, sev, code, msg, "ignored"))
        found = None
        for sh in sheets:
            head = [(r, t) for r, t, _ in sh.rows[:HEADER_SCAN_ROWS]]
            det = detect(head)
            if det is not None:
                found = (sh, det)
                break
        if found is None:
            first = next((sh for sh in sheets if sh.rows), None)
            raise _unknown_header([(r, t) for r, t, _ in first.rows[:HEADER_SCAN_ROWS]] if first else [])
        sh, (h_idx, fam, mapped) = found
        sheet_name = sh.name
        others = [s.name for s in sheets if s is not sh]
        if others:
            problems.append(Problem(None, None, None, "info", "sheets-ignored",
                                    f"the workbook's other sheets were not read: {', '.join(others)}",
                                    f"read the sheet {sh.name!r}"))
        header_line, header, _ = sh.rows[h_idx]
        body = sh.rows[h_idx + 1:]
        for r, c, sev, code, raw in sh.notes:
            if r > header_line and c < len(mapped):
                col = mapped[c].name if mapped[c] is not None else (header[c] if c < len(header) else None)
                problems.append(Problem(r - header_line, col, raw, sev, code,
                                        "a formula cell: its text is kept, it was not evaluated"
                                        if code == "formula-cell" else "a spreadsheet error value",
                                        "kept the text as given"))
    if header_line > 1 or h_idx > 0:
        problems.append(Problem(None, None, None, "info", "header-not-first-row",
                                f"the header is on row {header_line}; the rows above it are titles",
                                "skipped the title rows"))
    form, year = _form_name(fam, mapped, kind)
    return _build(data, source_name, form, year, fam, header, mapped, header_line, body, problems,
                  encoding, sheet_name)


def _chain_csv(first: list, rest: Iterable) -> Iterable:
    for line, cells in first:
        yield line, cells, None
    for line, cells in rest:
        yield line, cells, None


def _unknown_header(head: list[tuple[int, list[str]]]):
    first = next((cells for _, cells in head if any(c.strip() for c in cells)), [])
    shown = ", ".join(repr(c[:40]) for c in first[:6])
    return fail("has no header row of a known inventory format (OMB 2023, 2024, 2025, 2025 COTS or an "
                f"agency's 2025 template); first row: {shown or '(empty)'}", "unknown-header")


def _build(data, source_name, form, year, fam: Family, header, mapped, header_line, body, problems,
           encoding, sheet_name) -> ParsedInventory:
    """One parsed row from its cells. Long because it maps every kind of column (catalogue fields, extra
    columns, the id and the name) in one pass over the row."""
    style = fam.style
    header = [h if isinstance(h, str) else "" for h in header]
    _, hnotes = map_header(fam, header)
    for col, code, h in hnotes:
        if code == "header-repaired":
            problems.append(Problem(None, mapped[col].name, h, "info", code,
                                    "header matched after ignoring case, spacing and dash differences",
                                    f"read as {mapped[col].name}"))
        else:
            problems.append(Problem(None, h, h, "warning", code, "the column appears twice",
                                    "the later column is kept under extra"))
    present = {m.name for m in mapped if m is not None}
    missing = [f.name for f in fam.fields if f.name not in present]
    if missing:
        problems.append(Problem(None, None, None, "info", "columns-missing",
                                f"{len(missing)} column(s) of the format are absent: {', '.join(missing)}",
                                "their values are empty"))
    unknown = [h for h, m in zip(header, mapped) if m is None and h.strip()]
    if unknown:
        problems.append(Problem(None, None, None, "info", "columns-unknown",
                                f"{len(unknown)} column(s) are not in the catalogue: "
                                + ", ".join(repr(u[:40]) for u in unknown), "kept as given under extra"))
    ncols = len(header)
    rows: list[InventoryRow] = []
    seen_ids: dict[str, int] = {}
    data_row = 0
    id_field = "id" if fam.schema == "2025" else ("Use_Case_ID" if fam.schema == "2023" else None)
    for line, cells, typed in body:
        data_row += 1
        if not any(c.strip() for c in cells):
            continue
        if not any(_ALNUM.search(c) for c in cells):
            problems.append(Problem(data_row, None, " | ".join(c for c in cells if c.strip())[:200],
                                    "info", "row-junk", "the row has no letters or digits in any cell",
                                    "skipped the row"))
            continue
        values: dict[str, Any] = {}
        raw: dict[str, str] = {}
        extra: dict[str, str] = {}
        if len(cells) > ncols and any(c.strip() for c in cells[ncols:]):
            problems.append(Problem(data_row, None, None, "warning", "row-long",
                                    f"the row has {len(cells)} cells, the header {ncols}",
                                    "kept the surplus cells under extra"))
        for i, cell in enumerate(cells):
            f = mapped[i] if i < ncols else None
            if f is None:
                h = header[i] if i < ncols else ""
                if h.strip():
                    extra[h if h not in extra else f"{h} ({i + 1})"] = cell
                elif cell.strip():
                    extra[f"column {i + 1}"] = cell
                continue
            t = typed.get(i) if typed else None
            number = isinstance(t, (int, float))  # a number (or TRUE/FALSE) cell of a workbook
            v, notes = normalize_cell(f, cell, None if number else t)
            values[f.name] = v
            if number:
                raw[f.name] = t  # the cell as it was, a number: written back as a number (formats.export)
            elif format_value(f, v, style) != cell:
                raw[f.name] = cell
            for n in notes:
                problems.append(Problem(data_row, f.name, cell, n.severity, n.code, n.message, n.action))
        for f in mapped:
            if f is not None and f.name not in values:
                values[f.name] = None
        if id_field and values.get(id_field):
            k = str(values[id_field])
            if k in seen_ids:
                problems.append(Problem(data_row, id_field, k, "warning", "id-duplicate",
                                        f"the use case id {k!r} is also on data row {seen_ids[k]}",
                                        "kept both rows"))
            else:
                seen_ids[k] = data_row
        rows.append(InventoryRow(row=data_row, line=line, values=values, raw=raw, extra=extra,
                                 source_form=form))
    if not rows:
        problems.append(Problem(None, None, None, "warning", "no-rows", "the file has a header but no use cases",
                                "nothing to import"))
    return ParsedInventory(form=form, year=year, source_name=source_name, sha256=_sha256(data),
                           header=list(header), rows=rows, problems=problems, encoding=encoding,
                           schema=fam.schema, sheet=sheet_name, header_line=header_line,
                           columns=[m.name if m is not None else None for m in mapped])
