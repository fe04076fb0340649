"""objstm.FastReader reads cross-reference streams in bulk (xrefstream.py): the same entries as
pypdf's reader, on every kind of xref stream, or pypdf's own reading where it is unsure."""

from __future__ import annotations

import io
import zlib
from collections.abc import Sequence
from pathlib import Path

import pdf_fixtures as fx
import pytest
from pypdf import PdfReader
from pypdf.generic import IndirectObject
from test_stamping import plain, stamped

from drivebot.pdf import xrefstream
from drivebot.pdf.objstm import FastReader


def hand_made(
    widths: Sequence[int] = (1, 2, 1),
    predictor: str = "none",
    compress: bool = True,
    free: bool = True,
) -> bytes:
    """A one-page PDF whose only cross-reference section is a stream of the given kind."""
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    start = len(out)
    rows = ([(0, 0, 255)] if free else []) + [(1, offset, 0) for offset in offsets]
    rows.append((1, start, 0))
    first = 0 if free else 1
    if widths[0] == 0:
        rows = [row for row in rows if row[0] == 1]
    encoded = [
        b"".join(
            value.to_bytes(width, "big") if width else b""
            for value, width in zip(row, widths, strict=True)
        )
        for row in rows
    ]
    parameters = ""
    if predictor != "none":
        row_length = sum(widths)
        filter_type = {"up": 2, "sub": 1}[predictor]
        previous = bytes(row_length)
        predicted = []
        for row in encoded:
            base = previous if predictor == "up" else bytes(1) + row[:-1]
            deltas = ((a - b) % 256 for a, b in zip(row, base, strict=True))
            predicted.append(bytes([filter_type, *deltas]))
            previous = row
        encoded = predicted
        parameters = f"/DecodeParms << /Predictor 12 /Columns {row_length} >>"
    data = b"".join(encoded)
    if compress:
        data = zlib.compress(data)
    method = "/Filter /FlateDecode" if compress else ""
    index = f"/Index [{first} {len(rows)}]"
    head = (
        f"<< /Type /XRef /Size 5 {index} /W [{' '.join(map(str, widths))}] /Root 1 0 R "
        f"{method} {parameters} /Length {len(data)} >>"
    )
    out += b"4 0 obj\n" + head.encode() + b"\nstream\n" + data + b"\nendstream\nendobj\n"
    out += b"startxref\n%d\n%%%%EOF\n" % start
    return bytes(out)


def read_both(data: bytes) -> tuple[PdfReader, FastReader]:
    return PdfReader(io.BytesIO(data), strict=True), FastReader(io.BytesIO(data), strict=True)


def assert_same_reading(slow: PdfReader, fast: FastReader) -> None:
    assert fast.xref == slow.xref
    assert fast.xref_objStm == slow.xref_objStm
    assert plain(fast.trailer) == plain(slow.trailer)
    assert fast._xref_stream_entry_count == slow._xref_stream_entry_count
    assert set(fast.resolved_objects) == set(slow.resolved_objects)
    pages = [page.mediabox for page in fast.pages]
    assert pages == [page.mediabox for page in slow.pages]


def xref_stream_object(reader: PdfReader) -> object:
    """The newest xref stream as pypdf parsed it (it is cached under its own number)."""
    start = int(reader.stream.getvalue().rsplit(b"startxref", 1)[1].split()[0])
    number = int(reader.stream.getvalue()[start:].split()[0])
    return reader.get_object(IndirectObject(number, 0, reader))


REGULAR = {
    "Flate, PNG Up": {"predictor": "up"},
    "Flate, no predictor": {},
    "no filter": {"compress": False},
    "3-byte offsets, 2-byte generations": {"widths": (1, 3, 2), "predictor": "up"},
    "no type column (all in use)": {"widths": (0, 2, 1), "free": False},
}


@pytest.mark.parametrize("shape", REGULAR)
def test_regular_xref_streams_are_read_in_bulk_as_pypdf_reads_them(shape: str) -> None:
    data = hand_made(**REGULAR[shape])  # type: ignore[arg-type]
    slow, fast = read_both(data)
    assert xrefstream.entries(xref_stream_object(slow), 10_000) is not None  # the bulk way ran
    assert_same_reading(slow, fast)
    assert len(fast.xref[0]) == 4


def test_other_predictors_are_left_to_pypdf() -> None:
    data = hand_made(predictor="sub")
    slow, fast = read_both(data)
    assert xrefstream.entries(xref_stream_object(slow), 10_000) is None
    assert_same_reading(slow, fast)


def test_more_entries_than_allowed_are_left_to_pypdf() -> None:
    slow, _fast = read_both(hand_made(predictor="up"))
    assert xrefstream.entries(xref_stream_object(slow), 3) is None
    assert xrefstream.entries(xref_stream_object(slow), 5) is not None


def test_files_with_object_streams_and_their_updates_read_alike(tmp_path: Path) -> None:
    """qpdf's object streams (PNG Up), then the same stamped once and twice: the newest of
    several xref sections decides an entry, as in pypdf."""
    source = fx.with_object_streams(
        fx.text_pdf(tmp_path / "doc.pdf", [fx.F4] * 30), tmp_path / "objstm.pdf"
    )
    once, _ = stamped(source, tmp_path)
    twice, result = stamped(once, tmp_path)
    assert result.method == "incremental"
    for path in (source, once, twice):
        slow, fast = read_both(path.read_bytes())
        assert_same_reading(slow, fast)
    # The stamped pages were in object streams; the updates' plain copies win.
    original = PdfReader(source)
    numbers = [page.indirect_reference.idnum for page in original.pages]
    assert all(number in original.xref_objStm for number in numbers)
    assert not any(number in fast.xref_objStm for number in numbers)
    assert all(number in fast.xref[0] for number in numbers)
