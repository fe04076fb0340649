"""The Drive port: what drivebot needs from the shared folder tree, whatever backs it.

Folders are named by role (`workflow.Folder`); each adapter maps roles to real folders. The
local adapter (`drivebot.local`) is a folder tree on disk; the Google adapter talks to Drive v3.
Every adapter passes the same contract suite (tests/contract).
"""

from __future__ import annotations

import logging
import mimetypes
import tempfile
from abc import ABC, abstractmethod
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drivebot.config import CONFIG_NAME, GoogleSettings
from drivebot.errors import BadDocument, BadRequest, ConfigError, DrivebotError, NotFound
from drivebot.events import Note
from drivebot.flows import Folder
from drivebot.google.comments import open_notes
from drivebot.google.folders import FOLDER_MIME, FolderTree, check_root
from drivebot.google.writes import UPLOAD_CHUNK, DriveWrites

if TYPE_CHECKING:
    from drivebot.google_api import GoogleClient

log = logging.getLogger(__name__)

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
    modified: str | None = None  # changes whenever the content does (modifiedTime, mtime)


class DrivePort(ABC):
    @abstractmethod
    def poll(self, cursor: str | None) -> tuple[list[DriveFile], str | None]:
        """Files in the watched folders that appeared, moved or changed since `cursor` (every
        file when it is None or no longer valid), and the cursor to pass next time; asked
        again with the same cursor, the same changes. A cold start may report files the
        caller knows already (it compares); files still being written are left out."""

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
    def reserve_ids(self, count: int) -> list[str]:
        """Ids for files drivebot is about to create, recorded with the work before it starts:
        created under them, a retried create finds its own file instead of making another."""

    @abstractmethod
    def upload(
        self,
        source: Path,
        name: str,
        folder: Folder,
        opd_folder: str | None = None,
        file_id: str | None = None,
    ) -> DriveFile:
        """Create a file from `source` in `folder`, under `file_id` when one was reserved (an
        adapter that cannot choose ids ignores it); the stored bytes are checked."""

    @abstractmethod
    def put(self, source: Path, name: str, folder: Folder, file_id: str | None = None) -> DriveFile:
        """Create `name` in `folder` from `source`, or replace its content if it exists (used
        for drivebot's own records, such as the archive ledger's copy)."""

    @abstractmethod
    def copy(
        self, file_id: str, folder: Folder, name: str, copy_id: str | None = None
    ) -> DriveFile:
        """A copy of the file in `folder`, owned by drivebot's account (which may then lock it,
        where the original's owner is someone else)."""

    @abstractmethod
    def move(self, file_id: str, folder: Folder, name: str | None = None) -> DriveFile:
        """Put the file in `folder` (renamed when `name` is given). Moving a file to where it
        already is changes nothing, so a retried move is harmless."""

    @abstractmethod
    def comments(self, file_id: str) -> list[Note]:
        """The unresolved comments on the file, oldest first."""

    @abstractmethod
    def lock(self, file_id: str) -> None:
        """Make the file read-only for everyone but its owner, and check that it is: a lock
        that did not take effect raises DrivebotError."""

    @abstractmethod
    def review_copy(self, file: DriveFile, file_id: str | None = None) -> DriveFile:
        """The file reviewers comment on: this file, or (Google) a Google Doc imported from it
        (under `file_id` when one was reserved)."""

    @abstractmethod
    def ensure_folders(self, opd_folders: list[str]) -> None:
        """Create the folder tree (and one inbox subfolder per OPD) where it is missing."""

    def clear_leftovers(self) -> int:
        """Remove what a killed run left half written; how many. Nothing on Google, where an
        upload appears whole or not at all."""
        return 0


# --- Google Drive v3 -------------------------------------------------------------------------

FILE_FIELDS = (
    "id,name,mimeType,parents,size,md5Checksum,trashed,webViewLink,contentRestrictions,modifiedTime"
)
CHANGE_FIELDS = f"nextPageToken,newStartPageToken,changes(fileId,removed,file({FILE_FIELDS}))"
COMMENT_FIELDS = (
    "nextPageToken,comments(id,createdTime,content,resolved,deleted,author(displayName),"
    "quotedFileContent(mimeType,value),replies(content,deleted,author(displayName)))"
)
LOCK_REASON = "Archived by drivebot: the authenticated final"


def _q(text: str) -> str:
    """A string literal for a Drive query."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def mime_for(name: str) -> str:
    """The MIME type a file of this name is uploaded as (what Drive shows for it)."""
    suffix = Path(name).suffix.lower()
    return (
        {".docx": DOCX_MIME, ".pdf": PDF_MIME}.get(suffix)
        or mimetypes.guess_type(name)[0]
        or "application/octet-stream"
    )


class GoogleDrive(DrivePort):
    """Drive v3 on the shared folder tree whose ids `drivebot setup-google` wrote to the config.

    The poll cursor is a changes.list page token: an idle poll is one request. Roles come from
    each file's parent: `folder_ids` maps role keys ("review", "inbox/<OPD folder>") to folder
    ids. Files in a shared drive are reached with supportsAllDrives, and listed (and their
    changes read) within that drive when `shared_drive_id` is set.
    """

    def __init__(self, client: GoogleClient, settings: GoogleSettings, folders: dict[Folder, str]):
        self.client = client
        self.service = client.service
        self.settings = settings
        self.folders = folders  # folder names, for ensure_folders
        self.tree = FolderTree(settings.folder_ids)
        self.writes = DriveWrites(client, FILE_FIELDS)

    def _describe(self, item: dict[str, Any], watched_only: bool = False) -> DriveFile | None:
        places = self.tree.places(watched_only)
        place = next((places[p] for p in item.get("parents", []) if p in places), None)
        if place is None or item.get("trashed"):
            return None
        return DriveFile(
            id=item["id"],
            name=item["name"],
            folder=place[0],
            mime_type=item["mimeType"],
            size=int(item["size"]) if "size" in item else None,
            opd_folder=place[1],
            locked=any(r.get("readOnly") for r in item.get("contentRestrictions", [])),
            link=item.get("webViewLink"),
            modified=item.get("modifiedTime"),
        )

    # --- request scopes ----------------------------------------------------------------------

    def _drive_scope(self) -> dict[str, Any]:
        drive_id = self.settings.shared_drive_id
        return {"supportsAllDrives": True, **({"driveId": drive_id} if drive_id else {})}

    def _list_scope(self) -> dict[str, Any]:
        scope = {**self._drive_scope(), "includeItemsFromAllDrives": True}
        return {**scope, "corpora": "drive"} if self.settings.shared_drive_id else scope

    def _list(self, q: str) -> list[dict[str, Any]]:
        fields = f"nextPageToken,files({FILE_FIELDS})"
        return self.client.collect(
            lambda token: self.service.files().list(
                q=q, fields=fields, pageSize=1000, pageToken=token, **self._list_scope()
            ),
            "files",
        )

    def _get(self, file_id: str, fields: str = FILE_FIELDS) -> dict[str, Any]:
        return self.client.call(
            self.service.files().get(fileId=file_id, fields=fields, supportsAllDrives=True)
        )

    # --- the port ----------------------------------------------------------------------------

    def poll(self, cursor: str | None) -> tuple[list[DriveFile], str | None]:
        if cursor is not None:
            try:
                return self._changes(cursor)
            except (NotFound, BadRequest) as lost:
                # The page token expired or is no longer valid (a drive was removed and
                # restored, months of downtime): start again from a listing of the folders.
                log.warning("Drive forgot the changes cursor (%s): listing the folders anew", lost)
        try:
            # The token first: a file added while the folders are listed shows up again.
            token = self.client.call(
                self.service.changes().getStartPageToken(**self._drive_scope())
            )
        except NotFound:
            raise ConfigError(
                "shared_drive_gone", file=CONFIG_NAME, value=self.settings.shared_drive_id
            ) from None
        files = [
            self._describe(item, watched_only=True)
            for folder_id in self.tree.places(watched_only=True)
            for item in self._list(f"{_q(folder_id)} in parents and trashed = false")
        ]
        return [f for f in files if f], token["startPageToken"]

    def _changes(self, cursor: str) -> tuple[list[DriveFile], str | None]:
        found: dict[str, DriveFile] = {}
        while True:
            page = self.client.call(
                self.service.changes().list(
                    pageToken=cursor,
                    pageSize=1000,
                    fields=CHANGE_FIELDS,
                    includeRemoved=True,
                    spaces="drive",
                    includeItemsFromAllDrives=True,
                    **self._drive_scope(),
                )
            )
            for change in page.get("changes", []):
                file = (
                    None
                    if change.get("removed")
                    else self._describe(change.get("file", {}), watched_only=True)
                )
                found.pop(change["fileId"], None)  # a later change of the same file wins
                if file:
                    found[file.id] = file
            if "newStartPageToken" in page:
                return list(found.values()), page["newStartPageToken"]
            cursor = page["nextPageToken"]

    def get(self, file_id: str) -> DriveFile:
        file = self._describe(self._get(file_id))
        if file is None:
            raise NotFound("file_gone", what=file_id)
        return file

    def find(self, folder: Folder, name: str, opd_folder: str | None = None) -> DriveFile | None:
        items = self._list(
            f"name = {_q(name)} and {_q(self.tree.folder_id(folder, opd_folder))} "
            f"in parents and trashed = false"
        )
        return self._describe(items[0]) if items else None

    def download(self, file_id: str, dest: Path) -> None:
        self._download(self._get(file_id, "id,name,mimeType"), dest)

    def _download(self, item: dict[str, Any], dest: Path) -> None:
        files = self.service.files()
        if item["mimeType"] == GOOGLE_DOC_MIME:
            request = files.export_media(fileId=item["id"], mimeType=PDF_MIME)
        elif item["mimeType"].startswith("application/vnd.google-apps."):
            raise BadDocument(
                "unsupported_type", f"{item['name']}: a {item['mimeType']} cannot be downloaded"
            )
        else:
            request = files.get_media(fileId=item["id"], supportsAllDrives=True)
        try:
            with dest.open("wb") as handle:
                self.client.download(request, handle, UPLOAD_CHUNK)
        except DrivebotError:
            dest.unlink(missing_ok=True)  # never leave half a file for the next step to read
            raise

    def _placed(self, item: dict[str, Any] | None, what: str) -> DriveFile:
        file = self._describe(item) if item else None
        if file is None:
            raise NotFound("file_gone", what=what)
        return file

    def reserve_ids(self, count: int) -> list[str]:
        return self.writes.reserve_ids(count)

    def upload(
        self,
        source: Path,
        name: str,
        folder: Folder,
        opd_folder: str | None = None,
        file_id: str | None = None,
    ) -> DriveFile:
        body = {"name": name, "parents": [self.tree.folder_id(folder, opd_folder)]}
        return self._placed(self.writes.create(body, source, mime_for(name), file_id), name)

    def put(self, source: Path, name: str, folder: Folder, file_id: str | None = None) -> DriveFile:
        existing = self.find(folder, name)
        if existing is None:
            return self.upload(source, name, folder, file_id=file_id)
        item = self.writes.replace_content(existing.id, source, mime_for(name))
        return self._placed(item, name)

    def copy(
        self, file_id: str, folder: Folder, name: str, copy_id: str | None = None
    ) -> DriveFile:
        body = {"name": name, "parents": [self.tree.folder_id(folder)]}
        return self._placed(self.writes.copy(file_id, body, copy_id), name)

    def move(self, file_id: str, folder: Folder, name: str | None = None) -> DriveFile:
        item = self._get(file_id)
        current = self._describe(item)
        # As in the local backend, a file keeps its OPD subfolder only when it stays in the inbox.
        opd_folder = current.opd_folder if current and folder is Folder.INBOX else None
        target = self.tree.folder_id(folder, opd_folder)
        parents = item.get("parents", [])
        name = name or item["name"]
        if parents == [target] and item["name"] == name and current:
            return current
        others = ",".join(p for p in parents if p != target)
        updated = self.client.call(
            self.service.files().update(
                fileId=file_id,
                addParents=None if target in parents else target,
                removeParents=others or None,
                body={"name": name} if name != item["name"] else {},
                fields=FILE_FIELDS,
                supportsAllDrives=True,
            )
        )
        return self._placed(updated, item["name"])

    def comments(self, file_id: str) -> list[Note]:
        found = self.client.collect(
            lambda token: self.service.comments().list(
                fileId=file_id,
                includeDeleted=False,
                pageSize=100,
                pageToken=token,
                fields=COMMENT_FIELDS,
            ),
            "comments",
        )
        return open_notes(found)

    def lock(self, file_id: str) -> None:
        self.writes.lock(file_id, LOCK_REASON)

    def review_copy(self, file: DriveFile, file_id: str | None = None) -> DriveFile:
        if file.mime_type != DOCX_MIME:
            return file
        name = file.name[:-5] if file.name.lower().endswith(".docx") else file.name
        folder_id = self.tree.folder_id(file.folder, file.opd_folder)
        existing = self._list(
            f"name = {_q(name)} and {_q(folder_id)} in parents and "
            f"mimeType = {_q(GOOGLE_DOC_MIME)} and trashed = false"
        )
        if existing:
            return self._placed(existing[0], name)
        with tempfile.TemporaryDirectory(prefix="drivebot-") as tmp:
            source = Path(tmp) / "draft.docx"
            self._download({"id": file.id, "name": file.name, "mimeType": DOCX_MIME}, source)
            body = {"name": name, "parents": [folder_id], "mimeType": GOOGLE_DOC_MIME}
            item = self.writes.create(body, source, DOCX_MIME, file_id, refused=(400,))
        if item is None:  # Docs refuses a .docx it cannot read
            raise BadDocument("docx_corrupt", f"{file.name}: Google Docs could not import it")
        return self._placed(item, name)

    def ensure_folders(self, opd_folders: list[str]) -> None:
        parent = self.settings.root_folder_id or self.settings.shared_drive_id
        self.tree.ensure(parent, self.folders, opd_folders, self._folder)

    def _folder(self, name: str, parent: str) -> str:
        """The id of the folder `name` in `parent`, created when there is none."""
        existing = self._list(
            f"name = {_q(name)} and {_q(parent)} in parents and "
            f"mimeType = {_q(FOLDER_MIME)} and trashed = false"
        )
        if existing:
            return str(existing[0]["id"])
        made = self.client.call(
            self.service.files().create(
                body={"name": name, "mimeType": FOLDER_MIME, "parents": [parent]},
                fields="id",
                supportsAllDrives=True,
            )
        )
        return str(made["id"])

    def check_access(self) -> None:
        """Raise ConfigError unless the bot can list, add and move files in the root folder."""
        root = self.settings.root_folder_id or self.settings.shared_drive_id
        try:
            item = self._get(root, "id,name,mimeType,capabilities")
        except NotFound:
            raise ConfigError("root_not_found", file=CONFIG_NAME, value=root) from None
        check_root(item, root)


def setup_google_folders(
    client: GoogleClient,
    settings: GoogleSettings,
    folder_names: dict[Folder, str],
    opd_folders: list[str],
) -> dict[str, str]:
    """Create (or find) the folder tree under the root folder or shared drive, after checking
    the bot may work there; returns the `folder_ids` table for drivebot.toml."""
    drive = GoogleDrive(client, replace(settings, folder_ids={}), folder_names)
    drive.check_access()
    drive.ensure_folders(opd_folders)
    return drive.tree.ids
