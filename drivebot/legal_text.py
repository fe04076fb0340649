"""What a signed legal product says of itself: its type, number, title and dates, read from
its text (the PDF's text layer, or OCR of a scan). Pure: text in, facts out.

The facts sit where Indonesian drafting practice (Lampiran II of UU 12/2011) puts them:
the heading ("PERATURAN BUPATI SERAM BAGIAN TIMUR / NOMOR 12 TAHUN 2026 / TENTANG / ...")
on the first page, and on the last page of the body the closing ("Ditetapkan di Bula / pada
tanggal 1 Desember 2026"), for a regulation the promulgation ("Diundangkan di Bula / pada
tanggal 2 Desember 2026") and its gazette line ("BERITA DAERAH KABUPATEN SERAM BAGIAN TIMUR
TAHUN 2026 NOMOR 12"; a Perda's "LEMBARAN DAERAH ..." and "NOREG PERATURAN DAERAH ...:
(3-150/2026)"). Whatever is not found is None: the caller decides what a missing fact means
(drivebot.record). Text from OCR is read the same way; the patterns allow for the spacing and
line breaks a scan produces, and for the older spellings still printed (Pebruari, Nopember).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from drivebot.flows import ProductType, detect_product_type

MONTHS = {
    "januari": 1, "februari": 2, "pebruari": 2, "maret": 3, "april": 4, "mei": 5, "juni": 6,
    "juli": 7, "agustus": 8, "september": 9, "oktober": 10, "november": 11, "nopember": 11,
    "desember": 12,
}  # fmt: skip

_DATE = r"(\d{1,2})\s+([A-Za-z]+)\s+(\d{4})"
_NUMBER = re.compile(r"\bNOMOR\s*:?\s*(\d{1,4})\s+TAHUN\s+(\d{4})\b", re.I)
# Where the heading ends and the preamble begins (the laws cited under "Mengingat", with
# numbers of their own, come after it).
_PREAMBLE = re.compile(r"\b(?:DENGAN\s+RAHMAT\s+TUHAN|Menimbang|MEMUTUSKAN)", re.I)
_TITLE = re.compile(r"\bTENTANG\s+(.+)", re.I | re.S)
_ENACTED = re.compile(r"\bDitetapkan\s+di\s+(.{1,60}?)\s*,?\s+pada\s+tanggal\s+" + _DATE, re.I)
_PROMULGATED = re.compile(r"\bDiundangkan\s+di\s+(.{1,60}?)\s*,?\s+pada\s+tanggal\s+" + _DATE, re.I)
_GAZETTE = re.compile(
    r"\b(BERITA|LEMBARAN)\s+DAERAH\s+(?:KABUPATEN|KOTA|PROVINSI)\s+.{1,60}?\s+"
    r"TAHUN\s+(\d{4})\s+NOMOR\s+(\d{1,4})\b",
    re.I,
)
_NOREG = re.compile(r"\bNOREG\b[^:()]{0,120}:?\s*\(\s*([0-9][0-9 ./-]{0,30}?)\s*\)", re.I)


@dataclass(frozen=True)
class Gazette:
    """Where a regulation was promulgated: the Berita Daerah (a Perbup) or the Lembaran
    Daerah (a Perda), by year and number."""

    kind: str  # "berita" or "lembaran"
    year: int
    number: int


@dataclass(frozen=True)
class DocumentFacts:
    product_type: ProductType | None = None
    number: int | None = None
    year: int | None = None
    title: str | None = None
    enacted_at: str | None = None  # the town of "Ditetapkan di"
    enacted_on: date | None = None  # tanggal penetapan (the signing date)
    promulgated_on: date | None = None  # tanggal pengundangan
    gazette: Gazette | None = None
    noreg: str | None = None  # a Perda's register number from the governor


def parse_date(day: str, month: str, year: str) -> date | None:
    """An Indonesian date ("1", "Desember", "2026"); None when it is not a real date."""
    number = MONTHS.get(month.lower())
    try:
        return date(int(year), number, int(day)) if number else None
    except ValueError:
        return None


def indonesian_date(text: str) -> date | None:
    """The first Indonesian date written out in `text` ("1 Desember 2026")."""
    for match in re.finditer(_DATE, text):
        if (found := parse_date(*match.groups())) is not None:
            return found
    return None


def _flat(text: str) -> str:
    """One line, single spaces: a heading broken over lines, or OCR's spacing, reads alike."""
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


def _heading_title(text: str) -> str:
    """The title after TENTANG, without a decree's "BUPATI ...," that opens its preamble."""
    title = _flat(text)
    return re.sub(r"\s+(?:BUPATI|WALI\s*KOTA|GUBERNUR)\s[^,]{1,60},$", "", title)


def read_facts(first_pages: str, last_pages: str) -> DocumentFacts:
    """The facts in the text of a final's first pages (heading) and last pages (closing).
    A document short enough to have both on one page may pass the same text twice."""
    head, tail = _flat(first_pages), _flat(last_pages)
    kind = detect_product_type(head[:400])
    number = year = None
    preamble = _PREAMBLE.search(head)
    heading = head[: preamble.start() if preamble else 800]
    # The product's own "NOMOR n TAHUN y" stands before TENTANG; an amendment's title names
    # the amended regulation's number after it, and that is never the product's.
    subject = _TITLE.search(heading)
    match = _NUMBER.search(heading[: subject.start() if subject else len(heading)])
    if match:
        number, year = int(match.group(1)), int(match.group(2))
    title = _heading_title(subject.group(1)) if subject and preamble else None
    # The closing: only in the last pages, and the gazette and NOREG lines only after the
    # "Ditetapkan"/"Diundangkan" lines (the laws cited under Mengingat name gazettes too).
    enacted = _ENACTED.search(tail)
    promulgated = _PROMULGATED.search(tail)
    after = max((m.end() for m in (enacted, promulgated) if m), default=len(tail))
    gazette = _GAZETTE.search(tail, after)
    noreg = _NOREG.search(tail, enacted.end() if enacted else len(tail))
    return DocumentFacts(
        product_type=kind,
        number=number,
        year=year,
        title=title[:500] if title else None,
        enacted_at=_flat(enacted.group(1)) if enacted else None,
        enacted_on=parse_date(*enacted.groups()[1:]) if enacted else None,
        promulgated_on=parse_date(*promulgated.groups()[1:]) if promulgated else None,
        gazette=Gazette(gazette.group(1).lower(), int(gazette.group(2)), int(gazette.group(3)))
        if gazette
        else None,
        noreg=re.sub(r"\s+", "", noreg.group(1)) if noreg else None,
    )
