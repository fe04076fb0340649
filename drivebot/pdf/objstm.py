"""A PdfReader that reads page-tree objects itself, from the file and from object streams.

Files written by Word, LibreOffice or Acrobat keep nearly every dictionary in compressed object
streams. pypdf parses a whole object stream with its general parser the first time one of its
objects is wanted, which was two thirds of the stamping time on such files. FastReader
decompresses each object stream once and parses only the objects asked for, with read.py's
small tokenizer; whatever it is unsure about (strings, comments, filters other than Flate,
predictors, odd headers) it leaves to pypdf, object by object.

It is only switched on (`enable`) for files that are not encrypted (objects in an encrypted
object stream are encrypted as a whole) and whose xref entries were checked, and its objects
go into pypdf's own cache, so every later get_object(), from any module, sees the same ones.
"""

from __future__ import annotations

import re
import zlib
from itertools import pairwise
from typing import Any

from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    IndirectObject,
    NameObject,
    NumberObject,
    PdfObject,
    StreamObject,
    read_object,
)

from drivebot.pdf import xrefstream
from drivebot.pdf.read import (
    Buffer,
    endobj_at,
    header_end,
    parse_object,
    parse_stream_dict,
    tokenize,
)

_ENDSTREAM = re.compile(rb"[ \t\r\n\f\x00]*endstream")
# Object streams are small (qpdf writes at most 100 objects); a bigger one is pypdf's business.
_MAX_DECODED = 64 * 1024 * 1024


class _ObjectStream:
    """One decompressed object stream: its bytes and, per position, (object number, offset)."""

    __slots__ = ("body", "index")

    def __init__(self, body: bytes, index: list[tuple[int, int]]) -> None:
        self.body = body
        self.index = index


class FastReader(PdfReader):
    """pypdf's reader with a faster get_object for plain objects (see the module docstring)."""

    def __init__(self, stream: Any, strict: bool = False) -> None:
        self._data: Buffer | None = None  # set by enable(); until then plain pypdf
        self._streams: dict[int, _ObjectStream | None] = {}
        super().__init__(stream, strict=strict)

    def enable(self, data: Buffer) -> None:
        """Read from `data` (the file's bytes) from now on; the caller checked the xref."""
        if not self.is_encrypted:
            self._data = data

    def get_object(self, indirect_reference: int | IndirectObject) -> PdfObject | None:
        ref = indirect_reference
        number, generation = (ref, 0) if isinstance(ref, int) else (ref.idnum, ref.generation)
        key = (generation, number)
        if self._data is not None and key not in self.resolved_objects:
            value = self._load(self._data, number, generation)
            if value is not None:
                return self.cache_indirect_object(generation, number, value)
        return super().get_object(indirect_reference)

    def _read_pdf15_xref_stream(self, stream: Any) -> StreamObject:
        """pypdf's reading of an xref stream, with a regular stream's entries decoded in bulk
        (xrefstream); pypdf reads anything else, and the lenient reader everything."""
        if not self.strict:
            return super()._read_pdf15_xref_stream(stream)
        position = stream.tell()
        stream.seek(-1, 1)
        number, generation = self.read_object_header(stream)
        xref = read_object(stream, self)
        limit = self._xref_stream_maximum_entries - self._xref_stream_entry_count
        found = xrefstream.entries(xref, limit)
        if found is None or not set(found.types) <= {0, 1, 2}:
            stream.seek(position)
            return super()._read_pdf15_xref_stream(stream)
        assert isinstance(xref, StreamObject)  # entries() checked it
        self.cache_indirect_object(generation, number, xref)
        self._xref_stream_entry_count += len(found.numbers)
        # As pypdf: sections are read newest first, and an entry already known stays.
        known, in_streams = self.xref, self.xref_objStm
        for number, kind, second, third in zip(
            found.numbers, found.types, found.second, found.third, strict=True
        ):
            if kind == 1:
                offsets = known.setdefault(third, {})
                if number not in offsets and number not in in_streams:
                    offsets[number] = second
            elif kind == 2 and number not in known.get(0, ()) and number not in in_streams:
                in_streams[number] = (second, third)
        return xref

    def tokens(self, ref: IndirectObject) -> list[bytes] | None:
        """The tokens of the object's body (read.tokenize), without building any objects; None
        where get_object would defer to pypdf."""
        data = self._data
        span = self._span(data, ref.idnum, ref.generation) if data is not None else None
        return tokenize(*span) if span is not None else None

    def _load(self, data: Buffer, number: int, generation: int) -> PdfObject | None:
        span = self._span(data, number, generation)
        return parse_object(*span, self) if span is not None else None

    def _span(self, data: Buffer, number: int, generation: int) -> tuple[Buffer, int, int] | None:
        """Where the object's body is: (the file or a decompressed object stream, start, end)."""
        # The same precedence as pypdf's get_object: an object-stream entry first.
        if generation == 0 and number in self.xref_objStm:
            stream_number, position = self.xref_objStm[number]
            objects = self._object_stream(data, int(stream_number))
            if objects is None or not 0 <= position < len(objects.index):
                return None
            listed, start = objects.index[position]
            if listed != number:
                return None
            # An object ends where the next one starts (pypdf, too, reads just one value).
            end = objects.index[position + 1][1] if position + 1 < len(objects.index) else None
            return objects.body, start, end or len(objects.body)
        if self.xref_free_entry.get(generation, {}).get(number, False):
            return None
        offset = self.xref.get(generation, {}).get(number)
        start = header_end(data, offset, number, generation)
        end = endobj_at(data, start) if start is not None else None
        return (data, start, end) if start is not None and end else None

    def _object_stream(self, data: Buffer, number: int) -> _ObjectStream | None:
        if number not in self._streams:
            try:
                self._streams[number] = _decode(self, data, number)
            except (ValueError, zlib.error):
                self._streams[number] = None  # pypdf reads this stream's objects instead
        return self._streams[number]


def _decode(reader: FastReader, data: Buffer, number: int) -> _ObjectStream | None:
    """Decompress object stream `number` and read its index; None (or ValueError) if unsure."""
    start = header_end(data, reader.xref.get(0, {}).get(number), number, 0)
    if start is None:
        return None
    parsed = parse_stream_dict(data, start, reader)
    if parsed is None:
        return None
    head, body_start = parsed
    if head.get("/Type") != "/ObjStm" or "/DecodeParms" in head:
        return None
    if not _is_flate(head.get("/Filter")):
        return None
    raw_length = head.get("/Length")  # indirect in some writers: pypdf resolves that number
    length = _number(raw_length.get_object() if raw_length is not None else None)
    count, first = _number(head.get("/N")), _number(head.get("/First"))
    if length is None or count is None or first is None:
        return None
    body_end = body_start + length
    if body_end > len(data) or _ENDSTREAM.match(data, body_end) is None:
        return None  # a wrong /Length: pypdf's reader knows how to cope
    if head.get("/Filter") is None:
        body = bytes(data[body_start:body_end])
    else:
        inflater = zlib.decompressobj()
        body = inflater.decompress(data[body_start:body_end], _MAX_DECODED)
        if inflater.unconsumed_tail:
            return None
    if not 0 <= first <= len(body):
        return None
    fields = body[:first].split()
    if len(fields) != 2 * count or not all(field.isdigit() for field in fields):
        return None
    numbers = [int(field) for field in fields]
    offsets = [first + offset for offset in numbers[1::2]]
    # pypdf's strict reader refuses offsets that do not increase; so does this one.
    if any(b <= a for a, b in pairwise(offsets)):
        return None
    if offsets and offsets[-1] >= len(body):
        return None
    return _ObjectStream(body, list(zip(numbers[0::2], offsets, strict=True)))


def _number(value: PdfObject | None) -> int | None:
    return int(value) if type(value) is NumberObject and value >= 0 else None


def _is_flate(value: PdfObject | None) -> bool:
    if isinstance(value, ArrayObject) and len(value) == 1:
        value = value[0]
    return value is None or (isinstance(value, NameObject) and value == "/FlateDecode")
