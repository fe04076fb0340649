"""Each draft's stage clock as of a day (drivebot.deadlines), read from the store: for the
reminders (drivebot.app.reminders), the e-mails' and the digest's lateness, and `status`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from drivebot.config import Config
from drivebot.deadlines import StageClock, Told, stage_clock
from drivebot.flows import is_open
from drivebot.state.rows import AuditEntry, Draft
from drivebot.state.store import Store


def clock_of(config: Config, store: Store, draft: Draft, today: date) -> StageClock | None:
    """The draft's stage clock, or None when its stage has no limit (or the draft is closed).
    Read-only: `drivebot status` uses it too."""
    limit = config.deadlines.limit(draft.product_type, draft.stage)
    if limit is None or not is_open(draft.stage):
        return None

    started = office_day(config, draft.stage_since)
    if limit.since is not None:  # counted from the day that stage was done
        left = [e.at for e in store.history(draft.reg) if _finished(e, limit.since)]
        started = office_day(config, left[-1]) if left else started
    return stage_clock(config.calendar, draft.stage, started, today, limit)


def office_day(config: Config, iso: str) -> date:
    return datetime.fromisoformat(iso).astimezone(config.tz).date()


def told_of(config: Config, history: list[AuditEntry], draft: Draft) -> Told:
    """What the draft was told about its current stage entry: the reminder and escalation
    entries of its history since it entered the stage."""
    entries = [e for e in history if e.from_stage == draft.stage and e.at >= draft.stage_since]
    escalations = [e.at for e in entries if e.event == "escalation"]
    return Told(
        reminded=any(e.event == "reminder" for e in entries),
        escalations=len(escalations),
        last_escalated=office_day(config, escalations[-1]) if escalations else None,
    )


def _finished(entry: AuditEntry, stage: str) -> bool:
    """The entry says `stage` was done: marked done (tracked stages may be marked out of order,
    while the draft stands at another), or left for another stage."""
    if entry.reason == f"done:{stage}":
        return True
    return entry.from_stage == stage and entry.to_stage not in (stage, None)


def deadline_record(stage: StageClock | None) -> dict[str, Any] | None:
    """The clock as `status --json` prints it (days in the limit's unit)."""
    if stage is None:
        return None
    return {
        "due": stage.due.isoformat(),
        "limit": stage.limit.days,
        "unit": "calendar_days" if stage.limit.calendar else "working_days",
        "days_in_stage": stage.days_in_stage,
        "days_left": max(stage.days_left, 0),
        "days_late": stage.late,
    }
