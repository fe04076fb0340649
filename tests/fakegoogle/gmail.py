"""Gmail v1 with real state: a mailbox per user, messages with labels, a history log, sending.

"me" is the acting user: the bot's mailbox (`ADDRESS`) when auth is off, the token's user's with
`FakeGoogle(require_auth=True)` (each user has their own; another userId is 403 "Delegation
denied"). A service account acting as itself has no mailbox: Gmail answers it 400
failedPrecondition "Precondition check failed." (what Gmail answers a service account used
without domain-wide delegation).

History older than `oldest_history` answers 404 notFound "Requested entity was not found.", as
Gmail does for an expired startHistoryId ("users.history.list": "If you receive an HTTP 404 error
response, your application should perform a full sync"; the answer quoted in
github.com/LogicLabs-OU/OpenArchiver/issues/443); `expire_history()` makes every stored id too
old. A startHistoryId that is not a number is 400, as Gmail answers a value that is not a uint64
("Invalid value at 'start_history_id' (TYPE_UINT64)", the wording Gmail uses for typed
parameters, github.com/relaticle/relaticle/issues/612).

messages.list understands the search operators drivebot uses (in:inbox, in:sent, label:,
-label:, rfc822msgid:, newer_than:) and refuses others, so an adapter cannot silently rely on one
the fake does not model; `labelIds=` lists by label without searching. `search_lag(True)`:
messages sent from then on are not found by `q` searches (Gmail's search index can lag behind,
and an independent emulator matches no rfc822msgid at all) while label listings and
messages.get still show them.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from email.utils import make_msgid
from typing import TYPE_CHECKING, Any

from fakegoogle.discovery import ApiError, bad_request
from fakegoogle.mail import Mail, b64, parsed_message, unb64
from fakegoogle.server import Handler, Reply, Request

if TYPE_CHECKING:
    from fakegoogle.server import FakeGoogle

__all__ = ["ADDRESS", "SYSTEM_LABELS", "FakeGmail", "Mail", "Mailbox", "b64", "unb64"]

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


@dataclass
class Mailbox:
    address: str
    messages: dict[str, Mail] = field(default_factory=dict)
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    history_id: int = 1000
    oldest_history: int = 1000
    search_lag: bool = False

    def next_history(self) -> int:
        self.history_id += 1
        return self.history_id

    def label_id(self, name: str) -> str | None:
        wanted = _label_key(name)
        if name.upper() in SYSTEM_LABELS:
            return name.upper()
        return next(
            (i for i, label in self.labels.items() if _label_key(label["name"]) == wanted), None
        )


class FakeGmail:
    def __init__(self, google: FakeGoogle):
        self.google = google
        self.mailboxes: dict[str, Mailbox] = {}
        self._serial = itertools.count(1)
        self.default = self.mailbox(ADDRESS)

    # --- the bot's mailbox, as tests knew it ----------------------------------------------------

    @property
    def address(self) -> str:
        return self.default.address

    @property
    def messages(self) -> dict[str, Mail]:
        return self.default.messages

    @property
    def labels(self) -> dict[str, dict[str, Any]]:
        return self.default.labels

    @property
    def history(self) -> list[dict[str, Any]]:
        return self.default.history

    @property
    def history_id(self) -> int:
        return self.default.history_id

    @property
    def oldest_history(self) -> int:
        return self.default.oldest_history

    # --- state, also used by the users helper ----------------------------------------------

    def mailbox(self, address: str) -> Mailbox:
        key = address.lower()
        if key not in self.mailboxes:
            self.mailboxes[key] = Mailbox(address)
        return self.mailboxes[key]

    def add(
        self,
        raw: bytes,
        labels: list[str],
        thread_id: str | None = None,
        address: str | None = None,
    ) -> Mail:
        box = self.mailbox(address) if address else self.default
        mail_id = f"{0x18F0000000 + next(self._serial):x}"
        mail = Mail(
            mail_id,
            thread_id or mail_id,
            raw,
            labels,
            self.google.now_ms(),
            box.next_history(),
            box.address,
        )
        box.messages[mail_id] = mail
        box.history.append(
            {
                "id": str(mail.history_id),
                "messages": [mail.summary()],
                "messagesAdded": [{"message": {**mail.summary(), "labelIds": list(labels)}}],
            }
        )
        return mail

    def expire_history(self, address: str | None = None) -> None:
        """Make every startHistoryId handed out so far too old (Gmail then answers 404)."""
        box = self.mailbox(address) if address else self.default
        box.oldest_history = box.history_id + 1

    def search_lag(self, lagging: bool = True, address: str | None = None) -> None:
        """While on, messages sent are left out of `q` searches; turning it off indexes them."""
        box = self.mailbox(address) if address else self.default
        box.search_lag = lagging
        if not lagging:
            for mail in box.messages.values():
                mail.indexed = True

    def label_id(self, name: str) -> str | None:
        return self.default.label_id(name)

    def relabel(self, mail: Mail, add: list[str], remove: list[str]) -> None:
        """Change a message's labels and log it in the history, as Gmail does."""
        box = self.mailbox(mail.address) if mail.address else self.default
        added = [x for x in add if x not in mail.labels]
        removed = [x for x in remove if x in mail.labels]
        mail.labels = [x for x in mail.labels if x not in remove] + added
        if added or removed:
            record: dict[str, Any] = {"id": str(box.next_history()), "messages": [mail.summary()]}
            entry = {"message": {**mail.summary(), "labelIds": list(mail.labels)}}
            if added:
                record["labelsAdded"] = [{**entry, "labelIds": added}]
            if removed:
                record["labelsRemoved"] = [{**entry, "labelIds": removed}]
            box.history.append(record)

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

    def _box(self, request: Request) -> Mailbox:
        actor = request.actor or self.default.address
        if self.google.auth.is_service_account(actor):
            raise ApiError(
                400,
                "Precondition check failed.",
                "failedPrecondition",
                status="FAILED_PRECONDITION",
            )
        user_id = request.params["userId"]
        if user_id != "me" and user_id.lower() != actor.lower():
            raise ApiError(403, "Delegation denied for " + user_id, "forbidden")
        return self.mailbox(actor) if request.actor else self.default

    def _mail(self, request: Request, key: str = "id") -> Mail:
        mail = self._box(request).messages.get(request.params[key])
        if mail is None:
            raise ApiError(404, "Requested entity was not found.", "notFound")
        return mail

    def profile(self, request: Request) -> Reply:
        box = self._box(request)
        return Reply(
            json={
                "emailAddress": box.address,
                "messagesTotal": len(box.messages),
                "threadsTotal": len({m.thread_id for m in box.messages.values()}),
                "historyId": str(box.history_id),
            }
        )

    def list_history(self, request: Request) -> Reply:
        box = self._box(request)
        params = request.params
        start = params.get("startHistoryId")
        if not start or not start.isdigit():
            raise bad_request(
                f"Invalid value at 'start_history_id' (TYPE_UINT64), \"{start}\"",
                "startHistoryId",
            )
        if int(start) < box.oldest_history:
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
        for record in box.history:
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
        result: dict[str, Any] = {"historyId": str(box.history_id)}
        if records[offset : offset + limit]:
            result["history"] = records[offset : offset + limit]
        if offset + limit < len(records):
            result["nextPageToken"] = str(offset + limit)
        return Reply(json=result)

    def list_messages(self, request: Request) -> Reply:
        box = self._box(request)
        params = request.params
        query = params.get("q") or ""
        tests = [self._term(box, term) for term in query.split()]
        labels = params.get("labelIds") or []
        hidden = () if params.get("includeSpamTrash") else ("SPAM", "TRASH")
        found = sorted(
            (
                m
                for m in box.messages.values()
                if (m.indexed or not query.strip())
                and all(t(m) for t in tests)
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

    def _term(self, box: Mailbox, term: str) -> Any:
        negate = term.startswith("-")
        operator, _, value = term.lstrip("-").partition(":")
        if operator in ("in", "label"):
            label = box.label_id(value)
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
        box = self._box(request)
        mail = self._mail(request)
        body = request.body or {}
        add, remove = body.get("addLabelIds", []), body.get("removeLabelIds", [])
        for label in (*add, *remove):
            if label not in SYSTEM_LABELS and label not in box.labels:
                raise bad_request(f"Invalid label: {label}")
        self.relabel(mail, add, remove)
        return Reply(json={**mail.summary(), "labelIds": list(mail.labels)})

    def send(self, request: Request) -> Reply:
        box = self._box(request)
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
        parsed = parsed_message(raw)
        if not any(parsed.get(h) for h in ("To", "Cc", "Bcc")):
            raise bad_request("Recipient address required")
        thread_id = body.get("threadId")
        if thread_id and not any(m.thread_id == thread_id for m in box.messages.values()):
            raise ApiError(404, "Requested entity was not found.", "notFound")
        self.google.quotas.check_send(box.address)
        if not parsed.get("Message-ID"):
            raw = f"Message-ID: {make_msgid(domain='mail.gmail.com')}\r\n".encode() + raw
        mail = self.add(raw, ["SENT"], thread_id, box.address)
        mail.indexed = not box.search_lag
        self.google.quotas.record_send(box.address)
        return Reply(json={**mail.summary(), "labelIds": ["SENT"]})

    def list_labels(self, request: Request) -> Reply:
        box = self._box(request)
        system = [{"id": x, "name": x, "type": "system"} for x in SYSTEM_LABELS]
        return Reply(json={"labels": system + list(box.labels.values())})

    def create_label(self, request: Request) -> Reply:
        box = self._box(request)
        name = (request.body or {}).get("name", "").strip()
        if not name:
            raise bad_request("Invalid label name")
        if box.label_id(name):
            raise ApiError(409, "Label name exists or conflicts", "duplicate")
        label_id = f"Label_{len(box.labels) + 1}"
        box.labels[label_id] = {
            "id": label_id,
            "name": name,
            "type": "user",
            "labelListVisibility": request.body.get("labelListVisibility", "labelShow"),
            "messageListVisibility": request.body.get("messageListVisibility", "show"),
        }
        return Reply(json=box.labels[label_id])


def _label_key(name: str) -> str:
    """Gmail's search matches a label written with '-' for '/' and spaces, in any case."""
    return re.sub(r"[/\s]", "-", name).lower()


def _limit(params: dict[str, Any], most: int) -> int:
    limit = params.get("maxResults", 100)
    if not 1 <= limit <= most:
        raise bad_request(f"Invalid maxResults: {limit}", "maxResults")
    return limit
