"""Signing in to the dashboard: passwords, and repeated failures slowed down.

Passwords are hashed with argon2id (argon2-cffi, the reference implementation's binding, with
its RFC 9106 defaults): a stolen state file does not give the passwords away. An unknown or
removed account is checked against a stand-in hash, so the time taken does not tell which
e-mail addresses have accounts.

Failures are counted in the server's memory (a restart forgets them, as it forgets nothing
else that matters) per e-mail address and client together, and per client alone: the first
FREE_FAILURES (CLIENT_FREE_FAILURES for a client, which may be a whole office behind one
address) in WINDOW seconds cost nothing, then each further attempt must wait, twice as long as
the last, up to MOST_WAIT. A correct password given while waiting is refused too, or guessing
would only be slowed for wrong ones. Not per address alone: then anyone who knows an admin's
address could keep the admin out.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from drivebot.errors import Refused
from drivebot.state.accounts import Account

MIN_PASSWORD = 10  # characters; NIST SP 800-63B asks for at least 8
FREE_FAILURES = 5
CLIENT_FREE_FAILURES = 20
WINDOW = 15 * 60  # seconds
FIRST_WAIT, MOST_WAIT = 2, 15 * 60  # seconds
_KEYS_KEPT = 10_000

_HASHER = PasswordHasher()


@cache
def _stand_in() -> str:
    return _HASHER.hash("drivebot: an account that does not exist")


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise Refused("password_short", n=MIN_PASSWORD)
    return _HASHER.hash(password)


def password_matches(account: Account | None, password: str) -> bool:
    """The account exists, is not removed, has a password, and `password` is it."""
    stored = account.password_hash if account is not None and account.active else None
    try:
        matched: bool = _HASHER.verify(stored or _stand_in(), password)
    except (VerificationError, InvalidHashError):
        matched = False
    return matched and stored is not None


def session_stamp(account: Account) -> str:
    """Kept in the session: a new password, a new role or removing the account changes it, and
    every session signed in before ends."""
    seed = f"{account.email}\n{account.role}\n{account.password_hash}\n{account.removed_at}"
    return hashlib.sha256(seed.encode()).hexdigest()[:24]


class Throttle:
    """Sign-in attempts per key, thread-safe. An attempt counts as a failure from the moment it
    is allowed until it succeeds, so requests sent at once cannot all slip through while the
    first one's password is still being checked."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._failures: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def attempt(self, keys: Iterable[tuple[str, int]]) -> int:
        """Seconds before any of `keys` (each with the failures it may have for free) may try
        again; 0 when it may now, and then the attempt is counted."""
        now = self._clock()
        with self._lock:
            keys = list(keys)
            wait = max((self._wait(key, free, now) for key, free in keys), default=0)
            if not wait:
                for key, _ in keys:
                    self._failures[key] = [*self._recent(key, now), now]
                    self._failures.move_to_end(key)
                while len(self._failures) > _KEYS_KEPT:  # addresses sprayed by a script
                    self._failures.popitem(last=False)
            return wait

    def succeeded(self, keys: Iterable[tuple[str, int]]) -> None:
        with self._lock:
            for key, _ in keys:
                self._failures.pop(key, None)

    def _recent(self, key: str, now: float) -> list[float]:
        return [at for at in self._failures.get(key, []) if now - at < WINDOW]

    def _wait(self, key: str, free: int, now: float) -> int:
        recent = self._recent(key, now)
        over = len(recent) - free
        if over < 0:
            return 0
        wait = min(FIRST_WAIT * 2**over, MOST_WAIT)
        return max(0, int(recent[-1] + wait - now + 0.999))
