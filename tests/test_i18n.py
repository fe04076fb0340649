"""The message catalogue: both languages say the same things, with the same placeholders."""

from __future__ import annotations

import string
from typing import Any

import pytest

from drivebot import i18n
from drivebot.flows import STAGES, ProductType


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _placeholders(value: Any) -> set[str]:
    texts = value if isinstance(value, list) else [value]
    return {
        name
        for text in texts
        if isinstance(text, str)
        for _, name, _, _ in string.Formatter().parse(text)
        if name
    }


def test_both_languages_have_the_same_messages_and_placeholders():
    indonesian, english = (_flatten(i18n.catalogue(lang)) for lang in ("id", "en"))
    assert sorted(indonesian) == sorted(english)
    for key, value in indonesian.items():
        assert _placeholders(value) == _placeholders(english[key]), key


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_stage_and_product_type_has_its_words(lang):
    for key in STAGES:
        assert i18n.stage_label(lang, key) and i18n.stage_actor(lang, key)
    for kind in ProductType:
        assert i18n.product_name(lang, kind) != kind.value


def test_dates_as_people_write_them():
    assert i18n.long_date("id", "2026-12-01") == "1 Desember 2026"
    assert i18n.long_date("en", "2026-12-01T05:07:00+00:00") == "1 December 2026 05:07 UTC"
    assert (
        i18n.long_date("id", "Mon, 2 Mar 2026 08:15:00 +0000") == "Mon, 2 Mar 2026 08:15:00 +0000"
    )


def test_an_unknown_language_is_refused():
    with pytest.raises(ValueError, match="language"):
        i18n.catalogue("fr")
