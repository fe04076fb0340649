"""The command line. `program` does the work; `main` alone maps errors to messages and exit codes.

Messages for people come from the catalogue (drivebot/i18n), in Indonesian unless the workspace
(or --lang) says "en".
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Callable, Sequence

from drivebot import i18n
from drivebot.cli.console import Console, ExitStatus
from drivebot.cli.parser import language_of, parse
from drivebot.errors import BadDocument, ConfigError, NotFound, Refused, TransientError
from drivebot.events import Rejected

log = logging.getLogger("drivebot")

Command = Callable[[argparse.Namespace, Console], ExitStatus]


class _Lazy:
    """A command module imported when one of its commands runs, not when the CLI starts: so
    `drivebot stamp` loads the archive and the stamping, not the daemon and the mail."""

    def __init__(self, module: str) -> None:
        self._module = module

    def __getattr__(self, name: str) -> Command:
        def command(args: argparse.Namespace, console: Console) -> ExitStatus:
            handler: Command = getattr(importlib.import_module(self._module), name)
            return handler(args, console)

        return command


archive, drafts, records, workspace, accounts, links = (
    _Lazy(f"drivebot.cli.{name}")
    for name in ("archive", "drafts", "records", "workspace", "accounts", "links")
)

COMMANDS: dict[str, Command] = {
    "init": drafts.init, "run": drafts.run, "once": drafts.once, "status": drafts.status,
    "approve": drafts.decision, "revise": drafts.decision, "advance": drafts.decision,
    "finalize": drafts.decision, "retry": drafts.retry, "health": drafts.health,
    "auth": drafts.google_setup, "setup-google": drafts.google_setup,
    "verify": archive.verify, "revoke": archive.revoke, "stamp": archive.stamp,
    "import-archive": archive.import_archive, "serve": archive.serve,
    "publish": archive.publish, "backup": workspace.backup, "restore": workspace.restore,
    "number": records.number, "register": records.register, "withdraw": records.ending,
    "decline": records.ending, "close": records.ending, "reopen": records.ending,
    "assign": records.assign,
    "presign": records.presign, "user": accounts.user, "link": links.link,
}  # fmt: skip


def program(args: argparse.Namespace, console: Console) -> ExitStatus:
    """The CLI without error handling."""
    return COMMANDS[args.command](args, console)


def main(argv: Sequence[str] | None = None, console: Console | None = None) -> int:
    """Run the CLI; every error becomes one message and an exit status."""
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv, language_of(argv))
    console = console or Console(lang=args.lang or i18n.DEFAULT_LANGUAGE)
    if args.lang:
        console.lang = args.lang
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=console.err,
    )
    try:
        return int(program(args, console))
    except KeyboardInterrupt:
        console.warn("interrupted")
        return ExitStatus.INTERRUPTED
    except BrokenPipeError:
        # The reader left (`drivebot status --json | head`): nothing to say to anyone. What is
        # still buffered goes nowhere, so that Python's own flush at exit does not fail too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitStatus.BROKEN_PIPE
    except Exception as exc:
        if args.traceback:
            raise
        status, key, values = describe(exc, console.lang)
        console.warn(key, **values)
        return status


def describe(exc: Exception, lang: str) -> tuple[ExitStatus, str, dict[str, object]]:
    """The exit status and the message (a catalogue key and its values) for an error."""
    if isinstance(exc, ConfigError):
        return ExitStatus.CONFIG, "said", {"msg": exc.text(lang)}
    if isinstance(exc, NotFound):
        return ExitStatus.NOT_FOUND, "said", {"msg": exc.text(lang)}
    if isinstance(exc, Refused):
        return ExitStatus.REFUSED, "said", {"msg": exc.text(lang)}
    if isinstance(exc, Rejected):
        return (
            ExitStatus.REFUSED,
            "refused",
            {
                "stage": i18n.stage_label(lang, exc.stage),
                "why": i18n.text(lang, f"refusal.{exc.reason.value}"),
            },
        )
    if isinstance(exc, BadDocument):
        return ExitStatus.BAD_DOCUMENT, "bad_document", {"msg": exc}
    if isinstance(exc, TransientError):
        return ExitStatus.TRANSIENT, "transient", {"msg": exc}
    log.debug("unexpected error", exc_info=exc)
    return ExitStatus.ERROR, "error", {"msg": f"{type(exc).__name__}: {exc}"}


if __name__ == "__main__":
    sys.exit(main())
