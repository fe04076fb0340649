"""The dashboard's board: every open draft as a card in its stage's column, the flowchart's
stages as columns, filtered and searched as the request asks. Dates are the office's (its time
zone), as the registration numbers' years are.

Pure over what it is given (the drafts, their stage clocks, the day): drivebot.web.dashboard
reads the store and renders. A column shows at most COLUMN_SHOWN cards, the most overdue first (then
the longest waiting); the rest are counted, and the filters narrow them down.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from drivebot import i18n
from drivebot.deadlines import StageClock
from drivebot.flows import FLOWS, ProductType, is_open
from drivebot.state.rows import Draft

COLUMN_SHOWN = 50


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

    def keeps(self, draft: Draft, tz: tzinfo | None) -> bool:
        query = self.query.casefold()
        return (
            (not self.opd or draft.opd == self.opd)
            and (not self.product_type or draft.product_type.value == self.product_type)
            and (not self.reviewer or (draft.assignee or "") == self.reviewer)
            and (not self.year or received_year(draft, tz) == self.year)
            and (not query or query in draft.reg.casefold() or query in draft.title.casefold())
        )


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


def build(
    drafts: Iterable[Draft],
    clock_of: Callable[[Draft], StageClock | None],
    filters: Filters,
    today: date,
    lang: str,
    tz: tzinfo | None,
) -> Board:
    open_drafts = [draft for draft in drafts if is_open(draft.stage)]
    kept = [draft for draft in open_drafts if filters.keeps(draft, tz)]
    cards: dict[str, list[Card]] = {stage: [] for stage in stage_order()}
    for draft in kept:
        cards.setdefault(draft.stage, []).append(card_of(draft, clock_of(draft), today, lang, tz))
    columns = tuple(
        Column(
            stage,
            i18n.stage_label(lang, stage),
            i18n.stage_actor(lang, stage),
            tuple(sorted(stacked, key=lambda c: (-c.late, -c.days_in_stage))[:COLUMN_SHOWN]),
            len(stacked),
        )
        for stage, stacked in cards.items()
    )
    return Board(
        columns=columns,
        total=len(kept),
        late=sum(1 for stacked in cards.values() for card in stacked if card.late),
        opds=tuple(sorted({d.opd for d in open_drafts})),
        reviewers=tuple(sorted({d.assignee for d in open_drafts if d.assignee})),
        years=tuple(sorted({received_year(d, tz) for d in open_drafts}, reverse=True)),
        types=tuple((t.value, i18n.product_name(lang, t)) for t in ProductType),
    )


def card_of(
    draft: Draft, clock: StageClock | None, today: date, lang: str, tz: tzinfo | None
) -> Card:
    return Card(
        reg=draft.reg,
        title=draft.title,
        opd=draft.opd,
        type_name=i18n.product_name(lang, draft.product_type),
        version=draft.version,
        days_in_stage=clock.days_in_stage if clock else _days_since(draft.stage_since, today, tz),
        late=clock.late if clock else 0,
        due=clock.due if clock else None,
        assignee=draft.assignee,
    )


def received_year(draft: Draft, tz: tzinfo | None) -> str:
    """The year the office received the draft, in its time zone (as its number says)."""
    return str(datetime.fromisoformat(draft.created_at).astimezone(tz).year)


def _days_since(since: str, today: date, tz: tzinfo | None) -> int:
    return max(0, (today - datetime.fromisoformat(since).astimezone(tz).date()).days)
