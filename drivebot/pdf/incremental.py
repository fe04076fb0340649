"""The stamp as an incremental update, so the signed original stays the exact prefix of the output.

`append_stamp` reads the file strictly and checks that every xref entry points exactly at its
object (`_check_xref`): an update chained to a damaged xref would inherit the damage, so any
doubt raises `CannotAppend` and the caller rewrites the file instead (rewrite.py). The update is
serialised object by object and closed by an xref section of the original's kind (a table or a
stream) and a trailer whose new /ID half is derived from the input, so output is deterministic.
"""

from __future__ import annotations

import hashlib
import io
import re
import zlib
from collections.abc import Iterator

from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
    PdfObject,
)

from drivebot.pdf.draw import Stamper, shallow_copy
from drivebot.pdf.objstm import FastReader
from drivebot.pdf.rawpage import PageWriter, RawPage, leaf_reader
from drivebot.pdf.read import (
    OBJ_HEADER,
    Original,
    Page,
    PageView,
    collect_pages,
    describe,
    stream_peek,
    version,
)
from drivebot.pdf.serialize import to_bytes
from drivebot.pdf.spec import StampSpec


class CannotAppend(Exception):
    """The file cannot take a sound incremental update; the message says why."""


def append_stamp(original: Original, spec: StampSpec) -> tuple[int, bytes]:
    """The page count and the bytes of an incremental update, or CannotAppend.

    The file is read strictly: where the lenient reader would silently repair something (a
    wrong xref offset, a bad startxref), an update appended to the file would inherit the
    damage, so any complaint of the strict reader means a full rewrite instead.
    """
    data = original.data
    try:
        reader = FastReader(original.stream, strict=True)
        if reader.is_encrypted:
            # New objects would have to be encrypted with the file key; rewrite decrypted.
            raise CannotAppend("encrypted")
        startxref = _check_xref(reader, data)
        reader.enable(data)  # every xref offset is now known to hold its object
        pages = collect_pages(reader.root_object, leaf_reader(reader))
        if not pages:
            raise CannotAppend("the page tree holds no pages")
        return len(pages), _incremental_update(reader, data, startxref, pages, spec)
    except CannotAppend:
        raise
    except Exception as exc:  # any strict-mode complaint, including odd objects
        raise CannotAppend(describe(exc)) from exc


_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF")


def _startxref(data: memoryview) -> int | None:
    matches = list(_STARTXREF.finditer(data, max(0, len(data) - 2048)))
    return int(matches[-1].group(1)) if matches else None


def _check_xref(reader: PdfReader, data: memoryview) -> int:
    """Return the last xref section's offset, once every xref entry is seen to point exactly at
    its object: otherwise the appended section (whose /Prev chains to these) would leave qpdf
    and others to reconstruct the file."""
    if not isinstance(reader.trailer.raw_get("/Root"), IndirectObject):
        raise CannotAppend("the trailer has no indirect /Root")
    start = _startxref(data)
    if start is None or start >= len(data):
        raise CannotAppend("no usable startxref")
    if not (data[start : start + 4] == b"xref" or OBJ_HEADER.match(data, start)):
        raise CannotAppend("startxref does not point at an xref section")
    for generation, entries in reader.xref.items():
        for number, offset in entries.items():
            match = OBJ_HEADER.match(data, offset) if 0 <= offset < len(data) else None
            if match is None or (int(match[1]), int(match[2])) != (number, generation):
                raise CannotAppend(f"xref entry {number} {generation} is off (at {offset})")
    stored = reader.xref.get(0, {})
    for number, (stream_number, _index) in reader.xref_objStm.items():
        if stream_number not in stored:
            raise CannotAppend(f"object {number} is in a missing object stream")
    return start


# --------------------------------------------------------------------------- writing the update


class _Update:
    """One incremental update section, serialised as objects are added."""

    def __init__(self, reader: PdfReader, data: memoryview) -> None:
        self._reader = reader
        self._base = len(data)
        self._pieces: list[bytes] = []
        self._length = 0
        # Objects must start on a fresh line even if the original lacks a final EOL.
        if bytes(data[-1:]) not in (b"\n", b"\r"):
            self.write(b"\n")
        highest = max((n for entries in reader.xref.values() for n in entries), default=0)
        highest = max(highest, max(reader.xref_objStm, default=0))
        size = reader.trailer.get("/Size", 0)
        self.next_number = max(int(size) if isinstance(size, int) else 0, highest + 1)
        self.offsets: dict[int, tuple[int, int]] = {}

    def add(self, obj: PdfObject) -> IndirectObject:
        ref = IndirectObject(self.next_number, 0, self._reader)
        self.next_number += 1
        self.put(ref, obj)
        return ref

    def put(self, ref: IndirectObject, obj: PdfObject) -> None:
        self.put_raw(ref, to_bytes(obj))

    def put_raw(self, ref: IndirectObject, body: bytes) -> None:
        """An object whose body is already serialised."""
        self.offsets[ref.idnum] = (self.tell(), ref.generation)
        self.write(b"%d %d obj\n%s\nendobj\n" % (ref.idnum, ref.generation, body))

    def tell(self) -> int:
        return self._base + self._length

    def write(self, raw: bytes) -> None:
        self._pieces.append(raw)
        self._length += len(raw)

    def getvalue(self) -> bytes:
        return b"".join(self._pieces)


def _incremental_update(
    reader: PdfReader, data: memoryview, startxref: int, pages: list[PageView], spec: StampSpec
) -> bytes:
    """The bytes to append: stamp objects, changed page dicts, then a new xref section."""
    update = _Update(reader, data)
    is_stream = stream_peek(reader, data)
    stamper = Stamper(spec, update.add, is_stream)
    writer = PageWriter(stamper, is_stream, to_bytes)
    for page in pages:
        if isinstance(page, RawPage):
            update.put_raw(page.ref, writer.page_bytes(page))
        elif isinstance(page, Page):
            update.put(page.ref, stamped_dict(stamper, page))
        else:
            raise TypeError(f"unexpected page type {type(page).__name__}")
    # Continue in the original's kind of xref section (a table, or a stream from PDF 1.5 on).
    uses_stream = data[startxref : startxref + 4] != b"xref"
    _raise_version(reader, data, update, "1.5" if uses_stream else "1.4")
    trailer = _trailer(reader, data, spec, startxref)
    if uses_stream:
        _write_xref_stream(update, trailer)
    else:
        _write_xref_table(update, trailer)
    return update.getvalue()


def stamped_dict(stamper: Stamper, page: Page) -> DictionaryObject:
    """The page dictionary with the stamp, as pypdf objects: the way for pages RawPage does
    not take (and the reference a test compares RawPage's bytes with)."""
    resources, contents = stamper.page_changes(page)
    changed = shallow_copy(page.obj)
    changed[NameObject("/Resources")] = resources
    changed[NameObject("/Contents")] = contents
    return changed


def _raise_version(reader: PdfReader, data: memoryview, update: _Update, needed: str) -> None:
    """Declare at least `needed` (alpha needs 1.4, xref streams 1.5) via the catalog /Version.

    The header can't change without breaking the byte-exact prefix; the catalog entry is the
    spec's way to raise the version in an update.
    """
    header = version(bytes(data[:16]).decode("latin-1"))
    catalog_ref = reader.trailer.raw_get("/Root")
    catalog = catalog_ref.get_object()
    declared = max(header, version(str(catalog.get("/Version", ""))))
    if declared >= version(needed):
        return
    changed = shallow_copy(catalog)
    changed[NameObject("/Version")] = NameObject("/" + needed)
    update.put(catalog_ref, changed)


def _trailer(reader: PdfReader, data: memoryview, spec: StampSpec, prev: int) -> DictionaryObject:
    """/Root and /Info as before; /ID keeps its permanent first half and gets a new second.

    The new half is derived from the input and the stamp, so the same input always yields
    byte-identical output.
    """
    old = reader.trailer
    trailer = DictionaryObject()
    trailer[NameObject("/Root")] = old.raw_get("/Root")
    if "/Info" in old and isinstance(old.raw_get("/Info"), IndirectObject):
        trailer[NameObject("/Info")] = old.raw_get("/Info")
    digest = hashlib.md5(usedforsecurity=False)
    digest.update(f"{len(data)}:{prev}:".encode())
    digest.update(repr(spec).encode())
    permanent = digest.digest()
    ids = old.get("/ID")
    if isinstance(ids, ArrayObject) and len(ids) == 2:
        first = ids[0].get_object()
        permanent = getattr(first, "original_bytes", None) or bytes(first)
        digest.update(permanent)
    trailer[NameObject("/ID")] = ArrayObject(
        [ByteStringObject(permanent), ByteStringObject(digest.digest())]
    )
    trailer[NameObject("/Prev")] = NumberObject(prev)
    return trailer


def _runs(numbers: list[int]) -> Iterator[list[int]]:
    """Split sorted object numbers into consecutive runs (xref subsections)."""
    run: list[int] = []
    for number in numbers:
        if run and number != run[-1] + 1:
            yield run
            run = []
        run.append(number)
    if run:
        yield run


def _write_xref_table(update: _Update, trailer: DictionaryObject) -> None:
    start = update.tell()
    lines = [b"xref\n"]
    for run in _runs(sorted(update.offsets)):
        lines.append(f"{run[0]} {len(run)}\n".encode())
        for number in run:
            offset, generation = update.offsets[number]
            lines.append(f"{offset:010d} {generation:05d} n \n".encode())  # 20 bytes each
    trailer[NameObject("/Size")] = NumberObject(update.next_number)
    update.write(b"".join(lines) + b"trailer\n")
    buffer = io.BytesIO()
    trailer.write_to_stream(buffer)
    update.write(buffer.getvalue() + f"\nstartxref\n{start}\n%%EOF\n".encode())


def _write_xref_stream(update: _Update, trailer: DictionaryObject) -> None:
    """An xref stream section, for originals that use xref streams (its own entry included)."""
    number = update.next_number
    update.next_number += 1
    start = update.tell()
    entries = dict(update.offsets)
    entries[number] = (start, 0)
    width = max(1, (start.bit_length() + 7) // 8)
    rows = bytearray()
    index: list[int] = []
    for run in _runs(sorted(entries)):
        index += [run[0], len(run)]
        for n in run:
            offset, generation = entries[n]
            rows += b"\x01" + offset.to_bytes(width, "big") + generation.to_bytes(2, "big")
    body = zlib.compress(bytes(rows))
    trailer[NameObject("/Type")] = NameObject("/XRef")
    trailer[NameObject("/Size")] = NumberObject(update.next_number)
    trailer[NameObject("/Index")] = ArrayObject(NumberObject(v) for v in index)
    trailer[NameObject("/W")] = ArrayObject(NumberObject(v) for v in (1, width, 2))
    trailer[NameObject("/Filter")] = NameObject("/FlateDecode")
    trailer[NameObject("/Length")] = NumberObject(len(body))
    buffer = io.BytesIO()
    buffer.write(f"{number} 0 obj\n".encode())
    trailer.write_to_stream(buffer)
    buffer.write(b"\nstream\n" + body + b"\nendstream\nendobj\n")
    update.write(buffer.getvalue() + f"startxref\n{start}\n%%EOF\n".encode())
