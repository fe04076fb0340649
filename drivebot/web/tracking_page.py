"""The OPD's tracking page, `/lacak/<token>` (drivebot.tracking makes the links the OPD's
e-mails carry): no account, one draft, and only what its OPD may see: the flowchart and the
stage, the dates and the deadline, and the reviewers' open notes (their names only where
`[web] show_reviewer_names` says so). A token that is not genuine, or was revoked by a renewal,
gets the same plain "tidak ditemukan" as one that never existed: nothing to harvest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask

from drivebot import i18n, tracking
from drivebot.app.clocks import clock_of
from drivebot.clock import Clock
from drivebot.config import Config
from drivebot.events import Note
from drivebot.files import workspace_key
from drivebot.flows import ENDED
from drivebot.i18n.history import when
from drivebot.state.store import Store
from drivebot.web.board import Card, card_of, standing
from drivebot.web.draft_page import Step, steps_of
from drivebot.web.pages import render_page
from drivebot.web.threads import per_thread


@dataclass(frozen=True)
class Tracked:
    card: Card
    stage_label: str
    ended: bool
    received: str
    since: str
    steps: tuple[Step, ...]
    notes: tuple[Note, ...]  # sent back with the draft, when it is being revised


def register(
    app: Flask, config: Config, open_store: Callable[[], Store], clock: Clock, lang: str
) -> None:
    """`open_store` gives a read-only store; each serving thread opens its own."""
    words = i18n.section(lang, "tracking")
    key = workspace_key(config.workspace, tracking.KEY_NAME)
    store = per_thread(open_store)

    @app.get(f"/{tracking.PATH}<token>")
    def track(token: str) -> tuple[str, int]:
        found = tracking.read(key, token)
        draft = store().draft(found[0]) if found else None
        if found is None or draft is None or store().link_generation(draft.reg) != found[1]:
            return render_page(
                "tracking_missing.html.j2", lang=lang, w=words, org=config.org_name, account=None
            ), 404
        today = clock().astimezone(config.tz).date()
        notes = store().notes_on(draft.reg, draft.version) if draft.stage == "perbaikan" else []
        shown = Tracked(
            card=card_of(
                standing(draft, clock_of(config, store(), draft, today), today, config.tz), lang
            ),
            stage_label=i18n.stage_label(lang, draft.stage),
            ended=draft.stage in ENDED,
            received=when(lang, draft.created_at, config.tz),
            since=when(lang, draft.stage_since, config.tz),
            steps=steps_of(draft, lang),
            notes=tuple(notes),
        )
        return render_page(
            "tracking.html.j2",
            lang=lang,
            w=words,
            org=config.org_name,
            t=shown,
            names=config.show_reviewer_names,
            account=None,
            longdate=lambda day: i18n.long_date(lang, day),
        ), 200
