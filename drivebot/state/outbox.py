"""The outbox's items: typed effects, queued with the state change that causes them.

An item is written in the same transaction as the change (so a crash never loses it, nor does
it happen without the change) and carried out afterwards by drivebot.app.effects, which
dispatches on the item's type. Each type's `kind` is the name stored in the outbox table. An
effect that creates files on Drive says how many (`reserves`): their ids are reserved and
written into the row before it starts (drivebot.app.effects), so a retry creates them under the
same ids and never twice.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class SendEmail:
    """A complete MIME message (kept in the row's `raw`), sent as it was rendered."""

    kind: ClassVar[str] = "email"
    message_id: str
    template: str
    to: tuple[str, ...]


@dataclass(frozen=True)
class MoveFile:
    kind: ClassVar[str] = "move"
    file_id: str
    folder: str  # a workflow.Folder value
    name: str | None = None


@dataclass(frozen=True)
class CopyForReview:
    kind: ClassVar[str] = "review_copy"
    reserves: ClassVar[int] = 1  # the review copy's id
    file_id: str
    reg: str
    ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class QuarantineFile:
    """Move a refused file to the quarantine folder with a note beside it."""

    kind: ClassVar[str] = "quarantine_file"
    reserves: ClassVar[int] = 1  # the note's id
    file_id: str
    note: str
    ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class MarkMailProcessed:
    kind: ClassVar[str] = "mail_processed"
    ref: str


@dataclass(frozen=True)
class QuarantineMail:
    kind: ClassVar[str] = "mail_quarantine"
    ref: str


@dataclass(frozen=True)
class StampArchive:
    """Stamp a draft's signed final and archive it (drivebot.archive)."""

    kind: ClassVar[str] = "stamp_archive"
    reserves: ClassVar[int] = 4  # stamped copy, original's copy, a Doc's copy, ledger copy
    reg: str
    file_id: str
    stored: str
    sha256: str
    exported: bool = False
    ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Unreadable:
    """A row this version cannot read (an unknown kind, a payload without a field it needs):
    carrying it out fails, so it is retried, given up and reported like any failing item,
    and the rest of the outbox goes on."""

    kind: ClassVar[str] = "unreadable"
    stored_kind: str
    error: str


Effect = (
    SendEmail
    | MoveFile
    | CopyForReview
    | QuarantineFile
    | MarkMailProcessed
    | QuarantineMail
    | StampArchive
    | Unreadable
)
_TYPES: dict[str, type[Any]] = {
    cls.kind: cls
    for cls in (SendEmail, MoveFile, CopyForReview, QuarantineFile, MarkMailProcessed,
                QuarantineMail, StampArchive)
}  # fmt: skip


def dump(effect: Effect) -> tuple[str, str]:
    """(kind, JSON payload) for the outbox table."""
    return effect.kind, json.dumps(dataclasses.asdict(effect), ensure_ascii=False)


def load(kind: str, payload: str) -> Effect:
    """The effect a row holds. Keys a newer or older version wrote are left out; a row that
    cannot be read at all is Unreadable."""
    try:
        cls = _TYPES[kind]
        fields = {f.name for f in dataclasses.fields(cls)}
        values = {key: value for key, value in json.loads(payload).items() if key in fields}
        if cls is SendEmail:
            values["to"] = tuple(values["to"])
        if "ids" in values:
            values["ids"] = tuple(values["ids"])
        effect: Effect = cls(**values)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return Unreadable(kind, f"{type(exc).__name__}: {exc}")
    return effect


@dataclass(frozen=True)
class OutboxItem:
    id: int
    reg: str | None
    effect: Effect
    raw: bytes | None
    attempts: int  # attempts started before this one
    not_before: str | None = None  # waits until then (backing off after a transient failure)
    waits: int = 0  # transient failures so far
    created_at: str = ""
    failures: int = 0  # attempts that ended in a failure other than a passing one


def reserves(effect: Effect) -> int:
    """How many Drive file ids the effect needs reserved before it creates anything (none
    when they are reserved already)."""
    if isinstance(effect, CopyForReview | QuarantineFile | StampArchive) and not effect.ids:
        return effect.reserves
    return 0
