"""The reader contract's dataclasses (see ``raigov.inventory.formats.read_inventory``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning", "info"]


@dataclass
class Problem:
    row: int | None  # 1-based data row number, None for file-level problems
    column: str | None  # canonical field name, or the header text for unknown columns
    raw: str | None  # the raw cell text concerned
    severity: Severity
    code: str  # stable code, listed in docs/inventory-formats.md
    message: str
    action: str  # what the reader did about it


@dataclass
class InventoryRow:
    row: int  # 1-based data row number as a human counts data rows in the file
    line: int | None  # physical line (CSV) or sheet row number (XLSX/XLS), for messages
    values: dict[str, object]  # canonical field -> str | list[str] | datetime.date | None
    # only where the value differs from the raw text; a workbook's number or TRUE/FALSE cell is kept as that
    # number or bool (its type), so that a workbook written back has a number cell where it had one
    raw: dict[str, str | int | float | bool] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)  # columns not in the catalogue: header -> text
    source_form: str | None = None  # form the row was read from (lets an exporter reuse raw text)


@dataclass
class ParsedInventory:
    form: str  # e.g. omb-2025-csv, omb-2024-xls, dhs-2025-xlsx, omb-2025-cots-csv
    year: int
    source_name: str
    sha256: str
    header: list[str]
    rows: list[InventoryRow]
    problems: list[Problem]
    encoding: str | None  # text encoding for CSV ("utf-8-sig", "utf-8", "cp1252"); None for workbooks
    schema: str = ""  # catalogue schema of the values: "2025" | "2024" | "2023" | "cots-2025"
    sheet: str | None = None  # worksheet read, for workbooks
    header_line: int = 1  # physical line / sheet row of the header
    columns: list[str | None] = field(default_factory=list)  # canonical field per header column

    def problems_for(self, row: int) -> list[Problem]:
        return [p for p in self.problems if p.row == row]
