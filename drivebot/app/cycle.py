"""One poll cycle: finish the outbox, take in mail, then Drive files, queue the digest and the
deadlines' reminders, flush.

Each input is handled on its own (`isolated`): a bad one is quarantined and reported once, a
transient failure leaves it for the next cycle, and neither stops the others. A configuration
error is not an input's fault: it stops the cycle, and the daemon with it. A port's cursor is
kept only after a pass without transient failures, so inputs that could not be handled are read
again next cycle.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from drivebot import i18n
from drivebot.app.digest import Digest
from drivebot.app.drive_intake import DriveIntake
from drivebot.app.effects import Effects
from drivebot.app.mail_intake import MailIntake
from drivebot.app.notices import Notices
from drivebot.app.reminders import Reminders
from drivebot.app.watch import PollWatch
from drivebot.drive import DrivePort
from drivebot.errors import ConfigError, TransientError, as_transient, explain
from drivebot.gmail import MailboxPort
from drivebot.naming import shown
from drivebot.state.rows import InputStatus
from drivebot.state.store import Store

log = logging.getLogger(__name__)

Item = TypeVar("Item")


@dataclass
class CycleReport:
    files: int = 0
    messages: int = 0
    transient: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    outbox_failures: int = 0
    polls_failed: list[str] = field(default_factory=list)  # a whole poll that did not answer


class Cycle:
    def __init__(
        self,
        store: Store,
        drive: DrivePort,
        mailbox: MailboxPort,
        drive_intake: DriveIntake,
        mail_intake: MailIntake,
        effects: Effects,
        notices: Notices,
        digest: Digest,
        reminders: Reminders,
        watch: PollWatch,
    ):
        self.store = store
        self.drive = drive
        self.mailbox = mailbox
        self.drive_intake = drive_intake
        self.mail_intake = mail_intake
        self.effects = effects
        self.notices = notices
        self.digest = digest
        self.reminders = reminders
        self.watch = watch

    def run(self) -> CycleReport:
        report = CycleReport()
        self.notices.send_held()  # finish what an interrupted cycle left
        self.effects.flush()
        # Mail first: an e-mailed draft is put in the Drive inbox, and taken in just after.
        report.messages = self._poll(
            "mail",
            self.mailbox.poll,
            self.mail_intake.handle,
            lambda ref: (self._said("report.mail", id=ref.id), f"mail:{ref.id}"),
            report,
        )
        report.files = self._poll(
            "drive",
            self.drive.poll,
            self.drive_intake.handle,
            # A changed file (new content, another name, moved) is a new input: tried again.
            lambda f: (
                self._said("report.file", name=shown(f.name)),
                f"drive:{f.id}:{f.folder}:{f.size}:{f.modified}:{f.name}",
            ),
            report,
        )
        self.notices.send_held()  # one acknowledgement per OPD, one notice to reviewers
        # The day's reports: one that fails is logged and tried next cycle; the outbox still
        # goes out (the e-mails already queued must not wait for a broken report).
        self._report_step("digest", self.digest.queue_if_due)
        self._report_step("reminders", self.reminders.queue_if_due)
        self.effects.forget_old_mail(self.notices.config.mail_retention_days)
        self.watch.after_cycle(report.polls_failed)
        report.outbox_failures = self.effects.flush()
        return report

    @staticmethod
    def _report_step(what: str, step: Callable[[], object]) -> None:
        try:
            step()
        except ConfigError:
            raise
        except Exception:
            log.exception("the %s pass failed; it is tried again next cycle", what)

    def _poll(
        self,
        what: str,
        poll: Callable[[str | None], tuple[Sequence[Item], str | None]],
        handle: Callable[[Item], None],
        describe: Callable[[Item], tuple[str, str]],
        report: CycleReport,
    ) -> int:
        """Handle every new input of one port; returns how many there were. `describe` gives an
        input's label (for logs and reports) and its identity (for the failure ledger)."""
        before = len(report.transient)
        previous = self.store.get(f"{what}_cursor")
        try:
            items, cursor = poll(previous)
        except TransientError as exc:
            log.warning("%s poll: %s; trying again next cycle", what, exc)
            report.transient.append(f"{what}: {exc}")
            report.polls_failed.append(f"{what}: {exc}")
            return 0
        for item in items:
            label, identity = describe(item)
            failed = f"failed:{identity}"
            if self.store.processed(failed) is None:  # failed before: reported, left alone
                self.isolated(label, partial(handle, item), report, failed)
        if len(report.transient) == before and cursor != previous:
            with self.store.transaction():
                self.store.put(f"{what}_cursor", cursor)
        return len(items)

    def isolated(
        self, label: str, handle: Callable[[], Any], report: CycleReport, failed_key: str
    ) -> None:
        """Run one input's handling so that its failure touches nothing else. An unexpected
        failure is reported to the admins once and recorded under `failed_key`: the input is
        left alone from then on (`drivebot retry` tries it again), not retried every cycle."""
        try:
            handle()
        except ConfigError:
            raise  # not this input's fault: nothing can work until the setup is fixed
        except Exception as raised:
            exc = as_transient(raised)
            if isinstance(exc, TransientError):
                log.warning("%s: %s; trying again next cycle", label, exc)
                report.transient.append(f"{label}: {exc}")
                if exc is not raised:  # the machine's trouble (a full disk): say so, once a day
                    self._report_waiting(raised)
                return
            log.exception("%s failed", label)
            report.failed.append(f"{label}: {exc}")
            self._report_failure(label, exc, failed_key)

    def _report_waiting(self, raised: Exception) -> None:
        try:
            with self.store.transaction():
                summary = self._said("report.waiting")
                key = f"waiting:{type(raised).__name__}:{getattr(raised, 'errno', '')}"
                self.notices.report_error(summary, f"{type(raised).__name__}: {raised}", key)
        except Exception:  # the disk may be too full to record even that
            log.exception("could not report %s", raised)

    def _said(self, key: str, **values: object) -> str:
        return i18n.text(self.notices.config.language, key, **values)

    def _report_failure(self, label: str, exc: Exception, failed_key: str) -> None:
        """Record the failure and tell the admins, once; reporting must never break the guard."""
        try:
            detail = explain(exc, self.notices.config.language)
            with self.store.transaction():
                self.store.mark_processed(failed_key, InputStatus.FAILED, None, detail[:2000])
                summary = self._said("report.input_failed", what=label)
                self.notices.report_error(summary, detail, f"error:{failed_key}:{detail}")
        except Exception:
            log.exception("could not report the failure of %s", label)
