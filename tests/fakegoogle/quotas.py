"""Per-user quotas, measured on the fake's clock; enforced with `FakeGoogle(quotas=True)`.

Usage is recorded whether or not limits are enforced, so `google.quota_report()` tells a benchmark
the most units a user spent in any one second and any one minute.

Gmail ("Usage limits", developers.google.com/workspace/gmail/api/reference/quota): per-method
quota units (the table below); 15,000 units per user per minute (the page's per-user limit for
projects that used the API before May 2026; projects created since get 6,000: pass
`gmail_per_minute_limit`), and the per-user mailbox limit of 250 units per moving second (the
older edition of that page: "250 quota units per user per second, moving average"). Gmail answers
both with 429 rateLimitExceeded (the per-minute one in the Cloud-quota wording, as in
github.com/mxngls/gmail-cleaner/issues/5; Google answers it as 403 too). Sending: "Gmail sending
limits in Google Workspace" (support.google.com/a/answer/166852): 2,000 messages a day (500 for
trial accounts; consumer Gmail 500), over a rolling 24 hours; past it Gmail's "Resolve errors"
page says messages.send is answered 429 "User-rate limit exceeded" "(Mail sending)" with a time to
retry.

Drive ("Usage limits", developers.google.com/workspace/drive/api/guides/limits): 12,000 queries
per 60 seconds per user (the table before May 2026; newer projects count 325,000 quota units);
past it "a 403: User rate limit exceeded" (userRateLimitExceeded).
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fakegoogle.discovery import ApiError

if TYPE_CHECKING:
    from fakegoogle.server import FakeGoogle

GMAIL_UNITS = {
    "drafts.create": 10,
    "drafts.delete": 10,
    "drafts.get": 5,
    "drafts.list": 5,
    "drafts.send": 100,
    "drafts.update": 15,
    "getProfile": 1,
    "history.list": 2,
    "labels.create": 5,
    "labels.delete": 5,
    "labels.get": 1,
    "labels.list": 1,
    "labels.update": 5,
    "messages.attachments.get": 5,
    "messages.batchDelete": 50,
    "messages.batchModify": 50,
    "messages.delete": 10,
    "messages.get": 5,
    "messages.import": 25,
    "messages.insert": 25,
    "messages.list": 5,
    "messages.modify": 5,
    "messages.send": 100,
    "messages.trash": 5,
    "messages.untrash": 5,
    "threads.get": 10,
    "threads.list": 10,
    "threads.modify": 10,
}
PROJECT = "project_number:000000000000"


def _stamp(seconds: float) -> str:
    return (
        time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
        + f".{int(seconds % 1 * 1000):03d}Z"
    )


class _Window:
    """The units spent in the last `seconds` (right-closed: (now - seconds, now])."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.events: deque[tuple[float, int]] = deque()
        self.total = 0

    def at(self, now: float) -> int:
        while self.events and self.events[0][0] <= now - self.seconds:
            self.total -= self.events.popleft()[1]
        return self.total

    def add(self, now: float, units: int) -> int:
        self.at(now)
        self.events.append((now, units))
        self.total += units
        return self.total

    def retry_at(self, now: float, limit: int, cost: int) -> float:
        """When enough units will have aged out for `cost` more to fit under `limit`."""
        total = self.at(now)
        for stamp, units in self.events:
            total -= units
            if total + cost <= limit:
                return stamp + self.seconds
        return now + self.seconds


@dataclass
class Usage:
    """One user's use of one API: totals, the busiest second and minute, refusals by reason."""

    units: int = 0
    requests: int = 0
    max_second: int = 0
    max_minute: int = 0
    second: _Window = field(default_factory=lambda: _Window(1))
    minute: _Window = field(default_factory=lambda: _Window(60))
    refused: Counter[str] = field(default_factory=Counter)

    def record(self, now: float, units: int) -> None:
        self.units += units
        self.requests += 1
        self.max_second = max(self.max_second, self.second.add(now, units))
        self.max_minute = max(self.max_minute, self.minute.add(now, units))


class Quotas:
    def __init__(
        self,
        google: FakeGoogle,
        enforce: bool = False,
        gmail_daily_send_limit: int = 2000,
        gmail_per_second_limit: int = 250,
        gmail_per_minute_limit: int = 15_000,
        drive_per_minute_limit: int = 12_000,
    ):
        self.google = google
        self.enforce = enforce
        self.gmail_daily_send_limit = gmail_daily_send_limit
        self.gmail_per_second_limit = gmail_per_second_limit
        self.gmail_per_minute_limit = gmail_per_minute_limit
        self.drive_per_minute_limit = drive_per_minute_limit
        self.usage: dict[tuple[str, str], Usage] = defaultdict(Usage)
        self.sent: dict[str, deque[float]] = defaultdict(deque)
        self.sent_total: Counter[str] = Counter()

    @staticmethod
    def cost(method_id: str) -> int:
        api, _, name = method_id.partition(".")
        if api == "gmail":
            return GMAIL_UNITS.get(name.removeprefix("users."), 1)
        return 1  # Drive counts queries

    def charge(self, user: str, method_id: str) -> None:
        """Count one request; past a limit (when enforced), Google's refusal instead."""
        api = method_id.partition(".")[0]
        usage = self.usage[(user.lower(), api)]
        now, cost = self.google.clock(), self.cost(method_id)
        if self.enforce:
            error = self._over(api, usage, now, cost)
            if error is not None:
                usage.refused[error.reason] += 1
                raise error
        usage.record(now, cost)

    def _over(self, api: str, usage: Usage, now: float, cost: int) -> ApiError | None:
        if api == "gmail":
            if usage.second.at(now) + cost > self.gmail_per_second_limit:
                retry = usage.second.retry_at(now, self.gmail_per_second_limit, cost)
                return ApiError(
                    429,
                    f"User-rate limit exceeded.  Retry after {_stamp(retry)}",
                    "rateLimitExceeded",
                    domain="usageLimits",
                )
            if usage.minute.at(now) + cost > self.gmail_per_minute_limit:
                return _cloud_quota(429, "rateLimitExceeded", "gmail")
        elif api == "drive" and usage.minute.at(now) + cost > self.drive_per_minute_limit:
            return ApiError(
                403,
                "User Rate Limit Exceeded. Rate of requests for user exceed configured project "
                "quota. You may consider re-evaluating expected per-user traffic to the API and "
                "adjust project quota limits accordingly. You may monitor aggregate quota usage "
                "and adjust limits in the API Console: https://console.developers.google.com/"
                "apis/api/drive.googleapis.com/quotas?project=000000000000",
                "userRateLimitExceeded",
                domain="usageLimits",
            )
        return None

    def check_send(self, user: str) -> None:
        """Refuse a message past the daily sending limit (rolling 24 hours), when enforced."""
        sent, now = self.sent[user.lower()], self.google.clock()
        while sent and sent[0] <= now - 86_400:
            sent.popleft()
        if self.enforce and len(sent) >= self.gmail_daily_send_limit:
            self.usage[(user.lower(), "gmail")].refused["dailySendingLimit"] += 1
            raise ApiError(
                429,
                f"User-rate limit exceeded.  Retry after {_stamp(sent[0] + 86_400)} (Mail sending)",
                "rateLimitExceeded",
                domain="usageLimits",
            )

    def record_send(self, user: str) -> None:
        self.sent[user.lower()].append(self.google.clock())
        self.sent_total[user.lower()] += 1

    def report(self) -> dict[str, Any]:
        """Per user and API: units (Gmail) or queries (Drive) spent, the most in any one second
        and any one minute, and the requests refused, by reason."""
        report: dict[str, Any] = {}
        for (user, api), usage in sorted(self.usage.items()):
            entry = {
                "requests": usage.requests,
                "units": usage.units,
                "max_units_per_second": usage.max_second,
                "max_units_per_minute": usage.max_minute,
                "refused": dict(usage.refused),
            }
            if api == "gmail":
                entry["messages_sent"] = self.sent_total[user]
            report.setdefault(user, {})[api] = entry
        return report


def _cloud_quota(code: int, reason: str, api: str) -> ApiError:
    # No google.rpc details: the quoted answers show errors[] as the client's error_details.
    return ApiError(
        code,
        f"Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' "
        f"of service '{api}.googleapis.com' for consumer '{PROJECT}'.",
        reason,
        domain="usageLimits",
    )
