"""Taking a changed drivebot.toml in while the daemon runs, without a restart.

Before each cycle the configuration file's modification time and size are compared with the
ones the running application was built from; when they differ (or SIGHUP asked), the whole
application is built again from the file (a new reviewer, admin, OPD, folder name, wording...
all take effect at that cycle). A file that no longer reads (a typo) is not taken: the daemon
keeps the configuration it has, logs why, and the admins get one e-mail per version of the
file. `poll_interval_seconds` is the one setting that needs a restart (the schedule is set
when the daemon starts).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from drivebot.app.application import App
from drivebot.errors import ConfigError

log = logging.getLogger(__name__)


class Reloading:
    def __init__(self, build: Callable[[], App], config_file: Path):
        self.build = build
        self.config_file = config_file
        self.seen = self._stamp()
        self.app = build()
        self.asked = False

    def ask(self) -> None:
        """Read the file again before the next cycle, changed or not (SIGHUP)."""
        self.asked = True

    def current(self) -> App:
        """The application to run the next cycle with, built again if the file changed."""
        stamp = self._stamp()
        if stamp == self.seen and not self.asked:
            return self.app
        self.asked, self.seen = False, stamp
        try:
            fresh = self.build()
        except ConfigError as error:
            log.error("%s was changed but cannot be used; keeping the running one: %s",
                      self.config_file.name, error)  # fmt: skip
            self.app.report_config_rejected(error, f"{stamp[0]}:{stamp[1]}")
            return self.app
        self.app.close()
        self.app = fresh
        log.info("%s read again", self.config_file.name)
        return self.app

    def _stamp(self) -> tuple[int, int]:
        try:
            status = self.config_file.stat()
        except OSError:
            return (0, 0)  # gone: building anew says so, and the running one is kept
        return (status.st_mtime_ns, status.st_size)
