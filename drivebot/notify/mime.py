"""A rendered e-mail as a real MIME message: text and HTML alternatives, threading headers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from drivebot.notify.emails import Rendered


@dataclass(frozen=True)
class Sender:
    name: str
    address: str
    org: str


def build_message(
    rendered: Rendered,
    sender: Sender,
    to: Sequence[str],
    message_id: str,
    thread_root: str | None = None,
    attachments: Sequence[tuple[str, str, bytes]] = (),
    sent_at: datetime | None = None,
) -> EmailMessage:
    """A complete message: text and HTML alternatives, attachments, and threading headers.

    Every e-mail about one draft names the draft's first message as `thread_root`, so mail
    clients show them as one conversation."""
    if not to:
        raise ValueError("an e-mail needs at least one recipient")
    message = EmailMessage()
    message["From"] = Address(display_name=sender.name, addr_spec=sender.address)
    message["To"] = ", ".join(to)
    _set_subject(message, rendered.subject)
    message["Date"] = format_datetime(sent_at or datetime.now(UTC))
    message["Message-ID"] = _angle(message_id)
    _thread(message, message_id, thread_root)
    # Tell other robots (vacation replies, Exchange out-of-office) not to answer a robot.
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    for filename, mime_type, data in attachments:
        maintype, _, subtype = mime_type.partition("/")
        message.add_attachment(
            data, maintype=maintype, subtype=subtype or "octet-stream", filename=filename
        )
    return message


def _set_subject(message: EmailMessage, subject: str) -> None:
    """CPython's header folder (policy.default) writes adjacent RFC 2047 encoded words with
    the space between them outside the words, where decoders must drop it: a quarter of long
    non-ASCII subjects lost a space ("“Pajak Daerah”" read "“PajakDaerah”"). A non-ASCII
    subject is encoded here instead (email.header keeps spaces inside the words, lines within
    78 characters) and stored as it is; an ASCII one folds correctly on its own."""
    if subject.isascii():
        message["Subject"] = subject
        return
    encoded = Header(subject, "utf-8", header_name="Subject").encode(linesep="\n", maxlinelen=78)
    message.set_raw("Subject", encoded)


def _thread(message: EmailMessage, message_id: str, thread_root: str | None) -> None:
    if thread_root and _angle(thread_root) != _angle(message_id):
        message["In-Reply-To"] = _angle(thread_root)
        message["References"] = _angle(thread_root)


def _angle(message_id: str) -> str:
    message_id = message_id.strip()
    return message_id if message_id.startswith("<") else f"<{message_id}>"
