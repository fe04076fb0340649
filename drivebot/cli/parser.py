"""The command line's grammar: every command, its arguments and options."""

from __future__ import annotations

import argparse
from pathlib import Path

from drivebot import __version__
from drivebot.flows import STAGES, ProductType


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="drivebot",
        description=(
            "Moves draft legal products through review: watches the shared folder and the inbox, "
            "e-mails feedback, stamps and archives finals."
        ),
    )
    parser.add_argument("--version", action="version", version=f"drivebot {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--workspace",
        "-w",
        type=Path,
        default=Path("."),
        help="the workspace folder (default: the current folder)",
    )
    common.add_argument("--lang", choices=("id", "en"), help="language of messages")
    common.add_argument("--verbose", "-v", action="store_true", help="log every step")
    common.add_argument("--traceback", action="store_true", help="show the traceback on errors")
    subparsers = parser.add_subparsers(dest="command", required=True)

    def command(name: str, help: str) -> argparse.ArgumentParser:
        return subparsers.add_parser(name, parents=[common], help=help)

    init = command("init", help="create a workspace with a sample configuration")
    init.add_argument("directory", type=Path)
    command("run", help="poll for ever (Ctrl-C or SIGTERM stops)")
    command("once", help="one poll cycle, then exit (for cron)")
    status = command("status", help="all drafts, or one draft's history")
    status.add_argument("reg", nargs="?")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    for name, what in (
        ("approve", "approve a draft (as moving it to Disetujui)"),
        ("revise", "send a draft back for revision (as moving it to Perbaikan)"),
    ):
        command(name, what).add_argument("reg")
    advance = command("advance", help="mark a tracked stage done")
    advance.add_argument("reg")
    advance.add_argument("stage", choices=sorted(k for k, s in STAGES.items() if s.tracked))
    command("retry", help="try again what drivebot gave up on (after fixing the cause)")
    finalize = command("finalize", help="take in the signed final PDF of a draft")
    finalize.add_argument("reg")
    finalize.add_argument("file", type=Path)
    auth = command("auth", help="sign in to Google and save the token (backend google)")
    auth.add_argument("--port", type=int, default=0, help="fixed port, to forward over SSH")
    auth.add_argument("--no-browser", action="store_true", help="print the URL only")
    setup = command("setup-google", help="create the folder tree on Drive, write its ids")
    setup.add_argument("--root", required=True, help="id of the shared folder to work in")
    setup.add_argument("--shared-drive", default="", help="id of its shared drive, if any")
    verify = command("verify", help="is this file an authentic archived product?")
    verify.add_argument("file", type=Path, nargs="?")
    verify.add_argument(
        "--archive", action="store_true", help="check every archived file and the whole ledger"
    )
    revoke = command("revoke", help="mark an archived product revoked or amended")
    revoke.add_argument("product_id")
    revoke.add_argument("--by", required=True, help='e.g. "Perbup Nomor 3 Tahun 2027"')
    stamp = command("stamp", help="stamp and archive an existing legal product")
    stamp.add_argument("file", type=Path)
    stamp.add_argument("--type", required=True, choices=[t.value for t in ProductType])
    stamp.add_argument("--number", required=True, type=int)
    stamp.add_argument("--year", required=True, type=int)
    stamp.add_argument("--title", required=True)
    stamp.add_argument("--date", help="date of enactment, YYYY-MM-DD (default: 1 January)")
    stamp.add_argument("--subject", default="")
    backlog = command("import-archive", help="stamp and archive a backlog of past products")
    backlog.add_argument("directory", type=Path)
    backlog.add_argument(
        "--metadata", required=True, type=Path, help="CSV: file,type,number,year,title,date,subject"
    )
    serve = command("serve", help="run the verification page the QR codes point to")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--threads", type=int, default=8, help="requests served at once")
    serve.add_argument(
        "--trust-proxy",
        metavar="ADDRESS",
        help="the reverse proxy's address: only its X-Forwarded-* headers are believed",
    )
    command("health", help="is drivebot well? (exit 0 healthy, 7 with the problems listed)")
    publish = command("publish", help="write the verification pages as a static site")
    publish.add_argument("directory", type=Path)
    publish.add_argument("--download-url", help="base URL where the stamped PDFs are published")
    backup = command("backup", help="write the whole workspace to one .tar.gz (daemon may run)")
    backup.add_argument("dest", type=Path, help="the file to write, or a folder to put it in")
    restore = command("restore", help="unpack a backup into an empty folder")
    restore.add_argument("backup", type=Path)
    restore.add_argument("directory", type=Path)
    return parser
