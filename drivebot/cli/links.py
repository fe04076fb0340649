"""`drivebot link REG [--renew]`: the draft's tracking link for its OPD (drivebot.tracking),
to give by telephone or chat; `--renew` revokes every link sent before and prints the new one
(the OPD's next e-mails carry it), recorded in the draft's history."""

from __future__ import annotations

import argparse

from drivebot import bootstrap, tracking
from drivebot.cli.console import Console, ExitStatus, configured
from drivebot.cli.drafts import actor
from drivebot.errors import NotFound, Refused
from drivebot.files import workspace_key


def link(args: argparse.Namespace, console: Console) -> ExitStatus:
    config = configured(args, console)
    if config.base_url is None:
        raise Refused("no_base_url")
    store = bootstrap.store(config)
    try:
        draft = store.draft(args.reg.strip().upper())
        if draft is None:
            raise NotFound("no_draft", reg=args.reg)
        if args.renew:
            with store.transaction():
                store.renew_link(draft.reg)
                store.audit(draft.reg, actor(), "link_renewed", draft.stage, None, "command:")
        key = workspace_key(config.workspace, tracking.KEY_NAME)
        url = tracking.link(config.base_url, key, draft.reg, store.link_generation(draft.reg))
        console.say("link_renewed" if args.renew else "link", reg=draft.reg, url=url)
        queued = [i for i in store.pending() if i.reg == draft.reg and i.effect.kind == "email"]
        if args.renew and queued:  # rendered before: they carry the link just revoked
            console.warn("link_queued", n=len(queued))
        return ExitStatus.OK
    finally:
        store.close()
