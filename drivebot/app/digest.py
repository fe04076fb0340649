"""The admins' daily digest: every open draft, its stage and how long it has waited there.

It goes out at the first cycle after `digest_time` (in the configured time zone), once a day:
the day is recorded with the queued e-mail, in one transaction.
"""

from __future__ import annotations

from drivebot.app.notices import Notices
from drivebot.app.register import irregular, registers, series_name
from drivebot.clock import Clock
from drivebot.config import Config
from drivebot.flows import Audience, is_open
from drivebot.notify.emails import Report
from drivebot.state.store import Store


class Digest:
    def __init__(self, config: Config, store: Store, notices: Notices, clock: Clock):
        self.config = config
        self.store = store
        self.notices = notices
        self.clock = clock

    def queue_if_due(self) -> bool:
        now = self.clock().astimezone(self.config.tz)
        today = now.date().isoformat()
        if (
            now.strftime("%H:%M") < self.config.digest_time
            or self.store.get("digest_last") == today
        ):
            return False
        views = [self.notices.view(d) for d in self.store.drafts() if is_open(d.stage)]
        # The year's registers with a number skipped or given twice, for the admins to see.
        lang = self.config.language
        uneven = [
            {"name": series_name(lang, r.series), "year": r.year, "gaps": r.gaps,
             "duplicates": r.duplicates}
            for r in irregular(registers(self.store, self.config, now.year))
        ]  # fmt: skip
        with self.store.transaction():
            self.store.put("digest_last", today)
            self.notices.queue(
                Report.DIGEST,
                Audience.ADMINS,
                None,
                dedupe_key=f"digest:{today}",
                drafts=views,
                today=now.date(),
                irregular=uneven,
            )
        return True
