"""What a draft's page on the dashboard shows: its facts and stage clock, its flowchart, its
timeline (every audit entry: who, when, what), its versions with the reviewers' notes of each
round, and the e-mails sent about it. Read from the store; drivebot.web.dashboard renders it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, tzinfo
from email.parser import BytesHeaderParser
from email.policy import default

from drivebot import i18n
from drivebot.config import Config
from drivebot.deadlines import StageClock
from drivebot.events import Note
from drivebot.flows import ENDED, flowchart
from drivebot.i18n.history import cause, size, when
from drivebot.state.outbox import SendEmail, load
from drivebot.state.rows import AuditEntry, Draft, FileRole, OutboxRow
from drivebot.state.store import Store
from drivebot.web.board import Card, card_of, standing

# The files whose Drive links the page shows (on Google; the local backend has none).
_LINKED = (FileRole.WORKING, FileRole.REVIEW, FileRole.FINAL, FileRole.ARCHIVE)


@dataclass(frozen=True)
class Step:
    label: str
    actor: str
    state: str  # "done", "current" or "todo" (drivebot.flows.flowchart)


@dataclass(frozen=True)
class Entry:
    when: str
    actor: str
    event: str
    moved: str  # "Pemeriksaan → Perbaikan", or empty
    cause: str


@dataclass(frozen=True)
class VersionLine:
    version: int
    kind: str  # "draft" or "final"
    kind_label: str
    file_name: str
    size: str
    when: str
    notes: tuple[Note, ...]  # the reviewers' notes sent back on this version


@dataclass(frozen=True)
class MailLine:
    subject: str
    to: str
    when: str
    state: str  # "sent", "waiting" or "given_up"


@dataclass(frozen=True)
class DraftPage:
    card: Card
    stage: str
    stage_label: str
    ended: bool
    number: str | None
    steps: tuple[Step, ...]
    history: tuple[Entry, ...]
    versions: tuple[VersionLine, ...]
    emails: tuple[MailLine, ...]
    links: tuple[tuple[str, str], ...]  # (file name, Drive link) of the files drivebot tracks


def steps_of(draft: Draft, lang: str) -> tuple[Step, ...]:
    """The draft's flowchart, each stage with its state (drivebot.flows.flowchart)."""
    return tuple(
        Step(i18n.stage_label(lang, stage.key), i18n.stage_actor(lang, stage.key), state)
        for stage, state in flowchart(draft.product_type, draft.stage, draft.done)
    )


def build(
    config: Config, store: Store, draft: Draft, clock: StageClock | None, today: date, lang: str
) -> DraftPage:
    tz = config.tz
    number = (
        i18n.number_phrase(draft.number, draft.number_year)
        if draft.number is not None and draft.number_year is not None
        else None
    )
    return DraftPage(
        card=card_of(standing(draft, clock, today, tz), lang),
        stage=draft.stage,
        stage_label=i18n.stage_label(lang, draft.stage),
        ended=draft.stage in ENDED,
        number=number,
        steps=steps_of(draft, lang),
        history=tuple(_entry(entry, lang, tz) for entry in reversed(store.history(draft.reg))),
        versions=tuple(
            VersionLine(
                v.version,
                v.kind.value,
                i18n.text(lang, f"draft.{v.kind.value}_kind"),
                v.file_name,
                size(v.size),
                when(lang, v.received_at, tz),
                tuple(store.notes_on(draft.reg, v.version)),
            )
            for v in reversed(store.versions(draft.reg))
        ),
        emails=tuple(_mail(row, lang, tz) for row in reversed(store.emails_about(draft.reg))),
        links=tuple((f.name, f.link) for f in store.files_of(draft.reg, *_LINKED) if f.link),
    )


def _entry(entry: AuditEntry, lang: str, tz: tzinfo | None) -> Entry:
    before, after = entry.from_stage, entry.to_stage
    moved = (
        f"{i18n.stage_label(lang, before)} → {i18n.stage_label(lang, after)}"
        if before and after and before != after
        else ""
    )
    return Entry(
        when(lang, entry.at, tz),
        entry.actor,
        i18n.section(lang, "event").get(entry.event, entry.event),
        moved,
        cause(lang, entry.reason),
    )


def _mail(row: OutboxRow, lang: str, tz: tzinfo | None) -> MailLine:
    effect = load(row.kind, row.payload)
    to = ", ".join(effect.to) if isinstance(effect, SendEmail) else ""
    # The subject as it was sent; the bytes are pruned after the retention period.
    subject = (
        str(BytesHeaderParser(policy=default).parsebytes(row.raw)["Subject"] or "")
        if row.raw
        else ""
    )
    if not subject:
        subject = effect.template if isinstance(effect, SendEmail) else row.kind
    state = "sent" if row.done_at else "given_up" if row.given_up else "waiting"
    return MailLine(subject, to, when(lang, row.done_at or row.created_at, tz), state)
