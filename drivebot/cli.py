"""The command line. `program` does the work; `main` alone maps errors to messages and exit codes.

Messages for people are Indonesian unless the workspace (or --lang) says "en".
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from importlib.resources import files
from pathlib import Path

import schedule

from drivebot import bootstrap
from drivebot.archive_cli import ARCHIVE_COMMANDS
from drivebot.config import CONFIG_NAME, load, write_google_settings
from drivebot.console import TEXTS, Console, ExitStatus
from drivebot.errors import BadDocument, ConfigError, NotFound, TransientError
from drivebot.outbox import product_number
from drivebot.service import CycleReport, Service
from drivebot.signing import Signer
from drivebot.store import Store
from drivebot.workflow import (
    FLOWS,
    PRODUCT_NAMES,
    STAGES,
    EventKind,
    Folder,
    ProductType,
    Rejected,
)

log = logging.getLogger("drivebot")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="drivebot", description=(
        "Moves draft legal products through review: watches the shared folder and the inbox, "
        "e-mails feedback, stamps and archives finals."))
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--workspace", "-w", type=Path, default=Path("."),
                        help="the workspace folder (default: the current folder)")
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
    for name, what in (("approve", "approve a draft (as moving it to Disetujui)"),
                       ("revise", "send a draft back for revision (as moving it to Perbaikan)")):
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
    verify.add_argument("--archive", action="store_true",
                        help="check every archived file and the whole ledger")
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
    backlog.add_argument("--metadata", required=True, type=Path,
                         help="CSV: file,type,number,year,title,date,subject")
    serve = command("serve", help="run the verification page the QR codes point to")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    publish = command("publish", help="write the verification pages as a static site")
    publish.add_argument("directory", type=Path)
    publish.add_argument("--download-url", help="base URL where the stamped PDFs are published")
    return parser


def program(args: argparse.Namespace, console: Console) -> ExitStatus:
    """The CLI without error handling."""
    if args.command == "init":
        return _init(args.directory, console)
    if args.command in ("auth", "setup-google"):
        return _google_setup(args, console)
    service = bootstrap.build(args.workspace)
    if args.lang is None:
        console.lang = service.config.language
    if args.command == "run":
        return _run(service, console)
    if args.command == "once":
        report = service.cycle()
        _report(console, report)
        return ExitStatus.TRANSIENT if report.transient else ExitStatus.OK
    if args.command == "status":
        return _status(service, args.reg, args.json, console)
    if args.command == "retry":
        with service.exclusive(), service.store.transaction():
            count = service.store.retry_given_up()
        console.say("retrying", n=count)
        return ExitStatus.OK
    if args.command in ARCHIVE_COMMANDS:
        with service.exclusive():
            return ARCHIVE_COMMANDS[args.command](service, args, console)
    if args.command == "finalize":
        draft = service.finalize(args.reg, args.file)
    else:
        kind = {"approve": EventKind.APPROVED, "revise": EventKind.REVISION_REQUESTED,
                "advance": EventKind.STAGE_DONE}[args.command]
        draft = service.command(args.reg, kind, getattr(args, "stage", None))
    console.say("moved_to", reg=draft.reg, stage=STAGES[draft.stage].label(console.lang))
    return ExitStatus.OK


def _init(directory: Path, console: Console) -> ExitStatus:
    directory.mkdir(parents=True, exist_ok=True)
    config_path = directory / CONFIG_NAME
    if config_path.exists():
        console.say("init_kept", cfg=CONFIG_NAME, ws=directory)
    else:
        sample = files("drivebot").joinpath("sample_config.toml").read_text(encoding="utf-8")
        config_path.write_text(sample, encoding="utf-8")
        console.say("init_done", cfg=CONFIG_NAME, ws=directory)
    config = load(directory)
    Store(config.state_file).close()
    Signer.load(directory, create=True)
    if config.backend == "local":
        drive, _ = bootstrap.adapters(config)
        drive.ensure_folders([opd.folder for opd in config.opds])
    return ExitStatus.OK


def _google_setup(args: argparse.Namespace, console: Console) -> ExitStatus:
    from drivebot.drive import setup_google_folders
    from drivebot.google_api import build_services, run_auth_flow

    config = load(args.workspace)
    if args.command == "auth":
        path = run_auth_flow(config.google, args.workspace, args.port, not args.no_browser)
        console.say("token_saved", path=path)
        return ExitStatus.OK
    settings = replace(config.google, root_folder_id=args.root,
                       shared_drive_id=args.shared_drive)
    drive_service, _ = build_services(settings, args.workspace)
    ids = setup_google_folders(drive_service, settings, config.folders,
                               [opd.folder for opd in config.opds])
    write_google_settings(args.workspace, args.root, args.shared_drive, ids)
    console.say("google_ready", n=len(ids), cfg=CONFIG_NAME)
    return ExitStatus.OK


def _run(service: Service, console: Console) -> ExitStatus:
    config = service.config
    if config.backend == "local":
        inbox = config.workspace / "drive" / config.folders[Folder.INBOX] / config.opds[0].folder
        console.say("drop_here", path=inbox, sent=config.workspace / "mail" / "sent")
    console.say("running", n=config.poll_interval_seconds)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    def cycle() -> None:
        try:
            _report(console, service.cycle())
        except ConfigError:
            raise  # the daemon cannot go on as configured
        except Exception:  # one bad cycle must not stop the daemon; the next one retries
            log.exception("poll cycle failed; trying again in %s s", config.poll_interval_seconds)

    job = schedule.Scheduler()
    job.every(config.poll_interval_seconds).seconds.do(cycle)
    cycle()
    try:
        while not stopping:
            job.run_pending()
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    console.say("stopped")
    return ExitStatus.OK


def _report(console: Console, report: CycleReport) -> None:
    problems = ""
    if report.transient or report.failed or report.outbox_failures:
        problems = TEXTS[console.lang]["problems"].format(
            transient=len(report.transient), failed=len(report.failed),
            outbox=report.outbox_failures)
    console.say("cycle", time=time.strftime("%H:%M:%S"), files=report.files,
                messages=report.messages, problems=problems)


def _draft_record(service: Service, draft) -> dict:
    view = service.outbox.view(draft)
    return {
        "reg": draft.reg, "opd": draft.opd, "title": draft.title,
        "product_type": draft.product_type.value, "stage": draft.stage,
        "stage_label": STAGES[draft.stage].label_id, "version": draft.version,
        "number": product_number(draft), "stages_done": sorted(draft.done),
        "flow": list(FLOWS[draft.product_type]), "waiting_days": view.waiting_days,
        "created_at": draft.created_at, "stage_since": draft.stage_since,
    }


def _status(service: Service, reg: str | None, as_json: bool, console: Console) -> ExitStatus:
    store = service.store
    if reg is not None:
        draft = service.draft(reg)
        record = _draft_record(service, draft)
        record["history"] = [dict(row) for row in store.history(draft.reg)]
        record["versions"] = [dict(row) for row in store.versions(draft.reg)]
        if as_json:
            print(json.dumps(record, ensure_ascii=False, indent=2), file=console.out)
            return ExitStatus.OK
        for key in ("reg", "title", "opd", "product_type", "stage_label", "version", "number"):
            print(f"{key:>13}: {record[key]}", file=console.out)
        for row in record["history"]:
            print(f"  {row['at']}  {row['actor']:<24} {row['event']:<20} "
                  f"{row['from_stage'] or '-'} -> {row['to_stage'] or '-'}  {row['reason']}",
                  file=console.out)
        return ExitStatus.OK
    records = [_draft_record(service, d) for d in store.drafts()]
    if as_json:
        print(json.dumps(records, ensure_ascii=False, indent=2), file=console.out)
        return ExitStatus.OK
    if not records:
        console.say("no_drafts")
        return ExitStatus.OK
    rows = [console.text("headers")] + [
        (r["reg"], r["opd"], PRODUCT_NAMES[service.draft(r["reg"]).product_type]["short"],
         STAGES[r["stage"]].label(console.lang), str(r["version"]),
         TEXTS[console.lang]["days"].format(n=r["waiting_days"]), r["title"][:60])
        for r in records]
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [str(cell).ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[-1]]), file=console.out)
    return ExitStatus.OK


def main(argv: Sequence[str] | None = None, console: Console | None = None) -> int:
    """Run the CLI; every error becomes one message and an exit status."""
    args = _parser().parse_args(argv)
    console = console or Console(lang=args.lang or "id")
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=console.err)
    try:
        return int(program(args, console))
    except KeyboardInterrupt:
        print(TEXTS[console.lang]["interrupted"], file=console.err)
        return ExitStatus.INTERRUPTED
    except Exception as exc:
        if args.traceback:
            raise
        status, key, values = _describe(exc)
        print(TEXTS[console.lang][key].format(**values), file=console.err)
        return status


def _describe(exc: Exception) -> tuple[ExitStatus, str, dict[str, object]]:
    if isinstance(exc, ConfigError):
        return ExitStatus.CONFIG, "config_error", {"msg": exc}
    if isinstance(exc, NotFound):
        return ExitStatus.NOT_FOUND, "not_found", {"msg": exc}
    if isinstance(exc, Rejected):
        return ExitStatus.REFUSED, "refused", {"stage": STAGES[exc.stage].label_id,
                                               "why": exc.reason_key}
    if isinstance(exc, BadDocument):
        return ExitStatus.BAD_DOCUMENT, "bad_document", {"msg": exc}
    if isinstance(exc, TransientError):
        return ExitStatus.TRANSIENT, "transient", {"msg": exc}
    log.debug("unexpected error", exc_info=exc)
    return ExitStatus.ERROR, "error", {"msg": f"{type(exc).__name__}: {exc}"}


if __name__ == "__main__":
    sys.exit(main())
