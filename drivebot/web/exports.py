"""The dashboard's downloads for the regency's reports: the draft list and the year's numbering
registers, as CSV (UTF-8 with a byte-order mark, so Excel reads the accents) or XLSX.

Titles and names come from files and e-mails the OPDs wrote: a cell that begins like a formula
("=", "+", "-", "@") is written as text (CSV: after an apostrophe, the convention spreadsheet
programs honour), so opening the file never runs anything.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime, tzinfo

from flask import Response, abort
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from drivebot import i18n
from drivebot.app.register import Register, series_name
from drivebot.web.board import Standing

Table = list[list[str | int]]
FORMATS = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def drafts_table(standings: Iterable[Standing], lang: str, tz: tzinfo | None) -> Table:
    words = i18n.section(lang, "export")
    rows: Table = [[words[column] for column in _DRAFT_COLUMNS]]
    for one in standings:
        draft, clock = one.draft, one.clock
        rows.append([
            draft.reg,
            draft.title,
            draft.opd,
            i18n.product_name(lang, draft.product_type),
            i18n.stage_label(lang, draft.stage),
            draft.version,
            _day(draft.created_at, tz),
            _day(draft.stage_since, tz),
            clock.due.isoformat() if clock else "",
            clock.late if clock else "",
            draft.assignee or "",
        ])  # fmt: skip
    return rows


_DRAFT_COLUMNS = ("reg", "title", "opd", "type", "stage", "version", "received", "since", "due",
                  "late", "assignee")  # fmt: skip


def register_table(registers: Sequence[Register], lang: str) -> Table:
    words = i18n.section(lang, "export")
    status = i18n.section(lang, "register")
    rows: Table = [[words[c] for c in ("series", "year", "number", "reg", "title", "enacted",
                                        "status")]]  # fmt: skip
    for register in registers:
        for entry in register.entries:
            rows.append([
                series_name(lang, register.series), register.year, entry.number, entry.reg,
                entry.title, entry.enacted_on or "", status[entry.status],
            ])  # fmt: skip
    return rows


def as_csv(rows: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([f"'{v}" if _formula_like(v) else v for v in row])
    return out.getvalue().encode("utf-8-sig")


def as_xlsx(rows: Table, sheet: str) -> bytes:
    book = Workbook(write_only=True)
    table = book.create_sheet(sheet[:31])  # Excel's limit for a sheet's name
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(table, value=value)
            if _formula_like(value):
                cell.data_type = "s"  # text, never a formula
            cells.append(cell)
        table.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _formula_like(value: str | int) -> bool:
    return isinstance(value, str) and value.startswith(_FORMULA_START)


def _day(iso: str, tz: tzinfo | None) -> str:
    return datetime.fromisoformat(iso).astimezone(tz).date().isoformat()


def download(rows: Table, fmt: str, name: str) -> Response:
    """The table as a file to download; 404 for a format there is none of."""
    if fmt not in FORMATS:
        abort(404)
    data = as_csv(rows) if fmt == "csv" else as_xlsx(rows, name)
    return Response(
        data,
        mimetype=FORMATS[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
    )
