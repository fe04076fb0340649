"""The whole corpus of odd, broken and hostile inputs (tests/corpus.py), fed in one go to the
local backend and to the local Google: every item handled as expected within two cycles, every
cycle exits 0, every original kept, nothing written outside the workspace, and no outgoing
e-mail carries an injected header, a script or a document's contents."""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from builders import write_config
from contract.worlds import GoogleWorld, LocalWorld
from corpus import LEFT, REGISTERED, SECRET, SKIPPED, Corpus, build

from drivebot.cli import Console, main
from drivebot.state.rows import InputStatus
from drivebot.state.store import Store
from drivebot.workflow import Folder

OPD_FOLDER = "Dinas Kesehatan"
OUTGOING_HEADERS = {
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "in-reply-to",
    "references",
    "auto-submitted",
    "x-auto-response-suppress",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
}


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return build()


@pytest.fixture(params=["local", "google"])
def world(request, tmp_path):
    made = (
        LocalWorld(tmp_path / "ws")
        if request.param == "local"
        else GoogleWorld(tmp_path / "google")
    )
    yield made
    made.close()


def once(workspace: Path) -> int:
    return main(["once", "-w", str(workspace)], Console(io.StringIO(), io.StringIO()))


def drop(world, item) -> None:
    if item.raw_name is not None:
        folder = os.fsencode(world.root / "00 Masuk" / OPD_FOLDER)
        with open(folder + b"/" + item.raw_name, "wb") as handle:
            handle.write(item.data)
    else:
        world.drop(OPD_FOLDER, item.name, item.data)


def every_sha256(world, workspace: Path) -> set[str]:
    """Every file's SHA-256 in the workspace and, on Google, on the Drive."""
    found = {
        hashlib.sha256(path.read_bytes()).hexdigest()
        for path in workspace.rglob("*")
        if path.is_file()
    }
    if world.name == "google":
        found |= {
            hashlib.sha256(f.content).hexdigest()
            for f in world.google.drive.files.values()
            if not f.is_folder
        }
    return found


def test_the_whole_corpus_in_one_go(world, corpus, tmp_path):
    workspace = tmp_path / "ws"
    workspace.mkdir(exist_ok=True)
    write_config(workspace, world.config_overrides())
    temp_before = set(os.listdir(tempfile.gettempdir()))
    assert once(workspace) == 0  # the first start (Gmail takes in mail from now on)
    drops = [item for item in corpus.drops if world.name == "local" or not item.local_only]
    for item in drops:
        drop(world, item)
    for mail in corpus.mails:
        world.deliver(mail.raw)

    assert once(workspace) == 0
    assert once(workspace) == 0

    store = Store(workspace / "drivebot.sqlite3", readonly=True)
    versions = {v.sha256: v for d in store.drafts() for v in store.versions(d.reg)}
    rows = store.db.execute("SELECT key, status, detail FROM processed").fetchall()
    by_sha = {row["key"].rsplit(":", 1)[-1]: row for row in rows if row["key"].startswith("drive:")}

    def outcome(data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        if sha in versions:
            return REGISTERED
        row = by_sha.get(sha)
        if row is None:
            return SKIPPED
        assert row["status"] == InputStatus.QUARANTINED, row["detail"]
        return row["detail"].split(":", 1)[0]

    expected = [(item.name, item.expect) for item in drops]
    expected += [
        (f"{mail.subject} (lampiran)", want)
        for mail in corpus.mails
        for _, want in mail.attachments
    ]
    got = [(item.name, outcome(item.data)) for item in drops]
    got += [
        (f"{mail.subject} (lampiran)", outcome(data))
        for mail in corpus.mails
        for data, _ in mail.attachments
    ]
    assert got == expected

    # The drafts are all under examination, their working files named within 255 bytes.
    assert {d.stage for d in store.drafts()} == {"pemeriksaan"}
    assert all(len(name.encode()) <= 255 for name in world.names_in(Folder.REVIEW))
    # Skipped files are left where they were, unanswered.
    inbox = world.names_in(Folder.INBOX)
    assert all(item.name in inbox for item in drops if item.expect == SKIPPED)

    mail_rows = [
        row for row in rows if row["key"].count(":") == 1 and row["key"].startswith("mail:")
    ]
    refusals = sorted(
        row["detail"].split(":", 1)[0]
        for row in mail_rows
        if row["status"] == InputStatus.QUARANTINED
    )
    assert refusals == sorted(m.expect for m in corpus.mails if m.expect not in (REGISTERED, LEFT))
    assert sum(row["status"] == InputStatus.IGNORED for row in mail_rows) == sum(
        m.expect == LEFT for m in corpus.mails
    )
    assert not [row for row in rows if row["status"] == InputStatus.FAILED]

    sent = [message_from_bytes(raw, policy=policy.default) for raw in world.sent_messages()]
    _no_injection(sent, corpus)
    subjects = [str(m["Subject"]) for m in sent]
    assert not [s for s in subjects if "Kesalahan" in s]  # nothing failed unexpectedly
    # One acknowledgement to the OPD and one notice to the reviewers, listing every draft.
    registered = sorted(d.reg for d in store.drafts())
    [ack] = [m for m in sent if "rancangan diterima" in str(m["Subject"])]
    [notice] = [m for m in sent if "rancangan baru untuk diperiksa" in str(m["Subject"])]
    for message in (ack, notice):
        assert sorted(set(re.findall(r"HK-\d{4}-\d{4}", _text(message)))) == registered

    # Every original is kept; nothing was written outside the workspace.
    kept = every_sha256(world, workspace)
    originals = [item.data for item in drops] + [
        data for m in corpus.mails for data, _ in m.attachments
    ]
    assert [hashlib.sha256(d).hexdigest() in kept for d in originals] == [True] * len(originals)
    assert {p.name for p in tmp_path.iterdir()} <= {"ws", "google"}
    outside = [p for p in tmp_path.glob("google/**/*") if p.is_file()]
    assert [p for p in outside if not p.name.startswith("google-token-")] == []  # but the login
    leftovers = {
        n for n in set(os.listdir(tempfile.gettempdir())) - temp_before if n.startswith("drivebot")
    }
    assert leftovers == set()


def _text(message) -> str:
    return message.get_body(("plain",)).get_content()


def _no_injection(sent, corpus: Corpus) -> None:
    for message in sent:
        names = {name.lower() for name, _ in message.items()}
        assert names <= OUTGOING_HEADERS, names - OUTGOING_HEADERS
        assert "\n" not in str(message["Subject"]) and "\r" not in str(message["Subject"])
        text = _text(message)
        html = message.get_body(("html",)).get_content()
        assert SECRET not in text and SECRET not in html
        assert not re.search(r"<script|javascript:|onerror=", html, re.I)
        assert "\u202e" not in text + html + str(message["Subject"])
        assert not list(message.iter_attachments())
