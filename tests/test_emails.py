"""The e-mails, checked on real MIME output: every message is built, serialised to bytes and
parsed back with the standard library before anything is asserted."""

from __future__ import annotations

import email
import email.policy
import random
import re
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import parsedate_to_datetime

import pytest

from drivebot import i18n
from drivebot.events import Note, Reply
from drivebot.flows import ENDED, FLOWS, Audience, ProductType
from drivebot.legal_text import read_facts
from drivebot.notify.emails import (
    TEMPLATE_AUDIENCES,
    DeadlineLine,
    DraftView,
    Rendered,
    available_templates,
    render,
)
from drivebot.notify.mime import Sender, build_message

SENDER = Sender(
    name="Bagian Hukum Setda Kabupaten Seram Bagian Timur",
    address="hukum@serambagiantimurkab.go.id",
    org="Bagian Hukum Sekretariat Daerah Kabupaten Seram Bagian Timur",
)
TITLE = "Rancangan Peraturan Bupati tentang Retribusi Pelayanan Kesehatan"
HERE = {"id": "◀ di sini", "en": "◀ you are here"}
ALL_TRACKED = frozenset({"harmonisasi", "paraf_koordinasi", "penetapan", "pengundangan"})


def draft(**changes) -> DraftView:
    values = dict(
        reg="HK-2026-0007",
        title=TITLE,
        product_type=ProductType.PERBUP,
        stage="pemeriksaan",
        version=1,
        opd_name="Dinas Kesehatan",
    )
    values.update(changes)
    return DraftView(**values)


COMMENTS = [
    Note(
        author="Budi Santoso",
        content="Tarif pada ayat ini belum sesuai\nPerda induk.",
        quoted="Pasal 3 ayat (2)",
        replies=(Reply("Ani", "Setuju, mohon diperbaiki."),),
    ),
    Note(author="", content="Konsiderans perlu dilengkapi."),
]

# One realistic call per message: (draft, extra keyword arguments).
SAMPLES: dict[str, tuple[DraftView | None, dict]] = {
    "submitted": (draft(), {}),
    "submitted_reviewers": (draft(link="https://docs.google.com/document/d/abc/edit"), {}),
    "revision_requested": (draft(stage="perbaikan"), {"comments": COMMENTS}),
    "revision_received": (draft(version=2), {}),
    "revision_received_reviewers": (draft(version=2), {}),
    "approved": (draft(stage="harmonisasi"), {}),
    "stage_done": (
        draft(stage="paraf_koordinasi", done=frozenset({"harmonisasi"})),
        {"completed_stage": "harmonisasi"},
    ),
    "archived": (
        draft(
            stage="arsip",
            done=ALL_TRACKED,
            number="Nomor 12 Tahun 2026",
            verify_url="https://jdih.example.go.id/v/HK-2026-0007",
        ),
        {},
    ),
    "rejected_event": (
        draft(),
        {"reason_key": "not_yet_approved", "file_name": "HK-2026-0007 final.pdf"},
    ),
    "file_quarantined": (
        None,
        {"file_name": "scan.tiff", "reason": "unsupported_type", "limit_mb": 25},
    ),
    "unknown_sender": (
        None,
        {
            "sender": "someone@example.com",
            "subject": "Tolong proses",
            "received": datetime(2026, 3, 2, 8, 15),
            "reason": "unknown_address",
        },
    ),
    "bad_input_report": (
        None,
        {
            "file_name": "draft.pdf",
            "opd_name": "BPKAD",
            "reason": "pdf_encrypted",
            "detail": "FileNotDecryptedError",
        },
    ),
    "digest": (None, {"drafts": [draft(waiting_days=3)], "today": date(2026, 3, 2)}),
    "status_notice": (None, {"summary": "drivebot kembali dapat memeriksa", "detail": ""}),
    "submitted_batch": (
        None,
        {
            "batch": [draft(), draft(reg="HK-2026-0008", title="Kedua")],
            "opd_name": "Dinas Kesehatan",
        },
    ),
    "submitted_reviewers_batch": (None, {"batch": [draft(), draft(reg="HK-2026-0008")]}),
    "error_report": (None, {"summary": "Drive did not answer", "detail": "Traceback ..."}),
    "misplaced": (
        draft(),
        {
            "moved_to": "04 Final",
            "back_to": "01 Pemeriksaan",
            "revision_folder": "02 Perbaikan",
            "approved_folder": "03 Disetujui",
        },
    ),
    "final_held": (
        draft(stage="penomoran", number="Nomor 11 Tahun 2026"),
        {
            "file_name": "HK-2026-0007 ditandatangani.pdf",
            "problems": ["naskah bernomor 12 tahun 2026, sedangkan nomor yang dicadangkan 11"],
            "read": read_facts("PERATURAN BUPATI\nNOMOR 12 TAHUN 2026", "pada tanggal 1 Mei 2026"),
            "how": "ocr",
            "suggested": "drivebot finalize HK-2026-0007 --number 12 --date 2026-05-01",
        },
    ),
    "number_reserved": (draft(stage="penomoran", number="Nomor 11 Tahun 2026"), {}),
    "deadline_reminder": (
        draft(stage="pemeriksaan"),
        {
            "started": date(2026, 3, 2),
            "due": date(2026, 3, 9),
            "limit": 5,
            "unit": "hari kerja",
            "days_left": 2,
            "actor": "Bagian Hukum",
        },
    ),
    "deadline_summary": (
        None,
        {
            "today": date(2026, 3, 26),
            "shown": 1,
            "every": 5,
            "late": [
                DeadlineLine(
                    draft(stage="fasilitasi_gubernur", days_late=3, due=date(2026, 3, 23)),
                    started=date(2026, 3, 2),
                    limit=15,
                    actor="Gubernur",
                    round=2,
                ),
                DeadlineLine(draft(reg="HK-2026-0008", days_late=1), date(2026, 3, 2), 5, "OPD"),
            ],
            "coming": [
                DeadlineLine(
                    draft(stage="noreg", days_left=2, due=date(2026, 3, 30), calendar_days=True),
                    started=date(2026, 3, 20),
                    limit=10,
                    actor="Gubernur",
                ),
            ],
        },
    ),
    "reviewer_summary": (
        None,
        {
            "batch": [draft(days_late=2, due=date(2026, 3, 2)), draft(reg="HK-2026-0008")],
            "today": date(2026, 3, 4),
            "remind_before": 2,
        },
    ),
    "ended": (draft(stage="ditarik"), {"why": "diganti dengan rancangan yang baru"}),
    "reopened": (draft(stage="pemeriksaan"), {}),
}


def roundtrip(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def send(rendered: Rendered, **kwargs) -> EmailMessage:
    kwargs.setdefault("to", ["opd.dinkes@serambagiantimurkab.go.id"])
    kwargs.setdefault("message_id", "<20260302.1@drivebot>")
    return roundtrip(build_message(rendered, SENDER, **kwargs))


def subject(message: EmailMessage) -> str:
    # The stdlib may fold a subject that fits one continuation line as "Subject:\n <all of it>"
    # (valid RFC 5322 folding); its own parser then keeps the folding space. Mail clients drop it.
    return str(message["Subject"]).strip()


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


CASES = [
    (name, audience, lang)
    for name, audiences in TEMPLATE_AUDIENCES.items()
    for audience in audiences
    for lang in ("id", "en")
]


def test_every_message_has_a_template_in_both_languages():
    assert available_templates() == sorted(TEMPLATE_AUDIENCES)


@pytest.mark.parametrize(("name", "audience", "lang"), CASES)
def test_every_message_renders_for_its_audiences(name: str, audience: Audience, lang: str):
    the_draft, extra = SAMPLES[name]
    message = send(render(name, lang, audience, the_draft, **extra))
    text, html = parts(message)
    assert subject(message) and "\n" not in subject(message)
    assert len(text) > 100 and html.lstrip().startswith("<!DOCTYPE html>")
    # Only inline styles: clients such as Gmail drop these, or block and track images.
    assert not re.search(r"<(style|script|svg|img)\b", html, re.I)
    if the_draft is not None:
        assert subject(message).startswith(f"[{the_draft.reg}] ")
        named = () if the_draft.is_product else (the_draft.title,)  # see the archived test
        for fact in (the_draft.reg, the_draft.opd_name, *named):
            assert fact in text and fact in html
        if the_draft.stage in ENDED:  # it stands at no stage: no flowchart
            assert "[▶]" not in text and HERE[lang] not in html
        else:
            assert "[▶]" in text and HERE[lang] in text and HERE[lang] in html


def test_plain_text_flowchart_marks_done_current_and_todo():
    text, _ = parts(
        send(
            render(
                "revision_requested",
                "id",
                Audience.OPD,
                draft(stage="perbaikan"),
                comments=COMMENTS,
            )
        )
    )
    lines = text.splitlines()
    assert " 1. [✓] Pengajuan — OPD" in lines
    assert " 2. [✓] Pemeriksaan — Bagian Hukum" in lines
    assert " 3. [▶] Perbaikan — OPD  ◀ di sini" in lines
    assert " 4. [ ] Harmonisasi — Kanwil Kementerian Hukum" in lines
    assert "10. [ ] Arsip & publikasi — Bagian Hukum" in lines


@pytest.mark.parametrize("product_type", list(ProductType))
def test_flowchart_follows_the_product_types_flow(product_type: ProductType):
    text, html = parts(
        send(render("submitted", "en", Audience.OPD, draft(product_type=product_type)))
    )
    rows = [line for line in text.splitlines() if re.match(r"^\s*\d+\. \[", line)]
    assert len(rows) == len(FLOWS[product_type])
    assert [line for line in rows if "[▶]" in line] == [
        " 2. [▶] Examination — Legal division  ◀ you are here"
    ]
    assert ("Promulgation" in text) is (product_type is not ProductType.KEPBUP)
    assert ("DPRD deliberation" in html) is (product_type is ProductType.PERDA)


def test_tracked_stage_done_out_of_order_shows_as_done():
    view = draft(stage="harmonisasi", done=frozenset({"paraf_koordinasi"}))
    text, _ = parts(
        send(render("stage_done", "id", Audience.ADMINS, view, completed_stage="paraf_koordinasi"))
    )
    assert " 4. [▶] Harmonisasi — Kanwil Kementerian Hukum  ◀ di sini" in text
    assert any(line.startswith(" 5. [✓] Paraf koordinasi") for line in text.splitlines())
    assert "Tahap berikutnya: Harmonisasi" in text


def test_comment_html_is_escaped_and_quoted_text_shown():
    hostile = [
        Note(
            author="<b>Budi</b>",
            content="Ganti <script>alert('x')</script> ini",
            quoted="Pasal <i>5</i>",
            replies=(Reply("Ani", "<img src=x>"),),
        )
    ]
    text, html = parts(
        send(
            render(
                "revision_requested",
                "id",
                Audience.OPD,
                draft(stage="perbaikan", title="Judul <script>1</script>"),
                comments=hostile,
            )
        )
    )
    assert "<script" not in html and "<img" not in html and "<b>Budi" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert 'Catatan dari <strong style="color:#1f2937;">&lt;b&gt;Budi&lt;/b&gt;</strong>' in html
    assert "Pasal &lt;i&gt;5&lt;/i&gt;" in html
    # The plain-text part is not HTML: it shows the comment exactly as written.
    assert "Ganti <script>alert('x')</script> ini" in text


def test_reviewers_notes_show_author_quote_and_replies():
    text, html = parts(
        send(
            render(
                "revision_requested",
                "id",
                Audience.OPD,
                draft(stage="perbaikan"),
                comments=COMMENTS,
            )
        )
    )
    assert "1. Catatan dari Budi Santoso" in text
    assert 'Pada teks: "Pasal 3 ayat (2)"' in text
    assert "Tarif pada ayat ini belum sesuai\n   Perda induk." in text
    assert "↳ Balasan dari Ani: Setuju, mohon diperbaiki." in text
    assert "2. Catatan dari (tanpa nama)" in text
    assert "Pada teks: “Pasal 3 ayat (2)”" in html
    assert "belum sesuai<br>\nPerda induk." in html
    # How to send the revision names the registration number and the next version.
    assert '"HK-2026-0007 perbaikan.docx"' in text and "versi 2" in text


@pytest.mark.parametrize(
    ("lang", "phrase"),
    [("id", "tidak menyertakan catatan tertulis"), ("en", "left no written notes")],
)
def test_revision_without_notes_says_so(lang: str, phrase: str):
    text, html = parts(
        send(
            render("revision_requested", lang, Audience.OPD, draft(stage="perbaikan"), comments=[])
        )
    )
    assert phrase in text and phrase in html


def test_threading_headers():
    rendered = render("submitted", "id", Audience.OPD, draft())
    reply = send(rendered, message_id="20260302.2@drivebot", thread_root="<root.7@drivebot>")
    assert reply["Message-ID"] == "<20260302.2@drivebot>"
    assert reply["In-Reply-To"] == "<root.7@drivebot>"
    assert reply["References"] == "<root.7@drivebot>"
    first = send(rendered, message_id="<root.7@drivebot>", thread_root="root.7@drivebot")
    assert first["In-Reply-To"] is None and first["References"] is None
    assert send(rendered)["In-Reply-To"] is None


def test_standard_headers():
    message = send(
        render("submitted", "id", Audience.OPD, draft()),
        to=["a@serambagiantimurkab.go.id", "b@serambagiantimurkab.go.id"],
    )
    assert message["Auto-Submitted"] == "auto-generated"
    assert [a.addr_spec for a in message["To"].addresses] == [
        "a@serambagiantimurkab.go.id",
        "b@serambagiantimurkab.go.id",
    ]
    assert message["From"].addresses[0].addr_spec == SENDER.address
    assert message["From"].addresses[0].display_name == SENDER.name
    assert parsedate_to_datetime(message["Date"]).tzinfo is not None


def test_multipart_alternative_without_attachments():
    message = send(render("submitted", "en", Audience.OPD, draft()))
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]


def test_attachments_make_multipart_mixed():
    pdf = b"%PDF-1.7\n" + bytes(range(256))
    message = send(
        render("archived", "id", Audience.OPD, SAMPLES["archived"][0]),
        attachments=[("Perbup 12 2026 salinan.pdf", "application/pdf", pdf)],
    )
    assert message.get_content_type() == "multipart/mixed"
    first, attachment = message.iter_parts()
    assert first.get_content_type() == "multipart/alternative"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "Perbup 12 2026 salinan.pdf"
    assert attachment.get_content() == pdf
    assert "Nomor 12 Tahun 2026" in parts(message)[0]


def test_non_ascii_names_are_encoded_and_decoded_back():
    sender = Sender(
        name="Bagian Hukum · Setda Kab. Seram Bagian Timur", address=SENDER.address, org=SENDER.org
    )
    title = "Rancangan Peraturan Bupati tentang “Pajak Daerah” — Tahun Anggaran 2026"
    rendered = render(
        "submitted", "id", Audience.OPD, draft(title=title, opd_name="Dinas Pariwisata & Budaya")
    )
    raw = build_message(rendered, sender, ["x@serambagiantimurkab.go.id"], "<m@drivebot>")
    headers = raw.split(b"\n\n", 1)[0]
    assert headers.isascii() and b"=?utf-8?" in headers
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["From"].addresses[0].display_name == sender.name
    assert subject(message) == f"[HK-2026-0007] Diterima: {title}"
    text, html = parts(message)
    assert title in text and "Dinas Pariwisata &amp; Budaya" in html


def test_the_message_is_well_formed_mime_and_the_same_bytes_each_time():
    rendered = render(
        "submitted",
        "id",
        Audience.OPD,
        draft(title="Rancangan tentang “Pajak Daerah” = Retribusi " * 4, opd_name="Dinas"),
    )
    to = [f"staf.nomor.{n}@dinas-kesehatan.serambagiantimurkab.go.id" for n in range(12)]
    csv_bytes = "Nomor,Judul\nHK-2026-0001,Pajak “Daerah”\n".encode("utf-8-sig")
    kwargs = dict(to=to, message_id="<m.1@drivebot>", thread_root="<m.0@drivebot>")
    attachments = [("ringkasan é.csv", "text/csv", csv_bytes)]
    raw = build_message(rendered, SENDER, attachments=attachments, **kwargs)
    assert raw == build_message(rendered, SENDER, attachments=attachments, **kwargs)
    assert max(len(line) for line in raw.split(b"\n")) <= 78
    message = roundtrip(raw)
    assert [part.defects for part in message.walk()] == [[]] * 5  # mixed, alternative, 2 texts, csv
    assert message["To"].addresses[11].addr_spec == to[11]
    assert message["In-Reply-To"] == message["References"] == "<m.0@drivebot>"
    text, html = parts(message)
    assert text.rstrip("\n") == rendered.text.rstrip("\n")
    assert html.rstrip("\n") == rendered.html.rstrip("\n")
    [attached] = list(message.iter_attachments())
    assert attached.get_filename() == "ringkasan é.csv"
    assert attached.get_payload(decode=True) == csv_bytes


def test_subject_is_one_line_even_when_the_title_is_not():
    rendered = render("submitted", "id", Audience.OPD, draft(title="Satu\nBcc: x@evil.test"))
    message = send(rendered)
    assert subject(message) == "[HK-2026-0007] Diterima: Satu Bcc: x@evil.test"
    assert message["Bcc"] is None


def test_links_only_clickable_when_they_are_web_addresses():
    _, html = parts(
        send(
            render(
                "submitted_reviewers", "id", Audience.REVIEWERS, SAMPLES["submitted_reviewers"][0]
            )
        )
    )
    assert '<a href="https://docs.google.com/document/d/abc/edit"' in html
    text, html = parts(
        send(
            render(
                "submitted_reviewers",
                "id",
                Audience.REVIEWERS,
                draft(link="review/HK-2026-0007 v1.docx"),
            )
        )
    )
    assert "Berkas kerja: review/HK-2026-0007 v1.docx" in text
    assert "<a href" not in html


def test_archived_shows_number_and_verification():
    text, html = parts(send(render("archived", "en", Audience.OPD, SAMPLES["archived"][0])))
    assert "Verification: https://jdih.example.go.id/v/HK-2026-0007" in text
    assert 'href="https://jdih.example.go.id/v/HK-2026-0007"' in html


def test_an_archived_product_is_named_once_and_no_longer_a_draft():
    message = send(render("archived", "id", Audience.OPD, SAMPLES["archived"][0]))
    text, html = parts(message)
    name = "Peraturan Bupati Nomor 12 Tahun 2026 tentang Retribusi Pelayanan Kesehatan"
    assert subject(message) == f"[HK-2026-0007] Diarsipkan: {name}"
    assert f"Judul: {name}" in text and "RINCIAN PRODUK HUKUM" in text
    assert "Rancangan" not in text and "Ranperbup" not in text and "Versi:" not in text
    # The signed link appears only where it can be a short link, never in the prose.
    prose = text.split("RINCIAN PRODUK HUKUM")[0]
    assert "https://" not in prose
    assert html.count("https://jdih.example.go.id/v/HK-2026-0007") == 1  # the href alone


def test_approved_shows_the_stages_ahead_once_in_a_formal_register():
    message = send(render("approved", "id", Audience.OPD, draft(stage="harmonisasi")))
    text, _ = parts(message)
    assert subject(message) == f"[HK-2026-0007] Disetujui: {TITLE}"
    assert text.count("Penetapan — Bupati") == 1  # in the flowchart, not listed again
    assert "senang hati" not in text and "Dengan hormat" in text
    assert '"HK-2026-0007 final.pdf"' in text


@pytest.mark.parametrize("name", sorted(TEMPLATE_AUDIENCES))
@pytest.mark.parametrize("lang", ["id", "en"])
def test_no_mail_asks_to_reply_to_the_bot_and_the_title_is_said_once(name: str, lang: str):
    the_draft, extra = SAMPLES[name]
    for audience in TEMPLATE_AUDIENCES[name]:
        message = send(render(name, lang, audience, the_draft, **extra))
        text, _ = parts(message)
        assert "balas e-mail" not in text and "reply to this" not in text
        assert subject(message).count(TITLE) <= 1
        assert not re.search(r"Rancangan (diterima|disetujui): Rancangan", subject(message))


REJECT_KEYS = [
    "already_registered",
    "not_under_review",
    "not_open_for_revision",
    "stage_not_open",
    "not_yet_approved",
]
FILE_REASONS = [
    "unsupported_type",
    "too_large",
    "pdf_corrupt",
    "pdf_encrypted",
    "pdf_active",
    "docx_corrupt",
    "docx_encrypted",
    "doc_format",
    "docx_macros",
    "docx_crafted",
    "docx_too_large",
    "empty_file",
    "no_attachment",
    "unknown_draft",
    "unknown_opd_folder",
    "mail_too_deep",
    "mail_unreadable",
]


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("reason_key", REJECT_KEYS)
def test_every_refusal_has_its_own_explanation(lang: str, reason_key: str):
    text, _ = parts(
        send(
            render(
                "rejected_event",
                lang,
                Audience.OPD,
                draft(),
                reason_key=reason_key,
                file_name="x.docx",
            )
        )
    )
    generic = {"id": "tidak sesuai dengan tahap", "en": "does not fit the draft"}[lang]
    assert generic not in text and '"x.docx"' in text


def test_a_wrong_type_is_not_told_that_pdfs_are_only_for_finals():
    text, _ = parts(
        send(
            render(
                "file_quarantined",
                "id",
                Audience.OPD,
                None,
                file_name="anggaran.xlsx",
                reason="unsupported_type",
            )
        )
    )
    assert "Word (.docx) atau PDF" in text and "final" not in text.lower()


def test_names_are_shown_with_their_hidden_characters_made_visible():
    disguised = "Ranperbup revisi\u202excod.exe"  # reads as "...revisiexe.docx" otherwise
    for template, extra in (
        ("file_quarantined", {"reason": "unsupported_type"}),
        ("bad_input_report", {"reason": "unsupported_type", "detail": ""}),
    ):
        message = send(
            render(
                template,
                "id",
                Audience.OPD if template == "file_quarantined" else Audience.ADMINS,
                None,
                file_name=disguised,
                **extra,
            )
        )
        text, html = parts(message)
        assert "\u202e" not in text and "\u202e" not in html and "\u202e" not in subject(message)
        assert "revisi[U+202E]xcod.exe" in text and "revisi[U+202E]xcod.exe" in html


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("reason", FILE_REASONS)
def test_every_quarantine_reason_is_explained(lang: str, reason: str):
    text, _ = parts(
        send(
            render(
                "file_quarantined",
                lang,
                Audience.OPD,
                None,
                file_name="berkas.bin",
                reason=reason,
                limit_mb=25,
            )
        )
    )
    words = i18n.section(lang, "reason")
    assert reason in words, "every refusal has its own words"  # not the generic fallback
    own = words[reason]
    assert own["what"].format(limit_mb=25) in " ".join(text.split())
    assert own["todo"].format(inbox="00 Masuk") in " ".join(text.split())
    assert words["other"]["what"] not in text
    assert "Pemeriksaan" not in text and "Examination" not in text  # no draft, no flowchart
    report, _ = parts(
        send(
            render(
                "bad_input_report",
                lang,
                Audience.ADMINS,
                None,
                file_name="berkas.bin",
                opd_name=None,
                reason=reason,
                detail="",
            )
        )
    )
    assert own["what"].format(limit_mb="-") in " ".join(report.split())


def test_too_large_names_the_limit():
    text, _ = parts(
        send(
            render(
                "file_quarantined",
                "id",
                Audience.OPD,
                draft(),
                file_name="scan.pdf",
                reason="too_large",
                limit_mb=25,
            )
        )
    )
    assert "melebihi batas 25 MB" in text and "Yth. Bapak/Ibu di Dinas Kesehatan," in text


def test_unknown_sender_is_reported_not_answered():
    _, extra = SAMPLES["unknown_sender"]
    text, html = parts(
        send(
            render(
                "unknown_sender",
                "id",
                Audience.ADMINS,
                None,
                **{**extra, "sender": "Mallory <m@evil.test>"},
            )
        )
    )
    assert "TIDAK dibalas" in text and "• Pengirim: Mallory <m@evil.test>" in text
    assert "Mallory &lt;m@evil.test&gt;" in html
    assert "2 Maret 2026 08.15" in text


def test_digest_lists_late_drafts_first():
    drafts = [
        draft(reg="HK-2026-0001", waiting_days=2),
        draft(reg="HK-2026-0002", waiting_days=7),
        draft(reg="HK-2026-0003", waiting_days=8, stage="harmonisasi"),
        draft(reg="HK-2026-0004", waiting_days=30, stage="perbaikan"),
        draft(reg="HK-2026-0005", waiting_days=99, stage="arsip"),
    ]
    message = send(
        render("digest", "id", Audience.ADMINS, None, drafts=drafts, today=date(2026, 3, 2))
    )
    text, html = parts(message)
    assert subject(message) == "Ringkasan rancangan 2 Maret 2026: 4 berjalan, 2 terlambat"
    order = re.findall(r"HK-2026-000\d", text)
    assert order == ["HK-2026-0004", "HK-2026-0003", "HK-2026-0002", "HK-2026-0001"]
    late, others = text.split("LAINNYA")
    assert "HK-2026-0003 · Harmonisasi · 8 hari" in late and "HK-2026-0002" in others
    assert "HK-2026-0005" not in html  # archived drafts are not open
    assert re.search(r"<tr style=\"background:#fef2f2;\">\s*<td[^>]*><strong>HK-2026-0004", html)


def test_the_admins_deadline_summary_shows_the_first_lines_and_counts_the_rest():
    _, values = SAMPLES["deadline_summary"]  # shown=1: two late drafts, one nearly due
    rendered = render("deadline_summary", "id", Audience.ADMINS, None, **values)
    text = " ".join(parts(send(rendered))[0].split())
    assert rendered.subject == (
        "Batas waktu per 26 Maret 2026: 2 rancangan terlambat, 1 mendekati batas waktu"
    )
    assert "HK-2026-0007" in text and "HK-2026-0008" not in text
    assert "dan 1 rancangan terlambat lainnya" in text
    assert "TERLAMBAT 3 hari kerja" in text and "Ini pemberitahuan ke-2." in text
    assert "sampai 30 Maret 2026 (sisa 2 hari)" in text  # a limit in calendar days


def test_empty_digest():
    text, _ = parts(
        send(render("digest", "en", Audience.ADMINS, None, drafts=[], today=date(2026, 3, 2)))
    )
    assert "There are no open drafts on 2 March 2026." in text


def test_error_report_shows_detail():
    text, html = parts(
        send(
            render(
                "error_report",
                "en",
                Audience.ADMINS,
                None,
                summary="Drive did not answer",
                detail="Traceback:\n  <HttpError 500>",
            )
        )
    )
    assert "Traceback:\n  <HttpError 500>" in text
    assert "&lt;HttpError 500&gt;" in html and "<pre" in html


def test_wrong_calls_fail_loudly():
    with pytest.raises(ValueError, match="language"):
        render("submitted", "fr", Audience.OPD, draft())
    with pytest.raises(ValueError, match="no e-mail template"):
        render("../layout.text", "id", Audience.OPD, draft())
    with pytest.raises(ValueError, match="about a draft"):
        render("submitted", "id", Audience.OPD, None)
    with pytest.raises(Exception, match="comments"):
        render("revision_requested", "id", Audience.OPD, draft(stage="perbaikan"))
    with pytest.raises(ValueError, match="recipient"):
        build_message(render("submitted", "id", Audience.OPD, draft()), SENDER, [], "<m@x>")


def test_a_refused_move_tells_the_reviewers_where_to_put_the_file_back():
    rendered = render(
        "rejected_event",
        "id",
        Audience.REVIEWERS,
        draft(stage="perbaikan"),
        reason_key="not_under_review",
        moved_to="03 Disetujui",
        back_to="02 Perbaikan",
    )
    text, _ = parts(send(rendered))
    assert rendered.subject == f"[HK-2026-0007] Pemindahan tidak dicatat: {TITLE}"
    assert 'dipindahkan ke folder "03 Disetujui"' in text
    assert "rancangan ini sedang tidak dalam pemeriksaan" in text
    assert 'Mohon pindahkan kembali berkas ke folder "02 Perbaikan".' in text


def test_a_misplaced_file_is_explained_with_the_folders_to_use():
    the_draft, extra = SAMPLES["misplaced"]
    text, _ = parts(send(render("misplaced", "id", Audience.REVIEWERS, the_draft, **extra)))
    assert 'dipindahkan ke folder "04 Final"' in text
    assert 'Mohon pindahkan kembali berkas ke folder "01 Pemeriksaan".' in text
    assert '"02 Perbaikan"' in text and '"03 Disetujui"' in text


@pytest.mark.parametrize("lang", ["id", "en"])
def test_an_e_mail_without_attachment_is_not_called_a_file(lang: str):
    for name, audience in (
        ("file_quarantined", Audience.OPD),
        ("bad_input_report", Audience.ADMINS),
    ):
        rendered = render(
            name, lang, audience, None, mail_subject="Mohon arahan", reason="no_attachment"
        )
        text, _ = parts(send(rendered))
        assert "Mohon arahan" in rendered.subject
        assert not re.search(r"\b(Berkas|File)\b", rendered.subject + text.split("--")[0])


def test_the_mail_tag_of_an_attachment_is_not_shown():
    rendered = render(
        "file_quarantined",
        "id",
        Audience.OPD,
        None,
        file_name="HK-2026-0007 Ranperbup (surel ee7e50b9).doc",
        reason="doc_format",
    )
    assert "surel" not in rendered.subject + rendered.text + rendered.html
    assert '"HK-2026-0007 Ranperbup.doc"' in rendered.text


def test_subjects_keep_every_space_whatever_their_length_and_letters():
    """CPython's header folder writes adjacent encoded words with the space between them
    outside, where RFC 2047 says to drop it: "“Pajak Daerah”" came back as "“PajakDaerah”" in
    a quarter of long non-ASCII subjects. Every one must come back exactly."""
    words = [
        "Peraturan",
        "Bupati",
        "tentang",
        "“Pajak",
        "Daerah”",
        "—",
        "Tahun",
        "2026",
        "é",
        "Ñoño",
        "’s",
        "Ambon–Masohi",
    ]
    rng = random.Random(7)
    for _ in range(400):
        title = "Rancangan " + " ".join(rng.choice(words) for _ in range(rng.randint(2, 24)))
        rendered = render("submitted", "id", Audience.OPD, draft(title=title))
        message = send(rendered)
        assert subject(message) == rendered.subject == f"[HK-2026-0007] Diterima: {title}"
        header = message.as_bytes().split(b"\n\n", 1)[0]
        assert header.isascii() and max(len(line) for line in header.split(b"\n")) <= 78


def test_the_reviewer_summary_says_the_limits_unit():
    batch = [
        draft(days_late=2, due=date(2026, 3, 2)),
        draft(reg="HK-2026-0008", days_late=3, due=date(2026, 3, 1), calendar_days=True),
    ]
    extra = {"batch": batch, "today": date(2026, 3, 4), "remind_before": 2}
    text = render("reviewer_summary", "id", Audience.REVIEWERS, None, **extra).text
    assert "TERLAMBAT 2 hari kerja" in text and "TERLAMBAT 3 hari)" in text
