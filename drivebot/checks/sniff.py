"""The kind of a file, from its first bytes: the name an OPD gave it is only a hint."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the compound file of old Office formats
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_PDF_HEADER_WINDOW = 1024  # a PDF's "%PDF-" may follow some junk (PDF 1.7, annex H)


class Kind(StrEnum):
    EMPTY = "empty"
    PDF = "pdf"
    ZIP = "zip"  # an OOXML package (.docx) or another zip: drivebot.checks.ooxml tells
    OLE = "ole"  # an old .doc, or a password-protected .docx
    OTHER = "other"


def sniff(path: Path) -> Kind:
    with path.open("rb") as handle:
        head = handle.read(_PDF_HEADER_WINDOW)
    if not head:
        return Kind.EMPTY
    if head.startswith(_ZIP_MAGICS):
        return Kind.ZIP
    if head.startswith(OLE_MAGIC):
        return Kind.OLE
    if b"%PDF-" in head:
        return Kind.PDF
    return Kind.OTHER
