"""The whole loop on the Google backend while 10% of drivebot's requests fail.

Faults (429, 500, 503, dropped connections) are injected by the local Google at a seeded rate.
The client's own retries absorb most; what they do not becomes a transient error that leaves
the work for the next cycle. The loop must still finish with one draft, nothing lost, and no
e-mail sent twice.
"""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest
from builders import NoteSpec, draft_docx, final_pdf, write_config
from contract.worlds import GoogleWorld
from fakegoogle.server import Fault

from drivebot.app.application import App
from drivebot.config import load
from drivebot.flows import Folder
from drivebot.state.rows import CURRENT_ROLES
from drivebot.state.store import Store

CYCLES = 12


def _registered(world, tmp_path):
    """drivebot on the local Google, with one draft dropped and registered."""
    write_config(tmp_path, world.config_overrides())
    app = App(load(tmp_path), Store(tmp_path / "drivebot.sqlite3"), world.drive, world.mailbox)
    world.drop("Dinas Kesehatan", "Ranperbup Retribusi.docx", draft_docx())
    app.cycle()
    [draft] = app.store.drafts()
    return app, draft


@pytest.fixture
def world(tmp_path):
    made = GoogleWorld(tmp_path)
    yield made
    made.close()


def test_the_loop_completes_through_ten_percent_faults(world, tmp_path):
    write_config(tmp_path, world.config_overrides())
    app = App(load(tmp_path), Store(tmp_path / "drivebot.sqlite3"), world.drive, world.mailbox)
    world.google.faults.set_rate(
        0.10, kinds=(Fault.UNAVAILABLE, Fault.SERVER_ERROR, Fault.RATE_LIMIT, Fault.DROP)
    )

    def until(condition) -> None:
        for _ in range(CYCLES):
            try:
                app.cycle()
            except Exception as exc:  # a fault may also hit the outbox or the poll itself
                pytest.fail(f"a cycle raised {exc!r} instead of leaving work for the next one")
            if condition():
                return
        pytest.fail(f"not done after {CYCLES} cycles")

    def stage() -> str | None:
        drafts = app.store.drafts()
        return drafts[0].stage if drafts else None

    world.drop(
        "Dinas Kesehatan",
        "Ranperbup Retribusi.docx",
        draft_docx(notes=(NoteSpec("Pasal 2", "Perbaiki tarif."),)),
    )
    until(lambda: stage() == "pemeriksaan" and not app.store.pending())
    [draft] = app.store.drafts()
    review = world.drive.find(Folder.REVIEW, f"{draft.reg} v1 - Ranperbup Retribusi.docx")
    world.reviewer_move(review, Folder.REVISION)
    until(lambda: stage() == "perbaikan" and not app.store.pending())
    world.drop("Dinas Kesehatan", f"{draft.reg} revisi.docx", draft_docx(subject="Revisi"))
    until(lambda: app.store.draft(draft.reg).version == 2 and not app.store.pending())
    app.commands.approve(draft.reg)
    until(lambda: not app.store.pending())
    signed = tmp_path / "final.pdf"
    signed.write_bytes(final_pdf())
    world.drop("Dinas Kesehatan", f"{draft.reg} final.pdf", signed.read_bytes())
    until(lambda: stage() == "arsip" and not app.store.pending())

    assert sum(world.google.faults.injected.values()) > 0, "faults were really injected"
    assert len(app.store.drafts()) == 1
    assert len(world.names_in(Folder.ARCHIVE)) == 3  # stamped copy, original, ledger copy
    messages = [message_from_bytes(raw, policy=policy.default) for raw in world.sent_messages()]
    ids = [m["Message-ID"] for m in messages]
    assert len(ids) == len(set(ids)), "an e-mail was sent twice"
    queued = [row.payload for row in app.store.outbox_rows("email")]
    assert len(queued) == len(messages), "every queued e-mail was sent, once"
    feedback = [m for m in messages if "Perbaiki tarif." in m.get_body(("plain",)).get_content()]
    assert len(feedback) == 1


def test_both_files_dragged_together_make_one_decision_with_every_note(world, tmp_path):
    app, draft = _registered(world, tmp_path)
    files = app.store.files_of(draft.reg, *CURRENT_ROLES)
    assert len(files) == 2  # the .docx and its Google Doc
    for tracked, note in zip(
        files, ("Catatan pada docx.", "Catatan pada Google Doc."), strict=True
    ):
        world.users.comment(tracked.file_id, note, quoted="Pasal 1")
    for tracked in files:
        world.reviewer_move(world.drive.get(tracked.file_id), Folder.REVISION)
    app.cycle()
    assert app.store.draft(draft.reg).stage == "perbaikan"
    messages = [message_from_bytes(raw, policy=policy.default) for raw in world.sent_messages()]
    feedback = [
        m.get_body(("plain",)).get_content()
        for m in messages
        if "Catatan pada" in m.get_body(("plain",)).get_content()
    ]
    assert len(feedback) == 1
    assert "Catatan pada docx." in feedback[0] and "Catatan pada Google Doc." in feedback[0]
    assert not [m for m in messages if "tidak dapat diproses" in m["Subject"]]


def test_a_google_doc_final_is_archived_from_its_pdf_export(world, tmp_path):
    from drivebot.archive.verification import verify_archive

    app, draft = _registered(world, tmp_path)
    app.commands.approve(draft.reg)
    world.users.create_doc(
        world.settings.folder_ids["final"],
        f"{draft.reg} Final Perbup",
        "PERATURAN BUPATI SERAM BAGIAN TIMUR NOMOR 1 TAHUN 2026",
    )
    app.cycle()
    assert app.store.draft(draft.reg).stage == "arsip"
    names = world.names_in(Folder.ARCHIVE)
    assert any(n.endswith("(salinan sah).pdf") for n in names)
    assert any(n.endswith("(asli).pdf") for n in names)
    assert any(n.endswith("(dokumen Google)") for n in names)
    problems = verify_archive(
        app.archiver.ledger, world.drive, app.archiver.signer.public_key_pem()
    )
    assert problems == []
