"""Working days (hari kerja) as the division counts them: not a weekend, not a national holiday,
not a day of collective leave (cuti bersama).

National holidays and cuti bersama come from the `holidays` library's Indonesian calendar (its
"public" and "government" categories: the joint decree's cuti bersama days are in the latter).
Cuti bersama is set each year by a joint ministerial decree, and a regency may close on a day
of its own, so the configuration adds days off and removes listed ones (`[calendar]`).
Pure: no clock and no I/O; the caller says what "today" is.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import cached_property

import holidays


class WorkCalendar:
    def __init__(self, days_off: Iterable[date] = (), days_on: Iterable[date] = ()) -> None:
        self.days_off = frozenset(days_off)  # beyond the national list (a regency's own)
        self.days_on = frozenset(days_on)  # listed as holidays, worked anyway

    @cached_property
    def _national(self) -> holidays.HolidayBase:
        # Years are added as they are asked about (expand): any date can be looked up.
        return holidays.country_holidays("ID", categories=("public", "government"))

    def is_working_day(self, day: date) -> bool:
        if day in self.days_on:
            return True
        return day.weekday() < 5 and day not in self.days_off and day not in self._national

    def add(self, start: date, days: int) -> date:
        """The `days`-th working day after `start` (`start` itself not counted)."""
        day, left = start, days
        while left > 0:
            day += timedelta(days=1)
            left -= self.is_working_day(day)
        return day

    def between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end`; negative when `end` comes
        first (how many working days `end` lies before `start`)."""
        if end < start:
            return -self.between(end, start)
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count
