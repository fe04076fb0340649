"""Reading the input PDF: the file in memory, the reader, the page tree and a fast object loader.

Nothing here writes. The page tree walk parses only tree nodes and page dictionaries, never
content streams; `fast_loader` and `stream_peek` read those objects straight from the file's
bytes, because pypdf's general parser dominated the time on 1000-page files. Both rely on xref
offsets that incremental._check_xref has verified, and defer to pypdf when unsure.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError
from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    NullObject,
    NumberObject,
    PdfObject,
)

from drivebot.errors import BadDocument

# --------------------------------------------------------------------------- file and reader


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


def _load(path: Path) -> tuple[io.BytesIO, memoryview]:
    """Read the file straight into the BytesIO that pypdf will parse, and a view of its bytes.

    pypdf calls BytesIO.getbuffer(), which copies a BytesIO made from a bytes object; filling
    the BytesIO's own buffer keeps a single copy of the file in memory (matters for scans).
    """
    stream = io.BytesIO()
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        filled = 0
        if size:
            stream.seek(size - 1)
            stream.write(b"\0")  # grows the buffer to `size` without a temporary copy
            with stream.getbuffer() as view:
                while filled < size:
                    count = handle.readinto(view[filled:])
                    if not count:
                        break
                    filled += count
    stream.truncate(filled)  # the file shrank while being read: keep what is there
    stream.seek(0)
    return stream, stream.getbuffer()


@contextmanager
def loaded(path: Path) -> Iterator[tuple[io.BytesIO, memoryview]]:
    """The file as a stream for pypdf and a view of its bytes, for the duration of the block.

    pypdf's objects and readers form reference cycles that only a full garbage collection
    frees; closing the stream on exit frees the file's bytes at once, so a long-running worker
    does not hold the previous document (e.g. a 50 MB scan) until the next collection.
    """
    stream, data = _load(path)
    try:
        yield stream, data
    finally:
        data.release()
        with suppress(BufferError):  # a view still alive somewhere: the GC frees it later
            stream.close()


def open_reader(stream: io.BytesIO) -> PdfReader:
    """Open leniently (pypdf repairs what it can) and, for owner-password-only files, decrypt;
    BadDocument if that is impossible."""
    try:
        reader = PdfReader(stream, strict=False)
        encrypted = reader.is_encrypted
    except Exception as exc:  # garbage input surfaces as many exception types in pypdf
        raise BadDocument("pdf_corrupt", describe(exc)) from exc
    if encrypted:
        try:
            opened = reader.decrypt("")
        except DependencyError:
            raise  # a missing crypto library is a deployment fault, not a bad document
        except Exception as exc:
            raise BadDocument("pdf_corrupt", f"encryption dictionary: {describe(exc)}") from exc
        if opened == PasswordType.NOT_DECRYPTED:
            raise BadDocument("pdf_encrypted", "the PDF needs a user password to open")
    return reader


@dataclass
class Page:
    ref: IndirectObject
    obj: DictionaryObject
    inherited: dict[str, PdfObject] = field(default_factory=dict)

    def attr(self, key: str) -> PdfObject | None:
        """The raw (unresolved) value of an inheritable attribute, own value first."""
        if key in self.obj:
            return self.obj.raw_get(key)
        return self.inherited.get(key)


_INHERITABLE = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")


def _resolve(ref: IndirectObject) -> PdfObject | None:
    return ref.get_object()


def collect_pages(
    catalog: DictionaryObject, load: Callable[[IndirectObject], PdfObject | None] = _resolve
) -> list[Page]:
    """Walk the page tree in order; only the tree nodes and page dictionaries are parsed.

    Each page object is returned once even if the tree lists it twice; a /Pages node seen twice
    (a cycle) is skipped. `load` reads one tree node or page (pypdf's reader by default).
    """
    root = catalog.raw_get("/Pages") if "/Pages" in catalog else None
    if not isinstance(root, IndirectObject):
        raise BadDocument("pdf_corrupt", "the catalog has no indirect /Pages tree")
    pages: list[Page] = []
    seen: set[tuple[int, int]] = set()
    stack: list[tuple[PdfObject, dict[str, PdfObject]]] = [(root, {})]
    while stack:
        ref, inherited = stack.pop()
        if not isinstance(ref, IndirectObject):
            raise ValueError("a /Kids entry is not an indirect reference")
        key = (ref.idnum, ref.generation)
        if key in seen:
            continue
        seen.add(key)
        node = load(ref)
        if not isinstance(node, DictionaryObject):
            raise ValueError(f"page tree node {key} is not a dictionary")
        if node.get("/Type") == "/Pages" or "/Kids" in node:
            scope = dict(inherited)
            scope.update({k: node.raw_get(k) for k in _INHERITABLE if k in node})
            kids = node.get("/Kids")
            if not isinstance(kids, ArrayObject):
                raise ValueError(f"page tree node {key} has no /Kids array")
            stack.extend((kid, scope) for kid in reversed(kids))
        else:
            pages.append(Page(ref, node, inherited))
    return pages


def version(text: str) -> tuple[int, int]:
    match = re.search(r"(\d+)\.(\d+)", text)
    return (int(match[1]), int(match[2])) if match else (1, 0)


# --------------------------------------------------------------------------- raw objects


# Where an xref entry points, the object header must start exactly, or qpdf would warn about
# the update's predecessor sections.
OBJ_HEADER = re.compile(rb"(\d+)[ \t\r\n\f\x00]+(\d+)[ \t\r\n\f\x00]+obj")


# A tokenizer for the plain subset of PDF syntax that page-tree nodes and page dictionaries
# are made of: dictionaries, arrays, names without # escapes, numbers, references, keywords.
# pypdf's general parser spent ~80 µs per page, two thirds of the time on 1000-page files.
_WS = rb"[ \t\r\n\f\x00]"
_END = rb"(?![^ \t\r\n\f\x00/<>\[\]()%{}])"  # followed by whitespace, a delimiter or the end
_TOKEN = re.compile(
    _WS
    + rb"*(?:"
    + rb"(?P<ref>\d+)"
    + _WS
    + rb"+(?P<gen>\d+)"
    + _WS
    + rb"+R"
    + _END
    + rb"|(?P<num>[+-]?(?:\d+\.?\d*|\.\d+))"
    + _END
    + rb"|(?P<name>/[^ \t\r\n\f\x00/<>\[\]()%{}#]*)"
    + _END
    + rb"|(?P<open><<|\[)|(?P<close>>>|\])"
    + rb"|(?P<word>true|false|null|endobj)"
    + _END
    + rb")"
)
_KEYWORDS = {b"true": BooleanObject(True), b"false": BooleanObject(False), b"null": NullObject()}
_MAX_DEPTH = 32


class _Unsupported(Exception):
    """Syntax outside the plain subset (strings, comments, name escapes): ask pypdf."""


def fast_loader(
    reader: PdfReader, data: memoryview
) -> Callable[[IndirectObject], PdfObject | None]:
    """Load page-tree objects with the small tokenizer, falling back to pypdf for objects in
    object streams and anything outside the plain subset. Offsets were checked by
    incremental._check_xref.
    """

    def load(ref: IndirectObject) -> PdfObject | None:
        offset = reader.xref.get(ref.generation, {}).get(ref.idnum)
        header = OBJ_HEADER.match(data, offset) if offset is not None else None
        if header is not None:
            try:
                value, end = _parse_value(data, header.end(), reader, 0)
                tail = _TOKEN.match(data, end)
                if tail is not None and tail["word"] == b"endobj":
                    return value
            except (_Unsupported, ValueError):
                pass
        return ref.get_object()

    return load


def _parse_value(
    data: memoryview, pos: int, reader: PdfReader, depth: int
) -> tuple[PdfObject, int]:
    token = _TOKEN.match(data, pos)
    if token is None or depth > _MAX_DEPTH:
        raise _Unsupported
    end = token.end()
    if token["ref"] is not None:
        return IndirectObject(int(token["ref"]), int(token["gen"]), reader), end
    if token["num"] is not None:
        text = bytes(token["num"])
        return (FloatObject(text.decode()) if b"." in text else NumberObject(int(text))), end
    if token["name"] is not None:
        return NameObject(bytes(token["name"]).decode("ascii")), end
    if token["open"] == b"[":
        array = ArrayObject()
        while True:
            close = _TOKEN.match(data, end)
            if close is not None and close["close"] == b"]":
                return array, close.end()
            item, end = _parse_value(data, end, reader, depth + 1)
            array.append(item)
    if token["open"] == b"<<":
        return _parse_dict(data, end, reader, depth)
    word = bytes(token["word"] or b"")
    if word in _KEYWORDS:
        return _KEYWORDS[word], end
    raise _Unsupported  # a stray ">>", "]" or "endobj"


def _parse_dict(
    data: memoryview, pos: int, reader: PdfReader, depth: int
) -> tuple[DictionaryObject, int]:
    result = DictionaryObject()
    while True:
        token = _TOKEN.match(data, pos)
        if token is None:
            raise _Unsupported
        if token["close"] == b">>":
            return result, token.end()
        if token["name"] is None:
            raise _Unsupported  # keys are names
        key = NameObject(bytes(token["name"]).decode("ascii"))
        if key in result:
            raise _Unsupported  # duplicate keys: leave the verdict to pypdf's strict reader
        result[key], pos = _parse_value(data, token.end(), reader, depth + 1)


_WHITESPACE = b" \t\r\n\f\x00"


def stream_peek(reader: PdfReader, data: memoryview) -> Callable[[IndirectObject], bool | None]:
    """Tell from the raw bytes whether a reference is a stream, without parsing it.

    A page's /Contents is almost always one stream; parsing each stream's dictionary just to
    learn that cost as much as parsing the page itself. Returns None when unsure.
    """

    def is_stream(ref: IndirectObject) -> bool | None:
        if ref.generation == 0 and ref.idnum in reader.xref_objStm:
            return False  # object streams cannot hold streams
        offset = reader.xref.get(ref.generation, {}).get(ref.idnum)
        match = OBJ_HEADER.match(data, offset) if offset is not None else None
        if match is None:
            return None
        start = match.end()
        while start < len(data) and data[start] in _WHITESPACE:
            start += 1
        head = bytes(data[start : start + 2])
        if head == b"<<":
            return True  # a dictionary where /Contents points can only be a stream
        return False if head[:1] == b"[" else None

    return is_stream
