"""Taking in a draft's signed final: read what it says of itself, settle its record, archive.

The final's text gives its number and dates (drivebot.archive.reading, drivebot.legal_text);
drivebot.record reconciles them with the register. When they agree the final is taken in
(FinalReceived carries the record) and archived under the document's own number and dates.
When they do not, or the document cannot be read, the final is held: its bytes are kept, the
draft stays where it is, and the admins are told once what was read, what was expected and
how to settle it (`drivebot finalize REG --number N --date YYYY-MM-DD`, which `confirm`
carries out, or a corrected final sent again).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date
from pathlib import Path

from drivebot import i18n
from drivebot.app.actions import Actions
from drivebot.app.inputs import Inputs, downloaded
from drivebot.app.notices import Notices
from drivebot.archive.reading import read_final
from drivebot.archive.tte import signature_intact
from drivebot.config import Config
from drivebot.documents import check_size, inspect
from drivebot.drive import GOOGLE_DOC_MIME, DriveFile, DrivePort
from drivebot.errors import BadDocument, NotFound, TransientError
from drivebot.events import FinalReceived, Rejected, SignedFinal
from drivebot.files import sha256_of, stored_path
from drivebot.flows import Audience, Folder
from drivebot.legal_text import DocumentFacts
from drivebot.notify.emails import Report
from drivebot.record import Confirmed, Held, Problem, reconcile
from drivebot.state.rows import Draft, FileRole, InputStatus, VersionKind
from drivebot.state.store import Store
from drivebot.workflow import decide, refusal

log = logging.getLogger(__name__)


class Finals:
    def __init__(
        self,
        config: Config,
        store: Store,
        drive: DrivePort,
        notices: Notices,
        actions: Actions,
        inputs: Inputs,
    ):
        self.config = config
        self.store = store
        self.drive = drive
        self.notices = notices
        self.actions = actions
        self.inputs = inputs

    def take(
        self,
        file: DriveFile,
        draft: Draft,
        actor: str,
        confirmed: Confirmed | None = None,
    ) -> None:
        """A draft's signed final from Drive: checked, read, and archived or held."""
        exported = file.mime_type == GOOGLE_DOC_MIME  # Drive hands it over as a PDF
        try:
            check_size(file.name, file.size, self.config.max_attachment_bytes)
        except BadDocument as bad:
            return self.inputs.quarantine(file, None, draft, bad, f"drive:{file.id}:unread")
        with downloaded(self.drive, file) as (path, sha):
            key = f"drive:{file.id}:{sha}"
            seen = self.store.processed(key)
            if confirmed is None and seen and seen.status in (InputStatus.DONE, InputStatus.HELD):
                return  # taken in, or held and reported: nothing new to read
            try:
                suffix = inspect(path, file.name, self.config.limits).suffix
            except BadDocument as bad:
                return self.inputs.quarantine(file, None, draft, bad, key)
            why = refusal(draft.state, FinalReceived)
            if why is not None:
                opd = self.config.opd_by_name(draft.opd)
                return self.inputs.refuse(
                    file, opd, draft, Rejected(why, draft.stage, FinalReceived.kind), key
                )
            final = SignedFinal(file.id, stored_path(sha, suffix), sha, exported)
            self.inputs.keep(path, sha, suffix)
            self._settle(draft, final, file, key, actor, confirmed)

    def confirm(self, reg: str, confirmed: Confirmed) -> None:
        """An admin settles a held final's number and dates (`drivebot finalize REG ...`)."""
        held = self.store.held_final(reg)
        draft = self.store.draft(reg)
        if held is None or draft is None:
            raise NotFound("no_held_final", reg=reg)
        final = SignedFinal(held.file_id, held.stored_path, held.sha256, held.exported)
        file = self._held_file(held.file_id, held.file_name)
        self._settle(draft, final, file, f"drive:{file.id}:{held.sha256}", confirmed.by, confirmed)

    def _settle(
        self,
        draft: Draft,
        final: SignedFinal,
        file: DriveFile,
        key: str,
        actor: str,
        confirmed: Confirmed | None,
    ) -> None:
        source = self.config.workspace / final.stored
        reading = read_final(source, self.config.limits)
        facts = reading.facts
        if draft.tte_sha256 is not None:  # to be signed electronically over drivebot's stamp
            unsigned = _signed_over_stamp(draft, source)
            if unsigned:
                return self._hold(draft, final, file, key, facts, reading.how, unsigned)
            if facts.enacted_on is None and draft.enacted_on:  # the date given to presign
                facts = replace(facts, enacted_on=date.fromisoformat(draft.enacted_on))
        reserved = None
        if draft.number is not None and draft.number_year is not None:
            reserved = (draft.number, draft.number_year)
        year = facts.year or (reserved[1] if reserved else self.notices.clock().year)
        taken = self.store.numbers_taken(draft.product_type, year, draft.reg)
        outcome = reconcile(draft.product_type, reserved, facts, taken, confirmed, draft.noreg)
        if isinstance(outcome, Held):
            return self._hold(draft, final, file, key, facts, reading.how, outcome.problems)
        event = FinalReceived(actor=actor, reason=f"file:{file.name}", final=final, record=outcome)
        decision = decide(draft.state, event)
        size = (self.config.workspace / final.stored).stat().st_size
        with self.store.transaction():
            self.store.add_version(
                draft.reg,
                len(self.store.versions(draft.reg)) + 1,
                VersionKind.FINAL,
                file.name,
                final.sha256,
                size,
                final.stored,
            )
            self.store.mark_processed(key, InputStatus.DONE, draft.reg)
            self.store.track_file(
                file.id, draft.reg, FileRole.FINAL, file.folder.value, file.name, file.link
            )
            self.actions.commit(draft, event, decision)

    def _held_file(self, file_id: str, name: str) -> DriveFile:
        """The held final's file on Drive, or as drivebot last saw it: its bytes are kept in
        the workspace, so a file since moved away or a Drive out of reach does not matter."""
        try:
            return self.drive.get(file_id)
        except (NotFound, TransientError):
            tracked = self.store.file(file_id)
            folder = Folder(tracked.folder) if tracked else Folder.FINAL
            link = tracked.link if tracked else None
            return DriveFile(file_id, name, folder, "application/pdf", link=link)

    def _hold(
        self,
        draft: Draft,
        final: SignedFinal,
        file: DriveFile,
        key: str,
        facts: DocumentFacts,
        how: str,
        problems: tuple[Problem, ...],
    ) -> None:
        language = self.config.language
        said = [i18n.held_because(language, problem.key, problem.values) for problem in problems]
        log.info("final of %s held: %s", draft.reg, "; ".join(said))
        with self.store.transaction():
            self.store.hold_final(
                draft.reg,
                final.file_id,
                file.name,
                final.stored,
                final.sha256,
                final.exported,
                [(p.key, p.values) for p in problems],
            )
            self.store.mark_processed(key, InputStatus.HELD, draft.reg, "; ".join(said))
            self.store.track_file(
                file.id, draft.reg, FileRole.FINAL, file.folder.value, file.name, file.link
            )
            self.store.audit(
                draft.reg, "drivebot", "final_held", draft.stage, draft.stage,
                "held:" + ",".join(p.key for p in problems),
            )  # fmt: skip
            self.notices.queue(
                Report.FINAL_HELD,
                Audience.ADMINS,
                draft,
                dedupe_key=f"held:{draft.reg}:{final.sha256}",
                file_name=file.name,
                problems=said,
                read=facts,
                how=how,
                suggested=_suggested(draft, facts, problems),
            )


def _signed_over_stamp(draft: Draft, path: Path) -> tuple[Problem, ...]:
    """Why a final is not the copy drivebot stamped for signing, signed and untouched since:
    it must begin with that copy byte for byte, and its signature must be whole."""
    size = path.stat().st_size
    if draft.tte_size is None or size <= draft.tte_size:
        return (Problem("not_presigned"),)
    if sha256_of(path, draft.tte_size) != draft.tte_sha256:
        return (Problem("not_presigned"),)
    if not signature_intact(path):
        return (Problem("signature_broken"),)
    return ()


def _suggested(draft: Draft, facts: DocumentFacts, problems: tuple[Problem, ...]) -> str:
    """The command that settles a held final, with what is known filled in (never a number
    another product holds: the admin must choose one)."""
    number: int | None = facts.number if facts.number is not None else draft.number
    if any(problem.key == "number_taken" for problem in problems):
        number = None
    when = facts.enacted_on.isoformat() if facts.enacted_on else "TTTT-BB-HH"
    return f"drivebot finalize {draft.reg} --number {number or 'N'} --date {when}"
