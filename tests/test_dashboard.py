"""The dashboard (drivebot.web.dashboard) through Flask's test client, on a workspace whose
drafts came in through the real loop: signing in, sessions, CSRF, the board and its filters."""

from __future__ import annotations

import io
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest.mock import patch

import pytest
from builders import NoteSpec, draft_docx, write_config
from flask.testing import FlaskClient

from drivebot import bootstrap
from drivebot.cli.console import Console
from drivebot.cli.main import main
from drivebot.config import load
from drivebot.web import accounts
from drivebot.web.dashboard import SESSION_HOURS

PASSWORD = "kata-sandi-panjang"
NOTE = "Definisi Daerah belum memuat nama ibu kota kabupaten."
PUSKESMAS = draft_docx(subject="Tarif Layanan Puskesmas", notes=(NoteSpec("Pasal 1", NOTE),))
ADMIN = "kabag@sbtkab.example"


class Moment:
    """The web's clock, moved by the tests."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def cli(workspace: Path, *args: str, stdin: str = "") -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with patch.object(sys, "stdin", io.StringIO(stdin)):  # what --password-stdin reads
        code = main([*args, "--workspace", str(workspace)], Console(out, err))
    return code, out.getvalue() + err.getvalue()


def office(tmp_path: Path, settings: dict | None = None) -> Path:
    """Three drafts from two agencies, taken in by the loop; one admin account."""
    write_config(tmp_path, settings)
    service = bootstrap.app(load(tmp_path))
    service.drive.ensure_folders([opd.folder for opd in service.config.opds])
    inbox = tmp_path / "drive" / "00 Masuk"
    (inbox / "Dinas Kesehatan" / "Ranperbup Retribusi.docx").write_bytes(
        draft_docx(subject="Retribusi Pelayanan Kesehatan")
    )
    (inbox / "Dinas Kesehatan" / "Ranperbup Puskesmas.docx").write_bytes(PUSKESMAS)
    (inbox / "Dinas Pendidikan" / "Ranperbup Sekolah.docx").write_bytes(
        draft_docx(subject="Bantuan Operasional Sekolah Daerah")
    )
    service.cycle()
    assert len(service.store.drafts()) == 3
    code, said = cli(tmp_path, "user", "add", ADMIN, "--role", "admin", "--password-stdin",
                     stdin=PASSWORD + "\n")  # fmt: skip
    assert code == 0, said
    return tmp_path


@pytest.fixture
def moment() -> Moment:
    return Moment()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return office(tmp_path)


@pytest.fixture
def client(workspace: Path, moment: Moment) -> FlaskClient:
    app = bootstrap.web(load(workspace), "id", clock=moment)
    app.testing = True
    return app.test_client()


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def sign_in(client: FlaskClient, password: str = PASSWORD, email: str = ADMIN):
    form = client.get("/dasbor/masuk").get_data(as_text=True)
    return client.post(
        "/dasbor/masuk",
        data={"email": email, "password": password, "csrf": csrf_of(form), "next": "/dasbor/"},
    )


def test_nothing_of_the_dashboard_is_reachable_without_signing_in(client: FlaskClient) -> None:
    for path in ("/dasbor/", "/dasbor/?q=R"):
        answer = client.get(path)
        assert answer.status_code == 302, path
        assert answer.headers["Location"].startswith("/dasbor/masuk?next="), path
    assert client.get("/").status_code == 200  # the verification pages stay public


def test_signing_in_shows_the_board_with_the_drafts_the_loop_took_in(client: FlaskClient) -> None:
    answer = sign_in(client)
    assert answer.status_code == 302 and answer.headers["Location"] == "/dasbor/"
    board = client.get("/dasbor/").get_data(as_text=True)
    for title in ("Retribusi Pelayanan Kesehatan", "Tarif Layanan Puskesmas", "Sekolah Daerah"):
        assert title in board
    column = board[board.index('id="col-pemeriksaan"') : board.index('id="col-perbaikan"')]
    assert column.count('class="reg"') == 3  # all three wait for review
    assert "3 rancangan dalam proses, 0 di antaranya melewati batas waktu." in board


def test_filters_and_search_narrow_the_board(client: FlaskClient, workspace: Path) -> None:
    sign_in(client)
    only_school = client.get("/dasbor/?opd=Dinas+Pendidikan+dan+Kebudayaan").get_data(True)
    assert "Sekolah Daerah" in only_school and "Puskesmas" not in only_school
    found = client.get("/dasbor/?q=puskesmas").get_data(as_text=True)
    assert "Tarif Layanan Puskesmas" in found and "Retribusi Pelayanan" not in found
    store = bootstrap.store(load(workspace), readonly=True)
    reg = next(d.reg for d in store.drafts() if "Retribusi" in d.title)
    by_reg = client.get(f"/dasbor/?q={reg.lower()}").get_data(as_text=True)
    assert reg in by_reg and by_reg.count('class="reg"') == 1
    assert client.get("/dasbor/?jenis=perda").get_data(as_text=True).count('class="reg"') == 0


def test_a_wrong_password_or_unknown_account_is_refused_alike(client: FlaskClient) -> None:
    wrong = sign_in(client, password="bukan-kata-sandinya")
    unknown = sign_in(client, email="siapa@sbtkab.example")
    for answer in (wrong, unknown):
        assert answer.status_code == 401
        assert "Alamat e-mail atau kata sandi salah." in answer.get_data(as_text=True)
    assert client.get("/dasbor/").status_code == 302


def test_repeated_failures_are_slowed_down_even_for_the_right_password(
    client: FlaskClient, moment: Moment
) -> None:
    for _ in range(accounts.FREE_FAILURES):
        assert sign_in(client, password="salah-salah-salah").status_code == 401
    refused = sign_in(client)
    assert refused.status_code == 429
    assert "Coba lagi dalam 2 detik." in refused.get_data(as_text=True)
    moment.now += timedelta(seconds=accounts.FIRST_WAIT)
    assert sign_in(client).status_code == 302
    assert client.get("/dasbor/").status_code == 200


def test_a_post_without_the_csrf_token_is_refused(client: FlaskClient) -> None:
    client.get("/dasbor/masuk")
    answer = client.post("/dasbor/masuk", data={"email": ADMIN, "password": PASSWORD})
    assert answer.status_code == 400
    assert "Formulir kedaluwarsa" in answer.get_data(as_text=True)
    assert client.get("/dasbor/").status_code == 302  # not signed in
    sign_in(client)
    assert client.post("/dasbor/keluar", data={"csrf": "tebakan"}).status_code == 400
    assert client.get("/dasbor/").status_code == 200  # still signed in


def test_the_session_ends_after_a_working_day_and_on_sign_out(
    client: FlaskClient, moment: Moment
) -> None:
    sign_in(client)
    moment.now += timedelta(hours=SESSION_HOURS) - timedelta(minutes=1)
    assert client.get("/dasbor/").status_code == 200
    moment.now += timedelta(minutes=2)
    assert client.get("/dasbor/").status_code == 302
    sign_in(client)
    board = client.get("/dasbor/").get_data(as_text=True)
    assert client.post("/dasbor/keluar", data={"csrf": csrf_of(board)}).status_code == 302
    assert client.get("/dasbor/").status_code == 302


def test_a_new_password_or_a_removed_account_ends_its_sessions(
    client: FlaskClient, workspace: Path
) -> None:
    sign_in(client)
    code, _ = cli(workspace, "user", "add", ADMIN, "--role", "admin", "--password-stdin",
                  stdin="kata-sandi-yang-baru\n")  # fmt: skip
    assert code == 0
    assert client.get("/dasbor/").status_code == 302
    assert sign_in(client).status_code == 401  # the old password no longer works
    assert sign_in(client, password="kata-sandi-yang-baru").status_code == 302
    assert cli(workspace, "user", "remove", ADMIN)[0] == 0
    assert client.get("/dasbor/").status_code == 302


def test_the_session_cookie_is_the_dashboards_own(client: FlaskClient) -> None:
    answer = sign_in(client)
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("drivebot_dasbor=")
    for flag in ("HttpOnly", "SameSite=Lax", "Path=/dasbor", "Secure"):
        assert flag in cookie, cookie  # Secure: the sample's address is https


def test_after_signing_in_only_a_dashboard_page_is_a_destination(client: FlaskClient) -> None:
    form = client.get("/dasbor/masuk").get_data(as_text=True)
    for target, expected in (
        ("/dasbor/?q=puskesmas", "/dasbor/?q=puskesmas"),
        ("//evil.example/dasbor/", "/dasbor/"),
        ("https://evil.example/", "/dasbor/"),
    ):
        answer = client.post(
            "/dasbor/masuk",
            data={"email": ADMIN, "password": PASSWORD, "csrf": csrf_of(form), "next": target},
        )
        assert answer.headers["Location"] == expected
        form = client.get("/dasbor/masuk").get_data(as_text=True)


def test_accounts_from_the_command_line(workspace: Path) -> None:
    code, said = cli(workspace, "user", "add", "pemeriksa@sbtkab.example", "--password-stdin",
                     stdin="pendek\n")  # fmt: skip
    assert code != 0 and "paling sedikit 10 karakter" in said
    code, said = cli(workspace, "user", "list")
    assert code == 0 and said.split() == [ADMIN, "admin"]
    code, said = cli(workspace, "user", "remove", "siapa@sbtkab.example")
    assert code != 0 and "Tidak ada akun siapa@sbtkab.example." in said
    store = bootstrap.store(load(workspace), readonly=True)
    stored = store.account(ADMIN)
    assert stored is not None and stored.password_hash is not None
    assert PASSWORD not in stored.password_hash and stored.password_hash.startswith("$argon2id$")


def reg_of(workspace: Path, title_part: str) -> str:
    store = bootstrap.store(load(workspace), readonly=True)
    return next(d.reg for d in store.drafts() if title_part in d.title)


def test_a_drafts_page_shows_its_flow_history_versions_and_emails(
    client: FlaskClient, workspace: Path
) -> None:
    sign_in(client)
    reg = reg_of(workspace, "Puskesmas")
    board = client.get("/dasbor/").get_data(as_text=True)
    assert f'href="/dasbor/rancangan/{reg}"' in board  # the card links to the page
    page = client.get(f"/dasbor/rancangan/{reg}").get_data(as_text=True)
    assert re.search(r'<li class="current" aria-current="step"><strong>Pemeriksaan', page)
    assert re.search(r'<li class="done"><strong>Pengajuan', page)
    history = page[page.index('id="history"') : page.index('id="emails"')]
    assert "Diajukan: Pengajuan → Pemeriksaan" in history
    assert "berkas Ranperbup Puskesmas.docx" in history and "OPD Dinas Kesehatan" in history
    emails = page[page.index('id="emails"') :]
    # The acknowledgement and the reviewers' notice told of several drafts at once.
    assert "2 rancangan diterima" in emails and "3 rancangan baru untuk diperiksa" in emails
    assert emails.count("terkirim") == 2 and "dinkes@sbtkab.example" in emails
    link = re.search(rf'href="(/dasbor/rancangan/{reg}/versi/draft/1)"', page)
    assert link, page
    download = client.get(link.group(1))
    assert download.status_code == 200 and download.data == PUSKESMAS
    assert "attachment" in download.headers["Content-Disposition"]


def test_notes_sent_back_show_on_the_version_they_were_written_on(
    client: FlaskClient, workspace: Path
) -> None:
    reg = reg_of(workspace, "Puskesmas")
    code, said = cli(workspace, "revise", reg)
    assert code == 0, said
    sign_in(client)
    page = client.get(f"/dasbor/rancangan/{reg}").get_data(as_text=True)
    assert re.search(r'aria-current="step"><strong>Perbaikan', page)
    versions = page[page.index('id="versions"') : page.index('id="history"')]
    assert "1 catatan pemeriksa" in versions and NOTE in versions
    emails = page[page.index('id="emails"') :]
    assert emails.count("terkirim") == 3 and f"[{reg}]" in emails  # the revision request


def test_an_unknown_draft_or_version_is_not_found_and_none_is_shown_signed_out(
    client: FlaskClient, workspace: Path
) -> None:
    reg = reg_of(workspace, "Puskesmas")
    assert client.get(f"/dasbor/rancangan/{reg}").status_code == 302
    assert client.get(f"/dasbor/rancangan/{reg}/versi/draft/1").status_code == 302
    sign_in(client)
    assert client.get("/dasbor/rancangan/HK-2026-9999").status_code == 404
    assert client.get(f"/dasbor/rancangan/{reg}/versi/draft/7").status_code == 404
    assert client.get(f"/dasbor/rancangan/{reg}/versi/final/1").status_code == 404


def sent_mails(workspace: Path) -> list:
    """Every e-mail in the local sent mailbox, by the time sent."""
    from email import message_from_bytes, policy

    sent = workspace / "mail" / "sent"
    found = [
        message_from_bytes(path.read_bytes(), policy=policy.default)
        for sub in ("new", "cur")
        if (sent / sub).is_dir()
        for path in (sent / sub).iterdir()
    ]
    return sorted(found, key=lambda m: m["Date"].datetime)


def sent_about(workspace: Path, reg: str) -> list[tuple[str, str]]:
    """(subject, recipients) of every e-mail sent about `reg` alone, by the time sent."""
    return [
        (str(m["Subject"]), str(m["To"]))
        for m in sent_mails(workspace)
        if f"[{reg}]" in str(m["Subject"])
    ]


def command(client: FlaskClient, reg: str, **form: str):
    page = client.get(f"/dasbor/rancangan/{reg}").get_data(as_text=True)
    return client.post(f"/dasbor/rancangan/{reg}/perintah", data={"csrf": csrf_of(page), **form})


def test_approving_from_the_page_does_what_the_command_line_does(
    client: FlaskClient, workspace: Path
) -> None:
    by_page, by_cli = reg_of(workspace, "Retribusi"), reg_of(workspace, "Puskesmas")
    sign_in(client)
    answer = command(client, by_page, command="approve")
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"/dasbor/rancangan/{by_page}"
    assert cli(workspace, "approve", by_cli)[0] == 0
    store = bootstrap.store(load(workspace), readonly=True)
    assert store.draft(by_page).stage == store.draft(by_cli).stage == "harmonisasi"

    def said(reg: str) -> list[tuple[str, str]]:  # each e-mail, with the draft named "X"
        title = store.draft(reg).title
        return sorted(
            (s.replace(reg, "X").replace(title, "X"), to) for s, to in sent_about(workspace, reg)
        )

    assert said(by_page) and said(by_page) == said(by_cli)  # the same e-mails to the same people
    (approved,) = [e for e in store.history(by_page) if e.to_stage == "harmonisasi"]
    assert approved.actor == f"{ADMIN} (dasbor)"
    shown = client.get(f"/dasbor/rancangan/{by_page}").get_data(as_text=True)
    assert "Rancangan disetujui. OPD dan admin telah diberi tahu." in shown
    assert "kabag@sbtkab.example (dasbor)" in shown  # in the timeline


def test_a_command_that_no_longer_applies_is_refused_and_changes_nothing(
    client: FlaskClient, workspace: Path
) -> None:
    reg = reg_of(workspace, "Retribusi")
    sign_in(client)
    page = client.get(f"/dasbor/rancangan/{reg}").get_data(as_text=True)
    token = csrf_of(page)
    assert 'value="approve"' in page and 'value="reopen"' not in page
    client.post(f"/dasbor/rancangan/{reg}/perintah", data={"csrf": token, "command": "approve"})
    before = len(sent_about(workspace, reg))
    again = client.post(
        f"/dasbor/rancangan/{reg}/perintah", data={"csrf": token, "command": "approve"}
    )
    shown = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "Perintah tidak dijalankan:" in shown
    assert len(sent_about(workspace, reg)) == before  # nothing sent twice
    assert 'value="approve"' not in shown  # no longer offered


def test_ending_a_draft_is_for_admins_and_needs_a_reason(
    client: FlaskClient, workspace: Path
) -> None:
    reg = reg_of(workspace, "Sekolah")
    code, _ = cli(workspace, "user", "add", "analis.hukum@sbtkab.example", "--password-stdin",
                  stdin=PASSWORD + "\n")  # fmt: skip
    assert code == 0
    sign_in(client, email="analis.hukum@sbtkab.example")
    page = client.get(f"/dasbor/rancangan/{reg}").get_data(as_text=True)
    assert 'value="withdraw"' not in page and 'value="approve"' in page
    command(client, reg, command="withdraw", reason="OPD menarik rancangan")
    store = bootstrap.store(load(workspace), readonly=True)
    assert store.draft(reg).stage == "pemeriksaan"
    assert "Perintah ini hanya untuk admin." in client.get(f"/dasbor/rancangan/{reg}").get_data(
        as_text=True
    )
    client.post("/dasbor/keluar", data={"csrf": csrf_of(page)})
    sign_in(client)
    command(client, reg, command="withdraw", reason="  ")
    assert store.draft(reg).stage == "pemeriksaan"  # no reason, nothing done
    command(client, reg, command="withdraw", reason="OPD menarik rancangan untuk dikaji ulang")
    assert store.draft(reg).stage == "ditarik"
    assert any("OPD menarik rancangan untuk dikaji ulang" in e.reason for e in store.history(reg))


def test_a_command_without_the_csrf_token_is_refused(client: FlaskClient, workspace: Path) -> None:
    reg = reg_of(workspace, "Retribusi")
    sign_in(client)
    answer = client.post(f"/dasbor/rancangan/{reg}/perintah", data={"command": "approve"})
    assert answer.status_code == 400
    store = bootstrap.store(load(workspace), readonly=True)
    assert store.draft(reg).stage == "pemeriksaan"


def test_a_copied_cookie_is_worth_nothing_after_signing_out(client: FlaskClient) -> None:
    sign_in(client)
    board = client.get("/dasbor/").get_data(as_text=True)
    copied = client.get_cookie("drivebot_dasbor", path="/dasbor")
    assert copied is not None
    client.post("/dasbor/keluar", data={"csrf": csrf_of(board)})
    client.set_cookie("drivebot_dasbor", copied.value, path="/dasbor", secure=True)
    assert client.get("/dasbor/").status_code == 302


def test_failures_from_one_place_do_not_keep_the_account_out_elsewhere(
    client: FlaskClient,
) -> None:
    def from_(address: str, password: str):
        form = client.get("/dasbor/masuk").get_data(as_text=True)
        return client.post(
            "/dasbor/masuk",
            data={"email": ADMIN, "password": password, "csrf": csrf_of(form)},
            environ_overrides={"REMOTE_ADDR": address},
        )

    for _ in range(accounts.FREE_FAILURES):
        assert from_("203.0.113.9", "tebakan-tebakan").status_code == 401
    assert from_("203.0.113.9", PASSWORD).status_code == 429  # the guesser waits
    assert from_("10.20.30.40", PASSWORD).status_code == 302  # the admin, at the office


def test_every_attempt_counts_until_it_succeeds() -> None:
    """Requests sent at once: each is counted when allowed, before its password is checked."""
    throttle = accounts.Throttle(clock=lambda: 100.0)
    keys = [("pair:x", 2)]
    assert [throttle.attempt(keys) for _ in range(3)] == [0, 0, accounts.FIRST_WAIT]
    throttle.succeeded(keys)
    assert throttle.attempt(keys) == 0


def test_a_role_change_ends_the_accounts_sessions(client: FlaskClient, workspace: Path) -> None:
    sign_in(client)
    code, _ = cli(workspace, "user", "add", ADMIN, "--role", "reviewer", "--password-stdin",
                  stdin=PASSWORD + "\n")  # fmt: skip
    assert code == 0 and client.get("/dasbor/").status_code == 302


@pytest.mark.parametrize(
    "target", ["/dasbor/\r\nSet-Cookie: x=1", "/dasbor/../", "/dasbor//evil.example", "/"]
)
def test_an_odd_destination_after_signing_in_leads_to_the_board(
    client: FlaskClient, target: str
) -> None:
    form = client.get("/dasbor/masuk").get_data(as_text=True)
    answer = client.post(
        "/dasbor/masuk",
        data={"email": ADMIN, "password": PASSWORD, "csrf": csrf_of(form), "next": target},
    )
    assert answer.status_code == 302 and answer.headers["Location"] == "/dasbor/"


def test_a_damaged_session_key_stops_serve_with_a_clear_error(workspace: Path) -> None:
    from drivebot.errors import ConfigError
    from drivebot.web.dashboard import SESSION_KEY_NAME

    (workspace / SESSION_KEY_NAME).write_bytes(b"short")
    with pytest.raises(ConfigError, match="too short"):
        bootstrap.web(load(workspace), "id")


def test_the_board_counts_years_in_the_offices_time_zone(workspace: Path) -> None:
    """Seram Bagian Timur keeps WIT (UTC+9): a draft received at 03:00 on New Year's Day is
    of the new year, as its registration number is."""
    from dataclasses import replace
    from zoneinfo import ZoneInfo

    from drivebot.web.board import Filters, received_year, standing

    draft = bootstrap.store(load(workspace), readonly=True).drafts()[0]
    new_year = replace(draft, created_at="2026-12-31T18:00:00+00:00")
    wit = ZoneInfo("Asia/Jayapura")
    assert received_year(new_year, wit) == "2027"
    one = standing(new_year, None, datetime(2027, 1, 4).date(), wit)
    assert Filters(year="2027").keeps(one) and not Filters(year="2026").keeps(one)


def test_hidden_characters_in_a_title_are_shown_on_the_board(
    client: FlaskClient, workspace: Path
) -> None:
    """A right-to-left override in a file's name could make "fdp.exe" read as "exe.pdf"."""
    inbox = workspace / "drive" / "00 Masuk" / "BPKAD"
    (inbox / "Ranperbup Pajak\u202efdp.docx").write_bytes(draft_docx(subject="", articles=()))
    service = bootstrap.app(load(workspace))
    service.cycle()
    sign_in(client)
    board = client.get("/dasbor/").get_data(as_text=True)
    assert "\u202e" not in board and "[U+202E]" in board


def test_the_draft_list_and_the_registers_download_as_csv_and_xlsx(
    client: FlaskClient, workspace: Path
) -> None:
    import csv
    from io import BytesIO, StringIO

    from openpyxl import load_workbook

    sign_in(client)
    as_csv = client.get("/dasbor/ekspor/rancangan.csv?opd=Dinas+Kesehatan")
    assert as_csv.status_code == 200 and "attachment" in as_csv.headers["Content-Disposition"]
    rows = list(csv.reader(StringIO(as_csv.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Nomor registrasi", "Judul", "Perangkat Daerah"]
    assert sorted(row[1].split(" tentang ")[1] for row in rows[1:]) == [
        "Retribusi Pelayanan Kesehatan",
        "Tarif Layanan Puskesmas",
    ]  # the filter kept Dinas Kesehatan's two
    as_xlsx = client.get("/dasbor/ekspor/rancangan.xlsx")
    sheet = load_workbook(BytesIO(as_xlsx.data)).active
    assert sheet.max_row == 4 and sheet["E2"].value == "Pemeriksaan"
    reg = reg_of(workspace, "Sekolah")
    assert cli(workspace, "approve", reg)[0] == 0
    assert cli(workspace, "number", reg)[0] == 0
    year = bootstrap.store(load(workspace), readonly=True).draft(reg).number_year
    register = client.get(f"/dasbor/ekspor/register-{year}.csv").data.decode("utf-8-sig")
    assert reg in register and "dicadangkan" in register
    assert client.get("/dasbor/ekspor/rancangan.pdf").status_code == 404
    assert (
        bootstrap.web(load(workspace), "id")
        .test_client()
        .get("/dasbor/ekspor/rancangan.csv")
        .status_code
        == 302
    )  # signed out: nothing


def test_a_title_that_looks_like_a_formula_is_exported_as_text() -> None:
    from io import BytesIO

    from openpyxl import load_workbook

    from drivebot.web.exports import as_csv, as_xlsx

    rows = [["Judul"], ['=HYPERLINK("http://evil.example","klik")'], ["-2+3"]]
    assert as_csv(rows).decode("utf-8-sig").splitlines()[1].startswith("\"'=HYPERLINK")
    sheet = load_workbook(BytesIO(as_xlsx(rows, "x"))).active
    assert sheet["A2"].data_type == "s" and sheet["A2"].value.startswith("=HYPERLINK")
    assert sheet["A3"].data_type == "s"


def test_the_board_shows_what_changed_since_it_was_last_read(
    client: FlaskClient, workspace: Path, moment: Moment
) -> None:
    """The board keeps the drafts' standings while the store is unchanged; a change made by
    another process (the daemon, the CLI) or a new day is read again."""
    sign_in(client)

    def column(name: str) -> str:
        page = client.get("/dasbor/").get_data(as_text=True)
        start = page.index(f'id="col-{name}"')
        return page[start : page.index("</section>", start)]

    assert column("pemeriksaan").count('class="reg"') == 3
    assert cli(workspace, "approve", reg_of(workspace, "Sekolah"))[0] == 0
    assert column("pemeriksaan").count('class="reg"') == 2
    assert "Sekolah Daerah" in column("harmonisasi")
    assert "0 hari di tahap ini" in column("pemeriksaan")
    reg = reg_of(workspace, "Retribusi")
    assert cli(workspace, "withdraw", reg, "--reason", "Ditarik OPD")[0] == 0
    assert reg not in client.get("/dasbor/").get_data(as_text=True)  # ended: off the board
    inbox = workspace / "drive" / "00 Masuk" / "BPKAD"
    (inbox / "Ranperbup Pajak Reklame.docx").write_bytes(draft_docx(subject="Pajak Reklame"))
    bootstrap.app(load(workspace)).cycle()
    assert "Pajak Reklame" in column("pemeriksaan")  # registered by the daemon: on it
    moment.now += timedelta(days=3)  # Thursday to Sunday: one working day, Friday
    sign_in(client)  # the session of three days ago has ended
    assert "1 hari di tahap ini" in column("pemeriksaan")


def test_the_figures_page_counts_what_the_loop_recorded(
    client: FlaskClient, workspace: Path, moment: Moment
) -> None:
    assert cli(workspace, "revise", reg_of(workspace, "Puskesmas"))[0] == 0
    assert cli(workspace, "approve", reg_of(workspace, "Sekolah"))[0] == 0
    sign_in(client)
    page = client.get("/dasbor/angka").get_data(as_text=True)

    def table(key: str) -> dict[str, str]:
        start = page.index(f'id="h-{key}"')
        section = page[start : page.index("</section>", start)]
        return dict(re.findall(r'<th scope="row">([^<]+)</th><td>([^<]+)</td>', section))

    assert page.count('role="img"') == 5  # no late drafts: that chart says so instead
    assert list(table("in").items())[-1] == ("Des 2026", "3")  # this month, last of twelve
    assert len(table("in")) == 12 and table("archived")["Des 2026"] == "0"
    assert table("rounds") == {
        "tanpa perbaikan": "2", "1 kali": "1", "2 kali": "0", "3 kali atau lebih": "0"
    }  # fmt: skip
    assert set(table("median")) == {"Pengajuan", "Pemeriksaan"}  # the stages drafts have left
    late = page[page.index('id="h-late"') :]
    assert "Belum ada data." in late[: late.index("</section>")]


def test_days_per_stage_are_measured_from_entering_to_leaving() -> None:
    from drivebot.web.figures import months_back, stage_days

    created = {"A": "2026-01-01T00:00:00+00:00", "B": "2026-01-01T00:00:00+00:00"}
    changes = [
        ("A", "2026-01-02T00:00:00+00:00", "pengajuan", "pemeriksaan"),
        ("A", "2026-01-06T00:00:00+00:00", "pemeriksaan", "perbaikan"),
        ("A", "2026-01-08T00:00:00+00:00", "perbaikan", "pemeriksaan"),
        ("A", "2026-01-09T00:00:00+00:00", "pemeriksaan", "harmonisasi"),
        ("B", "2026-01-01T12:00:00+00:00", "pengajuan", "pemeriksaan"),
    ]
    medians, p90s = stage_days(changes, created, "id")
    assert [(bar.label, bar.shown) for bar in medians] == [
        ("Pengajuan", "0,8"), ("Pemeriksaan", "2,5"), ("Perbaikan", "2,0")
    ]  # fmt: skip
    assert [bar.shown for bar in p90s][1] == "3,7"  # of 4 and 1 days
    assert months_back(datetime(2027, 2, 5).date(), 3) == [(2026, 11), (2027, 0), (2027, 1)]


def test_the_figures_are_counted_again_after_a_change(client: FlaskClient, workspace: Path) -> None:
    sign_in(client)

    def drafts_in_this_month() -> str:
        page = client.get("/dasbor/angka").get_data(as_text=True)
        section = page[page.index('id="h-in"') :]
        return re.findall(r'<th scope="row">Des 2026</th><td>([^<]+)</td>', section)[0]

    assert drafts_in_this_month() == "3"
    assert drafts_in_this_month() == "3"  # the second view: as kept
    inbox = workspace / "drive" / "00 Masuk" / "BPKAD"
    (inbox / "Ranperbup Pajak Reklame.docx").write_bytes(draft_docx(subject="Pajak Reklame"))
    bootstrap.app(load(workspace)).cycle()  # the daemon registers a fourth
    assert drafts_in_this_month() == "4"
