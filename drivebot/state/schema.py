"""The state store's schema: named migrations, applied in order.

Each migration runs in one transaction together with the row that records it (the
sqlite-utils way), so a crash leaves the schema either before or after it, never between.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from drivebot.state.products import fill_products


def _run_script(db: sqlite3.Connection, script: str) -> None:
    """Run DDL statement by statement: executescript() would commit the open transaction."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _m001_initial(db: sqlite3.Connection) -> None:
    _run_script(
        db,
        """
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
            role TEXT NOT NULL,            -- see rows.FileRole
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
            status TEXT NOT NULL,          -- see rows.InputStatus
            reg TEXT,
            detail TEXT NOT NULL DEFAULT '',
            at TEXT NOT NULL
        );
        CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
        CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            reg TEXT,                      -- effects of one draft run in order
            kind TEXT NOT NULL,            -- see drivebot.state.outbox
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
        """,
    )


def _m002_ledger(db: sqlite3.Connection) -> None:
    """The archive ledger (see drivebot.archive.ledger): hash-chained records, append-only."""
    _run_script(
        db,
        """
        CREATE TABLE ledger (
            seq INTEGER PRIMARY KEY,
            product_id TEXT NOT NULL,
            event TEXT NOT NULL,           -- 'archived' or 'revoked'
            record TEXT NOT NULL,          -- canonical JSON, including prev and hash
            hash TEXT NOT NULL
        );
        CREATE INDEX ledger_by_product ON ledger(product_id, seq)
        """,
    )


def _m003_held_notices(db: sqlite3.Connection) -> None:
    """Notices held for one e-mail per batch (drivebot.app.notices.send_held)."""
    _run_script(
        db,
        """
        CREATE TABLE held_notices (
            id INTEGER PRIMARY KEY,
            reg TEXT NOT NULL REFERENCES drafts(reg),
            notice TEXT NOT NULL,          -- a drivebot.events.Notice value
            audience TEXT NOT NULL,        -- a flows.Audience value
            created_at TEXT NOT NULL
        )
        """,
    )


def _m004_outbox_waits(db: sqlite3.Connection) -> None:
    """An item that failed for a passing reason waits, longer each time (drivebot.app.effects)."""
    _run_script(
        db,
        """
        ALTER TABLE outbox ADD COLUMN not_before TEXT;
        ALTER TABLE outbox ADD COLUMN waits INTEGER NOT NULL DEFAULT 0
        """,
    )


def _m005_outbox_failures(db: sqlite3.Connection) -> None:
    """Failures counted apart from attempts started: a killed attempt is not a failure."""
    _run_script(db, "ALTER TABLE outbox ADD COLUMN failures INTEGER NOT NULL DEFAULT 0")


def _m006_legal_record(db: sqlite3.Connection) -> None:
    """A product's record as its signed document states it (drivebot.record), and finals held
    until their number and dates are settled."""
    _run_script(
        db,
        """
        ALTER TABLE drafts ADD COLUMN enacted_on TEXT;       -- tanggal penetapan, ISO date
        ALTER TABLE drafts ADD COLUMN promulgated_on TEXT;   -- tanggal pengundangan
        ALTER TABLE drafts ADD COLUMN gazette_kind TEXT;     -- 'berita' or 'lembaran'
        ALTER TABLE drafts ADD COLUMN gazette_year INTEGER;
        ALTER TABLE drafts ADD COLUMN gazette_number INTEGER;
        ALTER TABLE drafts ADD COLUMN noreg TEXT;
        ALTER TABLE drafts ADD COLUMN confirmed_by TEXT;     -- who confirmed facts by hand
        CREATE INDEX drafts_by_number ON drafts(product_type, number_year, number);
        CREATE TABLE held_finals (
            reg TEXT PRIMARY KEY REFERENCES drafts(reg),
            file_id TEXT NOT NULL,
            file_name TEXT NOT NULL,
            stored_path TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            exported INTEGER NOT NULL,
            problems TEXT NOT NULL,        -- JSON: [[key, {values}], ...]
            held_at TEXT NOT NULL
        )
        """,
    )


def _m007_ended(db: sqlite3.Connection) -> None:
    """Where a withdrawn, declined or closed draft was, so that it can be reopened there."""
    _run_script(db, "ALTER TABLE drafts ADD COLUMN ended_from TEXT")


def _m008_tte(db: sqlite3.Connection) -> None:
    """A draft signed electronically (TTE): the copy drivebot stamped for signing."""
    _run_script(
        db,
        """
        ALTER TABLE drafts ADD COLUMN tte_source_sha256 TEXT;  -- the text given to be stamped
        ALTER TABLE drafts ADD COLUMN tte_sha256 TEXT;         -- the stamped copy to be signed
        ALTER TABLE drafts ADD COLUMN tte_size INTEGER
        """,
    )


def _m009_assignee(db: sqlite3.Connection) -> None:
    """The reviewer a draft is assigned to (`drivebot assign`, or the rotation of new drafts)."""
    _run_script(db, "ALTER TABLE drafts ADD COLUMN assignee TEXT")


def _m010_review_notes(db: sqlite3.Connection) -> None:
    """The reviewers' notes of each round, as they were sent back with the draft: a revision is
    compared with the version they were written on (drivebot.app.revisions)."""
    _run_script(
        db,
        """
        CREATE TABLE review_notes (
            reg TEXT NOT NULL REFERENCES drafts(reg),
            version INTEGER NOT NULL,      -- the version the notes were written on
            notes TEXT NOT NULL,           -- JSON: a list of drivebot.events.Note
            at TEXT NOT NULL,
            PRIMARY KEY (reg, version)
        )
        """,
    )


def _m011_products(db: sqlite3.Connection) -> None:
    """The archive's products, indexed by id and by both files' hashes (drivebot.state.products),
    built from the ledger's records already there."""
    _run_script(
        db,
        """
        CREATE TABLE products (
            id TEXT PRIMARY KEY,
            seq INTEGER NOT NULL,          -- the ledger record that archived it
            final_sha256 TEXT NOT NULL,    -- the signed original
            stamped_sha256 TEXT NOT NULL,  -- the stamped copy
            status TEXT NOT NULL,          -- 'berlaku' or 'dicabut'
            revoked_by TEXT,
            record TEXT NOT NULL           -- the archiving record's canonical JSON
        );
        CREATE INDEX products_by_seq ON products(seq);
        CREATE INDEX products_by_final ON products(final_sha256);
        CREATE INDEX products_by_stamped ON products(stamped_sha256)
        """,
    )
    fill_products(db)


def _m012_lookup_indexes(db: sqlite3.Connection) -> None:
    """Lookups made for every draft, indexed (or each reads the whole table): is a new input a
    resubmission (its hash among all versions ever received), and a draft's history (the
    reminders' daily pass, the board's stage clocks, status)."""
    _run_script(
        db,
        """
        CREATE INDEX versions_by_sha256 ON versions(sha256);
        CREATE INDEX audit_by_reg ON audit(reg, id)
        """,
    )


def _m013_accounts(db: sqlite3.Connection) -> None:
    """The web views: the dashboard's accounts and sessions (drivebot.state.accounts), the
    e-mails about a draft for its page (those that told of several drafts at once, each of
    them), and the OPDs' renewed tracking links (drivebot.state.links)."""
    _run_script(
        db,
        """
        CREATE INDEX outbox_by_reg ON outbox(reg, kind);
        CREATE TABLE email_drafts (       -- the drafts one e-mail told of together
            reg TEXT NOT NULL,
            outbox_id INTEGER NOT NULL REFERENCES outbox(id),
            PRIMARY KEY (reg, outbox_id)
        );
        CREATE TABLE accounts (
            email TEXT PRIMARY KEY,        -- lower case
            role TEXT NOT NULL CHECK (role IN ('admin', 'reviewer')),
            password_hash TEXT,            -- argon2 (none for a Google account)
            created_at TEXT NOT NULL,
            removed_at TEXT
        );
        CREATE TABLE tracking_links (      -- drivebot.tracking: renewed links
            reg TEXT PRIMARY KEY REFERENCES drafts(reg),
            generation INTEGER NOT NULL,
            renewed_at TEXT NOT NULL
        );
        CREATE TABLE sessions (            -- signed-in dashboard sessions
            token_sha256 TEXT PRIMARY KEY,  -- the cookie holds the token, the store its hash
            email TEXT NOT NULL REFERENCES accounts(email),
            stamp TEXT NOT NULL,           -- drivebot.web.accounts.session_stamp at sign-in
            started_at TEXT NOT NULL,
            ended_at TEXT
        )
        """,
    )


MIGRATIONS: list[tuple[str, Callable[[sqlite3.Connection], None]]] = [
    ("001_initial", _m001_initial),
    ("002_ledger", _m002_ledger),
    ("003_held_notices", _m003_held_notices),
    ("004_outbox_waits", _m004_outbox_waits),
    ("005_outbox_failures", _m005_outbox_failures),
    ("006_legal_record", _m006_legal_record),
    ("007_ended", _m007_ended),
    ("008_tte", _m008_tte),
    ("009_assignee", _m009_assignee),
    ("010_review_notes", _m010_review_notes),
    ("011_products", _m011_products),
    ("012_lookup_indexes", _m012_lookup_indexes),
    ("013_accounts", _m013_accounts),
]
