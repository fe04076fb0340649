"""Time limits per stage, and what is due about them today: pure functions over plain data.

A limit is counted from the day a draft entered its stage (or, with `since`, from the day it
left an earlier stage: a Perda is signed within 30 days of the joint approval, whatever steps
lie between), in working days (drivebot.workdays) or, where the rule says days, calendar days.
Day 1 is the first day after the start; the draft is due at the end of the last day and late
from the day after.

What the division is told (`due_notices`): one reminder to whoever must act when the deadline
is `remind_before` working days away or less; one escalation to the admins (and whoever
`escalate_to` names) on the first working day late, then one more every `escalate_every`
working days late. Each has a key that names the draft, its stage entry and the step, so the
outbox sends it once, across crashes and restarts. Nothing goes out on a day the office is
closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from drivebot.flows import FLOWS, Audience, ProductType
from drivebot.workdays import WorkCalendar


@dataclass(frozen=True)
class Limit:
    days: int
    calendar: bool = False  # calendar days (the rule says "hari"), not working days
    since: str | None = None  # counted from the day the draft left this stage


# Defaults. Sources: Permendagri 80/2015 as amended by 120/2018 (the governor's facilitation:
# 15 working days; the register number: 7 days), UU 12/2011 (a Perda signed within 30 days of
# joint approval); the Kanwil's harmonisation target (about 5 days, its published practice).
# The division's own choices: examination 5 and revision 10 working days, the other tracked
# steps 10. All of them can be changed in drivebot.toml, [deadlines] and [deadlines.<type>].
DEFAULTS: dict[str, Limit] = {
    "pemeriksaan": Limit(5),
    "perbaikan": Limit(10),
    "harmonisasi": Limit(5),
    "pembahasan_dprd": Limit(30),
    "fasilitasi_gubernur": Limit(15),
    "persetujuan_bersama": Limit(10),
    "noreg": Limit(7),
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
class Reminder:
    reg: str
    clock: StageClock
    to: Audience
    key: str


@dataclass(frozen=True)
class Escalation:
    reg: str
    clock: StageClock
    key: str
    round: int  # 1 on the first day late, 2 after escalate_every more, ...


def due_notices(
    calendar: WorkCalendar, settings: Settings, reg: str, entered: str, now: StageClock, today: date
) -> Reminder | Escalation | None:
    """What is due today about one draft's stage clock (`entered`: when it entered the stage,
    as stored, naming the stage entry in the keys). None on a day the office is closed."""
    if not calendar.is_working_day(today):
        return None
    key = f"deadline:{reg}:{now.stage}:{entered}"
    # remind_before and escalate_every are working days, whatever the limit's unit.
    if today > now.due:
        round_ = 1 + (max(calendar.between(now.due, today), 1) - 1) // settings.escalate_every
        return Escalation(reg, now, f"{key}:escalation:{round_}", round_)
    # A stage shorter than the reminder's lead would be reminded of as it starts: its own
    # notice says as much, so it gets none.
    if calendar.between(now.started, now.due) <= settings.remind_before:
        return None
    if calendar.between(today, now.due) <= settings.remind_before:
        return Reminder(reg, now, who_acts(now.stage), f"{key}:reminder")
    return None
