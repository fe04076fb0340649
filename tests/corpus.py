"""A corpus of broken, hostile and merely odd inputs, made on the spot (no binary blobs in git).

Every item is a file an OPD drops into its inbox folder, or an e-mail it sends, with the outcome
a careful ingester owes it: REGISTERED (a draft, with these exact bytes as its version),
SKIPPED (a lock or temporary file: left where it is, unanswered), LEFT (mail for people), or
the reason it is quarantined with. Deterministic: the same items, byte for byte, every run.
Each document carries a marker in its body text that no outgoing e-mail may repeat.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
import zlib
from dataclasses import dataclass, field
from email.message import EmailMessage
from functools import cache
from urllib.parse import quote

from builders import DOCX_MIME, draft_docx
from pdf_fixtures import PdfBuilder

REGISTERED = "registered"
SKIPPED = "skipped"
LEFT = "left"
OPD_ADDRESS = "dinkes@sbtkab.example"
DIVISION = "hukum@sbtkab.example"
SECRET = "ISI-RAHASIA"  # in every document's body text: no e-mail may carry it


@dataclass(frozen=True)
class Drop:
    name: str
    data: bytes
    expect: str  # REGISTERED, SKIPPED, or a quarantine reason
    raw_name: bytes | None = None  # a name that is not UTF-8 (a local folder only)
    local_only: bool = False

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class Mail:
    subject: str
    raw: bytes
    expect: str  # REGISTERED (every document attached is taken in), LEFT, or a refusal reason
    # Each attached document and what becomes of it once taken in (REGISTERED or a reason).
    attachments: tuple[tuple[bytes, str], ...] = ()
    sender: str = OPD_ADDRESS
    quarantined_by_sender: bool = False


@dataclass
class Corpus:
    drops: list[Drop] = field(default_factory=list)
    mails: list[Mail] = field(default_factory=list)


# --- documents -------------------------------------------------------------------------------


def docx(n: int) -> bytes:
    """A real, distinct draft (its own subject, its own secret)."""
    return draft_docx(
        subject=f"Retribusi Nomor Uji {n}", articles=("Pasal 1", f"Ketentuan umum {SECRET}-{n}.")
    )


def _zip(entries: list[tuple[str, bytes]], level: int = 6) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as package:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            package.writestr(info, data)
    return buffer.getvalue()


def _entries(package: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(package)) as source:
        return [(info.filename, source.read(info)) for info in source.infolist()]


def _with_entry(package: bytes, name: str, data: bytes) -> bytes:
    return _zip([*_entries(package), (name, data)])


def _twin_entries(package: bytes) -> bytes:
    """Two entries named word/document.xml (readers disagree on which one is the document)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns, and writes it anyway
        return _with_entry(package, "word/document.xml", b"<x/>")


@cache
def docx_bomb(n: int, megabytes: int = 120) -> bytes:
    """A real draft with one more part that inflates to `megabytes` of zeros (sizes honest)."""
    zeros = b"\0" * (megabytes << 20)
    return _zip([*_entries(docx(n)), ("word/media/image1.png", zeros)], level=1)


def docx_lying_bomb(n: int) -> bytes:
    """A part whose zip headers declare 1 KiB while its data inflates to 120 MB."""
    package = bytearray(docx_bomb(n))
    real = (120 << 20).to_bytes(4, "little")
    fake = (1024).to_bytes(4, "little")
    # Patch the uncompressed size in the local header and the central directory entry.
    start = 0
    while (at := package.find(real, start)) != -1:
        package[at : at + 4] = fake
        start = at + 4
    return bytes(package)


def docx_with_dtd(n: int) -> bytes:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/'
        b'main"><w:body><w:p><w:r><w:t>&lol2;</w:t></w:r></w:p></w:body></w:document>'
    )
    return _zip(
        [
            (name, laughs if name == "word/document.xml" else data)
            for name, data in _entries(docx(n))
        ]
    )


def docm(n: int) -> bytes:
    """A macro-enabled document saved with a .docx name."""
    entries = _entries(docx(n))
    types = (
        dict(entries)["[Content_Types].xml"]
        .replace(b"wordprocessingml.document.main+xml", b"dummy")
        .replace(
            b"application/vnd.openxmlformats-officedocument.dummy",
            b"application/vnd.ms-word.document.macroEnabled.main+xml",
        )
    )
    return _zip(
        [(name, types if name == "[Content_Types].xml" else data) for name, data in entries]
        + [("word/vbaProject.bin", b"\xcc" * 512)]
    )


def ole(streams: list[str]) -> bytes:
    """A minimal compound file (the container of old .doc files and of encrypted .docx)
    holding empty streams with these names: enough for a reader to list them."""
    sector = 512
    header = bytearray(sector)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    header[24:26] = (0x3E).to_bytes(2, "little")  # minor version
    header[26:28] = (3).to_bytes(2, "little")  # major version 3: 512-byte sectors
    header[28:30] = b"\xfe\xff"  # little-endian
    header[30:32] = (9).to_bytes(2, "little")  # sector shift
    header[32:34] = (6).to_bytes(2, "little")  # mini sector shift
    header[44:48] = (1).to_bytes(4, "little")  # one FAT sector
    header[48:52] = (1).to_bytes(4, "little")  # the directory starts at sector 1
    header[56:60] = (4096).to_bytes(4, "little")  # mini stream cutoff
    header[60:64] = (0xFFFFFFFE).to_bytes(4, "little")  # no mini FAT
    header[68:72] = (0xFFFFFFFE).to_bytes(4, "little")  # no DIFAT sectors
    header[76:80] = (0).to_bytes(4, "little")  # the FAT is sector 0
    header[80:sector] = b"\xff" * (sector - 80)
    fat = bytearray(b"\xff" * sector)
    fat[0:4] = (0xFFFFFFFD).to_bytes(4, "little")  # sector 0: the FAT itself
    fat[4:8] = (0xFFFFFFFE).to_bytes(4, "little")  # sector 1: the directory, one sector
    directory = bytearray()
    names = ["Root Entry", *streams][:4]
    for index, name in enumerate(names):
        entry = bytearray(128)
        encoded = (name + "\0").encode("utf-16-le")
        entry[0 : len(encoded)] = encoded
        entry[64:66] = len(encoded).to_bytes(2, "little")
        entry[66] = 5 if index == 0 else 2  # root storage, then streams
        entry[67] = 1  # black
        entry[68:72] = (0xFFFFFFFF).to_bytes(4, "little")  # left sibling
        right = index + 1 if 0 < index < len(names) - 1 else 0xFFFFFFFF
        entry[72:76] = right.to_bytes(4, "little")
        child = 1 if index == 0 and len(names) > 1 else 0xFFFFFFFF
        entry[76:80] = child.to_bytes(4, "little")
        entry[116:120] = (0xFFFFFFFE).to_bytes(4, "little")  # no data
        directory += entry
    directory += b"\0" * (sector - len(directory))
    return bytes(header + fat + directory)


def pdf(
    text: str,
    *,
    catalog: str = "",
    page: str = "",
    extra: list[str] = (),
    content: bytes | None = None,
) -> bytes:
    """A one-page PDF with its text, and whatever the catalog or page dictionary adds."""
    builder = PdfBuilder()
    font = builder.add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    body = (
        content
        if content is not None
        else (f"BT /F1 12 Tf 72 720 Td (PERATURAN BUPATI) Tj 0 -16 Td ({text}) Tj ET".encode())
    )
    stream = (
        builder.stream(body)
        if content is None
        else builder.stream(zlib.compress(body, 1), "/Filter /FlateDecode")
    )
    pages = builder.reserve()
    leaf = builder.add(
        f"<< /Type /Page /Parent {pages} 0 R /MediaBox [0 0 595 842] "
        f"/Resources << /Font << /F1 {font} 0 R >> >> /Contents {stream} 0 R "
        f"{page} >>"
    )
    builder.add(f"<< /Type /Pages /Kids [{leaf} 0 R] /Count 1 >>", pages)
    for body_text in extra:
        builder.add(body_text)
    root = builder.add(f"<< /Type /Catalog /Pages {pages} 0 R {catalog} >>")
    return builder.build(root)


def pdf_looping_tree() -> bytes:
    builder = PdfBuilder()
    pages = builder.reserve()
    inner = builder.reserve()
    builder.add(f"<< /Type /Pages /Kids [{inner} 0 R] /Count 1 >>", pages)
    builder.add(f"<< /Type /Pages /Parent {pages} 0 R /Kids [{pages} 0 R] /Count 1 >>", inner)
    root = builder.add(f"<< /Type /Catalog /Pages {pages} 0 R >>")
    return builder.build(root)


def pdf_with_embedded_program(n: int) -> bytes:
    return pdf(
        f"Lampiran {n}",
        catalog="/Names << /EmbeddedFiles << /Names [(setup.exe) 7 0 R] >> >>",
        extra=[
            "<< /Type /Filespec /F (setup.exe) /EF << /F 8 0 R >> >>",
            "<< /Type /EmbeddedFile /Length 2 >>\nstream\nMZ\nendstream",
        ],
    )


def encrypted_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.encrypt(user_password="rahasia", owner_password="pemilik")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


# --- e-mails ---------------------------------------------------------------------------------


def email(
    subject: str,
    attachments: list[tuple[str, bytes]],
    sender: str = OPD_ADDRESS,
    headers: dict[str, str] | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = DIVISION
    message["Subject"] = subject
    message["Date"] = "Tue, 01 Dec 2026 08:00:00 +0900"
    message["Message-ID"] = f"<{hashlib.sha256(subject.encode()).hexdigest()[:16]}@opd.example>"
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content("Terlampir rancangan.")
    crafted = {}
    for index, (filename, data) in enumerate(attachments):
        maintype, subtype = DOCX_MIME.split("/")
        if "\r" in filename or "\n" in filename:  # the stdlib refuses to write such a name
            placeholder = f"placeholder-{index}.docx"
            crafted[f'filename="{placeholder}"'.encode()] = (
                b"filename*=utf-8''" + quote(filename, safe="").encode()
            )
            filename = placeholder
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    raw = message.as_bytes()
    for placeholder, encoded in crafted.items():
        raw = raw.replace(placeholder, encoded)
    return raw


def nested_forward(levels: int, innermost: bytes) -> bytes:
    """A forward of a forward of a forward... written by hand (the standard library's own
    generator would recurse once per level)."""
    head = (
        f"From: {OPD_ADDRESS}\r\nTo: {DIVISION}\r\nSubject: Fwd: Ranperbup bertingkat\r\n"
        "MIME-Version: 1.0\r\nContent-Type: message/rfc822\r\n\r\n"
    ).encode()
    level = b"Subject: Fwd\r\nMIME-Version: 1.0\r\nContent-Type: message/rfc822\r\n\r\n"
    return head + level * levels + innermost


def nested_multipart(levels: int) -> bytes:
    head = (
        f"From: {OPD_ADDRESS}\r\nTo: {DIVISION}\r\nSubject: Ranperbup bersarang\r\n"
        "MIME-Version: 1.0\r\n"
    ).encode()
    out = bytearray(head)
    for level in range(levels):
        out += f'Content-Type: multipart/mixed; boundary="b{level}"\r\n\r\n--b{level}\r\n'.encode()
    out += b"Content-Type: text/plain\r\n\r\nisi\r\n"
    for level in reversed(range(levels)):
        out += f"--b{level}--\r\n".encode()
    return bytes(out)


def build() -> Corpus:
    corpus = Corpus()
    n = iter(range(1, 1000))
    add = corpus.drops.append
    # Odd but honest: registered, judged by content.
    add(Drop("Ranperbup biasa.docx", docx(next(n)), REGISTERED))
    add(Drop("Ranperbup sebenarnya PDF.docx", pdf("TENTANG PDF BERNAMA DOCX"), REGISTERED))
    add(Drop("Ranperbup spasi akhir.docx ", docx(next(n)), REGISTERED))
    add(Drop("Ranperbup spasi .docx", docx(next(n)), REGISTERED))
    add(Drop(".Ranperbup diawali titik.docx", docx(next(n)), REGISTERED))
    add(Drop("Ranperbup tanpa ekstensi", docx(next(n)), REGISTERED))
    add(Drop("R" * 245 + ".docx", docx(next(n)), REGISTERED))  # 250 bytes: legal, and long
    add(Drop("Ranperbup revisi\u202excod.docx", docx(next(n)), REGISTERED))
    add(Drop("Ranperbup Kese\u0301hatan NFD.docx", docx(next(n)), REGISTERED))
    add(Drop("..\\..\\Ranperbup keluar.docx", docx(next(n)), REGISTERED))
    add(Drop("%2e%2e%2fRanperbup persen.docx", docx(next(n)), REGISTERED))
    add(
        Drop(
            "bukan-utf8.docx",
            docx(next(n)),
            REGISTERED,
            raw_name=b"Ranperbup \xff\xfe bukan utf8.docx",
            local_only=True,
        )
    )
    add(Drop("Ranperbup bom isi PDF.pdf", pdf("x", content=b"0 0 m " * (12 << 20)), REGISTERED))
    # Lock, temporary and junk files: never taken in, never answered.
    for junk in (
        "~$Ranperbup.docx",
        ".~lock.Ranperbup.docx#",
        "simpan.tmp",
        "desktop.ini",
        ".DS_Store",
        "unduhan.crdownload",
        "Ranperbup.docx.part",
        "Thumbs.db",
    ):
        add(Drop(junk, docx(next(n)), SKIPPED))
    # Broken and crafted: quarantined, each with its own reason.
    add(Drop("kosong.docx", b"", "empty_file"))
    add(
        Drop(
            "anggaran.xlsx",
            _zip([("[Content_Types].xml", b"<Types/>"), ("xl/workbook.xml", b"<workbook/>")]),
            "unsupported_type",
        )
    )
    add(Drop("acak.docx", bytes(range(256)) * 40, "docx_corrupt"))
    add(Drop("gambar.png", b"\x89PNG\r\n\x1a\n" + bytes(200), "unsupported_type"))
    add(Drop("bom zip.docx", docx_bomb(next(n)), "docx_too_large"))
    add(Drop("bom zip berbohong.docx", docx_lying_bomb(next(n)), "docx_corrupt"))
    add(
        Drop(
            "jalur naik.docx", _with_entry(docx(next(n)), "../../keluar.txt", b"x"), "docx_crafted"
        )
    )
    add(
        Drop(
            "jalur absolut.docx",
            _with_entry(docx(next(n)), "/etc/keluar.txt", b"x"),
            "docx_crafted",
        )
    )
    add(Drop("entri kembar.docx", _twin_entries(docx(next(n))), "docx_crafted"))
    add(Drop("dtd.docx", docx_with_dtd(next(n)), "docx_crafted"))
    add(Drop("makro.docx", docm(next(n)), "docx_macros"))
    add(Drop("berkata sandi.docx", ole(["EncryptionInfo", "EncryptedPackage"]), "docx_encrypted"))
    add(Drop("lama.doc", ole(["WordDocument", "1Table"]), "doc_format"))
    add(Drop("pohon berputar.pdf", pdf_looping_tree(), "pdf_corrupt"))
    add(
        Drop(
            "skrip.pdf",
            pdf("a", catalog="/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"),
            "pdf_active",
        )
    )
    add(
        Drop(
            "luncur.pdf", pdf("b", page="/AA << /O << /S /Launch /F (cmd.exe) >> >>"), "pdf_active"
        )
    )
    add(
        Drop(
            "aksi tambahan.pdf",
            pdf("c", catalog="/AA << /WC << /S /JavaScript /JS (1) >> >>"),
            "pdf_active",
        )
    )
    add(Drop("program tersisip.pdf", pdf_with_embedded_program(next(n)), "pdf_active"))
    add(Drop("terkunci.pdf", encrypted_pdf(), "pdf_encrypted"))
    add(Drop("terpotong.pdf", pdf("d")[:300], "pdf_corrupt"))
    # E-mails.
    mail = corpus.mails.append
    three = [docx(next(n)) for _ in range(3)]
    mail(
        Mail(
            "Pengajuan tiga Ranperbup",
            email(
                "Pengajuan tiga Ranperbup",
                [(f"Ranperbup {i}.docx", data) for i, data in enumerate(three)],
            ),
            REGISTERED,
            tuple((data, REGISTERED) for data in three),
        )
    )
    deep = email("terdalam", [("Ranperbup terdalam.docx", docx(next(n)))])
    mail(Mail("Fwd: Ranperbup bertingkat", nested_forward(5000, deep), "mail_too_deep"))
    mail(Mail("Ranperbup bersarang", nested_multipart(5000), "mail_too_deep"))
    named = [
        ("Ranperbup tanpa ekstensi", docx(next(n))),
        ("..\\..\\Ranperbup jalan.docx", docx(next(n))),
        ("Ranperbup\r\nBcc: penyusup@evil.example.docx", docx(next(n))),
        ("<script>alert(1)</script>.docx", docx(next(n))),
        ("Ranperbup revisi\u202excod.docx", docx(next(n))),
    ]
    for index, (filename, data) in enumerate(named):
        subject = f"Ranperbup lampiran aneh {index}"
        mail(Mail(subject, email(subject, [(filename, data)]), REGISTERED, ((data, REGISTERED),)))
    bomb = docx_bomb(next(n))
    mail(
        Mail(
            "Ranperbup bom",
            email("Ranperbup bom", [("bom.docx", bomb)]),
            REGISTERED,
            ((bomb, "docx_too_large"),),
        )
    )
    script = pdf("e", catalog="/OpenAction << /S /JavaScript /JS (app.alert(2)) >>")
    mail(
        Mail(
            "Ranperbup final skrip",
            email("Ranperbup final skrip", [("final.pdf", script)]),
            REGISTERED,
            ((script, "pdf_active"),),
        )
    )
    mail(
        Mail(
            "Balasan otomatis: Ranperbup",
            email(
                "Balasan otomatis: Ranperbup",
                [("x.docx", docx(next(n)))],
                headers={"Auto-Submitted": "auto-replied"},
            ),
            LEFT,
        )
    )
    mail(
        Mail(
            "Ranperbup dari orang asing",
            email(
                "Ranperbup dari orang asing",
                [("y.docx", docx(next(n)))],
                sender="orang@asing.example",
            ),
            "unknown_address",
            quarantined_by_sender=True,
        )
    )
    return corpus
