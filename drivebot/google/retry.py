"""Which refusals say "not done, ask again later", and how long to wait before asking.

A call that creates or sends is never resent after its answer was lost (drivebot.google_api,
NOT_RETRIED): it may have been carried out. A quota refusal (429, or a 403 rate-limit reason)
is an answer, and says the call was not carried out, so it may go again: after the time Google
names ("Retry after 2026-12-02T08:59:33.333Z"), or a short backoff. One process cannot see what
another spent of the user's per-second quota (the daemon and a command, or two commands), so
such refusals happen even under drivebot's own limiter.

Gmail's daily sending limit is told apart: 429 "... (Mail sending)" (or dailyLimitExceeded);
waiting seconds will not help, the mail waits until the time Google names.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from googleapiclient.errors import HttpError

RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
LONGEST_WAIT = 60.0  # seconds a refused call waits in place; beyond, it is left for later
_RETRY_AFTER = re.compile(r"Retry after (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)")


def reason(error: HttpError) -> str:
    details = error.error_details
    if isinstance(details, list) and details and isinstance(details[0], dict):
        return str(details[0].get("reason", ""))
    return ""


def is_daily_sending_limit(error: HttpError) -> bool:
    return reason(error) == "dailyLimitExceeded" or (
        error.status_code == 429 and "(Mail sending)" in str(error.reason)
    )


def refused_for_quota(error: HttpError) -> bool:
    """Refused for a per-second or per-minute quota: not carried out, ask again soon."""
    limited = error.status_code == 429 or (
        error.status_code == 403 and reason(error) in RATE_REASONS
    )
    return limited and not is_daily_sending_limit(error)


def retry_at(error: HttpError) -> datetime | None:
    """The moment Google says to ask again, when it names one."""
    found = _RETRY_AFTER.search(str(error.reason))
    if not found:
        return None
    return datetime.fromisoformat(found.group(1).replace("Z", "+00:00"))


def once_unless_refused(
    execute: Callable[[], Any],
    retries: int,
    backoff: Callable[[float], None],
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Any:
    """Run a call that must not be resent blindly: again only after a quota refusal, after
    the time Google names (`sleep`) or a random backoff (`backoff`, which may cap it)."""
    for attempt in range(retries + 1):
        try:
            return execute()
        except HttpError as error:
            if attempt == retries or not refused_for_quota(error):
                raise
            named = retry_at(error)
            if named is None:
                backoff(random.random() * 2**attempt)
                continue
            wait = (named - now()).total_seconds() + 0.05
            if wait > LONGEST_WAIT:
                raise
            sleep(max(wait, 0.0))
    raise AssertionError("unreachable")
