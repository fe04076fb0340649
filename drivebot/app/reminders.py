"""Keeping the clock: each open draft's stage against its time limit (drivebot.deadlines), the
reminders and escalations that are due, sent once each, and each reviewer's daily summary of
what waits for them (which carries the examinations' reminders: one e-mail a day, however many
drafts).

The pass runs once per office day, at the first cycle after `digest_time` (with the digest).
Each e-mail is queued with a key naming the draft, its stage entry and the step, in the same
transaction as its entry in the draft's history: a crash or a restart sends none twice, and a
draft that has moved on (a new stage entry) starts a new clock.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from drivebot import i18n
from drivebot.app.clocks import clock_of
from drivebot.app.notices import Notices
from drivebot.clock import Clock
from drivebot.config import Config
from drivebot.deadlines import Escalation, Reminder, due_notices
from drivebot.flows import Audience
from drivebot.notify.emails import Report, digest_order
from drivebot.state.rows import Draft
from drivebot.state.store import Store

CHECKED_ON = "deadlines_checked_on"  # kv: the office day of the last pass
ACTOR = "drivebot"


class Reminders:
    def __init__(self, config: Config, store: Store, notices: Notices, clock: Clock):
        self.config = config
        self.store = store
        self.notices = notices
        self.clock = clock

    def queue_if_due(self) -> int:
        """Queue what is due today; returns how many e-mails."""
        now = self.clock().astimezone(self.config.tz)
        today = now.date()
        if now.strftime("%H:%M") < self.config.digest_time:
            return 0
        if self.store.get(CHECKED_ON) == today.isoformat():
            return 0
        sent = 0
        waiting: dict[str, list[Draft]] = {}  # reviewer -> drafts waiting for examination
        with self.store.transaction():
            for draft in self.store.drafts():
                if draft.stage == "pemeriksaan":
                    for reviewer in self.notices.recipients(Audience.REVIEWERS, draft):
                        waiting.setdefault(reviewer, []).append(draft)
                stage = clock_of(self.config, self.store, draft, today)
                due = None if stage is None else due_notices(
                    self.config.calendar, self.config.deadlines, draft.reg,
                    draft.stage_since, stage, today,
                )  # fmt: skip
                if isinstance(due, Reminder) and due.to is Audience.REVIEWERS:
                    self._remind_in_summary(draft)  # the reviewers' summary says it
                elif due is not None:
                    sent += self._queue(draft, due)
            if self.config.calendar.is_working_day(today):
                sent += sum(self._summary(r, drafts, today) for r, drafts in waiting.items())
            self.store.put(CHECKED_ON, today.isoformat())
        return sent

    def _summary(self, reviewer: str, drafts: list[Draft], today: date) -> int:
        """One e-mail a day to each reviewer: what waits for them, the most urgent first."""
        item = self.notices.queue(
            Report.REVIEWER_SUMMARY, Audience.REVIEWERS, None, to=[reviewer],
            dedupe_key=f"summary:{today.isoformat()}:{reviewer}",
            batch=digest_order([self.notices.view(draft) for draft in drafts]), today=today,
            remind_before=self.config.deadlines.remind_before,
        )  # fmt: skip
        return 0 if item is None else 1

    def _remind_in_summary(self, draft: Draft) -> None:
        """An examination's reminder is a line of the reviewers' summary, not an e-mail of
        its own; its history entry is written once per stage entry."""
        told = any(
            e.event == "reminder" and e.from_stage == draft.stage and e.at >= draft.stage_since
            for e in self.store.history(draft.reg)
        )
        if not told:
            to = ", ".join(self.notices.recipients(Audience.REVIEWERS, draft))
            self.store.audit(draft.reg, ACTOR, "reminder", draft.stage, None, f"sent:{to}")

    def _queue(self, draft: Draft, due: Reminder | Escalation) -> int:
        lang = self.config.language
        stage = due.clock
        values: dict[str, Any] = dict(
            started=stage.started,
            due=stage.due,
            limit=stage.limit.days,
            unit=i18n.text(
                lang, "deadline.calendar_days" if stage.limit.calendar else "deadline.working_days"
            ),
            actor=i18n.stage_actor(lang, stage.stage),
        )
        if isinstance(due, Reminder):
            to = self.notices.recipients(due.to, draft)
            item = self.notices.queue(
                Report.DEADLINE_REMINDER, due.to, draft, to=to, dedupe_key=due.key,
                days_left=stage.days_left, **values,
            )  # fmt: skip
            event = "reminder"
        else:
            to = self.notices.recipients(Audience.ADMINS, draft) + list(
                self.config.deadlines.escalate_to
            )
            item = self.notices.queue(
                Report.DEADLINE_ESCALATION, Audience.ADMINS, draft, to=to, dedupe_key=due.key,
                late=stage.late, round=due.round, every=self.config.deadlines.escalate_every,
                **values,
            )  # fmt: skip
            event = "escalation"
        if item is None:
            return 0  # queued before (a restart the same day), or nobody to tell
        self.store.audit(draft.reg, ACTOR, event, draft.stage, None, f"sent:{', '.join(to)}")
        return 1
