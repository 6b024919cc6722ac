"""Exporting the inventory in OMB's formats (CSV, XLSX, COTS CSV), scoped to what the actor may export."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from raigov.audit.service import record
from raigov.errors import ValidationFailed
from raigov.identity.permissions import Actor, components_visible, require
from raigov.inventory import formats, records
from raigov.inventory.access import in_units, readable
from raigov.inventory.catalog import load_catalog
from raigov.inventory.formats import InventoryRow
from raigov.inventory.formats.safe import FormulaCells, SafeCells
from raigov.inventory.models import UseCase
from raigov.inventory.vocab import UseCaseStatus

EXPORT_FORMATS = ("omb-2025-csv", "omb-2025-xlsx", "omb-2025-cots-csv")


@dataclass
class ExportReport:
    format: str
    path: str
    rows: int = 0
    warnings: list[str] = field(default_factory=list)
    # CSV: cells starting with = + - @ tab or CR (a spreadsheet reads them as formulas). In the exact OMB file
    # they are left as they are (counted for a warning); in a spreadsheet-safe copy they were prefixed with '.
    formula_cells: int = 0
    spreadsheet_safe: bool = False


def export_rows(session: Session, actor: Actor, fmt: str, component: str | None = None) -> tuple[list, list[str]]:
    """The rows of an OMB export, in the order the use cases entered raigov (so a file imported into
    an empty inventory comes back in its own order), with their raw text for byte-exact round trips."""
    if fmt not in EXPORT_FORMATS:
        raise ValidationFailed.one("format", f"unknown format {fmt!r}; formats: {', '.join(EXPORT_FORMATS)}")
    q = select(UseCase).options(selectinload(UseCase.revisions))
    q = q.where(UseCase.status != UseCaseStatus.DRAFT)
    if component:
        require(actor, "inventory.file.export", component)
        q = q.where(in_units(session, {component}))
    else:  # the whole export is the department's; anyone else gets the components they may export
        scope = readable(session, actor, "inventory.file.export")
        if scope.nothing:
            require(actor, "inventory.file.export")
        q = q.where(scope.where_unit(UseCase.org_unit_id))
    want_cots = fmt == "omb-2025-cots-csv"
    crosswalk = None
    rows, warnings = [], []
    for uc in session.scalars(q.order_by(UseCase.id)).unique():
        rev = uc.revisions[-1]
        if (rev.schema == "cots-2025") != want_cots:
            continue
        values = records.from_json_values(rev.schema, rev.values)
        raw, form = rev.raw, rev.source_form
        if rev.schema in ("2024", "2023"):
            if rev.schema == "2023":
                warnings.append(f"{uc.business_id}: only 2023 answers; left out of the 2025 export")
                continue
            if crosswalk is None:
                crosswalk = load_catalog().crosswalk("2024")
            values = {crosswalk[k]: v for k, v in values.items() if k in crosswalk}
            values.setdefault("id", uc.business_id)
            raw, form = {}, None
            warnings.append(f"{uc.business_id}: 2024 answers mapped to the 2025 fields (crosswalk); review before submitting")
        rows.append(InventoryRow(row=len(rows) + 1, line=None, values=values, raw=dict(raw or {}), extra=dict(rev.extra or {}),
                                 source_form=form))
    return rows, warnings


def _export_scope(actor: Actor) -> str:
    """What an export without a component holds for this actor: "all", or the units they may export."""
    units = components_visible(actor, "inventory.file.export")
    return "all" if units is None else ",".join(sorted(units))


def export_inventory(session: Session, actor: Actor, fmt: str, path, component: str | None = None,
                     omit: tuple[str, ...] = (), *, spreadsheet_safe: bool = False) -> ExportReport:
    """Write OMB's format to `path`. CSV: exact for OMB, counting the cells a spreadsheet would run as formulas
    (`ExportReport.formula_cells`); with `spreadsheet_safe` (every download a person opens) those cells get a
    leading ' instead (OWASP). XLSX writes every text as a string cell, never a formula."""
    rows, warnings = export_rows(session, actor, fmt, component)
    cells = SafeCells() if spreadsheet_safe else FormulaCells()
    if fmt == "omb-2025-csv":
        n = formats.write_omb_2025_csv(rows, path, omit=omit, cells=cells)
    elif fmt == "omb-2025-xlsx":
        n = formats.write_omb_2025_xlsx(rows, path, omit=omit)
    else:
        n = formats.write_omb_2025_cots_csv(rows, path, cells=cells)
    scope = component or _export_scope(actor)
    record(session, actor, "inventory.file.export", "inventory_export", fmt, {"rows": n, "component": component},
           {"format": fmt, "rows": n, "component": scope}
           | ({"spreadsheet_safe": True, "prefixed_cells": cells.count} if spreadsheet_safe else {}))
    return ExportReport(fmt, str(path), n, warnings, cells.count, spreadsheet_safe and fmt != "omb-2025-xlsx")
