"""The application: drivebot's parts wired around one store, one Drive and one mailbox.

`App` is what the daemon and every command that changes something run on; drivebot.bootstrap
builds it from the configuration (and builds only a store, or an archive reader, for the
read-only commands). It holds no logic of its own: the cycle, the intakes, the commands and the
outbox each live in their own module.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from drivebot import i18n
from drivebot.app.actions import Actions
from drivebot.app.archive_commands import ArchiveCommands
from drivebot.app.commands import Commands
from drivebot.app.cycle import Cycle, CycleReport
from drivebot.app.digest import Digest
from drivebot.app.drive_intake import DriveIntake
from drivebot.app.effects import Effects
from drivebot.app.health import STOPPED
from drivebot.app.inputs import Inputs
from drivebot.app.leftovers import clear_scratch
from drivebot.app.lock import WorkspaceLock
from drivebot.app.mail_intake import MailIntake
from drivebot.app.notices import Notices
from drivebot.app.reminders import Reminders
from drivebot.app.watch import PollWatch
from drivebot.archive.archiver import Archiver
from drivebot.clock import Clock, system_clock
from drivebot.config import Config
from drivebot.drive import DrivePort
from drivebot.errors import explain
from drivebot.gmail import MailboxPort
from drivebot.naming import RegistrationNumbers
from drivebot.state.outbox import StampArchive
from drivebot.state.rows import Draft
from drivebot.state.store import Store

log = logging.getLogger(__name__)


class App:
    def __init__(
        self,
        config: Config,
        store: Store,
        drive: DrivePort,
        mailbox: MailboxPort,
        clock: Clock = system_clock,
        on_lock_wait: Callable[[], None] = lambda: None,
    ):
        self.config = config
        self.store = store
        self.drive = drive
        self.mailbox = mailbox
        self.clock = clock
        self.regs = RegistrationNumbers(config.registration_prefix)
        self.lock = WorkspaceLock(config.workspace, on_lock_wait)
        self._archiver: Archiver | None = None
        self._leftovers_cleared = False
        self.notices = Notices(config, store, clock, self._verify_url)
        self.actions = Actions(config, store, self.notices, self.regs, clock)
        self.inputs = Inputs(config, store, self.notices)
        self.effects = Effects(
            store,
            drive,
            mailbox,
            self.notices,
            self._stamp_and_archive,
            self._sync_ledger_copy,
        )
        self.drive_intake = DriveIntake(
            config, store, drive, self.notices, self.actions, self.inputs, self.regs, clock
        )
        self.mail_intake = MailIntake(
            config, store, drive, mailbox, self.notices, self.inputs, self.regs
        )
        self.reminders = Reminders(config, store, self.notices, clock)
        self.digest = Digest(config, store, self.notices, clock)
        self.commands = Commands(
            config,
            store,
            drive,
            mailbox,
            self.lock,
            self.actions,
            self.effects,
            self.drive_intake,
            self.regs,
            lambda: self.archiver,
        )
        self.archive = ArchiveCommands(self.lock, lambda: self.archiver)
        self._cycle = Cycle(
            store,
            drive,
            mailbox,
            self.drive_intake,
            self.mail_intake,
            self.effects,
            self.notices,
            self.digest,
            self.reminders,
            PollWatch(config, store, self.notices, clock),
        )

    @property
    def archiver(self) -> Archiver:
        """Built when first needed: it loads the signing key."""
        if self._archiver is None:
            self._archiver = Archiver(self.config, self.store, self.drive)
        return self._archiver

    def cycle(self) -> CycleReport:
        """One poll cycle, holding the workspace lock. The signing key is loaded first: a key
        lost after products were signed stops drivebot before it takes anything in."""
        with self.lock.hold():
            _ = self.archiver
            if not self._leftovers_cleared:
                self._clear_leftovers()
            report = self._cycle.run()
            if self.store.get(STOPPED) is not None:  # running again after a stop
                with self.store.transaction():
                    self.store.put(STOPPED, None)
            return report

    def _clear_leftovers(self) -> None:
        """What a run killed mid-work left (temporary files, half-copied files, half-written
        mail), removed at the first cycle: the lock says that run is over."""
        removed = (
            clear_scratch(self.config.workspace)
            + self.drive.clear_leftovers()
            + self.mailbox.clear_leftovers()
        )
        if removed:
            log.info("removed %s leftovers of an earlier run", removed)
        self._leftovers_cleared = True

    def report_stop(self, error: Exception) -> None:
        """Best effort: one e-mail telling the admins the daemon stopped, when mail still works
        (a refused Google login may be the very reason it stopped)."""
        said = explain(error, self.config.language)
        self._tell_admins_now("report.stopped", said, f"stopped:{error}", stopped=True)

    def report_config_rejected(self, error: Exception, version: str) -> None:
        """A changed drivebot.toml cannot be used: the daemon goes on with the one it has."""
        said = explain(error, self.config.language)
        self._tell_admins_now("report.config_rejected", said, f"config:{version}")

    def _tell_admins_now(self, summary: str, said: str, key: str, stopped: bool = False) -> None:
        """One e-mail to the admins, sent at once (nothing else is), told once per `key`."""
        try:
            with self.lock.hold():
                with self.store.transaction():
                    if stopped:
                        self.store.put(STOPPED, said[:1000])
                    item = self.notices.report_error(
                        i18n.text(self.config.language, summary), said, key
                    )
                if item is not None:
                    self.effects.flush(only={item})  # nothing else: the rest waits for the fix
        except Exception:
            log.exception("could not tell the admins: %s", said)

    def close(self) -> None:
        self.store.close()

    def _verify_url(self, draft: Draft) -> str | None:
        return None if draft.number is None else self.archiver.verify_url(draft)

    def _sync_ledger_copy(self) -> None:
        # Only where the archiver was built (every cycle builds it; a command that archives
        # nothing need not load the signing key for this).
        if self._archiver is not None:
            self._archiver.sync_ledger_copy()

    def _stamp_and_archive(self, effect: StampArchive) -> None:
        self.archiver.stamp_and_archive(effect)
