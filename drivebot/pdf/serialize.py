"""Serialising pypdf objects for the incremental update, faster than pypdf's write_to_stream.

Page dictionaries are made of few kinds of objects (names, numbers, references, arrays and
dictionaries); those are written here directly, everything else by pypdf.
"""

from __future__ import annotations

import io
import re
from functools import lru_cache

from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    NumberObject,
    PdfObject,
)

_PLAIN_NAME = re.compile(r"/[A-Za-z0-9_.+:,*\-]*")


@lru_cache(maxsize=4096)
def _name_bytes(name: NameObject) -> bytes:
    """A name as written: plain ones directly; pypdf's escaping (NameObject.renumber, a quarter
    of the time on 1000-page documents when done for every name) only for the others."""
    if _PLAIN_NAME.fullmatch(name):
        return name.encode("ascii")
    return _written(name)


@lru_cache(maxsize=1024)
def _float_bytes(value: FloatObject) -> bytes:
    return _written(value)  # the same few box coordinates on every page


def _written(obj: PdfObject) -> bytes:
    buffer = io.BytesIO()
    obj.write_to_stream(buffer)
    return buffer.getvalue()


def serialize(obj: PdfObject, out: list[bytes]) -> None:
    """pypdf's write_to_stream, with fast paths for what page dictionaries are made of."""
    kind = type(obj)
    if kind is IndirectObject:
        out.append(b"%d %d R" % (obj.idnum, obj.generation))  # type: ignore[attr-defined]
    elif kind is NameObject:
        out.append(_name_bytes(obj))
    elif kind is DictionaryObject:
        out.append(b"<<")
        entries: dict[NameObject, PdfObject] = obj  # type: ignore[assignment]
        for key, value in dict.items(entries):  # raw values, unresolved
            out.append(_name_bytes(key))
            out.append(b" ")
            serialize(value, out)
            out.append(b"\n")
        out.append(b">>")
    elif kind is ArrayObject:
        out.append(b"[")
        for item in obj:  # type: ignore[attr-defined]
            serialize(item, out)
            out.append(b" ")
        out.append(b"]")
    elif kind is NumberObject:
        out.append(b"%d" % obj)  # type: ignore[str-format]
    elif kind is FloatObject:
        out.append(_float_bytes(obj))
    else:
        out.append(_written(obj))


def to_bytes(obj: PdfObject) -> bytes:
    """One object as written in a PDF file."""
    if type(obj) is IndirectObject:
        return b"%d %d R" % (obj.idnum, obj.generation)
    pieces: list[bytes] = []
    serialize(obj, pieces)
    return b"".join(pieces)
