"""Builders for test inputs: real .docx drafts (with Word comments) and real MIME e-mails."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import docx
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from lxml import etree

from drivebot.docx_comments import EXTENDED_PART, W14, W15

COMMENTS_EXTENDED_REL = "http://schemas.microsoft.com/office/2011/relationships/commentsExtended"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass
class NoteSpec:
    quoted: str  # text of the draft the comment is anchored to (must occur as its own paragraph)
    text: str
    author: str = "Analis Hukum"
    resolved: bool = False
    replies: list[tuple[str, str]] = field(default_factory=list)  # (author, text)


def draft_docx(
    subject: str = "Retribusi Pelayanan Kesehatan",
    kind: str = "RANCANGAN PERATURAN BUPATI SERAM BAGIAN TIMUR",
    articles: tuple[str, ...] = (
        "Pasal 1",
        "Dalam Peraturan Bupati ini yang dimaksud "
        "dengan Daerah adalah Kabupaten Seram Bagian Timur.",
    ),
    notes: tuple[NoteSpec, ...] = (),
) -> bytes:
    """A draft laid out as regencies write them: heading, type, TENTANG, subject, articles."""
    document = docx.Document()
    for line in (
        "BUPATI SERAM BAGIAN TIMUR",
        "PROVINSI MALUKU",
        kind,
        "NOMOR ... TAHUN 2026",
        "TENTANG",
        subject.upper(),
        "DENGAN RAHMAT TUHAN YANG MAHA ESA",
        "BUPATI SERAM BAGIAN TIMUR,",
        "Menimbang : bahwa untuk melaksanakan ketentuan ...",
        *articles,
    ):
        document.add_paragraph(line)
    for note in notes:
        anchor = document.add_paragraph(note.quoted).runs[0]
        comment = document.add_comment(anchor, text=note.text, author=note.author)
        replies = [
            document.add_comment(anchor, text=text, author=author) for author, text in note.replies
        ]
        _thread(document, comment, replies, note.resolved)
    buffer = io.BytesIO()
    document.save(buffer)
    return _fixed_zip_times(buffer.getvalue())


def _fixed_zip_times(package: bytes) -> bytes:
    """The same draft gives the same bytes whenever it is built (zip entries carry the time of
    writing), so tests may compare files byte for byte."""
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(package))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2026, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()


def _para_id(comment) -> str:
    paragraph = comment._comment_elm.findall(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}p"
    )[-1]
    value = f"{0x10000000 + int(comment.comment_id) * 7919:08X}"
    paragraph.set(f"{{{W14}}}paraId", value)
    return value


def _thread(document, comment, replies, resolved: bool) -> None:
    """Record resolution and replies as Word does, in word/commentsExtended.xml."""
    part = next(
        (p for p in document.part.package.iter_parts() if p.partname == EXTENDED_PART), None
    )
    if part is None:
        root = etree.Element(f"{{{W15}}}commentsEx", nsmap={"w15": W15})
        part = Part(
            PackURI(EXTENDED_PART),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.commentsExtended+xml",
            etree.tostring(root),
            document.part.package,
        )
        document.part.relate_to(part, COMMENTS_EXTENDED_REL)
    root = etree.fromstring(part.blob)
    parent = _para_id(comment)
    entry = etree.SubElement(root, f"{{{W15}}}commentEx")
    entry.set(f"{{{W15}}}paraId", parent)
    entry.set(f"{{{W15}}}done", "1" if resolved else "0")
    for reply in replies:
        child = etree.SubElement(root, f"{{{W15}}}commentEx")
        child.set(f"{{{W15}}}paraId", _para_id(reply))
        child.set(f"{{{W15}}}paraIdParent", parent)
        child.set(f"{{{W15}}}done", "0")
    part._blob = etree.tostring(root)


def email_with_attachment(
    sender: str,
    to: str,
    subject: str,
    attachments: list[tuple[str, bytes]] = (),
    body: str = "Terlampir.",
    extra_headers: dict[str, str] | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain="opd.example.go.id")
    for name, value in (extra_headers or {}).items():
        message[name] = value
    message.set_content(body)
    for name, payload in attachments:
        maintype, subtype = (
            DOCX_MIME
            if name.endswith(".docx")
            else "application/pdf"
            if name.endswith(".pdf")
            else "application/octet-stream"
        ).split("/")
        message.add_attachment(payload, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


def final_pdf(
    pages: int = 2,
    title: str = "PERATURAN BUPATI SERAM BAGIAN TIMUR",
    number: int | None = 1,
    year: int | None = None,
    enacted: str | None = "1 Desember",
    subject: str = "RETRIBUSI PERSETUJUAN BANGUNAN GEDUNG",
    gazette: int | None = None,
    promulgated: str | None = None,
) -> bytes:
    """A signed final as the Bupati's office would scan or export it (text pages, A4): the
    heading with its number on the first page, the closing with its date on the last (as
    Lampiran II of UU 12/2011 lays them out). `number` None leaves the number blank; dates
    are of `year`, this year by default."""
    import datetime

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    year = year or datetime.date.today().year
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    for page in range(1, pages + 1):
        lines = [title]  # a running head: every page differs from another product's
        if page == 1:
            numbered = (
                f"NOMOR {number} TAHUN {year}" if number is not None else f"NOMOR TAHUN {year}"
            )
            lines += [numbered, "TENTANG", subject, "DENGAN RAHMAT TUHAN YANG MAHA ESA"]
        lines.append(f"Halaman {page}: Pasal {page} ketentuan umum.")
        if page == pages:
            if enacted:
                lines += [
                    "Ditetapkan di Bula",
                    f"pada tanggal {enacted} {year}",
                    "BUPATI SERAM BAGIAN TIMUR,",
                ]
            if promulgated:
                lines += ["Diundangkan di Bula", f"pada tanggal {promulgated} {year}"]
            if gazette is not None:
                lines.append(
                    f"BERITA DAERAH KABUPATEN SERAM BAGIAN TIMUR TAHUN {year} NOMOR {gazette}"
                )
        for index, line in enumerate(lines):
            pdf.setFont("Helvetica-Bold" if index == 0 else "Helvetica", 12)
            pdf.drawCentredString(A4[0] / 2, A4[1] - 90 - 22 * index, line)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def write_config(workspace, overrides: dict | None = None, **top: object) -> None:
    """drivebot.toml from the shipped sample, with top-level keys and tables replaced."""
    import re
    from importlib.resources import files

    text = files("drivebot").joinpath("sample_config.toml").read_text(encoding="utf-8")
    settings = {"settle_seconds": 0, "digest_time": "23:59", **(overrides or {}), **top}
    tables = {k: v for k, v in settings.items() if isinstance(v, dict)}
    for key, value in settings.items():
        if key in tables:
            continue
        line = f"{key} = {_toml(value)}"
        text, found = re.subn(rf"(?m)^{key} = .*$", line, text)
        if not found:
            text = f"{line}\n{text}"
    for name, table in tables.items():
        text = re.sub(rf"(?ms)^\[{name}\]\n.*?(?=^\[|\Z)", "", text)
        text += f"\n[{name}]\n" + "".join(
            f"{k} = {_toml(v)}\n" for k, v in table.items() if not isinstance(v, dict)
        )
        for sub, inner in ((k, v) for k, v in table.items() if isinstance(v, dict)):
            text += f"\n[{name}.{sub}]\n" + "".join(
                f"{_toml(k)} = {_toml(v)}\n" for k, v in inner.items()
            )
    (workspace / "drivebot.toml").write_text(text, encoding="utf-8")


def _toml(value: object) -> str:
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value) if isinstance(value, str | list) else str(value)
