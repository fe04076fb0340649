"""The one place that turns a configuration into concrete adapters and a ready Service."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from drivebot.config import Config, load
from drivebot.drive import DrivePort
from drivebot.gmail import MailboxPort
from drivebot.local import LocalDrive, LocalMailbox
from drivebot.service import Service
from drivebot.store import Store


def adapters(config: Config) -> tuple[DrivePort, MailboxPort]:
    if config.backend == "google":
        from drivebot.drive import GoogleDrive
        from drivebot.gmail import GmailMailbox
        from drivebot.google_api import build_services

        drive_service, gmail_service = build_services(config.google, config.workspace)
        return (GoogleDrive(drive_service, config.google, config.folders),
                GmailMailbox(gmail_service))
    return (LocalDrive(config.workspace / "drive", config.folders, config.settle_seconds),
            LocalMailbox(config.workspace / "mail"))


def build(workspace: Path, clock: Callable[[], datetime] = datetime.now) -> Service:
    config = load(workspace)
    drive, mailbox = adapters(config)
    return Service(config, Store(config.state_file), drive, mailbox, clock)
