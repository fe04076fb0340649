"""The dashboard as a person uses it (sign in, the board, a draft's page, sign out): headless
Chromium (Debian's) driven by Playwright, against `drivebot serve`'s own site on waitress.
Screenshots of each page at phone and desktop widths are written to $DRIVEBOT_ARTIFACTS
(default: artifacts/screenshots in the checkout), not kept in git."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from test_dashboard import ADMIN, PASSWORD, office
from test_tracking import tracking_links
from waitress.server import create_server

from drivebot import bootstrap
from drivebot.config import load

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium (Debian package: chromium)")
ARTIFACTS = (
    Path(os.environ.get("DRIVEBOT_ARTIFACTS") or Path(__file__).parent.parent / "artifacts")
    / "screenshots"
)
WIDTHS = {"phone": 360, "desktop": 1280}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return office(tmp_path_factory.mktemp("office"))


@pytest.fixture(scope="module")
def site(workspace: Path) -> Iterator[str]:
    """A workspace driven through the loop, served as `drivebot serve` serves it."""
    server = create_server(bootstrap.web(load(workspace), "id"), host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def shoot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_reviewer_signs_in_and_sees_the_board(site: str, browser: Browser, width: str) -> None:
    context = browser.new_context(viewport={"width": WIDTHS[width], "height": 800})
    page = context.new_page()
    page.goto(f"{site}/dasbor/?q=puskesmas")
    assert page.url.startswith(f"{site}/dasbor/masuk")  # the board needs signing in
    shoot(page, f"sign-in-{width}")
    page.get_by_label("Alamat e-mail").fill(ADMIN)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    assert page.url == f"{site}/dasbor/?q=puskesmas"  # back where the link pointed
    assert page.locator(".cards li").count() == 1
    page.get_by_label("Cari").fill("")
    page.get_by_role("button", name="Terapkan").click()
    assert page.locator(".cards li").count() == 3
    assert "Tarif Layanan Puskesmas" in page.locator("#col-pemeriksaan").locator("..").inner_text()
    if width == "phone":  # nothing runs off the side of a phone's screen
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[width]
    shoot(page, f"board-{width}")
    page.get_by_role(
        "link", name="Rancangan Peraturan Bupati tentang Tarif Layanan Puskesmas"
    ).click()
    assert page.get_by_role("heading", level=1).inner_text().endswith("Tarif Layanan Puskesmas")
    assert page.locator('[aria-current="step"]').inner_text().startswith("Pemeriksaan")
    if width == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[width]
    shoot(page, f"draft-{width}")
    page.get_by_role("link", name="Angka dan grafik").click()
    assert page.get_by_role("img", name="Rancangan masuk per bulan").count() == 1
    if width == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[width]
    shoot(page, f"figures-{width}")
    page.get_by_role("button", name="Keluar").click()
    page.goto(f"{site}/dasbor/")
    assert page.url.startswith(f"{site}/dasbor/masuk")
    context.close()


def test_a_form_posted_without_its_token_is_refused(site: str, browser: Browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{site}/dasbor/masuk")  # a session with a token exists; the post omits it
    answer = context.request.post(
        f"{site}/dasbor/masuk", form={"email": ADMIN, "password": PASSWORD}
    )
    assert answer.status == 400 and "Formulir kedaluwarsa" in answer.text()
    page.goto(f"{site}/dasbor/")
    assert page.url.startswith(f"{site}/dasbor/masuk")  # still not signed in
    context.close()


def test_a_reviewer_approves_from_the_drafts_page(site: str, browser: Browser) -> None:
    page = browser.new_context().new_page()
    page.goto(f"{site}/dasbor/masuk")
    page.get_by_label("Alamat e-mail").fill(ADMIN)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.get_by_role(
        "link", name="Rancangan Peraturan Bupati tentang Bantuan Operasional Sekolah Daerah"
    ).click()
    page.get_by_role("button", name="Setujui").focus()
    page.keyboard.press("Enter")  # by keyboard, as anyone may
    assert page.get_by_role("status").inner_text() == (
        "Rancangan disetujui. OPD dan admin telah diberi tahu."
    )
    assert page.locator('[aria-current="step"]').inner_text().startswith("Harmonisasi")
    shoot(page, "draft-commands-desktop")
    page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_tracking_link_of_a_sent_email_opens_in_the_browser(
    site: str, workspace: Path, browser: Browser, width: str
) -> None:
    link = tracking_links(workspace, "dikbud@sbtkab.example")[-1]  # the latest e-mail's
    page = browser.new_context(viewport={"width": WIDTHS[width], "height": 800}).new_page()
    page.goto(site + "/" + link.split("/", 3)[3])  # the e-mail's path, on this server
    assert page.get_by_role("heading", level=1).inner_text().endswith("Sekolah Daerah")
    assert page.get_by_role("link").count() == 0  # nothing leads elsewhere
    assert page.locator('[aria-current="step"]').count() == 1
    if width == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[width]
    shoot(page, f"tracking-{width}")
    page.goto(site + "/" + link.split("/", 3)[3][:-2] + "xx")
    assert page.get_by_role("alert").inner_text().startswith("Tidak ditemukan")
    page.context.close()
