"""Drive's change feed: start page tokens, changes.list, and what a removed shared drive leaves.

Cursors are answered as Drive answers them: a page token that is not one Drive handed out is
400 invalid "Invalid Value" (location pageToken; github.com/brekkylab/backlot/issues/337 records
Drive's 400 for a bogus pageToken); a shared drive that does not exist (or was removed, or the
user is not a member of) is 404 notFound "Shared drive not found: <id>", location driveId, for
changes.getStartPageToken and changes.list alike (the answer quoted in
github.com/astrada/google-drive-ocamlfuse/issues/814). Drive documents no expiry for change page
tokens, so the fake has none.

A file the user could see and no longer can (unshared, moved out of their reach, its shared drive
removed) is reported as a change with removed=true, as Drive reports lost access; a removed
shared drive is also reported as a changeType "drive" change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fakegoogle.discovery import ApiError, bad_request
from fakegoogle.server import Reply, Request

if TYPE_CHECKING:
    from fakegoogle.drive import FakeDrive

    _Base = FakeDrive
else:
    _Base = object


class ChangesMixin(_Base):
    def remove_shared_drive(self, drive_id: str) -> None:
        """The shared drive and everything in it are gone (an admin deleted it)."""
        drive = self.files.get(drive_id)
        if drive is None or drive.drive_id != drive_id:
            raise KeyError(drive_id)
        at = self.google.now_rfc3339()
        for file in [f for f in self.files.values() if f.drive_id == drive_id]:
            del self.files[file.id]
            self.removed[file.id] = {
                "kind": "drive" if file.id == drive_id else "file",
                "driveId": drive_id,
                "time": at,
                "seen_by": set(file.seen_by),
            }
            self.changes.append(file.id)
        self.members.pop(drive_id, None)

    def start_token(self, request: Request) -> Reply:
        self._check_drive(request)
        return Reply(
            json={"kind": "drive#startPageToken", "startPageToken": str(len(self.changes) + 1)}
        )

    def _check_drive(self, request: Request) -> str | None:
        drive_id = request.params.get("driveId")
        drive = self.files.get(drive_id or "")
        if drive_id and (
            not request.params.get("supportsAllDrives")
            or drive is None
            or drive.drive_id != drive_id
            or not self.visible(drive, request.actor)
        ):
            raise ApiError(404, f"Shared drive not found: {drive_id}", "notFound", "driveId")
        return drive_id

    def list_changes(self, request: Request) -> Reply:
        drive_id = self._check_drive(request)
        params = request.params
        token = params["pageToken"]
        if not token.isdigit() or not 1 <= int(token) <= len(self.changes) + 1:
            raise bad_request("Invalid Value", "pageToken")
        page_size = params.get("pageSize", 100)
        if not 1 <= page_size <= 1000:
            raise bad_request(f"Invalid value for pageSize: {page_size}", "pageSize")
        latest = {file_id: seq for seq, file_id in enumerate(self.changes, start=1)}
        page: list[dict[str, Any]] = []
        seq = int(token)
        while seq <= len(self.changes) and len(page) < page_size:
            file_id = self.changes[seq - 1]
            if latest[file_id] == seq:  # one entry per file: its current state
                change = self._change(file_id, request, drive_id)
                if change is not None:
                    page.append(change)
            seq += 1
        result: dict[str, Any] = {"kind": "drive#changeList", "changes": page}
        if seq <= len(self.changes):
            result["nextPageToken"] = str(seq)
        else:
            result["newStartPageToken"] = str(len(self.changes) + 1)
        return Reply(json=result)

    def _change(
        self, file_id: str, request: Request, drive_id: str | None
    ) -> dict[str, Any] | None:
        params, actor = request.params, request.actor
        with_shared = params.get("includeItemsFromAllDrives")
        include_removed = params.get("includeRemoved", True)
        file = self.files.get(file_id)
        if file is None:  # gone with its shared drive
            gone = self.removed.get(file_id)
            if (
                gone is None
                or not include_removed
                or (gone["driveId"] != drive_id if drive_id else not with_shared)
                or (self.ownership and (actor or "").lower() not in gone["seen_by"])
            ):
                return None
            if gone["kind"] == "drive":
                return {
                    "kind": "drive#change",
                    "changeType": "drive",
                    "driveId": file_id,
                    "removed": True,
                    "time": gone["time"],
                }
            return _removed(file_id, gone["time"], gone["driveId"])
        if not ((file.drive_id == drive_id) if drive_id else (not file.drive_id or with_shared)):
            return None
        if self.ownership:
            if file.id in self.roots.values():
                return None
            if not self.visible(file, actor):
                seen = (actor or "").lower() in file.seen_by
                return _removed(file.id, file.modified, file.drive_id) if seen else None
        return {
            "kind": "drive#change",
            "changeType": "file",
            "fileId": file.id,
            "removed": False,
            "time": file.modified,
            "file": self.render(file, actor),
            **({"driveId": file.drive_id} if file.drive_id else {}),
        }


def _removed(file_id: str, at: str, drive_id: str | None) -> dict[str, Any]:
    return {
        "kind": "drive#change",
        "changeType": "file",
        "fileId": file_id,
        "removed": True,
        "time": at,
        **({"driveId": drive_id} if drive_id else {}),
    }
