"""The commands about the legal record: `number` (reserve a product number) and `register`
(print the numbering registers with their gaps and duplicates). `finalize` settles a held
final (drivebot.cli.drafts)."""

from __future__ import annotations

import argparse

from drivebot import bootstrap, i18n
from drivebot.app.register import Register, registers, series_name
from drivebot.cli.console import Console, ExitStatus, configured
from drivebot.cli.drafts import actor
from drivebot.clock import system_clock
from drivebot.events import Closed, Declined, Withdrawn
from drivebot.flows import ProductType


def number(args: argparse.Namespace, console: Console) -> ExitStatus:
    config = configured(args, console)
    app = bootstrap.app(config, on_lock_wait=lambda: console.warn("waiting_for_lock"))
    draft = app.commands.reserve_number(args.reg, actor())
    if draft.number is None or draft.number_year is None:
        raise RuntimeError(f"{draft.reg}: no number was reserved")
    phrase = i18n.number_phrase(draft.number, draft.number_year, console.lang)
    console.say("number_reserved", reg=draft.reg, number=phrase)
    return ExitStatus.OK


def assign(args: argparse.Namespace, console: Console) -> ExitStatus:
    config = configured(args, console)
    commands = bootstrap.app(config, on_lock_wait=lambda: console.warn("waiting_for_lock")).commands
    draft = commands.assign(args.reg, args.email, actor())
    console.say("assigned", reg=draft.reg, email=draft.assignee)
    return ExitStatus.OK


ENDINGS = {"withdraw": Withdrawn, "decline": Declined, "close": Closed}


def ending(args: argparse.Namespace, console: Console) -> ExitStatus:
    """withdraw, decline, close (with a reason), and reopen."""
    config = configured(args, console)
    commands = bootstrap.app(config, on_lock_wait=lambda: console.warn("waiting_for_lock")).commands
    if args.command == "reopen":
        draft = commands.reopen(args.reg, actor())
    else:
        draft = commands.end(args.reg, ENDINGS[args.command], args.reason, actor())
    console.say("ended", reg=draft.reg, stage=i18n.stage_label(console.lang, draft.stage))
    return ExitStatus.OK


def presign(args: argparse.Namespace, console: Console) -> ExitStatus:
    config = configured(args, console)
    commands = bootstrap.app(config, on_lock_wait=lambda: console.warn("waiting_for_lock")).commands
    path = commands.presign(args.reg, args.file, actor(), args.date)
    console.say("presigned", reg=args.reg.strip().upper(), path=path)
    return ExitStatus.OK


def register(args: argparse.Namespace, console: Console) -> ExitStatus:
    config = configured(args, console)
    store = bootstrap.store(config, readonly=True)
    year = args.year or system_clock().astimezone(config.tz).year
    kinds = [ProductType(args.type)] if args.type else None
    found = registers(store, config, year, kinds)
    for one in found:
        show(one, console)
    return ExitStatus.OK


def show(register: Register, console: Console) -> None:
    lang = console.lang
    words = i18n.section(lang, "register")
    print(words["heading"].format(series=series_name(lang, register.series), year=register.year),
          file=console.out)  # fmt: skip
    if not register.entries:
        print(f"  {words['empty']}", file=console.out)
    for entry in register.entries:
        when = i18n.long_date(lang, entry.enacted_on) if entry.enacted_on else "-"
        status = words[entry.status]
        print(f"  {entry.number:>4}  {entry.reg:<14} {when:<18} {status:<12} {entry.title}",
              file=console.out)  # fmt: skip
    if register.gaps:
        print(f"  {words['gaps']}: {', '.join(map(str, register.gaps))}", file=console.out)
    if register.duplicates:
        print(f"  {words['duplicates']}: {', '.join(map(str, register.duplicates))}",
              file=console.out)  # fmt: skip
    print(file=console.out)
