"""Staying inside Google's quotas from the first second of a backlog.

Gmail counts quota units per method and allows 250 units per user in any second (and a budget
per minute); Drive counts queries per user per minute. A token bucket lets a burst as large as
its capacity through at once, on top of what it refills within the same second, so it cannot
promise "at most N in any second". `WindowLimiter` keeps what was spent in each window and
waits until a new call fits in every one of them, a little under Google's figures.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

MARGIN = 0.9  # spend at most this share of each published limit...
# ...over windows a little longer than Google's: a request reaches Google some milliseconds after
# it was counted here, and that delay varies, so calls a second apart here can arrive closer.
LATENCY = 0.2  # seconds added to each window

# Gmail's published quota units per method (anything not listed costs 1); Drive counts queries.
GMAIL_UNITS = {
    "gmail.users.getProfile": 1,
    "gmail.users.labels.list": 1,
    "gmail.users.history.list": 2,
    "gmail.users.labels.create": 5,
    "gmail.users.messages.list": 5,
    "gmail.users.messages.get": 5,
    "gmail.users.messages.attachments.get": 5,
    "gmail.users.messages.modify": 5,
    "gmail.users.messages.batchModify": 50,
    "gmail.users.messages.send": 100,
}
GMAIL_UNITS_PER_SECOND = 250  # per user
GMAIL_UNITS_PER_MINUTE = 15_000  # per user
DRIVE_QUERIES_PER_MINUTE = 12_000  # per user


class _Window:
    def __init__(self, seconds: float, limit: float):
        self.seconds = seconds
        self.limit = limit
        self.spent: deque[tuple[float, float]] = deque()  # (when, units), oldest first
        self.total = 0.0

    def forget_before(self, now: float) -> None:
        while self.spent and self.spent[0][0] <= now - self.seconds:
            self.total -= self.spent.popleft()[1]

    def wait_for(self, now: float, units: float) -> float:
        """How long until `units` more fit (a call larger than the limit fits an empty one)."""
        if self.total + units <= self.limit or not self.spent:
            return 0.0
        remaining = self.total
        for at, spent in self.spent:  # the oldest calls leave the window first
            remaining -= spent
            if remaining + units <= self.limit or remaining <= 0:
                return at + self.seconds - now
        return 0.0


class WindowLimiter:
    """At most `limit` units in any `seconds`-long window, for each (seconds, limit) given.

    `take(units)` waits until the call fits in every window, then records it; returns the
    seconds it waited. `clock` and `sleep` are injectable for tests."""

    def __init__(
        self,
        windows: Sequence[tuple[float, float]],
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.windows = [_Window(seconds + LATENCY, limit * MARGIN) for seconds, limit in windows]
        self.clock = clock
        self.sleep = sleep
        self._lock = threading.Lock()

    def take(self, units: float = 1) -> float:
        waited = 0.0
        with self._lock:
            while True:
                now = self.clock()
                for window in self.windows:
                    window.forget_before(now)
                wait = max(window.wait_for(now, units) for window in self.windows)
                if wait <= 0:
                    for window in self.windows:
                        window.spent.append((now, units))
                        window.total += units
                    return waited
                self.sleep(wait)
                waited += wait


@dataclass
class Guard:
    """What every request of one API goes through: its quota and its retry policy."""

    limiter: WindowLimiter
    units: dict[str, int] = field(default_factory=dict)
    num_retries: int = 5
    max_backoff: float = 8.0

    def sleep(self, seconds: float) -> None:
        time.sleep(min(seconds, self.max_backoff))

    def cost(self, method_id: str | None) -> int:
        return self.units.get(method_id or "", 1)


def drive_guard(max_backoff: float = 8.0) -> Guard:
    return Guard(WindowLimiter([(60.0, DRIVE_QUERIES_PER_MINUTE)]), max_backoff=max_backoff)


def gmail_guard(max_backoff: float = 8.0) -> Guard:
    windows = [(1.0, GMAIL_UNITS_PER_SECOND), (60.0, GMAIL_UNITS_PER_MINUTE)]
    return Guard(WindowLimiter(windows), GMAIL_UNITS, max_backoff=max_backoff)
