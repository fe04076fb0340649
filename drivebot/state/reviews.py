"""The state store's part for the review itself: who a draft is assigned to, and the
reviewers' notes of each round (a revision is compared with the version they were written on,
drivebot.app.revisions)."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from drivebot.events import Note, Reply


class ReviewRows:
    """Mixed into drivebot.state.store.Store; uses its unit of work."""

    if TYPE_CHECKING:

        def _write(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Cursor: ...
        def _row(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Row | None: ...
        def now(self) -> str: ...

    def set_assignee(self, reg: str, email: str | None) -> None:
        self._write("UPDATE drafts SET assignee = ? WHERE reg = ?", (email, reg))

    def save_notes(self, reg: str, version: int, notes: Sequence[Note]) -> None:
        """The reviewers' notes sent back on `version` (the last sending counts)."""
        self._write(
            "INSERT OR REPLACE INTO review_notes VALUES (?, ?, ?, ?)",
            (reg, version, json.dumps([dataclasses.asdict(n) for n in notes]), self.now()),
        )

    def notes_on(self, reg: str, version: int) -> list[Note]:
        row = self._row(
            "SELECT notes FROM review_notes WHERE reg = ? AND version = ?", (reg, version)
        )
        return [
            Note(**{**n, "replies": tuple(Reply(**r) for r in n["replies"])})
            for n in (json.loads(row["notes"]) if row else [])
        ]
