"""The OPDs' tracking pages (drivebot.tracking, drivebot.web.tracking_page): the link in a real
sent e-mail opens its draft's page; a changed, foreign or revoked token gets "tidak ditemukan";
the division's e-mails link the dashboard instead."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from test_dashboard import NOTE, cli, office, reg_of, sent_mails

from drivebot import bootstrap, tracking
from drivebot.config import load

BASE = "https://jdih.sbtkab.example/"


def links_in(message, prefix: str) -> list[str]:
    text = message.get_body(("plain",)).get_content()
    return re.findall(re.escape(prefix) + r"\S+", text)


def tracking_links(workspace: Path, to: str) -> list[str]:
    return [
        link
        for message in sent_mails(workspace)
        if to in str(message["To"])
        for link in links_in(message, BASE + "lacak/")
    ]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return office(tmp_path)


@pytest.fixture
def client(workspace: Path) -> FlaskClient:
    return bootstrap.web(load(workspace), "id").test_client()


def path_of(link: str) -> str:
    return "/" + link.removeprefix(BASE)


def test_the_link_in_the_opds_email_opens_its_drafts_page(
    client: FlaskClient, workspace: Path
) -> None:
    reg = reg_of(workspace, "Sekolah")
    assert cli(workspace, "assign", reg, "analis.hukum@sbtkab.example")[0] == 0
    (link,) = tracking_links(workspace, "dikbud@sbtkab.example")  # one draft, one e-mail
    assert link.startswith(f"{BASE}lacak/{reg}.0.")
    page = client.get(path_of(link))
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Bantuan Operasional Sekolah Daerah" in text and reg in text
    assert re.search(r'aria-current="step"><strong>Pemeriksaan', text)
    assert "Puskesmas" not in text and "Retribusi" not in text  # no other draft
    assert "analis.hukum" not in text and "Analis Hukum" not in text  # not whom it is assigned to


def test_a_changed_foreign_or_made_up_token_is_not_found(
    client: FlaskClient, workspace: Path
) -> None:
    (link,) = tracking_links(workspace, "dikbud@sbtkab.example")
    reg, generation, mac = link.rsplit("/", 1)[1].split(".")
    other = reg_of(workspace, "Puskesmas")
    flipped = mac[:-1] + ("A" if mac[-1] != "A" else "B")
    for token in (
        f"{reg}.{generation}.{flipped}",  # one character changed
        f"{other}.{generation}.{mac}",  # another draft's number under this MAC
        f"{reg}.1.{mac}",  # another generation
        f"{reg}.00.{mac}",  # the same generation, written otherwise
        tracking.token(b"another workspace's key" * 2, reg, int(generation)),
        "HK-2026-0001",
    ):
        answer = client.get(f"/lacak/{token}")
        assert answer.status_code == 404, token
        assert "tidak ditemukan" in answer.get_data(as_text=True).lower()


def test_renewing_revokes_the_links_sent_before(client: FlaskClient, workspace: Path) -> None:
    reg = reg_of(workspace, "Sekolah")
    (old,) = tracking_links(workspace, "dikbud@sbtkab.example")
    code, said = cli(workspace, "link", reg, "--renew")
    assert code == 0
    (new,) = re.findall(re.escape(BASE) + r"lacak/\S+", said)
    store = bootstrap.store(load(workspace), readonly=True)
    assert [e.event for e in store.history(reg)][-1] == "link_renewed"
    assert new != old and new.startswith(f"{BASE}lacak/{reg}.1.")
    assert client.get(path_of(old)).status_code == 404
    assert client.get(path_of(new)).status_code == 200
    assert cli(workspace, "approve", reg)[0] == 0
    assert tracking_links(workspace, "dikbud@sbtkab.example")[-1] == new  # the next e-mail's


def test_the_notes_to_address_show_without_the_reviewers_names(workspace: Path) -> None:
    reg = reg_of(workspace, "Puskesmas")
    assert cli(workspace, "revise", reg)[0] == 0
    link = tracking_links(workspace, "dinkes@sbtkab.example")[-1]
    page = bootstrap.web(load(workspace), "id").test_client().get(path_of(link))
    text = page.get_data(as_text=True)
    assert NOTE in text and "Analis Hukum" not in text
    assert re.search(r'aria-current="step"><strong>Perbaikan', text)
    config = (workspace / "drivebot.toml").read_text(encoding="utf-8")
    (workspace / "drivebot.toml").write_text(
        config.replace("[web]\n", "[web]\nshow_reviewer_names = true\n"), encoding="utf-8"
    )
    named = bootstrap.web(load(workspace), "id").test_client().get(path_of(link))
    assert "Analis Hukum" in named.get_data(as_text=True)


def test_the_divisions_emails_link_the_dashboard_and_the_opds_do_not(workspace: Path) -> None:
    reg = reg_of(workspace, "Sekolah")
    assert cli(workspace, "approve", reg)[0] == 0
    about = [m for m in sent_mails(workspace) if f"[{reg}]" in str(m["Subject"])]
    to_admins = [m for m in about if "kabag.hukum@sbtkab.example" in str(m["To"])]
    to_opd = [m for m in about if "dikbud@sbtkab.example" in str(m["To"])]
    assert to_admins and to_opd
    for message in to_admins:
        assert links_in(message, BASE + "dasbor/") == [f"{BASE}dasbor/rancangan/{reg}"]
        opened = bootstrap.web(load(workspace), "id").test_client().get(f"/dasbor/rancangan/{reg}")
        assert opened.headers["Location"].startswith("/dasbor/masuk")  # the page, signed in
        assert not links_in(message, BASE + "lacak/")
    for message in to_opd:
        assert not links_in(message, BASE + "dasbor/") and links_in(message, BASE + "lacak/")


def test_without_a_site_address_no_links_are_sent(tmp_path: Path) -> None:
    """A configuration from before [web] names only where the QR codes lead, maybe another
    server: no page is guessed for the e-mails."""
    workspace = office(tmp_path, {"web": {}, "stamp": {"verify_url_base": BASE + "verifikasi/"}})
    assert all(
        not links_in(m, BASE + "lacak/") and not links_in(m, BASE + "dasbor/")
        for m in sent_mails(workspace)
    )
    code, said = cli(workspace, "link", reg_of(workspace, "Sekolah"))
    assert code != 0 and "[web] base_url" in said
