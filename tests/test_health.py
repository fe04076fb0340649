"""Saying when drivebot is unwell: `drivebot health`, `/healthz`, and one e-mail to the admins
when polling has failed for `alert_after_minutes`, one more when it works again."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from test_faults import sent_to, service

from drivebot.app.health import check
from drivebot.archive.signing import public_key_pem
from drivebot.cli import main
from drivebot.cli.console import Console, ExitStatus
from drivebot.config import load
from drivebot.errors import TransientError
from drivebot.local import LocalDrive
from drivebot.web.app import create_app

ADMIN = "kabag.hukum@sbtkab.example"


class Clock:
    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now


class FailingPolls(LocalDrive):
    """A folder tree whose polls fail while `down` (the network or Google is away)."""

    down = False

    def poll(self, cursor):
        if self.down:
            raise TransientError("Google could not be reached: timed out")
        return super().poll(cursor)


def _health_cli(workspace) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["health", "--workspace", str(workspace)], Console(out, io.StringIO()))
    return code, out.getvalue()


def test_failing_polls_make_drivebot_unhealthy_once_told_and_well_again(tmp_path):
    start = datetime.now(UTC) - timedelta(hours=2)
    clock = Clock(start)
    service(tmp_path, clock=clock).store.close()  # writes the configuration and the folders
    config = load(tmp_path)
    drive = FailingPolls(tmp_path / "drive", config.folders, config.settle_seconds)
    app = service(tmp_path, drive=drive, clock=clock)
    app.cycle()
    assert check(config, app.store, clock) == []

    drive.down = True
    for minutes in (5, 20, 31, 45, 60):
        clock.now = start + timedelta(minutes=minutes)
        app.cycle()
    problems = check(config, app.store, clock)
    assert [p.key for p in problems] == ["poll_too_old"]
    alerts = [m for m in sent_to(tmp_path, ADMIN) if "memeriksa" in str(m["Subject"])]
    assert len(alerts) == 1, "one alert for a run of failures, however long"
    assert "Google could not be reached" in alerts[0].get_body(("plain",)).get_content()

    pages = create_app(
        lambda: None,  # type: ignore[arg-type,return-value]
        public_key_pem(tmp_path),
        "/v/",
        health=lambda: [p.key for p in check(config, app.store, clock)],
    ).test_client()
    assert pages.get("/healthz").status_code == 503

    drive.down = False
    clock.now = datetime.now(UTC) - timedelta(minutes=1)
    app.cycle()
    app.cycle()
    assert check(config, app.store, clock) == []
    assert pages.get("/healthz").status_code == 200
    notices = [m for m in sent_to(tmp_path, ADMIN) if "memeriksa" in str(m["Subject"])]
    assert len(notices) == 2, "one more when it works again, and only one"
    app.store.close()
    assert _health_cli(tmp_path) == (ExitStatus.OK, "SEHAT: drivebot berjalan baik.\n")


def test_the_cli_lists_every_problem_with_exit_7(tmp_path):
    service(tmp_path).store.close()  # a workspace that never polled
    code, out = _health_cli(tmp_path)
    assert code == ExitStatus.UNHEALTHY
    assert out.startswith("TIDAK SEHAT: 1 masalah.") and "belum pernah" in out.lower()
