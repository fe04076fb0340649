"""The dashboard's server time as the store grows: the board and a draft's page with 100 and
10,000 drafts in the store (WSGI calls through Flask's test client, signed in; no network).

Each size gets a fresh workspace whose store is filled directly (as years of the loop would
leave it): drafts spread over the stages and agencies, received over three years, each with
its history (three entries) and a version. Then 40 requests of each page (the first five
discarded as warm-up); p50 and p95 in milliseconds. The board keeps what it read while the
store is unchanged and reads again only the drafts changed since, so also measured: "board
cold", the view after another process committed (the daemon's cycle does, every minute or so),
five times; and the very first view, which reads every open draft (as each serving thread does
once a day and every 10 minutes). The figures page (/dasbor/angka): counted once (as after
any change to the history), then ten views of what was counted.
Run: python bench/web_latency.py [--sizes 100,10000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from builders import write_config

from drivebot import bootstrap
from drivebot.config import load
from drivebot.events import DraftState
from drivebot.flows import FLOWS, ProductType, is_open
from drivebot.state.accounts import Role
from drivebot.state.rows import VersionKind
from drivebot.web.accounts import hash_password

PASSWORD = "kata-sandi-panjang"
REQUESTS, WARM_UP = 40, 5


def fill(workspace: Path, count: int) -> list[str]:
    """`count` drafts in the store, as the loop would have left them; their numbers."""
    config = load(workspace)
    start = datetime(2024, 1, 2, 1, 0, tzinfo=UTC)
    moment = [start]
    store = bootstrap.store(config, clock=lambda: moment[0])
    rng = random.Random(7)
    regs = []
    with store.transaction():
        store.put_account("kabag@sbtkab.example", Role.ADMIN, hash_password(PASSWORD))
        for n in range(count):
            moment[0] = start + timedelta(minutes=150 * n * 10_000 // max(count, 1))
            product_type = rng.choice(list(ProductType))
            stages = [s for s in FLOWS[product_type] if is_open(s) and s != "pengajuan"]
            reg = f"HK-{moment[0].year}-{n + 1:05d}"
            opd = rng.choice(config.opds).name
            store.add_draft(reg, opd, f"Rancangan nomor {n} tentang Retribusi Daerah", product_type)
            store.add_version(reg, 1, VersionKind.DRAFT, f"{reg}.docx", f"{n:064x}", 9000, "v")
            store.audit(reg, f"OPD {opd}", "submitted", "pengajuan", "pemeriksaan", "file:x.docx")
            stage = rng.choice(stages)
            store.save_state(DraftState(reg, product_type, stage, 1))
            store.audit(reg, "kabag@sbtkab.example (dasbor)", "approved", "pemeriksaan", stage)
            store.audit(reg, "drivebot", "reminder", stage, None, "")
            regs.append(reg)
    store.close()
    return regs


def timed(client, paths: list[str]) -> list[float]:
    """Milliseconds per request, the warm-up ones left out."""
    times = []
    for path in paths:
        begin = time.perf_counter()
        answer = client.get(path)
        times.append((time.perf_counter() - begin) * 1000)
        if answer.status_code != 200:
            raise SystemExit(f"{path}: {answer.status_code}")
    return times[WARM_UP:]


def measure(count: int) -> tuple[float, float]:
    """(board p95, the worst of its views just after a commit included; draft page p95) in ms
    at `count` drafts."""
    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp)
        write_config(workspace)
        bootstrap.app(load(workspace)).cycle()  # the workspace's folders and signing key
        regs = fill(workspace, count)
        client = bootstrap.web(load(workspace), "id").test_client()
        form = client.get("/dasbor/masuk").get_data(as_text=True)
        token = form.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        signed = client.post(
            "/dasbor/masuk",
            data={"email": "kabag@sbtkab.example", "password": PASSWORD, "csrf": token},
        )
        assert signed.status_code == 302, signed.status_code
        begin = time.perf_counter()
        client.get("/dasbor/")  # the first: every open draft read in full
        first = (time.perf_counter() - begin) * 1000
        board = timed(client, ["/dasbor/"] * REQUESTS)
        cold = []
        writer = bootstrap.store(load(workspace))
        for n in range(5):  # another process commits (as the daemon's cycle does): the drafts
            # it changed are read again (here none), the board built again
            with writer.transaction():
                writer.put("bench", str(n))
            begin = time.perf_counter()
            client.get("/dasbor/")
            cold.append((time.perf_counter() - begin) * 1000)
        rng = random.Random(1)
        pages = timed(client, [f"/dasbor/rancangan/{rng.choice(regs)}" for _ in range(REQUESTS)])
        begin = time.perf_counter()
        client.get("/dasbor/angka")  # counted (then kept while the history is unchanged)
        counted = (time.perf_counter() - begin) * 1000
        figures = timed(client, ["/dasbor/angka"] * (WARM_UP + 10))
        shown = (
            ("board", board),
            ("board cold", cold),
            ("draft page", pages),
            ("figures", figures),
        )
        for name, times in shown:
            p50 = statistics.median(times)
            p95 = statistics.quantiles(times, n=20)[-1] if len(times) > 5 else max(times)
            print(f"{count:6d} drafts: {name:<10} p50 {p50:7.1f} ms, p95 {p95:7.1f} ms", flush=True)
        print(f"{count:6d} drafts: board, first view (every draft read) {first:7.1f} ms")
        print(f"{count:6d} drafts: figures, counted (after a change) {counted:7.1f} ms")
        # The last line's figure: the board, also just after a commit, and a draft's page.
        return max(statistics.quantiles(board, n=20)[-1], max(cold)), statistics.quantiles(
            pages, n=20
        )[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,10000")
    args = parser.parse_args()
    results = {size: measure(size) for size in map(int, args.sizes.split(","))}
    largest = max(results)
    print(f"dashboard p95 ms at {largest} drafts: {max(results[largest]):.1f}")


if __name__ == "__main__":
    main()
