"""The mailbox port: the inbox drivebot reads and the account it sends from.

The local adapter (`drivebot.local`) uses Maildirs; the Gmail adapter talks to Gmail v1. Both
pass the same contract suite (tests/contract). Messages are always complete RFC 822 bytes, built
and parsed with the standard `email` package.
"""

from __future__ import annotations

import base64
import io
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import getaddresses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drivebot.errors import NotFound

if TYPE_CHECKING:
    from drivebot.google_api import GoogleClient


@dataclass(frozen=True)
class MailRef:
    id: str  # the mailbox's own id for the message; stable while the message exists
    size: int  # bytes of the whole message, known before it is fetched


class MailboxPort(ABC):
    @abstractmethod
    def poll(self, cursor: str | None) -> tuple[list[MailRef], str | None]:
        """Inbox messages not yet marked processed or quarantined, and the next cursor. With
        no cursor (the first start) an adapter of a mailbox that people already use may
        return none: mail is taken in from then on."""

    def resync(self, cursor: str | None) -> str | None:
        """A cursor with which the next poll lists every unprocessed inbox message again (after
        `drivebot retry`, for mail that failed). A mailbox listed whole every poll needs none."""
        return cursor

    @abstractmethod
    def headers(self, ref: MailRef) -> Message:
        """The message's headers only (From, Subject, Message-ID, authentication results)."""

    @abstractmethod
    def sender_authenticated(self, headers: Message) -> bool:
        """Whether the mail system vouches that the From address is the real sender."""

    @abstractmethod
    def fetch(self, ref: MailRef, dest: Path) -> None:
        """Write the whole message, as RFC 822 bytes, to `dest` (read from there, not held in
        memory). Raises NotFound when the message is gone."""

    @abstractmethod
    def mark_processed(self, ref: MailRef) -> None:
        """Take the message out of the unprocessed inbox (a label, or a move)."""

    @abstractmethod
    def quarantine(self, ref: MailRef) -> None:
        """Keep the message aside, unanswered, for an admin to look at."""

    @abstractmethod
    def send(self, raw: bytes) -> None:
        """Send a complete message, these very bytes (its Message-ID set by the caller)."""

    @abstractmethod
    def was_sent(self, message_id: str) -> bool:
        """Whether a message with this Message-ID is already in the sent mailbox."""

    def clear_leftovers(self) -> int:
        """Remove what a killed run left half written; how many. Nothing on Gmail, where a
        message is sent or not."""
        return 0


# --- Gmail v1 --------------------------------------------------------------------------------

RESYNC = "resync:"  # a cursor that asks for one full sync (see resync)
PROCESSED_LABEL = "drivebot/diproses"
QUARANTINE_LABEL = "drivebot/karantina"
GOOGLE_AUTHSERV_ID = "mx.google.com"
# What the service reads before deciding to fetch a message: sender, authentication, threading,
# and the marks of automatic mail it must not answer.
HEADER_NAMES = [
    "From",
    "Reply-To",
    "To",
    "Cc",
    "Subject",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Authentication-Results",
    "Received-SPF",
    "Auto-Submitted",
    "Precedence",
]
# messages.send takes base64url JSON; Google refuses large JSON bodies (413), and base64 grows a
# message by a third, so anything over 3 MB (4 MB as JSON) goes as a media upload instead.
JSON_SEND_LIMIT = 3 * 1024 * 1024
# How many of the newest sent messages `was_sent` reads when the search finds nothing: a retry
# follows its lost send within minutes, so the message is among the newest.
RECENT_SENT = 25


def _strip_comments(value: str) -> str:
    """RFC 5322 comments (nested parentheses) removed, quoted strings kept."""
    out, depth, quoted = [], 0, False
    for char in value:
        if char == '"' and not depth:
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
            continue
        elif not quoted and char == ")" and depth:
            depth -= 1
            continue
        if not depth:
            out.append(char)
    return "".join(out)


def parse_auth_results(value: str) -> tuple[str, list[tuple[str, str, dict[str, str]]]]:
    """An Authentication-Results header (RFC 8601) as (authserv-id, [(method, result, props)])."""
    segments = _strip_comments(value).split(";")
    authserv_id = (segments[0].split() or [""])[0].lower()
    results = []
    for segment in segments[1:]:
        pairs = re.findall(r'([\w.-]+)\s*=\s*("[^"]*"|[^\s;]+)', segment)
        if pairs:
            method, result = pairs[0][0].split("/")[0].lower(), pairs[0][1].lower()
            props = {k.lower(): v.strip('"') for k, v in pairs[1:]}
            results.append((method, result, props))
    return authserv_id, results


def _domain_of(value: str) -> str:
    return value.rpartition("@")[2].strip().lower().rstrip(".")


def _aligned(domain: str, from_domain: str) -> bool:
    """Relaxed alignment without a public-suffix list: the same domain, or one a subdomain of
    the other; a bare top-level domain never aligns."""
    return "." in domain and (
        domain == from_domain
        or from_domain.endswith("." + domain)
        or domain.endswith("." + from_domain)
    )


def header_block(raw: bytes) -> Message:
    """The headers of a complete message, parsed alone: the body (attachments and all) is
    neither parsed nor copied."""
    ends = [at for at in (raw.find(b"\n\n"), raw.find(b"\n\r\n")) if at >= 0]
    return BytesHeaderParser().parsebytes(raw[: min(ends) + 1 if ends else len(raw)])


def sender_authenticated(headers: Message) -> bool:
    """Whether Gmail vouches for the From address. A pure function of the headers.

    Only the topmost Authentication-Results header is read, and only when Google wrote it
    (authserv-id mx.google.com): Gmail prepends its own on arrival, so any a sender wrote sits
    below it. When the topmost one is not Google's (Google added none), nothing is trusted,
    not even a lower header claiming to be Google's. It must report dmarc=pass for the From
    domain, or an aligned dkim=pass or spf=pass (and no dmarc=fail).
    """
    results = headers.get_all("Authentication-Results") or []
    senders = getaddresses(headers.get_all("From") or [])
    if not results or len(senders) != 1 or "@" not in senders[0][1]:
        return False
    from_domain = _domain_of(senders[0][1])
    authserv_id, methods = parse_auth_results(str(results[0]))
    if authserv_id != GOOGLE_AUTHSERV_ID or ("dmarc", "fail") in {(m, r) for m, r, _ in methods}:
        return False
    for method, result, props in methods:
        if result != "pass":
            continue
        if method == "dmarc" and props.get("header.from", "").lower() == from_domain:
            return True
        if method == "dkim" and _aligned(
            _domain_of(props.get("header.d") or props.get("header.i", "")), from_domain
        ):
            return True
        if method == "spf" and _aligned(_domain_of(props.get("smtp.mailfrom", "")), from_domain):
            return True
    return False


def _search_label(name: str) -> str:
    """A label as Gmail's search writes it ('/' and spaces become '-')."""
    return re.sub(r"[/\s]", "-", name)


class GmailMailbox(MailboxPort):
    """Gmail v1 for the account drivebot runs as ("me").

    The poll cursor is a historyId: an idle poll is one history.list. Without one, or when
    Gmail has forgotten it (404), a bounded full sync lists recent inbox mail instead. Processed
    and quarantined mail keeps its place in the inbox and gets a label (drivebot/diproses,
    drivebot/karantina): people still see it where they look, and the label keeps it out of the
    next poll. Quarantine leaves the message unread and unanswered for an admin.
    """

    def __init__(self, client: GoogleClient, full_sync_days: int = 14, full_sync_pages: int = 5):
        self.client = client
        self.service = client.service
        self.full_sync_days = full_sync_days
        self.full_sync_pages = full_sync_pages
        self._labels: dict[str, str] = {}  # label name (lower case) -> id
        self._headers: dict[str, Message] = {}  # from the last poll, so headers() costs nothing

    def _messages(self) -> Any:
        return self.service.users().messages()

    def resync(self, cursor: str | None) -> str | None:
        return None if cursor is None else f"{RESYNC}{cursor.removeprefix(RESYNC)}"

    def poll(self, cursor: str | None) -> tuple[list[MailRef], str | None]:
        if cursor is None:
            # The first start takes in mail from now on: the division's inbox already holds
            # ordinary mail, which must not be answered as if it were a submission.
            return [], self.client.call(self.service.users().getProfile(userId="me"))["historyId"]
        found = None if cursor.startswith(RESYNC) else self._history(cursor)
        if found is None:
            # The historyId first: mail arriving during the full sync is in the next poll.
            start = self.client.call(self.service.users().getProfile(userId="me"))["historyId"]
            found = self._full_sync(), start
        ids, cursor = found
        self._headers.clear()
        refs = []
        skip = (
            {self._label_id(name, create=False) for name in (PROCESSED_LABEL, QUARANTINE_LABEL)}
            if ids
            else set()
        )
        for message_id in ids:
            item = self.client.call(
                self._messages().get(
                    userId="me", id=message_id, format="metadata", metadataHeaders=HEADER_NAMES
                ),
                allow=(404,),
            )
            labels = set(item.get("labelIds", [])) if item else set()
            if "INBOX" in labels and not labels & skip:
                self._headers[message_id] = _headers_of(item)
                refs.append(MailRef(message_id, int(item.get("sizeEstimate", 0))))
        return refs, cursor

    def _history(self, cursor: str) -> tuple[list[str], str] | None:
        ids: list[str] = []
        token = None
        while True:
            try:
                # labelAdded too: mail taken out of Spam, or moved back, reaches the inbox
                # without being added anew.
                page = self.client.call(
                    self.service.users()
                    .history()
                    .list(
                        userId="me",
                        startHistoryId=cursor,
                        historyTypes=["messageAdded", "labelAdded"],
                        labelId="INBOX",
                        maxResults=500,
                        pageToken=token,
                    )
                )
            except NotFound:
                return None  # Gmail no longer keeps history that old: sync in full
            for record in page.get("history", []):
                arrived = record.get("messagesAdded", []) + [
                    change
                    for change in record.get("labelsAdded", [])
                    if "INBOX" in change.get("labelIds", [])
                ]
                for change in arrived:
                    if change["message"]["id"] not in ids:
                        ids.append(change["message"]["id"])
            token = page.get("nextPageToken")
            if not token:
                return ids, page["historyId"]

    def _full_sync(self) -> list[str]:
        query = (
            f"in:inbox -label:{_search_label(PROCESSED_LABEL)} "
            f"-label:{_search_label(QUARANTINE_LABEL)} newer_than:{self.full_sync_days}d"
        )
        ids: list[str] = []
        token = None
        for _ in range(self.full_sync_pages):
            page = self.client.call(
                self._messages().list(userId="me", q=query, maxResults=500, pageToken=token)
            )
            ids += [m["id"] for m in page.get("messages", [])]
            token = page.get("nextPageToken")
            if not token:
                break
        return ids[::-1]  # Gmail lists newest first; drivebot handles mail oldest first

    def headers(self, ref: MailRef) -> Message:
        if ref.id not in self._headers:
            self._headers[ref.id] = _headers_of(
                self._get(ref, format="metadata", metadataHeaders=HEADER_NAMES)
            )
        return self._headers[ref.id]

    def _get(self, ref: MailRef, **params: Any) -> dict[str, Any]:
        try:
            return self.client.call(self._messages().get(userId="me", id=ref.id, **params))
        except NotFound:
            raise NotFound("message_gone", id=ref.id) from None

    def sender_authenticated(self, headers: Message) -> bool:
        return sender_authenticated(headers)

    def fetch(self, ref: MailRef, dest: Path) -> None:
        # Gmail hands the message over as base64url inside JSON: decoded and written out at once.
        raw = self._get(ref, format="raw")["raw"]
        dest.write_bytes(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))

    def mark_processed(self, ref: MailRef) -> None:
        self._add_label(ref, PROCESSED_LABEL)

    def quarantine(self, ref: MailRef) -> None:
        self._add_label(ref, QUARANTINE_LABEL)

    def _add_label(self, ref: MailRef, name: str) -> None:
        self.client.call(
            self._messages().modify(
                userId="me", id=ref.id, body={"addLabelIds": [self._label_id(name)]}
            )
        )

    def _label_id(self, name: str, create: bool = True) -> str | None:
        if name.lower() not in self._labels:
            labels = self.client.call(self.service.users().labels().list(userId="me")).get(
                "labels", []
            )
            self._labels.update({label["name"].lower(): label["id"] for label in labels})
        if name.lower() not in self._labels and create:
            made = self.client.call(
                self.service.users()
                .labels()
                .create(
                    userId="me",
                    body={
                        "name": name,
                        "labelListVisibility": "labelShow",
                        "messageListVisibility": "show",
                    },
                ),
                allow=(409,),
            )
            if made is None:  # created meanwhile by another run: read it back
                return self._label_id(name, create=False)
            self._labels[name.lower()] = made["id"]
        return self._labels.get(name.lower())

    def send(self, raw: bytes) -> None:
        thread_id = self._thread_of(header_block(raw))
        body = {"threadId": thread_id} if thread_id else {}
        if len(raw) <= JSON_SEND_LIMIT:
            self.client.call(
                self._messages().send(
                    userId="me", body={**body, "raw": base64.urlsafe_b64encode(raw).decode()}
                )
            )
        else:
            media = self.client.media(io.BytesIO(raw), "message/rfc822")
            self.client.call(
                self._messages().send(userId="me", body=body or None, media_body=media)
            )

    def _thread_of(self, message: Message) -> str | None:
        """The Gmail thread of the message this one answers, so the reply stays in it."""
        refs = re.findall(
            r"<[^<>\s]+>", f"{message.get('References', '')} {message.get('In-Reply-To', '')}"
        )
        if not refs:
            return None
        page = self.client.call(
            self._messages().list(
                userId="me", q=f"rfc822msgid:{refs[-1].strip('<>')}", maxResults=1
            )
        )
        return page["messages"][0]["threadId"] if page.get("messages") else None

    def was_sent(self, message_id: str) -> bool:
        wanted = message_id.strip().strip("<>")
        page = self.client.call(
            self._messages().list(userId="me", q=f"rfc822msgid:{wanted} in:sent", maxResults=1)
        )
        if page.get("messages"):
            return True
        # Gmail's search can lag behind a fresh send (and an emulator may not index the id at
        # all): read the Message-ID of the newest sent messages before saying "not sent".
        recent = self.client.call(
            self._messages().list(userId="me", labelIds=["SENT"], maxResults=RECENT_SENT)
        )
        for item in recent.get("messages", []):
            got = self.client.call(
                self._messages().get(
                    userId="me", id=item["id"], format="metadata", metadataHeaders=["Message-ID"]
                ),
                allow=(404,),
            )
            if got and _headers_of(got).get("Message-ID", "").strip().strip("<>") == wanted:
                return True
        return False


def _headers_of(item: dict[str, Any]) -> Message:
    headers = Message()
    for header in item.get("payload", {}).get("headers", []):
        headers[header["name"]] = header["value"]
    return headers
