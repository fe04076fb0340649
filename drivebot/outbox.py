"""The outbox: e-mails and Drive operations queued with the state change that causes them.

`Outbox.email` and `Outbox.effect` are called inside the caller's transaction; `flush` carries the
queue out afterwards, oldest first. Effects of one draft run in order, and a failure holds back
that draft's later effects (its "archived" e-mail never goes out before the stamped copy is in
the archive) without holding back other drafts.

Every e-mail is rendered and stored whole, with its Message-ID, when it is queued. Before an
attempt the row's attempt count is raised in its own transaction, so a row found with attempts
already made is a retry; for a retried e-mail the sent mailbox is asked for that Message-ID
first, which covers a crash between sending and marking sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from email import message_from_bytes, policy
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from drivebot.config import Config
from drivebot.drive import DriveFile, DrivePort
from drivebot.emails import DraftView, Sender, build_message, render
from drivebot.errors import TransientError
from drivebot.gmail import MailboxPort, MailRef
from drivebot.store import Draft, Store
from drivebot.workflow import PRODUCT_NAMES, Audience, Folder, ProductType

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


def product_number(draft: Draft, lang: str = "id") -> str | None:
    if draft.number is None:
        return None
    word = "Number" if lang == "en" else "Nomor"
    year = "Year" if lang == "en" else "Tahun"
    return f"{word} {draft.number} {year} {draft.number_year}"


def product_label(product_type: ProductType, number: int | None, year: int | None) -> str:
    """E.g. "Peraturan Bupati Nomor 12 Tahun 2026" (the name used in archive file names)."""
    name = PRODUCT_NAMES[product_type]["id"]
    return f"{name} Nomor {number} Tahun {year}" if number is not None else name



class Outbox:
    def __init__(self, config: Config, store: Store, drive: DrivePort, mailbox: MailboxPort,
                 clock: Callable[[], datetime] = datetime.now):
        self.config = config
        self.store = store
        self.drive = drive
        self.mailbox = mailbox
        self.clock = clock
        self.sender = Sender(config.org_short_name, config.org_email, config.org_name)
        self.handlers: dict[str, Callable[[dict[str, Any]], None]] = {
            "move": self._move,
            "review_copy": self._review_copy,
            "quarantine_file": self._quarantine_file,
            "mail_processed": lambda p: self.mailbox.mark_processed(MailRef(p["ref"], 0)),
            "mail_quarantine": lambda p: self.mailbox.quarantine(MailRef(p["ref"], 0)),
        }

    # --- queueing (inside the caller's transaction) ------------------------------------------

    def recipients(self, audience: Audience, draft: Draft | None) -> list[str]:
        if audience is Audience.REVIEWERS:
            return [person.email for person in self.config.reviewers]
        if audience is Audience.ADMINS:
            return [person.email for person in self.config.admins]
        opd = self.config.opd_by_name(draft.opd) if draft else None
        return list(opd.emails) if opd else []

    def view(self, draft: Draft, verify_url: str | None = None) -> DraftView:
        since = datetime.fromisoformat(draft.stage_since)
        waited = (self.clock().astimezone(since.tzinfo) - since).days
        working = self.store.files_of(draft.reg, "review", "working")
        return DraftView(
            reg=draft.reg, title=draft.title, product_type=draft.product_type, stage=draft.stage,
            version=draft.version, opd_name=draft.opd, done=draft.done,
            number=product_number(draft, self.config.language),
            link=working[-1].link if working else None, verify_url=verify_url,
            waiting_days=max(waited, 0))

    def email(self, template: str, audience: Audience, draft: Draft | None, *,
              to: list[str] | None = None, dedupe_key: str | None = None,
              **extra: Any) -> None:
        to = to if to is not None else self.recipients(audience, draft)
        if not to:
            log.info("no %s address configured: %s e-mail not queued", audience.value, template)
            return
        reg = draft.reg if draft else None
        view = self.view(draft, extra.pop("verify_url", None)) if draft else None
        rendered = render(template, self.config.language, audience, view, **extra)
        number = self.store.next_value("message")
        message_id = f"<drivebot.{number}.{(reg or 'admin').lower()}@{self.config.mail_domain}>"
        thread_root = draft.thread_root if draft else None
        if draft and thread_root is None:
            thread_root = message_id
            self.store.set_thread_root(draft.reg, message_id)
        message = build_message(rendered, self.sender, to, message_id, thread_root)
        self.store.enqueue(reg, "email", {"message_id": message_id, "template": template,
                                          "to": to}, message.as_bytes(), dedupe_key)

    def effect(self, reg: str | None, op: str, /, **payload: Any) -> None:
        self.store.enqueue(reg, op, payload)

    # --- carrying out ------------------------------------------------------------------------

    def flush(self) -> int:
        """Carry out what is pending; returns how many items failed (they stay queued)."""
        held_back = self.store.held_back_drafts()
        failures = 0
        for item in self.store.pending():
            if item.reg is not None and item.reg in held_back:
                continue
            with self.store.transaction():
                self.store.outbox_started(item.id)
            try:
                if item.kind == "email":
                    self._send(item.payload["message_id"], item.raw, retry=item.attempts > 0)
                else:
                    self.handlers[item.kind](item.payload)
            except Exception as exc:  # one failing item never stops the others
                failures += 1
                if item.reg is not None:
                    held_back.add(item.reg)
                self._failed(item.id, item.kind, item.attempts + 1, exc)
                continue
            with self.store.transaction():
                self.store.outbox_done(item.id)
        return failures

    def _failed(self, item_id: int, kind: str, attempts: int, exc: Exception) -> None:
        error = f"{type(exc).__name__}: {exc}"
        log.warning("outbox item %s (%s) failed, attempt %s: %s", item_id, kind, attempts, error)
        with self.store.transaction():
            self.store.outbox_failed(item_id, error)
            if attempts >= MAX_ATTEMPTS and not isinstance(exc, TransientError):
                self.store.outbox_given_up(item_id)
                self.email("error_report", Audience.ADMINS, None,
                           summary=f"outbox item {item_id} ({kind}) failed {attempts} times; "
                                   f"its draft waits until `drivebot retry` is run",
                           detail=error)

    def _send(self, message_id: str, raw: bytes, retry: bool) -> None:
        if retry and self.mailbox.was_sent(message_id):
            log.info("%s was already sent before a crash; not sending it again", message_id)
            return
        self.mailbox.send(message_from_bytes(raw, policy=policy.SMTP))

    def _move(self, payload: dict[str, Any]) -> DriveFile:
        moved = self.drive.move(payload["file_id"], Folder(payload["folder"]), payload.get("name"))
        with self.store.transaction():
            self.store.set_file_place(moved.id, moved.folder.value, payload.get("role"),
                                      name=moved.name, link=moved.link)
        return moved

    def _review_copy(self, payload: dict[str, Any]) -> None:
        copy = self.drive.review_copy(self.drive.get(payload["file_id"]))
        if copy.id != payload["file_id"]:
            with self.store.transaction():
                self.store.track_file(copy.id, payload["reg"], "review", copy.folder.value,
                                      copy.name, copy.link)

    def _quarantine_file(self, payload: dict[str, Any]) -> None:
        moved = self._move({"file_id": payload["file_id"], "folder": Folder.QUARANTINE.value})
        # Named after the file as kept (a second "x.pdf" becomes "x (2).pdf"), so each has its own.
        note_name = f"{moved.name}.catatan.txt"
        if self.drive.find(Folder.QUARANTINE, note_name) is None:
            with TemporaryDirectory() as tmp:
                note = Path(tmp) / note_name
                note.write_text(payload["note"], encoding="utf-8")
                self.drive.upload(note, note_name, Folder.QUARANTINE)
