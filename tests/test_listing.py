"""The local backend's poll (drivebot.listing): a directory unchanged since a trusted listing is
not read again; one that may hide a change behind its time is."""

import os
import time

from drivebot.flows import Folder
from drivebot.listing import changes

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
