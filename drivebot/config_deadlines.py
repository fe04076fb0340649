"""Reading [deadlines], [deadlines.<type>] and [calendar] from drivebot.toml (drivebot.config).

[deadlines]
remind_before = 2          # working days before a deadline: one reminder
escalate_every = 5         # working days from one escalation to the next
escalate_to = ["kabag.hukum@example.go.id"]   # told with the admins
pemeriksaan = 5            # a stage's limit in working days, every flow (0: none)

[deadlines.perda]
penetapan = { days = 30, calendar = true, since = "persetujuan_bersama" }

[calendar]
days_off = ["2026-12-31"]  # cuti bersama or a regency's own day off, beyond the national list
days_on = []               # a listed holiday the office works anyway
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from drivebot.deadlines import Limit, Settings, default_limits
from drivebot.flows import STAGES, ProductType
from drivebot.workdays import WorkCalendar

if TYPE_CHECKING:
    from drivebot.config import _Reader

TIMED_STAGES = frozenset(STAGES) - {"pengajuan", "arsip", "ditarik", "ditolak", "ditutup"}
DEADLINE_SETTINGS = {
    "deadlines": frozenset(
        {"remind_before", "escalate_every", "escalate_to", *TIMED_STAGES, *ProductType}
    ),
    "deadlines_type": TIMED_STAGES,
    "deadline": frozenset({"days", "calendar", "since"}),
    "calendar": frozenset({"days_off", "days_on"}),
}


def deadlines(root: _Reader) -> Settings:
    table = root.table_of("deadlines")
    per_type = {
        kind: _limits(table.table_of(kind.value, settings="deadlines_type")) for kind in ProductType
    }
    return Settings(
        limits=default_limits(_limits(table), per_type),
        remind_before=_count(table, "remind_before", 2),
        escalate_every=table.positive("escalate_every", int, 5),
        escalate_to=tuple(
            table.email("escalate_to", value) for value in table.get("escalate_to", list, [])
        ),
    )


def _limits(table: _Reader) -> dict[str, Limit]:
    limits = {}
    for stage in sorted(TIMED_STAGES & set(table.table)):
        value: Any = table.table[stage]
        if isinstance(value, dict):
            spec = table.table_of(stage, settings="deadline")
            since = spec.get("since", str, None)
            if since is not None and since not in STAGES:
                raise spec.fail("config_choice", "since", value=repr(since),
                                choices=", ".join(sorted(STAGES)))  # fmt: skip
            limits[stage] = Limit(_count(spec, "days", 0, required=True),
                                  spec.get("calendar", bool, False), since)  # fmt: skip
        else:
            limits[stage] = Limit(_count(table, stage, 0))
    return limits


def _count(table: _Reader, key: str, default: int, required: bool = False) -> int:
    value: int = table.get(key, int, default, required=required)
    if value < 0:
        raise table.fail("config_not_negative", key, value=value)
    return value


def calendar(root: _Reader) -> WorkCalendar:
    table = root.table_of("calendar")
    return WorkCalendar(_dates(table, "days_off"), _dates(table, "days_on"))


def _dates(table: _Reader, key: str) -> list[date]:
    days = []
    for value in table.get(key, list, []):
        try:
            days.append(value if isinstance(value, date) else date.fromisoformat(str(value)))
        except ValueError:
            raise table.fail("config_date", key, value=repr(value)) from None
    return days
