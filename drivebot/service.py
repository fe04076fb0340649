"""One poll cycle: inputs from the ports -> workflow decisions -> state, outbox -> effects.

The imperative shell around `workflow.decide`. Each input (a Drive file, an e-mail) is handled on
its own: a bad one is quarantined and reported, a transient failure leaves it for the next cycle,
and neither stops the others. Before any expensive work an input is looked up in the processed
ledger (Drive file id + SHA-256, Gmail message id); a state change, its ledger entry and the
effects it causes are written in one transaction, and carried out by the outbox afterwards.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.utils import parseaddr
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from drivebot.archive import Archiver
from drivebot.config import Config, Opd
from drivebot.documents import check_file, inspect
from drivebot.drive import GOOGLE_DOC_MIME, Comment, DriveFile, DrivePort
from drivebot.errors import BadDocument, NotFound, TransientError
from drivebot.gmail import MailboxPort, MailRef
from drivebot.outbox import Outbox
from drivebot.store import Draft, Store
from drivebot.workflow import (
    STAGES,
    AssignNumber,
    Audience,
    Decision,
    Event,
    EventKind,
    Folder,
    MoveWorkingFile,
    Notify,
    Rejected,
    StampAndArchive,
    SupersedePreviousVersion,
    awaits_final,
    decide,
    is_open,
)

log = logging.getLogger(__name__)

# Where a draft's working file sits at each stage group; used to re-attach a re-saved file.
_FOLDER_OF_STAGE = {"pemeriksaan": Folder.REVIEW, "perbaikan": Folder.REVISION}
_EVENT_OF_FOLDER = {Folder.REVISION: EventKind.REVISION_REQUESTED,
                    Folder.APPROVED: EventKind.APPROVED}
REVIEWER = "pemeriksa (Drive)"


# A subject that speaks of a draft: mail with no attachment is answered only then.
_ABOUT_A_DRAFT = re.compile(
    r"\b(ran\s*(perbup|perda|kepbup)|rancangan|draf|draft|perbaikan|revisi|final|"
    r"peraturan|keputusan)\b", re.I)


def _automatic(headers: Any) -> bool:
    """An out-of-office reply, a list or bulk mail: answering it could start a loop."""
    auto = str(headers.get("Auto-Submitted", "no")).strip().lower()
    precedence = str(headers.get("Precedence", "")).strip().lower()
    return auto not in ("", "no") or precedence in ("bulk", "junk", "list", "auto_reply")


@dataclass
class CycleReport:
    files: int = 0
    messages: int = 0
    transient: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    outbox_failures: int = 0


def sha256_of(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


class Service:
    def __init__(self, config: Config, store: Store, drive: DrivePort, mailbox: MailboxPort,
                 clock: Callable[[], datetime] = datetime.now):
        self.config = config
        self.store = store
        self.drive = drive
        self.mailbox = mailbox
        self.clock = clock
        self.outbox = Outbox(config, store, drive, mailbox, clock)
        self.archiver = Archiver(config, store, drive)
        self.outbox.handlers["stamp_archive"] = self.archiver.stamp_and_archive
        self.id_pattern = rf"\b{re.escape(config.registration_prefix)}-(\d{{4}})-(\d{{4,}})\b"
        self._reg_pattern = re.compile(self.id_pattern, re.I)
        self._lock_depth = 0
        self._lock_file: Any = None

    # --- the cycle ---------------------------------------------------------------------------

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the workspace for this process: the daemon's cycle and a command given
        meanwhile must not both carry out the same outbox rows. Re-entrant."""
        if self._lock_depth == 0:
            self._lock_file = (self.config.workspace / ".drivebot.lock").open("a")
            fcntl.flock(self._lock_file, fcntl.LOCK_EX)
        self._lock_depth += 1
        try:
            yield
        finally:
            self._lock_depth -= 1
            if self._lock_depth == 0:
                fcntl.flock(self._lock_file, fcntl.LOCK_UN)
                self._lock_file.close()

    def cycle(self) -> CycleReport:
        with self.exclusive():
            return self._cycle()

    def _cycle(self) -> CycleReport:
        report = CycleReport()
        self.outbox.flush()  # finish what an interrupted cycle left
        # Mail first: an e-mailed draft is put in the Drive inbox, and taken in just after.
        report.messages = self._poll("mail", self.mailbox.poll, self._on_mail,
                                     lambda ref: f"e-mail {ref.id}", report)
        report.files = self._poll("drive", self.drive.poll, self._on_file,
                                  lambda file: f"Drive file {file.name}", report)
        self.queue_digest_if_due()
        report.outbox_failures = self.outbox.flush()
        return report

    def _poll(self, what: str, poll: Callable[[str | None], tuple[list[Any], str | None]],
              handle: Callable[[Any], None], label: Callable[[Any], str],
              report: CycleReport) -> int:
        """Handle every new input of one port; returns how many there were.

        The port's cursor is kept only after a pass without transient failures, so that
        inputs which could not be handled are read again next cycle."""
        before = len(report.transient)
        try:
            items, cursor = poll(self.store.get(f"{what}_cursor"))
        except TransientError as exc:
            log.warning("%s poll: %s; trying again next cycle", what, exc)
            report.transient.append(f"{what}: {exc}")
            return 0
        for item in items:
            self._isolated(label(item), lambda i=item: handle(i), report)
        if len(report.transient) == before:
            with self.store.transaction():
                self.store.put(f"{what}_cursor", cursor)
        return len(items)

    def _isolated(self, label: str, handle: Callable[[], None], report: CycleReport) -> None:
        """Run one input's handling so that its failure touches nothing else."""
        try:
            handle()
        except TransientError as exc:
            log.warning("%s: %s; trying again next cycle", label, exc)
            report.transient.append(f"{label}: {exc}")
        except Exception as exc:
            log.exception("%s failed", label)
            report.failed.append(f"{label}: {exc}")
            with self.store.transaction():
                self.outbox.email("error_report", Audience.ADMINS, None,
                                  dedupe_key=f"error:{label}:{type(exc).__name__}:{exc}"[:300],
                                  summary=label, detail=f"{type(exc).__name__}: {exc}")

    # --- Drive files -------------------------------------------------------------------------

    def find_reg(self, text: str) -> str | None:
        match = self._reg_pattern.search(text)
        if not match:
            return None
        return f"{self.config.registration_prefix}-{match.group(1)}-{match.group(2)}"

    def _on_file(self, file: DriveFile) -> None:
        known = self.store.file(file.id)
        if known is not None and known.folder == file.folder.value:
            return
        if known is not None and file.folder is not Folder.INBOX:
            if known.reg is not None and known.role in ("working", "review"):
                return self._on_move(self.store.draft(known.reg), file)
            if file.folder is not Folder.FINAL:
                with self.store.transaction():  # a person moved a file drivebot is done with
                    self.store.set_file_place(file.id, file.folder.value)
                return
        # drivebot never puts a file in the inbox: whatever appears there is new input, even
        # under a known id (a quarantined file put back, or a local inode number reused).
        if file.folder is Folder.INBOX:
            return self._on_inbox_file(file)
        if file.folder is Folder.FINAL:
            return self._on_final_file(file)
        reg = self.find_reg(file.name)
        draft = self.store.draft(reg) if reg else None
        if draft is not None and draft.stage in _FOLDER_OF_STAGE and not self._has_working(draft):
            return self._reattach(draft, file)
        log.info("ignoring %s in %s: not a registered draft's file", file.name, file.folder.value)
        with self.store.transaction():  # once: the file is known from now on
            self.store.track_file(file.id, None, "ignored", file.folder.value, file.name)
            self.outbox.email("bad_input_report", Audience.ADMINS, None, file_name=file.name,
                              opd_name="-", reason="unknown_draft", detail=(
                                  f"found in {self.config.folders[file.folder]} but not "
                                  f"registered: to register it, move it into its OPD's folder "
                                  f"in {self.config.folders[Folder.INBOX]}"))

    def _has_working(self, draft: Draft) -> bool:
        """Whether the draft's working file still exists (a copy beside it is not the draft)."""
        for tracked in self.store.files_of(draft.reg, "working", "review"):
            try:
                self.drive.get(tracked.file_id)
                return True
            except NotFound:
                continue
        return False

    def _reattach(self, draft: Draft, file: DriveFile) -> None:
        """A draft's file came back with a new id (an editor saved it anew): adopt it."""
        with self.store.transaction():
            for old in self.store.files_of(draft.reg, "working", "review"):
                self.store.set_file_place(old.file_id, old.folder, role="replaced")
            expected = _FOLDER_OF_STAGE[draft.stage]
            self.store.track_file(file.id, draft.reg, "working", expected.value, file.name,
                                  file.link)
        if file.folder is not expected:
            self._on_move(draft, file)

    def _on_move(self, draft: Draft, file: DriveFile) -> None:
        if file.folder is Folder.FINAL:
            return self._on_final_file(file, draft)
        kind = _EVENT_OF_FOLDER.get(file.folder)
        twins = [f for f in self.store.files_of(draft.reg, "working", "review")
                 if f.file_id != file.id and f.folder == file.folder.value]
        if kind is None or twins:
            # Not a decision, or the draft's other file (the .docx beside its Google Doc)
            # dragged along into the same folder: nothing to decide again.
            with self.store.transaction():
                self.store.set_file_place(file.id, file.folder.value)
            return
        event = Event(kind, actor=REVIEWER,
                      reason=f"moved to {self.config.folders[file.folder]}")
        try:
            decision = decide(draft.state, event)
        except Rejected as rejected:
            with self.store.transaction():  # recorded, and the reviewers told it did nothing
                self.store.set_file_place(file.id, file.folder.value)
                self.store.audit(draft.reg, REVIEWER, kind.value, draft.stage, draft.stage,
                                 f"refused: {rejected.reason_key}")
                self.outbox.email("rejected_event", Audience.REVIEWERS, draft,
                                  reason_key=rejected.reason_key)
            return
        comments = self._comments(draft) if kind is EventKind.REVISION_REQUESTED else []
        with self.store.transaction():
            self.store.set_file_place(file.id, file.folder.value)
            self._commit(draft, event, decision, comments=comments)

    def _comments(self, draft: Draft) -> list[Comment]:
        """The notes on every file of the current version: reviewers may comment on the Google
        Doc or on the .docx itself."""
        notes: list[Comment] = []
        for tracked in self.store.files_of(draft.reg, "review", "working"):
            notes += [note for note in self.drive.comments(tracked.file_id) if note not in notes]
        return notes

    @contextmanager
    def _downloaded(self, file: DriveFile) -> Iterator[tuple[Path, str]]:
        with TemporaryDirectory(prefix="drivebot-") as tmp:
            path = Path(tmp) / "input"
            self.drive.download(file.id, path)
            yield path, sha256_of(path)

    def _on_inbox_file(self, file: DriveFile) -> None:
        opd = self.config.opd_by_folder(file.opd_folder or "")
        reg = self.find_reg(file.name)
        draft = self.store.draft(reg) if reg else None
        if draft is not None and awaits_final(draft.stage) and opd is not None \
                and opd.name == draft.opd and file.name.lower().endswith(".pdf"):
            return self._on_final_file(file, draft)  # the OPD sends its approved draft's final
        try:
            check_file(file.name, file.size, self.config.max_attachment_bytes)
        except BadDocument as bad:
            return self._quarantine(file, opd, None, bad, f"drive:{file.id}:unread")
        with self._downloaded(file) as (path, sha):
            key = f"drive:{file.id}:{sha}"
            if self._done(key):
                return  # handled before; its effects are queued
            try:
                info = inspect(path, file.name, self.config.max_attachment_bytes)
            except BadDocument as bad:
                return self._quarantine(file, opd, None, bad, key)
            if opd is None:
                return self._quarantine(file, None, None, BadDocument(
                    "unknown_opd_folder", f"{file.opd_folder!r} is not an OPD folder in the "
                                          "configuration"), key)
            reg = self.find_reg(file.name)
            if reg is not None:
                return self._on_revision_file(file, opd, reg, path, sha, key)
            twin = self.store.draft_with_version(sha, opd.name)
            if twin is not None:  # the same file again (dropped and e-mailed, or twice)
                return self._refuse(file, opd, twin, Rejected(
                    "already_registered", twin.stage, EventKind.SUBMITTED), key)
            stored = self._keep(path, sha, info.suffix)
            with self.store.transaction():
                reg = self._next_reg()
                self.store.add_draft(reg, opd.name, info.title,
                                     info.product_type or self.config.default_product_type)
                self.store.track_file(file.id, reg, "working", file.folder.value, file.name,
                                      file.link)
                draft = self.store.draft(reg)
                event = Event(EventKind.SUBMITTED, actor=f"OPD {opd.name}",
                              reason=f"file {file.name}")
                decision = decide(draft.state, event)
                self.store.add_version(reg, decision.state.version, "draft", file.name, sha,
                                       path.stat().st_size, stored)
                self.store.mark_processed(key, "done", reg)
                self._commit(draft, event, decision, new_file=file)

    def _on_revision_file(self, file: DriveFile, opd: Opd, reg: str, path: Path, sha: str,
                          key: str) -> None:
        draft = self.store.draft(reg)
        if draft is None or draft.opd != opd.name:
            return self._quarantine(file, opd, None, BadDocument(
                "unknown_draft", f"{reg} is not a draft of {opd.name}"), key)
        event = Event(EventKind.REVISION_RECEIVED, actor=f"OPD {opd.name}",
                      reason=f"file {file.name}")
        try:
            decision = decide(draft.state, event)
        except Rejected as rejected:
            return self._refuse(file, opd, draft, rejected, key)
        stored = self._keep(path, sha, Path(file.name).suffix.lower())
        with self.store.transaction():
            self.store.add_version(reg, decision.state.version, "draft", file.name, sha,
                                   path.stat().st_size, stored)
            self.store.mark_processed(key, "done", reg)
            self.store.track_file(file.id, reg, "working", file.folder.value, file.name,
                                  file.link)
            self._commit(draft, event, decision, new_file=file)

    def _on_final_file(self, file: DriveFile, draft: Draft | None = None) -> None:
        reg = draft.reg if draft else self.find_reg(file.name)
        draft = draft or (self.store.draft(reg) if reg else None)
        if draft is None:
            return self._quarantine(file, None, None, BadDocument(
                "unknown_draft", "a final needs the registration number in its file name"),
                f"drive:{file.id}:unread")
        opd = self.config.opd_by_name(draft.opd)
        exported = file.mime_type == GOOGLE_DOC_MIME  # Drive hands it over as a PDF
        try:
            suffix = check_file(f"{file.name}.pdf" if exported else file.name, file.size,
                                self.config.max_attachment_bytes)
        except BadDocument as bad:
            return self._quarantine(file, None, draft, bad, f"drive:{file.id}:unread")
        with self._downloaded(file) as (path, sha):
            key = f"drive:{file.id}:{sha}"
            if self._done(key):
                return
            try:
                inspect(path, f"final{suffix}", self.config.max_attachment_bytes)
            except BadDocument as bad:
                return self._quarantine(file, None, draft, bad, key)
            event = Event(EventKind.FINAL_RECEIVED, actor="admin (Drive)",
                          reason=f"file {file.name}")
            try:
                decision = decide(draft.state, event)
            except Rejected as rejected:
                return self._refuse(file, opd, draft, rejected, key)
            stored = self._keep(path, sha, suffix)
            with self.store.transaction():
                self.store.add_version(reg, len(self.store.versions(reg)) + 1, "final",
                                       file.name, sha, path.stat().st_size, stored)
                self.store.mark_processed(key, "done", reg)
                self.store.track_file(file.id, reg, "final", file.folder.value, file.name,
                                      file.link)
                self._commit(draft, event, decision, final=(file.id, stored, sha, exported))

    def _done(self, key: str) -> bool:
        """Taken in before. A quarantined input that a person put back is looked at again."""
        row = self.store.processed(key)
        return row is not None and row["status"] == "done"

    def _keep(self, path: Path, sha: str, suffix: str) -> str:
        """Copy the input into the workspace's version store (content-addressed, so idempotent)."""
        relative = Path("versions") / sha[:2] / f"{sha}{suffix}"
        target = self.config.workspace / relative
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(".part")
            shutil.copyfile(path, partial)
            partial.replace(target)
        return str(relative)

    def _next_reg(self) -> str:
        year = self.clock().year
        number = self.store.next_value(f"reg:{year}")
        return f"{self.config.registration_prefix}-{year}-{number:04d}"

    # --- quarantine and refusals -------------------------------------------------------------

    def _quarantine(self, file: DriveFile, opd: Opd | None, draft: Draft | None,
                    bad: BadDocument, key: str) -> None:
        log.warning("quarantining %s: %s", file.name, bad)
        note = (f"{file.name}\n{self.clock().isoformat(timespec='seconds')}\n"
                f"{bad.reason}: {bad.detail}\n")
        with self.store.transaction():
            self.store.mark_processed(key, "quarantined", draft.reg if draft else None, str(bad))
            self.store.track_file(file.id, None, "quarantine", file.folder.value, file.name)
            self.outbox.effect(None, "quarantine_file", file_id=file.id, note=note)
            self._tell_about_bad_input(file.name, opd, draft, bad)

    def _tell_about_bad_input(self, name: str, opd: Opd | None, draft: Draft | None,
                              bad: BadDocument) -> None:
        if opd is not None:
            self.outbox.email("file_quarantined", Audience.OPD, draft, to=list(opd.emails),
                              file_name=name, reason=bad.reason,
                              limit_mb=self.config.max_attachment_mb)
        self.outbox.email("bad_input_report", Audience.ADMINS, draft, file_name=name,
                          opd_name=opd.name if opd else "-", reason=bad.reason,
                          detail=bad.detail)

    def _refuse(self, file: DriveFile, opd: Opd | None, draft: Draft, rejected: Rejected,
                key: str) -> None:
        """An input that does not fit the draft's stage: kept aside, the sender told why."""
        with self.store.transaction():
            self.store.mark_processed(key, "quarantined", draft.reg, rejected.reason_key)
            self.store.track_file(file.id, None, "quarantine", file.folder.value, file.name)
            self.store.audit(draft.reg, "drivebot", rejected.event.value, draft.stage,
                             draft.stage, f"refused: {rejected.reason_key} ({file.name})")
            self.outbox.effect(draft.reg, "quarantine_file", file_id=file.id,
                               note=f"{file.name}\n{rejected}\n")
            audience = Audience.OPD if opd else Audience.ADMINS
            self.outbox.email("rejected_event", audience, draft, reason_key=rejected.reason_key,
                              file_name=file.name)

    # --- committing a decision ---------------------------------------------------------------

    def _commit(self, draft: Draft, event: Event, decision: Decision, **context: Any) -> None:
        """Write the new state, its audit line and its effects (inside the caller's transaction)."""
        self.store.save_state(decision.state)
        self.store.audit(draft.reg, event.actor, event.kind.value, draft.stage,
                         decision.state.stage, event.reason)
        for action in decision.actions:
            self._queue(action, draft.reg, context)

    def _queue(self, action: Any, reg: str, context: dict[str, Any]) -> None:
        draft = self.store.draft(reg)
        if isinstance(action, MoveWorkingFile):
            new_file: DriveFile | None = context.get("new_file")
            for tracked in self.store.files_of(reg, "working", "review"):
                name = None
                if new_file is not None and tracked.file_id == new_file.id:
                    name = self._working_name(draft, new_file.name)
                self.outbox.effect(reg, "move", file_id=tracked.file_id, folder=action.to.value,
                                   name=name)
            if new_file is not None and action.to is Folder.REVIEW:
                self.outbox.effect(reg, "review_copy", file_id=new_file.id, reg=reg)
        elif isinstance(action, SupersedePreviousVersion):
            for old in self.store.files_of(reg, "working", "review"):
                if old.file_id != context["new_file"].id:
                    self.store.set_file_place(old.file_id, old.folder, role="superseded")
                    self.outbox.effect(reg, "move", file_id=old.file_id,
                                       folder=Folder.SUPERSEDED.value)
        elif isinstance(action, Notify):
            extra = {"comments": context.get("comments", [])} \
                if action.template == "revision_requested" else {}
            if action.template == "stage_done":
                extra["completed_stage"] = context["completed_stage"]
            if action.template == "archived":
                extra["verify_url"] = self.archiver.verify_url(draft)
            self.outbox.email(action.template, action.audience, draft, **extra)
        elif isinstance(action, AssignNumber):
            self._assign_number(draft)
        elif isinstance(action, StampAndArchive):
            file_id, stored, sha, exported = context["final"]
            self.outbox.effect(reg, "stamp_archive", reg=reg, file_id=file_id, stored=stored,
                               sha256=sha, exported=exported)

    def _working_name(self, draft: Draft, name: str) -> str:
        original = self._reg_pattern.sub("", name).strip(" -_") or name
        return f"{draft.reg} v{draft.version} - {original}"

    def _assign_number(self, draft: Draft) -> None:
        if draft.number is not None:
            return
        year = self.clock().year
        number = self.store.next_value(f"number:{draft.product_type.value}:{year}",
                                       start=self.config.numbering_start[draft.product_type])
        self.store.set_number(draft.reg, number, year)

    # --- e-mail ------------------------------------------------------------------------------

    def _on_mail(self, ref: MailRef) -> None:
        key = f"mail:{ref.id}"
        if self.store.processed(key):
            return
        headers = self.mailbox.headers(ref)
        sender = parseaddr(str(headers.get("From", "")))[1].lower()
        opd = self.config.opd_for_address(sender)
        if opd is None or not self.mailbox.sender_authenticated(headers):
            return self._quarantine_mail(ref, key, headers, sender,
                                         "unknown_address" if opd is None else "not_authenticated")
        subject = str(headers.get("Subject", ""))
        if _automatic(headers):
            return self._leave_mail(key, "automatic reply (RFC 3834): never answered")
        # base64 makes an attachment a third larger in the message
        if ref.size > self.config.max_attachment_bytes * 4 // 3 + 256 * 1024:
            return self._refuse_mail(ref, key, opd, BadDocument("too_large", subject), subject)
        message = message_from_bytes(self.mailbox.fetch(ref), policy=policy.default)
        # Every part with a file name, however deeply nested (Apple Mail nests them).
        named = [part for part in message.walk()
                 if not part.is_multipart() and part.get_filename()]
        reg = self.find_reg(subject)
        documents = []
        for part in named:
            try:
                payload = part.get_content()
                check_file(part.get_filename(), len(payload), self.config.max_attachment_bytes)
            except BadDocument as bad:
                if len(named) == 1:
                    return self._refuse_mail(ref, key, opd, bad, part.get_filename())
                continue  # a signature image or similar beside the draft
            documents.append((part.get_filename(), payload))
        if not documents and not named and not (reg or _ABOUT_A_DRAFT.search(subject)):
            # Ordinary mail from an OPD (a question, an invitation) is for people to answer.
            return self._leave_mail(key, "no attachment and not about a draft: left for people")
        if not documents:
            return self._refuse_mail(ref, key, opd, BadDocument("no_attachment", subject),
                                     subject)
        if reg is not None:
            documents = documents[:1]  # a revision is one file
        for index, (filename, payload) in enumerate(documents):
            self._drop_in_inbox(ref, index, opd, reg, filename, payload)
        with self.store.transaction():
            self.store.mark_processed(key, "done", reg, ", ".join(n for n, _ in documents))
            self.outbox.effect(None, "mail_processed", ref=ref.id)

    def _drop_in_inbox(self, ref: MailRef, index: int, opd: Opd, reg: str | None,
                       filename: str, payload: bytes) -> None:
        """Put an e-mailed file where a dropped one would be; the Drive intake does the rest.

        Each attachment is recorded once it is uploaded, so a retry (after a crash or a failure
        of a later attachment) never uploads it, nor registers its draft, a second time."""
        key = f"mail:{ref.id}:{index}"
        if self.store.processed(key):
            return
        name = self._inbox_name(ref, index, reg, filename)
        if self.drive.find(Folder.INBOX, name, opd.folder) is None:
            with TemporaryDirectory(prefix="drivebot-") as tmp:
                path = Path(tmp) / "attachment"
                path.write_bytes(payload)
                self.drive.upload(path, name, Folder.INBOX, opd.folder)
        with self.store.transaction():
            self.store.mark_processed(key, "done", reg, name)

    def _inbox_name(self, ref: MailRef, index: int, reg: str | None, filename: str) -> str:
        """A safe, unique name for an e-mailed attachment: its own name (cut to a length every
        file system takes, without path separators or a leading dot), marked with a short
        digest of the message id and the attachment's place in it."""
        stem = re.sub(r"[\x00-\x1f/\\:*?\"<>|]+", " ", Path(filename).stem).strip(" .")[:80]
        prefix = f"{reg} " if reg and not self.find_reg(filename) else ""
        tag = hashlib.sha256(f"{ref.id}\0{index}".encode()).hexdigest()[:8]
        return f"{prefix}{stem or 'lampiran'} (surel {tag}){Path(filename).suffix.lower()}"

    def _quarantine_mail(self, ref: MailRef, key: str, headers: Any, sender: str,
                         reason: str) -> None:
        """Mail from an address no OPD lists: kept, never answered (no backscatter)."""
        log.warning("quarantining e-mail %s from %s: %s", ref.id, sender, reason)
        with self.store.transaction():
            self.store.mark_processed(key, "quarantined", None, f"{reason}: {sender}")
            self.outbox.effect(None, "mail_quarantine", ref=ref.id)
            self.outbox.email("unknown_sender", Audience.ADMINS, None, sender=sender,
                              subject=str(headers.get("Subject", "")),
                              received=str(headers.get("Date", "")), reason=reason)

    def _leave_mail(self, key: str, why: str) -> None:
        """Recorded, so it is not looked at again, but neither answered nor labelled."""
        with self.store.transaction():
            self.store.mark_processed(key, "ignored", None, why)

    def _refuse_mail(self, ref: MailRef, key: str, opd: Opd, bad: BadDocument,
                     what: str) -> None:
        """`what` names the refused input for the OPD: the attachment, or the e-mail's subject."""
        with self.store.transaction():
            self.store.mark_processed(key, "quarantined", None, str(bad))
            self.outbox.effect(None, "mail_quarantine", ref=ref.id)
            self._tell_about_bad_input(what or "-", opd, None, bad)

    # --- commands (what moving a file does, from the command line) ---------------------------

    def draft(self, reg: str) -> Draft:
        draft = self.store.draft(reg.upper())
        if draft is None:
            raise NotFound(f"no draft with registration number {reg}")
        return draft

    def command(self, reg: str, kind: EventKind, stage: str | None = None,
                actor: str = "admin (CLI)") -> Draft:
        """Apply an event given on the command line; raises Rejected when it does not apply."""
        with self.exclusive():
            return self._command(reg, kind, stage, actor)

    def _command(self, reg: str, kind: EventKind, stage: str | None, actor: str) -> Draft:
        draft = self.draft(reg)
        if stage is not None and stage not in STAGES:
            raise NotFound(f"no stage {stage!r}; stages: {', '.join(STAGES)}")
        event = Event(kind, actor=actor, stage=stage, reason="command line")
        decision = decide(draft.state, event)
        comments = self._comments(draft) if kind is EventKind.REVISION_REQUESTED else []
        with self.store.transaction():
            self._commit(draft, event, decision, comments=comments, completed_stage=stage)
        self.outbox.flush()
        return self.draft(reg)

    def finalize(self, reg: str, source: Path) -> Draft:
        with self.exclusive():
            return self._finalize(reg, source)

    def _finalize(self, reg: str, source: Path) -> Draft:
        draft = self.draft(reg)
        if not source.is_file():
            raise NotFound(f"no file {source}")
        decide(draft.state, Event(EventKind.FINAL_RECEIVED))  # refused before anything moves
        check_file(source.name, source.stat().st_size, self.config.max_attachment_bytes)
        name = source.name if self.find_reg(source.name) else f"{draft.reg} {source.name}"
        uploaded = self.drive.upload(source, name, Folder.FINAL)
        self._on_final_file(uploaded, draft)
        self.outbox.flush()
        return self.draft(reg)

    # --- digest ------------------------------------------------------------------------------

    def queue_digest_if_due(self) -> bool:
        now = self.clock()
        today = now.date().isoformat()
        if now.strftime("%H:%M") < self.config.digest_time or \
                self.store.get("digest_last") == today:
            return False
        views = [self.outbox.view(d) for d in self.store.drafts() if is_open(d.stage)]
        with self.store.transaction():
            self.store.put("digest_last", today)
            self.outbox.email("digest", Audience.ADMINS, None, dedupe_key=f"digest:{today}",
                              drafts=views, today=now.date())
        return True
