"""`drivebot backup` and `drivebot restore`: a restored workspace carries on and verifies."""

from __future__ import annotations

import stat
import tarfile

from test_archive import archived, cli  # noqa: F401  (the fixture)

from drivebot.cli.console import ExitStatus


def test_a_restored_workspace_verifies_and_knows_its_drafts(archived, tmp_path):  # noqa: F811
    workspace, service, _, _, stamped = archived
    [draft] = service.store.drafts()
    service.store.close()
    code, out = cli(workspace, "backup", str(tmp_path))
    assert code == ExitStatus.OK, out
    [written] = tmp_path.glob("drivebot-*-backup.tar.gz")
    assert stat.S_IMODE(written.stat().st_mode) == 0o600  # it holds the signing key
    with tarfile.open(written) as tar:
        names = tar.getnames()
    assert "drivebot.toml" in names and "drivebot.sqlite3" in names
    assert any(name.startswith("keys/") for name in names)

    restored = tmp_path / "restored"
    code, out = cli(restored, "restore", str(written), str(restored))
    assert code == ExitStatus.OK, out
    code, out = cli(restored, "verify", "--archive")
    assert code == ExitStatus.OK and out.startswith("Arsip utuh: 1 produk"), out
    code, out = cli(restored, "verify", str(stamped))
    assert code == ExitStatus.OK and out.startswith("ASLI"), out
    code, out = cli(restored, "status", "--json")
    assert code == ExitStatus.OK and f'"reg": "{draft.reg}"' in out, out
    key = next((restored / "keys").iterdir())
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_restore_refuses_a_folder_that_holds_a_workspace(archived, tmp_path):  # noqa: F811
    workspace = archived[0]
    assert cli(workspace, "backup", str(tmp_path / "b.tar.gz"))[0] == ExitStatus.OK
    before = (workspace / "drivebot.toml").read_bytes()
    code, _ = cli(workspace, "restore", str(tmp_path / "b.tar.gz"), str(workspace))
    assert code == ExitStatus.CONFIG
    assert (workspace / "drivebot.toml").read_bytes() == before
