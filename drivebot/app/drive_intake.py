"""Drive intake: every file the Drive port reports goes to exactly one of these handlers.

- a file in an OPD's inbox folder: a new draft, a revision (registration number in its name),
  or an approved draft's signed final sent by its own OPD;
- a draft's file a reviewer moved: the decision that folder means (placement.move_means);
- a file in the final folder: a draft's signed final;
- a draft's file saved anew under another id (an editor's "save as"): adopted again.

Before any expensive work an input is looked up in the processed ledger (Drive file id +
SHA-256); the state change, its ledger entry and the effects it causes are written in one
transaction (drivebot.app.actions) and carried out by the outbox afterwards.
"""

from __future__ import annotations

import logging
from pathlib import Path

from drivebot.app.actions import Actions
from drivebot.app.finals import Finals
from drivebot.app.inputs import Inputs, downloaded
from drivebot.app.moves import Moves
from drivebot.app.notices import Notices
from drivebot.clock import Clock
from drivebot.config import Config, Opd
from drivebot.documents import DocumentInfo, check_size, inspect
from drivebot.drive import DriveFile, DrivePort
from drivebot.errors import BadDocument
from drivebot.events import NewFile, Refusal, Rejected, RevisionReceived, Submitted
from drivebot.flows import Audience, Folder
from drivebot.naming import RegistrationNumbers, is_temporary
from drivebot.notify.emails import Report
from drivebot.placement import takes_final_from_inbox
from drivebot.record import Confirmed
from drivebot.state.rows import CURRENT_ROLES, Draft, FileRole, InputStatus, VersionKind
from drivebot.state.store import Store
from drivebot.workflow import decide

log = logging.getLogger(__name__)


class DriveIntake:
    def __init__(
        self,
        config: Config,
        store: Store,
        drive: DrivePort,
        notices: Notices,
        actions: Actions,
        inputs: Inputs,
        regs: RegistrationNumbers,
        clock: Clock,
    ):
        self.config = config
        self.clock = clock
        self.store = store
        self.drive = drive
        self.notices = notices
        self.actions = actions
        self.inputs = inputs
        self.regs = regs
        self.moves = Moves(config, store, drive, notices, actions)
        self.finals = Finals(config, store, drive, notices, actions, inputs)

    def handle(self, file: DriveFile) -> None:
        if is_temporary(file.name):
            return  # a lock file or a download still under way: never a document
        known = self.store.file(file.id)
        if known is not None and known.folder == file.folder.value:
            return
        if known is not None and file.folder is not Folder.INBOX:
            if known.reg is not None and known.role in CURRENT_ROLES:
                draft = self.store.draft(known.reg)
                if draft is not None:
                    return self.moves.on_move(draft, file, self.take_final)
            if file.folder is not Folder.FINAL:
                with self.store.transaction():  # a person moved a file drivebot is done with
                    self.store.set_file_place(file.id, file.folder.value)
                return
        # drivebot never puts a file in the inbox: whatever appears there is new input, even
        # under a known id (a quarantined file put back, or a local inode number reused).
        if file.folder is Folder.INBOX:
            return self._on_inbox_file(file)
        if file.folder is Folder.FINAL:
            return self.take_final(file)
        reg = self.regs.find(file.name)
        draft = self.store.draft(reg) if reg else None
        if draft is not None and self.moves.lost_working_file(draft):
            return self.moves.reattach(draft, file, self.take_final)
        log.info("ignoring %s in %s: not a registered draft's file", file.name, file.folder.value)
        with self.store.transaction():  # once: the file is known from now on
            self.store.track_file(file.id, None, FileRole.IGNORED, file.folder.value, file.name)
            self.notices.queue(
                Report.BAD_INPUT_REPORT,
                Audience.ADMINS,
                None,
                file_name=file.name,
                opd_name="-",
                reason="not_registered",
                folder=self.config.folders[file.folder],
            )

    # --- new input ---------------------------------------------------------------------------

    def _on_inbox_file(self, file: DriveFile) -> None:
        opd = self.config.opd_by_folder(file.opd_folder or "")
        reg = self.regs.find(file.name)
        draft = self.store.draft(reg) if reg else None
        if draft is not None and takes_final_from_inbox(
            draft.stage,
            opd is not None and opd.name == draft.opd,
            file.name.lower().endswith(".pdf"),
        ):
            return self.take_final(file, draft)  # the OPD sends its approved draft's final
        try:
            check_size(file.name, file.size, self.config.max_attachment_bytes)
        except BadDocument as bad:
            return self.inputs.quarantine(file, opd, None, bad, f"drive:{file.id}:unread")
        with downloaded(self.drive, file) as (path, sha):
            key = f"drive:{file.id}:{sha}"
            if self.inputs.done(key):
                return  # handled before; its effects are queued
            try:
                info = inspect(path, file.name, self.config.limits)
            except BadDocument as bad:
                return self.inputs.quarantine(file, opd, None, bad, key)
            if opd is None:
                return self.inputs.quarantine(
                    file,
                    None,
                    None,
                    BadDocument(
                        "unknown_opd_folder",
                        "/".join(
                            [self.config.folders[Folder.INBOX], *filter(None, [file.opd_folder])]
                        ),
                    ),
                    key,
                )
            if reg is not None:
                return self._on_revision_file(file, opd, reg, path, sha, key, info)
            twin = self.store.draft_with_version(sha, opd.name)
            if twin is not None:  # the same file again (dropped and e-mailed, or twice)
                return self.inputs.refuse(
                    file,
                    opd,
                    twin,
                    Rejected(Refusal.ALREADY_REGISTERED, twin.stage, Submitted.kind),
                    key,
                )
            stored = self.inputs.keep(path, sha, info.suffix)
            with self.store.transaction():
                year = self.clock().astimezone(self.config.tz).year
                reg = self.regs.make(year, self.store.next_value(f"reg:{year}"))
                self.store.add_draft(
                    reg, opd.name, info.title, info.product_type or self.config.default_product_type
                )
                if self.config.reviewer_rotation and self.config.reviewers:  # in turn
                    turn = self.store.next_value("reviewer_rotation") - 1
                    reviewer = self.config.reviewers[turn % len(self.config.reviewers)]
                    self.store.set_assignee(reg, reviewer.email)
                self.store.track_file(
                    file.id, reg, FileRole.WORKING, file.folder.value, file.name, file.link
                )
                new = self.store.draft(reg)
                if new is None:  # just added, in this very transaction
                    raise RuntimeError(f"{reg} was not recorded")
                event = Submitted(
                    actor=f"OPD {opd.name}",
                    reason=f"file:{file.name}",
                    file=NewFile(file.id, file.name),
                )
                decision = decide(new.state, event)
                self._record_draft_version(reg, decision.state.version, file, path, sha, stored)
                self.store.mark_processed(key, InputStatus.DONE, reg)
                self.actions.commit(new, event, decision)

    def _on_revision_file(
        self,
        file: DriveFile,
        opd: Opd,
        reg: str,
        path: Path,
        sha: str,
        key: str,
        info: DocumentInfo,
    ) -> None:
        draft = self.store.draft(reg)
        if draft is None or draft.opd != opd.name:
            return self.inputs.quarantine(
                file,
                opd,
                None,
                BadDocument("unknown_draft", f"{reg} is not a draft of {opd.name}"),
                key,
            )
        event = RevisionReceived(
            actor=f"OPD {opd.name}", reason=f"file:{file.name}", file=NewFile(file.id, file.name)
        )
        try:
            decision = decide(draft.state, event)
        except Rejected as rejected:
            return self.inputs.refuse(file, opd, draft, rejected, key)
        stored = self.inputs.keep(path, sha, info.suffix)
        with self.store.transaction():
            self._record_draft_version(reg, decision.state.version, file, path, sha, stored)
            self.store.mark_processed(key, InputStatus.DONE, reg)
            self.store.track_file(
                file.id, reg, FileRole.WORKING, file.folder.value, file.name, file.link
            )
            self.actions.commit(draft, event, decision)

    def _record_draft_version(
        self, reg: str, version: int, file: DriveFile, path: Path, sha: str, stored: str
    ) -> None:
        size = path.stat().st_size
        self.store.add_version(reg, version, VersionKind.DRAFT, file.name, sha, size, stored)

    def take_final(
        self,
        file: DriveFile,
        draft: Draft | None = None,
        actor: str = "admin (Drive)",
        confirmed: Confirmed | None = None,
    ) -> None:
        """A draft's signed final: checked, read, and archived or held (drivebot.app.finals)."""
        if draft is None:
            reg = self.regs.find(file.name)
            draft = self.store.draft(reg) if reg else None
        if draft is None:
            return self.inputs.quarantine(
                file,
                None,
                None,
                BadDocument(
                    "unknown_draft", "a final needs the registration number in its file name"
                ),
                f"drive:{file.id}:unread",
            )
        self.finals.take(file, draft, actor, confirmed)
