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

import mailbox
import os
import shutil
import stat
import time
import uuid
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import BinaryIO

from drivebot.docx_comments import read_comments
from drivebot.drive import DriveFile, DrivePort, mime_for
from drivebot.errors import DrivebotError, NotFound, TransientError
from drivebot.events import Note
from drivebot.files import copy_whole, is_partial, remove_partials
from drivebot.flows import WATCHED, Folder
from drivebot.gmail import MailboxPort, MailRef
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


class LocalDrive(DrivePort):
    def __init__(self, root: Path, folders: dict[Folder, str], settle_seconds: float = 2.0):
        self.root = root
        self.folders = folders
        self.settle_seconds = settle_seconds
        # Where each id was last seen: checked before use, so a stale entry only costs a scan.
        self._seen: dict[str, tuple[Path, Folder, str | None]] = {}

    def _dir(self, folder: Folder, opd_folder: str | None = None) -> Path:
        path = self.root / self.folders[folder]
        return path / opd_folder if folder is Folder.INBOX and opd_folder else path

    def _describe(self, path: Path, folder: Folder, opd_folder: str | None) -> DriveFile:
        info = path.stat()
        return DriveFile(
            id=f"ino-{info.st_ino}",
            name=_text(path.name),
            folder=folder,
            mime_type=mime_for(path.name),
            size=info.st_size,
            opd_folder=_text(opd_folder) if opd_folder else None,
            locked=not info.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH),
            modified=str(info.st_mtime_ns),
        )

    def _entries(self, folders: tuple[Folder, ...]) -> list[tuple[Path, Folder, str | None]]:
        entries = []
        for folder in folders:
            base = self._dir(folder)
            if not base.is_dir():
                continue
            # The inbox root is listed too: a file dropped there (outside every OPD's folder)
            # must be answered, not left unseen.
            places = [(base, None)] + (
                [(d, d.name) for d in sorted(base.iterdir()) if d.is_dir()]
                if folder is Folder.INBOX
                else []
            )
            for directory, opd_folder in places:
                for path in sorted(directory.iterdir()):
                    try:
                        if path.is_file() and not is_partial(path.name):
                            self._seen[f"ino-{path.stat().st_ino}"] = (path, folder, opd_folder)
                            entries.append((path, folder, opd_folder))
                    except FileNotFoundError:
                        continue  # moved away while the folder was being read
        return entries

    def _locate(self, file_id: str) -> tuple[Path, Folder, str | None]:
        if not file_id.startswith("ino-"):
            raise NotFound("file_gone", what=file_id)
        seen = self._seen.get(file_id)
        if seen is not None and seen[0].is_file() and f"ino-{seen[0].stat().st_ino}" == file_id:
            return seen
        for entry in self._entries(tuple(Folder)):
            if f"ino-{entry[0].stat().st_ino}" == file_id:
                return entry
        raise NotFound("file_gone", what=file_id)

    def poll(self, cursor: str | None) -> tuple[list[DriveFile], str | None]:
        settled_before = time.time() - self.settle_seconds
        files = []
        for path, folder, opd in self._entries(WATCHED):
            try:
                if path.stat().st_mtime <= settled_before:
                    files.append(self._describe(path, folder, opd))
            except FileNotFoundError:
                continue  # moved away since the listing: the next poll sees where it went
        return files, None

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
        return self._describe(target, folder, opd_folder)

    def put(self, source: Path, name: str, folder: Folder, file_id: str | None = None) -> DriveFile:
        target = self._dir(folder) / component(name)
        copy_whole(source, target)
        return self._describe(target, folder, None)

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
        directory = self._dir(folder, opd_folder if folder is Folder.INBOX else None)
        directory.mkdir(parents=True, exist_ok=True)
        target = _unused_name(directory, name)
        os.rename(path, target)
        self._seen[file_id] = (target, folder, opd_folder if folder is Folder.INBOX else None)
        return self._describe(*self._seen[file_id])

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

    def send(self, message: EmailMessage) -> None:
        mailbox.Maildir(self.root / "sent", create=True).add(message.as_bytes())

    def was_sent(self, message_id: str) -> bool:
        for path in _maildir_files(self.root / "sent").values():
            with path.open("rb") as handle:
                if BytesHeaderParser().parse(handle).get("Message-ID", "").strip() == message_id:
                    return True
        return False

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
