"""drivebot as separate processes on one workspace, as an office runs it: the daemon beside the
verification page, read-only commands without the network, a warm stop, a stop on a revoked
login. Each command is the real CLI in its own process."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from builders import draft_docx, final_pdf, write_config
from contract.worlds import GoogleWorld, save_login
from fakegoogle.server import Fault

INBOX = Path("drive/00 Masuk/Dinas Kesehatan")


def drivebot(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "drivebot", *args], capture_output=True, text=True, timeout=timeout
    )


def started(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "drivebot", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_line(process: subprocess.Popen[str], pattern: str) -> re.Match[str]:
    """Read the process's output until a line matches (its own words are the signal)."""
    assert process.stdout is not None
    for line in process.stdout:
        if match := re.search(pattern, line):
            return match
    pytest.fail(f"the process ended without printing {pattern!r}: {process.stderr.read()}")


def local_workspace(tmp_path: Path) -> str:
    write_config(tmp_path)
    assert drivebot("init", str(tmp_path)).returncode == 0
    return str(tmp_path)


def test_the_page_and_the_daemon_run_together(tmp_path):
    write_config(tmp_path, poll_interval_seconds=1)
    assert drivebot("init", str(tmp_path)).returncode == 0
    workspace = str(tmp_path)
    serve = started("serve", "--port", "0", "-w", workspace)
    run = None
    try:
        port = wait_for_line(serve, r"http://127\.0\.0\.1:(\d+)/").group(1)
        run = started("run", "-w", workspace)  # would wait for ever on a lock serve held
        wait_for_line(run, r"berkas: 0, e-mail: 0")
        (tmp_path / INBOX / "Ranperbup Retribusi.docx").write_bytes(draft_docx())
        wait_for_line(run, r"berkas: 1, e-mail: 0")  # the daemon's next cycle took it in
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as page:
            assert page.status == 200  # and the page still answers
        status = drivebot("status", "--json", "-w", workspace)
        assert [d["stage"] for d in json.loads(status.stdout)] == ["pemeriksaan"]
        run.send_signal(signal.SIGTERM)
        assert run.wait(30) == 0
    finally:
        for process in (serve, run):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait(10)


def test_the_page_serves_eight_visitors_while_an_idle_connection_is_held(tmp_path):
    """On waitress: a visitor who opens a connection and sends half a request (a phone that
    lost its signal) holds no thread; eight others are served meanwhile. A body larger than
    the upload limit is refused before it is read."""
    workspace = local_workspace(tmp_path)
    serve = started("serve", "--port", "0", "--threads", "4", "-w", workspace)
    try:
        port = int(wait_for_line(serve, r"http://127\.0\.0\.1:(\d+)/").group(1))
        idle = socket.create_connection(("127.0.0.1", port), timeout=10)
        idle.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and never the rest

        def visit(_: int) -> tuple[int, str]:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as page:
                return page.status, page.headers["X-Content-Type-Options"]

        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(visit, range(8)))
        assert answers == [(200, "nosniff")] * 8
        with socket.create_connection(("127.0.0.1", port), timeout=10) as big:
            big.sendall(
                b"POST /cek HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/pdf\r\n"
                b"Content-Length: %d\r\n\r\n" % (26 * 1024 * 1024 + 1)
            )
            assert big.recv(200).startswith(b"HTTP/1.1 413 ")  # before any of the body
        idle.close()
    finally:
        serve.kill()
        serve.wait(10)


def _mails_to(tmp_path: Path, address: str) -> list:
    sent = tmp_path / "mail" / "sent"
    return [
        message_from_bytes(p.read_bytes(), policy=policy.default)
        for sub in ("new", "cur")
        if (sent / sub).is_dir()
        for p in (sent / sub).iterdir()
        if address in str(message_from_bytes(p.read_bytes(), policy=policy.default)["To"])
    ]


def test_a_changed_configuration_is_taken_at_the_next_cycle_and_a_broken_one_is_not(tmp_path):
    write_config(tmp_path, poll_interval_seconds=1)
    assert drivebot("init", str(tmp_path)).returncode == 0
    config = tmp_path / "drivebot.toml"
    run = started("run", "-w", str(tmp_path))
    try:
        wait_for_line(run, r"berkas: 0, e-mail: 0")
        config.write_text(
            config.read_text(encoding="utf-8")
            + '\n[[reviewer]]\nname = "Perancang Baru"\nemail = "baru@sbtkab.example"\n',
            encoding="utf-8",
        )
        (tmp_path / INBOX / "Ranperbup Retribusi.docx").write_bytes(draft_docx())
        wait_for_line(run, r"berkas: 1, e-mail: 0")
        assert len(_mails_to(tmp_path, "baru@sbtkab.example")) == 1  # the new reviewer is told

        good = config.read_text(encoding="utf-8")
        config.write_text(good + '\n[[reviwer]]\nname = "X"\n', encoding="utf-8")
        run.send_signal(signal.SIGHUP)
        wait_for_line(run, r"berkas: \d+")  # still running, on the configuration it had
        wait_for_line(run, r"berkas: \d+")
        [told] = _mails_to(tmp_path, "kabag.hukum@sbtkab.example")
        assert "tidak dapat dipakai" in str(told["Subject"])
        assert "mungkin maksudnya [[reviewer]]?" in told.get_body(("plain",)).get_content()
        run.send_signal(signal.SIGTERM)
        assert run.wait(30) == 0
    finally:
        if run.poll() is None:
            run.kill()
            run.wait(10)


def test_run_stops_warmly_on_sigterm(tmp_path):
    workspace = local_workspace(tmp_path)
    run = started("run", "-w", workspace)
    try:
        wait_for_line(run, r"berkas: \d+, e-mail: \d+")  # the first cycle is done
        run.send_signal(signal.SIGTERM)
        out, err = run.communicate(timeout=30)
    finally:
        run.kill()
    assert run.returncode == 0, err
    assert "drivebot berhenti." in out


def test_read_only_commands_need_no_google_login(tmp_path):
    """A workspace set up for Google, with no login saved and no network: status, verify and
    publish still answer; a cycle says what is missing."""
    write_config(tmp_path, backend="google")
    assert drivebot("init", str(tmp_path)).returncode == 0
    status = drivebot("status", "--json", "-w", str(tmp_path))
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout) == []
    (tmp_path / "copy.pdf").write_bytes(final_pdf())
    verify = drivebot("verify", str(tmp_path / "copy.pdf"), "-w", str(tmp_path))
    assert verify.returncode == 6 and "TIDAK TERDAFTAR" in verify.stdout
    publish = drivebot("publish", str(tmp_path / "site"), "-w", str(tmp_path))
    assert publish.returncode == 0 and (tmp_path / "site" / "index.html").exists()
    serve = started("serve", "--port", "0", "-w", str(tmp_path))
    try:
        port = wait_for_line(serve, r"http://127\.0\.0\.1:(\d+)/").group(1)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as page:
            assert page.status == 200
    finally:
        serve.terminate()
        serve.wait(10)
    once = drivebot("once", "-w", str(tmp_path))
    assert once.returncode == 2 and "drivebot auth" in once.stderr


@pytest.fixture
def google(tmp_path):
    world = GoogleWorld(tmp_path / "google")
    yield world
    world.close()


def test_a_revoked_login_stops_the_daemon_and_loses_no_input(google, tmp_path):
    """Someone removed drivebot's access in their Google account: the saved login's refresh
    is refused (invalid_grant), for Drive and Gmail alike. drivebot stops with the reason,
    takes nothing in, says so in `health`, and carries on once it is signed in again."""
    write_config(tmp_path, google.config_overrides())
    assert drivebot("init", str(tmp_path)).returncode == 0
    google.drop("Dinas Kesehatan", "Ranperbup Retribusi.docx", draft_docx())
    token = json.loads(Path(google.settings.token_file).read_text(encoding="utf-8"))
    google.google.revoke_refresh_token(token["refresh_token"])
    google.google.expire_access_tokens()
    run = drivebot("run", "-w", str(tmp_path), timeout=60)
    assert run.returncode == 2 and "Google tidak lagi menerima login drivebot" in run.stderr
    assert "drivebot auth" in run.stderr
    status = json.loads(drivebot("status", "--json", "-w", str(tmp_path)).stdout)
    assert status == []  # not taken in, and not quarantined either
    health = drivebot("health", "-w", str(tmp_path))
    assert health.returncode == 7 and "berhenti" in health.stdout

    save_login(google.google, Path(google.settings.token_file).parent)  # `drivebot auth` again
    once = drivebot("once", "-w", str(tmp_path))
    assert once.returncode == 0, once.stderr
    [draft] = json.loads(drivebot("status", "--json", "-w", str(tmp_path)).stdout)
    assert draft["stage"] == "pemeriksaan"
    subjects = [str(message_from_bytes(raw)["Subject"]) for raw in google.sent_messages()]
    assert sum("berhenti" in s for s in subjects) <= 1  # told at most once, never again
    assert drivebot("health", "-w", str(tmp_path)).returncode == 0  # well again


def test_a_reader_that_leaves_early_gets_no_traceback(tmp_path):
    """`drivebot status --json | head`: the pipe closes before drivebot writes."""
    workspace = local_workspace(tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "drivebot", "status", "--json", "-w", workspace],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # long before the interpreter has started
    said = process.stderr.read().decode()
    assert process.wait(60) == 141
    assert said == ""


def test_version():
    from drivebot import __version__

    shown = drivebot("--version")
    assert shown.returncode == 0 and shown.stdout.strip() == f"drivebot {__version__}"
    assert __version__[0].isdigit() and "unknown" not in __version__  # installed, not a tree


def test_a_drive_refusal_in_the_outbox_stops_the_daemon_with_one_mail(google, tmp_path):
    """The bot's access to the folders was taken away: the move of a new draft is refused.
    drivebot stops, and the admins get one e-mail (mail still works), nothing else."""
    write_config(tmp_path, google.config_overrides())
    assert drivebot("init", str(tmp_path)).returncode == 0
    google.drop("Dinas Kesehatan", "Ranperbup Retribusi.docx", draft_docx())
    google.google.faults.schedule("drive.files.update", Fault.FORBIDDEN)
    run = drivebot("run", "-w", str(tmp_path), timeout=60)
    assert (
        run.returncode == 2 and "pastikan akun drivebot boleh menyunting folder itu" in run.stderr
    )
    [mail] = [message_from_bytes(raw, policy=policy.default) for raw in google.sent_messages()]
    assert "berhenti" in str(mail["Subject"]) and str(mail["To"]) == "kabag.hukum@sbtkab.example"
