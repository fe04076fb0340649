"""Carrying out the outbox: each queued effect goes to the handler for its type.

`flush` runs the queue oldest first. Effects of one draft run in order, and a failure holds back
that draft's later effects (its "archived" e-mail never goes out before the stamped copy is in
the archive) without holding back other drafts.

Before an attempt the row's attempt count is raised in its own transaction, so a row found with
attempts already made is a retry; for a retried e-mail the sent mailbox is asked for its
Message-ID first, which covers a crash between sending and marking sent. An effect that fails
MAX_ATTEMPTS times for a lasting reason is given up: the admins are told, and its draft's later
effects wait until `drivebot retry`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import assert_never

from drivebot import i18n
from drivebot.app.notices import Notices
from drivebot.clock import iso_utc
from drivebot.drive import DriveFile, DrivePort
from drivebot.errors import ConfigError, DailyLimit, TransientError, as_transient, explain
from drivebot.flows import Folder
from drivebot.gmail import MailboxPort, MailRef
from drivebot.state.outbox import (
    CopyForReview,
    MarkMailProcessed,
    MoveFile,
    OutboxItem,
    QuarantineFile,
    QuarantineMail,
    SendEmail,
    StampArchive,
    Unreadable,
    reserves,
)
from drivebot.state.rows import FileRole
from drivebot.state.store import Store

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF_FIRST = 30  # seconds an item waits after its first passing failure, doubling
BACKOFF_MOST = 3600  # ... up to an hour
MAIL_PAUSED = "mail_paused_until"  # kv: no e-mail goes out before this moment (UTC ISO)
MAIL_FORGOTTEN_BEFORE = "mail_bytes_dropped_before"  # kv: sent before this, bytes dropped
MAIL_FORGOTTEN_ON = "mail_bytes_dropped_on"  # kv: the office day of the last pass


class Effects:
    def __init__(
        self,
        store: Store,
        drive: DrivePort,
        mailbox: MailboxPort,
        notices: Notices,
        stamp_and_archive: Callable[[StampArchive], None],
        sync_ledger_copy: Callable[[], None] = lambda: None,
    ):
        self.store = store
        self.drive = drive
        self.mailbox = mailbox
        self.notices = notices
        self.stamp_and_archive = stamp_and_archive
        self.sync_ledger_copy = sync_ledger_copy

    def carry_out(self, item: OutboxItem) -> None:
        """One item, by the type of its effect."""
        match item.effect:
            case SendEmail():
                self._send(item.effect, item)
            case MoveFile():
                self._move(item.effect)
            case CopyForReview():
                self._review_copy(item.effect)
            case QuarantineFile():
                self._quarantine_file(item.effect)
            case MarkMailProcessed():
                self.mailbox.mark_processed(MailRef(item.effect.ref, 0))
            case QuarantineMail():
                self.mailbox.quarantine(MailRef(item.effect.ref, 0))
            case StampArchive():
                self.stamp_and_archive(item.effect)
            case Unreadable():
                raise ValueError(f"outbox row cannot be read: {item.effect.error}")
            case _:
                assert_never(item.effect)

    def forget_old_mail(self, retention_days: int) -> int:
        """Once a day, the bytes of e-mails sent more than `retention_days` ago leave the
        outbox (about 90 kB per draft otherwise, for ever); their rows, with the Message-ID,
        recipients and time, stay, and so does the copy in the mailbox's sent folder. SQLite
        reuses the freed pages, so the file stops growing (it does not shrink by itself)."""
        today = self.notices.clock().astimezone(self.notices.config.tz).date().isoformat()
        if self.store.get(MAIL_FORGOTTEN_ON) == today:
            return 0
        cutoff = iso_utc(self.notices.clock() - timedelta(days=retention_days))
        with self.store.transaction():
            since = self.store.get(MAIL_FORGOTTEN_BEFORE) or ""
            count = self.store.forget_sent_bytes(since, cutoff) if cutoff > since else 0
            self.store.put(MAIL_FORGOTTEN_BEFORE, max(cutoff, since))
            self.store.put(MAIL_FORGOTTEN_ON, today)
        return count

    def flush(self, only: set[int] | None = None) -> int:
        """Carry out what is pending (or only the items `only` names); returns how many items
        failed (they stay queued).

        An item that failed for a passing reason waits, longer after each failure (and its
        draft's later items with it); e-mails wait for the next day once Gmail's daily sending
        limit is reached. A ConfigError stops the flush: nothing else can succeed until the
        setup is fixed."""
        held_back = self.store.held_back_drafts()
        failures = 0
        now = self.store.now()
        # An item carried out is marked done in the transaction that starts the next one (one
        # commit instead of two; a crash in between retries it, as a crash just after the
        # effect always could: sending checks was_sent, the rest is idempotent).
        finished: int | None = None
        try:
            for item in self.store.pending():
                if only is not None and item.id not in only:
                    continue
                if item.reg is not None and item.reg in held_back:
                    continue
                if item.not_before is not None and item.not_before > now:
                    if item.reg is not None:
                        held_back.add(item.reg)  # the draft's later items wait in order
                    continue
                if isinstance(item.effect, SendEmail) and (self.store.get(MAIL_PAUSED) or "") > now:
                    continue
                try:
                    item = self._start(item, finished)
                    finished = None
                    self.carry_out(item)
                except ConfigError:
                    raise
                except Exception as exc:  # one failing item never stops the others
                    failures += 1
                    if item.reg is not None:
                        held_back.add(item.reg)
                    self._failed(item, as_transient(exc))
                    continue
                finished = item.id
        finally:
            if finished is not None:
                with self.store.transaction():
                    self.store.outbox_done(finished)
        self._sync_ledger_copy()
        return failures

    def _sync_ledger_copy(self) -> None:
        """The ledger's copy in the archive folder, once for all this flush archived (nothing
        when it is up to date: a file's size against a stored one); on a failure it waits for
        the next flush (the ledger and its mirror have every record)."""
        try:
            self.sync_ledger_copy()
        except ConfigError:
            raise
        except Exception as exc:
            log.warning("the ledger's copy in the archive folder waits: %s", as_transient(exc))

    def _start(self, item: OutboxItem, finished: int | None) -> OutboxItem:
        """The item marked started (and `finished` done) in one transaction, with the Drive ids
        it creates under reserved and written into its row first (every attempt uses the same
        ones)."""
        effect = item.effect
        if isinstance(effect, CopyForReview | QuarantineFile | StampArchive) and (
            count := reserves(effect)
        ):
            effect = replace(effect, ids=tuple(self.drive.reserve_ids(count)))
        with self.store.transaction():
            if finished is not None:
                self.store.outbox_done(finished)
            if effect is not item.effect:
                self.store.outbox_rewrite(item.id, effect)
            self.store.outbox_started(item.id)
        return replace(item, effect=effect)

    def _failed(self, item: OutboxItem, exc: Exception) -> None:
        """A passing failure waits; another counts toward giving up. An attempt a killed
        process never finished counts for nothing: only failures seen here are counted."""
        error = explain(exc, self.notices.config.language)
        attempts = item.attempts + 1
        counted = item.failures + (0 if isinstance(exc, TransientError) else 1)
        kind = item.effect.kind
        log.warning("outbox item %s (%s) failed, attempt %s: %s", item.id, kind, attempts, error)
        with self.store.transaction():
            self.store.outbox_failed(item.id, error, counted=not isinstance(exc, TransientError))
            if isinstance(exc, DailyLimit) and isinstance(item.effect, SendEmail):
                return self._pause_mail(exc.until)
            if isinstance(exc, TransientError):
                wait = min(BACKOFF_FIRST * 2**item.waits, BACKOFF_MOST)
                until = self.notices.clock() + timedelta(seconds=wait)
                self.store.outbox_wait(item.id, iso_utc(until))
            if counted >= MAX_ATTEMPTS:
                self.store.outbox_given_up(item.id)
                summary = i18n.text(
                    self.notices.config.language,
                    "report.given_up",
                    kind=i18n.text(self.notices.config.language, f"effect.{kind}"),
                    reg=item.reg or "-",
                    n=attempts,
                )
                self.notices.report_error(summary, error)

    def _pause_mail(self, until: datetime | None) -> None:
        """Gmail's daily sending limit is reached: every e-mail waits, in its order, until
        the time Google names (its limit is a rolling 24 hours) or else the office's next day;
        the admins are told once (by the first e-mail that goes)."""
        tomorrow = self.notices.clock().astimezone(self.notices.config.tz) + timedelta(days=1)
        start = until or tomorrow.replace(hour=0, minute=5, second=0, microsecond=0)
        self.store.put(MAIL_PAUSED, iso_utc(start))
        waiting = sum(isinstance(i.effect, SendEmail) for i in self.store.pending())
        summary = i18n.text(self.notices.config.language, "report.mail_paused", n=waiting)
        self.notices.report_error(summary, "dailyLimitExceeded", "mail_paused")

    def _send(self, effect: SendEmail, item: OutboxItem) -> None:
        if item.attempts > 0 and self.mailbox.was_sent(effect.message_id):
            log.info("%s was already sent before a crash; not sending it again", effect.message_id)
            return
        if item.raw is None:
            raise ValueError(f"outbox e-mail {effect.message_id} has no message bytes")
        self.mailbox.send(item.raw)  # the bytes queued, as they were rendered

    def _move(self, effect: MoveFile) -> DriveFile:
        moved = self.drive.move(effect.file_id, Folder(effect.folder), effect.name)
        with self.store.transaction():
            self.store.set_file_place(
                moved.id, moved.folder.value, name=moved.name, link=moved.link
            )
        return moved

    def _review_copy(self, effect: CopyForReview) -> None:
        copy = self.drive.review_copy(self.drive.get(effect.file_id), _first(effect.ids))
        if copy.id != effect.file_id:
            with self.store.transaction():
                self.store.track_file(
                    copy.id, effect.reg, FileRole.REVIEW, copy.folder.value, copy.name, copy.link
                )

    def _quarantine_file(self, effect: QuarantineFile) -> None:
        moved = self._move(MoveFile(effect.file_id, Folder.QUARANTINE.value))
        # Named after the file as kept (a second "x.pdf" becomes "x (2).pdf"), so each has its own.
        note_name = f"{moved.name}.catatan.txt"
        if self.drive.find(Folder.QUARANTINE, note_name) is None:
            with TemporaryDirectory(prefix="drivebot-") as tmp:
                note = Path(tmp) / note_name
                note.write_text(effect.note, encoding="utf-8")
                self.drive.upload(note, note_name, Folder.QUARANTINE, file_id=_first(effect.ids))


def _first(ids: tuple[str, ...]) -> str | None:
    return ids[0] if ids else None
