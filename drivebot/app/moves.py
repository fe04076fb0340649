"""A person moved a registered draft's own file in Drive. The folder it lands in says what
they mean: the revision or approved folder is a reviewer's decision, the final folder (once the
draft is approved) hands in its final, and its home folder (where it belongs at its stage)
decides nothing. Any other folder, or a decision the stage does not allow, changes nothing on
the draft: the reviewers are told which folder to move the file back to, once per move.
"""

from __future__ import annotations

from collections.abc import Callable

from drivebot.app.actions import Actions
from drivebot.app.notices import Notices
from drivebot.config import Config
from drivebot.drive import DriveFile, DrivePort
from drivebot.errors import NotFound
from drivebot.events import FinalReceived, Note
from drivebot.flows import Audience, Folder, home_folder, working_folder
from drivebot.notify.emails import Report
from drivebot.placement import move_means, reviewer_event, wants_notes
from drivebot.state.rows import CURRENT_ROLES, Draft, FileRole
from drivebot.state.store import Store
from drivebot.workflow import decide, refusal

REVIEWER = "pemeriksa (Drive)"

TakeFinal = Callable[[DriveFile, Draft], None]


class Moves:
    def __init__(
        self, config: Config, store: Store, drive: DrivePort, notices: Notices, actions: Actions
    ):
        self.config = config
        self.store = store
        self.drive = drive
        self.notices = notices
        self.actions = actions

    def lost_working_file(self, draft: Draft) -> bool:
        """Whether the draft, at a stage with a working folder, has lost its working file
        (a copy beside it is not the draft)."""
        if working_folder(draft.stage) is None:
            return False
        for tracked in self.store.files_of(draft.reg, *CURRENT_ROLES):
            try:
                self.drive.get(tracked.file_id)
                return False
            except NotFound:
                continue
        return True

    def reattach(self, draft: Draft, file: DriveFile, take_final: TakeFinal) -> None:
        """A draft's file came back with a new id (an editor saved it anew): adopt it."""
        expected = working_folder(draft.stage)
        if expected is None:  # only a draft at a stage with a working folder loses its file
            raise RuntimeError(f"{draft.reg} at {draft.stage} has no working folder")
        with self.store.transaction():
            for old in self.store.files_of(draft.reg, *CURRENT_ROLES):
                self.store.set_file_place(old.file_id, old.folder, role=FileRole.REPLACED)
            self.store.track_file(
                file.id, draft.reg, FileRole.WORKING, expected.value, file.name, file.link
            )
        if file.folder is not expected:
            self.on_move(draft, file, take_final)

    def on_move(self, draft: Draft, file: DriveFile, take_final: TakeFinal) -> None:
        if file.folder is Folder.FINAL and refusal(draft.state, FinalReceived) is None:
            return take_final(file, draft)
        home = home_folder(draft.stage)
        meaning = move_means(file.folder)
        twins = [
            f
            for f in self.store.files_of(draft.reg, *CURRENT_ROLES)
            if f.file_id != file.id and f.folder == file.folder.value
        ]
        if file.folder is home or home is None or twins:
            # Back where it belongs, or the draft's other file (the .docx beside its Google
            # Doc) dragged along into the same folder: nothing to decide (again).
            with self.store.transaction():
                self.store.set_file_place(file.id, file.folder.value)
            return
        if meaning is None:
            return self._misplaced(draft, file, home)
        why = refusal(draft.state, meaning)
        if why is not None:  # decided before any note is read: a refused move costs nothing
            with self.store.transaction():  # recorded, and the reviewers told it did nothing
                self.store.set_file_place(file.id, file.folder.value)
                self.store.audit(
                    draft.reg, REVIEWER, meaning.kind, draft.stage, draft.stage, f"refused:{why}"
                )
                self.notices.queue(
                    Report.REJECTED_EVENT,
                    self._movers(),
                    draft,
                    reason_key=why.value,
                    moved_to=self.config.folders[file.folder],
                    back_to=self.config.folders[home],
                )
            return
        notes = tuple(self.notes_of(draft)) if wants_notes(meaning) else ()
        reason = f"moved:{self.config.folders[file.folder]}"
        event = reviewer_event(meaning, REVIEWER, reason, notes)
        decision = decide(draft.state, event)
        with self.store.transaction():
            self.store.set_file_place(file.id, file.folder.value)
            self.actions.commit(draft, event, decision)

    def _misplaced(self, draft: Draft, file: DriveFile, home: Folder) -> None:
        """Moved to a folder that means nothing at its stage (the final folder before the
        approval, the archive...): recorded where it is, so it is told once."""
        folders = self.config.folders
        with self.store.transaction():
            self.store.set_file_place(file.id, file.folder.value)
            self.notices.queue(
                Report.MISPLACED,
                self._movers(),
                draft,
                moved_to=folders[file.folder],
                back_to=folders[home],
                revision_folder=folders[Folder.REVISION],
                approved_folder=folders[Folder.APPROVED],
            )

    def _movers(self) -> Audience:
        """Who moves files in Drive: the reviewers, or the admins when none are listed."""
        return Audience.REVIEWERS if self.config.reviewers else Audience.ADMINS

    def notes_of(self, draft: Draft) -> list[Note]:
        """The notes on every file of the current version: reviewers may comment on the Google
        Doc or on the .docx itself."""
        notes: list[Note] = []
        for tracked in self.store.files_of(draft.reg, FileRole.REVIEW, FileRole.WORKING):
            notes += [note for note in self.drive.comments(tracked.file_id) if note not in notes]
        return notes
