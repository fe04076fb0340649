"""Stamping and archiving legal products that never went through drivebot (a past backlog).

The metadata file is CSV with a header row: `file,type,number,year,title,date,subject`
(`type` is perbup, kepbup or perda; `date` is the date of enactment, YYYY-MM-DD; `subject` may be
empty). Each product gets the id `PERBUP-2024-012` (type, year, number). A product already in
the ledger is skipped, so an interrupted import can simply be run again.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from drivebot.archive.archiver import Archiver
from drivebot.archive.signing import ProductIdentity
from drivebot.errors import BadDocument, ConfigError, TransientError
from drivebot.files import sha256_of
from drivebot.flows import ProductType
from drivebot.stamping import pdf_page_count

COLUMNS = ("file", "type", "number", "year", "title", "date", "subject")
IMPORT_ID_PATTERN = r"(?:PERBUP|KEPBUP|PERDA)-\d{4}-\d{3,}"


def import_id(product_type: ProductType, year: int, number: int) -> str:
    return f"{product_type.value.upper()}-{year}-{number:03d}"


@dataclass(frozen=True)
class Product:
    file: Path
    product_type: ProductType
    number: int
    year: int
    title: str
    date: str
    subject: str = ""

    @property
    def id(self) -> str:
        return import_id(self.product_type, self.year, self.number)


@dataclass
class Summary:
    archived: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (what, why)


def parse_row(row: dict[str, str], directory: Path) -> Product:
    """One metadata row; raises ValueError naming the column that is wrong."""
    missing = [c for c in COLUMNS[:6] if not (row.get(c) or "").strip()]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    try:
        kind = ProductType(row["type"].strip().lower())
    except ValueError:
        raise ValueError(f"type {row['type']!r} is not perbup, kepbup or perda") from None
    try:
        number, year = int(row["number"]), int(row["year"])
    except ValueError:
        raise ValueError("number and year must be whole numbers") from None
    try:
        enacted = date.fromisoformat(row["date"].strip()).isoformat()
    except ValueError:
        raise ValueError(f"date {row['date']!r} is not YYYY-MM-DD") from None
    return Product(
        directory / row["file"].strip(),
        kind,
        number,
        year,
        row["title"].strip(),
        enacted,
        (row.get("subject") or "").strip(),
    )


def read_metadata(path: Path, directory: Path) -> tuple[list[Product], list[tuple[str, str]]]:
    """The products listed, and the rows that cannot be used with why."""
    if not path.is_file():
        raise ConfigError("no_metadata", path=path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")  # what spreadsheet programs on Windows write
    reader = csv.DictReader(io.StringIO(text, newline=""))
    absent = [c for c in COLUMNS[:6] if c not in (reader.fieldnames or [])]
    if absent:
        raise ConfigError(
            "metadata_header", file=path.name, absent=", ".join(absent), columns=",".join(COLUMNS)
        )
    products, bad = [], []
    for line, row in enumerate(reader, start=2):
        try:
            products.append(parse_row(row, directory))
        except ValueError as exc:
            bad.append((f"{path.name}:{line}", str(exc)))
    return products, bad


def archive_product(archiver: Archiver, product: Product) -> str | None:
    """Stamp and archive one product; returns the stamping method, or None when it was there."""
    if not product.file.is_file():
        raise BadDocument("file_missing", f"{product.file.name} does not exist")
    sha = sha256_of(product.file)
    known = archiver.ledger.product(product.id)
    if known is not None:
        if known.final_sha256 != sha:
            raise BadDocument("conflict", f"{product.id} is already archived from another file")
        return None
    twin = archiver.ledger.find_by_sha256(sha)
    if twin is not None:
        raise BadDocument("conflict", f"this file is already archived as {twin[0].id}")
    if product.file.suffix.lower() != ".pdf":
        raise BadDocument("unsupported_type", f"{product.file.name} is not a PDF")
    pdf_page_count(product.file)
    identity = ProductIdentity(
        product.id,
        product.product_type.value,
        product.number,
        product.year,
        product.title,
        product.date,
        sha,
    )
    return archiver.archive(identity, product.file, subject=product.subject)


def import_backlog(
    archiver: Archiver,
    products: list[Product],
    progress: Callable[[int, int, str], None] = lambda *_: None,
) -> Summary:
    summary = Summary()
    for index, product in enumerate(products, start=1):
        progress(index, len(products), product.id)
        try:
            method = archive_product(archiver, product)
        except BadDocument as bad:
            summary.skipped.append((product.file.name, bad.detail or bad.reason))
            continue
        except TransientError:
            raise  # the rest waits: a re-run resumes where this stopped
        if method is None:
            summary.skipped.append((product.file.name, f"{product.id} is already archived"))
        else:
            summary.archived.append(product.id)
            logging.getLogger(__name__).info("%s archived (%s)", product.id, method)
    return summary
