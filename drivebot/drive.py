"""The Drive port: what drivebot needs from the shared folder tree, whatever backs it.

Folders are named by role (`workflow.Folder`); each adapter maps roles to real folders. The
local adapter (`drivebot.local`) is a folder tree on disk; the Google adapter talks to Drive v3.
Every adapter passes the same contract suite (tests/contract).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path

from drivebot.workflow import Folder

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_MIME = "application/pdf"
GOOGLE_DOC_MIME = "application/vnd.google-apps.document"


@dataclass(frozen=True)
class DriveFile:
    id: str
    name: str
    folder: Folder
    mime_type: str
    size: int | None = None
    opd_folder: str | None = None  # the OPD's subfolder, for files in the inbox
    locked: bool = False
    link: str | None = None  # where a person opens it (webViewLink, or a file path)


@dataclass(frozen=True)
class Reply:
    author: str
    content: str


@dataclass(frozen=True)
class Comment:
    """A reviewer's comment. `author` is a display name the API does not authenticate."""

    author: str
    content: str
    quoted: str = ""
    replies: tuple[Reply, ...] = field(default_factory=tuple)


class DrivePort(ABC):
    @abstractmethod
    def poll(self, cursor: str | None) -> tuple[list[DriveFile], str | None]:
        """Files in the watched folders that may have appeared or moved since `cursor`, and the
        cursor to pass next time. An adapter may return unchanged files too (the caller
        compares with what it knows); it leaves out files still being written."""

    @abstractmethod
    def get(self, file_id: str) -> DriveFile:
        """The file as it is now; raises `errors.NotFound` when it is gone."""

    @abstractmethod
    def find(self, folder: Folder, name: str, opd_folder: str | None = None) -> DriveFile | None:
        """The file called `name` in `folder`, if there is one (used to make uploads idempotent)."""

    @abstractmethod
    def download(self, file_id: str, dest: Path) -> None:
        """Write the file's bytes to `dest`, streaming (never the whole file in memory)."""

    @abstractmethod
    def upload(self, source: Path, name: str, folder: Folder, opd_folder: str | None = None
               ) -> DriveFile:
        """Create a file from `source` in `folder`."""

    @abstractmethod
    def move(self, file_id: str, folder: Folder, name: str | None = None) -> DriveFile:
        """Put the file in `folder` (renamed when `name` is given). Moving a file to where it
        already is changes nothing, so a retried move is harmless."""

    @abstractmethod
    def comments(self, file_id: str) -> list[Comment]:
        """The unresolved comments on the file, oldest first."""

    @abstractmethod
    def lock(self, file_id: str) -> None:
        """Make the file read-only for everyone but its owner."""

    @abstractmethod
    def review_copy(self, file: DriveFile) -> DriveFile:
        """The file reviewers comment on: this file, or (Google) a Google Doc imported from it."""

    @abstractmethod
    def ensure_folders(self, opd_folders: list[str]) -> None:
        """Create the folder tree (and one inbox subfolder per OPD) where it is missing."""
