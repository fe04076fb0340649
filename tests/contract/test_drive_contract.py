"""The Drive port's contract: every adapter must behave like this."""

import pytest
from builders import NoteSpec, draft_docx

from drivebot.errors import NotFound
from drivebot.flows import Folder


def _inbox_file(world, name="Ranperbup Retribusi.docx", data=None, opd="Dinas Kesehatan"):
    world.drop(opd, name, data or draft_docx())
    files, _ = world.drive.poll(None)
    return next(f for f in files if f.name == name)


def test_a_dropped_file_is_seen_in_its_opd_inbox(world):
    file = _inbox_file(world)
    assert file.folder is Folder.INBOX
    assert file.opd_folder == "Dinas Kesehatan"
    assert file.mime_type.endswith("wordprocessingml.document")
    assert file.size == len(draft_docx())


def test_download_returns_the_exact_bytes(world, tmp_path):
    data = draft_docx(subject="Tunjangan Kinerja")
    file = _inbox_file(world, data=data)
    world.drive.download(file.id, tmp_path / "copy.docx")
    assert (tmp_path / "copy.docx").read_bytes() == data


def test_move_keeps_the_id_renames_and_is_idempotent(world):
    file = _inbox_file(world)
    moved = world.drive.move(file.id, Folder.REVIEW, name="HK-2026-0001 v1 Ranperbup.docx")
    assert (moved.id, moved.folder, moved.name) == (
        file.id,
        Folder.REVIEW,
        "HK-2026-0001 v1 Ranperbup.docx",
    )
    again = world.drive.move(file.id, Folder.REVIEW, name="HK-2026-0001 v1 Ranperbup.docx")
    assert again == moved
    assert world.drive.get(file.id).folder is Folder.REVIEW
    seen = {f.id: f.folder for f in world.drive.poll(None)[0]}
    assert seen.get(file.id) in (Folder.REVIEW, None)  # an adapter may report only changes
    assert world.drive.find(Folder.INBOX, file.name, "Dinas Kesehatan") is None


def test_a_reviewers_move_shows_up_in_the_next_poll(world):
    file = _inbox_file(world)
    world.drive.move(file.id, Folder.REVIEW)
    cursor = world.drive.poll(None)[1]
    world.reviewer_move(world.drive.get(file.id), Folder.REVISION)
    files, _ = world.drive.poll(cursor)
    assert [f.folder for f in files if f.id == file.id] == [Folder.REVISION]


def test_a_poll_reports_only_what_changed_since_its_cursor(world):
    file = _inbox_file(world)
    cursor = world.drive.poll(None)[1]
    assert file.id not in {f.id for f in world.drive.poll(cursor)[0]}
    world.drop("Dinas Kesehatan", "Ranperbup Kedua.docx", draft_docx(subject="Kedua"))
    files, later = world.drive.poll(cursor)
    assert [f.name for f in files] == ["Ranperbup Kedua.docx"]
    # A cursor the caller did not keep (its pass failed) is asked about again: same answer.
    assert [f.name for f in world.drive.poll(cursor)[0]] == ["Ranperbup Kedua.docx"]
    assert world.drive.poll(later)[0] == []


def test_upload_then_find(world, tmp_path):
    source = tmp_path / "note.txt"
    source.write_text("Berkas ditolak: rusak.\n", encoding="utf-8")
    uploaded = world.drive.upload(source, "catatan.txt", Folder.QUARANTINE)
    found = world.drive.find(Folder.QUARANTINE, "catatan.txt")
    assert found is not None and found.id == uploaded.id
    world.drive.download(found.id, tmp_path / "back.txt")
    assert (tmp_path / "back.txt").read_text(encoding="utf-8") == "Berkas ditolak: rusak.\n"


def test_lock_makes_the_file_read_only(world, tmp_path):
    source = tmp_path / "final.pdf"
    source.write_bytes(b"%PDF-1.4\n% test\n")
    archived = world.drive.upload(source, "final.pdf", Folder.ARCHIVE)
    assert not archived.locked
    world.drive.lock(archived.id)
    assert world.drive.get(archived.id).locked


def test_unknown_file_is_not_found(world):
    with pytest.raises(NotFound):
        world.drive.get("no-such-file")


def test_comments_are_the_unresolved_ones_with_quote_and_replies(world):
    notes = (
        NoteSpec(
            "Tarif retribusi rawat jalan",
            "Tarif belum sesuai Perda 5/2023.",
            author="Analis Hukum A",
            replies=[("Perancang B", "Setuju, mohon disesuaikan.")],
        ),
        NoteSpec("Ketentuan peralihan", "Sudah benar.", resolved=True),
        NoteSpec("Pasal 9", "Rujukan <UU 23/2014> salah & perlu diganti.", author="Perancang B"),
    )
    file = _inbox_file(world, data=draft_docx(notes=notes))
    moved = world.drive.move(file.id, Folder.REVIEW)
    review = world.drive.review_copy(moved)
    assert review.folder is Folder.REVIEW
    comments = world.drive.comments(review.id)
    assert [(c.author, c.content, c.quoted) for c in comments] == [
        ("Analis Hukum A", "Tarif belum sesuai Perda 5/2023.", "Tarif retribusi rawat jalan"),
        ("Perancang B", "Rujukan <UU 23/2014> salah & perlu diganti.", "Pasal 9"),
    ]
    assert [(r.author, r.content) for r in comments[0].replies] == [
        ("Perancang B", "Setuju, mohon disesuaikan.")
    ]


def test_put_creates_then_replaces_the_content(world, tmp_path):
    source = tmp_path / "ledger.jsonl"
    source.write_text('{"seq": 1}\n', encoding="utf-8")
    world.drive.put(source, "ledger.jsonl", Folder.ARCHIVE)
    source.write_text('{"seq": 1}\n{"seq": 2}\n', encoding="utf-8")
    world.drive.put(source, "ledger.jsonl", Folder.ARCHIVE)
    assert world.names_in(Folder.ARCHIVE) == ["ledger.jsonl"]
    found = world.drive.find(Folder.ARCHIVE, "ledger.jsonl")
    world.drive.download(found.id, tmp_path / "back.jsonl")
    assert (tmp_path / "back.jsonl").read_text(encoding="utf-8") == '{"seq": 1}\n{"seq": 2}\n'
