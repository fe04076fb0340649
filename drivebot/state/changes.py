"""What changed in the state store, and when: for a reader that looked before (the board),
and for the dashboard's figures (stage changes, revision rounds). Every change the board shows
(a stage, a version, a tracked stage done, an assignment) writes an audit entry, and audit ids
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

    def stage_changes(self) -> list[tuple[str, str, str, str]]:
        """Every change of stage in the audit log, by draft and in order: (reg, at, from, to)."""
        rows = self._rows(
            "SELECT reg, at, from_stage, to_stage FROM audit WHERE from_stage IS NOT NULL"
            " AND to_stage IS NOT NULL AND from_stage != to_stage ORDER BY reg, id"
        )
        return [(row[0], row[1], row[2], row[3]) for row in rows]

    def revision_rounds(self) -> dict[str, int]:
        """How many times each draft was sent back for revision (drafts never sent back: none)."""
        rows = self._rows(
            "SELECT reg, COUNT(*) FROM audit WHERE event = 'revision_requested' GROUP BY reg"
        )
        return {row[0]: int(row[1]) for row in rows}
