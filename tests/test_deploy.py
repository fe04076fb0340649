"""The systemd units in deploy/, as deploy/install.sh writes them, pass `systemd-analyze verify`."""

from __future__ import annotations

import getpass
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
UNITS = ("drivebot.service", "drivebot-web.service")


def installed(unit: str, prefix: Path, workspace: Path, user: str) -> str:
    """The unit with install.sh's substitutions (its sed lines, read from the script itself)."""
    script = (DEPLOY / "install.sh").read_text()
    assert '-e "s#/opt/drivebot#$prefix#g" -e "s#/var/lib/drivebot#$workspace#g"' in script
    text = (DEPLOY / unit).read_text()
    text = text.replace("/opt/drivebot", str(prefix)).replace("/var/lib/drivebot", str(workspace))
    return re.sub(r"^(User|Group)=drivebot$", rf"\1={user}", text, flags=re.M)


@pytest.mark.parametrize("unit", UNITS)
def test_the_units_pass_systemd_analyze_verify(tmp_path, unit):
    """Any complaint (an unknown option, a missing executable, a bad path) fails the test:
    systemd-analyze says nothing about a unit it finds sound."""
    prefix, workspace = tmp_path / "opt", tmp_path / "var"
    (prefix / "venv" / "bin").mkdir(parents=True)
    workspace.mkdir()
    # The drivebot that pip installed beside this Python, where install.sh's venv puts it.
    os.symlink(Path(sys.executable).parent / "drivebot", prefix / "venv" / "bin" / "drivebot")
    (prefix / "README.md").write_text("drivebot\n")
    target = tmp_path / "units" / unit
    target.parent.mkdir()
    target.write_text(installed(unit, prefix, workspace, getpass.getuser()))
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(target)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stderr.strip(), result.stdout.strip()) == (0, "", "")
