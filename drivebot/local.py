"""The local backend: a folder tree stands in for the shared Drive folder, Maildirs for Gmail.

Files have no link (a path would be stale after the next move). File ids are the files' inode
numbers, which survive a move or rename inside the tree, as a
Drive file id does. An editor that saves through a temporary file gives the file a new id;
the Drive intake then matches it to its draft by the registration number in its name.

Mail: `mail/inbox` is read; a processed message moves to `mail/processed`, a refused one to
`mail/quarantine`; everything sent is written, complete, to `mail/sent`. There is no mail
system in front of a Maildir to vouch for senders, so every sender counts as authenticated and
only the OPD address list applies (the Gmail adapter checks Google's authentication results).
"""

from __future__ import annotations

import hashlib
import mailbox
import os
import shutil
import stat
import time
import uuid
from collections.abc import Iterator
from email.message import Message
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import BinaryIO

from drivebot import listing
from drivebot.docx_comments import read_comments
from drivebot.drive import DriveFile, DrivePort, mime_for
from drivebot.errors import DrivebotError, NotFound, TransientError
from drivebot.events import Note
from drivebot.files import copy_whole, is_partial, remove_partials
from drivebot.flows import WATCHED, Folder
from drivebot.gmail import MailboxPort, MailRef, header_block
from drivebot.naming import component, fit, key, shown


def _text(name: str) -> str:
    """A name as drivebot records and shows it. A name that is not UTF-8 (possible on a local
    or synced disk) arrives with its raw bytes as surrogates, which no database or e-mail can
    hold: those become visible escapes. The file keeps its real name on disk; drivebot finds
    it by its id (inode), never by this text."""
    return shown(name) if _has_surrogates(name) else name


def _has_surrogates(name: str) -> bool:
    return any("\udc80" <= char <= "\udcff" for char in name)


def _unused_name(folder: Path, name: str) -> Path:
    name = component(name)
    target = folder / name
    stem, suffix = os.path.splitext(name)
    n = 2
    while target.exists():
        target = folder / fit(f"{stem} ({n}){suffix}") if suffix else folder / fit(f"{stem} ({n})")
        n += 1
    return target


KEPT_LISTINGS = 4  # LocalDrive.poll's cursors that stay valid in memory


def _by_name(entry: tuple[os.DirEntry[str], listing.Place]) -> str:
    return entry[0].name


def _drive_file(
    name: str, info: os.stat_result, folder: Folder, opd_folder: str | None
) -> DriveFile:
    return DriveFile(
        id=f"ino-{info.st_ino}",
        name=_text(name),
        folder=folder,
        mime_type=mime_for(name),
        size=info.st_size,
        opd_folder=_text(opd_folder) if opd_folder else None,
        locked=not info.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH),
        modified=str(info.st_mtime_ns),
    )


class LocalDrive(DrivePort):
    def __init__(self, root: Path, folders: dict[Folder, str], settle_seconds: float = 2.0):
        self.root = root
        self.folders = folders
        self.settle_seconds = settle_seconds
        # Where each id was last seen: checked before use, so a stale entry only costs a scan.
        self._seen: dict[str, tuple[Path, Folder, str | None]] = {}
        self._listings: dict[str, listing.Listing] = {}  # poll's cursors, see poll()

    def _dir(self, folder: Folder, opd_folder: str | None = None) -> Path:
        path = self.root / self.folders[folder]
        return path / opd_folder if folder is Folder.INBOX and opd_folder else path

    def _describe(self, path: Path, folder: Folder, opd_folder: str | None) -> DriveFile:
        return _drive_file(path.name, path.stat(), folder, opd_folder)

    def _places(self, folders: tuple[Folder, ...]) -> list[tuple[str, Folder, str | None]]:
        """The directories that hold `folders`' files, with the folder and OPD they stand for.
        The inbox root is one too: a file dropped there (outside every OPD's folder) must be
        answered, not left unseen."""
        places: list[tuple[str, Folder, str | None]] = []
        for folder in folders:
            base = str(self._dir(folder))
            places.append((base, folder, None))
            if folder is Folder.INBOX:
                places += [(e.path, folder, e.name) for e in listing.entries(base) if e.is_dir()]
        return places

    def _listing(
        self, folders: tuple[Folder, ...]
    ) -> Iterator[tuple[os.DirEntry[str], listing.Place]]:
        """Every file in `folders`, in name order, by one directory read each: the inode and
        the type come with the names, so nothing here costs a `stat` per file."""
        for directory, folder, opd_folder in self._places(folders):
            found = [
                (entry, (folder, opd_folder, entry.name))
                for entry in listing.entries(directory)
                if entry.is_file() and not is_partial(entry.name)
            ]
            yield from sorted(found, key=_by_name)

    def _placed(self, path: Path, folder: Folder, opd_folder: str | None) -> DriveFile:
        """A file drivebot just put somewhere, remembered: finding it again costs no scan."""
        file = self._describe(path, folder, opd_folder)
        self._seen[file.id] = (path, folder, opd_folder)
        return file

    def _remember(self, entry: os.DirEntry[str], place: listing.Place) -> str:
        file_id = f"ino-{entry.inode()}"
        self._seen[file_id] = (Path(entry.path), place[0], place[1])
        return file_id

    def _locate(self, file_id: str) -> tuple[Path, Folder, str | None]:
        if not file_id.startswith("ino-"):
            raise NotFound("file_gone", what=file_id)
        seen = self._seen.get(file_id)
        if seen is not None and seen[0].is_file() and f"ino-{seen[0].stat().st_ino}" == file_id:
            return seen
        for entry, place in self._listing(tuple(Folder)):
            if f"ino-{entry.inode()}" == file_id:
                self._remember(entry, place)
                return self._seen[file_id]
        raise NotFound("file_gone", what=file_id)

    def poll(self, cursor: str | None) -> tuple[list[DriveFile], str | None]:
        """What changed since the listing `cursor` names, as Drive's changes feed answers
        (drivebot.listing: an idle poll costs one `stat` per directory).

        The last few listings of this process are kept in memory (a cursor the cycle did not
        keep is asked about again). A file whose inode, place and name are as in that listing
        is unchanged and is not `stat`ed again; so a file rewritten in place under the same
        name, after it was reported, is not reported again (editors and sync clients save
        through a new file, which is). `drivebot retry`, a restart, or a cursor from another
        process start from a full listing. Files still being written (changed within
        `settle_seconds`) wait.
        """
        before = self._listings.get(cursor or "", {})
        found, now = listing.changes(self._places(WATCHED), before, self.settle_seconds)
        files = []
        for entry, place, info in found:
            self._remember(entry, place)
            files.append(_drive_file(entry.name, info, place[0], place[1]))
        if cursor in self._listings:  # asked about just now: kept longest
            self._listings[cursor] = self._listings.pop(cursor)
        token = f"local-{uuid.uuid4().hex}"
        self._listings[token] = now
        while len(self._listings) > KEPT_LISTINGS:
            del self._listings[next(iter(self._listings))]
        return files, token

    def get(self, file_id: str) -> DriveFile:
        return self._describe(*self._locate(file_id))

    def find(self, folder: Folder, name: str, opd_folder: str | None = None) -> DriveFile | None:
        directory = self._dir(folder, opd_folder)
        path = directory / component(name)
        if path.is_file():
            return self._describe(path, folder, opd_folder)
        if name.isascii() or not directory.is_dir():
            return None
        # The same text in another normal form (macOS writes names in NFD) is the same name.
        wanted = key(component(name))
        for entry in directory.iterdir():
            if key(entry.name) == wanted and entry.is_file():
                return self._describe(entry, folder, opd_folder)
        return None

    def download(self, file_id: str, dest: Path) -> None:
        path = self._locate(file_id)[0]
        before = path.stat()
        shutil.copyfile(path, dest)
        after = path.stat()
        if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns):
            raise TransientError(f"{path.name} is still being written")

    def reserve_ids(self, count: int) -> list[str]:
        # A file system picks the id (the inode); nothing here loses an answer on the way.
        return [f"reserved-{uuid.uuid4().hex}" for _ in range(count)]

    def upload(
        self,
        source: Path,
        name: str,
        folder: Folder,
        opd_folder: str | None = None,
        file_id: str | None = None,
    ) -> DriveFile:
        directory = self._dir(folder, opd_folder)
        directory.mkdir(parents=True, exist_ok=True)
        target = _unused_name(directory, name)
        copy_whole(source, target)  # appears whole, as a Drive upload does
        return self._placed(target, folder, opd_folder)

    def put(self, source: Path, name: str, folder: Folder, file_id: str | None = None) -> DriveFile:
        target = self._dir(folder) / component(name)
        copy_whole(source, target)
        return self._placed(target, folder, None)

    def copy(
        self, file_id: str, folder: Folder, name: str, copy_id: str | None = None
    ) -> DriveFile:
        source = self._locate(file_id)[0]
        existing = self.find(folder, name)
        return existing or self.upload(source, name, folder)

    def move(self, file_id: str, folder: Folder, name: str | None = None) -> DriveFile:
        path, current, opd_folder = self._locate(file_id)
        name = name or path.name
        if current is folder and path.name == name:
            return self._describe(path, folder, opd_folder)
        opd_folder = opd_folder if folder is Folder.INBOX else None
        directory = self._dir(folder, opd_folder)
        directory.mkdir(parents=True, exist_ok=True)
        target = _unused_name(directory, name)
        source = (str(path.parent), path.parent.stat().st_mtime_ns)
        destination = (str(directory), directory.stat().st_mtime_ns)
        os.rename(path, target)
        place = (folder, opd_folder, target.name)
        for kept in self._listings.values():  # the next poll need not read either directory
            listing.moved(kept, int(file_id[4:]), source, destination, place)
        return self._placed(target, folder, opd_folder)

    def comments(self, file_id: str) -> list[Note]:
        path = self._locate(file_id)[0]
        return read_comments(path) if path.suffix.lower() == ".docx" else []

    def lock(self, file_id: str) -> None:
        path = self._locate(file_id)[0]
        path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        if path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
            raise DrivebotError(f"the lock on {path.name} did not take effect")

    def review_copy(self, file: DriveFile, file_id: str | None = None) -> DriveFile:
        return file  # reviewers comment in the .docx itself

    def ensure_folders(self, opd_folders: list[str]) -> None:
        for folder in Folder:
            self._dir(folder).mkdir(parents=True, exist_ok=True)
        for opd_folder in opd_folders:
            self._dir(Folder.INBOX, opd_folder).mkdir(parents=True, exist_ok=True)

    def clear_leftovers(self) -> int:
        return remove_partials(self.root)


def _header_block(handle: BinaryIO) -> Message:
    """The headers only: read up to the blank line that ends them (the stdlib's header parser
    reads, and keeps, the whole message to find that line)."""
    block = bytearray()
    for line in handle:
        if line in (b"\n", b"\r\n") or len(block) > 1 << 20:
            break
        block += line
    return BytesHeaderParser().parsebytes(bytes(block))


SENT_PREFIX = "drivebot-"
SENT_FLAGS = ("", ":2,", ":2,S")
SENT_NAMED = ".named-by-message-id"  # in sent/: its messages are named by _sent_key


def _sent_key(message_id: str) -> str:
    """A sent message's file name: a digest of its Message-ID (angle brackets aside)."""
    wanted = message_id.strip().strip("<>").encode("utf-8", "surrogateescape")
    return SENT_PREFIX + hashlib.sha256(wanted).hexdigest()[:40]


def _maildir_files(box: Path) -> dict[str, Path]:
    """Message key -> file, over a Maildir's new/ and cur/ (the key is the name before ':')."""
    return {
        path.name.split(":", 1)[0]: path
        for sub in ("new", "cur")
        if (box / sub).is_dir()
        for path in (box / sub).iterdir()
    }


class LocalMailbox(MailboxPort):
    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        for name in ("inbox", "processed", "quarantine", "sent"):
            mailbox.Maildir(root / name, create=True)
        self._name_sent_by_message_id()

    def _path(self, ref: MailRef) -> Path:
        path = _maildir_files(self.root / "inbox").get(ref.id)
        if path is None:
            raise NotFound("message_gone", id=ref.id)
        return path

    def poll(self, cursor: str | None) -> tuple[list[MailRef], str | None]:
        files = _maildir_files(self.root / "inbox")
        return [MailRef(key, path.stat().st_size) for key, path in sorted(files.items())], None

    def headers(self, ref: MailRef) -> Message:
        with self._path(ref).open("rb") as handle:
            return _header_block(handle)

    def sender_authenticated(self, headers: Message) -> bool:
        return True

    def fetch(self, ref: MailRef, dest: Path) -> None:
        shutil.copyfile(self._path(ref), dest)

    def _move(self, ref: MailRef, box: str) -> None:
        if ref.id in _maildir_files(self.root / box):
            return  # moved before a crash: done already
        os.replace(self._path(ref), self.root / box / "cur" / f"{ref.id}:2,S")

    def mark_processed(self, ref: MailRef) -> None:
        self._move(ref, "processed")

    def quarantine(self, ref: MailRef) -> None:
        self._move(ref, "quarantine")

    def send(self, raw: bytes) -> None:
        """Delivered into sent/ the Maildir way (written in tmp/, renamed into new/), under a
        name made from the Message-ID: the name is the index `was_sent` looks in."""
        key = _sent_key(header_block(raw).get("Message-ID", "") or uuid.uuid4().hex)
        sent = self.root / "sent"
        written = sent / "tmp" / f"{key}.{os.getpid()}"
        written.write_bytes(raw)
        os.replace(written, sent / "new" / key)

    def was_sent(self, message_id: str) -> bool:
        """One look-up by name, whatever the number of messages sent. A mail client that
        read the sent box moved them to cur/ with its flags (seen, or none) in the name."""
        key, sent = _sent_key(message_id), self.root / "sent"
        places = [sent / "new" / key] + [sent / "cur" / f"{key}{flags}" for flags in SENT_FLAGS]
        return any(place.exists() for place in places)

    def _name_sent_by_message_id(self) -> None:
        """Messages sent before sent/ was named by Message-ID get their name once, so that
        `was_sent` finds them too (a message sent just before the upgrade is not sent again)."""
        sent = self.root / "sent"
        marker = sent / SENT_NAMED
        if marker.exists():
            return
        for name, path in _maildir_files(sent).items():
            if not name.startswith(SENT_PREFIX):
                with path.open("rb") as handle:
                    key = _sent_key(_header_block(handle).get("Message-ID", "") or name)
                flags = path.name[len(name) :]
                os.replace(path, path.with_name(key + (flags if path.parent.name == "cur" else "")))
        marker.touch()

    def clear_leftovers(self) -> int:
        """Messages a killed send left in a Maildir's tmp/: removed after 36 hours, as the
        Maildir convention has it (a mail server delivering into the inbox uses tmp/ too)."""
        untouched_since = time.time() - 36 * 3600  # by access time, as mailbox.Maildir.clean
        removed = 0
        for box in ("inbox", "processed", "quarantine", "sent"):
            for path in (self.root / box / "tmp").iterdir():
                if path.is_file() and path.stat().st_atime < untouched_since:
                    path.unlink(missing_ok=True)
                    removed += 1
        return removed

    def deliver(self, raw: bytes) -> str:
        """Put a message in the inbox, as a mail server would (tests play the OPDs with it)."""
        return mailbox.Maildir(self.root / "inbox", create=True).add(raw)
