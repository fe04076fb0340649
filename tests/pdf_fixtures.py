"""Test PDFs whose every detail is known: reportlab documents and hand-written minimal files.

Shared by the stamping tests and bench/stamp_speed.py. reportlab and Pillow are test-only
dependencies; qpdf (apt) is used for the xref-stream and linearized variants.
"""

from __future__ import annotations

import io
import random
import subprocess
from collections.abc import Sequence
from pathlib import Path

import reportlab
from PIL import Image, ImageDraw
from reportlab.lib.pagesizes import A4, LETTER, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

# A real-length verification URL (152 bytes): version 8 at ECC M, as in STAMPING_NOTES.md.
PAYLOAD = (
    "https://arsip.example.go.id/v/ARS-2024-12-000123?h=19f2b8bba117&s="
    "q3ZbWd0Xh9kLr2VtPp5sYy8uNn1cMm4aBb7eEe0fFf3gGg6hHh9iIi2jJj5kKk8lLl1mMm4nNn7oOo0pPp3qQq"
)
FOOTER = "HK-2026-0007 · Peraturan Bupati Nomor 12 Tahun 2026 · SHA-256 19f2b8bb"
WATERMARK = "SALINAN SAH"

F4 = (215 * mm, 330 * mm)  # folio, the usual paper of Indonesian government documents

LOREM = (
    "Menimbang bahwa untuk melaksanakan ketentuan Pasal 12 Peraturan Daerah perlu "
    "menetapkan Peraturan Bupati tentang tata cara pengelolaan arsip dinamis "
)


# --------------------------------------------------------------------------- reportlab documents


def _embedded_font() -> str:
    """Bitstream Vera ships inside reportlab, so documents embed a real TrueType font."""
    name = "Vera"
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(
            TTFont(name, str(Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"))
        )
    return name


def text_pdf(
    path: Path,
    sizes: Sequence[tuple[float, float]] = (A4,),
    rotations: Sequence[int] | None = None,
    *,
    lines: int = 40,
    images: Sequence[Path] = (),
) -> Path:
    """One page per entry of `sizes`: text within 2.5 cm margins, a dark box in the bottom right
    corner (where the QR lands, so only an opaque QR stays readable), optionally /Rotate per page
    and a JPEG on every page."""
    font = _embedded_font()
    c = canvas.Canvas(str(path), pagesize=sizes[0], pageCompression=1)
    for index, size in enumerate(sizes):
        c.setPageSize(size)
        if rotations:
            c.setPageRotation(rotations[index])
        width, height = size
        c.setFont(font, 10)
        c.drawString(20 * mm, height - 20 * mm, f"Halaman {index + 1}")
        step = (height - 28 * mm - 25 * mm) / lines
        for line in range(lines):
            c.drawString(20 * mm, height - 28 * mm - line * step, (LOREM * 2)[line % 30 :][:90])
        c.setFillGray(0.35)
        c.rect(width - 45 * mm, 0, 45 * mm, 40 * mm, stroke=0, fill=1)
        c.setFillGray(0)
        if images:
            c.drawImage(
                str(images[index % len(images)]),
                width - 70 * mm,
                height - 60 * mm,
                50 * mm,
                35 * mm,
            )
        c.showPage()
    c.save()
    return path


def jpeg_files(directory: Path, count: int = 3, size: tuple[int, int] = (240, 160)) -> list[Path]:
    """Small distinct photos (noise) for text_pdf(images=...)."""
    paths = []
    for index in range(count):
        image = Image.effect_noise(size, 60 + index).convert("RGB")
        path = directory / f"photo{index}.jpg"
        image.save(path, "JPEG", quality=80)
        paths.append(path)
    return paths


def scan_jpeg(width_px: int, height_px: int, seed: int = 0) -> bytes:
    """A grey 'scanned page': paper noise plus dark text-like bars, also in the corners where
    the QR lands, so only an opaque QR background keeps it readable."""
    rng = random.Random(seed)
    image = Image.effect_noise((width_px, height_px), 25).point(lambda v: min(255, v + 90))
    draw = ImageDraw.Draw(image)
    bar = max(2, height_px // 120)
    for y in range(height_px // 12, height_px - bar, bar * 3):
        x = width_px // 12
        while x < width_px - width_px // 20:
            word = rng.randint(width_px // 40, width_px // 10)
            draw.rectangle((x, y, min(x + word, width_px - 2), y + bar), fill=rng.randint(0, 60))
            x += word + bar * 2
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=70)
    return buffer.getvalue()


# --------------------------------------------------------------------------- hand-written PDFs


class PdfBuilder:
    """Writes a minimal classic-xref PDF from numbered object bodies."""

    def __init__(self, version: str = "1.7") -> None:
        self.version = version
        self.objects: dict[int, bytes] = {}

    def reserve(self) -> int:
        number = len(self.objects) + 1
        self.objects[number] = b"null"
        return number

    def add(self, body: str | bytes, number: int | None = None) -> int:
        number = number if number is not None else self.reserve()
        self.objects[number] = body.encode("latin-1") if isinstance(body, str) else body
        return number

    def stream(self, data: bytes, entries: str = "") -> int:
        head = f"<< {entries} /Length {len(data)} >>\nstream\n".encode("latin-1")
        return self.add(head + data + b"\nendstream")

    def build(self, root: int, *, info: int | None = None, final_eol: bool = True) -> bytes:
        out = bytearray(f"%PDF-{self.version}\n%\xe2\xe3\xcf\xd3\n".encode("latin-1"))
        offsets = {}
        for number in sorted(self.objects):
            offsets[number] = len(out)
            out += f"{number} 0 obj\n".encode() + self.objects[number] + b"\nendobj\n"
        xref = len(out)
        size = max(self.objects) + 1
        out += f"xref\n0 {size}\n0000000000 65535 f \n".encode()
        for number in range(1, size):
            if number in offsets:
                out += f"{offsets[number]:010d} 00000 n \n".encode()
            else:
                out += b"0000000000 65535 f \n"
        trailer = f"/Size {size} /Root {root} 0 R" + (f" /Info {info} 0 R" if info else "")
        out += f"trailer\n<< {trailer} >>\nstartxref\n{xref}\n%%EOF".encode()
        if final_eol:
            out += b"\n"
        return bytes(out)


def _text_ops(lines: Sequence[str], x: float, y: float, size: float = 12) -> bytes:
    body = " ".join(f"({line}) Tj 0 -{size * 1.4:g} Td" for line in lines)
    return f"BT /F1 {size:g} Tf {x:g} {y:g} Td {body} ET".encode("latin-1")


def offset_boxes_pdf(path: Path, rotate: int = 0) -> Path:
    """MediaBox far from the origin and a CropBox inside it: the stamp must land in the CropBox.

    Content outside the CropBox (a black frame) is invisible; content inside is text and a grey
    block in the bottom right corner of the crop area, under where the QR goes.
    """
    b = PdfBuilder()
    font = b.add("<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman >>")
    content = (
        b"0 g -300 -200 800 1100 re -290 -190 780 1080 re f*\n"  # frame outside the crop
        + b"0.7 g 250 60 150 150 re f 0 g\n"
        + _text_ops(
            ["Offset boxes", "MediaBox -300 -200 500 900", "CropBox -100 50 400 800"], -80, 760
        )
    )
    contents = b.stream(content)
    pages = b.reserve()
    page = b.add(
        f"<< /Type /Page /Parent {pages} 0 R /MediaBox [-300 -200 500 900] "
        f"/CropBox [-100 50 400 800] /Rotate {rotate} "
        f"/Resources << /Font << /F1 {font} 0 R >> >> /Contents {contents} 0 R >>"
    )
    b.add(f"<< /Type /Pages /Kids [{page} 0 R] /Count 1 >>", pages)
    root = b.add(f"<< /Type /Catalog /Pages {pages} 0 R >>")
    path.write_bytes(b.build(root))
    return path


def inherited_pdf(path: Path, *, version: str = "1.7", final_eol: bool = True) -> Path:
    """Four pages under a two-level tree that inherit /Resources, /MediaBox and /Rotate.

    Also: two pages share one content stream, one page's /Contents is an indirect array shared
    with another, and one page has no /Contents at all. Written as PDF-`version`.
    """
    b = PdfBuilder(version)
    font = b.add("<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>")
    resources = b.add(f"<< /Font << /F1 {font} 0 R >> >>")
    shared = b.stream(_text_ops(["Shared content stream (inherited resources)"], 72, 700))
    part_a = b.stream(_text_ops(["Array part A"], 72, 600))
    part_b = b.stream(_text_ops(["Array part B"], 72, 560))
    array = b.add(f"[{part_a} 0 R {part_b} 0 R]")
    top = b.reserve()
    middle = b.reserve()
    kids_middle = []
    for contents in (f"{shared} 0 R", f"{shared} 0 R", f"{array} 0 R"):
        kids_middle.append(b.add(f"<< /Type /Page /Parent {middle} 0 R /Contents {contents} >>"))
    empty = b.add(f"<< /Type /Page /Parent {top} 0 R /Rotate 0 >>")
    b.add(
        f"<< /Type /Pages /Parent {top} 0 R /Rotate 90 /Kids ["
        + " ".join(f"{k} 0 R" for k in kids_middle)
        + "] /Count 3 >>",
        middle,
    )
    b.add(
        f"<< /Type /Pages /Resources {resources} 0 R /MediaBox [0 0 595 842] "
        f"/Kids [{middle} 0 R {empty} 0 R] /Count 4 >>",
        top,
    )
    root = b.add(f"<< /Type /Catalog /Pages {top} 0 R >>")
    info = b.add("<< /Title (Inherited) /Producer (pdf_fixtures) >>")
    path.write_bytes(b.build(root, info=info, final_eol=final_eol))
    return path


def look_alike_pdf(path: Path) -> Path:
    """Five pages whose dictionaries have the same token shape (brackets, names and numbers in
    the same places) but differ in what the names say: an own or an inherited media box, an
    /XObject or a /Pattern dictionary in /Resources, the stamp's name taken, another node's
    inherited media box."""
    b = PdfBuilder()
    image = b.stream(b"q Q", "/Type /XObject /Subtype /Form /BBox [0 0 1 1]")
    contents = b.stream(_text_ops(["Look-alike page"], 40, 200))
    top = b.reserve()
    middle = b.reserve()

    def page(parent: int, box: str, dictionary: str, name: str) -> int:
        return b.add(
            f"<< /Type /Page /Parent {parent} 0 R {box} [0 0 300 300] /Resources << "
            f"{dictionary} << {name} {image} 0 R >> >> /Contents {contents} 0 R >>"
        )

    kids = [
        page(top, "/MediaBox", "/XObject", "/Im1"),
        page(top, "/CropBox", "/XObject", "/Im1"),
        page(top, "/MediaBox", "/Pattern", "/Im1"),
        page(top, "/MediaBox", "/XObject", "/DrivebotStamp"),
    ]
    leaf = page(middle, "/MediaBox", "/XObject", "/Im2")
    b.add(
        f"<< /Type /Pages /Parent {top} 0 R /MediaBox [0 0 400 400] /Kids [{leaf} 0 R] /Count 1 >>",
        middle,
    )
    b.add(
        "<< /Type /Pages /MediaBox [0 0 500 500] /Kids ["
        + " ".join(f"{k} 0 R" for k in kids)
        + f" {middle} 0 R] /Count 5 >>",
        top,
    )
    root = b.add(f"<< /Type /Catalog /Pages {top} 0 R >>")
    path.write_bytes(b.build(root))
    return path


def unusual_syntax_pdf(path: Path) -> Path:
    """Legal but less common syntax in the page dictionaries: literal strings with nested and
    escaped parentheses, hex strings, a name with a #20 escape, comments, tight delimiters,
    numbers like -.5 and +3, and a page whose /Contents is an indirect array."""
    b = PdfBuilder()
    font = b.add("<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>")
    first = b.stream(_text_ops(["Unusual syntax, page 1"], 72, 700))
    second = b.stream(_text_ops(["Unusual syntax, page 2"], 72, 700))
    contents = b.add(f"[{first} 0 R {second} 0 R]")
    pages = b.reserve()
    odd = b.add(
        f"<</Type/Page/Parent {pages} 0 R/MediaBox[0 0 595.28 841.89]% a comment\n"
        f"/Resources<</Font<</F1 {font} 0 R>>>>/Contents {contents} 0 R"
        "/PieceInfo<</drivebot<</Note(a (nested) string, \\) escaped)/Hex<414243>"
        "/Weird#20Name/A#20B/Numbers[-.5 +3 4.]/Flag true/Nothing null>>>>>>"
    )
    plain = b.add(
        f"<</Type/Page/Parent {pages} 0 R/MediaBox[0 0 595.28 841.89]"
        f"/Resources<</Font<</F1 {font} 0 R>>>>/Contents {second} 0 R>>"
    )
    b.add(f"<</Type/Pages/Kids[{odd} 0 R {plain} 0 R]/Count 2>>", pages)
    root = b.add(f"<</Type/Catalog/Pages {pages} 0 R>>")
    path.write_bytes(b.build(root))
    return path


def odd_dictionaries_pdf(path: Path) -> Path:
    """Page dictionaries in the shapes a byte-level writer could get wrong: shared indirect
    /Resources, a direct /Contents array and one behind a reference, an indirect /XObject, an
    /XObject that already names /DrivebotStamp, empty and nested resources, an indirect
    /MediaBox, a name with a # escape and a literal string among the page's entries."""
    b = PdfBuilder()
    font = b.add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    streams = [b.stream(_text_ops([f"Odd dictionaries, page {n}"], 72, 700)) for n in range(1, 10)]
    extra = b.stream(_text_ops(["second stream"], 72, 650))
    shared = b.add(f"<< /Font << /F1 {font} 0 R >> /ProcSet [/PDF /Text] >>")
    xobjects = b.add("<< >>")
    earlier = b.stream(b"", "/Type /XObject /Subtype /Form /BBox [0 0 1 1]")
    array = b.add(f"[{streams[7]} 0 R {extra} 0 R]")
    box = b.add("[0 0 595 842]")
    fonts = f"/Font << /F1 {font} 0 R >>"
    pages = b.reserve()
    entries = [
        f"/Resources {shared} 0 R /Contents {streams[0]} 0 R",
        f"/Resources {shared} 0 R /Contents [{streams[1]} 0 R {extra} 0 R]",
        f"/Resources << {fonts} /XObject {xobjects} 0 R >> /Contents {streams[2]} 0 R",
        f"/Resources << {fonts} /XObject << /DrivebotStamp {earlier} 0 R >> >> "
        f"/Contents {streams[3]} 0 R",
        f"/Resources<<{fonts}/XObject<<>>/ColorSpace<</CS0[/ICCBased {extra} 0 R]>>>>"
        f"/Contents {streams[4]} 0 R/Group<</S/Transparency/CS/DeviceRGB>>",
        f"/Resources << {fonts} >> /Contents {streams[5]} 0 R /Weird#20Key /A#20B",
        f"/Resources << {fonts} >> /Contents {streams[6]} 0 R /Note (a string, (nested))",
        f"/Resources << {fonts} >> /Contents {array} 0 R",
        f"/MediaBox {box} 0 R /Resources << {fonts} >> /Contents {streams[8]} 0 R /Rotate 90",
    ]
    kids = [
        b.add(f"<< /Type /Page /Parent {pages} 0 R /MediaBox [0 0 595 842] {entry} >>")
        if "/MediaBox" not in entry
        else b.add(f"<< /Type /Page /Parent {pages} 0 R {entry} >>")
        for entry in entries
    ]
    refs = " ".join(f"{kid} 0 R" for kid in kids)
    b.add(f"<< /Type /Pages /Kids [{refs}] /Count {len(kids)} >>", pages)
    root = b.add(f"<< /Type /Catalog /Pages {pages} 0 R >>")
    path.write_bytes(b.build(root))
    return path


def scanned_pdf(
    path: Path, pages: int = 1, dpi: int = 100, size: tuple[float, float] = A4, seed: int = 0
) -> Path:
    """Pages that are one big greyscale JPEG each, like a scanner's output."""
    b = PdfBuilder("1.4")
    width, height = size
    px = (round(width / 72 * dpi), round(height / 72 * dpi))
    pages_ref = b.reserve()
    kids = []
    for index in range(pages):
        jpeg = scan_jpeg(*px, seed=seed + index)
        image = b.stream(
            jpeg,
            f"/Type /XObject /Subtype /Image /Width {px[0]} "
            f"/Height {px[1]} /ColorSpace /DeviceGray "
            "/BitsPerComponent 8 /Filter /DCTDecode",
        )
        draw = b.stream(f"q {width:g} 0 0 {height:g} 0 0 cm /Im0 Do Q".encode())
        kids.append(
            b.add(
                f"<< /Type /Page /Parent {pages_ref} 0 R "
                f"/MediaBox [0 0 {width:g} {height:g}] "
                f"/Resources << /XObject << /Im0 {image} 0 R >> >> "
                f"/Contents {draw} 0 R >>"
            )
        )
    b.add(
        "<< /Type /Pages /Kids [" + " ".join(f"{k} 0 R" for k in kids) + f"] /Count {pages} >>",
        pages_ref,
    )
    root = b.add(f"<< /Type /Catalog /Pages {pages_ref} 0 R >>")
    path.write_bytes(b.build(root))
    return path


# --------------------------------------------------------------------------- variants


def with_object_streams(source: Path, dest: Path) -> Path:
    """The same document with object streams and an xref stream (as Word/Acrobat write)."""
    subprocess.run(["qpdf", "--object-streams=generate", str(source), str(dest)], check=True)
    return dest


def linearized(source: Path, dest: Path) -> Path:
    subprocess.run(["qpdf", "--linearize", str(source), str(dest)], check=True)
    return dest


def encrypted(
    source: Path, dest: Path, *, user_password: str, owner_password: str, algorithm: str = "AES-256"
) -> Path:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(source))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm=algorithm)
    with dest.open("wb") as handle:
        writer.write(handle)
    return dest


def encrypted_object_streams(source: Path, dest: Path, *, owner_password: str) -> Path:
    """Owner-password-only AES-256 with object streams (qpdf; pypdf's writer has none)."""
    subprocess.run(
        [
            *("qpdf", "--object-streams=generate", "--encrypt", "", owner_password, "256"),
            *("--", str(source), str(dest)),
        ],
        check=True,
    )
    return dest


def with_bad_xref_offset(source: Path, dest: Path, object_number: int, delta: int = 7) -> Path:
    """Shift one xref entry (classic table) by `delta` bytes, as a damaged transfer might."""
    data = bytearray(source.read_bytes())
    table = data.rindex(b"\nxref\n") + 1
    entry = table + data[table:].index(b"\n", 5) + 1 + 20 * object_number
    offset = int(data[entry : entry + 10])
    data[entry : entry + 10] = f"{offset + delta:010d}".encode()
    dest.write_bytes(bytes(data))
    return dest


def with_bad_startxref(source: Path, dest: Path) -> Path:
    """startxref pointing into the middle of the file."""
    data = source.read_bytes()
    head, _, tail = data.rpartition(b"startxref")
    number = tail.split()[0]
    dest.write_bytes(head + b"startxref" + tail.replace(number, str(int(number) // 2).encode(), 1))
    return dest


# --------------------------------------------------------------------------- inspection


def page_count(path: Path) -> int:
    """Pages as qpdf counts them (an independent reader from the one drivebot uses)."""
    out = subprocess.run(
        ["qpdf", "--show-npages", str(path)], check=True, capture_output=True, text=True
    ).stdout
    return int(out)


def page_size(path: Path) -> tuple[float, float]:
    """Width and height of the first page's MediaBox."""
    from pypdf import PdfReader

    box = PdfReader(path).pages[0].mediabox
    return float(box.width), float(box.height)


__all__ = [
    "A4",
    "F4",
    "FOOTER",
    "LETTER",
    "PAYLOAD",
    "WATERMARK",
    "PdfBuilder",
    "encrypted",
    "encrypted_object_streams",
    "inherited_pdf",
    "jpeg_files",
    "landscape",
    "linearized",
    "odd_dictionaries_pdf",
    "offset_boxes_pdf",
    "page_count",
    "page_size",
    "scan_jpeg",
    "scanned_pdf",
    "text_pdf",
    "unusual_syntax_pdf",
    "with_bad_startxref",
    "with_bad_xref_offset",
    "with_object_streams",
]
