"""The state store's dashboard accounts (drivebot.web.accounts signs people in with them).

A reviewer or admin signs in with a password set by `drivebot user add`; only its argon2 hash is
kept (the column may be empty, for an account that signs in another way). A removed account's
row stays (the audit log names it) with `removed_at`. A signed-in session is a row too, so
signing out ends it on the server: a copied cookie is worth nothing after.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any


class Role(StrEnum):
    ADMIN = "admin"
    REVIEWER = "reviewer"


@dataclass(frozen=True)
class Account:
    email: str
    role: Role
    password_hash: str | None
    created_at: str
    removed_at: str | None

    @property
    def active(self) -> bool:
        return self.removed_at is None


class AccountRows:
    """Mixed into drivebot.state.store.Store; uses its unit of work."""

    if TYPE_CHECKING:

        def _write(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Cursor: ...
        def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]: ...
        def _row(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Row | None: ...
        def now(self) -> str: ...

    def put_account(self, email: str, role: Role, password_hash: str | None) -> None:
        """Add the account, or give an existing (or removed) one this role and password."""
        self._write(
            "INSERT INTO accounts VALUES (?, ?, ?, ?, NULL) ON CONFLICT(email) DO UPDATE SET"
            " role = excluded.role, password_hash = excluded.password_hash, removed_at = NULL",
            (email.lower(), role.value, password_hash, self.now()),
        )

    def admit_account(self, email: str, role: Role) -> Account | None:
        """The account of someone Google signed in: added without a password, or given the
        configuration's role (a password stays); None if it was removed (`drivebot user
        remove` keeps a person out even while the configuration still lists them)."""
        self._write(
            "INSERT INTO accounts VALUES (?, ?, NULL, ?, NULL) ON CONFLICT(email) DO UPDATE SET"
            " role = excluded.role WHERE removed_at IS NULL",
            (email.lower(), role.value, self.now()),
        )
        account = self.account(email)
        return account if account is not None and account.active else None

    def remove_account(self, email: str) -> bool:
        cursor = self._write(
            "UPDATE accounts SET removed_at = ?, password_hash = NULL"
            " WHERE email = ? AND removed_at IS NULL",
            (self.now(), email.lower()),
        )
        return cursor.rowcount > 0

    def account(self, email: str) -> Account | None:
        row = self._row("SELECT * FROM accounts WHERE email = ?", (email.lower(),))
        return _account(row) if row else None

    def accounts(self) -> list[Account]:
        return [_account(row) for row in self._rows("SELECT * FROM accounts ORDER BY email")]

    # --- sessions: the cookie holds a random token; only its hash is kept -----------------

    def start_session(self, token: str, email: str, stamp: str, started_at: str) -> None:
        self._write(
            "INSERT INTO sessions VALUES (?, ?, ?, ?, NULL)",
            (_digest(token), email.lower(), stamp, started_at),
        )

    def session(self, token: str) -> Session | None:
        row = self._row(
            "SELECT * FROM sessions WHERE token_sha256 = ? AND ended_at IS NULL", (_digest(token),)
        )
        if row is None:
            return None
        return Session(row["email"], row["stamp"], row["started_at"])

    def end_session(self, token: str) -> None:
        self._write(
            "UPDATE sessions SET ended_at = ? WHERE token_sha256 = ?", (self.now(), _digest(token))
        )


@dataclass(frozen=True)
class Session:
    email: str
    stamp: str
    started_at: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _account(row: sqlite3.Row) -> Account:
    return Account(
        email=row["email"],
        role=Role(row["role"]),
        password_hash=row["password_hash"],
        created_at=row["created_at"],
        removed_at=row["removed_at"],
    )
