"""How the CLI talks to people: its exit statuses, and its messages from the catalogue's [cli]."""

from __future__ import annotations

import argparse
import sys
from enum import IntEnum
from typing import Any, TextIO

from drivebot import i18n
from drivebot.config import Config, load


class ExitStatus(IntEnum):
    OK = 0
    ERROR = 1
    CONFIG = 2
    NOT_FOUND = 3
    REFUSED = 4
    BAD_DOCUMENT = 65  # EX_DATAERR: the file given cannot be used
    REVOKED_PRODUCT = 5  # verify: authentic, but no longer in force
    NOT_AUTHENTIC = 6  # verify: the file or the archive does not check out
    UNHEALTHY = 7  # health: something is wrong (each problem is printed)
    TRANSIENT = 75  # EX_TEMPFAIL: cron may simply try again
    INTERRUPTED = 130
    BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a reader that left early


class Console:
    """Where the CLI writes, and in which language (tests pass their own streams)."""

    def __init__(
        self, out: TextIO = sys.stdout, err: TextIO = sys.stderr, lang: str = i18n.DEFAULT_LANGUAGE
    ):
        self.out, self.err, self.lang = out, err, lang

    def say(self, key: str, **values: object) -> None:
        print(self.text(key, **values), file=self.out, flush=True)

    def warn(self, key: str, **values: object) -> None:
        print(self.text(key, **values), file=self.err, flush=True)

    def text(self, key: str, **values: object) -> str:
        return i18n.text(self.lang, f"cli.{key}", **values)

    def tell(self, key: str, **values: object) -> None:
        """A message from any table of the catalogue ("health.ok")."""
        print(i18n.text(self.lang, key, **values), file=self.out, flush=True)

    def words(self, key: str) -> Any:
        """A catalogue entry that is not a sentence (a list of column headers)."""
        return i18n.section(self.lang, "cli")[key]


def configured(args: argparse.Namespace, console: Console) -> Config:
    """The workspace's configuration; its language for messages unless --lang says otherwise."""
    config = load(args.workspace)
    if args.lang is None:
        console.lang = config.language
    return config
