"""One "world" per backend: the ports under test plus the people who act on them.

A world gives the contract suite an adapter pair (Drive, mailbox) and ways to play the users
the way each backend really sees them: an OPD dropping a file, a reviewer dragging it to another
folder, an e-mail arriving. The contract tests use only these, so every backend is held to the
same observable behaviour.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from fakegoogle import FakeGoogle
from fakegoogle.drive import FOLDER_MIME

from drivebot.config import DEFAULT_FOLDERS, GoogleSettings
from drivebot.drive import DriveFile, DrivePort, GoogleDrive, setup_google_folders
from drivebot.flows import Folder
from drivebot.gmail import GmailMailbox, MailboxPort
from drivebot.google_api import drive_client, gmail_client
from drivebot.local import LocalDrive, LocalMailbox

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
        source = next(
            path
            for path in self.root.rglob("*")
            if path.is_file() and f"ino-{path.stat().st_ino}" == file.id
        )
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


BOT = "hukum@sbtkab.example"  # the division's account, which drivebot signs in as
OPD_STAFF = "dinkes@sbtkab.example"  # who drops drafts: the files are theirs
REVIEWER = "analis.hukum@sbtkab.example"


def save_login(google: FakeGoogle, directory: Path, email: str = BOT) -> dict[str, str]:
    """Sign `email` in at the local Google as `drivebot auth` would, saving the token file in
    `directory`; returns the [google] settings that use it."""
    directory.mkdir(parents=True, exist_ok=True)
    token = directory / f"google-token-{email.split('@')[0]}.json"
    token.write_text(json.dumps(google.authorized_user_info(email)), encoding="utf-8")
    token.chmod(0o600)
    return {"token_file": str(token), "token_uri": google.token_uri}


class GoogleWorld:
    """The Google adapters, through the real client library, against the local Google as it
    really is: drivebot signs in with a saved login and refreshes it at the token endpoint,
    owns the division's folder tree, and the OPD's staff own the files they drop (drivebot
    is a writer on them through the folders); Google's quotas hold."""

    name = "google"

    def __init__(self, tmp: Path, **options: object):
        self.google = FakeGoogle(ownership=True, quotas=True, default_user=OPD_STAFF, **options)
        self.google.start()
        self.users = self.google.users
        login = save_login(self.google, tmp)
        root = self.users.upload(
            self.google.drive.root_of(BOT), "Bagian Hukum", b"", FOLDER_MIME, as_user=BOT
        )
        settings = GoogleSettings(api_endpoint=self.google.url, root_folder_id=root, **login)
        drive_service = drive_client(settings, tmp, max_backoff=0.01)
        gmail_service = gmail_client(settings, tmp, max_backoff=0.01)
        ids = setup_google_folders(drive_service, settings, DEFAULT_FOLDERS, OPD_FOLDERS)
        self.settings = replace(settings, folder_ids=ids)
        for opd_folder in OPD_FOLDERS:  # each OPD may drop files in its own folder
            self.users.share(ids[f"inbox/{opd_folder}"], OPD_STAFF, "writer")
        self.users.share(root, REVIEWER, "writer")  # the reviewers work in the whole tree
        self.drive: DrivePort = GoogleDrive(drive_service, self.settings, DEFAULT_FOLDERS)
        self.mailbox: MailboxPort = GmailMailbox(gmail_service)

    def drop(self, opd_folder: str, name: str, data: bytes) -> None:
        folder = self.settings.folder_ids[f"inbox/{opd_folder}"]
        self.users.upload(folder, name, data, as_user=OPD_STAFF)

    def reviewer_move(self, file: DriveFile, folder: Folder) -> None:
        self.users.move(file.id, self.settings.folder_ids[folder.value])

    def deliver(self, raw: bytes) -> None:
        self.users.send_email(raw, to=BOT)

    def sent_messages(self) -> list[bytes]:
        """Every message the adapter sent, as RFC 822 bytes, oldest first."""
        return self.users.sent_messages(BOT)

    def names_in(self, folder: Folder) -> list[str]:
        """The names of the files in a folder (for the inbox: in every OPD's subfolder)."""
        ids = [
            v
            for k, v in self.settings.folder_ids.items()
            if k == folder.value or (folder is Folder.INBOX and k.startswith("inbox/"))
        ]
        drive = self.google.drive
        return sorted(
            f.name for folder_id in ids for f in drive.children(folder_id) if not f.is_folder
        )

    def config_overrides(self) -> dict:
        """What drivebot.toml needs to run drivebot against this world."""
        return {
            "backend": "google",
            "settle_seconds": 0,
            "google": {
                "api_endpoint": self.settings.api_endpoint,
                "token_file": self.settings.token_file,
                "token_uri": self.settings.token_uri,
                "root_folder_id": self.settings.root_folder_id,
                "folder_ids": dict(self.settings.folder_ids),
            },
        }

    def close(self) -> None:
        self.google.stop()


WORLDS = {"local": LocalWorld, "google": GoogleWorld}
