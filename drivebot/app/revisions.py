"""What a revision changed, for the reviewers' notice: the new version's paragraphs against
those of the version they commented on (both kept in the workspace's versions/), and their
notes of that round (drivebot.redline decides; this reads the files).

A version that cannot be read as text (a scan, a broken file) gives no comparison: the notice
goes out without one.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from drivebot import i18n
from drivebot.checks.pdf import page_texts
from drivebot.config import Config
from drivebot.notify.mime import Attachment
from drivebot.redline import Comparison, as_html, compare
from drivebot.state.rows import Draft, VersionKind
from drivebot.state.store import Store

log = logging.getLogger(__name__)


def paragraphs(path: Path, config: Config) -> list[str] | None:
    """The text's paragraphs (a PDF's lines), or None when it cannot be read."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".docx":
            import docx  # python-docx and lxml: only here, not in every worker

            return [p.text for p in docx.Document(str(path)).paragraphs if p.text.strip()]
        if suffix == ".pdf":
            pages = page_texts(path, config.limits)
            if pages is None:
                return None
            return [line for text in pages for line in text.splitlines() if line.strip()]
    except Exception as exc:  # a broken package: no comparison, the notice still goes
        log.warning("cannot read %s for the comparison: %s", path.name, exc)
    return None


def comparison(config: Config, store: Store, draft: Draft) -> tuple[Comparison, Attachment] | None:
    """The draft's current version against the last one the reviewers sent back with notes
    (a revision may come before the version between was examined), or else the one before."""
    versions = {v.version: v for v in store.versions(draft.reg) if v.kind is VersionKind.DRAFT}
    noted = (v for v in range(draft.version - 1, 0, -1) if store.notes_on(draft.reg, v))
    old, new = versions.get(next(noted, draft.version - 1)), versions.get(draft.version)
    if old is None or new is None:
        return None
    before = paragraphs(config.workspace / old.stored_path, config)
    after = paragraphs(config.workspace / new.stored_path, config)
    if before is None or after is None:
        return None
    found = replace(
        compare(before, after, store.notes_on(draft.reg, old.version)), against=old.version
    )
    words = i18n.section(config.language, "redline")
    title = words["title"].format(reg=draft.reg, old=old.version, new=new.version)
    page = as_html(found, title, words).encode("utf-8")
    name = f"{words['file']}-{draft.reg}-v{old.version}-v{new.version}.html"
    return found, (name, "text/html", page)
