"""Drive v3 with real state: files, folders, a change log, comments, permissions, exports.

Files in a shared drive are reachable only with supportsAllDrives=true (else 404, as on Drive);
a file has one parent; Google Docs cannot be downloaded (export them) and export at most
`export_limit` bytes; comments.* need `fields` (checked by the server).

With `FakeGoogle(ownership=True)` every request acts as its token's user: files have owners,
what a user may see and do follows their role (permissions.py), a file they cannot see is 404
"File not found", and refusals are Drive's 403s. Without it the bot may do anything, except
what `users.revoke` took away.
"""

from __future__ import annotations

import hashlib
import itertools
from typing import TYPE_CHECKING, Any

from fakegoogle.changes import ChangesMixin
from fakegoogle.discovery import ApiError, bad_request
from fakegoogle.files import (
    BOT,
    CAPABILITIES,
    DOC_MIME,
    DOCX_MIME,
    EXPORT_LIMIT,
    FOLDER_MIME,
    WRITABLE,
    File,
    add_reply,
    docx_import,
    new_comment,
    pdf_of,
)
from fakegoogle.permissions import capabilities, permission, role_of, user
from fakegoogle.query import MODELLED, Clause, compile_query, unmodelled
from fakegoogle.rules import (
    PROTECTION,
    RulesMixin,
    denied,
    locked,
    no_storage,
    not_found,
    parent_denied,
)
from fakegoogle.server import Handler, Reply, Request
from fakegoogle.sharing import SharingMixin

if TYPE_CHECKING:
    from fakegoogle.server import FakeGoogle

__all__ = [
    "BOT",
    "CAPABILITIES",
    "DOCX_MIME",
    "DOC_MIME",
    "FOLDER_MIME",
    "FakeDrive",
    "File",
    "add_reply",
    "new_comment",
    "pdf_of",
]


class FakeDrive(ChangesMixin, SharingMixin, RulesMixin):
    def __init__(self, google: FakeGoogle):
        self.google = google
        self.files: dict[str, File] = {}
        self.changes: list[str] = []  # file ids; a change's page token is its index + 1
        self.removed: dict[str, dict[str, Any]] = {}  # files and shared drives that are gone
        self.members: dict[str, dict[str, str]] = {}  # shared drive id -> address -> role
        self.roots: dict[str, str] = {}  # each user's My Drive, made when first named
        self.restrictions_ignored = False  # ignore_all_restrictions
        self.export_limit = EXPORT_LIMIT
        self._serial = itertools.count(1)
        self._generated = itertools.count(1)
        self.reserved: set[str] = set()  # ids files.generateIds handed out, not yet used
        self.root_id = self.new_file("My Drive", FOLDER_MIME, [], owner=google.default_user).id
        self.roots[google.default_user.lower()] = self.root_id

    @property
    def ownership(self) -> bool:
        return self.google.ownership

    # --- state, also used by the users helper ----------------------------------------------

    def new_file(
        self,
        name: str,
        mime_type: str,
        parents: list[str],
        owner: str | None = None,
        file_id: str | None = None,
        **extra: Any,
    ) -> File:
        file_id = file_id or (
            f"1D{next(self._serial):06d}" + hashlib.md5(name.encode()).hexdigest()[:10]
        )
        parent = self.files.get(parents[0]) if parents else None
        drive_id = parent.drive_id if parent else None
        owner = None if drive_id else owner
        if self.ownership:
            extra.setdefault("permissions", [permission(owner, "owner")] if owner else [])
        file = File(
            file_id,
            name,
            mime_type,
            list(parents),
            self.google.now_rfc3339(),
            drive_id=drive_id,
            owner=owner,
            modified_by=owner,
            **extra,
        )
        self.files[file_id] = file
        self.touch(file)
        return file

    def new_shared_drive(self, name: str, members: dict[str, str] | None = None) -> str:
        """A shared drive (its root folder's id); `members`: address -> role."""
        file = self.new_file(name, FOLDER_MIME, [])
        file.drive_id, file.owner = file.id, None
        if self.ownership:
            file.permissions = []
        self.members[file.id] = {email.lower(): role for email, role in (members or {}).items()}
        return file.id

    def touch(self, file: File) -> None:
        """Record a change of `file` in the change log."""
        file.version += 1
        file.modified = self.google.now_rfc3339()
        self.changes.append(file.id)

    def move(self, file: File, parent_id: str) -> None:
        file.parents = [parent_id]
        self.touch(file)

    def children(self, folder_id: str) -> list[File]:
        return [f for f in self.files.values() if folder_id in f.parents and not f.trashed]

    def ignore_restrictions(self, file_id: str, ignore: bool = True) -> None:
        """Test hook: updates of contentRestrictions and copyRequiresWriterPermission on this
        file are answered 200 (the answer shows what was asked) but not applied, as a lock that
        did not take; a client reading the file back sees it unlocked."""
        self.files[file_id].ignores_restrictions = ignore

    def ignore_all_restrictions(self, ignore: bool = True) -> None:
        """The same for every file, including those made from now on."""
        self.restrictions_ignored = ignore

    def _ignores(self, file: File) -> bool:
        return file.ignores_restrictions or self.restrictions_ignored

    def root_of(self, actor: str | None) -> str:
        """The id "root" stands for: the acting user's My Drive."""
        if not self.ownership or actor is None:
            return self.root_id
        if actor.lower() not in self.roots:
            file = File(
                f"0A{next(self._serial):06d}root",
                "My Drive",
                FOLDER_MIME,
                [],
                self.google.now_rfc3339(),
                owner=actor,
                permissions=[permission(actor, "owner")],
            )
            self.files[file.id] = file
            self.roots[actor.lower()] = file.id
        return self.roots[actor.lower()]

    def is_root(self, file: File) -> bool:
        return file.id in self.roots.values() or file.drive_id == file.id

    # --- who sees what ------------------------------------------------------------------------

    def role(self, file: File, actor: str | None) -> str | None:
        return role_of(self, file, actor) if self.ownership and actor else "owner"

    def visible(self, file: File, actor: str | None) -> bool:
        return self.role(file, actor) is not None

    def can(self, file: File, actor: str | None, capability: str) -> bool:
        if not self.ownership:
            return capability not in file.denied
        return capabilities(file, self.role(file, actor)).get(capability, False)

    def render(self, file: File, actor: str | None) -> dict[str, Any]:
        """The file's resource as `actor` sees it."""
        if not self.ownership or actor is None:
            return file.resource()
        file.seen_by.add(actor.lower())
        shared = bool(file.drive_id)
        return file.resource(
            {
                "capabilities": capabilities(file, self.role(file, actor)),
                "owners": None if shared else [user(file.owner, actor)],
                "ownedByMe": None if shared else (file.owner or "").lower() == actor.lower(),
                "lastModifyingUser": user(file.modified_by, actor),
                "writersCanShare": None if shared else file.writers_can_share,
            }
        )

    def _file(self, request: Request, key: str = "fileId") -> File:
        file_id = request.params[key]
        file = self.files.get(self.root_of(request.actor) if file_id == "root" else file_id)
        if (
            file is None
            or (file.drive_id and not request.params.get("supportsAllDrives"))
            or not self.visible(file, request.actor)
        ):
            raise not_found(file_id)
        return file

    def _parent(self, request: Request, parent_id: str) -> File:
        parent = self.files.get(self.root_of(request.actor) if parent_id == "root" else parent_id)
        if (
            parent is None
            or not parent.is_folder
            or (parent.drive_id and not request.params.get("supportsAllDrives"))
            or not self.visible(parent, request.actor)
        ):
            raise not_found(parent_id)
        if not self.can(parent, request.actor, "canAddChildren"):
            raise parent_denied() if self.ownership else denied()
        return parent

    # --- handlers ---------------------------------------------------------------------------

    def handlers(self) -> dict[str, Handler]:
        return {
            "drive.files.get": self.get,
            "drive.files.list": self.list,
            "drive.files.create": self.create,
            "drive.files.update": self.update,
            "drive.files.copy": self.copy,
            "drive.files.export": self.export,
            "drive.files.generateIds": self.generate_ids,
            "drive.changes.getStartPageToken": self.start_token,
            "drive.changes.list": self.list_changes,
            "drive.comments.list": self.list_comments,
            "drive.permissions.list": self.list_permissions,
            "drive.permissions.create": self.create_permission,
            "drive.permissions.update": self.update_permission,
        }

    def get(self, request: Request) -> Reply:
        file = self._file(request)
        if request.params.get("alt") != "media":
            return Reply(json=self.render(file, request.actor))
        if file.is_folder or file.mime_type.startswith("application/vnd.google-apps."):
            raise ApiError(
                403,
                "Only files with binary content can be downloaded. Use Export "
                "with Docs Editors files.",
                "fileNotDownloadable",
            )
        if not self.can(file, request.actor, "canDownload"):
            raise denied()
        return Reply(content=file.content, headers={"Content-Type": file.mime_type}, ranged=True)

    def _clause(self, clause: Clause, actor: str | None) -> Any:
        if (clause.term, clause.op) not in MODELLED:
            raise unmodelled(clause)
        positive = clause.op in ("=", "in")
        if clause.term == "parents":
            target = self.root_of(actor) if clause.value == "root" else clause.value
            return lambda f: target in f.parents
        if clause.term == "trashed":
            return lambda f: (f.trashed == clause.value) == positive
        attribute = "name" if clause.term == "name" else "mime_type"
        if clause.term == "name" and self.google.name_equality_ignores_case:
            folded = clause.value.casefold()
            return lambda f: (f.name.casefold() == folded) == positive
        return lambda f: (getattr(f, attribute) == clause.value) == positive

    def list(self, request: Request) -> Reply:
        params, actor = request.params, request.actor
        drive_id = params.get("driveId")
        if drive_id and params.get("corpora") != "drive":
            raise bad_request(
                "The driveId parameter must be specified if and only if corpora is set to drive.",
                "driveId",
            )
        if params.get("corpora") == "drive" and not params.get("includeItemsFromAllDrives"):
            raise ApiError(
                403,
                "includeItemsFromAllDrives must be set to true when corpora is drive.",
                "teamDrivesParameterRequired",
            )
        drive = self.files.get(drive_id or "")
        if drive_id and (
            drive is None or drive.drive_id != drive_id or not self.visible(drive, actor)
        ):
            raise ApiError(404, f"Shared drive not found: {drive_id}", "notFound", "driveId")
        test = compile_query(params.get("q", ""), lambda clause: self._clause(clause, actor))
        page_size = params.get("pageSize", 100)
        if not 1 <= page_size <= 1000:
            raise bad_request(f"Invalid value for pageSize: {page_size}", "pageSize")
        found = [
            f
            for f in list(self.files.values())
            if not self.is_root(f)
            and (
                f.drive_id == drive_id
                if drive_id
                else not f.drive_id or params.get("includeItemsFromAllDrives")
            )
            and self.visible(f, actor)
            and test(f)
        ]
        offset = int(params.get("pageToken") or 0)
        page = found[offset : offset + page_size]
        result: dict[str, Any] = {
            "kind": "drive#fileList",
            "incompleteSearch": False,
            "files": [self.render(f, actor) for f in page],
        }
        if offset + page_size < len(found):
            result["nextPageToken"] = str(offset + page_size)
        return Reply(json=result)

    def generate_ids(self, request: Request) -> Reply:
        """Ids a create or copy may use ("Create and manage files": `count` defaults to 10, at
        most 1,000)."""
        count = request.params.get("count", 10)
        if not 1 <= count <= 1000:
            raise bad_request(f"Invalid value for count: {count}", "count")
        ids = []
        for _ in range(count):
            serial = next(self._generated)
            ids.append(f"1R{serial:06d}" + hashlib.md5(str(serial).encode()).hexdigest()[:16])
        self.reserved.update(ids)
        return Reply(json={"kind": "drive#generatedIds", "space": "drive", "ids": ids})

    def _take_id(self, body: dict[str, Any]) -> str | None:
        """The reserved id a create or copy asks for: 409 when a file has it already (an
        earlier attempt whose answer was lost), 400 when Drive never handed it out."""
        file_id = body.get("id")
        if not file_id:
            return None
        if file_id in self.files or file_id in self.removed:
            raise ApiError(409, "A file already exists with the provided ID.", "duplicate", "id")
        if file_id not in self.reserved:
            raise bad_request("The provided file ID is not usable.", "id", "fileIdNotUsable")
        return file_id

    def create(self, request: Request) -> Reply:
        body, actor = request.body or {}, request.actor
        parents = body.get("parents") or ["root"]
        if len(parents) > 1:
            raise ApiError(
                403, "Increasing the number of parents is not allowed.", "cannotAddParent"
            )
        parent = self._parent(request, parents[0])
        if self.ownership and not parent.drive_id and self.google.auth.is_service_account(actor):
            raise no_storage()
        mime_type = body.get("mimeType") or request.media_type or "application/octet-stream"
        extra: dict[str, Any] = {}
        if request.media is not None and mime_type == DOC_MIME:
            if request.media_type != DOCX_MIME:
                raise bad_request(
                    f"Cannot import {request.media_type} as a Google Doc", reason="badContent"
                )
            extra["text"], extra["comments"] = docx_import(request.media, self.google.now_rfc3339())
        elif request.media is not None:
            extra["content"] = request.media
        file_id = self._take_id(body)
        file = self.new_file(
            body.get("name") or "Untitled",
            mime_type,
            [parent.id],
            owner=actor,
            file_id=file_id,
            description=body.get("description", ""),
            **extra,
        )
        protection = {k: v for k, v in body.items() if k in PROTECTION}
        try:
            self._check_protection(file, protection, actor)
        except ApiError:
            del self.files[file.id]
            self.changes.pop()
            raise
        self.reserved.discard(file.id)
        self._apply(file, protection, actor)
        return Reply(json=self.render(file, actor))

    def update(self, request: Request) -> Reply:
        file, actor = self._file(request), request.actor
        body = request.body or {}
        for key in body:
            if key not in WRITABLE:
                raise ApiError(
                    403,
                    f"The resource body includes fields which are not directly "
                    f"writable. {key}"
                    + (
                        ": use the addParents and removeParents parameters"
                        if key == "parents"
                        else ""
                    ),
                    "fieldNotWritable",
                )
        add = [p for p in (request.params.get("addParents") or "").split(",") if p]
        remove = set((request.params.get("removeParents") or "").split(","))
        if self.ownership:
            self._check_update(file, request, body)
        elif (add or body) and (
            "canEdit" in file.denied or (add and "canMoveItemWithinDrive" in file.denied)
        ):
            raise denied()
        parents = [p for p in file.parents if p not in remove]
        targets = [self._parent(request, parent_id) for parent_id in add]
        if self.ownership:
            self._check_move(file, request, targets, remove)
        for parent in targets:
            if parent.id not in parents:
                parents.append(parent.id)
        if len(parents) > 1:
            raise ApiError(
                403, "Increasing the number of parents is not allowed.", "cannotAddParent"
            )
        if request.media is not None and file.locked:  # refused, as Google does, while locked
            raise locked()
        file.parents = parents
        if self.ownership and targets and targets[0].drive_id != file.drive_id:
            self._rehome(file, targets[0].drive_id, actor)
        self._apply(file, body, actor)
        if request.media is not None:
            file.content = request.media
        file.modified_by = actor or file.modified_by
        self.touch(file)
        answer = self.render(file, actor)
        if self._ignores(file):  # answered as if the lock had taken
            answer.update({k: v for k, v in body.items() if k in PROTECTION})
        return Reply(json=answer)

    def _apply(self, file: File, body: dict[str, Any], actor: str | None = None) -> None:
        for key, value in body.items():
            if key == "name":
                file.name = value
            elif key == "trashed":
                file.trashed = bool(value)
            elif key == "description":
                file.description = value
            elif key == "writersCanShare":
                file.writers_can_share = bool(value)
            elif key in PROTECTION and self._ignores(file):
                continue  # the test hook: answered, not applied
            elif key == "copyRequiresWriterPermission":
                file.copy_requires_writer_permission = bool(value)
            elif key == "contentRestrictions":
                file.content_restrictions = [self._restriction(r, actor) for r in value or []]

    def _restriction(self, given: dict[str, Any], actor: str | None) -> dict[str, Any]:
        unknown = set(given) - {"readOnly", "reason", "ownerRestricted"}
        if unknown:
            raise ApiError(
                403,
                f"The resource body includes fields which are not directly "
                f"writable. contentRestrictions.{sorted(unknown)[0]}",
                "fieldNotWritable",
            )
        restriction = {
            "readOnly": bool(given.get("readOnly")),
            "type": "globalContentRestriction",
            "systemRestricted": False,
            "ownerRestricted": bool(given.get("ownerRestricted")),
        }
        if restriction["readOnly"]:
            restriction.update(
                reason=given.get("reason", ""),
                restrictingUser=user(actor, actor) if self.ownership and actor else BOT,
                restrictionTime=self.google.now_rfc3339(),
            )
        return restriction

    def copy(self, request: Request) -> Reply:
        source, actor = self._file(request), request.actor
        if self.ownership and not self.can(source, actor, "canCopy"):
            raise denied()
        body = request.body or {}
        parent = self._parent(request, (body.get("parents") or source.parents or ["root"])[0])
        if self.ownership and not parent.drive_id and self.google.auth.is_service_account(actor):
            raise no_storage()
        file_id = self._take_id(body)
        file = self.new_file(
            body.get("name") or f"Copy of {source.name}",
            source.mime_type,
            [parent.id],
            owner=actor,
            file_id=file_id,
            content=source.content,
            text=source.text,
        )
        self.reserved.discard(file.id)
        return Reply(json=self.render(file, actor))

    def export(self, request: Request) -> Reply:
        file = self._file(request)
        if file.mime_type != DOC_MIME:
            raise ApiError(403, "Export only supports Docs Editors files.", "fileNotExportable")
        if self.ownership and not self.can(file, request.actor, "canDownload"):
            raise denied()
        if request.params["mimeType"] not in ("application/pdf", "text/plain"):
            raise bad_request("The requested conversion is not supported.", "mimeType")
        content = (
            pdf_of(file.name, file.text)
            if request.params["mimeType"] == "application/pdf"
            else file.text.encode()
        )
        if len(content) > self.export_limit:
            raise ApiError(403, "This file is too large to be exported.", "exportSizeLimitExceeded")
        return Reply(content=content, headers={"Content-Type": request.params["mimeType"]})
