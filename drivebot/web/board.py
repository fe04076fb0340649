"""The dashboard's board: every open draft as a card in its stage's column, the flowchart's
stages as columns, filtered and searched as the request asks. Dates are the office's (its time
zone), as the registration numbers' years are.

Pure over what it is given (each open draft's Standing: its stage clock and days as of a
day): drivebot.web.dashboard reads the store, keeps the standings while the store is unchanged,
and renders. A column shows at most COLUMN_SHOWN cards, the most overdue first (then
the longest waiting); the rest are counted, and the filters narrow them down.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from drivebot import i18n
from drivebot.deadlines import StageClock
from drivebot.flows import FLOWS, ProductType, is_open
from drivebot.state.rows import Draft

COLUMN_SHOWN = 25


@dataclass(frozen=True)
class Filters:
    opd: str = ""
    product_type: str = ""
    reviewer: str = ""
    year: str = ""
    query: str = ""  # part of a registration number or of a title

    @classmethod
    def of(cls, args: Mapping[str, str]) -> Filters:
        def arg(name: str) -> str:
            return args.get(name, "").strip()[:200]

        return cls(arg("opd"), arg("jenis"), arg("pemeriksa"), arg("tahun"), arg("q"))

    def keeps(self, standing: Standing) -> bool:
        draft, query = standing.draft, self.query.casefold()
        return (
            (not self.opd or draft.opd == self.opd)
            and (not self.product_type or draft.product_type.value == self.product_type)
            and (not self.reviewer or (draft.assignee or "") == self.reviewer)
            and (not self.year or standing.year == self.year)
            and (not query or query in draft.reg.casefold() or query in draft.title.casefold())
        )


@dataclass(frozen=True)
class Standing:
    """A draft and where it stands today: what the board filters, sorts and shows."""

    draft: Draft
    clock: StageClock | None
    days_in_stage: int
    late: int  # days past the stage's limit (0: on time, or no limit)
    year: str  # the year it was received, in the office's time zone

    @property
    def urgency(self) -> tuple[int, int, str]:
        """Most overdue first, then the longest waiting."""
        return -self.late, -self.days_in_stage, self.draft.reg


def standing(draft: Draft, clock: StageClock | None, today: date, tz: tzinfo | None) -> Standing:
    days = clock.days_in_stage if clock else _days_since(draft.stage_since, today, tz)
    return Standing(draft, clock, days, clock.late if clock else 0, received_year(draft, tz))


@dataclass(frozen=True)
class Card:
    reg: str
    title: str
    opd: str
    type_name: str
    version: int
    days_in_stage: int
    late: int  # days past the stage's limit (0: on time, or no limit)
    due: date | None
    assignee: str | None


@dataclass(frozen=True)
class Column:
    stage: str
    label: str
    actor: str
    cards: tuple[Card, ...]
    total: int

    @property
    def hidden(self) -> int:
        return self.total - len(self.cards)


@dataclass(frozen=True)
class Board:
    columns: tuple[Column, ...]
    total: int  # open drafts the filters keep
    late: int
    opds: tuple[str, ...]  # the choices of each filter, from every open draft
    reviewers: tuple[str, ...]
    years: tuple[str, ...]
    types: tuple[tuple[str, str], ...]  # (value, name)


def stage_order() -> list[str]:
    """Every open stage of any flow, in flowchart order (a stage only some flows have comes
    where the first flow that has it puts it)."""
    order: list[str] = []
    for flow in FLOWS.values():
        for index, stage in enumerate(flow):
            if is_open(stage) and stage not in order:
                after = next((s for s in reversed(flow[:index]) if s in order), None)
                order.insert(order.index(after) + 1 if after else 0, stage)
    return order


def build(standings: Sequence[Standing], filters: Filters, lang: str) -> Board:
    """The board of the open drafts among `standings`; cards only for the ones it shows."""
    open_ones = [one for one in standings if is_open(one.draft.stage)]
    kept = [one for one in open_ones if filters.keeps(one)]
    stacks: dict[str, list[Standing]] = {stage: [] for stage in stage_order()}
    for one in kept:
        stacks.setdefault(one.draft.stage, []).append(one)
    columns = tuple(
        Column(
            stage,
            i18n.stage_label(lang, stage),
            i18n.stage_actor(lang, stage),
            tuple(
                card_of(one, lang)
                for one in heapq.nsmallest(COLUMN_SHOWN, stacked, key=lambda s: s.urgency)
            ),
            len(stacked),
        )
        for stage, stacked in stacks.items()
    )
    return Board(
        columns=columns,
        total=len(kept),
        late=sum(1 for one in kept if one.late),
        opds=tuple(sorted({one.draft.opd for one in open_ones})),
        reviewers=tuple(sorted({d.assignee for one in open_ones if (d := one.draft).assignee})),
        years=tuple(sorted({one.year for one in open_ones}, reverse=True)),
        types=tuple((t.value, i18n.product_name(lang, t)) for t in ProductType),
    )


def card_of(one: Standing, lang: str) -> Card:
    draft, clock = one.draft, one.clock
    return Card(
        reg=draft.reg,
        title=draft.title,
        opd=draft.opd,
        type_name=i18n.product_name(lang, draft.product_type),
        version=draft.version,
        days_in_stage=one.days_in_stage,
        late=one.late,
        due=clock.due if clock else None,
        assignee=draft.assignee,
    )


def received_year(draft: Draft, tz: tzinfo | None) -> str:
    """The year the office received the draft, in its time zone (as its number says)."""
    return str(datetime.fromisoformat(draft.created_at).astimezone(tz).year)


def _days_since(since: str, today: date, tz: tzinfo | None) -> int:
    return max(0, (today - datetime.fromisoformat(since).astimezone(tz).date()).days)
