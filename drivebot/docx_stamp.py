"""The .docx fallback's pieces: the QR as a PNG, and the header and footer lines in Word parts.

A top-level module rather than drivebot/pdf/docx.py: none of it is PDF (it shares only the QR
matrix and the footer size with drivebot.pdf.draw), and a module called `docx` beside the PDF
code would read like python-docx itself. python-docx is imported inside the functions (and in
drivebot.stamping.stamp_docx), never at module level: workers that stamp only PDFs never load it.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from drivebot.pdf.draw import FOOTER_PT

if TYPE_CHECKING:
    from docx.blkcntnr import BlockItemContainer
    from docx.document import Document as DocxDocument

    from drivebot.pdf.spec import StampSpec


def qr_png(matrix: list[list[bool]], scale: int = 8) -> bytes:
    """A greyscale PNG of the QR, written directly (no imaging library needed at run time)."""
    n = len(matrix) * scale
    rows = bytearray()
    for row in matrix:
        line = b"\x00" + b"".join((b"\x00" if dark else b"\xff") * scale for dark in row)
        rows += line * scale

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    header = struct.pack(">IIBBBBB", n, n, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )


def distinct_parts(document: DocxDocument, kind: str) -> Iterator[BlockItemContainer]:
    """Every header (or footer) definition once: the default one and, where the document
    uses them, the first-page and even-page ones. A part linked to the previous section is
    the same definition, so stamping it again would duplicate the line."""
    even_pages = document.settings.odd_and_even_pages_header_footer
    for index, section in enumerate(document.sections):
        candidates = [getattr(section, kind)]
        if section.different_first_page_header_footer:
            candidates.append(getattr(section, f"first_page_{kind}"))
        if even_pages:
            candidates.append(getattr(section, f"even_page_{kind}"))
        for part in candidates:
            if index == 0 or not part.is_linked_to_previous:
                yield part


def add_watermark_line(header: BlockItemContainer, text: str) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt, RGBColor

    if not text.strip():
        return
    paragraph = header.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(" ".join(text.split()))
    run.bold = True
    run.font.size = Pt(20)
    run.font.color.rgb = RGBColor(0xBF, 0xBF, 0xBF)


def add_footer_line(footer: BlockItemContainer, png: bytes, spec: StampSpec) -> None:
    from docx.shared import Mm, Pt

    paragraph = footer.add_paragraph()
    paragraph.add_run().add_picture(io.BytesIO(png), width=Mm(spec.qr_mm))
    run = paragraph.add_run("  " + " ".join(spec.footer.split()))
    run.font.size = Pt(FOOTER_PT)
