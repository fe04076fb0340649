"""What a person can tell drivebot directly (CLI today): the same decisions a move in Drive makes.

Each command holds the workspace lock, decides once, commits the decision with its effects in one
transaction and carries the effects out. A command that does not apply at the draft's stage
raises `workflow.Rejected` before anything is moved or written.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from drivebot.app.actions import Actions
from drivebot.app.drive_intake import DriveIntake
from drivebot.app.effects import Effects
from drivebot.app.lock import WorkspaceLock
from drivebot.archive.archiver import Archiver
from drivebot.archive.reading import read_final
from drivebot.config import Config
from drivebot.documents import inspect
from drivebot.drive import DrivePort
from drivebot.errors import NotFound, Refused
from drivebot.events import (
    Approved,
    Ended,
    Event,
    FinalReceived,
    NumberRequested,
    Rejected,
    Reopened,
    RevisionRequested,
    StageDone,
)
from drivebot.files import sha256_of
from drivebot.flows import STAGES, Folder
from drivebot.gmail import MailboxPort
from drivebot.naming import RegistrationNumbers
from drivebot.placement import reviewer_event
from drivebot.record import Confirmed
from drivebot.state.rows import Draft, FileRole
from drivebot.state.store import Store
from drivebot.workflow import decide, refusal

CLI_ACTOR = "admin (CLI)"
PRESIGNED_NAME = "naskah untuk ditandatangani"  # the copy stamped before electronic signing


class Commands:
    def __init__(
        self,
        config: Config,
        store: Store,
        drive: DrivePort,
        mailbox: MailboxPort,
        lock: WorkspaceLock,
        actions: Actions,
        effects: Effects,
        drive_intake: DriveIntake,
        regs: RegistrationNumbers,
        archiver: Callable[[], Archiver],
    ):
        self.config = config
        self.store = store
        self.drive = drive
        self.mailbox = mailbox
        self.lock = lock
        self.actions = actions
        self.effects = effects
        self.drive_intake = drive_intake
        self.regs = regs
        self.archiver = archiver  # built when first needed: it loads the signing key

    def draft(self, reg: str) -> Draft:
        draft = self.store.draft(reg.strip().upper())
        if draft is None:
            raise NotFound("no_draft", reg=reg)
        return draft

    def approve(self, reg: str, actor: str = CLI_ACTOR) -> Draft:
        """What moving the draft to Disetujui does."""
        return self._apply(reg, Approved(actor=actor, reason="command:"))

    def revise(self, reg: str, actor: str = CLI_ACTOR) -> Draft:
        """What moving the draft to Perbaikan does: the OPD gets the reviewers' notes."""
        with self.lock.hold():
            draft = self._applicable(reg, RevisionRequested)
            notes = tuple(self.drive_intake.moves.notes_of(draft))
            event = reviewer_event(RevisionRequested, actor, "command:", notes)
            return self._decide(draft, event)

    def advance(self, reg: str, stage: str, actor: str = CLI_ACTOR, noreg: str = "") -> Draft:
        """Mark a tracked stage (done outside the division) done; for `noreg`, with the
        register number the governor gave."""
        if stage not in STAGES:
            raise NotFound("no_stage", stage=stage, stages=", ".join(STAGES))
        done = StageDone(actor=actor, reason=f"done:{stage}", stage=stage, noreg=noreg.strip())
        return self._apply(reg, done)

    def finalize(
        self,
        reg: str,
        source: Path | None,
        actor: str = CLI_ACTOR,
        confirmed: Confirmed | None = None,
    ) -> Draft:
        """Take in the signed final, as dropping it in the final folder does; or, without a
        file, settle the final held for this draft with what the admin confirms (the
        document's facts as read, where they give nothing else)."""
        with self.lock.hold():
            draft = self._applicable(reg, FinalReceived)  # refused before anything moves
            if source is None:
                self.drive_intake.finals.confirm(draft.reg, confirmed or Confirmed(by=actor))
            else:
                if not source.is_file():
                    raise NotFound("no_file", path=source)
                inspect(source, source.name, self.config.limits)  # a bad file is refused here
                name = source.name if self.regs.find(source.name) else f"{draft.reg} {source.name}"
                uploaded = self.drive.upload(source, name, Folder.FINAL)
                self.drive_intake.take_final(uploaded, draft, actor, confirmed)
            self.effects.flush()
            return self.draft(draft.reg)

    def end(self, reg: str, how: type[Ended], why: str, actor: str = CLI_ACTOR) -> Draft:
        """Withdraw, decline or close a draft (`how`): its files leave the reviewers' folders,
        the OPD and the admins are told why."""
        why = " ".join(why.split())
        if not why:
            raise Refused("reason_needed")
        return self._apply(reg, how(actor=actor, reason=f"because:{why}", why=why))

    def reopen(self, reg: str, actor: str = CLI_ACTOR) -> Draft:
        """An ended draft goes on at the stage where it ended."""
        return self._apply(reg, Reopened(actor=actor, reason="command:"))

    def presign(
        self, reg: str, source: Path, actor: str = CLI_ACTOR, enacted_on: date | None = None
    ) -> Path:
        """For a draft to be signed electronically (TTE): stamp its text before it is signed
        (drivebot.archive.archiver.Archiver.presign), put the copy beside the draft in the
        approved folder, and remember it, so that the signed file that comes back is taken
        as the original, byte for byte. The number is reserved first if it is not yet; the
        text must carry it, and its date of enactment (or `enacted_on`) is the QR code's."""
        with self.lock.hold():
            draft = self._applicable(reg, FinalReceived)  # approved, not yet archived
            if not source.is_file():
                raise NotFound("no_file", path=source)
            if inspect(source, source.name, self.config.limits).suffix != ".pdf":
                raise Refused("presign_pdf", file=source.name)
            if draft.number is None:
                draft = self._decide(draft, NumberRequested(actor=actor, reason="command:"))
            facts = read_final(source, self.config.limits).facts
            if (facts.number, facts.year) != (draft.number, draft.number_year):
                raise Refused(
                    "presign_number", reg=draft.reg, number=draft.number, year=draft.number_year
                )
            when = enacted_on or facts.enacted_on
            if when is None:
                raise Refused("presign_date", reg=draft.reg)
            dest = self.config.workspace / "presign" / f"{draft.reg} {PRESIGNED_NAME}.pdf"
            dest.parent.mkdir(exist_ok=True)
            self.archiver().presign(draft, source, when.isoformat(), dest)
            uploaded = self.drive.upload(dest, dest.name, Folder.APPROVED)
            with self.store.transaction():
                self.store.set_presigned(
                    draft.reg, sha256_of(source), sha256_of(dest), dest.stat().st_size
                )
                self.store.set_enacted_on(draft.reg, when.isoformat())
                self.store.track_file(
                    uploaded.id, draft.reg, FileRole.PRESIGNED, Folder.APPROVED.value,
                    uploaded.name, uploaded.link,
                )  # fmt: skip
                self.store.audit(
                    draft.reg, actor, "presigned", draft.stage, draft.stage, "command:"
                )
            return dest

    def assign(self, reg: str, email: str, actor: str = CLI_ACTOR) -> Draft:
        """Give the draft to one reviewer: the reviewers' e-mails about it, its reminders and
        the daily summary go to them alone. Not a step of the flow (the stage stays), so not
        an event of drivebot.workflow; recorded in the draft's history."""
        email = email.strip().lower()
        if email not in {person.email for person in self.config.reviewers}:
            raise Refused("not_a_reviewer", email=email)
        with self.lock.hold(), self.store.transaction():
            draft = self.draft(reg)
            self.store.set_assignee(draft.reg, email)
            self.store.audit(draft.reg, actor, "assigned", draft.stage, None, f"assigned:{email}")
        return self.draft(reg)

    def reserve_number(self, reg: str, actor: str = CLI_ACTOR) -> Draft:
        """Reserve the product number now, to type into the document before it is signed
        (kept if one was reserved already); the admins are told which."""
        return self._apply(reg, NumberRequested(actor=actor, reason="command:"))

    def retry(self) -> int:
        """Put back what was given up, and inputs that failed (after an admin fixed the cause);
        returns how many. The ports are asked to list their inputs again, so a failed input is
        seen once more even where a poll only reports changes."""
        with self.lock.hold(), self.store.transaction():
            count = self.store.retry_given_up()
            self.store.put("drive_cursor", None)  # a cold start lists the watched folders
            self.store.put("mail_cursor", self.mailbox.resync(self.store.get("mail_cursor")))
            return count

    def _applicable(self, reg: str, event_type: type[Event]) -> Draft:
        draft = self.draft(reg)
        why = refusal(draft.state, event_type)
        if why is not None:
            raise Rejected(why, draft.stage, event_type.kind)
        return draft

    def _apply(self, reg: str, event: Event) -> Draft:
        with self.lock.hold():
            return self._decide(self.draft(reg), event)

    def _decide(self, draft: Draft, event: Event) -> Draft:
        decision = decide(draft.state, event)
        with self.store.transaction():
            self.actions.commit(draft, event, decision)
        self.effects.flush()
        return self.draft(draft.reg)
