"""The mailbox port: the inbox drivebot reads and the account it sends from.

The local adapter (`drivebot.local`) uses Maildirs; the Gmail adapter talks to Gmail v1. Both
pass the same contract suite (tests/contract). Messages are always complete RFC 822 bytes, built
and parsed with the standard `email` package.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from email.message import EmailMessage, Message


@dataclass(frozen=True)
class MailRef:
    id: str  # the mailbox's own id for the message; stable while the message exists
    size: int  # bytes of the whole message, known before it is fetched


class MailboxPort(ABC):
    @abstractmethod
    def poll(self, cursor: str | None) -> tuple[list[MailRef], str | None]:
        """Inbox messages not yet marked processed or quarantined, and the next cursor."""

    @abstractmethod
    def headers(self, ref: MailRef) -> Message:
        """The message's headers only (From, Subject, Message-ID, authentication results)."""

    @abstractmethod
    def sender_authenticated(self, headers: Message) -> bool:
        """Whether the mail system vouches that the From address is the real sender."""

    @abstractmethod
    def fetch(self, ref: MailRef) -> bytes:
        """The whole message as RFC 822 bytes."""

    @abstractmethod
    def mark_processed(self, ref: MailRef) -> None:
        """Take the message out of the unprocessed inbox (a label, or a move)."""

    @abstractmethod
    def quarantine(self, ref: MailRef) -> None:
        """Keep the message aside, unanswered, for an admin to look at."""

    @abstractmethod
    def send(self, message: EmailMessage) -> None:
        """Send the message as it is (its Message-ID set by the caller)."""

    @abstractmethod
    def was_sent(self, message_id: str) -> bool:
        """Whether a message with this Message-ID is already in the sent mailbox."""
