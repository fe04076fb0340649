"""What changed between two versions of a draft, paragraph by paragraph, and which of the
reviewers' notes the new version probably addressed. Pure: lists of paragraphs in, a
comparison out (drivebot.app.revisions reads the files).

A paragraph replaced by one that still reads mostly the same (difflib's ratio at least
SIMILAR) is "changed"; otherwise the old one is "removed" and the new one "added". A note
whose quoted text no longer appears in the new version (spaces and case aside) was probably
addressed; one whose quoted text is still there, unchanged, probably not. A note quoting
nothing is neither.
"""

from __future__ import annotations

import difflib
import html
from collections.abc import Sequence
from dataclasses import dataclass, field

from drivebot.events import Note

SIMILAR = 0.5
SHOWN = 10  # changes an e-mail lists; the rest are counted (and in the attachment)


@dataclass(frozen=True)
class Change:
    kind: str  # added | removed | changed
    old: str = ""
    new: str = ""


@dataclass(frozen=True)
class NoteCheck:
    note: Note
    addressed: bool  # its quoted text no longer appears


@dataclass(frozen=True)
class Comparison:
    changes: tuple[Change, ...] = ()
    notes: tuple[NoteCheck, ...] = field(default_factory=tuple)
    against: int = 0  # the version compared with (the one the notes were written on)

    @property
    def shown(self) -> tuple[Change, ...]:
        return self.changes[:SHOWN]

    @property
    def not_shown(self) -> int:
        return max(0, len(self.changes) - SHOWN)

    def count(self, kind: str) -> int:
        return sum(change.kind == kind for change in self.changes)


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def compare(old: Sequence[str], new: Sequence[str], notes: Sequence[Note] = ()) -> Comparison:
    old_keys, new_keys = [_key(p) for p in old], [_key(p) for p in new]
    matcher = difflib.SequenceMatcher(None, old_keys, new_keys, autojunk=False)
    changes: list[Change] = []
    for tag, a, b, c, d in matcher.get_opcodes():
        if tag == "delete":
            changes += [Change("removed", old=p) for p in old[a:b]]
        elif tag == "insert":
            changes += [Change("added", new=p) for p in new[c:d]]
        elif tag == "replace":
            changes += _pair(old[a:b], new[c:d])
    text = _key("\n".join(new))
    checks = tuple(
        NoteCheck(note, _key(note.quoted) not in text) for note in notes if _key(note.quoted)
    )
    return Comparison(tuple(changes), checks)


def _pair(old: Sequence[str], new: Sequence[str]) -> list[Change]:
    """Old and new paragraphs of one replaced block, in order: alike ones paired as changed."""
    changes: list[Change] = []
    rest = list(new)
    for paragraph in old:
        alike = next(
            (
                n
                for n in rest
                if difflib.SequenceMatcher(None, _key(paragraph), _key(n)).ratio() >= SIMILAR
            ),
            None,
        )
        if alike is None:
            changes.append(Change("removed", old=paragraph))
            continue
        before = rest.index(alike)
        changes += [Change("added", new=n) for n in rest[:before]]
        changes.append(Change("changed", old=paragraph, new=alike))
        rest = rest[before + 1 :]
    return changes + [Change("added", new=n) for n in rest]


def as_html(comparison: Comparison, title: str, words: dict[str, str]) -> str:
    """The whole comparison as a small self-contained page (the e-mail's attachment)."""
    rows = []
    for change in comparison.changes:
        old = f"<del>{html.escape(change.old)}</del>" if change.old else ""
        new = f"<ins>{html.escape(change.new)}</ins>" if change.new else ""
        rows.append(
            f"<tr><th>{html.escape(words[change.kind])}</th><td>{old}</td><td>{new}</td></tr>"
        )
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>"
        "body{font:14px/1.5 sans-serif;margin:16px}table{border-collapse:collapse;width:100%}"
        "th,td{border:1px solid #d1d5db;padding:6px;vertical-align:top;text-align:left}"
        "del{background:#fee2e2}ins{background:#dcfce7;text-decoration:none}</style></head>"
        f"<body><h1>{html.escape(title)}</h1><table><tr><th></th>"
        f"<th>{html.escape(words['before'])}</th><th>{html.escape(words['after'])}</th></tr>"
        + "".join(rows)
        + "</table></body></html>"
    )
