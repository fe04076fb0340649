"""Stamp a signed final as a "salinan sah" (authenticated copy).

Every page gets a diagonal watermark, a QR code holding the verification URL and a one-line
footer. For PDFs the stamp is one Form XObject per page size, drawn over each page through a
short wrapper around the page's untouched content streams, and written as an incremental update:
the signed original stays the exact prefix of the output, so its hash and any signature byte
ranges remain verifiable. Only inputs that cannot take a valid update (owner-password encryption,
an xref table that had to be repaired) are rewritten in full.

For .docx drafts (when no PDF converter is available) the QR and footer go into the Word footer
and the watermark text into the header.

This module is the public face; the work is done in drivebot.pdf: read.py (the mapped file, the
reader, the page tree, a small tokenizer), objstm.py (a faster reader, object streams included),
rawpage.py (page dictionaries read and rewritten as tokens), draw.py (geometry and the stamp's
objects), qr.py (the QR matrix), incremental.py and serialize.py (the update and its xref
section), rewrite.py (the fallback and the atomic write), spec.py (the types below). The
.docx pieces are in drivebot.docx_stamp.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

from drivebot.docx_stamp import add_footer_line, add_watermark_line, distinct_parts, qr_png
from drivebot.errors import BadDocument
from drivebot.pdf.incremental import CannotAppend, append_stamp
from drivebot.pdf.qr import qr_matrix
from drivebot.pdf.read import collect_pages, describe, loaded, open_reader
from drivebot.pdf.rewrite import rewrite, write_atomic
from drivebot.pdf.spec import StampResult, StampSpec

__all__ = ["StampResult", "StampSpec", "pdf_page_count", "stamp_docx", "stamp_pdf"]

log = logging.getLogger(__name__)

# Below 25 mm a version-8 QR (a ~150-char URL at ECC M) stops decoding from a clean 150 dpi
# rendering (measured in shared/STAMPING_NOTES.md; 35 mm if scanned copies must verify).
MIN_QR_MM = 25.0


# --------------------------------------------------------------------------- public API


def pdf_page_count(path: Path) -> int:
    """Validate a PDF at intake and return its number of pages.

    Raises BadDocument("pdf_encrypted") when a user password is needed, BadDocument("pdf_corrupt")
    when the file is not a readable PDF or has no pages.
    """
    with loaded(Path(path)) as original:
        reader = open_reader(original.stream)
        try:
            pages = collect_pages(reader.root_object)
        except BadDocument:
            raise
        except Exception as exc:  # pypdf raises many types on malformed page trees
            raise BadDocument("pdf_corrupt", describe(exc)) from exc
    if not pages:
        raise BadDocument("pdf_corrupt", "the page tree holds no pages")
    return len(pages)


def stamp_pdf(source: Path, dest: Path, spec: StampSpec) -> StampResult:
    """Write `source` with the stamp on every page to `dest` (may be the same path).

    Appends an incremental update when the file allows it, else rewrites the whole file; the
    result says which. Raises BadDocument for unreadable or user-password-protected input.
    """
    _check_spec(spec)
    with loaded(Path(source)) as original:
        try:
            pages, appended = append_stamp(original, spec)
        except CannotAppend as why:
            log.info("no incremental update for %s (%s): trying a full rewrite", source, why)
        else:
            # The original's bytes are copied file to file, not through this process's memory.
            write_atomic(Path(dest), appended, prefix=(original.file, original.size))
            return StampResult("incremental", pages, original.size)
        return rewrite(open_reader(original.stream), Path(dest), spec, original.size)


def stamp_docx(source: Path, dest: Path, spec: StampSpec) -> None:
    """Stamp a .docx: QR image and footer text in every footer, the watermark text in every header.

    A fallback for when no PDF converter is available; Word has no per-page overlay, so the
    watermark is a grey header line rather than a diagonal mark.
    """
    _check_spec(spec)
    # python-docx (and lxml under it) is imported here, not at module level: only this
    # fallback needs it, and it would add ~10 MB and 40 ms to every PDF-stamping worker.
    import docx

    try:
        document = docx.Document(str(source))
    except Exception as exc:  # python-docx raises zip, XML and key errors on bad packages
        raise BadDocument("docx_corrupt", describe(exc)) from exc
    png = qr_png(qr_matrix(spec.qr_payload))
    for header in distinct_parts(document, "header"):
        add_watermark_line(header, spec.watermark)
    for footer in distinct_parts(document, "footer"):
        add_footer_line(footer, png, spec)
    buffer = io.BytesIO()
    document.save(buffer)
    write_atomic(Path(dest), buffer.getvalue())


def _check_spec(spec: StampSpec) -> None:
    # A wrong spec is a programming error in the caller, not a bad document.
    if spec.qr_mm < MIN_QR_MM:
        raise ValueError(f"qr_mm must be >= {MIN_QR_MM}, got {spec.qr_mm}")
    if not spec.qr_payload:
        raise ValueError("qr_payload is empty")
