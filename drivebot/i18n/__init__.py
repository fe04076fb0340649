"""The one message catalogue: every word a person reads, in Indonesian (default) and English.

`id.toml` and `en.toml` beside this module hold the CLI's messages (`[cli]`), the e-mails' labels
(`[email]`), the web pages' words (`[web]`), stage and product names (`[stage.<key>]`,
`[product.<type>]`) and month names. E-mail bodies are prose in per-language templates
(drivebot/notify/templates/<lang>/); they take every label from here. A test checks that both
languages hold the same keys.
"""

from __future__ import annotations

import tomllib
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"


@cache
def catalogue(lang: str) -> dict[str, Any]:
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}; use one of {', '.join(LANGUAGES)}")
    text = resources.files(__name__).joinpath(f"{lang}.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def section(lang: str, name: str) -> dict[str, Any]:
    """One table of the catalogue, e.g. section("id", "email")."""
    value: Any = catalogue(lang)
    for part in name.split("."):
        value = value[part]
    if not isinstance(value, dict):
        raise KeyError(f"{name} is not a table of the message catalogue")
    return value


def text(lang: str, key: str, **values: object) -> str:
    """The message `key` ("cli.moved_to") in `lang`, with its placeholders filled."""
    table, _, name = key.rpartition(".")
    message = section(lang, table)[name] if table else catalogue(lang)[name]
    return str(message).format(**values) if values else str(message)


def reason(lang: str, key: str, limit_mb: object, inbox: str) -> dict[str, str]:
    """What was wrong with a refused input (`what`) and what to send instead (`todo`), with
    the size limit and the inbox folder's name filled in; a reason the catalogue does not
    know is said as "other"."""
    reasons = section(lang, "reason")
    chosen = reasons.get(key, reasons["other"])
    return {k: str(v).format(limit_mb=limit_mb, inbox=inbox) for k, v in chosen.items()}


def held_because(lang: str, key: str, values: dict[str, object]) -> str:
    """Why a signed final is held (a drivebot.record.Problem), in words; a product type, as
    given or as stored ("perbup"), by its name."""
    shown = {
        name: product_name(lang, str(value))
        if name in ("read", "expected") and str(value) in catalogue(lang)["product"]
        else value
        for name, value in values.items()
    }
    return text(lang, f"record.{key}", **shown)


def stage_label(lang: str, stage: str) -> str:
    return str(catalogue(lang)["stage"][stage]["label"])


def stage_actor(lang: str, stage: str) -> str:
    return str(catalogue(lang)["stage"][stage]["actor"])


def product_name(lang: str, product_type: str) -> str:
    """ "Peraturan Bupati" for "perbup"; a type the catalogue does not know is shown as it is."""
    entry = catalogue(lang)["product"].get(str(product_type))
    return str(entry["name"]) if entry else str(product_type)


def draft_kind(product_type: str) -> str:
    """The draft's short name, the same in every language: "Ranperbup"."""
    return str(catalogue(DEFAULT_LANGUAGE)["product"][str(product_type)]["draft"])


def product_short(product_type: str) -> str:
    """The product's short name, the same in every language: "Perbup"."""
    return str(catalogue(DEFAULT_LANGUAGE)["product"][str(product_type)]["short"])


def number_phrase(number: int, year: int, lang: str = DEFAULT_LANGUAGE) -> str:
    """ "Nomor 12 Tahun 2026" (the document's own words; English readers get "Number ... Year")."""
    word, of = ("Number", "Year") if lang == "en" else ("Nomor", "Tahun")
    return f"{word} {number} {of} {year}"


def product_label(product_type: str, number: int | None, year: int | None) -> str:
    """E.g. "Peraturan Bupati Nomor 12 Tahun 2026" (always Indonesian: the product's name)."""
    name = product_name(DEFAULT_LANGUAGE, product_type)
    if number is None or year is None:
        return name
    return f"{name} {number_phrase(number, year)}"


def product_title(product_type: str, number: str | None, title: str) -> str:
    """What a product is called, its name said once: "Peraturan Bupati Nomor 12 Tahun 2026
    tentang Retribusi ..." from the draft's title "Rancangan Peraturan Bupati tentang Retribusi
    ..." and `number` ("Nomor 12 Tahun 2026"); without a number, the product's name alone."""
    name = product_name(DEFAULT_LANGUAGE, product_type)
    subject = title.strip()
    if subject.lower().startswith("rancangan "):
        subject = subject[len("rancangan ") :].lstrip()
    for entry in catalogue(DEFAULT_LANGUAGE)["product"].values():
        if subject.lower().startswith(str(entry["name"]).lower()):
            subject = subject[len(str(entry["name"])) :].lstrip()
            break
    if subject.lower().startswith("tentang "):
        subject = subject[len("tentang ") :].lstrip()
    named = f"{name} {number}" if number else name
    return f"{named} tentang {subject}" if subject else named


def long_date(lang: str, value: date | datetime | str) -> str:
    """A date as people write it ("3 Desember 2026", with " 14.05" for a time of day).

    An ISO string is parsed first (one stored in UTC says so); anything else is shown as it
    came."""
    utc_note = ""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return value
        has_time = "T" in value or " " in value.strip()
        offset = parsed.utcoffset()
        if has_time and offset is not None and not offset:
            utc_note = " UTC"  # the ledger writes UTC; say so, not local time
        value = parsed if has_time else parsed.date()
    month = catalogue(lang)["months"][value.month - 1]
    shown = f"{value.day} {month} {value.year}"
    if isinstance(value, datetime):
        shown += value.strftime(" %H.%M" if lang == "id" else " %H:%M") + utc_note
    return shown
