"""One "world" per backend: the ports under test plus the people who act on them.

A world gives the contract suite an adapter pair (Drive, mailbox) and ways to play the users
the way each backend really sees them: an OPD dropping a file, a reviewer dragging it to another
folder, an e-mail arriving. The contract tests use only these, so every backend is held to the
same observable behaviour.
"""

from __future__ import annotations

from pathlib import Path

from drivebot.config import DEFAULT_FOLDERS
from drivebot.drive import DriveFile, DrivePort
from drivebot.gmail import MailboxPort
from drivebot.local import LocalDrive, LocalMailbox
from drivebot.workflow import Folder

OPD_FOLDERS = ["Dinas Kesehatan", "BPKAD"]


class LocalWorld:
    name = "local"

    def __init__(self, tmp: Path):
        self.root = tmp / "drive"
        self.drive: DrivePort = LocalDrive(self.root, DEFAULT_FOLDERS, settle_seconds=0)
        self.mailbox: MailboxPort = LocalMailbox(tmp / "mail")
        self.drive.ensure_folders(OPD_FOLDERS)

    def drop(self, opd_folder: str, name: str, data: bytes) -> None:
        target = self.root / DEFAULT_FOLDERS[Folder.INBOX] / opd_folder / name
        target.write_bytes(data)

    def reviewer_move(self, file: DriveFile, folder: Folder) -> None:
        source = next(path for path in self.root.rglob("*")
                      if path.is_file() and f"ino-{path.stat().st_ino}" == file.id)
        source.rename(self.root / DEFAULT_FOLDERS[folder] / source.name)

    def deliver(self, raw: bytes) -> None:
        self.mailbox.deliver(raw)

    def sent_messages(self) -> list[bytes]:
        """Every message the adapter sent, as RFC 822 bytes, oldest first."""
        sent = self.mailbox.root / "sent"
        paths = [p for sub in ("new", "cur") for p in (sent / sub).iterdir()]
        return [p.read_bytes() for p in sorted(paths, key=lambda p: p.stat().st_mtime_ns)]

    def names_in(self, folder: Folder) -> list[str]:
        """The names of the files in a folder (for the inbox: in every OPD's subfolder)."""
        base = self.root / DEFAULT_FOLDERS[folder]
        return sorted(p.name for p in base.rglob("*") if p.is_file())

    def config_overrides(self) -> dict:
        """What drivebot.toml needs to run drivebot against this world."""
        return {"backend": "local", "settle_seconds": 0}

    def close(self) -> None:
        pass


WORLDS = {"local": LocalWorld}
