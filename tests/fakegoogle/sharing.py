"""Sharing: permissions on files and folders, members of shared drives, the permissions.* and
comments.list methods. With ownership, listing a file's permissions needs writer access ("Roles and
permissions": readers cannot access detailed file permissions) and changing them canShare;
both refusals are 403 insufficientFilePermissions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fakegoogle.discovery import ApiError, bad_request
from fakegoogle.permissions import MEMBER_ROLES, MY_DRIVE_ROLES, RANK, ROLES, permission
from fakegoogle.server import Reply, Request

if TYPE_CHECKING:
    from fakegoogle.drive import FakeDrive
    from fakegoogle.files import File

    _Base = FakeDrive
else:
    _Base = object


def _denied() -> ApiError:
    return ApiError(
        403,
        "The user does not have sufficient permissions for this file.",
        "insufficientFilePermissions",
    )


class SharingMixin(_Base):
    def share(self, file_id: str, email: str, role: str) -> dict[str, Any] | None:
        """Give `email` `role` on a file or folder (inherited by what a folder holds), or make
        them a member of a shared drive (its id). Role "owner" on a My Drive item transfers it."""
        file = self.files[file_id]
        email = email.lower()
        if file.drive_id == file.id:
            if role not in MEMBER_ROLES:
                raise ValueError(f"a shared drive member is one of {MEMBER_ROLES}, not {role}")
            self.members[file.id][email] = role
            self.changes.append(file.id)
            return None
        allowed = ("writer", "commenter", "reader", "fileOrganizer") if file.drive_id else None
        if role not in (allowed or MY_DRIVE_ROLES):
            raise ValueError(f"{role!r} cannot be given on this item")
        if role == "owner":  # the former owner keeps edit access
            for entry in file.permissions:
                if entry["role"] == "owner":
                    entry["role"] = "writer"
            file.owner = email
        entry = next(
            (p for p in file.permissions if p.get("emailAddress", "").lower() == email), None
        )
        if entry is None:
            entry = permission(email, role)
            file.permissions.append(entry)
        entry["role"] = role
        self.changes.append(file.id)
        return entry

    def unshare(self, file_id: str, email: str) -> None:
        """Take `email`'s own permission on the item (or their shared drive membership) away."""
        file, email = self.files[file_id], email.lower()
        if file.drive_id == file.id:
            self.members[file.id].pop(email, None)
        else:
            if (file.owner or "").lower() == email:
                raise ValueError("the owner's access cannot be removed")
            file.permissions = [
                p for p in file.permissions if p.get("emailAddress", "").lower() != email
            ]
        self.changes.append(file.id)

    def _may_share(self, file: File, request: Request) -> None:
        if self.ownership and not self.can(file, request.actor, "canShare"):
            raise _denied()

    def list_permissions(self, request: Request) -> Reply:
        file = self._file(request)
        if self.ownership and RANK.get(self.role(file, request.actor) or "", 0) < RANK["writer"]:
            raise _denied()
        return Reply(json={"kind": "drive#permissionList", "permissions": file.permissions})

    def create_permission(self, request: Request) -> Reply:
        file = self._file(request)
        self._may_share(file, request)
        body = request.body or {}
        if body.get("role") not in ROLES or not body.get("type"):
            raise bad_request("A permission needs a valid role and type.", "permission")
        if self.ownership and body["type"] in ("user", "group") and body.get("emailAddress"):
            try:
                entry = self.share(file.id, body["emailAddress"], body["role"])
            except ValueError as error:
                raise bad_request(str(error), "permission.role") from None
            return Reply(json=entry or permission(body["emailAddress"], body["role"]))
        entry = {
            "kind": "drive#permission",
            "id": f"p{len(file.permissions) + 1}",
            "type": body["type"],
            "role": body["role"],
            "emailAddress": body.get("emailAddress", ""),
        }
        if body.get("domain"):
            entry["domain"] = body["domain"]
        file.permissions.append(entry)
        return Reply(json=entry)

    def update_permission(self, request: Request) -> Reply:
        file = self._file(request)
        self._may_share(file, request)
        entry = next(
            (p for p in file.permissions if p["id"] == request.params["permissionId"]), None
        )
        if entry is None:
            raise ApiError(
                404,
                f"Permission not found: {request.params['permissionId']}.",
                "notFound",
                "permissionId",
            )
        entry.update({k: v for k, v in (request.body or {}).items() if k == "role"})
        return Reply(json=entry)

    def list_comments(self, request: Request) -> Reply:
        file = self._file(request)
        page_size = request.params.get("pageSize", 20)
        if not 1 <= page_size <= 100:
            raise bad_request(f"Invalid value for pageSize: {page_size}", "pageSize")
        comments = [
            c for c in file.comments if request.params.get("includeDeleted") or not c["deleted"]
        ]
        offset = int(request.params.get("pageToken") or 0)
        result: dict[str, Any] = {
            "kind": "drive#commentList",
            "comments": comments[offset : offset + page_size],
        }
        if offset + page_size < len(comments):
            result["nextPageToken"] = str(offset + page_size)
        return Reply(json=result)
