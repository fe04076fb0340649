"""What `drivebot status` shows: every draft, or one draft with its history and versions.

Read-only: built on a read-only store, so it runs beside the daemon and needs no network.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from drivebot import i18n
from drivebot.app.clocks import clock_of, deadline_record
from drivebot.archive.archiver import promulgation
from drivebot.clock import Clock, days_since
from drivebot.config import Config
from drivebot.flows import FLOWS
from drivebot.state.rows import Draft
from drivebot.state.store import Store


def draft_record(config: Config, store: Store, draft: Draft, clock: Clock) -> dict[str, Any]:
    """One draft as `status --json` prints it; `deadline` is None where its stage has no
    time limit (drivebot.deadlines)."""
    number = (
        i18n.number_phrase(draft.number, draft.number_year)
        if draft.number is not None and draft.number_year is not None
        else None
    )
    return {
        "reg": draft.reg,
        "opd": draft.opd,
        "title": draft.title,
        "product_type": draft.product_type.value,
        "stage": draft.stage,
        "stage_label": i18n.stage_label("id", draft.stage),
        "version": draft.version,
        "number": number,
        "stages_done": sorted(draft.done),
        "flow": list(FLOWS[draft.product_type]),
        "waiting_days": days_since(draft.stage_since, clock()),
        "created_at": draft.created_at,
        "stage_since": draft.stage_since,
        "assignee": draft.assignee,  # the reviewer it is assigned to (`drivebot assign`)
        "deadline": deadline_record(clock_of(config, store, draft, office_today(config, clock))),
        # The record as the signed document states it (drivebot.record), once archived.
        "enacted_on": draft.enacted_on,
        "promulgated_on": draft.promulgated_on,
        "gazette": promulgation(draft).gazette or None,
        "noreg": draft.noreg,
    }


def held_record(store: Store, draft: Draft) -> list[dict[str, Any]] | None:
    """Why the draft's final is held (problem keys and values), or None when none is."""
    held = store.held_final(draft.reg)
    return None if held is None else [{"key": k, "values": v} for k, v in held.problems]


def all_drafts(config: Config, store: Store, clock: Clock) -> list[dict[str, Any]]:
    return [draft_record(config, store, draft, clock) for draft in store.drafts()]


def one_draft(config: Config, store: Store, draft: Draft, clock: Clock) -> dict[str, Any]:
    """The draft's record with its history (every audit line) and its versions."""
    record = draft_record(config, store, draft, clock)
    record["final_held"] = held_record(store, draft)
    record["history"] = [dataclasses.asdict(entry) for entry in store.history(draft.reg)]
    record["versions"] = [
        {**dataclasses.asdict(version), "kind": version.kind.value}
        for version in store.versions(draft.reg)
    ]
    return record


def office_today(config: Config, clock: Clock) -> date:
    return clock().astimezone(config.tz).date()
