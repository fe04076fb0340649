"""The workspace's own commands: backup and restore."""

from __future__ import annotations

import argparse

from drivebot.app.backup import backup as write_backup
from drivebot.app.backup import restore as unpack_backup
from drivebot.app.lock import WorkspaceLock
from drivebot.cli.console import Console, ExitStatus, configured
from drivebot.errors import NotFound


def backup(args: argparse.Namespace, console: Console) -> ExitStatus:
    config = configured(args, console)
    lock = WorkspaceLock(config.workspace, lambda: console.warn("waiting_for_lock"))
    written = write_backup(config, args.dest, lock)
    console.say("backup_done", path=written)
    return ExitStatus.OK


def restore(args: argparse.Namespace, console: Console) -> ExitStatus:
    if not args.backup.is_file():
        raise NotFound("no_file", path=args.backup)
    unpack_backup(args.backup, args.directory)
    console.say("restored", ws=args.directory)
    return ExitStatus.OK
