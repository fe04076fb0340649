"""The state store: SQLite, one file per workspace.

Holds the drafts, every version's checksum, where each Drive file was last seen, the audit log,
the processed-input ledger, counters, cursors, and the outbox. The outbox is an ordered queue of
effects (e-mails to send, Drive operations) written in the same transaction as the state change
that causes them, and carried out afterwards; that is what makes a crash harmless.

Migrations are named functions applied in order, each in one transaction together with the row
that records it (the sqlite-utils way).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from drivebot.workflow import DraftState, ProductType


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _run_script(db: sqlite3.Connection, script: str) -> None:
    """Run DDL statement by statement: executescript() would commit the open transaction."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _m001_initial(db: sqlite3.Connection) -> None:
    _run_script(db, """
        CREATE TABLE drafts (
            reg TEXT PRIMARY KEY,
            opd TEXT NOT NULL,
            title TEXT NOT NULL,
            product_type TEXT NOT NULL,
            stage TEXT NOT NULL,
            version INTEGER NOT NULL,
            done TEXT NOT NULL DEFAULT '[]',
            number INTEGER,
            number_year INTEGER,
            thread_root TEXT,
            created_at TEXT NOT NULL,
            stage_since TEXT NOT NULL
        );
        CREATE TABLE versions (
            reg TEXT NOT NULL REFERENCES drafts(reg),
            version INTEGER NOT NULL,
            kind TEXT NOT NULL,            -- 'draft' or 'final'
            file_name TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            size INTEGER NOT NULL,
            stored_path TEXT NOT NULL,     -- the copy kept in the workspace, relative to it
            received_at TEXT NOT NULL,
            PRIMARY KEY (reg, kind, version)
        );
        CREATE TABLE files (
            file_id TEXT PRIMARY KEY,
            reg TEXT,                      -- NULL for quarantined input
            role TEXT NOT NULL,            -- working, review, superseded, final, archive, ...
            folder TEXT NOT NULL,          -- where drivebot last saw or put it
            name TEXT NOT NULL,
            link TEXT                      -- where a person opens it, when the backend has a link
        );
        CREATE INDEX files_by_reg ON files(reg, role);
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            reg TEXT NOT NULL,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            event TEXT NOT NULL,
            from_stage TEXT,
            to_stage TEXT,
            reason TEXT NOT NULL DEFAULT ''
        );
        CREATE TABLE processed (
            key TEXT PRIMARY KEY,          -- 'drive:<file id>:<sha256>' or 'mail:<message id>'
            status TEXT NOT NULL,          -- done, quarantined, ignored
            reg TEXT,
            detail TEXT NOT NULL DEFAULT '',
            at TEXT NOT NULL
        );
        CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
        CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            reg TEXT,                      -- effects of one draft run in order
            kind TEXT NOT NULL,            -- 'email' or a Drive operation
            payload TEXT NOT NULL,         -- JSON
            raw BLOB,                      -- the complete MIME message, for e-mails
            dedupe_key TEXT UNIQUE,        -- e.g. one digest a day
            created_at TEXT NOT NULL,
            done_at TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,   -- attempts started
            last_error TEXT,
            given_up INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX outbox_pending ON outbox(done_at, id);
    """)


def _m002_ledger(db: sqlite3.Connection) -> None:
    """The archive ledger (see drivebot.ledger): hash-chained records, append-only."""
    _run_script(db, """
        CREATE TABLE ledger (
            seq INTEGER PRIMARY KEY,
            product_id TEXT NOT NULL,
            event TEXT NOT NULL,           -- 'archived' or 'revoked'
            record TEXT NOT NULL,          -- canonical JSON, including prev and hash
            hash TEXT NOT NULL
        );
        CREATE INDEX ledger_by_product ON ledger(product_id, seq)
    """)


MIGRATIONS: list[tuple[str, Callable[[sqlite3.Connection], None]]] = [
    ("001_initial", _m001_initial),
    ("002_ledger", _m002_ledger),
]


@dataclass(frozen=True)
class Draft:
    reg: str
    opd: str
    title: str
    product_type: ProductType
    stage: str
    version: int
    done: frozenset[str]
    number: int | None
    number_year: int | None
    thread_root: str | None
    created_at: str
    stage_since: str

    @property
    def state(self) -> DraftState:
        return DraftState(self.reg, self.product_type, self.stage, self.version, self.done)


@dataclass(frozen=True)
class TrackedFile:
    file_id: str
    reg: str | None
    role: str
    folder: str
    name: str
    link: str | None = None


@dataclass(frozen=True)
class OutboxItem:
    id: int
    reg: str | None
    kind: str
    payload: dict[str, Any]
    raw: bytes | None
    attempts: int


class Store:
    def __init__(self, path: Path | str):
        self.db = sqlite3.connect(str(path), isolation_level=None, timeout=30)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self._depth = 0
        self.migrate()

    def close(self) -> None:
        self.db.close()

    def migrate(self) -> None:
        self.db.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, at TEXT)")
        applied = {row[0] for row in self.db.execute("SELECT name FROM migrations")}
        for name, migration in MIGRATIONS:
            if name not in applied:
                with self.transaction():
                    migration(self.db)
                    self.db.execute("INSERT INTO migrations VALUES (?, ?)", (name, utcnow()))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit; nested calls join the outer transaction."""
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

    # --- drafts ------------------------------------------------------------------------------

    def add_draft(self, reg: str, opd: str, title: str, product_type: ProductType) -> None:
        now = utcnow()
        self.db.execute(
            "INSERT INTO drafts (reg, opd, title, product_type, stage, version, created_at,"
            " stage_since) VALUES (?, ?, ?, ?, 'pengajuan', 0, ?, ?)",
            (reg, opd, title, product_type.value, now, now))

    def draft(self, reg: str) -> Draft | None:
        row = self.db.execute("SELECT * FROM drafts WHERE reg = ?", (reg,)).fetchone()
        return _draft(row) if row else None

    def drafts(self) -> list[Draft]:
        return [_draft(row) for row in self.db.execute("SELECT * FROM drafts ORDER BY reg")]

    def save_state(self, state: DraftState) -> None:
        current = self.draft(state.reg)
        since = utcnow() if current is None or current.stage != state.stage else current.stage_since
        self.db.execute(
            "UPDATE drafts SET stage = ?, version = ?, done = ?, stage_since = ? WHERE reg = ?",
            (state.stage, state.version, json.dumps(sorted(state.done)), since, state.reg))

    def set_number(self, reg: str, number: int, year: int) -> None:
        self.db.execute("UPDATE drafts SET number = ?, number_year = ? WHERE reg = ?",
                        (number, year, reg))

    def set_thread_root(self, reg: str, message_id: str) -> None:
        self.db.execute("UPDATE drafts SET thread_root = ? WHERE reg = ?", (message_id, reg))

    # --- versions ----------------------------------------------------------------------------

    def add_version(self, reg: str, version: int, kind: str, file_name: str, sha256: str,
                    size: int, stored_path: str) -> None:
        self.db.execute(
            "INSERT INTO versions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (reg, version, kind, file_name, sha256, size, stored_path, utcnow()))

    def draft_with_version(self, sha256: str, opd: str) -> Draft | None:
        """The OPD's draft that already holds a version with these exact bytes."""
        row = self.db.execute(
            "SELECT drafts.* FROM drafts JOIN versions USING (reg) WHERE versions.sha256 = ?"
            " AND drafts.opd = ? LIMIT 1", (sha256, opd)).fetchone()
        return _draft(row) if row else None

    def versions(self, reg: str) -> list[sqlite3.Row]:
        return self.db.execute(
            "SELECT * FROM versions WHERE reg = ? ORDER BY kind, version", (reg,)).fetchall()

    # --- files -------------------------------------------------------------------------------

    def track_file(self, file_id: str, reg: str | None, role: str, folder: str, name: str,
                   link: str | None = None) -> None:
        self.db.execute(
            "INSERT INTO files VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(file_id) DO UPDATE SET"
            " reg = excluded.reg, role = excluded.role, folder = excluded.folder,"
            " name = excluded.name, link = excluded.link", (file_id, reg, role, folder, name, link))

    def file(self, file_id: str) -> TrackedFile | None:
        row = self.db.execute("SELECT * FROM files WHERE file_id = ?", (file_id,)).fetchone()
        return TrackedFile(**dict(row)) if row else None

    def files_of(self, reg: str, *roles: str) -> list[TrackedFile]:
        marks = ",".join("?" * len(roles))
        rows = self.db.execute(
            f"SELECT * FROM files WHERE reg = ? AND role IN ({marks}) ORDER BY rowid",
            (reg, *roles))
        return [TrackedFile(**dict(row)) for row in rows]

    def set_file_place(self, file_id: str, folder: str, role: str | None = None,
                       name: str | None = None, link: str | None = None) -> None:
        self.db.execute(
            "UPDATE files SET folder = ?, role = COALESCE(?, role), name = COALESCE(?, name),"
            " link = COALESCE(?, link) WHERE file_id = ?", (folder, role, name, link, file_id))

    # --- audit -------------------------------------------------------------------------------

    def audit(self, reg: str, actor: str, event: str, from_stage: str | None,
              to_stage: str | None, reason: str = "") -> None:
        self.db.execute(
            "INSERT INTO audit (reg, at, actor, event, from_stage, to_stage, reason)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (reg, utcnow(), actor, event, from_stage, to_stage, reason))

    def history(self, reg: str) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM audit WHERE reg = ? ORDER BY id", (reg,)).fetchall()

    # --- processed ledger --------------------------------------------------------------------

    def processed(self, key: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM processed WHERE key = ?", (key,)).fetchone()

    def mark_processed(self, key: str, status: str, reg: str | None = None,
                       detail: str = "") -> None:
        self.db.execute(
            "INSERT INTO processed VALUES (?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET"
            " status = excluded.status, reg = excluded.reg, detail = excluded.detail,"
            " at = excluded.at", (key, status, reg, detail, utcnow()))

    # --- counters and cursors ----------------------------------------------------------------

    def next_value(self, name: str, start: int = 1) -> int:
        """The next number of a sequence (call inside the transaction that uses it)."""
        row = self.db.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
        value = max(row[0] + 1, start) if row else start
        self.db.execute("INSERT INTO counters VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET"
                        " value = excluded.value", (name, value))
        return value

    def get(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def put(self, key: str, value: str | None) -> None:
        if value is None:
            self.db.execute("DELETE FROM kv WHERE key = ?", (key,))
        else:
            self.db.execute("INSERT INTO kv VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET"
                            " value = excluded.value", (key, value))

    # --- outbox ------------------------------------------------------------------------------

    def enqueue(self, reg: str | None, kind: str, payload: dict[str, Any], raw: bytes | None = None,
                dedupe_key: str | None = None) -> int | None:
        """Queue an effect; returns its id, or None when `dedupe_key` was queued before."""
        cursor = self.db.execute(
            "INSERT INTO outbox (reg, kind, payload, raw, dedupe_key, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(dedupe_key) DO NOTHING",
            (reg, kind, json.dumps(payload), raw, dedupe_key, utcnow()))
        return cursor.lastrowid if cursor.rowcount else None

    def pending(self) -> list[OutboxItem]:
        rows = self.db.execute(
            "SELECT * FROM outbox WHERE done_at IS NULL AND given_up = 0 ORDER BY id")
        return [OutboxItem(row["id"], row["reg"], row["kind"], json.loads(row["payload"]),
                           row["raw"], row["attempts"]) for row in rows]

    def outbox_started(self, item_id: int) -> None:
        self.db.execute("UPDATE outbox SET attempts = attempts + 1 WHERE id = ?", (item_id,))

    def outbox_given_up(self, item_id: int) -> None:
        """Stop trying the item; it stays undone, and holds back its draft's later items."""
        self.db.execute("UPDATE outbox SET given_up = 1 WHERE id = ?", (item_id,))

    def held_back_drafts(self) -> set[str]:
        rows = self.db.execute("SELECT DISTINCT reg FROM outbox WHERE given_up = 1"
                               " AND done_at IS NULL AND reg IS NOT NULL")
        return {row[0] for row in rows}

    def retry_given_up(self) -> int:
        """Put every given-up item back in the queue (after an admin fixed the cause)."""
        return self.db.execute("UPDATE outbox SET given_up = 0 WHERE given_up = 1"
                               " AND done_at IS NULL").rowcount

    def outbox_done(self, item_id: int) -> None:
        self.db.execute("UPDATE outbox SET done_at = ?, last_error = NULL WHERE id = ?",
                        (utcnow(), item_id))

    def outbox_failed(self, item_id: int, error: str) -> None:
        self.db.execute("UPDATE outbox SET last_error = ? WHERE id = ?", (error, item_id))

    def sent_emails(self) -> list[sqlite3.Row]:
        return self.db.execute(
            "SELECT * FROM outbox WHERE kind = 'email' ORDER BY id").fetchall()


def _draft(row: sqlite3.Row) -> Draft:
    return Draft(
        reg=row["reg"], opd=row["opd"], title=row["title"],
        product_type=ProductType(row["product_type"]), stage=row["stage"],
        version=row["version"], done=frozenset(json.loads(row["done"])), number=row["number"],
        number_year=row["number_year"], thread_root=row["thread_root"],
        created_at=row["created_at"], stage_since=row["stage_since"])
