"""Working days (hari kerja) as the division counts them: not a weekend, not a national holiday,
not a day of collective leave (cuti bersama).

National holidays and cuti bersama come from the `holidays` library's Indonesian calendar (its
"public" and "government" categories: the joint decree's cuti bersama days are in the latter).
Cuti bersama is set each year by a joint ministerial decree, and a regency may close on a day
of its own, so the configuration adds days off and removes listed ones (`[calendar]`).
Pure: no clock and no I/O; the caller says what "today" is. Safe to share between threads.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections.abc import Iterable
from datetime import date, timedelta
from functools import cached_property

import holidays


class WorkCalendar:
    def __init__(self, days_off: Iterable[date] = (), days_on: Iterable[date] = ()) -> None:
        self.days_off = frozenset(days_off)  # beyond the national list (a regency's own)
        self.days_on = frozenset(days_on)  # listed as holidays, worked anyway
        self._closed_years: dict[int, list[date]] = {}
        self._added: dict[tuple[date, int], date] = {}
        self._lock = threading.Lock()

    @cached_property
    def _national(self) -> holidays.HolidayBase:
        # Years are added as they are asked about (expand): any date can be looked up.
        return holidays.country_holidays("ID", categories=("public", "government"))

    def is_working_day(self, day: date) -> bool:
        if day in self.days_on:
            return True
        if day.weekday() >= 5 or day in self.days_off:
            return False
        with self._lock:  # a lookup may load a year into the shared calendar
            return day not in self._national

    def add(self, start: date, days: int) -> date:
        """The `days`-th working day after `start` (`start` itself not counted). Remembered:
        the board asks it for thousands of drafts that entered their stages on the same days."""
        key = (start, days)
        if key not in self._added:
            day, left = start, days
            while left > 0:
                day += timedelta(days=1)
                left -= self.is_working_day(day)
            self._added[key] = day
        return self._added[key]

    def between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end`; negative when `end` comes
        first (how many working days `end` lies before `start`). Counted, not walked: the
        weekdays by arithmetic, less the closed weekdays of each year in between (a draft
        years old costs as little as one from yesterday)."""
        if end < start:
            return -self.between(end, start)
        closed = 0
        for year in range(start.year, end.year + 1):
            days = self._closed(year)
            closed += bisect_right(days, end) - bisect_right(days, start)
        opened = bisect_right(self._weekends_on, end) - bisect_right(self._weekends_on, start)
        return _weekdays_through(end) - _weekdays_through(start) - closed + opened

    def _closed(self, year: int) -> list[date]:
        """The weekdays of `year` that are not working days, in order."""
        if year not in self._closed_years:
            with self._lock:  # the web app's threads share one calendar
                self._national.get(date(year, 1, 1))  # a lookup loads the year's holidays
                days = {d for d in self._national if d.year == year}
            days |= {d for d in self.days_off if d.year == year}
            self._closed_years[year] = sorted(
                d for d in days if d.weekday() < 5 and d not in self.days_on
            )
        return self._closed_years[year]

    @cached_property
    def _weekends_on(self) -> list[date]:
        return sorted(d for d in self.days_on if d.weekday() >= 5)


def _weekdays_through(day: date) -> int:
    """Weekdays from 1 January of year 1 (a Monday) up to and including `day`."""
    weeks, rest = divmod(day.toordinal(), 7)
    return weeks * 5 + min(rest, 5)
