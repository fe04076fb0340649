"""Stamp a signed final as a "salinan sah" (authenticated copy).

Every page gets a diagonal watermark, a QR code holding the verification URL and a one-line
footer. For PDFs the stamp is one Form XObject per page size, drawn over each page through a
short wrapper around the page's untouched content streams, and written as an incremental update:
the signed original stays the exact prefix of the output, so its hash and any signature byte
ranges remain verifiable. Only inputs that cannot take a valid update (owner-password encryption,
an xref table that had to be repaired) are rewritten in full.

For .docx drafts (when no PDF converter is available) the QR and footer go into the Word footer
and the watermark text into the header.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
import os
import re
import secrets
import struct
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import qrcode
from pypdf import PasswordType, PdfReader, PdfWriter
from pypdf.errors import DependencyError
from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    ByteStringObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    NullObject,
    NumberObject,
    PdfObject,
    StreamObject,
)

from drivebot.errors import BadDocument

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument

__all__ = ["StampResult", "StampSpec", "pdf_page_count", "stamp_docx", "stamp_pdf"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StampSpec:
    watermark: str  # e.g. "SALINAN SAH" (drawn diagonally, light grey, alpha ~0.15)
    qr_payload: str  # the verification URL, ~100-160 chars
    footer: str  # one line, e.g. "HK-2026-0007 · Peraturan Bupati Nomor 12 Tahun 2026 · ..."
    qr_mm: float = 25.0  # QR side incl. quiet zone; >= 25 mm


@dataclass(frozen=True)
class StampResult:
    method: str  # "incremental" or "rewrite" (the fallback), so callers can record it
    pages: int
    original_size: int  # bytes of the input; with "incremental" it is output[:original_size]


# Below 25 mm a version-8 QR (a ~150-char URL at ECC M) stops decoding from a clean 150 dpi
# rendering (measured in shared/STAMPING_NOTES.md; 35 mm if scanned copies must verify).
MIN_QR_MM = 25.0

_PT_PER_MM = 72.0 / 25.4
_QR_INSET_MM = 6.0  # QR square (incl. quiet zone) from the right and bottom edges
_FOOTER_X_MM = 10.0
_FOOTER_BASELINE_MM = 7.0
_FOOTER_GAP_MM = 3.0  # between the end of the footer line and the QR square
_FOOTER_PT = 7.0
_FOOTER_MIN_PT = 4.0
_WATERMARK_GREY = 0.5
_WATERMARK_ALPHA = 0.15
_WATERMARK_DIAGONAL_SHARE = 0.65  # the watermark spans this share of the page diagonal
_WATERMARK_MAX_SHARE = 0.2  # ... but its font size stays below this share of the short side
_STAMP_NAME = "/DrivebotStamp"

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


# --------------------------------------------------------------------------- public API


def pdf_page_count(path: Path) -> int:
    """Validate a PDF at intake and return its number of pages.

    Raises BadDocument("pdf_encrypted") when a user password is needed, BadDocument("pdf_corrupt")
    when the file is not a readable PDF or has no pages.
    """
    with _loaded(Path(path)) as (stream, _data):
        reader = _open_reader(stream)
        try:
            pages = _collect_pages(reader.root_object)
        except BadDocument:
            raise
        except Exception as exc:  # pypdf raises many types on malformed page trees
            raise BadDocument("pdf_corrupt", _describe(exc)) from exc
    if not pages:
        raise BadDocument("pdf_corrupt", "the page tree holds no pages")
    return len(pages)


def stamp_pdf(source: Path, dest: Path, spec: StampSpec) -> StampResult:
    """Write `source` with the stamp on every page to `dest` (may be the same path).

    Appends an incremental update when the file allows it, else rewrites the whole file; the
    result says which. Raises BadDocument for unreadable or user-password-protected input.
    """
    _check_spec(spec)
    with _loaded(Path(source)) as (stream, data):
        try:
            pages, appended = _append_stamp(stream, data, spec)
        except _CannotAppend as why:
            log.info("no incremental update for %s (%s): trying a full rewrite", source, why)
        else:
            _write_atomic(Path(dest), data, appended)
            return StampResult("incremental", pages, len(data))
        return _rewrite(_open_reader(stream), Path(dest), spec, len(data))


def stamp_docx(source: Path, dest: Path, spec: StampSpec) -> None:
    """Stamp a .docx: QR image and footer text in every footer, the watermark text in every header.

    A fallback for when no PDF converter is available; Word has no per-page overlay, so the
    watermark is a grey header line rather than a diagonal mark.
    """
    _check_spec(spec)
    # python-docx (and lxml under it) is imported here, not at module level: only this
    # fallback needs it, and it would add ~10 MB and 40 ms to every PDF-stamping worker.
    import docx

    try:
        document = docx.Document(str(source))
    except Exception as exc:  # python-docx raises zip, XML and key errors on bad packages
        raise BadDocument("docx_corrupt", _describe(exc)) from exc
    png = _qr_png(_qr_matrix(spec.qr_payload))
    for header in _distinct_parts(document, "header"):
        _add_watermark_line(header, spec.watermark)
    for footer in _distinct_parts(document, "footer"):
        _add_footer_line(footer, png, spec)
    buffer = io.BytesIO()
    document.save(buffer)
    _write_atomic(Path(dest), buffer.getvalue())


# --------------------------------------------------------------------------- reading


def _check_spec(spec: StampSpec) -> None:
    # A wrong spec is a programming error in the caller, not a bad document.
    if spec.qr_mm < MIN_QR_MM:
        raise ValueError(f"qr_mm must be >= {MIN_QR_MM}, got {spec.qr_mm}")
    if not spec.qr_payload:
        raise ValueError("qr_payload is empty")


def _describe(exc: BaseException) -> str:
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
def _loaded(path: Path) -> Iterator[tuple[io.BytesIO, memoryview]]:
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


def _open_reader(stream: io.BytesIO) -> PdfReader:
    """Open leniently (pypdf repairs what it can) and, for owner-password-only files, decrypt;
    BadDocument if that is impossible."""
    try:
        reader = PdfReader(stream, strict=False)
        encrypted = reader.is_encrypted
    except Exception as exc:  # garbage input surfaces as many exception types in pypdf
        raise BadDocument("pdf_corrupt", _describe(exc)) from exc
    if encrypted:
        try:
            opened = reader.decrypt("")
        except DependencyError:
            raise  # a missing crypto library is a deployment fault, not a bad document
        except Exception as exc:
            raise BadDocument("pdf_corrupt", f"encryption dictionary: {_describe(exc)}") from exc
        if opened == PasswordType.NOT_DECRYPTED:
            raise BadDocument("pdf_encrypted", "the PDF needs a user password to open")
    return reader


@dataclass
class _Page:
    ref: IndirectObject
    obj: DictionaryObject
    inherited: dict[str, PdfObject] = field(default_factory=dict)

    def attr(self, key: str) -> PdfObject | None:
        """The raw (unresolved) value of an inheritable attribute, own value first."""
        if key in self.obj:
            return self.obj.raw_get(key)
        return self.inherited.get(key)


_INHERITABLE = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")


def _resolve(ref: IndirectObject) -> PdfObject:
    return ref.get_object()


def _collect_pages(catalog: DictionaryObject,
                   load: Callable[[IndirectObject], PdfObject] = _resolve) -> list[_Page]:
    """Walk the page tree in order; only the tree nodes and page dictionaries are parsed.

    Each page object is returned once even if the tree lists it twice; a /Pages node seen twice
    (a cycle) is skipped. `load` reads one tree node or page (pypdf's reader by default).
    """
    root = catalog.raw_get("/Pages") if "/Pages" in catalog else None
    if not isinstance(root, IndirectObject):
        raise BadDocument("pdf_corrupt", "the catalog has no indirect /Pages tree")
    pages: list[_Page] = []
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
            pages.append(_Page(ref, node, inherited))
    return pages


# Where an xref entry points, the object header must start exactly, or qpdf would warn about
# the update's predecessor sections.
_OBJ_HEADER = re.compile(rb"(\d+)[ \t\r\n\f\x00]+(\d+)[ \t\r\n\f\x00]+obj")
_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF")


def _startxref(data: memoryview) -> int | None:
    matches = list(_STARTXREF.finditer(data, max(0, len(data) - 2048)))
    return int(matches[-1].group(1)) if matches else None


class _CannotAppend(Exception):
    """The file cannot take a sound incremental update; the message says why."""


def _append_stamp(stream: io.BytesIO, data: memoryview, spec: StampSpec) -> tuple[int, bytes]:
    """The page count and the bytes of an incremental update, or _CannotAppend.

    The file is read strictly: where the lenient reader would silently repair something (a
    wrong xref offset, a bad startxref), an update appended to the file would inherit the
    damage, so any complaint of the strict reader means a full rewrite instead.
    """
    try:
        reader = PdfReader(stream, strict=True)
        if reader.is_encrypted:
            # New objects would have to be encrypted with the file key; rewrite decrypted.
            raise _CannotAppend("encrypted")
        startxref = _check_xref(reader, data)
        pages = _collect_pages(reader.root_object, _fast_loader(reader, data))
        if not pages:
            raise _CannotAppend("the page tree holds no pages")
        return len(pages), _incremental_update(reader, data, startxref, pages, spec)
    except _CannotAppend:
        raise
    except Exception as exc:  # any strict-mode complaint, including odd objects
        raise _CannotAppend(_describe(exc)) from exc


def _check_xref(reader: PdfReader, data: memoryview) -> int:
    """Return the last xref section's offset, once every xref entry is seen to point exactly at
    its object: otherwise the appended section (whose /Prev chains to these) would leave qpdf
    and others to reconstruct the file."""
    if not isinstance(reader.trailer.raw_get("/Root"), IndirectObject):
        raise _CannotAppend("the trailer has no indirect /Root")
    start = _startxref(data)
    if start is None or start >= len(data):
        raise _CannotAppend("no usable startxref")
    if not (data[start:start + 4] == b"xref" or _OBJ_HEADER.match(data, start)):
        raise _CannotAppend("startxref does not point at an xref section")
    for generation, entries in reader.xref.items():
        for number, offset in entries.items():
            match = _OBJ_HEADER.match(data, offset) if 0 <= offset < len(data) else None
            if match is None or (int(match[1]), int(match[2])) != (number, generation):
                raise _CannotAppend(f"xref entry {number} {generation} is off (at {offset})")
    stored = reader.xref.get(0, {})
    for number, (stream_number, _index) in reader.xref_objStm.items():
        if stream_number not in stored:
            raise _CannotAppend(f"object {number} is in a missing object stream")
    return start


# A tokenizer for the plain subset of PDF syntax that page-tree nodes and page dictionaries
# are made of: dictionaries, arrays, names without # escapes, numbers, references, keywords.
# pypdf's general parser spent ~80 µs per page, two thirds of the time on 1000-page files.
_WS = rb"[ \t\r\n\f\x00]"
_END = rb"(?![^ \t\r\n\f\x00/<>\[\]()%{}])"  # followed by whitespace, a delimiter or the end
_TOKEN = re.compile(
    _WS + rb"*(?:"
    + rb"(?P<ref>\d+)" + _WS + rb"+(?P<gen>\d+)" + _WS + rb"+R" + _END
    + rb"|(?P<num>[+-]?(?:\d+\.?\d*|\.\d+))" + _END
    + rb"|(?P<name>/[^ \t\r\n\f\x00/<>\[\]()%{}#]*)" + _END
    + rb"|(?P<open><<|\[)|(?P<close>>>|\])"
    + rb"|(?P<word>true|false|null|endobj)" + _END
    + rb")"
)
_KEYWORDS = {b"true": BooleanObject(True), b"false": BooleanObject(False), b"null": NullObject()}
_MAX_DEPTH = 32


class _Unsupported(Exception):
    """Syntax outside the plain subset (strings, comments, name escapes): ask pypdf."""


def _fast_loader(reader: PdfReader,
                 data: memoryview) -> Callable[[IndirectObject], PdfObject]:
    """Load page-tree objects with the small tokenizer, falling back to pypdf for objects in
    object streams and anything outside the plain subset. Offsets were checked by _check_xref.
    """
    def load(ref: IndirectObject) -> PdfObject:
        offset = reader.xref.get(ref.generation, {}).get(ref.idnum)
        header = _OBJ_HEADER.match(data, offset) if offset is not None else None
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


def _parse_value(data: memoryview, pos: int, reader: PdfReader,
                 depth: int) -> tuple[PdfObject, int]:
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


def _parse_dict(data: memoryview, pos: int, reader: PdfReader,
                depth: int) -> tuple[DictionaryObject, int]:
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


def _visible_box(page: _Page) -> Box:
    """The CropBox clipped to the MediaBox (what viewers show and print), or the MediaBox."""
    media = _rect(page.attr("/MediaBox")) or (0.0, 0.0, 612.0, 792.0)  # spec default: Letter
    crop = _rect(page.attr("/CropBox"))
    if crop is None:
        return media
    clipped = (max(crop[0], media[0]), max(crop[1], media[1]),
               min(crop[2], media[2]), min(crop[3], media[3]))
    return clipped if clipped[2] > clipped[0] and clipped[3] > clipped[1] else media


def _rotation(page: _Page) -> int:
    value = page.attr("/Rotate")
    try:
        degrees = int(value.get_object()) if value is not None else 0
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


def _qr_matrix(payload: str) -> list[list[bool]]:
    """QR modules including the 4-module quiet zone; ECC M balances size against damage."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=1, border=4)
    code.add_data(payload)
    code.make(fit=True)
    return code.get_matrix()


def _qr_content(matrix: list[list[bool]]) -> bytes:
    """Vector QR in module units: an opaque white square, then one rectangle per dark run.

    All runs go into a single path filled once, so renderers show no seams between rows, and
    the white square keeps scanned page content out of the quiet zone.
    """
    n = len(matrix)
    parts = [f"1 g 0 0 {n} {n} re f 0 g"]
    for row_index, row in enumerate(matrix):
        y = n - 1 - row_index
        x = 0
        while x < n:
            if row[x]:
                start = x
                while x < n and row[x]:
                    x += 1
                parts.append(f"{start} {y} {x - start} 1 re")
            else:
                x += 1
    parts.append("f")
    return "\n".join(parts).encode("ascii")


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
    size = min(_WATERMARK_DIAGONAL_SHARE * diagonal * 1000 / units,
               _WATERMARK_MAX_SHARE * min(width, height))
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
    raw, units = _winansi(text)
    if not raw or units <= 0:
        return []
    x = _FOOTER_X_MM * _PT_PER_MM
    room = width - x - qr_side - (_QR_INSET_MM + _FOOTER_GAP_MM) * _PT_PER_MM
    # Shrink a long footer to fit beside the QR rather than run under it.
    size = max(_FOOTER_MIN_PT, min(_FOOTER_PT, room * 1000 / units)) if room > 0 else _FOOTER_PT
    y = _FOOTER_BASELINE_MM * _PT_PER_MM
    return [f"BT /Helv {_num(size)} Tf 0 g 1 0 0 1 {_num(x)} {_num(y)} Tm {_hex_string(raw)} Tj ET"]


def _form(content: bytes, bbox: tuple[float, float, float, float],
          resources: DictionaryObject | None = None, compress: bool = False) -> StreamObject:
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


class _Stamper:
    """Builds the stamp objects once and the per-page changes, through an `add` callback.

    `add` stores a new object and returns its reference; for the incremental path it appends
    to the update, for the rewrite path it is the PdfWriter's. Everything shared by pages (the
    QR, the stamp forms, the wrapper streams, copied resource dictionaries) is made only once.
    """

    def __init__(self, spec: StampSpec, add: AddObject,
                 is_stream: Callable[[IndirectObject], bool | None] | None = None) -> None:
        self._spec = spec
        self._add = add
        self._is_stream = is_stream or (lambda _ref: None)
        matrix = _qr_matrix(spec.qr_payload)
        modules = len(matrix)
        self._qr_side = spec.qr_mm * _PT_PER_MM
        self._qr_scale = self._qr_side / modules
        qr = _form(_qr_content(matrix), (0, 0, modules, modules), compress=True)
        font = DictionaryObject({
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
            NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
        })
        alpha = DictionaryObject({
            NameObject("/Type"): NameObject("/ExtGState"),
            NameObject("/ca"): FloatObject(_WATERMARK_ALPHA),
            NameObject("/CA"): FloatObject(_WATERMARK_ALPHA),
        })
        self._form_resources = DictionaryObject({
            NameObject("/Font"): DictionaryObject({NameObject("/Helv"): add(font)}),
            NameObject("/ExtGState"): DictionaryObject({NameObject("/Wm"): add(alpha)}),
            NameObject("/XObject"): DictionaryObject({NameObject("/QR"): add(qr)}),
        })
        self._open = add(_plain_stream(b"q\n"))
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
                _form(content, (0, 0, width, height), self._form_resources))
        return self._forms[key]

    def page_changes(self, page: _Page) -> tuple[PdfObject, ArrayObject]:
        """New /Resources and /Contents values for one page; the page's own streams stay as
        they are, only bracketed by "q" before and "Q q <cm> /DrivebotStamp Do Q" after."""
        matrix, width, height = _placement(_visible_box(page), _rotation(page))
        form = self.stamp_form(width, height)
        resources, name = self._resources_with_stamp(page, form)
        closer = self._closer(matrix, name)
        contents = _content_refs(page, self._is_stream)
        return resources, ArrayObject([self._open, *contents, closer])

    def _closer(self, matrix: Matrix, name: str) -> IndirectObject:
        key = (matrix, name)
        if key not in self._closers:
            cm = " ".join(_num(v) for v in matrix)
            self._closers[key] = self._add(_plain_stream(f"\nQ q {cm} cm {name} Do Q\n".encode()))
        return self._closers[key]

    def _resources_with_stamp(self, page: _Page,
                              form: IndirectObject) -> tuple[PdfObject, str]:
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
        elif raw is not None and "/Resources" not in page.obj:
            origin = ("inherited", id(raw))  # a direct dict on a /Pages node, kept alive by it
        else:
            origin = None  # the page's own direct dict: its copy stays direct in the page
        key = (origin, form.idnum, name)
        if origin is not None and key in self._resources:
            return self._resources[key], name
        copy = _shallow_copy(original)
        new_xobjects = _shallow_copy(xobjects)
        new_xobjects[NameObject(name)] = form
        copy[NameObject("/XObject")] = new_xobjects
        if origin is None:
            return copy, name
        self._resources[key] = self._add(copy)
        return self._resources[key], name


def _shallow_copy(source: DictionaryObject) -> DictionaryObject:
    """Copy keeping references unresolved, so the copy points at the same objects."""
    copy = DictionaryObject()
    for key in source:
        copy[NameObject(key)] = source.raw_get(key)
    return copy


def _free_name(xobjects: DictionaryObject, form: IndirectObject) -> str:
    """/DrivebotStamp, or a numbered variant when an earlier stamp already used the name."""
    name, counter = _STAMP_NAME, 0
    while name in xobjects and xobjects.raw_get(name) != form:
        counter += 1
        name = f"{_STAMP_NAME}{counter}"
    return name


def _content_refs(page: _Page,
                  is_stream: Callable[[IndirectObject], bool | None]) -> list[PdfObject]:
    """The page's content stream references, unresolved; never their data."""
    if "/Contents" not in page.obj:
        return []
    raw = page.obj.raw_get("/Contents")
    if isinstance(raw, IndirectObject) and is_stream(raw):
        return [raw]  # the common case, answered without parsing the stream object
    resolved = raw.get_object() if isinstance(raw, IndirectObject) else raw
    if isinstance(resolved, ArrayObject):
        return list(resolved)  # a fresh direct array: a shared /Contents array stays as it is
    if isinstance(resolved, StreamObject):
        return [raw]
    return []  # null or junk: the page has no content of its own


# --------------------------------------------------------------------------- incremental update


class _Update:
    """One incremental update section, serialised as objects are added."""

    def __init__(self, reader: PdfReader, data: memoryview) -> None:
        self._reader = reader
        self._base = len(data)
        self._buffer = io.BytesIO()
        # Objects must start on a fresh line even if the original lacks a final EOL.
        if bytes(data[-1:]) not in (b"\n", b"\r"):
            self._buffer.write(b"\n")
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
        self.offsets[ref.idnum] = (self.tell(), ref.generation)
        self._buffer.write(b"%d %d obj\n" % (ref.idnum, ref.generation))
        _serialize(obj, self._buffer)
        self._buffer.write(b"\nendobj\n")

    def tell(self) -> int:
        return self._base + self._buffer.tell()

    def write(self, raw: bytes) -> None:
        self._buffer.write(raw)

    def getvalue(self) -> bytes:
        return self._buffer.getvalue()


_PLAIN_NAME = re.compile(r"/[A-Za-z0-9_.+:,*\-]*")
_WHITESPACE = b" \t\r\n\f\x00"


def _serialize(obj: PdfObject, out: io.BytesIO) -> None:
    """pypdf's write_to_stream, with fast paths for what page dictionaries are made of.

    Re-escaping every name (pypdf's NameObject.renumber) was a quarter of the time on
    1000-page documents; plain names, numbers and references are written directly.
    """
    if isinstance(obj, IndirectObject):
        out.write(b"%d %d R" % (obj.idnum, obj.generation))
    elif isinstance(obj, NameObject) and _PLAIN_NAME.fullmatch(obj):
        out.write(obj.encode("ascii"))
    elif type(obj) is DictionaryObject:
        out.write(b"<<")
        for key in obj:
            _serialize(key, out)
            out.write(b" ")
            _serialize(obj.raw_get(key), out)
            out.write(b"\n")
        out.write(b">>")
    elif type(obj) is ArrayObject:
        out.write(b"[")
        for item in obj:
            _serialize(item, out)
            out.write(b" ")
        out.write(b"]")
    elif type(obj) is NumberObject:
        out.write(b"%d" % obj)
    else:
        obj.write_to_stream(out)


def _stream_peek(reader: PdfReader, data: memoryview) -> Callable[[IndirectObject], bool | None]:
    """Tell from the raw bytes whether a reference is a stream, without parsing it.

    A page's /Contents is almost always one stream; parsing each stream's dictionary just to
    learn that cost as much as parsing the page itself. Returns None when unsure.
    """
    def is_stream(ref: IndirectObject) -> bool | None:
        if ref.generation == 0 and ref.idnum in reader.xref_objStm:
            return False  # object streams cannot hold streams
        offset = reader.xref.get(ref.generation, {}).get(ref.idnum)
        match = _OBJ_HEADER.match(data, offset) if offset is not None else None
        if match is None:
            return None
        start = match.end()
        while start < len(data) and data[start] in _WHITESPACE:
            start += 1
        head = bytes(data[start:start + 2])
        if head == b"<<":
            return True  # a dictionary where /Contents points can only be a stream
        return False if head[:1] == b"[" else None

    return is_stream


def _incremental_update(reader: PdfReader, data: memoryview, startxref: int,
                        pages: list[_Page], spec: StampSpec) -> bytes:
    """The bytes to append: stamp objects, changed page dicts, then a new xref section."""
    update = _Update(reader, data)
    stamper = _Stamper(spec, update.add, _stream_peek(reader, data))
    for page in pages:
        resources, contents = stamper.page_changes(page)
        changed = _shallow_copy(page.obj)
        changed[NameObject("/Resources")] = resources
        changed[NameObject("/Contents")] = contents
        update.put(page.ref, changed)
    # Continue in the original's kind of xref section (a table, or a stream from PDF 1.5 on).
    uses_stream = data[startxref:startxref + 4] != b"xref"
    _raise_version(reader, data, update, "1.5" if uses_stream else "1.4")
    trailer = _trailer(reader, data, spec, startxref)
    if uses_stream:
        _write_xref_stream(update, trailer)
    else:
        _write_xref_table(update, trailer)
    return update.getvalue()


def _version(text: str) -> tuple[int, int]:
    match = re.search(r"(\d+)\.(\d+)", text)
    return (int(match[1]), int(match[2])) if match else (1, 0)


def _raise_version(reader: PdfReader, data: memoryview, update: _Update, needed: str) -> None:
    """Declare at least `needed` (alpha needs 1.4, xref streams 1.5) via the catalog /Version.

    The header can't change without breaking the byte-exact prefix; the catalog entry is the
    spec's way to raise the version in an update.
    """
    header = _version(bytes(data[:16]).decode("latin-1"))
    catalog_ref = reader.trailer.raw_get("/Root")
    catalog = catalog_ref.get_object()
    declared = max(header, _version(str(catalog.get("/Version", ""))))
    if declared >= _version(needed):
        return
    changed = _shallow_copy(catalog)
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
        [ByteStringObject(permanent), ByteStringObject(digest.digest())])
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


# --------------------------------------------------------------------------- full rewrite


def _rewrite(reader: PdfReader, dest: Path, spec: StampSpec, original_size: int) -> StampResult:
    """Fallback: let pypdf rebuild the whole file (decrypted, xref repaired), same placement."""
    buffer = io.BytesIO()
    try:
        writer = PdfWriter(clone_from=reader)
        pages = _collect_pages(writer.root_object)
        if not pages:
            raise BadDocument("pdf_corrupt", "the page tree holds no pages")
        # pypdf has no public "add an object" call; _add_object is what its own methods use.
        stamper = _Stamper(spec, writer._add_object)
        for page in pages:
            resources, contents = stamper.page_changes(page)
            # The writer's page dicts belong to this copy alone, so they can change in place.
            page.obj[NameObject("/Resources")] = resources
            page.obj[NameObject("/Contents")] = contents
        if _version(writer.pdf_header) < (1, 4):
            writer.pdf_header = "%PDF-1.4"  # transparency (the watermark's alpha)
        writer.write(buffer)
    except BadDocument:
        raise
    except Exception as exc:  # even the repaired file has objects pypdf cannot handle
        raise BadDocument("pdf_corrupt", _describe(exc)) from exc
    _write_atomic(dest, buffer.getvalue())
    return StampResult("rewrite", len(pages), original_size)


def _write_atomic(dest: Path, *chunks: bytes | memoryview) -> None:
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


# --------------------------------------------------------------------------- docx


def _qr_png(matrix: list[list[bool]], scale: int = 8) -> bytes:
    """A greyscale PNG of the QR, written directly (no imaging library needed at run time)."""
    n = len(matrix) * scale
    rows = bytearray()
    for row in matrix:
        line = b"\x00" + b"".join((b"\x00" if dark else b"\xff") * scale for dark in row)
        rows += line * scale

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    header = struct.pack(">IIBBBBB", n, n, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + chunk(b"IEND", b""))


def _distinct_parts(document: DocxDocument, kind: str) -> Iterator[object]:
    """Every header (or footer) definition once: the default one and, where the document
    uses them, the first-page and even-page ones. A part linked to the previous section is
    the same definition, so stamping it again would duplicate the line."""
    even_pages = document.settings.odd_and_even_pages_header_footer
    for index, section in enumerate(document.sections):
        candidates = [getattr(section, kind)]
        if section.different_first_page_header_footer:
            candidates.append(getattr(section, f"first_page_{kind}"))
        if even_pages:
            candidates.append(getattr(section, f"even_page_{kind}"))
        for part in candidates:
            if index == 0 or not part.is_linked_to_previous:
                yield part


def _add_watermark_line(header: object, text: str) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt, RGBColor

    if not text.strip():
        return
    paragraph = header.add_paragraph()  # type: ignore[attr-defined]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(" ".join(text.split()))
    run.bold = True
    run.font.size = Pt(20)
    run.font.color.rgb = RGBColor(0xBF, 0xBF, 0xBF)


def _add_footer_line(footer: object, png: bytes, spec: StampSpec) -> None:
    from docx.shared import Mm, Pt

    paragraph = footer.add_paragraph()  # type: ignore[attr-defined]
    paragraph.add_run().add_picture(io.BytesIO(png), width=Mm(spec.qr_mm))
    run = paragraph.add_run("  " + " ".join(spec.footer.split()))
    run.font.size = Pt(_FOOTER_PT)
