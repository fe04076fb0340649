"""Signing in with Google as a person does it, in headless Chromium: the dashboard's button, the
local Google's account chooser, back on the board; `drivebot serve`'s site on waitress."""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
from collections.abc import Iterator

import pytest
from fakegoogle import FakeGoogle
from playwright.sync_api import Browser
from test_dashboard import office
from test_dashboard_browser import WIDTHS, browser, pytestmark, shoot  # noqa: F401
from waitress.server import create_server

from drivebot import bootstrap
from drivebot.config import load

ADMIN = "kabag.hukum@sbtkab.example"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def google() -> Iterator[FakeGoogle]:
    with FakeGoogle() as server:
        server.openid.signed_in.extend([ADMIN, "tamu@gmail.com"])
        yield server


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, google: FakeGoogle) -> Iterator[str]:
    workspace = office(tmp_path_factory.mktemp("office"))
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    client = google.openid.web_client([f"{base}dasbor/masuk/google/kembali"])
    (workspace / "web-client.json").write_text(json.dumps(client), encoding="utf-8")
    config = dataclasses.replace(load(workspace), backend="google", base_url=base)
    server = create_server(bootstrap.web(config, "id"), host="127.0.0.1", port=port)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield base.rstrip("/")
    finally:
        server.close()


def test_an_admin_signs_in_with_google(site: str, browser: Browser) -> None:  # noqa: F811
    page = browser.new_context(viewport={"width": WIDTHS["phone"], "height": 800}).new_page()
    page.goto(f"{site}/dasbor/?q=puskesmas")
    assert page.url.startswith(f"{site}/dasbor/masuk")
    shoot(page, "sign-in-google-phone")
    page.get_by_role("link", name="Masuk dengan Google").click()
    assert "Choose an account" in page.content()  # Google's chooser
    page.get_by_role("link", name=ADMIN).click()
    assert page.url == f"{site}/dasbor/?q=puskesmas"
    assert page.locator(".cards li").count() == 1


def test_someone_not_listed_is_told_and_stays_out(site: str, browser: Browser) -> None:  # noqa: F811
    page = browser.new_context().new_page()
    page.goto(f"{site}/dasbor/masuk")
    page.get_by_role("link", name="Masuk dengan Google").click()
    page.get_by_role("link", name="tamu@gmail.com").click()
    assert "tidak terdaftar sebagai pemeriksa atau admin" in page.get_by_role("alert").inner_text()
    page.goto(f"{site}/dasbor/")
    assert page.url.startswith(f"{site}/dasbor/masuk")
