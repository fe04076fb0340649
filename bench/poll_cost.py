"""Requests drivebot makes to Google per poll cycle, counted by the local Google (tests/fakegoogle).

Run: python bench/poll_cost.py

For 10, 100 and 1,000 files already in the watched folders it prints the requests of:
  - a cold start (no cursors: the folders are listed once),
  - one idle cycle (one DrivePort.poll and one MailboxPort.poll with stored cursors),
  - processing one submission (a file dropped, then poll, download, move, review_copy).
The real client library does every request over loopback HTTP. The last line is the worst idle
cycle over those sizes (the goal is 2: one Drive request and one Gmail request).
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from builders import draft_docx  # noqa: E402
from contract.worlds import save_login  # noqa: E402
from fakegoogle import FakeGoogle  # noqa: E402
from fakegoogle.drive import FOLDER_MIME  # noqa: E402
from fakegoogle.gmail import ADDRESS  # noqa: E402

from drivebot.config import DEFAULT_FOLDERS, GoogleSettings  # noqa: E402
from drivebot.drive import GoogleDrive, setup_google_folders  # noqa: E402
from drivebot.flows import WATCHED, Folder  # noqa: E402
from drivebot.gmail import GmailMailbox  # noqa: E402
from drivebot.google_api import drive_client, gmail_client  # noqa: E402

SIZES = (10, 100, 1000)
OPDS = ["Dinas Kesehatan", "Dinas Pendidikan", "BPKAD"]


def _spent(google: FakeGoogle) -> Counter[str]:
    spent = Counter(google.counts)
    google.counts.clear()
    return spent


def _describe(counts: Counter[str]) -> str:
    return (
        f"{sum(counts.values()):4d}  ("
        + ", ".join(f"{method} {n}" for method, n in sorted(counts.items()))
        + ")"
    )


def measure(files: int, workdir: Path) -> tuple[Counter[str], Counter[str], Counter[str]]:
    with FakeGoogle() as google:
        root = google.users.upload(google.drive.root_id, "Bagian Hukum", b"", FOLDER_MIME)
        login = save_login(google, workdir, ADDRESS)
        settings = GoogleSettings(api_endpoint=google.url, root_folder_id=root, **login)
        drive_service = drive_client(settings, workdir)
        gmail_service = gmail_client(settings, workdir)
        ids = setup_google_folders(drive_service, settings, DEFAULT_FOLDERS, OPDS)
        drive = GoogleDrive(drive_service, replace(settings, folder_ids=ids), DEFAULT_FOLDERS)
        mailbox = GmailMailbox(gmail_service)
        watched = [ids[f"inbox/{opd}"] for opd in OPDS] + [
            ids[folder.value] for folder in WATCHED if folder is not Folder.INBOX
        ]
        for n in range(files):
            google.users.upload(watched[n % len(watched)], f"HK-2026-{n:04d} v1.pdf", b"%PDF")
        google.counts.clear()

        drive_cursor = drive.poll(None)[1]
        mail_cursor = mailbox.poll(None)[1]
        cold = _spent(google)

        drive_cursor = drive.poll(drive_cursor)[1]
        mail_cursor = mailbox.poll(mail_cursor)[1]
        idle = _spent(google)

        google.users.upload(ids[f"inbox/{OPDS[0]}"], "Ranperbup Baru.docx", draft_docx())
        google.counts.clear()
        [dropped], drive_cursor = drive.poll(drive_cursor)
        drive.download(dropped.id, workdir / "draft.docx")
        moved = drive.move(dropped.id, Folder.REVIEW, "HK-2026-9999 v1 Ranperbup Baru.docx")
        drive.review_copy(moved)
        return cold, idle, _spent(google)


def main() -> None:
    worst = 0
    with tempfile.TemporaryDirectory() as tmp:
        for files in SIZES:
            cold, idle, submission = measure(files, Path(tmp))
            print(f"{files:5d} files  cold start  {_describe(cold)}")
            print(f"{'':11} idle cycle  {_describe(idle)}")
            print(f"{'':11} submission  {_describe(submission)}")
            worst = max(worst, sum(idle.values()))
    print(f"idle poll requests: {worst}")


if __name__ == "__main__":
    main()
