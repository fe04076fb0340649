"""Drawing the stamp: page geometry, the QR, Helvetica text, the Form XObject, per-page changes.

Nothing here reads or writes files. `Stamper` makes the stamp's objects through an `add`
callback and computes each page's new /Resources and /Contents, so the incremental update
(incremental.py) and the full rewrite (rewrite.py) share one drawing and one placement.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import SupportsInt, cast

from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    PdfObject,
    StreamObject,
)

from drivebot.pdf.qr import qr_content, qr_matrix
from drivebot.pdf.read import PageView
from drivebot.pdf.spec import StampSpec

_PT_PER_MM = 72.0 / 25.4
_QR_INSET_MM = 6.0  # QR square (incl. quiet zone) from the right and bottom edges
_FOOTER_X_MM = 10.0
_FOOTER_BASELINE_MM = 7.0
_FOOTER_GAP_MM = 3.0  # between the end of the footer line and the QR square
FOOTER_PT = 7.0
_FOOTER_MIN_PT = 4.0
_WATERMARK_GREY = 0.5
_WATERMARK_ALPHA = 0.15
_WATERMARK_DIAGONAL_SHARE = 0.65  # the watermark spans this share of the page diagonal
_WATERMARK_MAX_SHARE = 0.2  # ... but its font size stays below this share of the short side
STAMP_NAME = "/DrivebotStamp"

# Helvetica advance widths (1/1000 em) for WinAnsiEncoding codes 32..255, from the Adobe AFM.
# Needed to centre the watermark and to fit the footer without a font library at run time.
_HELVETICA_WIDTHS = (
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, 350,
    556, 350, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 350, 611, 350,
    350, 222, 222, 333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 350, 500, 667,
    278, 333, 556, 556, 556, 556, 260, 556, 333, 737, 370, 556, 584, 333, 737, 333,
    400, 584, 333, 333, 333, 556, 537, 278, 333, 333, 365, 556, 834, 834, 834, 611,
    667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278,
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611,
    556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500,
)  # fmt: skip

Matrix = tuple[float, float, float, float, float, float]
Box = tuple[float, float, float, float]
AddObject = Callable[[PdfObject], IndirectObject]


# --------------------------------------------------------------------------- geometry


def _rect(value: PdfObject | None) -> Box | None:
    if value is None:
        return None
    value = value.get_object()
    if not isinstance(value, ArrayObject) or len(value) != 4:
        return None
    try:
        x0, y0, x1, y1 = (float(v.get_object()) for v in value)
    except (TypeError, ValueError):
        return None
    box = (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
    return box if box[2] - box[0] > 0 and box[3] - box[1] > 0 else None


def _visible_box(page: PageView) -> Box:
    """The CropBox clipped to the MediaBox (what viewers show and print), or the MediaBox."""
    media = _rect(page.attr("/MediaBox")) or (0.0, 0.0, 612.0, 792.0)  # spec default: Letter
    crop = _rect(page.attr("/CropBox"))
    if crop is None:
        return media
    clipped = (
        max(crop[0], media[0]),
        max(crop[1], media[1]),
        min(crop[2], media[2]),
        min(crop[3], media[3]),
    )
    return clipped if clipped[2] > clipped[0] and clipped[3] > clipped[1] else media


def _rotation(page: PageView) -> int:
    value = page.attr("/Rotate")
    try:
        # Anything but a number makes int() raise: the cast only tells the type checker so.
        degrees = int(cast(SupportsInt, value.get_object())) if value is not None else 0
    except (TypeError, ValueError):
        degrees = 0
    return (round(degrees / 90) * 90) % 360


def _placement(box: Box, rotate: int) -> tuple[Matrix, float, float]:
    """The cm matrix from upright display space onto the page, and the displayed width, height.

    The stamp is laid out upright in a (width x height) space with the origin at the bottom
    left as the reader sees the page; /Rotate turns the page clockwise for display, so the
    matrix turns the stamp the other way and moves it onto the visible box.
    """
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    if rotate == 90:
        return (0, 1, -1, 0, x0 + w, y0), h, w
    if rotate == 180:
        return (-1, 0, 0, -1, x0 + w, y0 + h), w, h
    if rotate == 270:
        return (0, -1, 1, 0, x0, y0 + h), h, w
    return (1, 0, 0, 1, x0, y0), w, h


# --------------------------------------------------------------------------- stamp drawing


def _num(value: float) -> str:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _winansi(text: str) -> tuple[bytes, float]:
    """Encode one line for the standard Helvetica font; return the bytes and width in 1/1000 em."""
    encoded = " ".join(text.split()).encode("cp1252", errors="replace")
    width = sum(_HELVETICA_WIDTHS[c - 32] if c >= 32 else 0 for c in encoded)
    return encoded, float(width)


def _hex_string(raw: bytes) -> str:
    return "<" + raw.hex() + ">"  # hex strings need no escaping of (, ) and backslash


def _watermark_ops(text: str, width: float, height: float) -> list[str]:
    raw, units = _winansi(text)
    if not raw or units <= 0:
        return []
    diagonal = math.hypot(width, height)
    size = min(
        _WATERMARK_DIAGONAL_SHARE * diagonal * 1000 / units,
        _WATERMARK_MAX_SHARE * min(width, height),
    )
    angle = math.atan2(height, width)
    cos, sin = math.cos(angle), math.sin(angle)
    text_width = units * size / 1000
    mid = 0.35 * size  # about half the cap height, so the text is centred vertically too
    tx = width / 2 - (cos * text_width / 2 - sin * mid)
    ty = height / 2 - (sin * text_width / 2 + cos * mid)
    matrix = " ".join(_num(v) for v in (cos, sin, -sin, cos, tx, ty))
    return [
        f"q /Wm gs {_num(_WATERMARK_GREY)} g BT /Helv {_num(size)} Tf {matrix} Tm",
        f"{_hex_string(raw)} Tj ET Q",
    ]


def _footer_ops(text: str, width: float, qr_side: float) -> list[str]:
    """Each line of the footer, the last on the baseline and the others above it."""
    ops = []
    x = _FOOTER_X_MM * _PT_PER_MM
    room = width - x - qr_side - (_QR_INSET_MM + _FOOTER_GAP_MM) * _PT_PER_MM
    y = _FOOTER_BASELINE_MM * _PT_PER_MM
    for line in reversed(text.splitlines()):
        raw, units = _winansi(line)
        if not raw or units <= 0:
            continue
        # Shrink a long line to fit beside the QR rather than run under it.
        size = max(_FOOTER_MIN_PT, min(FOOTER_PT, room * 1000 / units)) if room > 0 else FOOTER_PT
        ops.append(
            f"BT /Helv {_num(size)} Tf 0 g 1 0 0 1 {_num(x)} {_num(y)} Tm {_hex_string(raw)} Tj ET"
        )
        y += FOOTER_PT * 1.3
    return ops


def _form(
    content: bytes,
    bbox: tuple[float, float, float, float],
    resources: DictionaryObject | None = None,
    compress: bool = False,
) -> StreamObject:
    form = DecodedStreamObject()
    form[NameObject("/Type")] = NameObject("/XObject")
    form[NameObject("/Subtype")] = NameObject("/Form")
    form[NameObject("/BBox")] = ArrayObject(FloatObject(v) for v in bbox)
    if resources is not None:
        form[NameObject("/Resources")] = resources
    form.set_data(content)
    return form.flate_encode() if compress else form


def _plain_stream(content: bytes) -> StreamObject:
    stream = DecodedStreamObject()
    stream.set_data(content)
    return stream


class Stamper:
    """Builds the stamp objects once and the per-page changes, through an `add` callback.

    `add` stores a new object and returns its reference; for the incremental path it appends
    to the update, for the rewrite path it is the PdfWriter's. Everything shared by pages (the
    QR, the stamp forms, the wrapper streams, copied resource dictionaries) is made only once.
    """

    def __init__(
        self,
        spec: StampSpec,
        add: AddObject,
        is_stream: Callable[[IndirectObject], bool | None] | None = None,
    ) -> None:
        self._spec = spec
        self._add = add
        self._is_stream = is_stream or (lambda _ref: None)
        matrix = qr_matrix(spec.qr_payload)
        modules = len(matrix)
        self._qr_side = spec.qr_mm * _PT_PER_MM
        self._qr_scale = self._qr_side / modules
        qr = _form(qr_content(matrix), (0, 0, modules, modules), compress=True)
        font = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
                NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
            }
        )
        alpha = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/ExtGState"),
                NameObject("/ca"): FloatObject(_WATERMARK_ALPHA),
                NameObject("/CA"): FloatObject(_WATERMARK_ALPHA),
            }
        )
        self._form_resources = DictionaryObject(
            {
                NameObject("/Font"): DictionaryObject({NameObject("/Helv"): add(font)}),
                NameObject("/ExtGState"): DictionaryObject({NameObject("/Wm"): add(alpha)}),
                NameObject("/XObject"): DictionaryObject({NameObject("/QR"): add(qr)}),
            }
        )
        self.opener = add(_plain_stream(b"q\n"))  # the stream before the page's own
        self._forms: dict[tuple[float, float], IndirectObject] = {}
        self._closers: dict[tuple[Matrix, str], IndirectObject] = {}
        self._resources: dict[tuple[object, int, str], IndirectObject] = {}

    def stamp_form(self, width: float, height: float) -> IndirectObject:
        """The stamp for one displayed page size: normally a single form per document."""
        key = (round(width, 2), round(height, 2))
        if key not in self._forms:
            qr_x = max(0.0, width - _QR_INSET_MM * _PT_PER_MM - self._qr_side)
            qr_y = _QR_INSET_MM * _PT_PER_MM
            s = _num(self._qr_scale)
            ops = [
                *_watermark_ops(self._spec.watermark, width, height),
                *_footer_ops(self._spec.footer, width, self._qr_side),
                # The QR goes last, so neither the watermark nor the footer crosses it.
                f"q {s} 0 0 {s} {_num(qr_x)} {_num(qr_y)} cm /QR Do Q",
            ]
            content = ("\n".join(ops) + "\n").encode("ascii")
            self._forms[key] = self._add(
                _form(content, (0, 0, width, height), self._form_resources)
            )
        return self._forms[key]

    def page_changes(self, page: PageView) -> tuple[PdfObject, ArrayObject]:
        """New /Resources and /Contents values for one page; the page's own streams stay as
        they are, only bracketed by "q" before and "Q q <cm> /DrivebotStamp Do Q" after."""
        form, matrix = self.place(page)
        resources, name = self.resources_with_stamp(page, form)
        closer = self.closer(matrix, name)
        contents = self.content_refs(page)
        return resources, ArrayObject([self.opener, *contents, closer])

    def place(self, page: PageView) -> tuple[IndirectObject, Matrix]:
        """The stamp form for the page's displayed size and the matrix that puts it there."""
        matrix, width, height = _placement(_visible_box(page), _rotation(page))
        return self.stamp_form(width, height), matrix

    def content_refs(self, page: PageView) -> list[PdfObject]:
        return _content_refs(page, self._is_stream)

    def closer(self, matrix: Matrix, name: str) -> IndirectObject:
        """The stream after the page's own: "Q q <cm> <name> Do Q", one per matrix and name."""
        key = (matrix, name)
        if key not in self._closers:
            cm = " ".join(_num(v) for v in matrix)
            self._closers[key] = self._add(_plain_stream(f"\nQ q {cm} cm {name} Do Q\n".encode()))
        return self._closers[key]

    def resources_with_stamp(self, page: PageView, form: IndirectObject) -> tuple[PdfObject, str]:
        """Copy the page's effective resources and add the stamp form to the copy.

        Shared or inherited resource dictionaries are never changed in place (other pages, or
        the original revision, still use them); a copy is made once per original dictionary and
        stamp form, and referenced by every page that used that original.
        """
        raw = page.attr("/Resources")
        original = raw.get_object() if raw is not None else None
        if not isinstance(original, DictionaryObject):
            original = DictionaryObject()
        xobjects = original.get("/XObject")
        xobjects = xobjects if isinstance(xobjects, DictionaryObject) else DictionaryObject()
        name = _free_name(xobjects, form)
        if isinstance(raw, IndirectObject):
            origin: object = ("ref", raw.idnum, raw.generation)
        elif raw is not None and page.own("/Resources") is None:
            origin = ("inherited", id(raw))  # a direct dict on a /Pages node, kept alive by it
        else:
            origin = None  # the page's own direct dict: its copy stays direct in the page
        key = (origin, form.idnum, name)
        if origin is not None and key in self._resources:
            return self._resources[key], name
        copy = shallow_copy(original)
        new_xobjects = shallow_copy(xobjects)
        new_xobjects[NameObject(name)] = form
        copy[NameObject("/XObject")] = new_xobjects
        if origin is None:
            return copy, name
        self._resources[key] = self._add(copy)
        return self._resources[key], name


def shallow_copy(source: DictionaryObject) -> DictionaryObject:
    """Copy keeping references unresolved, so the copy points at the same objects."""
    copy = DictionaryObject()
    for key in source:
        copy[NameObject(key)] = source.raw_get(key)
    return copy


def _free_name(xobjects: DictionaryObject, form: IndirectObject) -> str:
    """/DrivebotStamp, or a numbered variant when an earlier stamp already used the name."""
    name, counter = STAMP_NAME, 0
    while name in xobjects and xobjects.raw_get(name) != form:
        counter += 1
        name = f"{STAMP_NAME}{counter}"
    return name


def _content_refs(
    page: PageView, is_stream: Callable[[IndirectObject], bool | None]
) -> list[PdfObject]:
    """The page's content stream references, unresolved; never their data."""
    raw = page.own("/Contents")
    if raw is None:
        return []
    if isinstance(raw, IndirectObject) and is_stream(raw):
        return [raw]  # the common case, answered without parsing the stream object
    resolved = raw.get_object() if isinstance(raw, IndirectObject) else raw
    if isinstance(resolved, ArrayObject):
        return list(resolved)  # a fresh direct array: a shared /Contents array stays as it is
    if isinstance(resolved, StreamObject):
        return [raw]
    return []  # null or junk: the page has no content of its own
