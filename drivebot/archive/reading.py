"""Reading a signed final's text, to learn what it says of itself (drivebot.legal_text).

The facts are on the first pages (the heading) and the last pages (the closing), so only those
are read: the PDF's text layer through the bounded reader of drivebot.checks.pdf, or a .docx's
paragraphs through its streaming reader. A scan has no text layer: its first and last pages
are rendered (poppler's pdftoppm) and read by Tesseract with its Indonesian data, Debian's
packages `poppler-utils`, `tesseract-ocr` and `tesseract-ocr-ind` (scripts/test.sh installs
them; without them a scan reads as nothing and the final is held for an admin to confirm).
Each OCR step has its own time limit, so a hostile scan costs at most a few minutes.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

from drivebot.checks import ooxml, pdf
from drivebot.checks.limits import Limits
from drivebot.legal_text import DocumentFacts, read_facts

log = logging.getLogger(__name__)

FIRST_PAGES = 2
LAST_PAGES = 3
OCR_DPI = 300
OCR_SECONDS = 90  # for each page's rendering and for its reading
DOCX_PARAGRAPHS = 20_000


@dataclass(frozen=True)
class Reading:
    facts: DocumentFacts
    how: str  # "text" (a text layer or a .docx), "ocr", or "none" (nothing could be read)


def read_final(path: Path, limits: Limits) -> Reading:
    if path.suffix.lower() == ".docx":
        paragraphs = ooxml.opening_lines(path, limits, DOCX_PARAGRAPHS)
        text = "\n".join(paragraphs)
        return Reading(read_facts(text, text), "text")
    head = "\n".join(pdf.page_texts(path, limits, FIRST_PAGES) or [])
    tail = "\n".join(pdf.page_texts(path, limits, 0, LAST_PAGES) or [])
    if head.strip() or tail.strip():
        return Reading(read_facts(head, tail), "text")
    scanned = ocr_first_and_last(path)
    if scanned is None:
        return Reading(DocumentFacts(), "none")
    return Reading(read_facts(*scanned), "ocr")


def ocr_available() -> bool:
    if not (shutil.which("pdftoppm") and shutil.which("tesseract")):
        return False
    languages = subprocess.run(
        ["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30
    )
    return "ind" in languages.stdout.split()


def ocr_first_and_last(path: Path) -> tuple[str, str] | None:
    """The OCR text of the first and the last page; None when OCR is not installed or fails."""
    try:
        if not ocr_available():
            log.warning("%s has no text layer and OCR is not installed", path.name)
            return None
        pages = _page_count(path)
        with TemporaryDirectory(prefix="drivebot-ocr-") as tmp:
            first = _ocr_page(path, 1, Path(tmp))
            last = first if pages <= 1 else _ocr_page(path, pages, Path(tmp))
            return first, last
    except (subprocess.SubprocessError, OSError, ValueError) as exc:
        log.warning("OCR of %s failed: %s", path.name, exc)
        return None


def _page_count(path: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(path, strict=False).pages)


def _ocr_page(path: Path, page: int, tmp: Path) -> str:
    image = tmp / f"page-{page}"
    subprocess.run(
        ["pdftoppm", "-r", str(OCR_DPI), "-gray", "-png", "-singlefile",
         "-f", str(page), "-l", str(page), str(path), str(image)],
        check=True, capture_output=True, timeout=OCR_SECONDS,
    )  # fmt: skip
    result = subprocess.run(
        ["tesseract", f"{image}.png", "stdout", "-l", "ind"],
        check=True, capture_output=True, text=True, timeout=OCR_SECONDS,
    )  # fmt: skip
    return result.stdout
