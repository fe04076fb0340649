"""The numbering registers, as the division keeps them in its register book.

One register per product type and year (the product numbers: reserved, or archived under the
number the signed document carries), and one per gazette and year (the Berita Daerah for
Perbup, the Lembaran Daerah for Perda). Each lists its numbers in order and names the gaps
(numbers between the first and the last that no product holds: a number reserved for a draft
that was then withdrawn, declined or closed stays listed with it, and counts as a gap) and the
duplicates (a number two products hold, which only an admin's explicit confirmation can
cause). Read-only.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from drivebot import i18n
from drivebot.config import Config
from drivebot.flows import ENDED, ProductType
from drivebot.record import GAZETTE_OF
from drivebot.state.rows import Draft
from drivebot.state.store import Store


@dataclass(frozen=True)
class Entry:
    number: int
    reg: str
    title: str
    enacted_on: str | None
    status: str  # "archived", "reserved" (the final not archived yet), or "ended"


@dataclass(frozen=True)
class Register:
    series: str  # a ProductType value, or "berita" / "lembaran"
    year: int
    entries: tuple[Entry, ...]
    gaps: tuple[int, ...]
    duplicates: tuple[int, ...]


def _register(series: str, year: int, entries: list[Entry], first: int) -> Register:
    counts = Counter(entry.number for entry in entries if entry.status != "ended")
    held = set(counts)
    low = min([first, *held, *(entry.number for entry in entries)])
    high = max((entry.number for entry in entries), default=low - 1)
    gaps = tuple(n for n in range(low, high + 1) if n not in held)
    duplicates = tuple(sorted(n for n, count in counts.items() if count > 1))
    return Register(series, year, tuple(entries), gaps, duplicates)


def _entry(draft: Draft, number: int) -> Entry:
    title = draft.title.removeprefix("Rancangan ").strip()
    status = (
        "archived" if draft.stage == "arsip" else "ended" if draft.stage in ENDED else "reserved"
    )
    return Entry(number, draft.reg, title, draft.enacted_on, status)


def product_register(store: Store, config: Config, kind: ProductType, year: int) -> Register:
    drafts = store.numbered(kind, year)
    entries = [_entry(draft, draft.number) for draft in drafts if draft.number is not None]
    return _register(kind.value, year, entries, config.numbering_start[kind])


def gazette_register(store: Store, kind: str, year: int) -> Register:
    drafts = store.gazetted(kind, year)
    entries = [
        _entry(draft, draft.gazette_number) for draft in drafts if draft.gazette_number is not None
    ]
    return _register(kind, year, entries, min((e.number for e in entries), default=1))


def registers(
    store: Store, config: Config, year: int, kinds: list[ProductType] | None = None
) -> list[Register]:
    """The product registers of `kinds` (every type when None), then their gazettes'."""
    kinds = kinds or list(ProductType)
    products = [product_register(store, config, kind, year) for kind in kinds]
    gazettes = [
        gazette_register(store, GAZETTE_OF[kind], year) for kind in kinds if kind in GAZETTE_OF
    ]
    return products + gazettes


def irregular(registers: list[Register]) -> list[Register]:
    """The registers with a gap or a duplicate (for the admins' digest)."""
    return [r for r in registers if r.gaps or r.duplicates]


def series_name(lang: str, series: str) -> str:
    """ "Peraturan Bupati", or "Berita Daerah"."""
    if series in {kind.value for kind in ProductType}:
        return i18n.product_name(lang, series)
    return i18n.text(lang, f"register.{series}")
