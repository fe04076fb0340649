"""The one pure function that moves a draft through the review process (drivebot.flows).

`decide(draft, event)` returns the draft's next state and the actions the shell must carry out
(move the draft's files, send a notice, assign a product number, stamp and archive). Events
carry what happened (the new file, the reviewers' notes, the signed final) and actions carry
the data the shell needs, so the shell never decides anything: it dispatches on the action's
type. This module performs no I/O and imports nothing of drivebot but the stages as data
(drivebot.flows), so the whole process can be read and tested as a table. The rules of what a
reviewer's move into a folder means, and what counts as a final, are here too.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import ClassVar

from drivebot.flows import (
    AWAITING_FINAL,
    FLOWS,
    REVIEW,
    REVISION,
    STAGES,
    Audience,
    Folder,
    ProductType,
    awaits_final,
    next_open_stage,
    stage_group,
)
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


class Refusal(StrEnum):
    """Why an event does not apply at a draft's stage (each names a message for users)."""

    ALREADY_REGISTERED = "already_registered"
    NOT_UNDER_REVIEW = "not_under_review"
    NOT_OPEN_FOR_REVISION = "not_open_for_revision"
    STAGE_NOT_OPEN = "stage_not_open"
    NOT_YET_APPROVED = "not_yet_approved"


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
    # May wait for the end of the cycle, to go out as one e-mail with the others of its kind
    # (many drafts dropped or e-mailed at once: one acknowledgement, one notice to reviewers).
    batched: bool = False


@dataclass(frozen=True)
class AssignNumber:
    """Reserve the next product number of the draft's type and year for it (once)."""


@dataclass(frozen=True)
class RecordProduct:
    """Record the product's number and dates as its signed document states them."""

    record: LegalRecord


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


# --- the transition table ---------------------------------------------------------------------
# Which stage groups (flows.stage_group) each event type applies in.

_ALLOWED: dict[type[Event], frozenset[str]] = {
    Submitted: frozenset({"pengajuan"}),
    RevisionRequested: frozenset({REVIEW}),
    RevisionReceived: frozenset({REVIEW, REVISION}),
    Approved: frozenset({REVIEW}),
    StageDone: frozenset({AWAITING_FINAL}),
    NumberRequested: frozenset({AWAITING_FINAL}),
    FinalReceived: frozenset({AWAITING_FINAL}),
}
_REFUSALS: dict[type[Event], Refusal] = {
    Submitted: Refusal.ALREADY_REGISTERED,
    RevisionRequested: Refusal.NOT_UNDER_REVIEW,
    RevisionReceived: Refusal.NOT_OPEN_FOR_REVISION,
    Approved: Refusal.NOT_UNDER_REVIEW,
    StageDone: Refusal.STAGE_NOT_OPEN,
    NumberRequested: Refusal.NOT_YET_APPROVED,
    FinalReceived: Refusal.NOT_YET_APPROVED,
}


_NUMBERING = (AssignNumber(), Notify(Notice.NUMBER_RESERVED, Audience.ADMINS))


def refusal(draft: DraftState, event_type: type[Event]) -> Refusal | None:
    """Why an event of this type would be refused at the draft's stage, or None: lets a
    command refuse before it moves anything, without deciding twice."""
    allowed = stage_group(draft.stage) in _ALLOWED[event_type]
    return None if allowed else _REFUSALS[event_type]


def _tracked(flow: tuple[str, ...]) -> frozenset[str]:
    return frozenset(key for key in flow if STAGES[key].tracked)


def decide(draft: DraftState, event: Event) -> Decision:
    """The next state of `draft` after `event`, and the actions to carry it out.

    Raises `Rejected` when the event does not apply at the draft's stage (for instance a final
    for a draft the reviewers have not approved)."""
    why = refusal(draft, type(event))
    if why is not None:
        raise Rejected(why, draft.stage, event.kind)
    flow = FLOWS[draft.product_type]
    if isinstance(event, Submitted):
        return Decision(
            replace(draft, stage="pemeriksaan", version=draft.version + 1),
            (
                MoveDraftFiles(Folder.REVIEW, event.file, draft.version + 1),
                MakeReviewCopy(event.file.file_id),
                Notify(Notice.SUBMITTED, Audience.OPD, batched=True),
                Notify(Notice.SUBMITTED_REVIEWERS, Audience.REVIEWERS, batched=True),
            ),
        )
    if isinstance(event, RevisionRequested):
        return Decision(
            replace(draft, stage="perbaikan"),
            (
                MoveDraftFiles(Folder.REVISION),
                Notify(Notice.REVISION_REQUESTED, Audience.OPD, notes=event.notes),
            ),
        )
    if isinstance(event, RevisionReceived):
        # Also while still under examination: a corrected file replaces the one in review.
        return Decision(
            replace(draft, stage="pemeriksaan", version=draft.version + 1),
            (
                SupersedeOtherFiles(keep=event.file.file_id),
                MoveDraftFiles(Folder.REVIEW, event.file, draft.version + 1),
                MakeReviewCopy(event.file.file_id),
                Notify(Notice.REVISION_RECEIVED, Audience.OPD),
                Notify(Notice.REVISION_RECEIVED_REVIEWERS, Audience.REVIEWERS),
            ),
        )
    if isinstance(event, Approved):
        return Decision(
            replace(draft, stage=next_open_stage(flow, draft.done)),
            (
                MoveDraftFiles(Folder.APPROVED),
                Notify(Notice.APPROVED, Audience.OPD),
                Notify(Notice.APPROVED, Audience.ADMINS),
            ),
        )
    if isinstance(event, StageDone):
        # Tracked stages may be reported out of order (paraf before harmonisasi closes).
        if event.stage not in _tracked(flow) or event.stage in draft.done:
            raise Rejected(Refusal.STAGE_NOT_OPEN, draft.stage, event.kind)
        done = draft.done | {event.stage}
        # The Regent has signed: the division numbers the product now (penomoran).
        numbering = _NUMBERING if event.stage == "penetapan" else ()
        return Decision(
            replace(draft, stage=next_open_stage(flow, done), done=done),
            (
                Notify(Notice.STAGE_DONE, Audience.OPD, stage=event.stage),
                Notify(Notice.STAGE_DONE, Audience.ADMINS, stage=event.stage),
                *numbering,
            ),
        )
    if isinstance(event, NumberRequested):
        return Decision(draft, _NUMBERING)
    if isinstance(event, FinalReceived):
        return Decision(
            replace(draft, stage="arsip", done=draft.done | _tracked(flow)),
            (
                RecordProduct(event.record),
                StampAndArchive(event.final),
                Notify(Notice.ARCHIVED, Audience.OPD),
                Notify(Notice.ARCHIVED, Audience.ADMINS),
            ),
        )
    raise TypeError(f"no rule for {type(event).__name__}")


# --- what the folders mean --------------------------------------------------------------------

# Where a draft's working file sits while it is being examined or revised.
_WORKING_FOLDER = {"pemeriksaan": Folder.REVIEW, "perbaikan": Folder.REVISION}
# What a reviewer means by dragging a draft's file into a folder.
_MOVE_MEANS: dict[Folder, type[Event]] = {
    Folder.REVISION: RevisionRequested,
    Folder.APPROVED: Approved,
}


def working_folder(stage: str) -> Folder | None:
    """The folder a draft's working file belongs in at `stage`, when it has one."""
    return _WORKING_FOLDER.get(stage)


def home_folder(stage: str) -> Folder | None:
    """Where a draft's own file belongs at `stage`: its working folder, or once approved the
    approved folder (None once archived). A file moved back there decides nothing."""
    if awaits_final(stage):
        return Folder.APPROVED
    return working_folder(stage)


def move_means(folder: Folder) -> type[Event] | None:
    """The decision a reviewer makes by moving a draft's file into `folder` (None: none)."""
    return _MOVE_MEANS.get(folder)


def wants_notes(event_type: type[Event]) -> bool:
    """Whether this decision carries the reviewers' notes (read before deciding)."""
    return event_type is RevisionRequested


def reviewer_event(
    event_type: type[Event], actor: str, reason: str, notes: tuple[Note, ...] = ()
) -> Event:
    """The event of a reviewer's decision, with the notes when it sends the draft back."""
    if event_type is RevisionRequested:
        return RevisionRequested(actor=actor, reason=reason, notes=notes)
    if event_type is Approved:
        return Approved(actor=actor, reason=reason)
    raise TypeError(f"{event_type.__name__} is not a reviewer's decision")


def takes_final_from_inbox(stage: str, from_owning_opd: bool, is_pdf: bool) -> bool:
    """An approved draft's PDF, sent by its own OPD to its inbox folder, is its signed final."""
    return awaits_final(stage) and from_owning_opd and is_pdf
