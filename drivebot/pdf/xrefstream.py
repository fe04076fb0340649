"""A cross-reference stream's entries decoded a column at a time.

pypdf reads an xref stream field by field (a BytesIO read and an int conversion each) after
undoing the PNG predictor row by row: on a 1000-page file written with object streams that
was a sixth of the stamping time, before a single page was read. Here the regular case (no
filter or Flate, no predictor or PNG Up on every row, as qpdf, Word and Acrobat write it)
is decoded with slices and C-level iteration over whole columns; `entries` answers None for
anything else, and objstm.FastReader then lets pypdf read the stream as always.
"""

from __future__ import annotations

import zlib
from itertools import accumulate
from typing import Any

from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject, StreamObject

# Every field of one entry fits in 8 bytes; wider is pypdf's business.
_MAX_FIELD = 8
_UP = 2  # the PNG Up filter type, the first byte of each predicted row
_DEFAULTS = (1, 0, 0)  # a field of width 0 has this value (ISO 32000-1, Table 17)
_LOW_BYTE = (255).__and__


class Entries:
    """Per entry: its object number, type and the two further fields."""

    __slots__ = ("numbers", "second", "third", "types")

    def __init__(self, numbers: list[int], fields: list[list[int]]) -> None:
        self.numbers = numbers
        self.types, self.second, self.third = fields


def entries(xref: Any, limit: int) -> Entries | None:
    """The entries of a parsed xref stream object, None unless it is regular throughout
    (then pypdf reads it, and raises where it is wrong). At most `limit` entries."""
    if not isinstance(xref, StreamObject) or xref.get("/Type") != "/XRef" or "/Size" not in xref:
        return None
    widths = _integers(xref.get("/W"))
    index = _integers(xref.get("/Index", ArrayObject([NumberObject(0), xref.get("/Size")])))
    if widths is None or len(widths) != 3 or max(widths) > _MAX_FIELD or sum(widths) == 0:
        return None
    if index is None or len(index) % 2:
        return None
    count = sum(index[1::2])
    if count > limit:
        return None
    data = _decoded(xref, sum(widths))
    if data is None or len(data[0]) != count:
        return None
    numbers = [
        n
        for start, size in zip(index[0::2], index[1::2], strict=True)
        for n in range(start, start + size)
    ]
    fields: list[list[int]] = []
    column = 0
    for width, default in zip(widths, _DEFAULTS, strict=True):
        values = list(data[column]) if width else [default] * count
        for byte in data[column + 1 : column + width]:
            values = [value << 8 | low for value, low in zip(values, byte, strict=True)]
        fields.append(values)
        column += width
    return Entries(numbers, fields)


def _integers(value: object) -> list[int] | None:
    if not isinstance(value, ArrayObject):
        return None
    numbers = [item for item in value if type(item) is NumberObject and item >= 0]
    return [int(n) for n in numbers] if len(numbers) == len(value) else None


def _decoded(xref: StreamObject, row_length: int) -> list[bytes] | None:
    """The stream's decoded bytes, one bytes object per column of its rows."""
    # The raw bytes as read: pypdf keeps them in _data (get_data() would decode them its way).
    raw = getattr(xref, "_data", None)
    if not isinstance(raw, bytes):
        return None
    method = xref.get("/Filter")
    if isinstance(method, ArrayObject) and len(method) == 1:
        method = method[0]
    parameters = xref.get("/DecodeParms")
    if isinstance(parameters, ArrayObject) and len(parameters) == 1:
        parameters = parameters[0]
    if method is None:
        data = raw
    elif isinstance(method, NameObject) and method == "/FlateDecode":
        try:
            data = zlib.decompress(raw)
        except zlib.error:
            return None
    else:
        return None
    parameters = parameters.get_object() if parameters is not None else DictionaryObject()
    if not isinstance(parameters, DictionaryObject):
        return None
    if parameters.get("/Predictor", 1) == 1:
        if len(data) % row_length:
            return None
        return [data[column::row_length] for column in range(row_length)]
    return _up_predicted(data, parameters, row_length)


def _up_predicted(data: bytes, parameters: DictionaryObject, row_length: int) -> list[bytes] | None:
    """Undo the PNG Up predictor: each byte is its column's running sum, modulo 256."""
    if set(parameters) - {
        "/Predictor",
        "/Columns",
        "/Colors",
        "/BitsPerComponent",
    }:
        return None
    if not (10 <= parameters.get("/Predictor", 1) <= 15):
        return None  # 2 is TIFF; PNG predictors say per row which filter they used
    if parameters.get("/Columns", 1) != row_length or parameters.get("/Colors", 1) != 1:
        return None
    if parameters.get("/BitsPerComponent", 8) != 8:
        return None
    step = row_length + 1
    rows, rest = divmod(len(data), step)
    if rest or data[0::step] != bytes([_UP]) * rows:
        return None
    return [bytes(map(_LOW_BYTE, accumulate(data[column::step]))) for column in range(1, step)]
