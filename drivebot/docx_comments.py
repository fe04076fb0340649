"""Reviewers' comments inside a .docx (Word comments), the local stand-in for Google Docs comments.

python-docx reads the comments themselves; Word keeps "resolved" and reply threading in
word/commentsExtended.xml (keyed by the w14:paraId of each comment's last paragraph), which
python-docx does not read, so that part is parsed here.
"""

from __future__ import annotations

from pathlib import Path

import docx
from lxml import etree

from drivebot.events import Note, Reply

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
W15 = "http://schemas.microsoft.com/office/word/2012/wordml"
EXTENDED_PART = "/word/commentsExtended.xml"


def _quoted_ranges(body: etree._Element) -> dict[str, str]:
    """Comment id -> the document text between its commentRangeStart and commentRangeEnd."""
    open_ids: list[str] = []
    texts: dict[str, list[str]] = {}
    for element in body.iter(f"{{{W}}}commentRangeStart", f"{{{W}}}commentRangeEnd", f"{{{W}}}t"):
        if element.tag == f"{{{W}}}commentRangeStart":
            comment_id = element.get(f"{{{W}}}id")
            open_ids.append(comment_id)
            texts.setdefault(comment_id, [])
        elif element.tag == f"{{{W}}}commentRangeEnd":
            comment_id = element.get(f"{{{W}}}id")
            if comment_id in open_ids:
                open_ids.remove(comment_id)
        else:
            for comment_id in open_ids:
                texts[comment_id].append(element.text or "")
    return {comment_id: "".join(parts).strip() for comment_id, parts in texts.items()}


def _extended(document: docx.document.Document) -> dict[str, tuple[bool, str | None]]:
    """paraId -> (resolved, parent paraId) from commentsExtended.xml, when Word wrote one."""
    for part in document.part.package.iter_parts():
        if part.partname == EXTENDED_PART:
            root = etree.fromstring(part.blob)
            return {
                entry.get(f"{{{W15}}}paraId"): (
                    entry.get(f"{{{W15}}}done") == "1",
                    entry.get(f"{{{W15}}}paraIdParent"),
                )
                for entry in root.iter(f"{{{W15}}}commentEx")
            }
    return {}


def read_comments(path: Path) -> list[Note]:
    """The unresolved comments of a .docx, oldest first, each with its replies."""
    document = docx.Document(str(path))
    quoted = _quoted_ranges(document.element.body)
    extended = _extended(document)
    top: dict[str, tuple[str, Note]] = {}  # paraId -> (comment id, comment)
    replies: list[tuple[str, Reply]] = []
    for comment in document.comments:
        paragraphs = comment._comment_elm.findall(f"{{{W}}}p")
        para_id = paragraphs[-1].get(f"{{{W14}}}paraId") if paragraphs else None
        resolved, parent = extended.get(para_id or "", (False, None))
        author = comment.author or "?"
        if parent:
            replies.append((parent, Reply(author, comment.text.strip())))
        elif not resolved:
            item = Note(author, comment.text.strip(), quoted.get(str(comment.comment_id), ""))
            top[para_id or f"id{comment.comment_id}"] = (str(comment.comment_id), item)
    for parent, reply in replies:
        if parent in top:
            comment_id, item = top[parent]
            top[parent] = (
                comment_id,
                Note(item.author, item.content, item.quoted, (*item.replies, reply)),
            )
    return [item for _, item in top.values()]
