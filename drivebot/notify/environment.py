"""The e-mails' jinja2 environments, one per format (plain text and HTML): the templates in
drivebot/notify/templates, loaded from the package, and the filters and helpers they use
(drivebot.notify.emails renders with them)."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from itertools import groupby
from typing import Any

from jinja2 import Environment, FunctionLoader, StrictUndefined, pass_context
from markupsafe import Markup, escape

from drivebot import i18n
from drivebot.naming import shown_value


def _template_root() -> Traversable:
    return resources.files("drivebot.notify").joinpath("templates")


def _load(name: str) -> str | None:
    path = _template_root().joinpath(*name.split("/"))
    return path.read_text(encoding="utf-8") if path.is_file() else None


@cache
def message_names(lang: str) -> set[str]:
    # Files starting with "_" are shared sentences, not messages.
    return {
        entry.name.removesuffix(".j2")
        for entry in _template_root().joinpath(lang).iterdir()
        if entry.name.endswith(".j2") and not entry.name.startswith("_")
    }


@cache
def environment(fmt: str) -> Environment:
    # StrictUndefined: a missing value is a bug to see in tests, not a blank in a sent e-mail.
    env = Environment(
        # Names and notes written by others may hold invisible or direction-changing
        # characters (a right-to-left override disguises a file's extension).
        finalize=shown_value,
        loader=FunctionLoader(_load),
        autoescape=fmt == "html",
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        layout=f"layout.{fmt}.j2",
        label=_stage_label,
        reason_text=_reason_text,
        refusal=_refusal,
    )
    env.filters.update(
        paras=_html_paras if fmt == "html" else _text_paras, nl2br=_nl2br, longdate=_long_date
    )
    return env


@pass_context
def _reason_text(context: Any, reason: str) -> dict[str, str]:
    """What was wrong with a refused input, and what to send instead (the catalogue's words)."""
    return i18n.reason(context["lang"], reason, context["limit_mb"] or "-", context["inbox"])


@pass_context
def _refusal(context: Any, key: str) -> str:
    return i18n.text(context["lang"], f"refusal.{key}")


@pass_context
def _stage_label(context: Any, key: str) -> str:
    return i18n.stage_label(context["lang"], key)


@pass_context
def _long_date(context: Any, value: date | datetime | str) -> str:
    return i18n.long_date(context["lang"], value)


def _nl2br(value: str) -> Markup:
    return Markup("<br>\n").join(escape(value).splitlines())


def _blocks(value: str) -> list[list[tuple[bool, list[str]]]]:
    """Prose split into paragraphs, each a run of (is_list, lines) groups."""
    paragraphs = []
    for chunk in re.split(r"\n\s*\n", value):
        lines = [line.strip() for line in chunk.splitlines() if line.strip()]
        if lines:
            groups = groupby(lines, key=lambda line: line.startswith("- "))
            paragraphs.append([(is_list, list(run)) for is_list, run in groups])
    return paragraphs


def _text_paras(value: str) -> str:
    # Prose lines are joined so phones wrap them; a list stays under the line that leads it.
    paragraphs = []
    for paragraph in _blocks(str(value)):
        groups = [
            "\n".join(f"• {line[2:]}" for line in lines) if is_list else " ".join(lines)
            for is_list, lines in paragraph
        ]
        paragraphs.append("\n".join(groups))
    return "\n\n".join(paragraphs)


_P_STYLE = "margin:0 0 14px;"
_UL_STYLE = "margin:0 0 14px;padding-left:22px;"
_LI_STYLE = "margin:0 0 4px;"


def _html_paras(value: str) -> Markup:
    # The block arrives escaped by autoescape; escape() only guards a plain str.
    out = []
    for paragraph in _blocks(str(escape(value))):
        for is_list, lines in paragraph:
            if is_list:
                items = "".join(f'<li style="{_LI_STYLE}">{line[2:]}</li>' for line in lines)
                out.append(f'<ul style="{_UL_STYLE}">{items}</ul>')
            else:
                out.append(f'<p style="{_P_STYLE}">{" ".join(lines)}</p>')
    return Markup("\n".join(out))
