"""The command line's grammar: every command, its arguments and options, with their help in
the reader's language (the catalogue's [help]; argparse's own words from its [argparse])."""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from drivebot import __version__, i18n
from drivebot.flows import STAGES, ProductType
from drivebot.state.accounts import Role


@contextmanager
def argparse_speaking(lang: str) -> Iterator[None]:
    """argparse looks its words up through its module's `_` (gettext) each time it says one:
    while parsing, that lookup is the catalogue's."""
    words = i18n.section(lang, "argparse")
    before = argparse._  # type: ignore[attr-defined]
    argparse._ = lambda message: words.get(message, message)  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._ = before  # type: ignore[attr-defined]


def language_of(argv: Sequence[str]) -> str:
    """The language for help and usage errors, before the arguments are parsed: --lang, else
    the workspace's own setting when it can be read, else Indonesian."""
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("--lang", choices=i18n.LANGUAGES)
    early.add_argument("--workspace", "-w", type=Path, default=Path("."))
    known, _ = early.parse_known_args(argv)
    if known.lang:
        return str(known.lang)
    from drivebot.config import load

    try:
        return load(known.workspace).language
    except Exception:  # no workspace, or a broken one: its error comes later, in its place
        return i18n.DEFAULT_LANGUAGE


def parse(argv: Sequence[str], lang: str) -> argparse.Namespace:
    with argparse_speaking(lang):
        return build_parser(lang).parse_args(argv)


def build_parser(lang: str = i18n.DEFAULT_LANGUAGE) -> argparse.ArgumentParser:
    words = i18n.section(lang, "help")
    shown = words["metavar"]
    parser = argparse.ArgumentParser(
        prog="drivebot", description=words["description"], add_help=False
    )
    parser.add_argument("-h", "--help", action="help", help=words["help"])
    parser.add_argument(
        "--version", action="version", version=f"drivebot {__version__}", help=words["version"]
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-h", "--help", action="help", help=words["help"])
    common.add_argument(
        "--workspace",
        "-w",
        type=Path,
        default=Path("."),
        metavar=shown["folder"],
        help=words["workspace"],
    )
    common.add_argument("--lang", choices=i18n.LANGUAGES, help=words["lang"])
    common.add_argument("--verbose", "-v", action="store_true", help=words["verbose"])
    common.add_argument("--traceback", action="store_true", help=words["traceback"])

    def iso_date(value: str) -> date:
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise argparse.ArgumentTypeError(words["bad_date"].format(value=value)) from None

    subparsers = parser.add_subparsers(
        dest="command", required=True, title=words["commands"], metavar=shown["command"]
    )

    def command(name: str) -> argparse.ArgumentParser:
        what = words[name.replace("-", "_")]
        return subparsers.add_parser(
            name, parents=[common], help=what, description=what, add_help=False
        )

    command("init").add_argument(
        "directory", type=Path, metavar=shown["folder"], help=words["init_directory"]
    )
    command("run")
    command("once")
    status = command("status")
    status.add_argument("reg", nargs="?", metavar=shown["reg"], help=words["reg"])
    status.add_argument("--json", action="store_true", help=words["json"])
    for name in ("approve", "revise"):
        command(name).add_argument("reg", metavar=shown["reg"], help=words["reg"])
    advance = command("advance")
    advance.add_argument("reg", metavar=shown["reg"], help=words["reg"])
    tracked = sorted(key for key, stage in STAGES.items() if stage.tracked)
    advance.add_argument(
        "stage",
        choices=tracked,
        metavar=shown["stage"],
        help=f"{words['stage']}: {', '.join(tracked)}",
    )
    advance.add_argument("--noreg", default="", metavar=shown["text"], help=words["noreg"])
    command("retry")
    finalize = command("finalize")
    finalize.add_argument("reg", metavar=shown["reg"], help=words["reg"])
    finalize.add_argument(
        "file", type=Path, nargs="?", metavar=shown["file"], help=words["final_file"]
    )
    finalize.add_argument("--number", type=int, metavar=shown["number"], help=words["final_number"])
    for option, key in (("--date", "final_date"), ("--promulgated", "final_promulgated")):
        finalize.add_argument(option, type=iso_date, metavar=shown["date"], help=words[key])
    finalize.add_argument(
        "--gazette-number", type=int, metavar=shown["number"], help=words["final_gazette"]
    )
    command("number").add_argument("reg", metavar=shown["reg"], help=words["reg"])
    for name in ("withdraw", "decline", "close"):
        ending = command(name)
        ending.add_argument("reg", metavar=shown["reg"], help=words["reg"])
        ending.add_argument("--reason", required=True, metavar=shown["text"], help=words["reason"])
    command("reopen").add_argument("reg", metavar=shown["reg"], help=words["reg"])
    assign = command("assign")
    assign.add_argument("reg", metavar=shown["reg"], help=words["reg"])
    assign.add_argument("email", metavar=shown["address"], help=words["assign_email"])
    presign = command("presign")
    presign.add_argument("reg", metavar=shown["reg"], help=words["reg"])
    presign.add_argument("file", type=Path, metavar=shown["file"], help=words["presign_file"])
    presign.add_argument("--date", type=iso_date, metavar=shown["date"], help=words["final_date"])
    register = command("register")
    register.add_argument(
        "type",
        nargs="?",
        choices=[t.value for t in ProductType],
        metavar=shown["type"],
        help=words["register_type"],
    )
    register.add_argument("--year", type=int, metavar=shown["year"], help=words["register_year"])
    auth = command("auth")
    auth.add_argument("--port", type=int, default=0, metavar=shown["port"], help=words["auth_port"])
    auth.add_argument("--no-browser", action="store_true", help=words["no_browser"])
    setup = command("setup-google")
    setup.add_argument("--root", required=True, metavar=shown["id"], help=words["root"])
    setup.add_argument(
        "--shared-drive", default="", metavar=shown["id"], help=words["shared_drive"]
    )
    verify = command("verify")
    verify.add_argument(
        "file", type=Path, nargs="?", metavar=shown["file"], help=words["verify_file"]
    )
    verify.add_argument("--archive", action="store_true", help=words["archive"])
    revoke = command("revoke")
    revoke.add_argument("product_id", metavar=shown["id"], help=words["product_id"])
    revoke.add_argument("--by", required=True, metavar=shown["text"], help=words["by"])
    stamp = command("stamp")
    stamp.add_argument("file", type=Path, metavar=shown["file"], help=words["stamp_file"])
    stamp.add_argument(
        "--type", required=True, choices=[t.value for t in ProductType], help=words["type"]
    )
    stamp.add_argument(
        "--number", required=True, type=int, metavar=shown["number"], help=words["stamp_number"]
    )
    stamp.add_argument(
        "--year", required=True, type=int, metavar=shown["year"], help=words["stamp_year"]
    )
    stamp.add_argument("--title", required=True, metavar=shown["text"], help=words["title"])
    stamp.add_argument("--date", metavar=shown["date"], help=words["stamp_date"])
    stamp.add_argument("--subject", default="", metavar=shown["text"], help=words["subject"])
    backlog = command("import-archive")
    backlog.add_argument(
        "directory", type=Path, metavar=shown["folder"], help=words["import_directory"]
    )
    backlog.add_argument(
        "--metadata", required=True, type=Path, metavar=shown["file"], help=words["metadata"]
    )
    serve = command("serve")
    serve.add_argument("--host", default="127.0.0.1", metavar=shown["address"], help=words["host"])
    serve.add_argument("--port", type=int, default=8080, metavar=shown["port"], help=words["port"])
    serve.add_argument(
        "--threads", type=int, default=8, metavar=shown["count"], help=words["threads"]
    )
    serve.add_argument("--trust-proxy", metavar=shown["address"], help=words["trust_proxy"])
    command("health")
    tracked_link = command("link")
    tracked_link.add_argument("reg", metavar=shown["reg"], help=words["reg"])
    tracked_link.add_argument("--renew", action="store_true", help=words["renew"])
    account = command("user")
    account.add_argument("action", choices=["add", "remove", "list"], help=words["user_action"])
    account.add_argument("email", nargs="?", metavar=shown["email"], help=words["user_email"])
    account.add_argument(
        "--role", choices=[role.value for role in Role], default="reviewer", help=words["user_role"]
    )
    account.add_argument("--password-stdin", action="store_true", help=words["password_stdin"])
    publish = command("publish")
    publish.add_argument(
        "directory", type=Path, metavar=shown["folder"], help=words["publish_directory"]
    )
    publish.add_argument("--download-url", metavar=shown["url"], help=words["download_url"])
    command("backup").add_argument("dest", type=Path, metavar=shown["file"], help=words["dest"])
    restore = command("restore")
    restore.add_argument("backup", type=Path, metavar=shown["file"], help=words["backup_file"])
    restore.add_argument(
        "directory", type=Path, metavar=shown["folder"], help=words["restore_directory"]
    )
    return parser
