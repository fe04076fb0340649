"""The state store: SQLite, one file per workspace, and the one unit of work around it.

Holds the drafts, every version's checksum, where each Drive file was last seen, the audit log,
the processed-input ledger, counters, cursors, and the outbox (drivebot.state.outbox). Every
write happens inside `transaction()`: a write outside one raises, so nothing is ever committed
by accident, and a failed transaction leaves nothing behind. Reads return typed rows
(drivebot.state.rows). Times come from the injected clock.

Read-only commands (status, verify, serve, publish) open the store with `readonly=True`: they
take no write lock and can never change it, so they run beside the daemon.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from drivebot.clock import Clock, iso_utc, system_clock
from drivebot.errors import ConfigError
from drivebot.events import DraftState
from drivebot.flows import ENDED, ProductType
from drivebot.state.accounts import AccountRows
from drivebot.state.changes import ChangeRows
from drivebot.state.links import LinkRows
from drivebot.state.outbox_rows import OutboxRows
from drivebot.state.products import ProductRows
from drivebot.state.records import RecordRows
from drivebot.state.reviews import ReviewRows
from drivebot.state.rows import (
    AuditEntry,
    Draft,
    FileRole,
    HeldNotice,
    InputStatus,
    ProcessedInput,
    TrackedFile,
    Version,
    VersionKind,
)
from drivebot.state.schema import MIGRATIONS


class Store(RecordRows, ReviewRows, ProductRows, OutboxRows, AccountRows, LinkRows, ChangeRows):
    def __init__(self, path: Path | str, clock: Clock = system_clock, readonly: bool = False):
        self.clock = clock
        self.path = Path(path)
        self.readonly = readonly
        if readonly:
            if not Path(path).is_file():
                raise ConfigError("no_state", path=path)
            self.db = sqlite3.connect(
                f"{Path(path).resolve().as_uri()}?mode=ro",
                uri=True,
                isolation_level=None,
                timeout=30,
            )
        else:
            self.db = sqlite3.connect(str(path), isolation_level=None, timeout=30)
            self.db.execute("PRAGMA journal_mode=WAL")
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA foreign_keys=ON")
        self._depth = 0
        self.migrate()

    def close(self) -> None:
        self.db.close()

    def now(self) -> str:
        return iso_utc(self.clock())

    def migrate(self) -> None:
        try:
            applied = self._applied_migrations()
        except sqlite3.DatabaseError as exc:
            raise ConfigError("not_a_state", path=self.path, detail=exc) from None
        pending = [(name, step) for name, step in MIGRATIONS if name not in applied]
        if pending and self.readonly:
            raise ConfigError("old_state", ws=self.path.parent)
        for name, step in pending:
            with self.transaction():
                step(self.db)
                self._write("INSERT INTO migrations VALUES (?, ?)", (name, self.now()))

    def _applied_migrations(self) -> set[str]:
        exists = self.db.execute("SELECT 1 FROM sqlite_master WHERE name = 'migrations'")
        if exists.fetchone() is None:
            if self.readonly:
                return set()
            with self.transaction():  # two processes may open a new file at once
                self._write(
                    "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, at TEXT)"
                )
        return {row[0] for row in self.db.execute("SELECT name FROM migrations")}

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit; nested calls join the outer transaction."""
        if self.readonly:
            raise RuntimeError("the store was opened read-only")
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self.db.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")
        finally:
            self._depth = 0

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    def _write(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        if not self._depth:
            raise RuntimeError("a write outside a transaction: use `with store.transaction()`")
        return self.db.execute(sql, params)

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        return self.db.execute(sql, params).fetchall()

    def _row(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.db.execute(sql, params).fetchone()
        return row

    # --- drafts ------------------------------------------------------------------------------

    def add_draft(self, reg: str, opd: str, title: str, product_type: ProductType) -> None:
        now = self.now()
        self._write(
            "INSERT INTO drafts (reg, opd, title, product_type, stage, version, created_at,"
            " stage_since) VALUES (?, ?, ?, ?, 'pengajuan', 0, ?, ?)",
            (reg, opd, title, product_type.value, now, now),
        )

    def draft(self, reg: str) -> Draft | None:
        row = self._row("SELECT * FROM drafts WHERE reg = ?", (reg,))
        return _draft(row) if row else None

    def drafts(self) -> list[Draft]:
        return [_draft(row) for row in self._rows("SELECT * FROM drafts ORDER BY reg")]

    def open_drafts(self) -> list[Draft]:
        """The drafts still in the flow (not archived, not ended), oldest first."""
        return self.drafts_where(
            "stage NOT IN (?, ?, ?, ?) ORDER BY created_at, reg", ("arsip", *ENDED)
        )

    def data_version(self) -> int:
        """Changes whenever another connection commits (SQLite's PRAGMA data_version)."""
        row = self._row("PRAGMA data_version")
        return int(row[0]) if row else 0

    def drafts_where(self, sql: str, params: tuple[Any, ...]) -> list[Draft]:
        """The drafts matching a WHERE clause (`sql`, with its ORDER BY) of the module's own."""
        return [_draft(row) for row in self._rows(f"SELECT * FROM drafts WHERE {sql}", params)]

    def save_state(self, state: DraftState) -> None:
        current = self.draft(state.reg)
        changed = current is None or current.stage != state.stage
        since = self.now() if changed or current is None else current.stage_since
        self._write(
            "UPDATE drafts SET stage = ?, version = ?, done = ?, stage_since = ?, ended_from = ?"
            " WHERE reg = ?",
            (
                state.stage,
                state.version,
                json.dumps(sorted(state.done)),
                since,
                state.ended_from,
                state.reg,
            ),
        )

    def set_number(self, reg: str, number: int | None, year: int | None) -> None:
        self._write(
            "UPDATE drafts SET number = ?, number_year = ? WHERE reg = ?", (number, year, reg)
        )

    def set_thread_root(self, reg: str, message_id: str) -> None:
        self._write("UPDATE drafts SET thread_root = ? WHERE reg = ?", (message_id, reg))

    # --- versions ----------------------------------------------------------------------------

    def add_version(
        self,
        reg: str,
        version: int,
        kind: VersionKind,
        file_name: str,
        sha256: str,
        size: int,
        stored_path: str,
    ) -> None:
        self._write(
            "INSERT INTO versions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (reg, version, kind.value, file_name, sha256, size, stored_path, self.now()),
        )

    def draft_with_version(self, sha256: str, opd: str) -> Draft | None:
        """The OPD's draft that already holds a version with these exact bytes."""
        row = self._row(
            "SELECT drafts.* FROM drafts JOIN versions USING (reg) WHERE versions.sha256 = ?"
            " AND drafts.opd = ? LIMIT 1",
            (sha256, opd),
        )
        return _draft(row) if row else None

    def versions(self, reg: str) -> list[Version]:
        rows = self._rows("SELECT * FROM versions WHERE reg = ? ORDER BY kind, version", (reg,))
        return [Version(**{**dict(row), "kind": VersionKind(row["kind"])}) for row in rows]

    def final_version(self, reg: str) -> Version | None:
        finals = [v for v in self.versions(reg) if v.kind is VersionKind.FINAL]
        return finals[-1] if finals else None

    # --- files -------------------------------------------------------------------------------

    def track_file(
        self,
        file_id: str,
        reg: str | None,
        role: FileRole,
        folder: str,
        name: str,
        link: str | None = None,
    ) -> None:
        self._write(
            "INSERT INTO files VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(file_id) DO UPDATE SET"
            " reg = excluded.reg, role = excluded.role, folder = excluded.folder,"
            " name = excluded.name, link = excluded.link",
            (file_id, reg, role.value, folder, name, link),
        )

    def file(self, file_id: str) -> TrackedFile | None:
        row = self._row("SELECT * FROM files WHERE file_id = ?", (file_id,))
        return _file(row) if row else None

    def files_of(self, reg: str, *roles: FileRole) -> list[TrackedFile]:
        marks = ",".join("?" * len(roles))
        rows = self._rows(
            f"SELECT * FROM files WHERE reg = ? AND role IN ({marks}) ORDER BY rowid",
            (reg, *(role.value for role in roles)),
        )
        return [_file(row) for row in rows]

    def set_file_place(
        self,
        file_id: str,
        folder: str,
        role: FileRole | None = None,
        name: str | None = None,
        link: str | None = None,
    ) -> None:
        self._write(
            "UPDATE files SET folder = ?, role = COALESCE(?, role), name = COALESCE(?, name),"
            " link = COALESCE(?, link) WHERE file_id = ?",
            (folder, role.value if role else None, name, link, file_id),
        )

    # --- audit -------------------------------------------------------------------------------

    def audit(
        self,
        reg: str,
        actor: str,
        event: str,
        from_stage: str | None,
        to_stage: str | None,
        reason: str = "",
    ) -> None:
        self._write(
            "INSERT INTO audit (reg, at, actor, event, from_stage, to_stage, reason)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (reg, self.now(), actor, event, from_stage, to_stage, reason),
        )

    def history(self, reg: str) -> list[AuditEntry]:
        rows = self._rows("SELECT * FROM audit WHERE reg = ? ORDER BY id", (reg,))
        return [AuditEntry(**dict(row)) for row in rows]

    # --- processed ledger --------------------------------------------------------------------

    def processed(self, key: str) -> ProcessedInput | None:
        row = self._row("SELECT * FROM processed WHERE key = ?", (key,))
        if row is None:
            return None
        return ProcessedInput(**{**dict(row), "status": InputStatus(row["status"])})

    def mark_processed(
        self, key: str, status: InputStatus, reg: str | None = None, detail: str = ""
    ) -> None:
        self._write(
            "INSERT INTO processed VALUES (?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET"
            " status = excluded.status, reg = excluded.reg, detail = excluded.detail,"
            " at = excluded.at",
            (key, status.value, reg, detail, self.now()),
        )

    # --- counters and cursors ----------------------------------------------------------------

    def next_value(self, name: str, start: int = 1) -> int:
        """The next number of a sequence (call inside the transaction that uses it)."""
        row = self._row("SELECT value FROM counters WHERE name = ?", (name,))
        value = max(row[0] + 1, start) if row else start
        self._write(
            "INSERT INTO counters VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET"
            " value = excluded.value",
            (name, value),
        )
        return value

    def get(self, key: str) -> str | None:
        row = self._row("SELECT value FROM kv WHERE key = ?", (key,))
        return str(row[0]) if row else None

    def put(self, key: str, value: str | None) -> None:
        if value is None:
            self._write("DELETE FROM kv WHERE key = ?", (key,))
        else:
            self._write(
                "INSERT INTO kv VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET"
                " value = excluded.value",
                (key, value),
            )

    # --- notices held for one e-mail per batch -----------------------------------------------

    def hold_notice(self, reg: str, notice: str, audience: str) -> None:
        self._write(
            "INSERT INTO held_notices (reg, notice, audience, created_at) VALUES (?, ?, ?, ?)",
            (reg, notice, audience, self.now()),
        )

    def held_notices(self) -> list[HeldNotice]:
        rows = self._rows("SELECT id, reg, notice, audience FROM held_notices ORDER BY id")
        return [HeldNotice(**dict(row)) for row in rows]

    def release_notices(self, ids: list[int]) -> None:
        for notice_id in ids:
            self._write("DELETE FROM held_notices WHERE id = ?", (notice_id,))

    # --- archive ledger (drivebot.archive.ledger reads it) -------------------------------------

    def append_ledger(
        self, seq: int, product_id: str, event: str, record: str, record_hash: str
    ) -> None:
        self._write(
            "INSERT INTO ledger VALUES (?, ?, ?, ?, ?)",
            (seq, product_id, event, record, record_hash),
        )


# Reading 10,000 drafts for the dashboard: an enum's own lookup and json.loads were a third of
# the time; the types by value, and each distinct set of done stages parsed once.
_TYPES = {product_type.value: product_type for product_type in ProductType}


@lru_cache(maxsize=1024)
def _done(text: str) -> frozenset[str]:
    return frozenset(json.loads(text))


def _draft(row: sqlite3.Row) -> Draft:
    return Draft(
        reg=row["reg"],
        opd=row["opd"],
        title=row["title"],
        product_type=_TYPES.get(row["product_type"]) or ProductType(row["product_type"]),
        stage=row["stage"],
        version=row["version"],
        done=_done(row["done"]),
        number=row["number"],
        number_year=row["number_year"],
        thread_root=row["thread_root"],
        created_at=row["created_at"],
        stage_since=row["stage_since"],
        enacted_on=row["enacted_on"],
        promulgated_on=row["promulgated_on"],
        gazette_kind=row["gazette_kind"],
        gazette_year=row["gazette_year"],
        gazette_number=row["gazette_number"],
        noreg=row["noreg"],
        confirmed_by=row["confirmed_by"],
        ended_from=row["ended_from"],
        tte_source_sha256=row["tte_source_sha256"],
        tte_sha256=row["tte_sha256"],
        tte_size=row["tte_size"],
        assignee=row["assignee"],
    )


def _file(row: sqlite3.Row) -> TrackedFile:
    return TrackedFile(**{**dict(row), "role": FileRole(row["role"])})
