"""What the state store holds, as typed rows, and the names its columns may take, defined once."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from drivebot.events import DraftState
from drivebot.flows import ProductType


class FileRole(StrEnum):
    """What a file drivebot tracks is to a draft."""

    WORKING = "working"  # the draft's current version, as the OPD sent it
    REVIEW = "review"  # the copy reviewers comment on (a Google Doc beside the .docx)
    SUPERSEDED = "superseded"  # an earlier version, moved out of the reviewers' way
    REPLACED = "replaced"  # a working file an editor saved anew under another id
    FINAL = "final"  # the signed final, before it is archived
    ARCHIVE = "archive"  # a locked file in the archive folder
    QUARANTINE = "quarantine"  # refused input, kept aside
    IGNORED = "ignored"  # seen in a review folder without belonging to a draft (reported once)
    PRESIGNED = "presigned"  # the copy drivebot stamped to be signed electronically


CURRENT_ROLES = (FileRole.WORKING, FileRole.REVIEW)  # the files that make up a draft's version


class InputStatus(StrEnum):
    """How an input (a Drive file's bytes, an e-mail) was handled; recorded before it is
    looked at again."""

    DONE = "done"
    QUARANTINED = "quarantined"
    IGNORED = "ignored"
    FAILED = "failed"  # drivebot could not handle it (reported once): `drivebot retry` again
    HELD = "held"  # a final whose number or dates wait for an admin (drivebot.app.finals)


class VersionKind(StrEnum):
    DRAFT = "draft"
    FINAL = "final"


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
    # The record as the signed document states it (drivebot.record), once archived.
    enacted_on: str | None = None
    promulgated_on: str | None = None
    gazette_kind: str | None = None
    gazette_year: int | None = None
    gazette_number: int | None = None
    noreg: str | None = None
    confirmed_by: str | None = None
    ended_from: str | None = None  # the stage a withdrawn, declined or closed draft was at
    # Signed electronically (TTE): the text given, and the copy drivebot stamped to be signed.
    tte_source_sha256: str | None = None
    tte_sha256: str | None = None
    tte_size: int | None = None
    assignee: str | None = None  # the reviewer it is assigned to (their e-mail address)

    @property
    def state(self) -> DraftState:
        return DraftState(
            self.reg, self.product_type, self.stage, self.version, self.done, self.ended_from
        )


@dataclass(frozen=True)
class Version:
    reg: str
    version: int
    kind: VersionKind
    file_name: str
    sha256: str
    size: int
    stored_path: str  # the copy kept in the workspace, relative to it
    received_at: str


@dataclass(frozen=True)
class TrackedFile:
    file_id: str
    reg: str | None
    role: FileRole
    folder: str
    name: str
    link: str | None = None


@dataclass(frozen=True)
class AuditEntry:
    id: int
    reg: str
    at: str
    actor: str
    event: str
    from_stage: str | None
    to_stage: str | None
    reason: str


@dataclass(frozen=True)
class ProcessedInput:
    key: str
    status: InputStatus
    reg: str | None
    detail: str
    at: str


@dataclass(frozen=True)
class HeldNotice:
    id: int
    reg: str
    notice: str
    audience: str


@dataclass(frozen=True)
class OutboxRow:
    id: int
    reg: str | None
    kind: str
    payload: str  # JSON, read by drivebot.state.outbox
    raw: bytes | None
    attempts: int
    created_at: str
    done_at: str | None
    last_error: str | None
    given_up: bool


@dataclass(frozen=True)
class HeldFinal:
    """A signed final whose number or dates are not settled yet (drivebot.record.Held)."""

    reg: str
    file_id: str
    file_name: str
    stored_path: str
    sha256: str
    exported: bool
    problems: tuple[tuple[str, dict[str, object]], ...]
    held_at: str
