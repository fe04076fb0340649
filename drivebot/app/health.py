"""Is drivebot well? What `drivebot health` and the page's `/healthz` answer.

Read-only, from the state store and the workspace: the daemon writes a heartbeat at the end of
every cycle and the time of the last cycle whose polls all succeeded; a stop records why. A
monitor (systemd's watchdog scripts, Nagios, Uptime Kuma) runs `drivebot health` or fetches
`/healthz` and raises the alarm on a non-zero exit or a 503.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime

from drivebot.archive.signing import KEY_DIR, PRIVATE_NAME
from drivebot.clock import Clock
from drivebot.config import Config
from drivebot.state.store import Store

HEARTBEAT = "heartbeat"  # kv: the end of the last cycle (UTC ISO)
POLL_OK = "poll_ok_at"  # kv: the end of the last cycle whose polls all succeeded
STOPPED = "stopped"  # kv: why the daemon stopped (a configuration error), until it runs again
WAITING_TOO_LONG = 30 * 60  # seconds an outbox item may wait before it is a problem
MIN_FREE_BYTES = 500 * 1024 * 1024
MIN_FREE_SHARE = 0.05


@dataclass(frozen=True)
class Problem:
    key: str  # a message in the catalogue's [health] table
    values: dict[str, object]


def _minutes_since(iso: str, now: datetime) -> int:
    return int((now - datetime.fromisoformat(iso)).total_seconds() // 60)


def check(config: Config, store: Store, clock: Clock) -> list[Problem]:
    """Every problem found; empty when drivebot is well."""
    now = clock()
    problems: list[Problem] = []
    stopped = store.get(STOPPED)
    if stopped:
        problems.append(Problem("stopped", {"reason": stopped}))
    last_ok = store.get(POLL_OK)
    limit = max(3 * config.poll_interval_seconds // 60, config.alert_after_minutes)
    if last_ok is None:
        problems.append(Problem("never_polled", {}))
    elif (age := _minutes_since(last_ok, now)) > limit:
        problems.append(Problem("poll_too_old", {"minutes": age, "limit": limit}))
    given_up = sum(row.given_up and row.done_at is None for row in store.outbox_rows())
    if given_up:
        problems.append(Problem("given_up", {"n": given_up}))
    waiting = [
        item
        for item in store.pending()
        if _minutes_since(item.created_at, now) * 60 > WAITING_TOO_LONG
    ]
    if waiting:
        problems.append(Problem("outbox_waiting", {"n": len(waiting)}))
    paused = store.get("mail_paused_until")
    if paused and paused > store.now():
        problems.append(Problem("mail_paused", {}))
    usage = shutil.disk_usage(config.workspace)
    if usage.free < MIN_FREE_BYTES or usage.free < usage.total * MIN_FREE_SHARE:
        problems.append(Problem("disk_full", {"free_mb": usage.free // (1024 * 1024)}))
    key = config.workspace / KEY_DIR / PRIVATE_NAME
    has_products = store.db.execute("SELECT 1 FROM ledger LIMIT 1").fetchone() is not None
    if has_products and not key.is_file():
        problems.append(Problem("key_missing", {"path": key}))
    return problems
