"""The commands about drafts and the daemon: init, run, once, status, approve, revise, advance,
finalize, retry, and the Google setup (auth, setup-google).

Each builds exactly the parts it uses (drivebot.bootstrap): `status` opens the store read-only and
never touches Google; the others get the whole application.
"""

from __future__ import annotations

import argparse
import getpass
import json

from drivebot import bootstrap, i18n
from drivebot.app.application import App
from drivebot.app.cycle import CycleReport
from drivebot.app.daemon import Daemon
from drivebot.app.leftovers import temporary_files_in
from drivebot.app.reload import Reloading
from drivebot.app.setup import init_workspace, setup_google
from drivebot.cli.console import Console, ExitStatus, configured
from drivebot.clock import Clock, system_clock
from drivebot.config import CONFIG_NAME, Config
from drivebot.errors import ConfigError, NotFound
from drivebot.flows import Folder
from drivebot.record import Confirmed
from drivebot.state.rows import Draft


def actor() -> str:
    """Who gave a command, for the audit log: the account that ran it."""
    return f"{getpass.getuser()} (CLI)"


def confirmation(args: argparse.Namespace) -> Confirmed | None:
    """What `finalize --number/--date/...` states, or None when it states nothing."""
    stated = (args.number, args.date, args.promulgated, args.gazette_number)
    if all(value is None for value in stated):
        return None
    return Confirmed(actor(), args.number, args.date, args.promulgated, args.gazette_number)


def _app(args: argparse.Namespace, console: Console) -> App:
    config = configured(args, console)
    return bootstrap.app(config, on_lock_wait=lambda: console.warn("waiting_for_lock"))


def init(args: argparse.Namespace, console: Console) -> ExitStatus:
    created = init_workspace(args.directory)
    console.say("init_done" if created else "init_kept", cfg=CONFIG_NAME, ws=args.directory)
    return ExitStatus.OK


def run(args: argparse.Namespace, console: Console) -> ExitStatus:
    """The daemon. drivebot.toml is read again before a cycle when it changed, or on SIGHUP
    (drivebot.app.reload)."""
    app = Reloading(lambda: _app(args, console), args.workspace / CONFIG_NAME)
    config = app.app.config
    if config.backend == "local":
        inbox = config.workspace / "drive" / config.folders[Folder.INBOX] / config.opds[0].folder
        console.say("drop_here", path=inbox, sent=config.workspace / "mail" / "sent")
    console.say("running", n=config.poll_interval_seconds)

    def cycle() -> None:
        current = app.current()
        report(console, current.cycle(), current.clock, current.config)

    daemon = Daemon(cycle, config.poll_interval_seconds, lambda: console.warn("stopping"), app.ask)
    try:
        with temporary_files_in(config.workspace):
            daemon.run()  # a second signal raises KeyboardInterrupt: main says "Dihentikan", 130
    except ConfigError as error:
        app.app.report_stop(error)
        raise
    console.say("stopped")
    return ExitStatus.OK


def once(args: argparse.Namespace, console: Console) -> ExitStatus:
    app = _app(args, console)
    try:
        with temporary_files_in(app.config.workspace):
            outcome = app.cycle()
    except ConfigError as error:
        app.report_stop(error)  # deduplicated: a cron job failing hourly tells them once
        raise
    report(console, outcome, app.clock, app.config)
    return ExitStatus.TRANSIENT if outcome.transient else ExitStatus.OK


def report(console: Console, outcome: CycleReport, clock: Clock, config: Config) -> None:
    problems = ""
    if outcome.transient or outcome.failed or outcome.outbox_failures:
        problems = console.text(
            "problems",
            transient=len(outcome.transient),
            failed=len(outcome.failed),
            outbox=outcome.outbox_failures,
        )
    console.say(
        "cycle",
        time=clock().astimezone(config.tz).strftime("%H:%M:%S"),
        files=outcome.files,
        messages=outcome.messages,
        problems=problems,
    )


def status(args: argparse.Namespace, console: Console) -> ExitStatus:
    from drivebot.app.status import all_drafts, one_draft
    from drivebot.cli.status_view import show_draft, show_table

    config = configured(args, console)
    store = bootstrap.store(config, readonly=True)
    if args.reg is not None:
        draft = store.draft(args.reg.strip().upper())
        if draft is None:
            raise NotFound("no_draft", reg=args.reg)
        record = one_draft(config, store, draft, system_clock)
        if args.json:
            print(json.dumps(record, ensure_ascii=False, indent=2), file=console.out)
            return ExitStatus.OK
        show_draft(record, console, config.tz)
        return ExitStatus.OK
    records = all_drafts(config, store, system_clock)
    if args.json:
        print(json.dumps(records, ensure_ascii=False, indent=2), file=console.out)
        return ExitStatus.OK
    if not records:
        console.say("no_drafts")
        return ExitStatus.OK
    show_table(records, console)
    return ExitStatus.OK


def health(args: argparse.Namespace, console: Console) -> ExitStatus:
    """What a monitor runs: exit 0 when drivebot is well, 7 with every problem printed."""
    from drivebot.app.health import check

    config = configured(args, console)
    problems = check(config, bootstrap.store(config, readonly=True), system_clock)
    if not problems:
        console.tell("health.ok")
        return ExitStatus.OK
    console.tell("health.unhealthy", n=len(problems))
    for problem in problems:
        console.tell(f"health.{problem.key}", **problem.values)
    return ExitStatus.UNHEALTHY


def decision(args: argparse.Namespace, console: Console) -> ExitStatus:
    """approve, revise, advance, finalize: the same decisions a move in Drive makes."""
    commands = _app(args, console).commands
    draft: Draft
    if args.command == "approve":
        draft = commands.approve(args.reg)
    elif args.command == "revise":
        draft = commands.revise(args.reg)
    elif args.command == "advance":
        draft = commands.advance(args.reg, args.stage, noreg=args.noreg)
    else:
        draft = commands.finalize(args.reg, args.file, actor(), confirmation(args))
        held = commands.store.held_final(draft.reg)
        if held is not None:
            console.say("final_held", reg=draft.reg)
            for key, values in held.problems:
                print(f"- {i18n.held_because(console.lang, key, values)}", file=console.out)
            return ExitStatus.REFUSED
    console.say("moved_to", reg=draft.reg, stage=i18n.stage_label(console.lang, draft.stage))
    return ExitStatus.OK


def retry(args: argparse.Namespace, console: Console) -> ExitStatus:
    console.say("retrying", n=_app(args, console).commands.retry())
    return ExitStatus.OK


def google_setup(args: argparse.Namespace, console: Console) -> ExitStatus:
    config = configured(args, console)
    if args.command == "auth":
        from drivebot.google.auth import run_auth_flow

        path = run_auth_flow(config.google, args.workspace, args.port, not args.no_browser)
        console.say("token_saved", path=path)
        return ExitStatus.OK
    count = setup_google(config, args.root, args.shared_drive)
    console.say("google_ready", n=count, cfg=CONFIG_NAME)
    return ExitStatus.OK
