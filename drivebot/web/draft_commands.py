"""The commands a draft's page offers, and giving one: each does exactly what its CLI command
does, through drivebot.app.commands (the same decision, the same e-mails, the same lock), and
is recorded in the draft's history with the signed-in account ("kabag@... (dasbor)").

Who may give what: reviewers examine (approve, send back for revision, mark a stage done
outside the division, assign); ending a draft (withdraw, decline, close) and reopening it are
the admins' (the CLI leaves both to whoever runs the server). A page offers only what applies
at the draft's stage (drivebot.workflow.refusal), and the command refuses again if the stage
changed in between.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from drivebot.app.commands import Commands
from drivebot.config import Config
from drivebot.errors import Refused
from drivebot.events import (
    Approved,
    Closed,
    Declined,
    Event,
    Reopened,
    RevisionRequested,
    StageDone,
    Withdrawn,
)
from drivebot.flows import FLOWS, STAGES, is_open
from drivebot.state.accounts import Account, Role
from drivebot.state.rows import Draft
from drivebot.workflow import refusal

_EVENTS: dict[str, type[Event]] = {
    "approve": Approved,
    "revise": RevisionRequested,
    "advance": StageDone,
    "withdraw": Withdrawn,
    "decline": Declined,
    "close": Closed,
    "reopen": Reopened,
}
_ENDINGS = {"withdraw": Withdrawn, "decline": Declined, "close": Closed}
_ADMINS_ONLY = {"withdraw", "decline", "close", "reopen"}


@dataclass(frozen=True)
class Offer:
    """What the draft's page shows: the commands that apply, and their choices."""

    commands: tuple[str, ...]
    stages: tuple[str, ...]  # tracked stages of the flow not yet done (for "advance")
    reviewers: tuple[tuple[str, str], ...]  # (email, name), for "assign"


def offer(config: Config, draft: Draft, account: Account) -> Offer:
    stages = tuple(
        key for key in FLOWS[draft.product_type] if STAGES[key].tracked and key not in draft.done
    )
    commands = [
        name
        for name, event in _EVENTS.items()
        if refusal(draft.state, event) is None
        and (account.role is Role.ADMIN or name not in _ADMINS_ONLY)
        and (name != "advance" or stages)
    ]
    if is_open(draft.stage) and config.reviewers:
        commands.insert(commands.index("advance") + 1 if "advance" in commands else 0, "assign")
    return Offer(
        tuple(commands),
        stages,
        tuple((person.email, person.name) for person in config.reviewers),
    )


def give(commands: Commands, reg: str, form: Mapping[str, str], account: Account) -> Draft:
    """Carry out the command the form names; raises what the command raises (Rejected,
    Refused, NotFound) for the page to say."""
    name = form.get("command", "")
    if name not in (*_EVENTS, "assign"):
        raise Refused("unknown_command", command=name[:40])
    if name in _ADMINS_ONLY and account.role is not Role.ADMIN:
        raise Refused("admins_only")
    actor = f"{account.email} (dasbor)"
    if name == "approve":
        return commands.approve(reg, actor)
    if name == "revise":
        return commands.revise(reg, actor)
    if name == "advance":
        return commands.advance(reg, form.get("stage", ""), actor, form.get("noreg", ""))
    if name == "assign":
        return commands.assign(reg, form.get("email", ""), actor)
    if name == "reopen":
        return commands.reopen(reg, actor)
    return commands.end(reg, _ENDINGS[name], form.get("reason", ""), actor)
