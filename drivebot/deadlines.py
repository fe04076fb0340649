"""Time limits per stage, and what is due about them today: pure functions over plain data.

A limit is counted from the day a draft entered its stage (or, with `since`, from the day it
left an earlier stage: a Perda is signed within 30 days of the joint approval, whatever steps
lie between), in working days (drivebot.workdays) or, where the rule says days, calendar days.
Day 1 is the first day after the start; the draft is due at the end of the last day and late
from the day after.

What the division is told (`due_notices`), given what the draft's history says it was told
about its current stage entry: one reminder to whoever must act when the deadline is
`remind_before` working days away or less; one escalation to the admins (and whoever
`escalate_to` names) on the first working day late, then one more `escalate_every` working
days after the last (so a daemon that was down on the first day late escalates when it is back,
and the next one waits its full interval). Nothing goes out on a day the office is closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from drivebot.flows import FLOWS, Audience, ProductType
from drivebot.workdays import WorkCalendar


@dataclass(frozen=True)
class Limit:
    days: int
    calendar: bool = False  # calendar days (the rule says "hari"), not working days
    since: str | None = None  # counted from the day the draft left this stage


# Defaults. Sources: Permendagri 80/2015 as amended by 120/2018 (the governor's facilitation:
# 15 working days; the register number: the Regent sends the jointly approved draft within 3
# days and the governor gives the noreg within 7 days of receiving it, so 3 + 7 calendar days
# from the stage's start, one stage here as the division tracks it), UU 12/2011 (a Perda
# signed within 30 days of joint approval); the Kanwil's harmonisation target (about 5 days,
# its published practice). The division's own choices: examination 5 and revision 10 working
# days, the other tracked steps 10. All of them can be changed in drivebot.toml, [deadlines]
# and [deadlines.<type>].
DEFAULTS: dict[str, Limit] = {
    "pemeriksaan": Limit(5),
    "perbaikan": Limit(10),
    "harmonisasi": Limit(5),
    "pembahasan_dprd": Limit(30),
    "fasilitasi_gubernur": Limit(15),
    "persetujuan_bersama": Limit(10),
    "noreg": Limit(10, calendar=True),
    "paraf_koordinasi": Limit(5),
    "penetapan": Limit(10),
    "penomoran": Limit(2),
    "pengundangan": Limit(5),
    "autentikasi": Limit(2),
}
PER_TYPE_DEFAULTS: dict[ProductType, dict[str, Limit]] = {
    ProductType.PERDA: {"penetapan": Limit(30, calendar=True, since="persetujuan_bersama")},
}


@dataclass(frozen=True)
class Settings:
    limits: dict[ProductType, dict[str, Limit]]
    remind_before: int = 2  # working days
    escalate_every: int = 5  # working days
    escalate_to: tuple[str, ...] = ()  # beyond the admins (the head of the division)

    def limit(self, product_type: ProductType, stage: str) -> Limit | None:
        return self.limits.get(product_type, {}).get(stage)


def default_limits(
    overrides: dict[str, Limit] | None = None,
    per_type: dict[ProductType, dict[str, Limit]] | None = None,
) -> dict[ProductType, dict[str, Limit]]:
    """Every flow's limits: the defaults, then [deadlines], then [deadlines.<type>]."""
    limits = {}
    for product_type, stages in FLOWS.items():
        chosen = {**DEFAULTS, **PER_TYPE_DEFAULTS.get(product_type, {}), **(overrides or {})}
        chosen.update((per_type or {}).get(product_type, {}))
        limits[product_type] = {s: chosen[s] for s in stages if s in chosen and chosen[s].days}
    return limits


@dataclass(frozen=True)
class StageClock:
    """Where a draft stands against its stage's limit, as of `today`."""

    stage: str
    started: date
    due: date
    days_in_stage: int  # in the limit's unit
    days_left: int  # 0: due today; negative: that many days late (in the limit's unit)
    limit: Limit

    @property
    def late(self) -> int:
        return max(0, -self.days_left)


# Kept: the dashboard reads every open draft's clock, and drafts that entered their stage on
# the same day stand alike (the calendar is a configuration's, fixed while it lives).
@lru_cache(maxsize=8192)
def stage_clock(
    calendar: WorkCalendar, stage: str, started: date, today: date, limit: Limit
) -> StageClock:
    if limit.calendar:
        due = started + timedelta(days=limit.days)
        return StageClock(stage, started, due, (today - started).days, (due - today).days, limit)
    due = calendar.add(started, limit.days)
    left = calendar.between(today, due)
    if today > due:  # past it on a closed day with no working day since: late all the same
        left = min(left, -1)
    return StageClock(stage, started, due, calendar.between(started, today), left, limit)


def who_acts(stage: str) -> Audience:
    """Who is reminded: the reviewers examine, the OPD revises, the admins follow the steps
    outside the division."""
    if stage == "pemeriksaan":
        return Audience.REVIEWERS
    if stage == "perbaikan":
        return Audience.OPD
    return Audience.ADMINS


@dataclass(frozen=True)
class Told:
    """What a draft's history says it was told about its current stage entry."""

    reminded: bool = False
    escalations: int = 0
    last_escalated: date | None = None  # the office day of the last escalation


@dataclass(frozen=True)
class Reminder:
    reg: str
    clock: StageClock
    to: Audience
    key: str  # the outbox's: one reminder per stage entry


@dataclass(frozen=True)
class Escalation:
    reg: str
    clock: StageClock
    round: int  # 1 the first time, 2 the next, ...


def due_notices(
    calendar: WorkCalendar,
    settings: Settings,
    reg: str,
    entered: str,
    now: StageClock,
    today: date,
    told: Told,
) -> Reminder | Escalation | None:
    """What is due today about one draft's stage clock (`entered`: when it entered the stage,
    as stored, naming the stage entry in the reminder's key), given what it was `told`. None
    on a day the office is closed."""
    if not calendar.is_working_day(today):
        return None
    # remind_before and escalate_every are working days, whatever the limit's unit.
    if today > now.due:
        last = told.last_escalated
        if last is None or calendar.between(last, today) >= settings.escalate_every:
            return Escalation(reg, now, told.escalations + 1)
        return None
    # A stage shorter than the reminder's lead would be reminded of as it starts: its own
    # notice says as much, so it gets none.
    if told.reminded or calendar.between(now.started, now.due) <= settings.remind_before:
        return None
    if calendar.between(today, now.due) <= settings.remind_before:
        key = f"deadline:{reg}:{now.stage}:{entered}:reminder"
        return Reminder(reg, now, who_acts(now.stage), key)
    return None
