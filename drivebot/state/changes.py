"""What changed in the state store since a reader last looked: every change the board shows (a
stage, a version, a tracked stage done, an assignment) writes an audit entry, and audit ids
only grow, so "the drafts with an entry after id N" are the drafts to read again."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from drivebot.state.rows import Draft


class ChangeRows:
    """Mixed into drivebot.state.store.Store."""

    if TYPE_CHECKING:

        def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]: ...
        def _row(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Row | None: ...
        def drafts_where(self, sql: str, params: tuple[Any, ...]) -> list[Draft]: ...

    def last_audit_id(self) -> int:
        row = self._row("SELECT MAX(id) FROM audit")
        return int(row[0] or 0) if row else 0

    def changed_after(self, audit_id: int) -> list[Draft]:
        """The drafts with an audit entry after `audit_id`, as they are now."""
        return self.drafts_where(
            "reg IN (SELECT DISTINCT reg FROM audit WHERE id > ?) ORDER BY created_at, reg",
            (audit_id,),
        )
