"""Keeping the clock: each open draft's stage against its time limit (drivebot.deadlines), and
the e-mails that say so, at most one of each a day, however many drafts: each reviewer's summary
of what waits for them (with the examinations' reminders), the admins' summary of what is late
or nearly due (the escalations, and the reminders of the stages outside the division), and the
OPDs' reminders of their revisions, one per draft (each goes to its own OPD).

The pass runs once per office day, at the first cycle after `digest_time` (with the digest).
What a draft was told is its history (a reminder or escalation entry per stage entry, written in
the transaction that queues the e-mail); each e-mail is queued with a key naming the day (or,
for an OPD's reminder, the draft's stage entry): a crash or a restart sends none twice, and a
draft that has moved on (a new stage entry) starts a new clock.
"""

from __future__ import annotations

from datetime import date

from drivebot import i18n
from drivebot.app.clocks import clock_of, told_of
from drivebot.app.notices import Notices
from drivebot.clock import Clock
from drivebot.config import Config
from drivebot.deadlines import Escalation, Reminder, due_notices
from drivebot.flows import Audience
from drivebot.notify.emails import DeadlineLine, Report, digest_order
from drivebot.state.rows import Draft
from drivebot.state.store import Store

CHECKED_ON = "deadlines_checked_on"  # kv: the office day of the last pass
ACTOR = "drivebot"
SHOWN = 100  # lines of each list in the admins' summary; the rest are counted


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
        for_admins: list[tuple[Draft, Reminder | Escalation]] = []
        with self.store.transaction():
            for draft in self.store.drafts():
                if draft.stage == "pemeriksaan":
                    for reviewer in self.notices.recipients(Audience.REVIEWERS, draft):
                        waiting.setdefault(reviewer, []).append(draft)
                due = self._due(draft, today)
                if isinstance(due, Reminder) and due.to is Audience.REVIEWERS:
                    to = self.notices.recipients(Audience.REVIEWERS, draft)
                    self._told(draft, "reminder", to)  # the reviewers' summary says it
                elif isinstance(due, Reminder) and due.to is Audience.OPD:
                    sent += self._remind_opd(draft, due)
                elif due is not None:
                    for_admins.append((draft, due))
            if self.config.calendar.is_working_day(today):
                sent += sum(self._summary(r, drafts, today) for r, drafts in waiting.items())
            if for_admins:
                sent += self._admins_summary(for_admins, today)
            self.store.put(CHECKED_ON, today.isoformat())
        return sent

    def _due(self, draft: Draft, today: date) -> Reminder | Escalation | None:
        stage = clock_of(self.config, self.store, draft, today)
        if stage is None:
            return None
        told = told_of(self.config, self.store.history(draft.reg), draft)
        return due_notices(
            self.config.calendar, self.config.deadlines, draft.reg, draft.stage_since, stage,
            today, told,
        )  # fmt: skip

    def _told(self, draft: Draft, event: str, to: list[str]) -> None:
        """The draft's history: what it was told, and whom (drivebot.app.clocks.told_of)."""
        self.store.audit(draft.reg, ACTOR, event, draft.stage, None, f"sent:{', '.join(to)}")

    def _summary(self, reviewer: str, drafts: list[Draft], today: date) -> int:
        """One e-mail a day to each reviewer: what waits for them, the most urgent first."""
        item = self.notices.queue(
            Report.REVIEWER_SUMMARY, Audience.REVIEWERS, None, to=[reviewer],
            dedupe_key=f"summary:{today.isoformat()}:{reviewer}",
            batch=digest_order([self.notices.view(draft) for draft in drafts]), today=today,
            remind_before=self.config.deadlines.remind_before,
        )  # fmt: skip
        return 0 if item is None else 1

    def _line(self, draft: Draft, due: Reminder | Escalation) -> DeadlineLine:
        return DeadlineLine(
            draft=self.notices.view(draft),
            started=due.clock.started,
            limit=due.clock.limit.days,
            actor=i18n.stage_actor(self.config.language, due.clock.stage),
            round=due.round if isinstance(due, Escalation) else 0,
        )

    def _admins_summary(self, due: list[tuple[Draft, Reminder | Escalation]], today: date) -> int:
        """One e-mail a day to the admins (and whoever `escalate_to` names): the drafts late,
        the latest first, and the stages outside the division nearly due, the nearest first."""
        late = [(d, n) for d, n in due if isinstance(n, Escalation)]
        coming = [(d, n) for d, n in due if isinstance(n, Reminder)]
        late.sort(key=lambda pair: (-pair[1].clock.late, pair[0].reg))
        coming.sort(key=lambda pair: (pair[1].clock.days_left, pair[0].reg))
        to = self.notices.recipients(Audience.ADMINS, None)
        to += [a for a in self.config.deadlines.escalate_to if a not in to]
        item = self.notices.queue(
            Report.DEADLINE_SUMMARY, Audience.ADMINS, None, to=to,
            dedupe_key=f"deadlines:{today.isoformat()}", today=today, shown=SHOWN,
            late=[self._line(d, n) for d, n in late],
            coming=[self._line(d, n) for d, n in coming],
            every=self.config.deadlines.escalate_every,
        )  # fmt: skip
        if item is None:
            return 0  # nobody to tell: told on a later day, once someone is configured
        for draft, notice in due:
            self._told(draft, "escalation" if isinstance(notice, Escalation) else "reminder", to)
        return 1

    def _remind_opd(self, draft: Draft, due: Reminder) -> int:
        stage = due.clock
        to = self.notices.recipients(Audience.OPD, draft)
        item = self.notices.queue(
            Report.DEADLINE_REMINDER, Audience.OPD, draft, to=to, dedupe_key=due.key,
            started=stage.started, due=stage.due, limit=stage.limit.days,
            days_left=stage.days_left, actor=i18n.stage_actor(self.config.language, stage.stage),
            unit=i18n.text(
                self.config.language,
                "deadline.calendar_days" if stage.limit.calendar else "deadline.working_days",
            ),
        )  # fmt: skip
        if item is None:
            return 0  # queued before (a restart the same day), or nobody to tell
        self._told(draft, "reminder", to)
        return 1
