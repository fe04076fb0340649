"""Saying when polling is unwell: a heartbeat every cycle, and one e-mail when it fails.

Pollers that stop silently are what people complain about most in tools like this one. Every
cycle writes a heartbeat (read by `drivebot health` and `/healthz`). When polling has failed
without a break for `alert_after_minutes`, the admins get one e-mail; when it works again, one
more. Repeated failures never send a second alert.
"""

from __future__ import annotations

from datetime import datetime

from drivebot import i18n
from drivebot.app.health import HEARTBEAT, POLL_OK
from drivebot.app.notices import Notices
from drivebot.clock import Clock
from drivebot.config import Config
from drivebot.notify.emails import Report
from drivebot.state.store import Store
from drivebot.workflow import Audience

FAILING_SINCE = "poll_failing_since"  # kv: the first cycle of the present run of failures
ALERTED = "poll_alerted"  # kv: the admins were told of this run of failures


class PollWatch:
    def __init__(self, config: Config, store: Store, notices: Notices, clock: Clock):
        self.config = config
        self.store = store
        self.notices = notices
        self.clock = clock

    def after_cycle(self, polls_failed: list[str]) -> None:
        """Record the cycle's heartbeat; alert once, or say that polling recovered."""
        now = self.store.now()
        lang = self.config.language
        with self.store.transaction():
            self.store.put(HEARTBEAT, now)
            if not polls_failed:
                self.store.put(POLL_OK, now)
                if self.store.get(ALERTED):
                    self._tell(i18n.text(lang, "report.polling_recovered"), "")
                self.store.put(ALERTED, None)
                self.store.put(FAILING_SINCE, None)
                return
            since = self.store.get(FAILING_SINCE) or now
            self.store.put(FAILING_SINCE, since)
            minutes = (self.clock() - datetime.fromisoformat(since)).total_seconds() / 60
            if minutes >= self.config.alert_after_minutes and not self.store.get(ALERTED):
                shown = i18n.long_date(
                    lang, datetime.fromisoformat(since).astimezone(self.config.tz)
                )
                self._tell(
                    i18n.text(lang, "report.polling_failing", since=shown), "\n".join(polls_failed)
                )
                self.store.put(ALERTED, now)

    def _tell(self, summary: str, detail: str) -> None:
        self.notices.queue(
            Report.STATUS_NOTICE, Audience.ADMINS, None, summary=summary, detail=detail
        )
