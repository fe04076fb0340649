"""Writing on Drive so that a retry never makes a second file, and checking what took effect.

A create that loses its answer on the way back may still have happened. drivebot therefore
asks Drive for file ids ahead (files.generateIds), records them with the work to do, and
creates each file under its reserved id: a retry of the same create is answered 409 (the id is
taken) and finds its own file instead of making a second one. Every file written is checked
against what was sent (size and MD5), and a lock is read back after it is set: a restriction
Drive accepted but did not apply (the account lacks the right, an admin policy) is an error,
not a silently unlocked archive.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drivebot.errors import DrivebotError

if TYPE_CHECKING:
    from drivebot.google_api import GoogleClient

RESUMABLE_ABOVE = 5 * 1024 * 1024  # Google's advice: multipart up to 5 MB, resumable above
UPLOAD_CHUNK = 8 * 1024 * 1024  # a multiple of 256 KiB, as resumable uploads require
LOCK_FIELDS = "id,name,contentRestrictions,copyRequiresWriterPermission"


def md5_of(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class DriveWrites:
    def __init__(self, client: GoogleClient, fields: str):
        self.client = client
        self.files = client.service.files()
        self.fields = fields

    def reserve_ids(self, count: int) -> list[str]:
        answer = self.client.call(self.files.generateIds(count=count, space="drive", type="files"))
        return [str(file_id) for file_id in answer["ids"]]

    def _get(self, file_id: str) -> dict[str, Any] | None:
        return self.client.call(
            self.files.get(fileId=file_id, fields=self.fields, supportsAllDrives=True), allow=(404,)
        )

    def create(
        self,
        body: dict[str, Any],
        source: Path,
        mime_type: str,
        file_id: str | None = None,
        refused: tuple[int, ...] = (),
    ) -> dict[str, Any] | None:
        """A new file from `source` (under `file_id` when one was reserved); None when Drive
        answers a status in `refused` (a .docx Docs cannot import). A file an earlier attempt
        made under the same id is found, not made again."""
        if file_id is not None:
            body = {**body, "id": file_id}
        with source.open("rb") as handle:
            media = self.client.media(
                handle, mime_type, source.stat().st_size > RESUMABLE_ABOVE, UPLOAD_CHUNK
            )
            request = self.files.create(
                body=body, media_body=media, fields=self.fields, supportsAllDrives=True
            )
            item = self.client.call(request, allow=(*refused, 409) if file_id else refused)
        if item is None and file_id is not None:
            item = self._get(file_id)  # 409: made by an attempt whose answer was lost
        if item is not None and "mimeType" in body and body["mimeType"] != mime_type:
            return item  # converted on the way in (a Google Doc): nothing to compare
        return self._checked(item, source) if item is not None else None

    def replace_content(self, file_id: str, source: Path, mime_type: str) -> dict[str, Any]:
        with source.open("rb") as handle:
            media = self.client.media(
                handle, mime_type, source.stat().st_size > RESUMABLE_ABOVE, UPLOAD_CHUNK
            )
            item = self.client.call(
                self.files.update(
                    fileId=file_id, media_body=media, fields=self.fields, supportsAllDrives=True
                )
            )
        return self._checked(item, source)

    def _checked(self, item: dict[str, Any], source: Path) -> dict[str, Any]:
        """The file as Drive stored it must be the bytes drivebot sent."""
        size, md5 = item.get("size"), item.get("md5Checksum")
        if (size is not None and int(size) != source.stat().st_size) or (
            md5 is not None and md5 != md5_of(source)
        ):
            raise DrivebotError(
                f"{item.get('name')}: Drive stored other bytes than were sent "
                f"(size {size}, md5 {md5})"
            )
        return item

    def copy(self, file_id: str, body: dict[str, Any], copy_id: str | None) -> dict[str, Any]:
        """A copy owned by drivebot's account (so that it may lock it)."""
        if copy_id is not None:
            body = {**body, "id": copy_id}
        item = self.client.call(
            self.files.copy(fileId=file_id, body=body, fields=self.fields, supportsAllDrives=True),
            allow=(409,) if copy_id else (),
        )
        if item is None and copy_id is not None:
            item = self._get(copy_id)
        if item is None:
            raise DrivebotError(f"the copy of {file_id} was neither made nor found")
        return item

    def lock(self, file_id: str, reason: str) -> None:
        """Read-only for all but the owner, no copying for readers; read back to be sure."""
        # Setting a restriction replaces the existing one, so locking twice is harmless.
        self.client.call(
            self.files.update(
                fileId=file_id,
                fields="id",
                supportsAllDrives=True,
                body={
                    "contentRestrictions": [
                        {"readOnly": True, "ownerRestricted": True, "reason": reason}
                    ],
                    "copyRequiresWriterPermission": True,
                },
            )
        )
        item = self.client.call(
            self.files.get(fileId=file_id, fields=LOCK_FIELDS, supportsAllDrives=True)
        )
        restrictions = item.get("contentRestrictions") or []
        if not any(r.get("readOnly") for r in restrictions) or not item.get(
            "copyRequiresWriterPermission"
        ):
            raise DrivebotError(
                f"the lock on {item.get('name', file_id)} did not take effect: "
                f"check that drivebot's account owns it and may restrict it"
            )
