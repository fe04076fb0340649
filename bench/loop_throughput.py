"""How long one poll cycle takes to register a backlog of drafts on the local backend.

Drops N drafts (real .docx files) into the OPD inboxes of a fresh workspace, runs one cycle,
and prints the wall time, the time per draft, the e-mails written, and the peak memory; then
the time of an idle cycle over the same workspace. Run: python bench/loop_throughput.py
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from builders import draft_docx, write_config

from drivebot import bootstrap
from drivebot.config import load


def run(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp)
        write_config(workspace)
        service = bootstrap.app(load(workspace))
        opds = [opd.folder for opd in service.config.opds]
        service.drive.ensure_folders(opds)
        for n in range(count):  # each draft its own (the same file twice is one submission)
            inbox = workspace / "drive" / "00 Masuk" / opds[n % len(opds)]
            (inbox / f"Ranperbup nomor {n:04d}.docx").write_bytes(
                draft_docx(subject=f"Retribusi nomor {n}")
            )
        started = time.perf_counter()
        report = service.cycle()
        busy = time.perf_counter() - started
        started = time.perf_counter()
        service.cycle()
        idle = time.perf_counter() - started
        sent = len(list((workspace / "mail" / "sent" / "new").iterdir()))
        assert len(service.store.drafts()) == count and not report.failed
        print(
            f"{count:5d} drafts: cycle {busy:6.2f} s ({busy / count * 1000:5.1f} ms/draft), "
            f"{sent} e-mails, idle cycle {idle * 1000:6.1f} ms"
        )


def main() -> None:
    for size in (10, 100, 500):
        run(size)


if __name__ == "__main__":
    main()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:.0f} MB")
