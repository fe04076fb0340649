"""The fallback that rebuilds the whole file with pypdf, and the atomic write of every output.

Used only when the input cannot take a sound incremental update (owner-password encryption, an
xref table that had to be repaired): the output is decrypted and repaired and gets the same
stamp and placement (the same Stamper), but the original bytes are not kept. `write_atomic` is
here because this is the package's only writer of files; drivebot.stamping uses it as well, for
the incremental update and for the .docx fallback.
"""

from __future__ import annotations

import io
import os
import secrets
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject

from drivebot.errors import BadDocument
from drivebot.pdf.draw import Stamper
from drivebot.pdf.read import collect_pages, describe, version
from drivebot.pdf.spec import StampResult, StampSpec


def rewrite(reader: PdfReader, dest: Path, spec: StampSpec, original_size: int) -> StampResult:
    """Fallback: let pypdf rebuild the whole file (decrypted, xref repaired), same placement."""
    buffer = io.BytesIO()
    try:
        writer = PdfWriter(clone_from=reader)
        pages = collect_pages(writer.root_object)
        if not pages:
            raise BadDocument("pdf_corrupt", "the page tree holds no pages")
        # pypdf has no public "add an object" call; _add_object is what its own methods use.
        stamper = Stamper(spec, writer._add_object)
        for page in pages:
            resources, contents = stamper.page_changes(page)
            # The writer's page dicts belong to this copy alone, so they can change in place.
            page.obj[NameObject("/Resources")] = resources
            page.obj[NameObject("/Contents")] = contents
        if version(writer.pdf_header) < (1, 4):
            writer.pdf_header = "%PDF-1.4"  # transparency (the watermark's alpha)
        writer.write(buffer)
    except BadDocument:
        raise
    except Exception as exc:  # even the repaired file has objects pypdf cannot handle
        raise BadDocument("pdf_corrupt", describe(exc)) from exc
    write_atomic(dest, buffer.getvalue())
    return StampResult("rewrite", len(pages), original_size)


def write_atomic(dest: Path, *chunks: bytes | memoryview) -> None:
    """Write to a temporary sibling and rename, so a crash never leaves half a file.

    open(..., "xb") rather than mkstemp: the file gets the usual umask permissions, not 0600.
    """
    tmp = dest.with_name(f".{dest.name}.{secrets.token_hex(6)}.tmp")
    try:
        with tmp.open("xb") as handle:
            for chunk in chunks:
                handle.write(chunk)
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
