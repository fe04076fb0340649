"""1,000 submissions arriving at once, on the local Google as it really is (authenticated,
the OPD's staff owning what they drop, Google's quotas and a 2,000-message daily sending limit).

Run: python bench/google_backlog.py [SUBMISSIONS]   (default 1000; half dropped in Drive, half
e-mailed, over three OPDs)

drivebot runs cycle after cycle until its outbox is empty (or every e-mail left waits for the
daily limit). Printed: requests per API, Gmail quota units, the most Gmail units spent in any
one second and any one minute (measured by the local Google, which refuses past 250 and
15,000), refusals, e-mails deferred by the daily limit, and the duration. The last line is the
most Gmail units in one second (the goal: at most 250).
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from builders import draft_docx, email_with_attachment, write_config  # noqa: E402
from contract.worlds import BOT, GoogleWorld  # noqa: E402

from drivebot.app.application import App  # noqa: E402
from drivebot.config import load  # noqa: E402
from drivebot.state.outbox import SendEmail  # noqa: E402
from drivebot.state.store import Store  # noqa: E402

OPDS = [("Dinas Kesehatan", "dinkes@sbtkab.example"), ("BPKAD", "bpkad@sbtkab.example")]
MAX_CYCLES = 200


def replay(submissions: int, workdir: Path) -> None:
    world = GoogleWorld(workdir / "google", gmail_daily_send_limit=2000)
    try:
        write_config(workdir, world.config_overrides())
        app = App(load(workdir), Store(workdir / "drivebot.sqlite3"), world.drive, world.mailbox)
        app.cycle()  # the first start: cursors taken, nothing old is taken in
        for n in range(submissions):
            folder, address = OPDS[n % len(OPDS)]
            document = draft_docx(subject=f"Retribusi Pelayanan Nomor {n}")
            if n % 2 == 0:
                world.drop(folder, f"Ranperbup {n:04d}.docx", document)
            else:
                raw = email_with_attachment(
                    address, BOT, f"Rancangan {n:04d}", [(f"Ranperbup {n:04d}.docx", document)]
                )
                world.deliver(raw)
        world.google.counts.clear()
        started = time.monotonic()
        cycles = 0
        while cycles < MAX_CYCLES:
            app.cycle()
            cycles += 1
            pending = app.store.pending()
            only_mail = all(isinstance(i.effect, SendEmail) for i in pending)
            if not pending or (only_mail and app.store.get("mail_paused_until")):
                break
        duration = time.monotonic() - started
        counts = Counter(world.google.counts)
        report = world.google.quota_report()[BOT]
        deferred = sum(isinstance(i.effect, SendEmail) for i in app.store.pending())
        gmail, drive = report["gmail"], report["drive"]
        print(f"submissions: {submissions} ({len(app.store.drafts())} drafts registered)")
        print(f"cycles: {cycles}, duration: {duration:.1f} s")
        print(f"drive requests: {drive['requests']} (refused: {drive['refused'] or 'none'})")
        print(f"gmail requests: {gmail['requests']} (refused: {gmail['refused'] or 'none'})")
        top = ", ".join(f"{m} {n}" for m, n in counts.most_common(6))
        print(f"most frequent: {top}")
        print(f"gmail units: {gmail['units']}, messages sent: {gmail['messages_sent']}")
        print(f"max gmail units in one minute: {gmail['max_units_per_minute']}")
        print(f"e-mails deferred by the daily limit: {deferred}")
        app.store.close()
        print(f"max gmail units in one second: {gmail['max_units_per_second']}")
    finally:
        world.close()


def main() -> None:
    submissions = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    with tempfile.TemporaryDirectory() as tmp:
        replay(submissions, Path(tmp))


if __name__ == "__main__":
    main()
