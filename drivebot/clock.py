"""Time, injected: every part of drivebot asks the same clock, so tests can move it.

A clock returns an aware datetime. Records store UTC (ISO 8601); people are shown times in the
configured time zone (`Config.timezone`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, tzinfo

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def iso_utc(moment: datetime) -> str:
    """The moment as stored in records: UTC, to the second ("2026-12-02T04:36:16+00:00")."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def days_since(iso: str, now: datetime) -> int:
    """Whole days from a stored moment to `now` (never negative)."""
    since = datetime.fromisoformat(iso)
    return max((now.astimezone(since.tzinfo) - since).days, 0)


def local_date(iso: str, tz: tzinfo | None) -> str:
    """The calendar day (YYYY-MM-DD) a stored moment falls on in the office's time zone."""
    return datetime.fromisoformat(iso).astimezone(tz).date().isoformat()
