"""Backing a workspace up, and restoring it.

A backup is one .tar.gz holding everything needed to carry on elsewhere: the configuration, the
state (copied with SQLite's online backup, so it is consistent while the page reads it), the
signing key (without it no QR code issued so far would verify), the archive folder of stamped
copies with the ledger's mirror, the version store of every original received, and on the local
backend the folder tree and the Maildirs themselves; the Google login files when present. It is
taken holding the workspace lock, so no cycle changes the state halfway through. The file holds
secrets (the key, the login): it is written readable by its owner only.

Restoring unpacks a backup into an empty folder; `drivebot verify --archive` there then checks
that nothing was lost (the test suite does exactly that).
"""

from __future__ import annotations

import os
import sqlite3
import tarfile
import tempfile
from pathlib import Path

from drivebot.app.lock import WorkspaceLock
from drivebot.config import CONFIG_NAME, Config
from drivebot.errors import ConfigError

# What a backup holds besides the state file, relative to the workspace (when present).
KEPT = ("keys", "archive", "versions", "drive", "mail")


def backup(config: Config, dest: Path, lock: WorkspaceLock) -> Path:
    """Write the backup to `dest` (a file, or a folder to put a dated file in); returns it."""
    workspace = config.workspace
    # Login files named by a path outside the workspace stay where they are (and out of the file).
    extra = [
        name
        for name in (config.google.token_file, config.google.service_account_file)
        if name and not Path(name).is_absolute()
    ]
    with lock.hold(), tempfile.TemporaryDirectory(prefix="drivebot-backup-") as tmp:
        state = Path(tmp) / config.state_file.name
        source = sqlite3.connect(str(config.state_file))
        target = sqlite3.connect(str(state))
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        if dest.is_dir():
            dest = dest / f"drivebot-{config.registration_prefix.lower()}-backup.tar.gz"
        partial = dest.with_name(f".{dest.name}.part")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with (
            os.fdopen(descriptor, "wb") as handle,
            tarfile.open(fileobj=handle, mode="w:gz") as archive,
        ):
            archive.add(workspace / CONFIG_NAME, CONFIG_NAME)
            archive.add(state, _inside(config.state_file, workspace))
            for name in [*KEPT, *extra]:
                if (workspace / name).exists():
                    archive.add(workspace / name, name)
        os.replace(partial, dest)
    return dest


def _inside(path: Path, workspace: Path) -> str:
    """Where `path` goes in the backup: relative to the workspace, or by its name alone."""
    return path.relative_to(workspace).as_posix() if path.is_relative_to(workspace) else path.name


def restore(source: Path, workspace: Path) -> None:
    """Unpack a backup into `workspace`, which must hold no workspace yet."""
    if (workspace / CONFIG_NAME).exists():
        raise ConfigError("restore_not_empty", ws=workspace)
    workspace.mkdir(parents=True, exist_ok=True)
    with tarfile.open(source, mode="r:gz") as archive:
        archive.extractall(workspace, filter="data")  # no path may leave the folder
        # The "data" filter makes every file writable by its owner; on the local backend a
        # read-only file is a locked archive copy, and must come back locked.
        for member in archive.getmembers():
            if member.isfile() and not member.mode & 0o222:
                (workspace / member.name).chmod(member.mode & 0o555)
    key_dir = workspace / "keys"
    if key_dir.is_dir():
        key_dir.chmod(0o700)
        for key in key_dir.iterdir():
            key.chmod(0o600)
