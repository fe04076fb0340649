"""Every e-mail's HTML, as a phone shows it: headless chromium at 360 px, no sideways scroll.

All renderings (each message, audience and language, with the longest values drivebot meets:
an 86-character signature in the verification link, file names without spaces, a traceback
line) go into one page, each in an iframe 360 px wide; a script measures each one's width."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from test_emails import SAMPLES, draft
from test_web import _chromium, needs_chromium

from drivebot.notify.emails import TEMPLATE_AUDIENCES, render

PHONE = 360
LONG_NAME = "HK-2026-0007_Ranperbup_Retribusi_Pelayanan_Kesehatan_Revisi_Ketiga_Final_OK.docx"
SIGNED = "https://jdih.sbtkab.go.id/verifikasi/HK-2026-0007?s=" + "Qx7-" * 21 + "Ab"
LONGEST = {
    "file_name": LONG_NAME,
    "detail": "Traceback: drivebot.errors.TransientError: " + "x" * 160,
    "sender": "pengirim.dengan.alamat.yang.sangat.panjang@subdomain.pemerintah.example.go.id",
}


def _renderings() -> list[tuple[str, str]]:
    pages = []
    for name, audiences in sorted(TEMPLATE_AUDIENCES.items()):
        the_draft, extra = SAMPLES[name]
        if the_draft is not None:
            the_draft = draft(
                **{
                    **the_draft.__dict__,
                    "link": "https://docs.google.com/document/d/" + "a1B2" * 11 + "/edit",
                    "verify_url": SIGNED if the_draft.number else None,
                }
            )
        values = {**extra, **{k: v for k, v in LONGEST.items() if k in extra}}
        for audience in audiences:
            for lang in ("id", "en"):
                rendered = render(name, lang, audience, the_draft, **values)
                pages.append((f"{name}/{audience.value}/{lang}", rendered.html))
    return pages


@needs_chromium
def test_no_e_mail_is_wider_than_a_360_px_phone(tmp_path: Path) -> None:
    pages = _renderings()
    frames = "".join(
        f'<iframe id="f{i}" style="width:{PHONE}px;height:900px;border:0;display:block"'
        f' srcdoc="{html.escape(page, quote=True)}"></iframe>'
        for i, (_, page) in enumerate(pages)
    )
    measure = (
        "<script>window.addEventListener('load', () => {"
        "const widths = [...document.querySelectorAll('iframe')].map(f =>"
        " f.contentDocument.documentElement.scrollWidth);"
        "document.body.setAttribute('data-widths', JSON.stringify(widths));});</script>"
    )
    page = tmp_path / "phones.html"
    page.write_text(f"<!DOCTYPE html><html><body>{frames}{measure}</body></html>", "utf-8")
    dom = _chromium(
        tmp_path / "profile", "--virtual-time-budget=10000", "--dump-dom", page.as_uri()
    )
    found = re.search(r'data-widths="([^"]*)"', dom)
    assert found, "the measuring script did not run"
    widths = json.loads(html.unescape(found.group(1)))
    assert len(widths) == len(pages)
    too_wide = {
        name: width for (name, _), width in zip(pages, widths, strict=True) if width > PHONE
    }
    assert too_wide == {}
