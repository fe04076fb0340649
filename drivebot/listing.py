"""What changed in a set of directories since an earlier listing (the local backend's poll).

A listing remembers, for each directory, its modification time and its files (inode -> folder,
OPD subfolder, name). A directory whose modification time is what the listing saw has had no
file added, removed or renamed in it, so it is not read again, provided the listing could
trust that time: it was at least RACY_NS older than the read (a change within the file
system's timestamp granularity of the read could otherwise hide behind the same time, the
"racy git" problem), and no file in it was left waiting to settle. Otherwise the directory is
read, and only files new in their place are `stat`ed. The cost of an idle poll is one `stat` per
directory, whatever the number of files.

drivebot's own renames are written into the listing (`moved`), so moving a draft into a folder
of ten thousand files does not make the next poll read that folder again. That trusts the
directory's new time, which someone else's change in the same instant could hide behind: so
no directory goes unread for longer than REREAD_NS, whatever its time says.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import NamedTuple

from drivebot.files import is_partial
from drivebot.flows import Folder

RACY_NS = 2_000_000_000  # a directory time this much older than its read is trusted
REREAD_NS = 600 * 10**9  # a trusted directory is read again at least this often

# Where a file is: its folder, OPD subfolder (inbox only) and name.
Place = tuple[Folder, str | None, str]
Listing = dict[str, "DirectoryListing"]  # by directory path


class DirectoryListing(NamedTuple):
    mtime_ns: int
    trusted: bool  # the directory need not be read again while its time stays the same
    files: dict[int, Place]  # by inode
    read_ns: int  # when the directory was last read


class Found(NamedTuple):
    entry: os.DirEntry[str]
    place: Place
    info: os.stat_result


def changes(
    places: Sequence[tuple[str, Folder, str | None]],
    before: Listing,
    settle_seconds: float,
    reread_ns: int = REREAD_NS,
) -> tuple[list[Found], Listing]:
    """The files in `places` (directory, folder, OPD subfolder) that are new in their place
    since `before`, in name order, and the listing to compare with next time. A file changed
    within `settle_seconds` is still being written: it waits for a later poll."""
    started = time.time_ns()
    settled_before = started - int(settle_seconds * 1e9)
    now: Listing = {}
    found: list[Found] = []
    for directory, folder, opd_folder in places:
        try:
            mtime = os.stat(directory).st_mtime_ns
        except (FileNotFoundError, NotADirectoryError):
            continue
        known = before.get(directory)
        if (
            known is not None
            and known.trusted
            and known.mtime_ns == mtime
            and started - known.read_ns < reread_ns
        ):
            now[directory] = known
            continue
        files: dict[int, Place] = {}
        complete = True
        seen = known.files if known is not None else {}
        for entry in entries(directory):
            inode, place = entry.inode(), (folder, opd_folder, entry.name)
            if seen.get(inode) == place:
                files[inode] = place  # the one loop over every file: one look-up each
                continue
            if not entry.is_file() or is_partial(entry.name):
                continue
            try:
                info = entry.stat()
            except FileNotFoundError:
                continue  # moved away since the read: the next poll sees where it went
            if info.st_mtime_ns > settled_before:
                complete = False  # still being written: reported once it has settled
                continue
            files[inode] = place
            found.append(Found(entry, place, info))
        trusted = complete and mtime < started - RACY_NS
        now[directory] = DirectoryListing(mtime, trusted, files, started)
    return sorted(found, key=lambda f: f.entry.name), now


def moved(
    listing: Listing, inode: int, source: tuple[str, int], target: tuple[str, int], place: Place
) -> None:
    """Write drivebot's own rename of file `inode` from directory `source` to `target` (each
    with its time just before the rename) into `listing`, where the listing was trusted and the
    directory's time was still the listing's: nothing else had changed it. Elsewhere the next
    poll reads the directory, as it would have."""
    for directory, before in dict((source, target)).items():  # one, for a rename within it
        known = listing.get(directory)
        if known is None or not known.trusted or known.mtime_ns != before:
            continue
        files = dict(known.files)
        files.pop(inode, None)
        if directory == target[0]:
            files[inode] = place
        try:
            mtime = os.stat(directory).st_mtime_ns
        except FileNotFoundError:
            del listing[directory]
            continue
        listing[directory] = known._replace(mtime_ns=mtime, files=files)


def entries(directory: str) -> list[os.DirEntry[str]]:
    """A directory's entries, in no order; none when it does not exist (yet)."""
    try:
        with os.scandir(directory) as entries:
            return list(entries)
    except (FileNotFoundError, NotADirectoryError):
        return []
