"""Optional: one submission through a real Drive folder and mailbox.

Skipped unless DRIVEBOT_LIVE_WORKSPACE names a workspace set up for the Google backend
(`drivebot auth`, `drivebot setup-google`). Use a test workspace whose OPD, reviewer and admin
addresses are your own: the run sends real e-mails. It keeps its state in a temporary file, names
its draft uniquely, and moves what it created to the trash afterwards.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path

import pytest
from builders import draft_docx

LIVE = os.environ.get("DRIVEBOT_LIVE_WORKSPACE")
pytestmark = pytest.mark.skipif(not LIVE, reason="DRIVEBOT_LIVE_WORKSPACE is not set")


def test_one_submission_on_real_google(tmp_path):
    from drivebot import bootstrap
    from drivebot.config import load
    from drivebot.flows import Folder
    from drivebot.state.rows import CURRENT_ROLES

    workspace = tmp_path / "workspace"
    shutil.copytree(Path(LIVE), workspace, ignore=shutil.ignore_patterns("*.sqlite3*"))
    service = bootstrap.app(load(workspace))
    assert service.config.backend == "google"
    drive_service = service.drive.service  # type: ignore[attr-defined]
    opd = service.config.opds[0]
    name = f"drivebot-uji-{uuid.uuid4().hex[:8]} Ranperbup.docx"
    source = tmp_path / name
    source.write_bytes(draft_docx())
    uploaded = service.drive.upload(source, name, Folder.INBOX, opd.folder)
    created = [uploaded.id]
    try:
        service.cycle()
        [draft] = [d for d in service.store.drafts() if d.opd == opd.name]
        created += [f.file_id for f in service.store.files_of(draft.reg, *CURRENT_ROLES)]
        assert service.drive.get(uploaded.id).folder is Folder.REVIEW
        assert service.store.pending() == []
        sent = [json.loads(row.payload) for row in service.store.outbox_rows("email")]
        assert sent and all(service.mailbox.was_sent(p["message_id"]) for p in sent)
    finally:
        for file_id in set(created):
            drive_service.files().update(
                fileId=file_id, body={"trashed": True}, supportsAllDrives=True
            ).execute()
