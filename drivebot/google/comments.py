"""Reviewers' comments on a Google Doc, as the notes drivebot sends the OPD."""

from __future__ import annotations

import html
from typing import Any

from drivebot.events import Note, Reply


def open_notes(comments: list[dict[str, Any]]) -> list[Note]:
    """The unresolved, undeleted comments of a comments.list answer, oldest first, with their
    replies. Drive does not authenticate an author's display name: it is shown as written."""
    open_ones = sorted(
        (c for c in comments if not c.get("resolved") and not c.get("deleted")),
        key=lambda c: c.get("createdTime", ""),
    )
    return [
        Note(
            author=c.get("author", {}).get("displayName", "?"),
            content=c.get("content", ""),
            quoted=_quoted(c),
            replies=tuple(
                Reply(r.get("author", {}).get("displayName", "?"), r["content"])
                for r in c.get("replies", [])
                if not r.get("deleted") and r.get("content")
            ),
        )
        for c in open_ones
    ]


def _quoted(comment: dict[str, Any]) -> str:
    quoted = comment.get("quotedFileContent", {})
    value = str(quoted.get("value", ""))
    # Docs reports the quoted text as HTML (entities escaped); reviewers wrote plain text.
    return html.unescape(value) if quoted.get("mimeType") == "text/html" else value
