"""What moving a draft's file means: a reviewer's decision by the folder they drag it to, and
which inbox file is an approved draft's signed final. Pure, on top of drivebot.events (which
folder belongs to which stage is stages-as-data, in drivebot.flows).
"""

from __future__ import annotations

from drivebot.events import Approved, Event, Note, RevisionRequested
from drivebot.flows import Folder, awaits_final

# What a reviewer means by dragging a draft's file into a folder.
_MOVE_MEANS: dict[Folder, type[Event]] = {
    Folder.REVISION: RevisionRequested,
    Folder.APPROVED: Approved,
}


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
