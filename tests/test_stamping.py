"""Tests of drivebot.stamping against real tools: qpdf --check, pdftoppm + zbar, pdftotext.

They need apt packages qpdf, poppler-utils and libzbar0 (for pyzbar) and fail without them,
on purpose: a stamp nobody checked is not a test that passed.

Every stamped page is rendered at 150 dpi (its visible CropBox), and the QR must decode to the
exact payload, upright, 25 mm wide, in the bottom right corner at the designed distance from
both edges: that pins the placement matrix for every rotation and box offset.
"""

from __future__ import annotations

import datetime
import io
import itertools
import random
import string
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import qrcode
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, read_object
from pyzbar.pyzbar import ZBarSymbol, decode

from drivebot.errors import BadDocument
from drivebot.stamping import StampResult, StampSpec, pdf_page_count, stamp_docx, stamp_pdf

try:  # tests/ is not a package today; keep working if it becomes one
    from tests import pdf_fixtures as fx
except ImportError:
    import pdf_fixtures as fx

SPEC = StampSpec(watermark=fx.WATERMARK, qr_payload=fx.PAYLOAD, footer=fx.FOOTER)
DPI = 150
QR_INSET_MM = 6.0  # the module's design: QR square (incl. quiet zone) 6 mm from both edges


# --------------------------------------------------------------------------- helpers


def qpdf_check(path: Path) -> None:
    done = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    report = done.stdout + done.stderr
    assert done.returncode == 0, report
    assert "WARNING" not in report.upper(), report


def page_texts(path: Path) -> list[str]:
    out = subprocess.run(
        ["pdftotext", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return [" ".join(page.split()) for page in out.split("\f")[:-1]]


def render(path: Path, directory: Path) -> list[Image.Image]:
    """Every page at 150 dpi, the visible (crop) box only, as a viewer or printer shows it."""
    prefix = directory / f"render-{path.stem}"
    subprocess.run(
        ["pdftoppm", "-r", str(DPI), "-cropbox", "-gray", "-png", str(path), str(prefix)],
        check=True,
    )
    files = sorted(
        directory.glob(f"{prefix.name}-*.png"), key=lambda file: int(file.stem.rsplit("-")[-1])
    )
    return [Image.open(file) for file in files]


def qr_symbol_px(payload: str, qr_mm: float = 25.0) -> tuple[float, float]:
    """(symbol side, quiet zone) in pixels at DPI for the stamp's QR of this payload."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(payload)
    code.make(fit=True)
    modules = code.modules_count
    module_px = qr_mm / 25.4 * DPI / (modules + 8)
    return modules * module_px, 4 * module_px


def assert_qr_on_every_page(path: Path, directory: Path, payload: str = fx.PAYLOAD) -> None:
    side, quiet = qr_symbol_px(payload)
    inset = QR_INSET_MM / 25.4 * DPI + quiet  # expected gap from the right and bottom edges
    images = render(path, directory)
    assert len(images) == fx.page_count(path)
    for number, image in enumerate(images, 1):
        found = decode(image, symbols=[ZBarSymbol.QRCODE])
        assert [s.data.decode() for s in found] == [payload], f"page {number}"
        symbol = found[0]
        where = f"page {number} ({image.width}x{image.height} px): {symbol.rect}"
        assert symbol.orientation == "UP", where
        assert abs(symbol.rect.width - side) < 4 and abs(symbol.rect.height - side) < 4, where
        right_gap = image.width - (symbol.rect.left + symbol.rect.width)
        bottom_gap = image.height - (symbol.rect.top + symbol.rect.height)
        assert abs(right_gap - inset) < 4 and abs(bottom_gap - inset) < 4, where


def assert_footer_on_every_page(path: Path) -> None:
    texts = page_texts(path)
    assert len(texts) == fx.page_count(path)
    for number, text in enumerate(texts, 1):
        assert fx.FOOTER in text, f"page {number}: {text[-200:]!r}"


def stamped(source: Path, tmp_path: Path, spec: StampSpec = SPEC) -> tuple[Path, StampResult]:
    dest = tmp_path / f"{source.stem}-stamped.pdf"
    return dest, stamp_pdf(source, dest, spec)


# --------------------------------------------------------------------------- page shapes

Maker = Callable[[Path], Path]

MIXED_SIZES = [fx.A4, fx.F4, fx.LETTER, fx.landscape(fx.A4), fx.A4, fx.F4]
MIXED_ROTATIONS = [0, 0, 0, 0, 90, 270]


def _mixed(d: Path) -> Path:
    return fx.text_pdf(d / "mixed.pdf", MIXED_SIZES, MIXED_ROTATIONS, images=fx.jpeg_files(d))


SHAPES: dict[str, Maker] = {
    "a4": lambda d: fx.text_pdf(d / "a4.pdf", [fx.A4] * 2),
    "f4": lambda d: fx.text_pdf(d / "f4.pdf", [fx.F4]),
    "letter": lambda d: fx.text_pdf(d / "letter.pdf", [fx.LETTER]),
    "landscape": lambda d: fx.text_pdf(d / "landscape.pdf", [fx.landscape(fx.A4)]),
    "rotate90": lambda d: fx.text_pdf(d / "rot90.pdf", [fx.A4], [90]),
    "rotate180": lambda d: fx.text_pdf(d / "rot180.pdf", [fx.A4], [180]),
    "rotate270": lambda d: fx.text_pdf(d / "rot270.pdf", [fx.F4], [270]),
    "offset_boxes": lambda d: fx.offset_boxes_pdf(d / "offset.pdf"),
    "offset_boxes_rotate90": lambda d: fx.offset_boxes_pdf(d / "offset90.pdf", rotate=90),
    "offset_boxes_rotate270": lambda d: fx.offset_boxes_pdf(d / "offset270.pdf", rotate=270),
    "inherited_resources_and_rotation": lambda d: fx.inherited_pdf(d / "inherited.pdf"),
    "scanned_image_pages": lambda d: fx.scanned_pdf(d / "scan.pdf", pages=2),
    "mixed_sizes_and_rotations": _mixed,
    "linearized": lambda d: fx.linearized(_mixed(d), d / "linear.pdf"),
    "pdf13_without_final_eol": lambda d: fx.inherited_pdf(
        d / "old.pdf", version="1.3", final_eol=False
    ),
    "unusual_syntax": lambda d: fx.unusual_syntax_pdf(d / "unusual.pdf"),
    "odd_dictionaries": lambda d: fx.odd_dictionaries_pdf(d / "odd.pdf"),
    "look_alike_dictionaries": lambda d: fx.look_alike_pdf(d / "alike.pdf"),
}


# Every shape also as Word, LibreOffice and Acrobat write files: objects in object streams,
# an xref stream (drivebot reads those through its own object-stream reader, objstm.py).
KINDS: dict[str, Callable[[Path], Path]] = {
    "classic": lambda source: source,
    "object_streams": lambda source: fx.with_object_streams(
        source, source.with_name(f"{source.stem}-objstm.pdf")
    ),
}


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> Callable[[Path], Path]:
    return KINDS[request.param]


@pytest.mark.parametrize("shape", SHAPES)
def test_stamp_is_appended_valid_and_readable_on_every_page(
    shape: str, kind: Callable[[Path], Path], tmp_path: Path
) -> None:
    source = kind(SHAPES[shape](tmp_path))
    original = source.read_bytes()
    pages = fx.page_count(source)

    dest, result = stamped(source, tmp_path)

    assert result == StampResult("incremental", pages, len(original))
    output = dest.read_bytes()
    assert output[: result.original_size] == original
    assert len(output) > len(original)
    qpdf_check(dest)
    assert fx.page_count(dest) == pages
    assert_footer_on_every_page(dest)
    assert_qr_on_every_page(dest, tmp_path)
    assert_same_identity(source, dest)


def assert_same_identity(source: Path, dest: Path) -> None:
    """/Root and /Info are the same objects; /ID keeps its permanent first half."""
    before, after = PdfReader(source).trailer, PdfReader(dest).trailer

    def ref(trailer: DictionaryObject, key: str) -> tuple[int, int]:
        value = trailer.raw_get(key)
        return value.idnum, value.generation

    assert ref(after, "/Root") == ref(before, "/Root")
    if "/Info" in before:
        assert ref(after, "/Info") == ref(before, "/Info")
    if "/ID" in before:
        assert after["/ID"][0].original_bytes == before["/ID"][0].original_bytes
    assert len(after["/ID"]) == 2


@pytest.mark.parametrize(
    "shape",
    [
        "inherited_resources_and_rotation",
        "mixed_sizes_and_rotations",
        "linearized",
        "unusual_syntax",
        "offset_boxes",
    ],
)
def test_fast_reader_agrees_with_pypdf(
    shape: str, kind: Callable[[Path], Path], tmp_path: Path
) -> None:
    """The fast reader (a speed-up) must read exactly what pypdf reads, or defer to it: every
    page-tree node, page and what the stamp looks into (resources, boxes, contents arrays)."""
    from drivebot.pdf.objstm import FastReader

    source = kind(SHAPES[shape](tmp_path))
    data = memoryview(source.read_bytes())
    fast_reader = FastReader(io.BytesIO(source.read_bytes()), strict=True)
    fast_reader.enable(data)
    reader = PdfReader(source, strict=True)
    nodes = [reader.trailer["/Root"].raw_get("/Pages")]
    while nodes:
        ref = nodes.pop()
        fast = fast_reader.get_object(IndirectObject(ref.idnum, ref.generation, fast_reader))
        slow = reader.get_object(ref)
        assert plain(fast) == plain(slow)
        assert type(fast) is type(slow)
        for key in ("/Resources", "/MediaBox", "/CropBox", "/Contents"):
            value = slow.raw_get(key) if key in slow else None
            if isinstance(value, IndirectObject):
                resolved = fast_reader.get_object(
                    IndirectObject(value.idnum, value.generation, fast_reader)
                )
                assert plain(resolved) == plain(value.get_object()), key
        nodes.extend(slow.get("/Kids", []))
    # and the stamped output keeps the unusual entries as they were
    dest, _ = stamped(source, tmp_path)
    for before, after in zip(PdfReader(source).pages, PdfReader(dest).pages, strict=True):
        assert set(after) == set(before) | {"/Resources", "/Contents"}
        for key in set(before) - {"/Resources", "/Contents"}:
            assert plain(after.raw_get(key)) == plain(before.raw_get(key)), key


def plain(value: object) -> object:
    """A PDF value without its reader, to compare values read by different readers."""
    if isinstance(value, IndirectObject):
        return ("ref", value.idnum, value.generation)
    if isinstance(value, DictionaryObject):
        return {key: plain(value.raw_get(key)) for key in value}
    if isinstance(value, ArrayObject):
        return [plain(item) for item in value]
    return value


@pytest.mark.parametrize("shape", SHAPES)
def test_page_dicts_written_as_tokens_match_the_object_way(
    shape: str, kind: Callable[[Path], Path], tmp_path: Path
) -> None:
    """The fast writer (rawpage.py: original tokens, /Resources and /Contents replaced) must
    write, for every page it takes, the dictionary the pypdf-object way writes."""
    from drivebot.pdf.draw import Stamper
    from drivebot.pdf.incremental import stamped_dict
    from drivebot.pdf.objstm import FastReader
    from drivebot.pdf.rawpage import PageWriter, RawPage, leaf_reader
    from drivebot.pdf.read import Page, collect_pages, stream_peek
    from drivebot.pdf.serialize import to_bytes

    source = kind(SHAPES[shape](tmp_path))
    data = source.read_bytes()
    reader = FastReader(io.BytesIO(data), strict=True)
    reader.enable(memoryview(data))
    numbers = itertools.count(reader.trailer["/Size"] + 1)
    is_stream = stream_peek(reader, memoryview(data))
    stamper = Stamper(SPEC, lambda _obj: IndirectObject(next(numbers), 0, reader), is_stream)
    writer = PageWriter(stamper, is_stream, to_bytes)
    pages = collect_pages(reader.root_object, leaf_reader(reader))
    assert len(pages) == fx.page_count(source)
    raw = [page for page in pages if isinstance(page, RawPage)]
    assert raw  # every shape has plain pages
    for page in raw:
        written = writer.page_bytes(page)
        expected = to_bytes(
            stamped_dict(stamper, Page(page.ref, reader.get_object(page.ref), page.inherited))
        )
        assert plain(read_object(io.BytesIO(written), reader)) == plain(
            read_object(io.BytesIO(expected), reader)
        ), page.ref
    if shape == "odd_dictionaries":  # the page with a # escape and the one with a string
        assert len(raw) == len(pages) - 2
    if shape == "unusual_syntax":
        assert len(raw) == 1


def test_qr_mask_is_the_one_qrcode_chooses() -> None:
    """drivebot.pdf.qr picks the mask faster than qrcode; the matrix must be qrcode's own."""
    from drivebot.pdf.qr import qr_matrix

    rng = random.Random(8)
    alphabets = [string.digits, string.ascii_uppercase + " $%*+-./:", string.printable, "aé€"]
    payloads = [fx.PAYLOAD, "", "x"] + [
        "".join(rng.choice(alphabets[i % 4]) for _ in range(rng.choice([1, 9, 40, 152, 400])))
        for i in range(160)
    ]
    masks = set()
    for payload in payloads:
        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
        code.add_data(payload)
        code.make(fit=True)
        assert qr_matrix(payload) == code.get_matrix(), payload
        masks.add(code.best_mask_pattern())
    assert len(masks) == 8  # every mask was the best for some payload


def test_page_content_streams_are_kept_and_only_wrapped(tmp_path: Path) -> None:
    source = fx.inherited_pdf(tmp_path / "inherited.pdf")
    dest, _ = stamped(source, tmp_path)
    before, after = PdfReader(source), PdfReader(dest)
    for old, new in zip(before.pages, after.pages, strict=True):
        raw = old.raw_get("/Contents") if "/Contents" in old else None
        resolved = raw.get_object() if raw is not None else None
        old_refs = list(resolved) if isinstance(resolved, ArrayObject) else [raw] if raw else []
        new_refs = list(new.raw_get("/Contents"))
        assert [(r.idnum, r.generation) for r in new_refs[1:-1]] == [
            (r.idnum, r.generation) for r in old_refs
        ]
        assert new_refs[0].get_object().get_data().strip() == b"q"
        closer = new_refs[-1].get_object().get_data().split()
        assert closer[:2] == [b"Q", b"q"] and closer[-3:] == [b"/DrivebotStamp", b"Do", b"Q"]
        assert closer[-4] == b"cm"
    # the shared content stream and the shared inherited /Resources are the same objects,
    # unchanged: the update did not rewrite them
    shared = before.pages[0].raw_get("/Contents")
    assert after.get_object(shared).get_data() == before.get_object(shared).get_data()
    resources = before.trailer["/Root"]["/Pages"].raw_get("/Resources")
    assert "/XObject" not in after.get_object(resources)


def test_one_stamp_form_per_page_size(tmp_path: Path) -> None:
    uniform, _ = stamped(fx.text_pdf(tmp_path / "uniform.pdf", [fx.A4] * 5), tmp_path)
    mixed, _ = stamped(_mixed(tmp_path), tmp_path)

    def forms(path: Path) -> set[int]:
        reader = PdfReader(path)
        refs = set()
        for page in reader.pages:
            ref = page["/Resources"]["/XObject"].raw_get("/DrivebotStamp")
            assert isinstance(ref, IndirectObject)
            refs.add(ref.idnum)
        return refs

    assert len(forms(uniform)) == 1
    displayed = set()
    for page in PdfReader(mixed).pages:
        width, height = round(float(page.mediabox.width)), round(float(page.mediabox.height))
        displayed.add((width, height) if page.rotation % 180 == 0 else (height, width))
    assert len(displayed) == 4  # A4, F4, Letter, A4 landscape (the turned pages repeat them)
    assert len(forms(mixed)) == len(displayed)


def test_stamping_is_deterministic_and_works_in_place(
    kind: Callable[[Path], Path], tmp_path: Path
) -> None:
    source = kind(fx.text_pdf(tmp_path / "doc.pdf", [fx.A4] * 2))
    first, _ = stamped(source, tmp_path)
    second = tmp_path / "again.pdf"
    stamp_pdf(source, second, SPEC)
    assert first.read_bytes() == second.read_bytes()
    # written through a temporary file, yet with a new file's usual permissions
    assert first.stat().st_mode & 0o777 == source.stat().st_mode & 0o777

    in_place = tmp_path / "in-place.pdf"
    in_place.write_bytes(source.read_bytes())
    result = stamp_pdf(in_place, in_place, SPEC)
    assert in_place.read_bytes() == first.read_bytes()
    assert result.original_size == source.stat().st_size
    assert not list(tmp_path.glob(".*.tmp"))


def test_stamping_a_stamped_file_again(tmp_path: Path) -> None:
    once, _ = stamped(fx.text_pdf(tmp_path / "doc.pdf", [fx.A4, fx.landscape(fx.A4)]), tmp_path)
    newer = StampSpec(fx.WATERMARK, fx.PAYLOAD.replace("000123", "000124"), fx.FOOTER)
    twice = tmp_path / "twice.pdf"
    result = stamp_pdf(once, twice, newer)
    assert result.method == "incremental"
    assert twice.read_bytes()[: result.original_size] == once.read_bytes()
    qpdf_check(twice)
    page = PdfReader(twice).pages[0]
    assert {"/DrivebotStamp", "/DrivebotStamp1"} <= set(page["/Resources"]["/XObject"])
    # the newer QR is drawn over the older one on its own white square
    assert_qr_on_every_page(twice, tmp_path, newer.qr_payload)


# --------------------------------------------------------------------------- fallbacks, errors


@pytest.mark.parametrize("algorithm", ["AES-256", "RC4-128", "AES-256 object streams"])
def test_owner_password_only_is_decrypted_and_rewritten(algorithm: str, tmp_path: Path) -> None:
    plain = fx.text_pdf(tmp_path / "plain.pdf", [fx.A4, fx.F4], [0, 90])
    if algorithm.endswith("object streams"):  # encrypted object streams, as Acrobat writes
        source = fx.encrypted_object_streams(
            plain, tmp_path / "owner.pdf", owner_password="owner-secret"
        )
    else:
        source = fx.encrypted(
            plain,
            tmp_path / "owner.pdf",
            user_password="",
            owner_password="owner-secret",
            algorithm=algorithm,
        )
    assert PdfReader(source).is_encrypted

    dest, result = stamped(source, tmp_path)

    assert result == StampResult("rewrite", 2, source.stat().st_size)
    assert not PdfReader(dest).is_encrypted
    qpdf_check(dest)
    assert_footer_on_every_page(dest)
    assert_qr_on_every_page(dest, tmp_path)


def test_user_password_is_a_bad_document(tmp_path: Path) -> None:
    plain = fx.text_pdf(tmp_path / "plain.pdf")
    source = fx.encrypted(
        plain, tmp_path / "locked.pdf", user_password="user-secret", owner_password="owner-secret"
    )
    dest = tmp_path / "out.pdf"
    with pytest.raises(BadDocument) as caught:
        stamp_pdf(source, dest, SPEC)
    assert caught.value.reason == "pdf_encrypted"
    with pytest.raises(BadDocument) as caught:
        pdf_page_count(source)
    assert caught.value.reason == "pdf_encrypted"
    assert not dest.exists()


def _truncated(d: Path) -> Path:
    data = fx.text_pdf(d / "whole.pdf", [fx.A4] * 3).read_bytes()
    (d / "truncated.pdf").write_bytes(data[: len(data) // 2])
    return d / "truncated.pdf"


CORRUPT: dict[str, Callable[[Path], Path]] = {
    "garbage": lambda d: (d / "g.pdf").write_bytes(b"\x00GIF89a not a pdf" * 200) and d / "g.pdf",
    "empty": lambda d: (d / "e.pdf").write_bytes(b"") or d / "e.pdf",
    "header_only": lambda d: (d / "h.pdf").write_bytes(b"%PDF-1.7\n%%EOF\n") and d / "h.pdf",
    "docx_renamed": lambda d: (
        (d / "x.pdf").write_bytes(b"PK\x03\x04" + b"\x00" * 500) and d / "x.pdf"
    ),
    "truncated": _truncated,
    "no_pages": lambda d: _no_pages(d / "n.pdf"),
}


def _no_pages(path: Path) -> Path:
    builder = fx.PdfBuilder()
    pages = builder.add("<< /Type /Pages /Kids [] /Count 0 >>")
    path.write_bytes(builder.build(builder.add(f"<< /Type /Catalog /Pages {pages} 0 R >>")))
    return path


@pytest.mark.parametrize("kind", CORRUPT)
def test_unreadable_input_is_a_bad_document(kind: str, tmp_path: Path) -> None:
    source = CORRUPT[kind](tmp_path)
    dest = tmp_path / "out.pdf"
    with pytest.raises(BadDocument) as caught:
        stamp_pdf(source, dest, SPEC)
    assert caught.value.reason == "pdf_corrupt"
    assert caught.value.detail
    with pytest.raises(BadDocument) as caught:
        pdf_page_count(source)
    assert caught.value.reason == "pdf_corrupt"
    assert not dest.exists()


DAMAGED: dict[str, Callable[[Path, Path], Path]] = {
    "page_object_offset": lambda s, d: fx.with_bad_xref_offset(s, d, 3),
    "catalog_offset": lambda s, d: fx.with_bad_xref_offset(s, d, 1, delta=-3),
    "startxref": fx.with_bad_startxref,
    "startxref_object_streams": lambda s, d: fx.with_bad_startxref(
        fx.with_object_streams(s, d.with_name("objstm.pdf")), d
    ),
}


@pytest.mark.parametrize("damage", DAMAGED)
def test_damaged_xref_is_repaired_by_a_rewrite(damage: str, tmp_path: Path) -> None:
    healthy = fx.text_pdf(tmp_path / "healthy.pdf", [fx.A4, fx.LETTER])
    source = DAMAGED[damage](healthy, tmp_path / "damaged.pdf")
    assert source.read_bytes() != healthy.read_bytes()

    dest, result = stamped(source, tmp_path)

    # An update appended to a broken xref would inherit the damage: it must be a rewrite.
    assert result.method == "rewrite"
    assert result.pages == 2
    qpdf_check(dest)
    assert_footer_on_every_page(dest)
    assert_qr_on_every_page(dest, tmp_path)


def test_pdf_page_count(tmp_path: Path) -> None:
    assert pdf_page_count(fx.text_pdf(tmp_path / "three.pdf", [fx.A4] * 3)) == 3
    assert pdf_page_count(fx.inherited_pdf(tmp_path / "tree.pdf")) == 4
    assert pdf_page_count(fx.scanned_pdf(tmp_path / "scan.pdf", pages=2, dpi=30)) == 2


def test_spec_below_minimum_qr_size_is_refused(tmp_path: Path) -> None:
    source = fx.text_pdf(tmp_path / "doc.pdf")
    with pytest.raises(ValueError, match="qr_mm"):
        stamp_pdf(source, tmp_path / "out.pdf", StampSpec("W", fx.PAYLOAD, "f", qr_mm=20))


# --------------------------------------------------------------------------- signatures


def _test_pki() -> tuple[object, object, object]:
    """A throw-away root CA and a signing certificate, as asn1crypto objects for pyHanko."""
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)

    def name(common_name: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])

    def usage(*, sign: bool, ca: bool) -> x509.KeyUsage:
        return x509.KeyUsage(
            digital_signature=sign,
            content_commitment=sign,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=ca,
            crl_sign=ca,
            encipher_only=False,
            decipher_only=False,
        )

    def certificate(
        subject: str,
        key: ec.EllipticCurvePrivateKey,
        issuer: x509.Name,
        issuer_key: ec.EllipticCurvePrivateKey,
        serial: int,
        ca: bool,
    ) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(name(subject))
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(serial)
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(usage(sign=not ca, ca=ca), critical=True)
        )
        if ca:
            builder = builder.add_extension(
                x509.BasicConstraints(ca=True, path_length=None), critical=True
            )
        return builder.sign(issuer_key, hashes.SHA256())

    root_key = ec.generate_private_key(ec.SECP256R1())
    root = certificate("Test Root CA", root_key, name("Test Root CA"), root_key, 1, ca=True)
    signer_key = ec.generate_private_key(ec.SECP256R1())
    signer = certificate("Bupati (test)", signer_key, root.subject, root_key, 2, ca=False)

    def der(cert: x509.Certificate) -> asn1_x509.Certificate:
        return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))

    key_info = asn1_keys.PrivateKeyInfo.load(
        signer_key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return der(root), der(signer), key_info


def sign_pdf(source: Path, dest: Path) -> object:
    """Sign `source` into `dest` as the Bupati's office would (a throw-away certificate),
    the signature appended as an incremental update; returns the root to validate against."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    root, cert, key = _test_pki()
    signer = signers.SimpleSigner(
        signing_cert=cert, signing_key=key, cert_registry=SimpleCertificateStore.from_certs([root])
    )
    with source.open("rb") as handle, dest.open("wb") as out:
        signers.sign_pdf(
            IncrementalPdfFileWriter(handle),
            signers.PdfSignatureMetadata(field_name="TandaTanganBupati"),
            signer=signer,
            output=out,
        )
    return root


def test_signature_still_validates_after_stamping(tmp_path: Path) -> None:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import SignatureCoverageLevel, validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    unsigned = fx.text_pdf(tmp_path / "final.pdf", [fx.F4, fx.F4])
    signed = tmp_path / "signed.pdf"
    root = sign_pdf(unsigned, signed)

    dest, result = stamped(signed, tmp_path)

    assert result.method == "incremental"
    assert dest.read_bytes()[: result.original_size] == signed.read_bytes()
    qpdf_check(dest)
    assert_qr_on_every_page(dest, tmp_path)
    with dest.open("rb") as handle:
        reader = PdfFileReader(handle)
        assert reader.xrefs.total_revisions == 3  # unsigned, signed, stamped
        (signature,) = reader.embedded_signatures
        status = validate_pdf_signature(signature, ValidationContext(trust_roots=[root]))
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    # The signed revision is whole and untouched; the stamp is a later revision. (pyHanko's
    # diff policy still reports page-content changes after signing as a modification.)
    assert status.coverage == SignatureCoverageLevel.ENTIRE_REVISION


# --------------------------------------------------------------------------- docx


def _docx_source(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_paragraph("PERATURAN BUPATI SERAM BAGIAN TIMUR NOMOR 12 TAHUN 2026")
    section = document.sections[0]
    section.different_first_page_header_footer = True
    section.footer.paragraphs[0].text = "Halaman"
    document.add_section()  # linked to the first section's header and footer
    document.add_paragraph("Lampiran")
    document.save(str(path))
    return path


def test_stamp_docx_puts_qr_and_footer_in_the_footers(tmp_path: Path) -> None:
    import docx

    source = _docx_source(tmp_path / "draft.docx")
    dest = tmp_path / "stamped.docx"

    stamp_docx(source, dest, SPEC)

    document = docx.Document(str(dest))
    first = document.sections[0]
    for footer in (first.footer, first.first_page_footer):
        text = "\n".join(p.text for p in footer.paragraphs)
        assert text.count(fx.FOOTER) == 1, text  # once: the linked section shares it
        assert footer._element.xpath(".//pic:pic")
        images = [
            part for part in footer.part.related_parts.values() if part.content_type == "image/png"
        ]
        assert len(images) == 1
        png = tmp_path / "qr.png"
        png.write_bytes(images[0].blob)
        assert [s.data.decode() for s in decode(Image.open(png))] == [fx.PAYLOAD]
    assert first.footer.paragraphs[0].text == "Halaman"  # what was there stays, first
    for header in (first.header, first.first_page_header):
        assert fx.WATERMARK in "\n".join(p.text for p in header.paragraphs)
    assert document.sections[1].footer.is_linked_to_previous
    assert "PERATURAN BUPATI" in document.paragraphs[0].text


def test_stamp_docx_rejects_a_corrupt_file(tmp_path: Path) -> None:
    source = tmp_path / "broken.docx"
    source.write_bytes(b"PK\x03\x04 this is not a zip")
    with pytest.raises(BadDocument) as caught:
        stamp_docx(source, tmp_path / "out.docx", SPEC)
    assert caught.value.reason == "docx_corrupt"
    assert not (tmp_path / "out.docx").exists()
