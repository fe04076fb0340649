"""Injected faults: a seeded random rate, and per-method schedules that come first.

`google.faults.set_rate(0.1, kinds=(Fault.UNAVAILABLE, Fault.DROP), methods={...})`, or
`google.faults.schedule("drive.files.create", Fault.DROP_AFTER, None, Fault.RATE_LIMIT)`;
`google.faults.injected` counts what was injected ("drive.files.create drop-after": 1).
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict, deque
from enum import StrEnum

from fakegoogle.discovery import ApiError


class Fault(StrEnum):
    RATE_LIMIT = "429"
    SERVER_ERROR = "500"
    UNAVAILABLE = "503"
    DROP = "drop"  # the connection closes without an answer
    UNAUTHORIZED = "401"  # the login was revoked: not the request's fault
    FORBIDDEN = "403"  # the bot's access to a file or folder was taken away
    # The request is carried out (the file exists, the message is in SENT), then the connection
    # closes with no answer. Meant for what creates or sends (files.create, files.copy,
    # files.update, messages.send). On a resumable upload's first request it waits for the
    # request that completes the upload; on a middle chunk that chunk is kept, then dropped.
    DROP_AFTER = "drop-after"
    # A resumable upload's first request is answered 200 without a Location header (no session),
    # as a misbehaving proxy would; the client library raises ResumableUploadError. Any other
    # request it falls on goes through.
    NO_SESSION = "no-session"


_FAULT_ERRORS = {
    Fault.RATE_LIMIT: ApiError(429, "Rate Limit Exceeded", "rateLimitExceeded"),
    Fault.SERVER_ERROR: ApiError(500, "Internal Error", "backendError"),
    Fault.UNAVAILABLE: ApiError(503, "The service is currently unavailable.", "backendError"),
    Fault.UNAUTHORIZED: ApiError(
        401,
        "Invalid Credentials",
        "authError",
        "Authorization",
        location_type="header",
        headers={
            "WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"'
        },
    ),
    Fault.FORBIDDEN: ApiError(
        403,
        "The user does not have sufficient permissions for this file.",
        "insufficientFilePermissions",
    ),
}


class Faults:
    """Deterministic fault injection: a seeded rate, and per-method schedules that come first."""

    def __init__(self, seed: int = 0):
        self.random = random.Random(seed)
        self.rate = 0.0
        self.kinds: tuple[Fault, ...] = (Fault.UNAVAILABLE,)
        self.methods: set[str] | None = None
        self.scheduled: dict[str, deque[Fault | None]] = defaultdict(deque)
        self.injected: Counter[str] = Counter()

    def set_rate(
        self,
        rate: float,
        kinds: tuple[Fault, ...] = (Fault.UNAVAILABLE,),
        methods: set[str] | None = None,
    ) -> None:
        self.rate, self.kinds, self.methods = rate, kinds, methods

    def schedule(self, method_id: str, *faults: Fault | None) -> None:
        """The next calls of `method_id` get these faults in order (None lets one through)."""
        self.scheduled[method_id].extend(faults)

    def next(self, method_id: str) -> Fault | None:
        if self.scheduled[method_id]:
            fault = self.scheduled[method_id].popleft()
        elif (
            self.rate
            and (self.methods is None or method_id in self.methods)
            and self.random.random() < self.rate
        ):
            fault = self.random.choice(self.kinds)
        else:
            fault = None
        if fault:
            self.injected[f"{method_id} {fault}"] += 1
        return fault
