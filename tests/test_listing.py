"""The local backend's poll (drivebot.listing): a directory unchanged since a trusted listing is
not read again; one that may hide a change behind its time is."""

import os
import time

from drivebot.flows import Folder
from drivebot.listing import changes, moved

LONG_AGO = time.time_ns() - 3600 * 10**9  # an hour ago: settled, and past RACY_NS


def _age(path, ns=LONG_AGO):
    os.utime(path, ns=(ns, ns))


def _names(found):
    return [f.entry.name for f in found]


def test_a_trusted_directory_is_not_read_again_until_its_time_changes(tmp_path):
    folder = tmp_path / "review"
    folder.mkdir()
    (folder / "a.docx").write_bytes(b"a")
    _age(folder / "a.docx")
    _age(folder)
    places = [(str(folder), Folder.REVIEW, None)]
    found, listing = changes(places, {}, settle_seconds=0)
    assert _names(found) == ["a.docx"] and listing[str(folder)].trusted
    (folder / "b.docx").write_bytes(b"b")
    _age(folder)  # the new file hides behind the old time: proof the directory is not read
    assert changes(places, listing, settle_seconds=0)[0] == []
    os.utime(folder)  # as the file system does on an added file
    found, later = changes(places, listing, settle_seconds=0)
    assert _names(found) == ["b.docx"]
    assert not later[str(folder)].trusted  # changed just now: read again next time
    assert changes(places, later, settle_seconds=0)[0] == []


def test_a_file_still_being_written_keeps_its_directory_read(tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "draft.docx").write_bytes(b"half")
    _age(folder)
    places = [(str(folder), Folder.INBOX, "Dinas Kesehatan")]
    found, listing = changes(places, {}, settle_seconds=60)
    assert found == [] and not listing[str(folder)].trusted
    _age(folder / "draft.docx")  # settled; writing it changed nothing about the directory
    _age(folder)
    found, listing = changes(places, listing, settle_seconds=60)
    assert [(f.entry.name, f.place) for f in found] == [
        ("draft.docx", (Folder.INBOX, "Dinas Kesehatan", "draft.docx"))
    ]
    assert listing[str(folder)].trusted


def test_a_renamed_file_is_reported_in_its_new_place(tmp_path):
    review, revision = tmp_path / "review", tmp_path / "revision"
    review.mkdir()
    revision.mkdir()
    (review / "v1.docx").write_bytes(b"v1")
    _age(review / "v1.docx")
    places = [(str(review), Folder.REVIEW, None), (str(revision), Folder.REVISION, None)]
    listing = changes(places, {}, settle_seconds=0)[1]
    os.rename(review / "v1.docx", revision / "v1.docx")
    found, _ = changes(places, listing, settle_seconds=0)
    assert [f.place for f in found] == [(Folder.REVISION, None, "v1.docx")]


def _trusted_pair(tmp_path):
    """An inbox and a review folder, both listed and trusted, the inbox holding one draft."""
    inbox, review = tmp_path / "inbox", tmp_path / "review"
    inbox.mkdir()
    review.mkdir()
    (inbox / "draft.docx").write_bytes(b"d")
    (review / "old.docx").write_bytes(b"o")
    for path in (inbox / "draft.docx", review / "old.docx", inbox, review):
        _age(path)
    places = [(str(inbox), Folder.INBOX, None), (str(review), Folder.REVIEW, None)]
    found, listing = changes(places, {}, settle_seconds=0)
    assert len(found) == 2 and all(d.trusted for d in listing.values())
    return inbox, review, places, listing


def _own_move(listing, source, target, name):
    """drivebot's rename, written into the listing as drivebot.local.LocalDrive.move does."""
    before = [(str(d), os.stat(d).st_mtime_ns) for d in (source, target)]
    inode = os.stat(source / name).st_ino
    os.rename(source / name, target / name)
    moved(listing, inode, before[0], before[1], (Folder.REVIEW, None, name))


def test_drivebots_own_move_does_not_make_either_directory_read_again(tmp_path):
    inbox, review, places, listing = _trusted_pair(tmp_path)
    read_at = {d: listing[d].read_ns for d in listing}
    _own_move(listing, inbox, review, "draft.docx")
    found, later = changes(places, listing, settle_seconds=0)
    assert found == []  # drivebot knows where it put the file
    assert {d: later[d].read_ns for d in later} == read_at, "neither directory was read"
    assert sorted(p[2] for p in later[str(review)].files.values()) == ["draft.docx", "old.docx"]
    assert later[str(inbox)].files == {}


def test_a_directory_changed_by_someone_else_before_the_move_is_read_again(tmp_path):
    inbox, review, places, listing = _trusted_pair(tmp_path)
    (review / "reviewer.docx").write_bytes(b"r")  # a reviewer drops a file into the folder
    _age(review / "reviewer.docx")
    os.utime(review, ns=(LONG_AGO + 10**9, LONG_AGO + 10**9))
    _own_move(listing, inbox, review, "draft.docx")
    found, _ = changes(places, listing, settle_seconds=0)
    assert _names(found) == ["draft.docx", "reviewer.docx"]


def test_a_trusted_directory_is_read_again_after_reread_ns_whatever_its_time(tmp_path):
    _inbox, review, places, listing = _trusted_pair(tmp_path)
    (review / "hidden.docx").write_bytes(b"h")  # hides behind the directory's old time
    _age(review / "hidden.docx")
    _age(review)
    assert changes(places, listing, settle_seconds=0)[0] == []
    found, _ = changes(places, listing, settle_seconds=0, reread_ns=0)
    assert _names(found) == ["hidden.docx"]
