"""The one pure function that moves a draft through the review process (drivebot.flows).

`decide(draft, event)` returns the draft's next state and the actions the shell must carry out
(move the draft's files, send a notice, assign a product number, stamp and archive). Events
carry what happened (the new file, the reviewers' notes, the signed final) and actions carry
the data the shell needs, so the shell never decides anything: it dispatches on the action's
type. The events, actions and states are in drivebot.events; what a reviewer's move into a
folder means is in drivebot.placement. This module performs no I/O and imports nothing of
drivebot but pure modules (the stages as data, the core's vocabulary, the legal record's
rules), so the whole process can be read and tested as a table.
"""

from __future__ import annotations

from dataclasses import replace

from drivebot.events import (
    Approved,
    AssignNumber,
    Closed,
    Decision,
    Declined,
    DraftState,
    DropHeldFinal,
    Ended,
    Event,
    FinalReceived,
    KeepNumberIfFree,
    MakeReviewCopy,
    MoveDraftFiles,
    Notice,
    Notify,
    NumberRequested,
    RecordNoreg,
    RecordProduct,
    Refusal,
    Rejected,
    Reopened,
    RevisionReceived,
    RevisionRequested,
    StageDone,
    StampAndArchive,
    Submitted,
    SupersedeOtherFiles,
    Withdrawn,
)
from drivebot.flows import (
    AWAITING_FINAL,
    ENDED_GROUP,
    FLOWS,
    REVIEW,
    REVISION,
    STAGES,
    Audience,
    Folder,
    home_folder,
    next_open_stage,
    stage_group,
)

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
    Reopened: frozenset({ENDED_GROUP}),
}
_OPEN = frozenset({REVIEW, REVISION, AWAITING_FINAL})
for _ended in (Withdrawn, Declined, Closed):
    _ALLOWED[_ended] = _OPEN
_REFUSALS: dict[type[Event], Refusal] = {
    Submitted: Refusal.ALREADY_REGISTERED,
    RevisionRequested: Refusal.NOT_UNDER_REVIEW,
    RevisionReceived: Refusal.NOT_OPEN_FOR_REVISION,
    Approved: Refusal.NOT_UNDER_REVIEW,
    StageDone: Refusal.STAGE_NOT_OPEN,
    NumberRequested: Refusal.NOT_YET_APPROVED,
    FinalReceived: Refusal.NOT_YET_APPROVED,
    Withdrawn: Refusal.NOT_OPEN,
    Declined: Refusal.NOT_OPEN,
    Closed: Refusal.NOT_OPEN,
    Reopened: Refusal.NOT_ENDED,
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
        noreg = (RecordNoreg(event.noreg),) if event.stage == "noreg" and event.noreg else ()
        return Decision(
            replace(draft, stage=next_open_stage(flow, done), done=done),
            (
                Notify(Notice.STAGE_DONE, Audience.OPD, stage=event.stage),
                Notify(Notice.STAGE_DONE, Audience.ADMINS, stage=event.stage),
                *noreg,
                *numbering,
            ),
        )
    if isinstance(event, NumberRequested):
        return Decision(draft, _NUMBERING)
    if isinstance(event, FinalReceived):
        return Decision(
            replace(draft, stage="arsip", done=draft.done | _tracked(flow)),
            (
                RecordProduct(event.record, draft.product_type),
                StampAndArchive(event.final),
                Notify(Notice.ARCHIVED, Audience.OPD),
                Notify(Notice.ARCHIVED, Audience.ADMINS),
            ),
        )
    if isinstance(event, Ended):
        # The files leave the reviewers' folders; the number, if reserved, stays on record.
        return Decision(
            replace(draft, stage=event.stage, ended_from=draft.stage),
            (
                MoveDraftFiles(Folder.ENDED),
                DropHeldFinal(),
                Notify(Notice.ENDED, Audience.OPD, why=event.why),
                Notify(Notice.ENDED, Audience.ADMINS, why=event.why),
            ),
        )
    if isinstance(event, Reopened):
        stage = draft.ended_from or "pemeriksaan"
        home = home_folder(stage)
        return Decision(
            replace(draft, stage=stage, ended_from=None),
            (
                *((MoveDraftFiles(home),) if home else ()),
                KeepNumberIfFree(),
                Notify(Notice.REOPENED, Audience.OPD),
                Notify(Notice.REOPENED, Audience.ADMINS),
            ),
        )
    raise TypeError(f"no rule for {type(event).__name__}")
