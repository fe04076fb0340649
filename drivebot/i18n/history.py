"""A draft's history and versions as people read them (`drivebot status REG` and the
dashboard's draft page): moments in the office's time zone, the causes the audit log records as
codes, file sizes."""

from __future__ import annotations

from datetime import datetime, tzinfo

from drivebot import i18n


def when(lang: str, iso: str, tz: tzinfo | None) -> str:
    """A stored moment as the office reads it: "2 Desember 2026 15.48" in its time zone."""
    return i18n.long_date(lang, datetime.fromisoformat(iso).astimezone(tz))


def cause(lang: str, reason: str) -> str:
    """What caused a history entry, from its language-neutral code ("file:<name>",
    "moved:<folder>", "command:", "done:<stage>", "sent:<addresses>",
    "refused:<refusal>[:<name>]"); older free text as it is."""
    kind, _, value = reason.partition(":")
    if kind == "refused":
        why, _, name = value.partition(":")
        said = i18n.text(lang, "history.refused", why=i18n.text(lang, f"refusal.{why}"))
        return f"{said} ({name})" if name else said
    if kind == "done":  # a tracked stage marked done, which may not be the current one
        return i18n.text(lang, "history.done", value=i18n.stage_label(lang, value))
    if kind == "held":
        return i18n.text(lang, "history.held")
    if kind in ("file", "moved", "command", "because", "sent", "assigned") and _:
        return i18n.text(lang, f"history.{kind}", value=value)
    return reason


def size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{max(n // 1024, 1)} KB"
