"""Mail intake: an e-mailed draft is put where a dropped one would be, and the Drive intake does
the rest.

Each message is looked up in the processed ledger (by the mailbox's id) before anything is
fetched. Mail from an address no OPD lists, or that the mail system does not vouch for, is
quarantined and never answered (no backscatter). Automatic replies are never answered; ordinary
mail from an OPD with no attachment (a question, an invitation) is left for people. Each
attachment is recorded once it is uploaded, so a retry never uploads it twice, and the message
is labelled only after all of them are safe.
"""

from __future__ import annotations

import logging
import re
from email.message import Message
from email.utils import parseaddr
from pathlib import Path, PurePath
from tempfile import TemporaryDirectory

from drivebot.app.inputs import Inputs
from drivebot.app.notices import Notices
from drivebot.checks.sniff import Kind, sniff
from drivebot.config import Config, Opd
from drivebot.drive import DrivePort
from drivebot.errors import BadDocument, NotFound
from drivebot.flows import Audience, Folder
from drivebot.gmail import MailboxPort, MailRef
from drivebot.mailparse import Attachment, attachments
from drivebot.naming import RegistrationNumbers, shown
from drivebot.notify.emails import Report
from drivebot.state.outbox import MarkMailProcessed, QuarantineMail
from drivebot.state.rows import InputStatus
from drivebot.state.store import Store

log = logging.getLogger(__name__)

# A subject that speaks of a draft: mail with no attachment is answered only then.
_ABOUT_A_DRAFT = re.compile(
    r"\b(ran\s*(perbup|perda|kepbup)|rancangan|draf|draft|perbaikan|revisi|final|"
    r"peraturan|keputusan)\b",
    re.I,
)


def _may_be_a_document(part: Attachment) -> bool:
    """A draft, a final, or a file that claims to be one: taken in, and judged by content. Other
    attachments beside them (a signature image, a calendar invitation) are not drafts."""
    named_as = PurePath(part.filename.strip()).suffix.lower()
    return named_as in (".docx", ".pdf", ".doc", ".docm", "") or sniff(part.path) in (
        Kind.PDF,
        Kind.ZIP,
        Kind.OLE,
    )


def _automatic(headers: Message) -> bool:
    """An out-of-office reply, a list or bulk mail: answering it could start a loop."""
    auto = str(headers.get("Auto-Submitted", "no")).strip().lower()
    precedence = str(headers.get("Precedence", "")).strip().lower()
    return auto not in ("", "no") or precedence in ("bulk", "junk", "list", "auto_reply")


class MailIntake:
    def __init__(
        self,
        config: Config,
        store: Store,
        drive: DrivePort,
        mailbox: MailboxPort,
        notices: Notices,
        inputs: Inputs,
        regs: RegistrationNumbers,
    ):
        self.config = config
        self.store = store
        self.drive = drive
        self.mailbox = mailbox
        self.notices = notices
        self.inputs = inputs
        self.regs = regs

    def handle(self, ref: MailRef) -> None:
        key = f"mail:{ref.id}"
        if self.store.processed(key):
            return
        headers = self.mailbox.headers(ref)
        sender = parseaddr(str(headers.get("From", "")))[1].lower()
        opd = self.config.opd_for_address(sender)
        if opd is None or not self.mailbox.sender_authenticated(headers):
            reason = "unknown_address" if opd is None else "not_authenticated"
            return self._quarantine(ref, key, headers, sender, reason)
        subject = str(headers.get("Subject", ""))
        if _automatic(headers):
            return self._leave(key, "automatic reply (RFC 3834): never answered")
        # base64 makes an attachment a third larger in the message
        if ref.size > self.config.max_attachment_bytes * 4 // 3 + 256 * 1024:
            return self._refuse(ref, key, opd, BadDocument("too_large", subject), subject)
        with TemporaryDirectory(prefix="drivebot-mail-") as tmp:
            self.mailbox.fetch(ref, Path(tmp) / "message")
            try:
                # Every part with a file name, however deeply nested (Apple Mail nests them).
                named = attachments(Path(tmp) / "message", Path(tmp), self.config.limits)
            except BadDocument as bad:
                return self._refuse(ref, key, opd, bad, subject)
            self._take_in(ref, key, opd, subject, named)

    def _take_in(
        self, ref: MailRef, key: str, opd: Opd, subject: str, named: list[Attachment]
    ) -> None:
        reg = self.regs.find(subject)
        documents = [part for part in named if _may_be_a_document(part)]
        if not named and not (reg or _ABOUT_A_DRAFT.search(subject)):
            # Ordinary mail from an OPD (a question, an invitation) is for people to answer.
            return self._leave(key, "no attachment and not about a draft: left for people")
        if not documents:
            # A signature image alone, or nothing: say what is missing.
            bad = (
                BadDocument("unsupported_type", named[0].filename)
                if named
                else BadDocument("no_attachment", subject)
            )
            return self._refuse(ref, key, opd, bad, subject, named[0].filename if named else "")
        if reg is not None:
            documents = documents[:1]  # a revision is one file
        for index, part in enumerate(documents):
            self._drop_in_inbox(ref, index, opd, reg, part)
        with self.store.transaction():
            names = ", ".join(shown(part.filename) for part in documents)
            self.store.mark_processed(key, InputStatus.DONE, reg, names)
            self.store.enqueue(None, MarkMailProcessed(ref.id))

    def _drop_in_inbox(
        self, ref: MailRef, index: int, opd: Opd, reg: str | None, part: Attachment
    ) -> None:
        """Put an e-mailed file where a dropped one would be; the Drive intake does the rest
        (and judges it by its content, whatever its name says).

        Each attachment is recorded once it is uploaded, so a retry (after a crash or a failure
        of a later attachment) never uploads it, nor registers its draft, a second time. Its
        Drive id is reserved and recorded first: an upload whose answer was lost made the file
        under that id, and the retry finds it there even when the Drive intake has already
        taken it in and moved it on."""
        key = f"mail:{ref.id}:{index}"
        if self.store.processed(key):
            return
        name = self.regs.attachment_name(ref.id, index, reg, part.filename)
        reserved = self.store.get(f"{key}:id")
        if reserved is None:
            [reserved] = self.drive.reserve_ids(1)
            with self.store.transaction():
                self.store.put(f"{key}:id", reserved)
        if not self._exists(reserved) and self.drive.find(Folder.INBOX, name, opd.folder) is None:
            self.drive.upload(part.path, name, Folder.INBOX, opd.folder, file_id=reserved)
        with self.store.transaction():
            self.store.mark_processed(key, InputStatus.DONE, reg, name)
            self.store.put(f"{key}:id", None)

    def _exists(self, file_id: str) -> bool:
        try:
            self.drive.get(file_id)
        except NotFound:
            return False
        return True

    def _quarantine(
        self, ref: MailRef, key: str, headers: Message, sender: str, reason: str
    ) -> None:
        """Mail from an address no OPD lists: kept, never answered (no backscatter)."""
        log.warning("quarantining e-mail %s from %s: %s", ref.id, sender, reason)
        with self.store.transaction():
            self.store.mark_processed(key, InputStatus.QUARANTINED, None, f"{reason}: {sender}")
            self.store.enqueue(None, QuarantineMail(ref.id))
            self.notices.queue(
                Report.UNKNOWN_SENDER,
                Audience.ADMINS,
                None,
                sender=sender,
                subject=str(headers.get("Subject", "")),
                received=str(headers.get("Date", "")),
                reason=reason,
            )

    def _leave(self, key: str, why: str) -> None:
        """Recorded, so it is not looked at again, but neither answered nor labelled."""
        with self.store.transaction():
            self.store.mark_processed(key, InputStatus.IGNORED, None, why)

    def _refuse(
        self, ref: MailRef, key: str, opd: Opd, bad: BadDocument, subject: str, file: str = ""
    ) -> None:
        """The e-mail is refused: for its attachment `file` when one is named, else whole."""
        with self.store.transaction():
            self.store.mark_processed(key, InputStatus.QUARANTINED, None, str(bad))
            self.store.enqueue(None, QuarantineMail(ref.id))
            if file:
                self.inputs.tell_about_bad_input(file, opd, None, bad)
            else:
                self.inputs.tell_about_bad_input("", opd, None, bad, mail_subject=subject)
