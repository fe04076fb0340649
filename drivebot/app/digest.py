"""The admins' daily digest: every open draft, its stage and how long it has waited there.

It goes out at the first cycle after `digest_time` (in the configured time zone), once a day:
the day is recorded with the queued e-mail, in one transaction. The e-mail lists the most
urgent drafts in full (drivebot.notify.emails.DIGEST_SHOWN) and counts the rest; the whole list
is attached as CSV, for a spreadsheet: UTF-8 with a byte-order mark, which is what makes Excel
read it as UTF-8 (an OPD's name or a title may hold any letter).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from drivebot import i18n
from drivebot.app.notices import Notices
from drivebot.app.register import irregular, registers, series_name
from drivebot.clock import Clock
from drivebot.config import Config
from drivebot.flows import Audience, is_open
from drivebot.notify.emails import DraftView, Report, digest_order
from drivebot.notify.mime import Attachment
from drivebot.state.store import Store

# The attachment's columns; their headings are email.digest.csv_* in the message catalogue.
CSV_COLUMNS = ("reg", "title", "opd", "type", "stage", "version", "waiting", "late")


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
                attachments=[digest_csv(lang, views, today)],
                drafts=views,
                today=now.date(),
                irregular=uneven,
            )
        return True


def digest_csv(lang: str, views: Sequence[DraftView], today: str) -> Attachment:
    """Every open draft, in the digest's order, as a CSV attachment."""
    words = i18n.section(lang, "email")["digest"]
    out = io.StringIO()
    table = csv.writer(out)
    table.writerow([words[f"csv_{column}"] for column in CSV_COLUMNS])
    for d in digest_order(views):
        late = words["late_mark"] if d.late else ""
        table.writerow(
            [d.reg, d.title, d.opd_name, i18n.product_name(lang, d.product_type),
             i18n.stage_label(lang, d.stage), d.version, d.waiting_days, late]
        )  # fmt: skip
    name = f"{words['csv_name']}-{today}.csv"
    return name, "text/csv", out.getvalue().encode("utf-8-sig")
