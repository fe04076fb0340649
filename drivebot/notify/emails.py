"""drivebot's e-mails, rendered from templates (drivebot.notify.mime wraps them into MIME).

Template layout (package data under ``drivebot/notify/templates``)::

    layout.text.j2 / layout.html.j2   the two shared layouts: greeting, the message's prose, the
                                      shared parts (reviewers' notes, digest table, technical
                                      detail), the draft's key facts, its flowchart, sign-off
    id/<message>.j2, en/<message>.j2  one small file per message and language: only words
    id/_*.j2, en/_*.j2                sentences several messages share (how to send a revision...)

A message file extends ``layout`` and fills three blocks: ``subject``, ``body`` (before the
shared parts) and ``after`` (optional, after them). Each message is rendered twice from that one
file: by a text environment and by an HTML environment whose autoescape is on, so a message's
words are written once per language. ``body`` and ``after`` are plain prose: a blank line starts
a paragraph and lines beginning with "- " form a list; the ``paras`` filter turns that into
``<p>``/``<ul>`` with inline styles or into plain paragraphs. The layouts add a shared part
when its value is given: ``comments`` (notes with quoted text and replies), ``drafts`` (the
digest table, late ones first) and ``detail`` (preformatted technical detail). Everything a
message needs about a draft (facts, flowchart rows, stages still ahead) is computed here once,
so the templates only lay it out. The subject comes from the text rendering, and ``render``
prefixes it with the registration number so every e-mail about a draft can be found by it.

The layouts' labels (fact names, "di sini", the sign-off) come from the message catalogue's
``[email]`` table (drivebot/i18n), as do stage and product names.

Adding a message: one file per language in ``id/`` and ``en/``, a member of ``Notice``
(drivebot.events) or ``Report`` (below), and a line in ``TEMPLATE_AUDIENCES``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from drivebot import i18n
from drivebot.events import Notice
from drivebot.flows import ENDED, Audience, ProductType, flowchart, is_open
from drivebot.naming import without_mail_tag
from drivebot.notify.environment import environment, message_names

LANGUAGES = i18n.LANGUAGES
DEFAULT_INBOX = "00 Masuk"  # drivebot.config.DEFAULT_FOLDERS; Notices passes the configured one
LATE_DAYS = 7  # a draft that has waited longer than this is listed as late in the digest
DIGEST_SHOWN = 50  # drafts the digest lists in full; the rest are counted (and in its CSV)


class Report(StrEnum):
    """The e-mails outside the review process: refusals, quarantine, reports, the digest."""

    REJECTED_EVENT = "rejected_event"
    FILE_QUARANTINED = "file_quarantined"
    UNKNOWN_SENDER = "unknown_sender"
    BAD_INPUT_REPORT = "bad_input_report"
    DIGEST = "digest"
    ERROR_REPORT = "error_report"
    STATUS_NOTICE = "status_notice"
    SUBMITTED_BATCH = "submitted_batch"
    SUBMITTED_REVIEWERS_BATCH = "submitted_reviewers_batch"
    MISPLACED = "misplaced"
    FINAL_HELD = "final_held"
    DEADLINE_REMINDER = "deadline_reminder"
    DEADLINE_SUMMARY = "deadline_summary"
    REVIEWER_SUMMARY = "reviewer_summary"


Template = Notice | Report
# The e-mail that stands for several held notices of one kind (drivebot.app.notices).
BATCH_TEMPLATES: dict[Notice, Report] = {
    Notice.SUBMITTED: Report.SUBMITTED_BATCH,
    Notice.SUBMITTED_REVIEWERS: Report.SUBMITTED_REVIEWERS_BATCH,
}

# Who receives each message (tests render every pair; the service may check against it).
TEMPLATE_AUDIENCES: dict[str, tuple[Audience, ...]] = {
    "submitted": (Audience.OPD,),
    "submitted_reviewers": (Audience.REVIEWERS,),
    "revision_requested": (Audience.OPD,),
    "revision_received": (Audience.OPD,),
    "revision_received_reviewers": (Audience.REVIEWERS,),
    "approved": (Audience.OPD, Audience.ADMINS),
    "stage_done": (Audience.OPD, Audience.ADMINS),
    "archived": (Audience.OPD, Audience.ADMINS),
    "rejected_event": (Audience.OPD, Audience.REVIEWERS),
    "file_quarantined": (Audience.OPD,),
    "unknown_sender": (Audience.ADMINS,),
    "bad_input_report": (Audience.ADMINS,),
    "digest": (Audience.ADMINS,),
    "error_report": (Audience.ADMINS,),
    "status_notice": (Audience.ADMINS,),
    "submitted_batch": (Audience.OPD,),
    "submitted_reviewers_batch": (Audience.REVIEWERS,),
    "misplaced": (Audience.REVIEWERS,),
    "final_held": (Audience.ADMINS,),
    "number_reserved": (Audience.ADMINS,),
    "ended": (Audience.OPD, Audience.ADMINS),
    "reopened": (Audience.OPD, Audience.ADMINS),
    "deadline_reminder": (Audience.OPD,),
    "deadline_summary": (Audience.ADMINS,),
    "reviewer_summary": (Audience.REVIEWERS,),
}
# Extras some callers leave out (a message without attachment has no file name); every other
# missing value raises, so a forgotten argument shows up in tests instead of as a blank.
_OPTIONAL_EXTRAS: dict[str, Any] = {
    "file_name": None,
    "limit_mb": None,
    "detail": None,
    "opd_name": None,
    "inbox": DEFAULT_INBOX,  # the inbox folder's name, as refusals tell where to put a file
    "mail_subject": None,  # the input was an e-mail (with no usable attachment), not a file
    "folder": None,  # where a file that was not quarantined lies
    "moved_to": None,  # a reviewer's refused move: the folder the file was moved to...
    "back_to": None,  # ...and the folder it belongs in
    "tte": False,  # the regency signs electronically (drivebot.config.Config.tte)
    "changes": None,  # a revision against the version commented on (drivebot.redline)
}
# Messages that make sense without a draft; every other one is about exactly one draft.
_DRAFT_OPTIONAL = frozenset(
    {
        "file_quarantined",
        "unknown_sender",
        "bad_input_report",
        "digest",
        "error_report",
        "status_notice",
        "submitted_batch",
        "submitted_reviewers_batch",
        "reviewer_summary",
        "deadline_summary",
    }
)


@dataclass(frozen=True)
class DraftView:
    """What an e-mail may say about one draft."""

    reg: str
    title: str
    product_type: ProductType
    stage: str
    version: int
    opd_name: str
    done: frozenset[str] = frozenset()
    number: str | None = None
    link: str | None = None
    verify_url: str | None = None
    waiting_days: int = 0
    days_late: int | None = None  # past its stage's time limit; None: the stage has none
    due: date | None = None  # the stage's deadline, when it has a time limit
    days_left: int | None = None
    calendar_days: bool = False  # the limit counts every day, not working days
    tracking_url: str | None = None  # the OPD's tracking page (drivebot.tracking)
    dashboard_url: str | None = None  # the draft's page on the dashboard

    @property
    def late(self) -> bool:
        """Past its stage's limit; where the stage has none, waiting over LATE_DAYS."""
        if self.days_late is not None:
            return self.days_late > 0
        return self.waiting_days > LATE_DAYS

    @property
    def is_product(self) -> bool:
        """Archived under its number: a legal product, no longer a draft (a number reserved
        before signing does not make it one)."""
        return self.stage == "arsip" and self.number is not None


@dataclass(frozen=True)
class DeadlineLine:
    """One draft in the admins' daily deadline e-mail (drivebot.app.reminders)."""

    draft: DraftView
    started: date
    limit: int
    actor: str  # who must act, in the reader's language
    round: int = 0  # its escalation's round; 0: a reminder, not late yet


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class _Fact:
    label: str
    value: str
    href: str | None = None  # only http(s) links become clickable; a local path stays text
    link_text: str | None = None  # what the HTML shows instead of a long URL


@dataclass(frozen=True)
class _StageView:
    label: str
    actor: str


@dataclass(frozen=True)
class _FlowRow:
    number: int
    label: str
    actor: str
    state: str  # "done", "current" or "todo", as workflow.flowchart says


# --- rendering -------------------------------------------------------------------------------


def available_templates() -> list[str]:
    """The message names shipped in every language."""
    names = [message_names(lang) for lang in LANGUAGES]
    return sorted(set.intersection(*names))


def render(
    template: str, lang: str, audience: Audience, draft: DraftView | None, **extra: Any
) -> Rendered:
    """Render one message in `lang` for `audience`; `extra` holds the message's own values."""
    _check(template, lang, draft)
    context = _context(lang, audience, draft, extra)
    name = f"{lang}/{template}.j2"
    text_template = environment("text").get_template(name)
    subject = "".join(text_template.blocks["subject"](text_template.new_context(context)))
    html = environment("html").get_template(name).render(context)
    return Rendered(_subject(subject, draft), _tidy_text(text_template.render(context)), html)


def _check(template: str, lang: str, draft: DraftView | None) -> None:
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported e-mail language {lang!r}; use one of {LANGUAGES}")
    if template not in available_templates():
        raise ValueError(f"no e-mail template named {template!r}")
    if draft is None and template not in _DRAFT_OPTIONAL:
        raise ValueError(f"e-mail {template!r} is about a draft; none was given")


def _subject(subject: str, draft: DraftView | None) -> str:
    # Header values must be one line; titles and forwarded subjects may hold newlines.
    subject = " ".join(subject.split())
    return f"[{draft.reg}] {subject}" if draft is not None else subject


def _tidy_text(text: str) -> str:
    lines = [line.rstrip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


# --- the context every template sees ---------------------------------------------------------


def _context(
    lang: str, audience: Audience, draft: DraftView | None, extra: dict[str, Any]
) -> dict[str, Any]:
    words = i18n.section(lang, "email")
    context: dict[str, Any] = {**_OPTIONAL_EXTRAS, **extra}
    if context["file_name"]:
        context["file_name"] = without_mail_tag(context["file_name"])
    context.update(
        lang=lang,
        audience=audience.value,
        draft=draft,
        w=words,
        late_days=LATE_DAYS,
        greeting=_greeting(words, audience, draft, context.get("opd_name")),
    )
    if draft is not None:
        context.update(_draft_context(draft, lang, words, audience))
    if "drafts" in extra:
        context.update(_digest_context(extra["drafts"]))
    return context


def _greeting(
    words: dict[str, Any], audience: Audience, draft: DraftView | None, opd_name: str | None = None
) -> str:
    greetings = words["greeting"]
    opd = draft.opd_name if draft else opd_name
    if audience is Audience.OPD:
        return greetings["opd"].format(opd=opd) if opd else greetings["opd_unknown"]
    return greetings[audience.value]


def _draft_context(
    draft: DraftView, lang: str, words: dict[str, Any], audience: Audience
) -> dict[str, Any]:
    # An ended draft stands at no stage of its flow: no flowchart.
    flow = [] if draft.stage in ENDED else _flow_rows(draft, lang)
    return {
        "product_name": i18n.product_name(lang, draft.product_type),
        "draft_kind": i18n.draft_kind(draft.product_type),
        "stage": _StageView(
            i18n.stage_label(lang, draft.stage), i18n.stage_actor(lang, draft.stage)
        ),
        "flow": flow,
        "ahead": [row for row in flow if row.state != "done"],
        "facts": _facts(draft, lang, words, audience),
        # What the draft is called, said once: the product's full title once it has a number.
        "name": _name(draft),
    }


def _name(draft: DraftView) -> str:
    if not draft.is_product or draft.number is None:
        return draft.title
    return i18n.product_title(draft.product_type, draft.number, draft.title)


def _flow_rows(draft: DraftView, lang: str) -> list[_FlowRow]:
    rows = flowchart(draft.product_type, draft.stage, draft.done)
    return [
        _FlowRow(
            number, i18n.stage_label(lang, stage.key), i18n.stage_actor(lang, stage.key), state
        )
        for number, (stage, state) in enumerate(rows, start=1)
    ]


def _facts(draft: DraftView, lang: str, words: dict[str, Any], audience: Audience) -> list[_Fact]:
    labels = words["facts"]
    # Indonesian readers know the draft's short name; English readers get the Indonesian one.
    native = i18n.product_name("id", draft.product_type)
    draft_kind = f" ({i18n.draft_kind(draft.product_type)})" if not draft.is_product else ""
    kind = (
        f"{native}{draft_kind}"
        if lang == "id"
        else f"{i18n.product_name(lang, draft.product_type)} ({native})"
    )
    stage = f"{i18n.stage_label(lang, draft.stage)} ({i18n.stage_actor(lang, draft.stage)})"
    facts = [
        _Fact(labels["reg"], draft.reg),
        _Fact(labels["title"], _name(draft)),
        _Fact(labels["product_type"], kind),
        _Fact(labels["opd"], draft.opd_name),
    ]
    if not draft.is_product:  # a product is no longer a draft with versions
        facts.append(_Fact(labels["version"], str(draft.version)))
    facts.append(_Fact(labels["stage"], stage))
    if draft.link:
        facts.append(_link_fact(labels["link"], draft.link, words["open_file"]))
    if draft.verify_url:
        facts.append(_link_fact(labels["verify_url"], draft.verify_url, words["open_verify"]))
    # The OPD follows its draft on its tracking page; the division on the dashboard.
    page = draft.tracking_url if audience is Audience.OPD else draft.dashboard_url
    if page:
        key = "tracking" if audience is Audience.OPD else "dashboard"
        facts.append(_link_fact(labels[key], page, words[f"open_{key}"]))
    return facts


def _link_fact(label: str, target: str, link_text: str) -> _Fact:
    if re.match(r"https?://", target, re.I):
        return _Fact(label, target, href=target, link_text=link_text)
    return _Fact(label, target)


def digest_order(drafts: Sequence[DraftView]) -> list[DraftView]:
    """The open drafts, most urgent first: the latest past its deadline on top, then the
    longest wait; the registration number keeps the order stable."""
    return sorted(
        (d for d in drafts if is_open(d.stage)),
        key=lambda d: (-(d.days_late or 0), not d.late, -d.waiting_days, d.reg),
    )


def _digest_context(drafts: Sequence[DraftView]) -> dict[str, Any]:
    # The e-mail has a fixed size whatever the number of drafts (Gmail refuses a message over
    # 25 MB; ~7 MB at 10,000 drafts listed in full): the most urgent DIGEST_SHOWN in full, the
    # rest counted; the whole list goes with it as a CSV attachment (drivebot.app.digest).
    open_drafts = digest_order(drafts)
    shown = open_drafts[:DIGEST_SHOWN]
    return {
        "late": [d for d in shown if d.late],
        "others": [d for d in shown if not d.late],
        "open_count": len(open_drafts),
        "late_count": sum(d.late for d in open_drafts),
        "not_shown": len(open_drafts) - len(shown),
    }
