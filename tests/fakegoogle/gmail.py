"""Gmail v1 with real state: messages with labels, a history log, labels, sending.

History older than `oldest_history` answers 404, as Gmail does for an expired startHistoryId
(`expire_history()` makes every stored id too old). messages.list understands the search
operators drivebot uses and refuses others, so an adapter cannot silently rely on one the fake
does not model.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import make_msgid
from typing import TYPE_CHECKING, Any

from fakegoogle.discovery import ApiError, bad_request
from fakegoogle.server import Handler, Reply, Request

if TYPE_CHECKING:
    from fakegoogle.server import FakeGoogle

SYSTEM_LABELS = (
    "INBOX",
    "SENT",
    "UNREAD",
    "STARRED",
    "IMPORTANT",
    "TRASH",
    "SPAM",
    "DRAFT",
    "CHAT",
    "CATEGORY_PERSONAL",
    "CATEGORY_SOCIAL",
    "CATEGORY_PROMOTIONS",
    "CATEGORY_UPDATES",
    "CATEGORY_FORUMS",
)
ADDRESS = "hukum@example.go.id"
_UNITS = {"d": 86_400, "m": 30 * 86_400, "y": 365 * 86_400}


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
    parsed: Message = field(init=False)

    def __post_init__(self) -> None:
        self.parsed = _parsed(self.raw)

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


def _parsed(raw: bytes) -> Message:
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
        return ""  # kept with its headers only (see _parsed)
    for part in message.walk():
        if part.get_content_type() == "text/plain" and not part.get_filename():
            return (part.get_payload(decode=True) or b"").decode(errors="replace")[:100].strip()
    return ""


class FakeGmail:
    def __init__(self, google: FakeGoogle):
        self.google = google
        self.address = ADDRESS
        self.messages: dict[str, Mail] = {}
        self.labels: dict[str, dict[str, Any]] = {}
        self.history: list[dict[str, Any]] = []
        self.history_id = 1000
        self.oldest_history = 1000

    # --- state, also used by the users helper ----------------------------------------------

    def _next_history(self) -> int:
        self.history_id += 1
        return self.history_id

    def add(self, raw: bytes, labels: list[str], thread_id: str | None = None) -> Mail:
        mail_id = f"{0x18F0000000 + len(self.messages) + 1:x}"
        mail = Mail(
            mail_id, thread_id or mail_id, raw, labels, self.google.now_ms(), self._next_history()
        )
        self.messages[mail_id] = mail
        self.history.append(
            {
                "id": str(mail.history_id),
                "messages": [mail.summary()],
                "messagesAdded": [{"message": {**mail.summary(), "labelIds": list(labels)}}],
            }
        )
        return mail

    def expire_history(self) -> None:
        """Make every startHistoryId handed out so far too old (Gmail then answers 404)."""
        self.oldest_history = self.history_id + 1

    def label_id(self, name: str) -> str | None:
        wanted = _label_key(name)
        if name.upper() in SYSTEM_LABELS:
            return name.upper()
        return next(
            (i for i, label in self.labels.items() if _label_key(label["name"]) == wanted), None
        )

    # --- handlers ---------------------------------------------------------------------------

    def handlers(self) -> dict[str, Handler]:
        return {
            "gmail.users.getProfile": self.profile,
            "gmail.users.history.list": self.list_history,
            "gmail.users.messages.list": self.list_messages,
            "gmail.users.messages.get": self.get,
            "gmail.users.messages.modify": self.modify,
            "gmail.users.messages.attachments.get": self.get_attachment,
            "gmail.users.messages.send": self.send,
            "gmail.users.labels.list": self.list_labels,
            "gmail.users.labels.create": self.create_label,
        }

    def _user(self, request: Request) -> None:
        if request.params["userId"] not in ("me", self.address):
            raise ApiError(403, "Delegation denied for " + request.params["userId"], "forbidden")

    def _mail(self, request: Request, key: str = "id") -> Mail:
        self._user(request)
        mail = self.messages.get(request.params[key])
        if mail is None:
            raise ApiError(404, "Requested entity was not found.", "notFound")
        return mail

    def profile(self, request: Request) -> Reply:
        self._user(request)
        return Reply(
            json={
                "emailAddress": self.address,
                "messagesTotal": len(self.messages),
                "threadsTotal": len({m.thread_id for m in self.messages.values()}),
                "historyId": str(self.history_id),
            }
        )

    def list_history(self, request: Request) -> Reply:
        self._user(request)
        params = request.params
        start = params.get("startHistoryId")
        if not start or not start.isdigit():
            raise bad_request("Invalid startHistoryId", "startHistoryId")
        if int(start) < self.oldest_history:
            raise ApiError(404, "Requested entity was not found.", "notFound")
        limit = _limit(params, 500)
        types = params.get("historyTypes") or [
            "messageAdded",
            "messageDeleted",
            "labelAdded",
            "labelRemoved",
        ]
        keys = {
            "messageAdded": "messagesAdded",
            "labelAdded": "labelsAdded",
            "labelRemoved": "labelsRemoved",
            "messageDeleted": "messagesDeleted",
        }
        records = []
        for record in self.history:
            if int(record["id"]) <= int(start):
                continue
            kept = {
                keys[t]: [
                    e
                    for e in record.get(keys[t], [])
                    if not params.get("labelId") or params["labelId"] in e["message"]["labelIds"]
                ]
                for t in types
            }
            kept = {k: v for k, v in kept.items() if v}
            if kept:
                records.append({"id": record["id"], "messages": record["messages"], **kept})
        offset = int(params.get("pageToken") or 0)
        result: dict[str, Any] = {"historyId": str(self.history_id)}
        if records[offset : offset + limit]:
            result["history"] = records[offset : offset + limit]
        if offset + limit < len(records):
            result["nextPageToken"] = str(offset + limit)
        return Reply(json=result)

    def list_messages(self, request: Request) -> Reply:
        self._user(request)
        params = request.params
        tests = [self._term(term) for term in (params.get("q") or "").split()]
        labels = params.get("labelIds") or []
        hidden = () if params.get("includeSpamTrash") else ("SPAM", "TRASH")
        found = sorted(
            (
                m
                for m in self.messages.values()
                if all(t(m) for t in tests)
                and all(x in m.labels for x in labels)
                and not any(x in m.labels for x in hidden)
            ),
            key=lambda m: (m.internal_date, m.history_id),
            reverse=True,
        )
        limit = _limit(params, 500)
        offset = int(params.get("pageToken") or 0)
        result: dict[str, Any] = {"resultSizeEstimate": len(found)}
        if found[offset : offset + limit]:
            result["messages"] = [m.summary() for m in found[offset : offset + limit]]
        if offset + limit < len(found):
            result["nextPageToken"] = str(offset + limit)
        return Reply(json=result)

    def _term(self, term: str) -> Any:
        negate = term.startswith("-")
        operator, _, value = term.lstrip("-").partition(":")
        if operator in ("in", "label"):
            label = self.label_id(value)
            test = (lambda m: label in m.labels) if label else (lambda m: False)
        elif operator == "rfc822msgid":
            test = lambda m: m.header("Message-ID").strip("<> ") == value.strip("<>")  # noqa: E731
        elif operator == "newer_than" and re.fullmatch(r"\d+[dmy]", value):
            cutoff = self.google.now_ms() - int(value[:-1]) * _UNITS[value[-1]] * 1000
            test = lambda m: m.internal_date > cutoff  # noqa: E731
        else:
            raise bad_request(f"The local Google does not model the search term {term!r}", "q")
        return (lambda m: not test(m)) if negate else test

    def get(self, request: Request) -> Reply:
        mail = self._mail(request)
        return Reply(
            json=mail.resource(
                request.params.get("format", "full"), request.params.get("metadataHeaders")
            )
        )

    def get_attachment(self, request: Request) -> Reply:
        mail = self._mail(request, "messageId")
        data = mail.attachment(request.params["id"])
        if data is None:
            raise ApiError(404, "Requested entity was not found.", "notFound")
        return Reply(json={"size": len(data), "data": b64(data)})

    def modify(self, request: Request) -> Reply:
        mail = self._mail(request)
        body = request.body or {}
        add, remove = body.get("addLabelIds", []), body.get("removeLabelIds", [])
        for label in (*add, *remove):
            if label not in SYSTEM_LABELS and label not in self.labels:
                raise bad_request(f"Invalid label: {label}")
        self.relabel(mail, add, remove)
        return Reply(json={**mail.summary(), "labelIds": list(mail.labels)})

    def relabel(self, mail: Mail, add: list[str], remove: list[str]) -> None:
        """Change a message's labels and log it in the history, as Gmail does."""
        added = [x for x in add if x not in mail.labels]
        removed = [x for x in remove if x in mail.labels]
        mail.labels = [x for x in mail.labels if x not in remove] + added
        if added or removed:
            record: dict[str, Any] = {"id": str(self._next_history()), "messages": [mail.summary()]}
            entry = {"message": {**mail.summary(), "labelIds": list(mail.labels)}}
            if added:
                record["labelsAdded"] = [{**entry, "labelIds": added}]
            if removed:
                record["labelsRemoved"] = [{**entry, "labelIds": removed}]
            self.history.append(record)

    def send(self, request: Request) -> Reply:
        self._user(request)
        body = request.body or {}
        raw = (
            request.media
            if request.media is not None
            else (unb64(body["raw"]) if body.get("raw") else None)
        )
        if raw is None:
            raise bad_request(
                "'raw' RFC822 payload message string or uploading message via "
                "/upload/* URL required"
            )
        if request.media is not None and len(raw) > 36_700_160:
            raise ApiError(413, "Request payload size exceeds the limit.", "uploadTooLarge")
        parsed = _parsed(raw)
        if not any(parsed.get(h) for h in ("To", "Cc", "Bcc")):
            raise bad_request("Recipient address required")
        thread_id = body.get("threadId")
        if thread_id and not any(m.thread_id == thread_id for m in self.messages.values()):
            raise ApiError(404, "Requested entity was not found.", "notFound")
        if not parsed.get("Message-ID"):
            raw = f"Message-ID: {make_msgid(domain='mail.gmail.com')}\r\n".encode() + raw
        mail = self.add(raw, ["SENT"], thread_id)
        return Reply(json={**mail.summary(), "labelIds": ["SENT"]})

    def list_labels(self, request: Request) -> Reply:
        self._user(request)
        system = [{"id": x, "name": x, "type": "system"} for x in SYSTEM_LABELS]
        return Reply(json={"labels": system + list(self.labels.values())})

    def create_label(self, request: Request) -> Reply:
        self._user(request)
        name = (request.body or {}).get("name", "").strip()
        if not name:
            raise bad_request("Invalid label name")
        if self.label_id(name):
            raise ApiError(409, "Label name exists or conflicts", "duplicate")
        label_id = f"Label_{len(self.labels) + 1}"
        self.labels[label_id] = {
            "id": label_id,
            "name": name,
            "type": "user",
            "labelListVisibility": request.body.get("labelListVisibility", "labelShow"),
            "messageListVisibility": request.body.get("messageListVisibility", "show"),
        }
        return Reply(json=self.labels[label_id])


def _label_key(name: str) -> str:
    """Gmail's search matches a label written with '-' for '/' and spaces, in any case."""
    return re.sub(r"[/\s]", "-", name).lower()


def _limit(params: dict[str, Any], most: int) -> int:
    limit = params.get("maxResults", 100)
    if not 1 <= limit <= most:
        raise bad_request(f"Invalid maxResults: {limit}", "maxResults")
    return limit
