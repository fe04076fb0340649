"""Drive v3 with real state: files, folders, a change log, comments, permissions, exports.

Files in a shared drive are reachable only with supportsAllDrives=true (else 404, as on Drive);
a file has one parent; Google Docs cannot be downloaded (export them) and export at most
`export_limit` bytes; comments.* need `fields` (checked by the server).
"""

from __future__ import annotations

import hashlib
import html
import io
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import docx
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from drivebot.docx_comments import read_comments
from fakegoogle.discovery import ApiError, bad_request
from fakegoogle.server import Handler, Reply, Request

if TYPE_CHECKING:
    from fakegoogle.server import FakeGoogle

FOLDER_MIME = "application/vnd.google-apps.folder"
DOC_MIME = "application/vnd.google-apps.document"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
EXPORT_LIMIT = 10 * 1024 * 1024
BOT = {
    "kind": "drive#user",
    "displayName": "drivebot",
    "me": True,
    "emailAddress": "drivebot@example.go.id",
    "permissionId": "p-bot",
}
CAPABILITIES = (
    "canAddChildren",
    "canListChildren",
    "canEdit",
    "canRename",
    "canTrash",
    "canMoveItemWithinDrive",
    "canRemoveChildren",
    "canComment",
    "canDownload",
    "canCopy",
    "canShare",
    "canModifyContent",
    "canModifyContentRestriction",
    "canModifyEditorContentRestriction",
    "canModifyOwnerContentRestriction",
    "canRemoveContentRestriction",
    "canReadRevisions",
)
WRITABLE = {
    "name",
    "description",
    "trashed",
    "starred",
    "contentRestrictions",
    "mimeType",
    "copyRequiresWriterPermission",
    "properties",
    "appProperties",
    "modifiedTime",
    "originalFilename",
    "writersCanShare",
    "viewersCanCopyContent",
}


def not_found(file_id: str) -> ApiError:
    return ApiError(404, f"File not found: {file_id}.", "notFound", "fileId")


def denied(
    message: str = "The user does not have sufficient permissions for this file.",
) -> ApiError:
    return ApiError(403, message, "insufficientFilePermissions")


@dataclass
class File:
    id: str
    name: str
    mime_type: str
    parents: list[str]
    created: str
    content: bytes = b""
    text: str = ""  # a Google Doc's text (what its PDF export shows)
    drive_id: str | None = None
    trashed: bool = False
    description: str = ""
    content_restrictions: list[dict[str, Any]] = field(default_factory=list)
    copy_requires_writer_permission: bool = False
    denied: set[str] = field(default_factory=set)  # capabilities taken from the bot
    comments: list[dict[str, Any]] = field(default_factory=list)
    permissions: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {
                "kind": "drive#permission",
                "id": "p-bot",
                "type": "user",
                "role": "owner",
                "emailAddress": BOT["emailAddress"],
                "displayName": BOT["displayName"],
            }
        ]
    )
    version: int = 1
    modified: str = ""

    @property
    def is_folder(self) -> bool:
        return self.mime_type == FOLDER_MIME

    def link(self) -> str:
        if self.is_folder:
            return f"https://drive.google.com/drive/folders/{self.id}"
        if self.mime_type == DOC_MIME:
            return f"https://docs.google.com/document/d/{self.id}/edit?usp=drivesdk"
        return f"https://drive.google.com/file/d/{self.id}/view?usp=drivesdk"

    def resource(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": "drive#file",
            "id": self.id,
            "name": self.name,
            "mimeType": self.mime_type,
            "parents": list(self.parents),
            "trashed": self.trashed,
            "explicitlyTrashed": self.trashed,
            "createdTime": self.created,
            "modifiedTime": self.modified or self.created,
            "version": str(self.version),
            "webViewLink": self.link(),
            "description": self.description,
            "starred": False,
            "ownedByMe": True,
            "owners": [BOT],
            "lastModifyingUser": BOT,
            "spaces": ["drive"],
            "copyRequiresWriterPermission": self.copy_requires_writer_permission,
            "viewersCanCopyContent": not self.copy_requires_writer_permission,
            "contentRestrictions": [dict(r) for r in self.content_restrictions],
            "capabilities": {
                name: name not in self.denied
                and (
                    self.is_folder
                    or name not in ("canAddChildren", "canListChildren", "canRemoveChildren")
                )
                for name in CAPABILITIES
            },
            "permissionIds": [p["id"] for p in self.permissions],
        }
        if self.drive_id:
            data["driveId"] = self.drive_id
        if not self.is_folder and self.mime_type != DOC_MIME:
            data.update(
                size=str(len(self.content)),
                md5Checksum=hashlib.md5(self.content).hexdigest(),
                webContentLink=f"https://drive.google.com/uc?id={self.id}&export=download",
                originalFilename=self.name,
                quotaBytesUsed=str(len(self.content)),
            )
        if self.mime_type == DOC_MIME:
            data["exportLinks"] = {
                "application/pdf": f"https://docs.google.com/feeds/download/"
                f"documents/export/Export?id={self.id}&exportFormat=pdf"
            }
        return data


def pdf_of(title: str, text: str) -> bytes:
    """A real, small PDF showing the text (what Docs' PDF export gives)."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.setTitle(title)
    y = A4[1] - 72
    for line in (text or " ").splitlines() or [" "]:
        if y < 72:
            page.showPage()
            y = A4[1] - 72
        page.drawString(72, y, line[:110])
        y -= 14
    page.save()
    return buffer.getvalue()


_Q_TOKEN = re.compile(r"\s*('(?:[^'\\]|\\.)*'|!=|=|\w+)")


def _q_clauses(q: str) -> list[tuple[str, str, str]]:
    """The `and`-joined clauses of a files.list query: ('parents', 'in', id), ('name', '=', x)…"""
    tokens, pos = [], 0
    while pos < len(q.rstrip()):
        match = _Q_TOKEN.match(q, pos)
        if not match:
            raise bad_request("Invalid Value", "q")
        tokens.append(match.group(1))
        pos = match.end()
    clauses = []
    for n in range(0, len(tokens), 4):
        clause = tokens[n : n + 3]
        if len(clause) != 3 or (n + 3 < len(tokens) and tokens[n + 3] != "and"):
            raise bad_request("Invalid Value", "q")
        left, op, right = clause
        if op == "in" and right == "parents" and left.startswith("'"):
            clauses.append(("parents", "in", _unquote(left)))
        elif left in ("name", "mimeType") and op in ("=", "!=") and right.startswith("'"):
            clauses.append((left, op, _unquote(right)))
        elif left == "trashed" and op in ("=", "!=") and right in ("true", "false"):
            clauses.append((left, op, right))
        else:
            raise bad_request("Invalid Value", "q")
    return clauses


def _unquote(token: str) -> str:
    return re.sub(r"\\(.)", r"\1", token[1:-1])


def _matches(file: File, clauses: list[tuple[str, str, str]]) -> bool:
    for left, op, right in clauses:
        if left == "parents":
            ok = right in file.parents
        else:
            value = {
                "name": file.name,
                "mimeType": file.mime_type,
                "trashed": str(file.trashed).lower(),
            }[left]
            ok = (value == right) == (op == "=")
        if not ok:
            return False
    return True


def _docx_import(data: bytes, author_at: str) -> tuple[str, list[dict[str, Any]]]:
    """A Google Doc's text and comments from a .docx, as Drive's import keeps Word comments."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "upload.docx"
        path.write_bytes(data)
        try:
            document = docx.Document(str(path))
            open_comments = read_comments(path)
        except Exception:  # Drive refuses any file it cannot read as a document
            raise ApiError(400, "The uploaded file could not be converted.", "badContent") from None
    text = "\n".join(p.text for p in document.paragraphs)
    comments = [
        new_comment(
            f"c{n}",
            c.author,
            c.content,
            c.quoted,
            author_at,
            [(r.author, r.content) for r in c.replies],
        )
        for n, c in enumerate(open_comments, start=1)
    ]
    seen = {(c.author, c.content) for c in open_comments} | {
        (r.author, r.content) for c in open_comments for r in c.replies
    }
    for word in document.comments:  # the rest were resolved in Word
        if ((word.author or "?"), word.text.strip()) not in seen:
            resolved = new_comment(
                f"c{len(comments) + 1}", word.author or "?", word.text.strip(), "", author_at, []
            )
            resolved["resolved"] = True
            comments.append(resolved)
    return text, comments


def new_comment(
    comment_id: str, author: str, content: str, quoted: str, at: str, replies: list[tuple[str, str]]
) -> dict[str, Any]:
    comment = {
        "kind": "drive#comment",
        "id": comment_id,
        "createdTime": at,
        "modifiedTime": at,
        "author": {"kind": "drive#user", "displayName": author, "me": False},
        "content": content,
        "htmlContent": content,
        "deleted": False,
        "resolved": False,
        "anchor": f"kix.{hashlib.md5(comment_id.encode()).hexdigest()[:12]}",
        "replies": [],
    }
    if quoted:
        # Docs reports the quoted text as HTML, entities escaped.
        comment["quotedFileContent"] = {"mimeType": "text/html", "value": html.escape(quoted)}
    for who, text in replies:
        add_reply(comment, who, text, at)
    return comment


def add_reply(
    comment: dict[str, Any], author: str, content: str, at: str, action: str | None = None
) -> dict[str, Any]:
    reply = {
        "kind": "drive#reply",
        "id": f"{comment['id']}r{len(comment['replies']) + 1}",
        "createdTime": at,
        "modifiedTime": at,
        "deleted": False,
        "content": content,
        "htmlContent": content,
        "author": {"kind": "drive#user", "displayName": author, "me": False},
    }
    if action:
        reply["action"] = action
    comment["replies"].append(reply)
    return reply


class FakeDrive:
    def __init__(self, google: FakeGoogle):
        self.google = google
        self.files: dict[str, File] = {}
        self.changes: list[str] = []  # file ids; a change's page token is its index + 1
        self.export_limit = EXPORT_LIMIT
        self.root_id = self.new_file("My Drive", FOLDER_MIME, []).id

    # --- state, also used by the users helper ----------------------------------------------

    def new_file(self, name: str, mime_type: str, parents: list[str], **extra: Any) -> File:
        file_id = f"1D{len(self.files) + 1:06d}" + hashlib.md5(name.encode()).hexdigest()[:10]
        parent = self.files.get(parents[0]) if parents else None
        file = File(
            file_id,
            name,
            mime_type,
            list(parents),
            self.google.now_rfc3339(),
            drive_id=parent.drive_id if parent else None,
            **extra,
        )
        self.files[file_id] = file
        self.touch(file)
        return file

    def new_shared_drive(self, name: str) -> str:
        file = self.new_file(name, FOLDER_MIME, [])
        file.drive_id = file.id
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

    def _file(self, request: Request, key: str = "fileId") -> File:
        file_id = request.params[key]
        file = self.files.get(self.root_id if file_id == "root" else file_id)
        if file is None or (file.drive_id and not request.params.get("supportsAllDrives")):
            raise not_found(file_id)
        return file

    def _parent(self, request: Request, parent_id: str) -> File:
        parent = self.files.get(self.root_id if parent_id == "root" else parent_id)
        if (
            parent is None
            or not parent.is_folder
            or (parent.drive_id and not request.params.get("supportsAllDrives"))
        ):
            raise not_found(parent_id)
        if "canAddChildren" in parent.denied:
            raise denied()
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
            return Reply(json=file.resource())
        if file.is_folder or file.mime_type.startswith("application/vnd.google-apps."):
            raise ApiError(
                403,
                "Only files with binary content can be downloaded. Use Export "
                "with Docs Editors files.",
                "fileNotDownloadable",
            )
        if "canDownload" in file.denied:
            raise denied()
        return Reply(content=file.content, headers={"Content-Type": file.mime_type}, ranged=True)

    def list(self, request: Request) -> Reply:
        params = request.params
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
        clauses = [
            (left, op, self.root_id if (left, right) == ("parents", "root") else right)
            for left, op, right in _q_clauses(params.get("q", ""))
        ]
        page_size = params.get("pageSize", 100)
        if not 1 <= page_size <= 1000:
            raise bad_request(f"Invalid value for pageSize: {page_size}", "pageSize")
        found = [
            f
            for f in self.files.values()
            if f.id != self.root_id
            and f.drive_id != f.id
            and (
                f.drive_id == drive_id
                if drive_id
                else not f.drive_id or params.get("includeItemsFromAllDrives")
            )
            and _matches(f, clauses)
        ]
        offset = int(params.get("pageToken") or 0)
        page = found[offset : offset + page_size]
        result: dict[str, Any] = {
            "kind": "drive#fileList",
            "incompleteSearch": False,
            "files": [f.resource() for f in page],
        }
        if offset + page_size < len(found):
            result["nextPageToken"] = str(offset + page_size)
        return Reply(json=result)

    def create(self, request: Request) -> Reply:
        body = request.body or {}
        parents = body.get("parents") or ["root"]
        if len(parents) > 1:
            raise ApiError(
                403, "Increasing the number of parents is not allowed.", "cannotAddParent"
            )
        parent = self._parent(request, parents[0])
        mime_type = body.get("mimeType") or request.media_type or "application/octet-stream"
        extra: dict[str, Any] = {}
        if request.media is not None and mime_type == DOC_MIME:
            if request.media_type != DOCX_MIME:
                raise bad_request(
                    f"Cannot import {request.media_type} as a Google Doc", reason="badContent"
                )
            extra["text"], extra["comments"] = _docx_import(
                request.media, self.google.now_rfc3339()
            )
        elif request.media is not None:
            extra["content"] = request.media
        file = self.new_file(
            body.get("name") or "Untitled",
            mime_type,
            [parent.id],
            description=body.get("description", ""),
            **extra,
        )
        self._apply(
            file,
            {
                k: v
                for k, v in body.items()
                if k in ("contentRestrictions", "copyRequiresWriterPermission")
            },
        )
        return Reply(json=file.resource())

    def update(self, request: Request) -> Reply:
        file = self._file(request)
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
        if (add or body) and (
            "canEdit" in file.denied or (add and "canMoveItemWithinDrive" in file.denied)
        ):
            raise denied()
        parents = [p for p in file.parents if p not in remove]
        for parent_id in add:
            parent = self._parent(request, parent_id)
            if parent.id not in parents:
                parents.append(parent.id)
        if len(parents) > 1:
            raise ApiError(
                403, "Increasing the number of parents is not allowed.", "cannotAddParent"
            )
        file.parents = parents
        self._apply(file, body)
        if request.media is not None:  # new content: refused, as Google does, while locked
            if any(r.get("readOnly") for r in file.content_restrictions):
                raise ApiError(
                    403, "The file is locked: its content cannot be modified.", "contentRestricted"
                )
            file.content = request.media
        self.touch(file)
        return Reply(json=file.resource())

    def _apply(self, file: File, body: dict[str, Any]) -> None:
        for key, value in body.items():
            if key == "name":
                file.name = value
            elif key == "trashed":
                file.trashed = bool(value)
            elif key == "description":
                file.description = value
            elif key == "copyRequiresWriterPermission":
                file.copy_requires_writer_permission = bool(value)
            elif key == "contentRestrictions":
                file.content_restrictions = [self._restriction(r) for r in value]

    def _restriction(self, given: dict[str, Any]) -> dict[str, Any]:
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
                restrictingUser=BOT,
                restrictionTime=self.google.now_rfc3339(),
            )
        return restriction

    def copy(self, request: Request) -> Reply:
        source = self._file(request)
        body = request.body or {}
        parent = self._parent(request, (body.get("parents") or source.parents or ["root"])[0])
        file = self.new_file(
            body.get("name") or f"Copy of {source.name}",
            source.mime_type,
            [parent.id],
            content=source.content,
            text=source.text,
        )
        return Reply(json=file.resource())

    def export(self, request: Request) -> Reply:
        file = self._file(request)
        if file.mime_type != DOC_MIME:
            raise ApiError(403, "Export only supports Docs Editors files.", "fileNotExportable")
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

    def start_token(self, request: Request) -> Reply:
        self._check_drive(request)
        return Reply(
            json={"kind": "drive#startPageToken", "startPageToken": str(len(self.changes) + 1)}
        )

    def _check_drive(self, request: Request) -> str | None:
        drive_id = request.params.get("driveId")
        if drive_id and (
            not request.params.get("supportsAllDrives")
            or self.files.get(drive_id) is None
            or self.files[drive_id].drive_id != drive_id
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
        with_shared = params.get("includeItemsFromAllDrives")
        latest = {file_id: seq for seq, file_id in enumerate(self.changes, start=1)}
        page, seq = [], int(token)
        while seq <= len(self.changes) and len(page) < page_size:
            file = self.files[self.changes[seq - 1]]
            visible = (
                (file.drive_id == drive_id) if drive_id else (not file.drive_id or with_shared)
            )
            if latest[file.id] == seq and visible:  # one entry per file: its current state
                page.append(file)
            seq += 1
        result: dict[str, Any] = {
            "kind": "drive#changeList",
            "changes": [
                {
                    "kind": "drive#change",
                    "changeType": "file",
                    "fileId": f.id,
                    "removed": False,
                    "time": f.modified,
                    "file": f.resource(),
                    **({"driveId": f.drive_id} if f.drive_id else {}),
                }
                for f in page
            ],
        }
        if seq <= len(self.changes):
            result["nextPageToken"] = str(seq)
        else:
            result["newStartPageToken"] = str(len(self.changes) + 1)
        return Reply(json=result)

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

    def list_permissions(self, request: Request) -> Reply:
        file = self._file(request)
        return Reply(json={"kind": "drive#permissionList", "permissions": file.permissions})

    def create_permission(self, request: Request) -> Reply:
        file = self._file(request)
        body = request.body or {}
        if body.get("role") not in (
            "owner",
            "organizer",
            "fileOrganizer",
            "writer",
            "commenter",
            "reader",
        ) or not body.get("type"):
            raise bad_request("A permission needs a valid role and type.", "permission")
        permission = {
            "kind": "drive#permission",
            "id": f"p{len(file.permissions) + 1}",
            "type": body["type"],
            "role": body["role"],
            "emailAddress": body.get("emailAddress", ""),
        }
        file.permissions.append(permission)
        return Reply(json=permission)

    def update_permission(self, request: Request) -> Reply:
        file = self._file(request)
        permission = next(
            (p for p in file.permissions if p["id"] == request.params["permissionId"]), None
        )
        if permission is None:
            raise ApiError(
                404,
                f"Permission not found: {request.params['permissionId']}.",
                "notFound",
                "permissionId",
            )
        permission.update({k: v for k, v in (request.body or {}).items() if k == "role"})
        return Reply(json=permission)
