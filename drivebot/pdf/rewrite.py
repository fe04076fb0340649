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
from contextlib import suppress
from pathlib import Path
from typing import BinaryIO

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


def write_atomic(
    dest: Path, *chunks: bytes | memoryview, prefix: tuple[BinaryIO, int] | None = None
) -> None:
    """Write to a temporary sibling and rename, so a crash never leaves half a file.

    `prefix` (an open file, a byte count) comes first, copied by the kernel: the original of an
    incremental update may be a 200 MB scan that this process never holds in memory. `dest`
    may be the source: it is replaced only once the copy is whole.
    open(..., "xb") rather than mkstemp: the file gets the usual umask permissions, not 0600.
    """
    tmp = dest.with_name(f".{dest.name}.{secrets.token_hex(6)}.tmp")
    try:
        with tmp.open("xb") as handle:
            if prefix is not None:
                _copy_prefix(prefix[0], handle, prefix[1])
            for chunk in chunks:
                handle.write(chunk)
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _copy_prefix(source: BinaryIO, out: BinaryIO, size: int) -> None:
    """The first `size` bytes of `source` into `out`: sendfile, else reads in 1 MiB pieces."""
    out.flush()
    copied = 0
    with suppress(OSError):  # no sendfile between these two files: copy by reading instead
        while copied < size:
            sent = os.sendfile(out.fileno(), source.fileno(), copied, size - copied)
            if sent == 0:
                break
            copied += sent
    out.seek(copied)
    while copied < size:
        piece = os.pread(source.fileno(), min(1 << 20, size - copied), copied)
        if not piece:
            raise OSError(f"the source shrank to {copied} bytes while being copied")
        out.write(piece)
        copied += len(piece)
