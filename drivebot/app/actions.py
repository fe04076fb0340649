"""Committing a decision: the new state, its audit line, and its actions as outbox rows.

`Actions.commit` runs inside the caller's transaction, with the input's ledger entry, so the
state change and everything it causes are written together or not at all. Each action type has
one handler here; the handlers only record (store writes and outbox rows). The outbox carries
the rows out afterwards (drivebot.app.effects).
"""

from __future__ import annotations

from typing import Any, assert_never

from drivebot.app.notices import Notices
from drivebot.app.revisions import comparison
from drivebot.clock import Clock
from drivebot.config import Config
from drivebot.events import (
    Action,
    AssignNumber,
    Decision,
    DropHeldFinal,
    Event,
    KeepNumberIfFree,
    MakeReviewCopy,
    MoveDraftFiles,
    Notice,
    Notify,
    RecordNoreg,
    RecordProduct,
    StampAndArchive,
    SupersedeOtherFiles,
)
from drivebot.flows import Folder
from drivebot.naming import RegistrationNumbers
from drivebot.state.outbox import CopyForReview, MoveFile, StampArchive
from drivebot.state.records import counter_name
from drivebot.state.rows import CURRENT_ROLES, Draft, FileRole
from drivebot.state.store import Store


class Actions:
    def __init__(
        self,
        config: Config,
        store: Store,
        notices: Notices,
        regs: RegistrationNumbers,
        clock: Clock,
    ):
        self.config = config
        self.store = store
        self.notices = notices
        self.regs = regs
        self.clock = clock

    def commit(self, draft: Draft, event: Event, decision: Decision) -> None:
        """Write the new state, its audit line and its effects (inside the caller's transaction)."""
        self.store.save_state(decision.state)
        self.store.audit(
            draft.reg, event.actor, event.kind, draft.stage, decision.state.stage, event.reason
        )
        for action in decision.actions:
            self._record(draft.reg, action)

    def _record(self, reg: str, action: Action) -> None:
        """One action, by its type."""
        match action:
            case MoveDraftFiles():
                self._move_files(reg, action)
            case MakeReviewCopy():
                self.store.enqueue(reg, CopyForReview(action.file_id, reg))
            case SupersedeOtherFiles():
                self._supersede(reg, action)
            case Notify():
                self._notify(reg, action)
            case AssignNumber():
                self._assign_number(reg)
            case DropHeldFinal():
                self.store.release_final(reg)
            case KeepNumberIfFree():
                self._keep_number_if_free(reg)
            case RecordNoreg():
                self.store.set_noreg(reg, action.noreg)
            case RecordProduct():
                self.store.set_record(reg, action.product_type, action.record)
                self.store.release_final(reg)
            case StampAndArchive():
                final = action.final
                effect = StampArchive(
                    reg, final.file_id, final.stored, final.sha256, final.exported
                )
                self.store.enqueue(reg, effect)
            case _:
                assert_never(action)

    def _move_files(self, reg: str, action: MoveDraftFiles) -> None:
        for tracked in self.store.files_of(reg, *CURRENT_ROLES):
            name = None
            if action.new_file is not None and tracked.file_id == action.new_file.file_id:
                name = self.regs.working_name(reg, action.version, action.new_file.name)
            self.store.enqueue(reg, MoveFile(tracked.file_id, action.to.value, name))

    def _supersede(self, reg: str, action: SupersedeOtherFiles) -> None:
        for old in self.store.files_of(reg, *CURRENT_ROLES):
            if old.file_id != action.keep:
                self.store.set_file_place(old.file_id, old.folder, role=FileRole.SUPERSEDED)
                self.store.enqueue(reg, MoveFile(old.file_id, Folder.SUPERSEDED.value))

    def _notify(self, reg: str, action: Notify) -> None:
        if action.batched:
            self.store.hold_notice(reg, action.notice.value, action.audience.value)
            return
        draft = self.store.draft(reg)
        extra: dict[str, Any] = {}
        if action.notice is Notice.REVISION_REQUESTED and draft is not None:
            self.store.save_notes(reg, draft.version, action.notes)  # compared with the revision
        if action.notice is Notice.REVISION_RECEIVED_REVIEWERS and draft is not None:
            found = comparison(self.config, self.store, draft)
            if found is not None:
                extra = {"changes": found[0], "attachments": [found[1]]}
        once = None
        if action.notice is Notice.NUMBER_RESERVED and draft is not None:
            # Asked for again (`number`, then `penetapan` marked done): the same number is
            # told once.
            once = f"number:{reg}:{draft.number}/{draft.number_year}"
        self.notices.queue(
            action.notice,
            action.audience,
            draft,
            dedupe_key=once,
            comments=list(action.notes),
            completed_stage=action.stage,
            why=action.why,
            **extra,
        )

    def _keep_number_if_free(self, reg: str) -> None:
        draft = self.store.draft(reg)
        if draft is None or draft.number is None or draft.number_year is None:
            return
        if draft.number in self.store.numbers_taken(draft.product_type, draft.number_year, reg):
            self.store.set_number(reg, None, None)

    def _assign_number(self, reg: str) -> None:
        draft = self.store.draft(reg)
        if draft is None or draft.number is not None:
            return  # kept when a final is taken in again
        year = self.clock().astimezone(self.config.tz).year
        kind = draft.product_type
        number = self.store.next_value(
            counter_name(kind, year), start=self.config.numbering_start[kind]
        )
        self.store.set_number(reg, number, year)
