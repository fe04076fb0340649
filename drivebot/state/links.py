"""The state store's tracking links (drivebot.tracking): how many times each draft's link was
renewed. A draft without a row has generation 0."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any


class LinkRows:
    """Mixed into drivebot.state.store.Store; uses its unit of work."""

    if TYPE_CHECKING:

        def _write(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Cursor: ...
        def _row(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Row | None: ...
        def now(self) -> str: ...

    def link_generation(self, reg: str) -> int:
        row = self._row("SELECT generation FROM tracking_links WHERE reg = ?", (reg,))
        return int(row["generation"]) if row else 0

    def renew_link(self, reg: str) -> int:
        """Revoke the draft's tracking links: returns the new generation."""
        self._write(
            "INSERT INTO tracking_links VALUES (?, 1, ?) ON CONFLICT(reg) DO UPDATE SET"
            " generation = generation + 1, renewed_at = excluded.renewed_at",
            (reg, self.now()),
        )
        return self.link_generation(reg)
