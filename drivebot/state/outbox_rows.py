"""The state store's outbox rows: effects queued in the transaction of the state change that
caused them (drivebot.state.outbox), and what became of each (drivebot.app.effects carries
them out)."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

from drivebot.state import outbox
from drivebot.state.rows import InputStatus, OutboxRow


class OutboxRows:
    """Mixed into drivebot.state.store.Store; uses its unit of work."""

    if TYPE_CHECKING:

        def _write(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Cursor: ...
        def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]: ...
        def now(self) -> str: ...

    def enqueue(
        self,
        reg: str | None,
        effect: outbox.Effect,
        raw: bytes | None = None,
        dedupe_key: str | None = None,
    ) -> int | None:
        """Queue an effect; returns its id, or None when `dedupe_key` was queued before."""
        kind, payload = outbox.dump(effect)
        cursor = self._write(
            "INSERT INTO outbox (reg, kind, payload, raw, dedupe_key, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(dedupe_key) DO NOTHING",
            (reg, kind, payload, raw, dedupe_key, self.now()),
        )
        return cursor.lastrowid if cursor.rowcount else None

    def pending(self) -> list[outbox.OutboxItem]:
        rows = self._rows("SELECT * FROM outbox WHERE done_at IS NULL AND given_up = 0 ORDER BY id")
        return [
            outbox.OutboxItem(
                row["id"],
                row["reg"],
                outbox.load(row["kind"], row["payload"]),
                row["raw"],
                row["attempts"],
                row["not_before"],
                row["waits"],
                row["created_at"],
                row["failures"],
            )
            for row in rows
        ]

    def outbox_rows(self, kind: str | None = None) -> list[OutboxRow]:
        """Every outbox row (of one kind), oldest first: what was queued and what became of it."""
        where, params = ("WHERE kind = ?", (kind,)) if kind else ("", ())
        return _outbox_rows(self._rows(f"SELECT * FROM outbox {where} ORDER BY id", params))

    def tell_of(self, item_id: int, regs: list[str]) -> None:
        """Record that the e-mail `item_id` (one to many drafts' OPD or reviewers) is about
        each of `regs`, for their pages."""
        for reg in regs:
            self._write("INSERT OR IGNORE INTO email_drafts VALUES (?, ?)", (reg, item_id))

    def emails_about(self, reg: str) -> list[OutboxRow]:
        """The e-mails about one draft, oldest first: its own, and those that told of it with
        other drafts."""
        rows = self._rows(
            "SELECT * FROM outbox WHERE kind = 'email' AND (reg = ? OR id IN"
            " (SELECT outbox_id FROM email_drafts WHERE reg = ?)) ORDER BY id",
            (reg, reg),
        )
        return _outbox_rows(rows)

    def outbox_rewrite(self, item_id: int, effect: outbox.Effect) -> None:
        """Record what an item learnt before it started (the Drive ids reserved for it)."""
        kind, payload = outbox.dump(effect)
        self._write(
            "UPDATE outbox SET kind = ?, payload = ? WHERE id = ?", (kind, payload, item_id)
        )

    def outbox_wait(self, item_id: int, until: str) -> None:
        """The item failed for a passing reason: it waits until `until`."""
        self._write(
            "UPDATE outbox SET not_before = ?, waits = waits + 1 WHERE id = ?", (until, item_id)
        )

    def outbox_started(self, item_id: int) -> None:
        self._write("UPDATE outbox SET attempts = attempts + 1 WHERE id = ?", (item_id,))

    def outbox_given_up(self, item_id: int) -> None:
        """Stop trying the item; it stays undone, and holds back its draft's later items."""
        self._write("UPDATE outbox SET given_up = 1 WHERE id = ?", (item_id,))

    def held_back_drafts(self) -> set[str]:
        rows = self._rows(
            "SELECT DISTINCT reg FROM outbox WHERE given_up = 1"
            " AND done_at IS NULL AND reg IS NOT NULL"
        )
        return {row[0] for row in rows}

    def retry_given_up(self) -> int:
        """Put every given-up outbox item, and every input that failed, back to be tried again
        (after an admin fixed the cause); returns how many."""
        effects = self._write(
            "UPDATE outbox SET given_up = 0, failures = 0 WHERE given_up = 1 AND done_at IS NULL"
        ).rowcount
        inputs = self._write(
            "DELETE FROM processed WHERE status = ?", (InputStatus.FAILED.value,)
        ).rowcount
        return effects + inputs

    def forget_sent_bytes(self, done_from: str, done_before: str) -> int:
        """Drop the raw MIME of e-mails carried out in [done_from, done_before); the rows stay
        (what was sent, to whom, when). The range keeps each daily pass to the rows it prunes
        (outbox_pending indexes done_at); returns how many."""
        return self._write(
            "UPDATE outbox SET raw = NULL WHERE done_at >= ? AND done_at < ? AND kind = ?"
            " AND raw IS NOT NULL",
            (done_from, done_before, outbox.SendEmail.kind),
        ).rowcount

    def outbox_done(self, item_id: int) -> None:
        self._write(
            "UPDATE outbox SET done_at = ?, last_error = NULL WHERE id = ?", (self.now(), item_id)
        )

    def outbox_failed(self, item_id: int, error: str, counted: bool) -> None:
        """The attempt failed; `counted` when it counts toward giving up (not a passing one)."""
        self._write(
            "UPDATE outbox SET last_error = ?, failures = failures + ? WHERE id = ?",
            (error, int(counted), item_id),
        )


def _outbox_rows(rows: list[sqlite3.Row]) -> list[OutboxRow]:
    return [
        OutboxRow(
            **{k: row[k] for k in OutboxRow.__dataclass_fields__}
            | {"given_up": bool(row["given_up"])}
        )
        for row in rows
    ]
