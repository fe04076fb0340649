"""Who may do what on a Drive file, with `FakeGoogle(ownership=True)`.

Sources:
- "Roles and permissions" (developers.google.com/workspace/drive/api/guides/ref-roles): owner,
  organizer, fileOrganizer, writer, commenter, reader; readers read metadata and content and list
  folders; commenters also comment; writers modify metadata and content, add items to folders and
  remove items from My Drive folders, and share them (unless the owner turned writersCanShare
  off); in a shared drive fileOrganizers and organizers move and trash, organizers delete.
- "Share files, folders, and drives" (.../guides/manage-sharing): "Permission lists for a folder
  propagate downward. All child files and folders inherit permissions from the parent." A
  folder's owner is not the owner of what others put in it: an owner permission inherited from a
  folder counts as writer here.
- "Trash or delete files and folders" (.../guides/delete): "Only the file owner can trash a file
  ... you receive an insufficientFilePermissions error."
- "Protect file content" (.../guides/content-restrictions): a readOnly restriction stops title,
  content and comment changes; an editor restriction needs role=writer, an ownerRestricted one
  the owner (My Drive) or an organizer (shared drive); copyRequiresWriterPermission takes
  download, print and copy away from readers and commenters.
- "Simplifying Google Drive's folder structure and sharing models" (Google Workspace blog,
  2020-03-26): in My Drive "moving an item will require access to share the item", and an owner
  may move their item out of parents they cannot access.
- "Shared drive versus My Drive API differences" (.../guides/shared-drives-diffs): which
  capabilities are only populated for shared drive items (and which never are).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fakegoogle.drive import FakeDrive
    from fakegoogle.files import File

ROLES = ("reader", "commenter", "writer", "fileOrganizer", "organizer", "owner")
RANK = {role: n for n, role in enumerate(ROLES, start=1)}
MEMBER_ROLES = ("organizer", "fileOrganizer", "writer", "commenter", "reader")
MY_DRIVE_ROLES = ("owner", "writer", "commenter", "reader")
SHARED_ONLY = (
    "canAddFolderFromAnotherDrive",
    "canDeleteChildren",
    "canMoveChildrenOutOfDrive",
    "canReadDrive",
    "canTrashChildren",
)
MY_DRIVE_ONLY = ("canAddMyDriveParent", "canRemoveMyDriveParent", "canAcceptOwnership")


def permission_id(email: str) -> str:
    """A user's permission id, the same on every file (as Drive's are)."""
    return str(int(hashlib.md5(email.lower().encode()).hexdigest()[:15], 16))


def user(email: str | None, actor: str | None) -> dict[str, Any] | None:
    if not email:
        return None
    name = email.split("@")[0].replace(".", " ").title()
    return {
        "kind": "drive#user",
        "displayName": name,
        "me": bool(actor) and email.lower() == actor.lower(),
        "emailAddress": email,
        "permissionId": permission_id(email),
    }


def permission(email: str, role: str) -> dict[str, Any]:
    return {
        "kind": "drive#permission",
        "id": permission_id(email),
        "type": "user",
        "role": role,
        "emailAddress": email,
        "displayName": email.split("@")[0],
    }


def _grants(entry: dict[str, Any], email: str) -> bool:
    kind = entry.get("type")
    if kind in ("user", "group"):
        return str(entry.get("emailAddress", "")).lower() == email
    if kind == "domain":
        return email.rpartition("@")[2] == str(entry.get("domain", "")).lower()
    return kind == "anyone"


def role_of(drive: FakeDrive, file: File, email: str) -> str | None:
    """The user's effective role on the file: its own permissions, the folders' above it, and
    (in a shared drive) the drive's membership; None when they cannot see it."""
    email = email.lower()
    if not file.drive_id and file.owner and file.owner.lower() == email:
        return "owner"
    best = drive.members.get(file.drive_id, {}).get(email) if file.drive_id else None
    node: File | None = file
    seen: set[str] = set()
    while node is not None and node.id not in seen:
        seen.add(node.id)
        for entry in node.permissions:
            if _grants(entry, email):
                role = entry["role"]
                if role == "owner" and node is not file:
                    role = "writer"  # a folder's owner edits what others put in it
                if best is None or RANK[role] > RANK[best]:
                    best = role
        node = drive.files.get(node.parents[0]) if node.parents else None
    return best


def capabilities(file: File, role: str | None) -> dict[str, bool]:
    """What `role` may do on `file`, as files.get reports it in `capabilities`."""
    rank = RANK.get(role or "", 0)
    shared = bool(file.drive_id)
    folder = file.is_folder
    read, comment, write = rank >= 1, rank >= RANK["commenter"], rank >= RANK["writer"]
    owner = role == "owner"
    organizer = role == "organizer"
    manager = shared and rank >= RANK["fileOrganizer"]  # fileOrganizer or organizer
    share = owner or manager or (write and (shared or file.writers_can_share))
    owner_restrict = owner or organizer
    open_copy = write or not file.copy_requires_writer_permission
    editor_restrict = write and (not file.owner_restricted or owner_restrict)
    caps = {
        "canAddChildren": folder and write,
        "canAddFolderFromAnotherDrive": folder and organizer,
        "canAddMyDriveParent": False,
        "canAcceptOwnership": False,
        "canChangeCopyRequiresWriterPermission": (
            write if shared else owner or (write and file.writers_can_share)
        ),
        "canComment": comment and not file.locked,
        "canCopy": read and open_copy and (shared or not folder),
        "canDelete": organizer if shared else owner,
        "canDeleteChildren": folder and organizer,
        "canDownload": read and open_copy,
        "canEdit": write and not file.locked,
        "canListChildren": folder and read,
        "canModifyContent": write and not file.locked,
        "canModifyContentRestriction": editor_restrict,
        "canModifyEditorContentRestriction": editor_restrict,
        "canModifyOwnerContentRestriction": owner_restrict,
        "canModifyLabels": write,
        "canMoveChildrenOutOfDrive": folder and organizer,
        "canMoveChildrenWithinDrive": folder and (manager if shared else write),
        "canMoveItemOutOfDrive": organizer if shared else owner,
        "canMoveItemWithinDrive": manager if shared else share,
        "canReadDrive": read,
        "canReadLabels": read,
        "canReadRevisions": write,
        "canRemoveChildren": folder and write and not shared,
        "canRemoveContentRestriction": bool(file.content_restrictions)
        and (owner_restrict if file.owner_restricted else write),
        "canRemoveMyDriveParent": owner,
        "canRename": write and not file.locked,
        "canShare": share,
        "canTrash": manager if shared else owner,
        "canTrashChildren": folder and manager,
        "canUntrash": manager if shared else owner,
    }
    for name in SHARED_ONLY if not shared else MY_DRIVE_ONLY:
        caps.pop(name)
    for name in file.denied:  # users.revoke still takes a capability away
        caps[name] = False
    return caps
