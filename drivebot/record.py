"""The legal record of a product: its number, year and dates, reconciled from what drivebot's
register reserved, what the signed final says of itself (drivebot.legal_text) and what an
admin confirmed. Pure: the caller reads the document and the register, this decides.

The document's own number and dates are the record, never the day drivebot happened to take
the final in: the footer, the signed QR identity, the ledger, the verification page and the
JDIH record all carry them. Where the document and the register disagree, or the document
cannot be read, nothing is overridden silently: the final is held (`Held`) with each problem
named, until an admin confirms the facts (`drivebot finalize REG --number 12 --date
2026-12-01`, recorded in the audit log with who did it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from drivebot.flows import ProductType
from drivebot.legal_text import DocumentFacts, Gazette


@dataclass(frozen=True)
class LegalRecord:
    """What the archive records of a product, as the signed document states it."""

    number: int
    year: int
    enacted_on: date  # tanggal penetapan
    promulgated_on: date | None = None  # tanggal pengundangan (regulations)
    gazette: Gazette | None = None  # Berita Daerah / Lembaran Daerah
    noreg: str | None = None
    confirmed_by: str | None = None  # the admin who confirmed facts the document did not give


@dataclass(frozen=True)
class Confirmed:
    """Facts an admin states for a held final (any left None come from the document)."""

    by: str
    number: int | None = None
    enacted_on: date | None = None
    promulgated_on: date | None = None
    gazette_number: int | None = None


@dataclass(frozen=True)
class Problem:
    """Why a final is held: a key in the catalogue's [record] table and its values."""

    key: str
    values: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Held:
    problems: tuple[Problem, ...]


# The gazette each type is promulgated in (a decree is not promulgated).
GAZETTE_OF = {ProductType.PERBUP: "berita", ProductType.PERDA: "lembaran"}


def reconcile(
    product_type: ProductType,
    reserved: tuple[int, int] | None,
    facts: DocumentFacts,
    taken: dict[int, str],
    confirmed: Confirmed | None = None,
    noreg: str | None = None,
) -> LegalRecord | Held:
    """The record, or why it cannot be made yet.

    `reserved` is the (number, year) drivebot's register gave the draft, if any; `taken` maps
    the numbers of this type already given in the document's year to the products holding
    them (this draft excluded); `noreg` the register number the governor gave a Perda, as
    recorded when its stage was marked done. An admin settles a disagreement about a fact by
    stating it (the number, the date): what they state is recorded as theirs. A document of
    another type, or with another NOREG, is never settled so: the right document is sent."""
    problems: list[Problem] = []
    said = confirmed or Confirmed(by="")
    # A document of another type is another product: no confirmation makes it this one.
    if facts.product_type is not None and facts.product_type is not product_type:
        problems.append(
            Problem("type_differs", {"read": facts.product_type, "expected": product_type})
        )
    number = said.number if said.number is not None else facts.number
    year = facts.year or (reserved[1] if reserved else None)
    enacted_on = said.enacted_on or facts.enacted_on
    if year is None and enacted_on is not None:
        year = enacted_on.year
    # An admin settles a disagreement about a fact by stating that fact, nothing less.
    number_stated = said.number is not None
    if number is None or year is None:
        problems.append(
            Problem("number_unreadable_reserved", {"expected": reserved[0], "year": reserved[1]})
            if reserved
            else Problem("number_unreadable")
        )
    elif not number_stated:
        if reserved is not None and (number, year) != reserved:
            problems.append(
                Problem(
                    "number_differs",
                    {"read": number, "year": year, "expected": reserved[0], "of": reserved[1]},
                )
            )
        if number in taken:
            problems.append(
                Problem("number_taken", {"read": number, "year": year, "by": taken[number]})
            )
    if noreg and facts.noreg and _bare(noreg) != _bare(facts.noreg):
        problems.append(Problem("noreg_differs", {"read": facts.noreg, "expected": noreg}))
    if enacted_on is None:
        problems.append(Problem("date_unreadable"))
    elif year is not None and enacted_on.year != year and said.enacted_on is None:
        problems.append(Problem("year_differs", {"year": year, "date": enacted_on.isoformat()}))
    if problems or number is None or year is None or enacted_on is None:
        return Held(tuple(problems))
    gazette = facts.gazette
    if gazette is not None and GAZETTE_OF.get(product_type) != gazette.kind:
        gazette = None  # a decree is not promulgated; a Perbup is not in the Lembaran Daerah
    if said.gazette_number is not None and product_type in GAZETTE_OF:
        gazette = Gazette(GAZETTE_OF[product_type], year, said.gazette_number)
    stated = (said.number, said.enacted_on, said.promulgated_on, said.gazette_number)
    return LegalRecord(
        number=number,
        year=year,
        enacted_on=enacted_on,
        promulgated_on=said.promulgated_on or facts.promulgated_on,
        gazette=gazette,
        noreg=facts.noreg or noreg,
        confirmed_by=said.by if any(value is not None for value in stated) else None,
    )


def _bare(noreg: str) -> str:
    """A noreg without its spacing and brackets: "( 3-45 / 2026 )" is "3-45/2026"."""
    return "".join(ch for ch in noreg if ch not in " ()")
