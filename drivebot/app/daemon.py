"""The daemon loop: run a cycle every interval until told to stop, and stop warmly.

The first SIGTERM (or Ctrl-C) lets the cycle under way finish, then the loop ends; a second one
stops at once (the cycle is interrupted; the outbox and the processed ledger make that safe).
Between cycles the loop waits in short slices and looks at the stop flag after each, so a stop
never waits for the interval. (The signal handler only sets the flag: waking a
threading.Event from a handler could deadlock on the event's own lock.) `schedule` keeps the
cycles on their interval. SIGHUP runs `on_hangup` and a cycle at once, between cycles (the CLI
reads drivebot.toml again then: drivebot.app.reload).
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import cast

import schedule

from drivebot.errors import ConfigError

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
WAIT_SLICE = 0.25  # seconds between looks at the stop flag while idle


class Daemon:
    """`cycle` runs once at start and then every `interval` seconds. An error in a cycle is
    logged and the next cycle tries again, except a ConfigError, which ends the loop (raised)."""

    def __init__(
        self,
        cycle: Callable[[], None],
        interval: float,
        on_stopping: Callable[[], None] = lambda: None,
        on_hangup: Callable[[], None] = lambda: None,
    ):
        self.cycle = cycle
        self.interval = interval
        self.on_stopping = on_stopping  # told when the first signal arrives
        self.on_hangup = on_hangup  # told on SIGHUP, before the cycle it brings forward
        self.stopping = False
        self.hung_up = False

    def stop(self) -> None:
        """Finish the cycle under way, then end (what the first signal does)."""
        self.stopping = True

    def run(self) -> None:
        scheduler = schedule.Scheduler()
        # schedule takes seconds as a float too (its type hints say int).
        scheduler.every(cast(int, self.interval)).seconds.do(self._one_cycle)
        with self._signals():
            self._one_cycle()
            while not self.stopping:
                time.sleep(min(max(scheduler.idle_seconds or 0.0, 0.0), WAIT_SLICE))
                if self.hung_up and not self.stopping:
                    self.hung_up = False
                    self.on_hangup()
                    self._one_cycle()
                elif not self.stopping:
                    scheduler.run_pending()

    def _one_cycle(self) -> None:
        try:
            self.cycle()
        except (ConfigError, KeyboardInterrupt):
            raise
        except Exception:  # one bad cycle must not stop the daemon; the next one retries
            log.exception("poll cycle failed; trying again in %s s", self.interval)

    @contextmanager
    def _signals(self) -> Iterator[None]:
        def on_signal(signum: int, frame: FrameType | None) -> None:
            if self.stopping:
                raise KeyboardInterrupt  # the second signal: stop now
            log.info("signal %s: stopping after this cycle", signum)
            self.stop()
            self.on_stopping()

        def on_hangup(signum: int, frame: FrameType | None) -> None:
            self.hung_up = True

        previous = {sig: signal.signal(sig, on_signal) for sig in STOP_SIGNALS}
        previous[signal.SIGHUP] = signal.signal(signal.SIGHUP, on_hangup)
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
