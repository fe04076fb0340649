"""The dashboard's figures, where people would rather look than read: drafts received and
archived per month, days per stage (median and 90th percentile), revision rounds per draft,
and late drafts per OPD. Pure over what the store gives (drivebot.state.changes) and the
board's standings; drivebot.web.svg draws them.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from drivebot import i18n
from drivebot.flows import is_open
from drivebot.state.rows import Draft
from drivebot.web.board import Standing, stage_order

MONTHS = 12


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    shown: str  # the value as the chart writes it ("12", "4,5")


@dataclass(frozen=True)
class Chart:
    key: str
    bars: tuple[Bar, ...]


def charts(
    drafts: Sequence[Draft],
    changes: Sequence[tuple[str, str, str, str]],
    revision_rounds: dict[str, int],
    standings: Iterable[Standing],
    tz: tzinfo | None,
    today: date,
    lang: str,
) -> tuple[Chart, ...]:
    """Every chart of the figures page, in its order."""
    archived = [at for _, at, _, after in changes if after == "arsip"]
    medians, p90s = stage_days(changes, {d.reg: d.created_at for d in drafts}, lang)
    received = office_days((d.created_at for d in drafts), tz)
    return (
        Chart("in", per_month(received, today, lang)),
        Chart("archived", per_month(office_days(archived, tz), today, lang)),
        Chart("median", medians),
        Chart("p90", p90s),
        Chart("rounds", rounds(drafts, revision_rounds, i18n.section(lang, "dashboard"))),
        Chart("late", late_per_opd(standings)),
    )


def months_back(today: date, count: int = MONTHS) -> list[tuple[int, int]]:
    """The last `count` months up to today's, oldest first, as (year, month)."""
    index = today.year * 12 + today.month - 1
    return [divmod(n, 12) for n in range(index - count + 1, index + 1)]


def per_month(days: Iterable[date], today: date, lang: str) -> tuple[Bar, ...]:
    counted = Counter((day.year, day.month - 1) for day in days)
    return tuple(
        Bar(_month(lang, year, month), counted[(year, month)], str(counted[(year, month)]))
        for year, month in months_back(today)
    )


def stage_days(
    changes: Sequence[tuple[str, str, str, str]], created: dict[str, str], lang: str
) -> tuple[tuple[Bar, ...], tuple[Bar, ...]]:
    """(median, 90th percentile) of the calendar days spent at each stage the drafts left."""
    spent: dict[str, list[float]] = defaultdict(list)
    entered: dict[str, str] = {}
    for reg, at, before, _after in changes:
        since = entered.get(reg) or created.get(reg)
        if since is not None:
            elapsed = datetime.fromisoformat(at) - datetime.fromisoformat(since)
            spent[before].append(elapsed.total_seconds() / 86400)
        entered[reg] = at
    stages = [stage for stage in stage_order() if spent.get(stage)]
    medians = tuple(_bar(lang, stage, statistics.median(spent[stage])) for stage in stages)
    p90s = tuple(_bar(lang, stage, _percentile(spent[stage], 90)) for stage in stages)
    return medians, p90s


def rounds(
    drafts: Iterable[Draft], counted: dict[str, int], words: dict[str, str]
) -> tuple[Bar, ...]:
    """How many drafts went back for revision 0, 1, 2 and 3 or more times."""
    histogram = Counter(min(counted.get(draft.reg, 0), 3) for draft in drafts)
    labels = (words["rounds_0"], words["rounds_1"], words["rounds_2"], words["rounds_3"])
    return tuple(Bar(labels[n], histogram[n], str(histogram[n])) for n in range(4))


def late_per_opd(standings: Iterable[Standing]) -> tuple[Bar, ...]:
    late = Counter(one.draft.opd for one in standings if one.late and is_open(one.draft.stage))
    return tuple(Bar(opd, n, str(n)) for opd, n in late.most_common())


def office_days(isos: Iterable[str], tz: tzinfo | None) -> list[date]:
    return [datetime.fromisoformat(iso).astimezone(tz).date() for iso in isos]


def _bar(lang: str, stage: str, days: float) -> Bar:
    return Bar(i18n.stage_label(lang, stage), days, _number(lang, days))


def _percentile(values: list[float], percent: int) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]


def _number(lang: str, value: float) -> str:
    text = f"{value:.1f}"
    return text.replace(".", ",") if lang == "id" else text


def _month(lang: str, year: int, month: int) -> str:
    name = i18n.long_date(lang, date(year, month + 1, 1)).split(" ")[1]
    return f"{name[:3]} {year}"
