"""Reading the input PDF: the mapped file, the reader, the page tree and a small tokenizer.

Nothing here writes. The page tree walk parses only tree nodes and page dictionaries, never
content streams. `parse_object` (used by objstm.FastReader) and `stream_peek` read objects
straight from the file's bytes, because pypdf's general parser dominated the time on 1000-page
files; both check the object header at the xref offset and defer to pypdf when unsure.
"""

from __future__ import annotations

import io
import mmap
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, BinaryIO, Protocol, cast, overload

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


# What pypdf reads from: an mmap (file-like: read, seek, tell) or, for an empty file, a BytesIO.
Source = mmap.mmap | io.BytesIO


@dataclass
class Original:
    """The input file, open and mapped for the duration of a `loaded` block.

    `stream` is what pypdf parses, `data` a view of the same bytes for the small tokenizer and
    the xref checks, `file` the open file the output's prefix is copied from (never from the
    map: reading every mapped page would count the whole file in the process's RSS).
    """

    file: BinaryIO
    stream: Source
    data: memoryview

    @property
    def size(self) -> int:
        return len(self.data)


@contextmanager
def loaded(path: Path) -> Iterator[Original]:
    """The file mapped read-only, never read whole: a 200 MB scan costs only the pages touched.

    The map is private to this block; closing it on exit frees it at once, even though pypdf's
    objects and readers form reference cycles that only a full garbage collection frees.
    """
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        # mmap refuses empty files; an empty BytesIO fails in pypdf the same way as garbage.
        mapped = mmap.mmap(handle.fileno(), size, access=mmap.ACCESS_READ) if size else None
        stream: Source = mapped if mapped is not None else io.BytesIO()
        data = memoryview(mapped) if mapped is not None else memoryview(b"")
        try:
            yield Original(handle, stream, data)
        finally:
            data.release()
            with suppress(BufferError):  # a view still alive somewhere: the GC frees it later
                stream.close()


def open_reader(stream: Source) -> PdfReader:
    """Open leniently (pypdf repairs what it can) and, for owner-password-only files, decrypt;
    BadDocument if that is impossible."""
    try:
        reader = PdfReader(cast(IO[bytes], stream), strict=False)
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

    def own(self, key: str) -> PdfObject | None:
        """The raw value of an entry of the page dictionary itself, None if absent."""
        return self.obj.raw_get(key) if key in self.obj else None


_INHERITABLE = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")


class PageView(Protocol):
    """What the stamp needs of a page: a Page, or a rawpage.RawPage (read as bytes)."""

    @property
    def ref(self) -> IndirectObject: ...

    def attr(self, key: str) -> PdfObject | None: ...

    def own(self, key: str) -> PdfObject | None: ...


# Given a page-tree kid and what it inherits: the page read some faster way, or None when the
# kid is a /Pages node or the faster way is unsure (then pypdf parses it).
LeafReader = Callable[[IndirectObject, dict[str, PdfObject]], PageView | None]


@overload
def collect_pages(catalog: DictionaryObject) -> list[Page]: ...
@overload
def collect_pages(catalog: DictionaryObject, leaf: LeafReader) -> list[PageView]: ...


def collect_pages(catalog: DictionaryObject, leaf: LeafReader | None = None) -> list[Any]:
    """Walk the page tree in order; only the tree nodes and page dictionaries are parsed.

    Each page object is returned once even if the tree lists it twice; a /Pages node seen twice
    (a cycle) is skipped. Nodes are read by the reader the references belong to (for the
    incremental path an objstm.FastReader); `leaf` may read pages instead.
    """
    root = catalog.raw_get("/Pages") if "/Pages" in catalog else None
    if not isinstance(root, IndirectObject):
        raise BadDocument("pdf_corrupt", "the catalog has no indirect /Pages tree")
    pages: list[PageView] = []
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
        page = leaf(ref, inherited) if leaf is not None else None
        if page is not None:
            pages.append(page)
            continue
        node = ref.get_object()
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
# One findall() cuts an object into tokens in C; anything else (a string, a comment, a name
# escape, a stray character) matches the last alternative and yields an empty token.
_WS = rb"[ \t\r\n\f\x00]"
_END = rb"(?![^ \t\r\n\f\x00/<>\[\]()%{}])"  # followed by whitespace, a delimiter or the end
# Names and delimiters, the commonest tokens, come first: that alone made it 25% faster. No two
# alternatives start alike except a reference and a number, and the reference is tried first.
_TOKEN = re.compile(
    _WS
    + rb"*(?:("
    + rb"/[^ \t\r\n\f\x00/<>\[\]()%{}#]*"
    + _END
    + rb"|<<|>>|\[|\]|\d+"
    + _WS
    + rb"+\d+"
    + _WS
    + rb"+R"
    + _END
    + rb"|(?:[+-]?(?:\d+\.?\d*|\.\d+)|true|false|null|endobj)"
    + _END
    + rb")|[^ \t\r\n\f\x00])"  # not whitespace: the span's trailing whitespace yields nothing
)
_ENDOBJ = re.compile(rb"endobj" + _END + rb"|(stream)")
_KEYWORDS = {b"true": BooleanObject(True), b"false": BooleanObject(False), b"null": NullObject()}
_MAX_DEPTH = 32
_NUMERIC = frozenset(b"0123456789+-.")

Buffer = memoryview | bytes


class _Unsupported(Exception):
    """Syntax outside the plain subset (strings, comments, name escapes): ask pypdf."""


def tokenize(data: Buffer, start: int, end: int) -> list[bytes]:
    """The tokens of data[start:end]; an empty token marks syntax outside the plain subset."""
    return cast(list[bytes], _TOKEN.findall(data, start, end))


def build(tokens: list[bytes], reader: PdfReader) -> PdfObject | None:
    """The one value the tokens make up, None if they are not exactly one plain value."""
    try:
        return _build(tokens, reader)
    except (_Unsupported, ValueError, IndexError):
        return None


def parse_object(
    data: Buffer, start: int, end: int, reader: PdfReader
) -> DictionaryObject | ArrayObject | None:
    """The dictionary or array that is all of data[start:end], else None (pypdf's turn).

    `end` is where "endobj" (or the next object of an object stream) starts. Only containers
    are returned: a top-level true/false/null would be one of the shared singletons, and
    pypdf's cache sets an indirect_reference on what it holds.
    """
    value = build(tokenize(data, start, end), reader)
    return value if isinstance(value, (DictionaryObject, ArrayObject)) else None


def endobj_at(data: Buffer, start: int) -> int | None:
    """Where the "endobj" that closes the object whose body starts at `start` begins; None for
    a stream (whose data is never searched) or when there is none.

    The first one found is the right one for what the tokenizer accepts: where the word hides
    in a string or a longer name, the body before it does not parse and pypdf takes over.
    """
    found = _ENDOBJ.search(data, start)
    return found.start() if found is not None and found[1] is None else None


@lru_cache(maxsize=4096)
def _atom(raw: bytes) -> PdfObject:
    """A name or number; immutable, so one instance serves every occurrence (names repeat on
    every page: /Type, /Page, /Font...)."""
    if raw[:1] == b"/":
        return NameObject(raw.decode("ascii"))
    return FloatObject(raw.decode()) if b"." in raw else NumberObject(int(raw))


def _build(tokens: list[bytes], reader: PdfReader) -> PdfObject:
    """The one value the tokens make up, built with an explicit stack of open containers."""
    stack: list[list[PdfObject]] = []  # per open container: [marker, items...]
    result: PdfObject | None = None
    for token in tokens:
        first = token[0]  # IndexError on the empty token of unsupported syntax
        value: PdfObject
        if first == 0x2F or (first in _NUMERIC and token[-1] != 0x52):  # a name or a number
            value = _atom(token)
        elif first in _NUMERIC:  # "<number> <generation> R"
            number, generation, _r = token.split()
            value = IndirectObject(int(number), int(generation), reader)
        elif token == b"<<" or token == b"[":
            if len(stack) >= _MAX_DEPTH:
                raise _Unsupported
            stack.append([_DICT if token == b"<<" else _ARRAY])
            continue
        elif (token == b">>" or token == b"]") and stack:
            value = _close(stack.pop(), token == b">>")
        elif token in _KEYWORDS:
            value = _KEYWORDS[token]
        else:
            raise _Unsupported  # a stray delimiter or "endobj"
        if result is not None:
            raise _Unsupported  # more than one value
        if stack:
            stack[-1].append(value)
        else:
            result = value
    if result is None or stack:
        raise _Unsupported
    return result


_DICT, _ARRAY = NullObject(), NullObject()  # markers, compared by identity


def _close(items: list[PdfObject], is_dict: bool) -> PdfObject:
    if (items[0] is _DICT) != is_dict:
        raise _Unsupported  # "[ >>" or "<< ]"
    if not is_dict:
        return ArrayObject(items[1:])
    keys, values = items[1::2], items[2::2]
    if len(keys) != len(values) or not all(type(key) is NameObject for key in keys):
        raise _Unsupported  # keys are names, each with a value
    result = DictionaryObject(zip(keys, values, strict=True))
    if len(result) != len(keys):
        raise _Unsupported  # duplicate keys: leave the verdict to pypdf's strict reader
    return result


def parse_stream_dict(
    data: Buffer, start: int, reader: PdfReader
) -> tuple[DictionaryObject, int] | None:
    """The dictionary of the stream object whose body starts at `start`, and where the stream's
    data starts (after the "stream" keyword and its end of line); None when unsure."""
    keyword = _STREAM_KEYWORD.search(data, start)
    if keyword is None:
        return None
    head = parse_object(data, start, keyword.start(), reader)
    return (head, keyword.end()) if isinstance(head, DictionaryObject) else None


_STREAM_KEYWORD = re.compile(_WS + rb"*stream(?:\r\n|\n)")


def header_end(data: Buffer, offset: int | None, number: int, generation: int) -> int | None:
    """Where the object's body starts, if "<number> <generation> obj" is exactly at `offset`."""
    if offset is None or not 0 <= offset < len(data):
        return None
    match = OBJ_HEADER.match(data, offset)
    if match is None or int(match[1]) != number or int(match[2]) != generation:
        return None
    return match.end()


_WHITESPACE = b" \t\r\n\f\x00"


def stream_peek(reader: PdfReader, data: Buffer) -> Callable[[IndirectObject], bool | None]:
    """Tell from the raw bytes whether a reference is a stream, without parsing it.

    A page's /Contents is almost always one stream; parsing each stream's dictionary just to
    learn that cost as much as parsing the page itself. Returns None when unsure.
    """

    def is_stream(ref: IndirectObject) -> bool | None:
        if ref.generation == 0 and ref.idnum in reader.xref_objStm:
            return False  # object streams cannot hold streams
        offset = reader.xref.get(ref.generation, {}).get(ref.idnum)
        start = header_end(data, offset, ref.idnum, ref.generation)
        if start is None:
            return None
        while start < len(data) and data[start] in _WHITESPACE:
            start += 1
        head = bytes(data[start : start + 2])
        if head == b"<<":
            return True  # a dictionary where /Contents points can only be a stream
        return False if head[:1] == b"[" else None

    return is_stream
