"""`drivebot setup-google` against the local Google: the tree is made and the config switched."""

import io

from builders import draft_docx, write_config
from contract.worlds import BOT, save_login
from fakegoogle.server import FakeGoogle

from drivebot.cli import main
from drivebot.cli.console import Console
from drivebot.config import load

FOLDER = "application/vnd.google-apps.folder"


def test_setup_google_writes_the_folder_ids_and_the_loop_runs_on_them(tmp_path):
    google = FakeGoogle(ownership=True).start()
    try:
        root = google.users.upload(
            google.drive.root_of(BOT), "Bagian Hukum", b"", FOLDER, as_user=BOT
        )
        login = save_login(google, tmp_path)
        write_config(tmp_path, {"google": {"api_endpoint": google.url, **login}})
        out = io.StringIO()
        code = main(
            ["setup-google", "--root", root, "-w", str(tmp_path)], Console(out, io.StringIO())
        )
        assert code == 0 and "Folder Drive siap" in out.getvalue()
        config = load(tmp_path)
        assert config.backend == "google" and config.google.root_folder_id == root
        assert config.google.api_endpoint == google.url  # other [google] keys are kept
        inbox = config.google.folder_ids["inbox/Dinas Kesehatan"]
        assert [f.name for f in google.drive.children(root)] and inbox
        assert "# drivebot configuration" in (tmp_path / "drivebot.toml").read_text()
        google.users.share(inbox, "staf@dinkes.example.go.id", "writer")
        google.users.upload(inbox, "Ranperbup Retribusi.docx", draft_docx())
        assert main(["once", "-w", str(tmp_path)], Console(io.StringIO(), io.StringIO())) == 0
        assert main(["once", "-w", str(tmp_path)], Console(io.StringIO(), io.StringIO())) == 0
        status = io.StringIO()
        main(["status", "--json", "-w", str(tmp_path)], Console(status, io.StringIO()))
        assert '"stage": "pemeriksaan"' in status.getvalue()
    finally:
        google.stop()
