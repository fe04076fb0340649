"""The core's vocabulary: the notices and refusals, what events carry, the events (what
happened), the actions (what the shell must do, with the data it needs), and a draft's state.
Pure data; drivebot.workflow decides on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar

from drivebot.flows import Audience, Folder, ProductType
from drivebot.record import LegalRecord


class Notice(StrEnum):
    """The e-mails the process sends; each names a template (drivebot/notify/templates)."""

    SUBMITTED = "submitted"
    SUBMITTED_REVIEWERS = "submitted_reviewers"
    REVISION_REQUESTED = "revision_requested"
    REVISION_RECEIVED = "revision_received"
    REVISION_RECEIVED_REVIEWERS = "revision_received_reviewers"
    APPROVED = "approved"
    STAGE_DONE = "stage_done"
    NUMBER_RESERVED = "number_reserved"
    ARCHIVED = "archived"
    ENDED = "ended"  # withdrawn, declined or closed (the draft's stage says which)
    REOPENED = "reopened"


class Refusal(StrEnum):
    """Why an event does not apply at a draft's stage (each names a message for users)."""

    ALREADY_REGISTERED = "already_registered"
    NOT_UNDER_REVIEW = "not_under_review"
    NOT_OPEN_FOR_REVISION = "not_open_for_revision"
    STAGE_NOT_OPEN = "stage_not_open"
    NOT_YET_APPROVED = "not_yet_approved"
    NOT_OPEN = "not_open"  # archived, or ended already
    NOT_ENDED = "not_ended"


# --- what events carry ------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    author: str
    content: str


@dataclass(frozen=True)
class Note:
    """A reviewer's note on the text. `author` is a display name nobody authenticated."""

    author: str
    content: str
    quoted: str = ""
    replies: tuple[Reply, ...] = ()


@dataclass(frozen=True)
class NewFile:
    """A file that becomes the draft's working version."""

    file_id: str
    name: str


@dataclass(frozen=True)
class SignedFinal:
    """The signed final as taken in: where drivebot keeps its bytes, and their SHA-256.
    `exported` is true for a Google Doc, whose PDF export is the original on record."""

    file_id: str
    stored: str
    sha256: str
    exported: bool = False


# --- events: what happened --------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Event:
    kind: ClassVar[str]
    actor: str = "drivebot"
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class Submitted(Event):
    kind: ClassVar[str] = "submitted"
    file: NewFile


@dataclass(frozen=True, kw_only=True)
class RevisionRequested(Event):
    kind: ClassVar[str] = "revision_requested"
    notes: tuple[Note, ...] = ()


@dataclass(frozen=True, kw_only=True)
class RevisionReceived(Event):
    kind: ClassVar[str] = "revision_received"
    file: NewFile


@dataclass(frozen=True, kw_only=True)
class Approved(Event):
    kind: ClassVar[str] = "approved"


@dataclass(frozen=True, kw_only=True)
class StageDone(Event):
    kind: ClassVar[str] = "stage_done"
    stage: str
    noreg: str = ""  # the governor's register number, when `noreg` is the stage done


@dataclass(frozen=True, kw_only=True)
class NumberRequested(Event):
    """The division asks for the product number now (to type it into the document before
    printing or electronic signing); marking `penetapan` done asks for it too."""

    kind: ClassVar[str] = "number_requested"


@dataclass(frozen=True, kw_only=True)
class FinalReceived(Event):
    """The signed final, with the record its text and the register agree on (drivebot.record):
    a final whose number or date is not settled never becomes this event."""

    kind: ClassVar[str] = "final_received"
    final: SignedFinal
    record: LegalRecord


@dataclass(frozen=True, kw_only=True)
class Ended(Event):
    """A draft ends without becoming a product; `why` is the person's own words."""

    stage: ClassVar[str]
    why: str


@dataclass(frozen=True, kw_only=True)
class Withdrawn(Ended):
    kind: ClassVar[str] = "withdrawn"
    stage: ClassVar[str] = "ditarik"  # by its OPD


@dataclass(frozen=True, kw_only=True)
class Declined(Ended):
    kind: ClassVar[str] = "declined"
    stage: ClassVar[str] = "ditolak"  # by the division


@dataclass(frozen=True, kw_only=True)
class Closed(Ended):
    kind: ClassVar[str] = "closed"
    stage: ClassVar[str] = "ditutup"  # left untouched too long


@dataclass(frozen=True, kw_only=True)
class Reopened(Event):
    """An ended draft goes back to the stage where it ended."""

    kind: ClassVar[str] = "reopened"


# --- actions: what the shell must do ----------------------------------------------------------


@dataclass(frozen=True)
class MoveDraftFiles:
    """Move every current file of the draft (working file and review copy) to `to`; the new
    version, when there is one, is renamed after the registration number and `version`."""

    to: Folder
    new_file: NewFile | None = None
    version: int = 0


@dataclass(frozen=True)
class MakeReviewCopy:
    """Put the file where reviewers comment (on Google: a Google Doc imported from it)."""

    file_id: str


@dataclass(frozen=True)
class SupersedeOtherFiles:
    """Move the versions the new file replaces out of the reviewers' way (kept on record)."""

    keep: str  # the new file's id


@dataclass(frozen=True)
class Notify:
    notice: Notice
    audience: Audience
    notes: tuple[Note, ...] = ()
    stage: str | None = None  # the tracked stage just completed (STAGE_DONE)
    why: str = ""  # a person's reason (ENDED)
    # May wait for the end of the cycle, to go out as one e-mail with the others of its kind
    # (many drafts dropped or e-mailed at once: one acknowledgement, one notice to reviewers).
    batched: bool = False


@dataclass(frozen=True)
class AssignNumber:
    """Reserve the next product number of the draft's type and year for it (once)."""


@dataclass(frozen=True)
class DropHeldFinal:
    """Forget a final held for the draft (it ended: nothing of it will be archived)."""


@dataclass(frozen=True)
class KeepNumberIfFree:
    """A reopened draft keeps its reserved number unless another product took it meanwhile
    (then it is reserved anew when asked for)."""


@dataclass(frozen=True)
class RecordNoreg:
    """Record the register number the governor gave a Perda (checked against its final)."""

    noreg: str


@dataclass(frozen=True)
class RecordProduct:
    """Record the product's number and dates as its signed document states them (the type
    names the numbering sequence the number is taken from)."""

    record: LegalRecord
    product_type: ProductType


@dataclass(frozen=True)
class StampAndArchive:
    """Stamp the signed final (watermark, QR, footer) and put it, locked, in the archive."""

    final: SignedFinal


Action = (
    MoveDraftFiles
    | MakeReviewCopy
    | SupersedeOtherFiles
    | Notify
    | AssignNumber
    | DropHeldFinal
    | KeepNumberIfFree
    | RecordNoreg
    | RecordProduct
    | StampAndArchive
)


@dataclass(frozen=True)
class DraftState:
    reg: str
    product_type: ProductType
    stage: str = "pengajuan"
    version: int = 0
    done: frozenset[str] = field(default_factory=frozenset)  # tracked stages marked done
    ended_from: str | None = None  # the stage an ended draft was at (where it reopens)


@dataclass(frozen=True)
class Decision:
    state: DraftState
    actions: tuple[Action, ...]


class Rejected(Exception):
    """The event does not apply at the draft's current stage; `reason` says why."""

    def __init__(self, reason: Refusal, stage: str, event_kind: str):
        super().__init__(f"{event_kind} not allowed at stage {stage}: {reason.value}")
        self.reason = reason
        self.stage = stage
        self.event_kind = event_kind
