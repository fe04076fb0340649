"""`drivebot user add|remove|list`: the dashboard's local accounts (drivebot.state.accounts).

The password is asked twice at the terminal, never taken as an argument (it would stay in the
shell's history and in the process list); `--password-stdin` reads one line, for scripts.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from drivebot import bootstrap
from drivebot.cli.console import Console, ExitStatus, configured
from drivebot.errors import NotFound, Refused
from drivebot.state.accounts import Role
from drivebot.web.accounts import hash_password


def user(args: argparse.Namespace, console: Console) -> ExitStatus:
    config = configured(args, console)
    store = bootstrap.store(config)
    try:
        if args.action == "list":
            for account in store.accounts():
                if account.active:
                    console.say("user_line", email=account.email, role=account.role.value)
            return ExitStatus.OK
        if not args.email:
            raise Refused("user_email")
        if args.action == "remove":
            with store.transaction():
                if not store.remove_account(args.email):
                    raise NotFound("no_account", email=args.email)
            console.say("user_removed", email=args.email.lower())
            return ExitStatus.OK
        password_hash = hash_password(_password(args, console))
        with store.transaction():
            store.put_account(args.email, Role(args.role), password_hash)
        console.say("user_added", email=args.email.lower(), role=args.role)
        return ExitStatus.OK
    finally:
        store.close()


def _password(args: argparse.Namespace, console: Console) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(console.text("password_prompt"))
    if getpass.getpass(console.text("password_again")) != first:
        raise Refused("password_mismatch")
    return first
