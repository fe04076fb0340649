"""What a poll cycle costs on the local backend, as the workspace grows.

For each size (100, 1,000, 10,000 drafts) a fresh workspace gets that many real .docx drafts
dropped into the OPD inboxes at once; one cycle registers them all (the backlog figure: wall
time per draft, e-mails written). Then, with that many files in the watched folders:
  - the idle cycle: wall and CPU time of a cycle with nothing new (median of 7), the folders
    untouched for a few seconds, as between two polls of the daemon;
  - the CPU time of registering one draft: a cycle in which one new draft arrives and is
    registered, its acknowledgement to the OPD and the reviewers' notice rendered and sent
    (median of 15; the cycle's own idle cost included).
Every draft is the same small .docx with its own zip comment, so no two are one submission.
Run: python bench/loop_throughput.py [--sizes 100,1000,10000]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from builders import draft_docx, write_config

from drivebot import bootstrap
from drivebot.config import load
from drivebot.listing import RACY_NS


def _unique(template: bytes, n: int) -> bytes:
    """The template with zip comment n: a valid package with its own SHA-256."""
    comment = f"draft {n}".encode()
    # The end-of-central-directory record closes the file: its last two bytes are the
    # comment's length (zero in the template), the comment follows them.
    return template[:-2] + len(comment).to_bytes(2, "little") + comment


def _timed(run) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - wall, time.process_time() - cpu


def measure(count: int, template: bytes) -> tuple[float, float, float]:
    """(idle wall ms, idle CPU ms, CPU ms per registered draft) at `count` drafts."""
    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp)
        write_config(workspace)
        service = bootstrap.app(load(workspace))
        opds = [opd.folder for opd in service.config.opds]
        service.drive.ensure_folders(opds)
        inboxes = [workspace / "drive" / "00 Masuk" / opd for opd in opds]

        def drop(n: int) -> None:
            inbox = inboxes[n % len(inboxes)]
            (inbox / f"Ranperbup nomor {n:05d}.docx").write_bytes(_unique(template, n))

        for n in range(count):
            drop(n)
        wall, _ = _timed(service.cycle)
        sent = len(list((workspace / "mail" / "sent" / "new").iterdir()))
        if len(service.store.drafts()) != count:
            raise SystemExit(f"only {len(service.store.drafts())} of {count} registered")
        service.cycle()  # the moves the registration queued have settled
        # As between two polls of a running daemon (60 s apart): the folders' times are past
        # the window in which drivebot.listing reads a directory again to be safe.
        time.sleep(RACY_NS / 1e9 + 0.2)
        idle = [_timed(service.cycle) for _ in range(7)]
        one = []
        for n in range(count, count + 15):
            drop(n)
            one.append(_timed(service.cycle)[1])
        files = sum(1 for _ in (workspace / "drive").rglob("*.docx"))
        idle_wall = statistics.median(t[0] for t in idle) * 1000
        idle_cpu = statistics.median(t[1] for t in idle) * 1000
        per_draft = statistics.median(one) * 1000
        print(
            f"{count:6d} drafts ({files} files): backlog cycle {wall:6.1f} s "
            f"({wall / count * 1000:4.1f} ms/draft, {sent} e-mails) | idle cycle "
            f"{idle_wall:6.1f} ms wall, {idle_cpu:6.1f} ms CPU | one draft registered: "
            f"{per_draft:5.1f} ms CPU",
            flush=True,
        )
        return idle_wall, idle_cpu, per_draft


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000")
    args = parser.parse_args()
    template = draft_docx(subject="Retribusi Pelayanan Kesehatan")
    results = {size: measure(size, template) for size in map(int, args.sizes.split(","))}
    largest = max(results)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:.0f} MB")
    print(f"CPU per registered draft at {largest} drafts: {results[largest][2]:.1f} ms")
    print(f"idle cycle at {largest} files: {results[largest][0]:.1f} ms")


if __name__ == "__main__":
    main()
