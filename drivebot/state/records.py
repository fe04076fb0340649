"""The state store's part for the legal record: the numbering registers and held finals.

A product's number and dates live on its draft's row (set from drivebot.record's
LegalRecord); the registers are read from those rows, indexed by type, year and number, so a
register or a "is this number taken?" costs the same at ten products and at ten thousand.
"""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING, Any

from drivebot.flows import ENDED, ProductType
from drivebot.record import LegalRecord
from drivebot.state.rows import HeldFinal

if TYPE_CHECKING:
    from drivebot.state.rows import Draft


def counter_name(product_type: ProductType, year: int) -> str:
    """The sequence a type's numbers are reserved from, one per year."""
    return f"number:{product_type.value}:{year}"


class RecordRows:
    """Mixed into drivebot.state.store.Store; uses its unit of work."""

    if TYPE_CHECKING:

        def _write(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Cursor: ...
        def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]: ...
        def _row(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Row | None: ...
        def draft(self, reg: str) -> Draft | None: ...
        def drafts_where(self, sql: str, params: tuple[Any, ...]) -> list[Draft]: ...
        def now(self) -> str: ...

    def set_record(self, reg: str, product_type: ProductType, record: LegalRecord) -> None:
        """The product's number and dates as its document states them. The type's sequence
        moves past the number, so the next reservation never hands it out again."""
        gazette = record.gazette
        self._write(
            "UPDATE drafts SET number = ?, number_year = ?, enacted_on = ?, promulgated_on = ?,"
            " gazette_kind = ?, gazette_year = ?, gazette_number = ?, noreg = ?,"
            " confirmed_by = ? WHERE reg = ?",
            (
                record.number,
                record.year,
                record.enacted_on.isoformat(),
                record.promulgated_on.isoformat() if record.promulgated_on else None,
                gazette.kind if gazette else None,
                gazette.year if gazette else None,
                gazette.number if gazette else None,
                record.noreg,
                record.confirmed_by,
                reg,
            ),
        )
        self._write(
            "INSERT INTO counters VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET"
            " value = max(value, excluded.value)",
            (counter_name(product_type, record.year), record.number),
        )

    def set_presigned(self, reg: str, source_sha256: str, sha256: str, size: int) -> None:
        """The draft will be signed electronically: the copy drivebot stamped for it."""
        self._write(
            "UPDATE drafts SET tte_source_sha256 = ?, tte_sha256 = ?, tte_size = ? WHERE reg = ?",
            (source_sha256, sha256, size, reg),
        )

    def set_enacted_on(self, reg: str, enacted_on: str) -> None:
        self._write("UPDATE drafts SET enacted_on = ? WHERE reg = ?", (enacted_on, reg))

    def set_noreg(self, reg: str, noreg: str) -> None:
        self._write("UPDATE drafts SET noreg = ? WHERE reg = ?", (noreg, reg))

    def numbers_taken(self, product_type: ProductType, year: int, but: str) -> dict[int, str]:
        """The numbers of this type and year held by products other than `but` (a number
        left by a withdrawn, declined or closed draft is free: the register shows it as a gap)."""
        rows = self._rows(
            "SELECT number, reg FROM drafts WHERE product_type = ? AND number_year = ?"
            " AND number IS NOT NULL AND reg != ? AND stage NOT IN (?, ?, ?)",
            (product_type.value, year, but, *ENDED),
        )
        return {row["number"]: row["reg"] for row in rows}

    def numbered(self, product_type: ProductType, year: int) -> list[Draft]:
        """Every draft holding a number of this type and year, by number."""
        return self.drafts_where(
            "product_type = ? AND number_year = ? AND number IS NOT NULL ORDER BY number, reg",
            (product_type.value, year),
        )

    def gazetted(self, kind: str, year: int) -> list[Draft]:
        """Every product in this year's Berita Daerah or Lembaran Daerah, by its number."""
        return self.drafts_where(
            "gazette_kind = ? AND gazette_year = ? ORDER BY gazette_number, reg", (kind, year)
        )

    def hold_final(
        self,
        reg: str,
        file_id: str,
        file_name: str,
        stored_path: str,
        sha256: str,
        exported: bool,
        problems: list[tuple[str, dict[str, object]]],
    ) -> None:
        self._write(
            "INSERT OR REPLACE INTO held_finals VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                reg,
                file_id,
                file_name,
                stored_path,
                sha256,
                int(exported),
                json.dumps(problems, default=str),
                self.now(),
            ),
        )

    def held_final(self, reg: str) -> HeldFinal | None:
        row = self._row("SELECT * FROM held_finals WHERE reg = ?", (reg,))
        return _held(row) if row else None

    def held_finals(self) -> list[HeldFinal]:
        return [_held(row) for row in self._rows("SELECT * FROM held_finals ORDER BY reg")]

    def release_final(self, reg: str) -> None:
        self._write("DELETE FROM held_finals WHERE reg = ?", (reg,))


def _held(row: sqlite3.Row) -> HeldFinal:
    return HeldFinal(
        reg=row["reg"],
        file_id=row["file_id"],
        file_name=row["file_name"],
        stored_path=row["stored_path"],
        sha256=row["sha256"],
        exported=bool(row["exported"]),
        problems=tuple((key, values) for key, values in json.loads(row["problems"])),
        held_at=row["held_at"],
    )
