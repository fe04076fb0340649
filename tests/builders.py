"""Builders for test inputs: real .docx drafts (with Word comments) and real MIME e-mails."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from datetime import datetime, timezone

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


def draft_docx(subject: str = "Retribusi Pelayanan Kesehatan",
               kind: str = "RANCANGAN PERATURAN BUPATI SERAM BAGIAN TIMUR",
               articles: tuple[str, ...] = ("Pasal 1", "Dalam Peraturan Bupati ini yang dimaksud "
                                            "dengan Daerah adalah Kabupaten Seram Bagian Timur."),
               notes: tuple[NoteSpec, ...] = ()) -> bytes:
    """A draft laid out as regencies write them: heading, type, TENTANG, subject, articles."""
    document = docx.Document()
    for line in ("BUPATI SERAM BAGIAN TIMUR", "PROVINSI MALUKU", kind,
                 "NOMOR ... TAHUN 2026", "TENTANG", subject.upper(),
                 "DENGAN RAHMAT TUHAN YANG MAHA ESA", "BUPATI SERAM BAGIAN TIMUR,",
                 "Menimbang : bahwa untuk melaksanakan ketentuan ...", *articles):
        document.add_paragraph(line)
    for note in notes:
        anchor = document.add_paragraph(note.quoted).runs[0]
        comment = document.add_comment(anchor, text=note.text, author=note.author)
        replies = [document.add_comment(anchor, text=text, author=author)
                   for author, text in note.replies]
        _thread(document, comment, replies, note.resolved)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _para_id(comment) -> str:
    paragraph = comment._comment_elm.findall(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}p")[-1]
    value = f"{0x10000000 + int(comment.comment_id) * 7919:08X}"
    paragraph.set(f"{{{W14}}}paraId", value)
    return value


def _thread(document, comment, replies, resolved: bool) -> None:
    """Record resolution and replies as Word does, in word/commentsExtended.xml."""
    part = next((p for p in document.part.package.iter_parts() if p.partname == EXTENDED_PART),
                None)
    if part is None:
        root = etree.Element(f"{{{W15}}}commentsEx", nsmap={"w15": W15})
        part = Part(PackURI(EXTENDED_PART),
                    "application/vnd.openxmlformats-officedocument.wordprocessingml"
                    ".commentsExtended+xml", etree.tostring(root), document.part.package)
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


def email_with_attachment(sender: str, to: str, subject: str,
                          attachments: list[tuple[str, bytes]] = (), body: str = "Terlampir.",
                          extra_headers: dict[str, str] | None = None) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(timezone.utc))
    message["Message-ID"] = make_msgid(domain="opd.example.go.id")
    for name, value in (extra_headers or {}).items():
        message[name] = value
    message.set_content(body)
    for name, payload in attachments:
        maintype, subtype = (DOCX_MIME if name.endswith(".docx") else
                             "application/pdf" if name.endswith(".pdf") else
                             "application/octet-stream").split("/")
        message.add_attachment(payload, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()
