"""The one error hierarchy. Only the CLI turns these into exit codes and messages.

- `ConfigError`: the daemon cannot run as configured; it stops and says which key is wrong.
- `TransientError`: a backend did not answer (network, quota, a file still being written); the
  work is left as it is and the next cycle tries again.
- `BadDocument`: this one input cannot be used (corrupt, encrypted, too large, wrong type); it is
  quarantined, its sender is told, and the cycle goes on with the other inputs.
"""

from __future__ import annotations

import errno
import sqlite3
from dataclasses import dataclass
from datetime import datetime

from drivebot import i18n


class DrivebotError(Exception):
    """Base of every error drivebot raises on purpose."""


@dataclass(frozen=True)
class Term:
    """A value of an explained error that is itself a word of the catalogue ("error.kind.int"):
    it is said in the reader's language."""

    key: str


class Explained(DrivebotError):
    """An error a person reads: a key of the catalogue's [error] table and its values. `str()`
    is the English text, for logs; `text(lang)` what the CLI and the admins' reports show."""

    def __init__(self, key: str, **values: object):
        self.key = key
        self.values = values
        super().__init__(self.text("en"))

    def text(self, lang: str) -> str:
        said = {
            name: i18n.text(lang, value.key) if isinstance(value, Term) else value
            for name, value in self.values.items()
        }
        return i18n.text(lang, f"error.{self.key}", **said)


def explain(error: BaseException, lang: str) -> str:
    """What to tell a person about `error`: its catalogue text, or its class and message."""
    if isinstance(error, Explained):
        return error.text(lang)
    return f"{type(error).__name__}: {error}"


class ConfigError(Explained):
    """drivebot cannot run as set up: the configuration, the login, the folders, the key."""


class TransientError(DrivebotError):
    pass


class DailyLimit(TransientError):
    """A daily quota is spent (Gmail's sending limit): the work waits until `until` (the time
    Google names), or else the next day."""

    def __init__(self, message: str, until: datetime | None = None):
        super().__init__(message)
        self.until = until


# What the machine runs out of, or is refused for a while: no room, a file system turned
# read-only, a folder whose permissions an admin is changing, a file another program holds.
# Each passes once a person acts, and none is the input's fault.
_WAITING_ERRNOS = frozenset({
    errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EBUSY,
    errno.ETXTBSY, errno.EAGAIN, errno.EIO, errno.ENOMEM, errno.EMFILE, errno.ENFILE,
})  # fmt: skip
_WAITING_SQLITE = ("disk is full", "database is locked", "readonly database", "disk i/o error",
                   "unable to open database")  # fmt: skip


def as_transient(error: Exception) -> Exception:
    """`error`, or a TransientError for it when it is the machine's passing trouble (a full
    disk, a read-only or locked file): classified by what it is, not where it happened."""
    if isinstance(error, DrivebotError):
        return error
    if isinstance(error, OSError) and error.errno in _WAITING_ERRNOS:
        return TransientError(f"{type(error).__name__}: {error}")
    if isinstance(error, sqlite3.OperationalError) and any(
        words in str(error).lower() for words in _WAITING_SQLITE
    ):
        return TransientError(f"the state store: {error}")
    return error


class BadDocument(DrivebotError):
    """`reason` is a message key (see emails), `detail` a technical note for the quarantine file."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class BadRequest(DrivebotError):
    """A service refused the request itself (HTTP 400): asking the same way again is refused
    the same way."""


class Refused(Explained):
    """A command that cannot apply to what it was given (a file, a missing reason)."""


class NotFound(Explained):
    """A draft, stage, product, file or message asked for does not exist (any more)."""
