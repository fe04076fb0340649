"""A Drive file as the local Google keeps it, and what Drive makes of files: its resource, a
Google Doc's PDF export, a .docx imported as a Google Doc with its comments.

Capabilities here are the unrestricted ones the bot has when ownership is not modelled (see
permissions.py for what each role may do when it is).
"""

from __future__ import annotations

import hashlib
import html
import io
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docx
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from drivebot.docx_comments import read_comments
from fakegoogle.discovery import ApiError

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
    # With ownership modelled: the owning user (None in a shared drive: the drive owns it),
    # whether writers may share it, who last changed it, who has seen it (so a change feed can
    # report it removed once they lose access), and the ignore_restrictions test hook.
    owner: str | None = None
    writers_can_share: bool = True
    modified_by: str | None = None
    seen_by: set[str] = field(default_factory=set)
    ignores_restrictions: bool = False

    @property
    def is_folder(self) -> bool:
        return self.mime_type == FOLDER_MIME

    def link(self) -> str:
        if self.is_folder:
            return f"https://drive.google.com/drive/folders/{self.id}"
        if self.mime_type == DOC_MIME:
            return f"https://docs.google.com/document/d/{self.id}/edit?usp=drivesdk"
        return f"https://drive.google.com/file/d/{self.id}/view?usp=drivesdk"

    @property
    def locked(self) -> bool:
        return any(r.get("readOnly") for r in self.content_restrictions)

    @property
    def owner_restricted(self) -> bool:
        return any(r.get("ownerRestricted") for r in self.content_restrictions)

    def resource(self, view: dict[str, Any] | None = None) -> dict[str, Any]:
        """The File resource; `view` replaces fields as the requesting user sees them (a None
        value drops the field, as Drive leaves owners out for shared drive items)."""
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
            "writersCanShare": self.writers_can_share,
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
        for key, value in (view or {}).items():
            if value is None:
                data.pop(key, None)
            else:
                data[key] = value
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


def docx_import(data: bytes, author_at: str) -> tuple[str, list[dict[str, Any]]]:
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
