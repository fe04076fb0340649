"""A Gmail message as the local Google keeps it: its raw bytes, labels, and the resource Gmail
makes of it (raw, metadata, full), parsed with the standard email package."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from email.parser import BytesHeaderParser
from typing import Any


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Mail:
    id: str
    thread_id: str
    raw: bytes
    labels: list[str]
    internal_date: int  # ms since the epoch
    history_id: int
    address: str = ""  # the mailbox it is in
    indexed: bool = True  # found by `q` searches (see FakeGmail.search_lag)
    parsed: Message = field(init=False)

    def __post_init__(self) -> None:
        self.parsed = parsed_message(self.raw)

    def header(self, name: str) -> str:
        return _unfold(self.parsed.get(name, ""))

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "threadId": self.thread_id}

    def resource(self, fmt: str, wanted: list[str] | None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "threadId": self.thread_id,
            "labelIds": list(self.labels),
            "snippet": _snippet(self.parsed),
            "sizeEstimate": len(self.raw),
            "historyId": str(self.history_id),
            "internalDate": str(self.internal_date),
        }
        if fmt == "raw":
            data["raw"] = b64(self.raw)
        elif fmt == "metadata":
            names = {n.lower() for n in wanted} if wanted else None
            data["payload"] = {
                "mimeType": self.parsed.get_content_type(),
                "headers": [
                    {"name": k, "value": _unfold(v)}
                    for k, v in self.parsed.items()
                    if names is None or k.lower() in names
                ],
            }
        elif fmt == "full":
            data["payload"] = self._part(self.parsed, "")
        return data

    def _part(self, part: Message, part_id: str) -> dict[str, Any]:
        body: dict[str, Any] = {"size": 0}
        node: dict[str, Any] = {
            "partId": part_id,
            "mimeType": part.get_content_type(),
            "filename": part.get_filename() or "",
            "headers": [{"name": k, "value": _unfold(v)} for k, v in part.items()],
            "body": body,
        }
        if part.is_multipart():
            node["parts"] = [
                self._part(sub, f"{part_id}.{n}".lstrip("."))
                for n, sub in enumerate(part.get_payload())
            ]
        else:
            payload = part.get_payload(decode=True) or b""
            body["size"] = len(payload)
            if part.get_filename():
                body["attachmentId"] = f"att-{self.id}-{part_id or '0'}"
            else:
                body["data"] = b64(payload)
        return node

    def attachment(self, attachment_id: str) -> bytes | None:
        part_id = attachment_id.rsplit("-", 1)[-1]
        node: Any = self.parsed
        for index in [] if part_id == "0" else part_id.split("."):
            node = node.get_payload()[int(index)]
        return node.get_payload(decode=True) if node.get_filename() else None


def parsed_message(raw: bytes) -> Message:
    """The message as Gmail indexes it. One nested past what a recursive parser takes (a
    forward of a forward... thousands deep) is kept with its headers only, as Gmail keeps it."""
    try:
        return message_from_bytes(raw)
    except RecursionError:
        return BytesHeaderParser().parsebytes(raw)


def _unfold(value: Any) -> str:
    return re.sub(r"\r?\n[ \t]+", " ", str(value))


def _snippet(message: Message) -> str:
    if not message.is_multipart() and message.get_content_maintype() == "message":
        return ""  # kept with its headers only (see parsed_message)
    for part in message.walk():
        if part.get_content_type() == "text/plain" and not part.get_filename():
            return (part.get_payload(decode=True) or b"").decode(errors="replace")[:100].strip()
    return ""
