"""Drive's rules for changing and moving files, by the acting user's role (ownership only), and
Drive's refusals. Sources are in permissions.py; the shapes of the 403s:
- insufficientFilePermissions "The user does not have sufficient permissions for this file."
  (Drive's "Resolve errors"; "Trash or delete files" for trashing what one does not own);
- insufficientParentPermissions "Insufficient permissions for the specified parent." for creating
  in a folder one may not add to (Drive v3's answer quoted in
  github.com/anasty17/mirror-leech-telegram-bot/issues/427);
- storageQuotaExceeded for a service account (not impersonating anyone) creating in My Drive;
- contentRestricted for a writer changing a locked file's content or title: the local Google's
  own wording, Drive's reason for it was not found.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fakegoogle.discovery import ApiError
from fakegoogle.permissions import RANK, capabilities, permission
from fakegoogle.server import Request

if TYPE_CHECKING:
    from fakegoogle.drive import FakeDrive
    from fakegoogle.files import File

    _Base = FakeDrive
else:
    _Base = object

PROTECTION = ("contentRestrictions", "copyRequiresWriterPermission")


def not_found(file_id: str) -> ApiError:
    return ApiError(404, f"File not found: {file_id}.", "notFound", "fileId")


def denied(
    message: str = "The user does not have sufficient permissions for this file.",
) -> ApiError:
    return ApiError(403, message, "insufficientFilePermissions")


def parent_denied() -> ApiError:
    # Drive's answer for creating in a folder one may not add to (seen in
    # github.com/anasty17/mirror-leech-telegram-bot/issues/427, Drive v3).
    return ApiError(
        403, "Insufficient permissions for the specified parent.", "insufficientParentPermissions"
    )


def locked() -> ApiError:
    return ApiError(403, "The file is locked: its content cannot be modified.", "contentRestricted")


def no_storage() -> ApiError:
    return ApiError(
        403,
        "Service Accounts do not have storage quota. Leverage shared drives "
        "(https://developers.google.com/workspace/drive/api/guides/about-shareddrives), or use "
        "OAuth delegation (http://support.google.com/a/answer/7281227) instead.",
        "storageQuotaExceeded",
    )


class RulesMixin(_Base):
    def _check_update(self, file: File, request: Request, body: dict[str, Any]) -> None:
        """Drive's rules for changing a file, by the acting user's role (ownership only). A
        writer is refused a title or metadata change of a locked file as a content change."""
        actor = request.actor
        role = self.role(file, actor)
        caps = capabilities(file, role)
        refusal = (
            locked() if file.locked and RANK.get(role or "", 0) >= RANK["writer"] else denied()
        )
        if "name" in body and body["name"] != file.name and not caps["canRename"]:
            raise refusal
        edits = set(body) - {"name", "trashed", "starred", *PROTECTION}
        if "writersCanShare" in edits and (file.owner or "").lower() != (actor or "").lower():
            raise denied()
        if edits - {"writersCanShare"} and not caps["canEdit"]:
            raise refusal
        if "trashed" in body and not caps["canTrash" if body["trashed"] else "canUntrash"]:
            raise denied()
        if request.media is not None and not caps["canModifyContent"]:
            raise refusal
        self._check_protection(file, {k: v for k, v in body.items() if k in PROTECTION}, actor)

    def _check_protection(self, file: File, body: dict[str, Any], actor: str | None) -> None:
        """Content restrictions and copyRequiresWriterPermission ("Protect file content")."""
        if not self.ownership or not body:
            return
        caps = capabilities(file, self.role(file, actor))
        if "contentRestrictions" in body:
            wanted = body["contentRestrictions"] or []
            owner_kind = file.owner_restricted or any(r.get("ownerRestricted") for r in wanted)
            need = (
                "canModifyOwnerContentRestriction"
                if owner_kind
                else "canModifyEditorContentRestriction"
            )
            if not caps[need]:
                raise denied()
        crwp = body.get("copyRequiresWriterPermission")
        if (
            crwp is not None
            and bool(crwp) != file.copy_requires_writer_permission
            and not caps["canChangeCopyRequiresWriterPermission"]
        ):
            raise denied()

    def _check_move(
        self, file: File, request: Request, targets: list[File], remove: set[str]
    ) -> None:
        """Moving (addParents/removeParents): in My Drive the item's share right and the old
        folder's remove right, in a shared drive a fileOrganizer's or organizer's move right;
        out of a drive, canMoveItemOutOfDrive (ownership only)."""
        actor = request.actor
        caps = capabilities(file, self.role(file, actor))
        removing = remove & set(file.parents)
        for target in targets:
            across = target.drive_id != file.drive_id
            if not caps["canMoveItemOutOfDrive" if across else "canMoveItemWithinDrive"]:
                raise denied()
        if removing and not targets and not caps.get("canRemoveMyDriveParent", False):
            raise denied()
        if removing and not file.drive_id and self.role(file, actor) != "owner":
            for parent_id in removing:
                parent = self.files.get(parent_id)
                if parent is not None and not self.can(parent, actor, "canRemoveChildren"):
                    raise denied()

    def _rehome(self, file: File, drive_id: str | None, actor: str | None) -> None:
        """A file (and what it holds) moved into a shared drive belongs to that drive; one moved
        out of a shared drive into My Drive belongs to who moved it."""
        stack = [file]
        while stack:
            node = stack.pop()
            node.drive_id = drive_id
            node.permissions = [p for p in node.permissions if p["role"] != "owner"]
            node.owner = None if drive_id else actor
            if node.owner:
                node.permissions.insert(0, permission(node.owner, "owner"))
            stack += [f for f in self.files.values() if node.id in f.parents]
