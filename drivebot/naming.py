"""The names drivebot reads and gives: registration numbers, working files, e-mailed attachments,
and how a name a stranger chose is shown to people.

Pure functions; the registration prefix comes from the configuration ("HK" gives HK-2026-0007).

A file's name is kept as it is wherever the file system or Drive needs it; everything drivebot
derives from it (a working file's name, a note's name) is cut to fit a path component
(`fit`), and every name or text shown to people goes through `shown`, which makes invisible
and direction-changing characters visible (a right-to-left override can make
"revisi\u202excod.exe" read as "revisiexe.docx").
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import PurePath
from typing import Any

from markupsafe import Markup

MAX_NAME_BYTES = 255  # one path component, on every common file system

# Word's and LibreOffice's lock files, editors' temporary files, half-finished downloads and the
# folder junk of Windows and macOS: never documents, so never taken in (nor answered).
_TEMPORARY = re.compile(
    r"^(~\$|\.~lock\..*#$|\._)|\.(tmp|temp|crdownload|part|partial|download|!ut)$"
    r"|^(desktop\.ini|thumbs\.db|\.ds_store|icon\r)$",
    re.I,
)
# Bidirectional controls and other invisible format characters, and C0/C1 controls.
_INVISIBLE = re.compile(
    "[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200b-\u200f"
    "\u202a-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]"
)
_SURROGATE = re.compile("[\udc80-\udcff]")  # bytes of a name that was not UTF-8


# The tag that keeps e-mailed attachments apart on Drive ("Ranperbup (surel 1a2b3c4d).docx"):
# drivebot's own, never shown to people.
_MAIL_TAG = re.compile(r" \(surel [0-9a-f]{8}\)(?=\.\w{1,10}$|$)")


def without_mail_tag(name: str) -> str:
    """A file's name as its sender gave it, without the tag `attachment_name` added."""
    return _MAIL_TAG.sub("", name)


def is_temporary(name: str) -> bool:
    """A lock file, a temporary or partial file, or folder junk (not a document)."""
    return bool(_TEMPORARY.search(name.strip()))


def shown(text: str) -> str:
    """`text` safe to show a person: invisible and direction-changing characters, controls and
    the raw bytes of a non-UTF-8 name become visible escapes ("[U+202E]", "[0xff]", plain
    ASCII, safe in HTML too); tabs and newlines stay (notes have paragraphs)."""
    if text.isprintable():  # no control, format or surrogate character: the common case
        return text
    text = _SURROGATE.sub(lambda m: f"[0x{ord(m.group()) - 0xDC00:02x}]", text)
    return _INVISIBLE.sub(lambda m: f"[U+{ord(m.group()):04X}]", text)


def shown_value(value: Any) -> Any:
    """What a template prints (jinja2's `finalize`): every string `shown`; escaped HTML stays
    escaped HTML (shown only adds plain ASCII)."""
    if isinstance(value, Markup):
        return Markup(shown(str(value)))
    return shown(value) if isinstance(value, str) else value


def key(name: str) -> str:
    """A name as compared: the same text in NFC and NFD forms matches."""
    return unicodedata.normalize("NFC", name)


def fit(name: str, max_bytes: int = MAX_NAME_BYTES) -> str:
    """`name` cut (before its extension, marked with "…") so that it takes at most `max_bytes`
    in UTF-8."""

    def size(text: str) -> int:
        return len(text.encode("utf-8", "surrogateescape"))

    if size(name) <= max_bytes:
        return name
    suffix = PurePath(name).suffix
    suffix = suffix if size(suffix) <= 16 else ""
    stem = name[: len(name) - len(suffix)]
    budget = max_bytes - size(suffix) - size("…")
    while size(stem) > budget:
        stem = stem[:-1]
    return f"{stem.rstrip()}…{suffix}"


def component(name: str) -> str:
    """`name` as one safe path component: no separators, no "." or "..", no NUL, fitted."""
    cleaned = re.sub(r"[\x00/\\]", "_", name).strip()
    if cleaned in ("", ".", ".."):
        cleaned = "berkas"
    return fit(cleaned)


class RegistrationNumbers:
    """Registration numbers `PREFIX-YEAR-NNNN`: finding them in names and subjects, making them."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.pattern = rf"\b{re.escape(prefix)}-(\d{{4}})-(\d{{4,}})\b"
        self._compiled = re.compile(self.pattern, re.I)

    def make(self, year: int, number: int) -> str:
        return f"{self.prefix}-{year}-{number:04d}"

    def find(self, text: str) -> str | None:
        """The registration number named in `text` (any case), normalised, or None."""
        match = self._compiled.search(text)
        return self.make(int(match.group(1)), int(match.group(2))) if match else None

    def without(self, text: str) -> str:
        """`text` with every registration number taken out."""
        return self._compiled.sub("", text)

    def working_name(self, reg: str, version: int, name: str) -> str:
        """A draft's working file: "HK-2026-0007 v2 - <its own name>", fitted."""
        original = without_mail_tag(self.without(name)).strip(" -_") or name
        return component(f"{reg} v{version} - {original}")

    def attachment_name(self, message_id: str, index: int, reg: str | None, filename: str) -> str:
        """A safe, unique name for an e-mailed attachment: its own name (cut to a length every
        file system takes, without path separators or a leading dot), marked with a short
        digest of the message id and the attachment's place in it."""
        path = PurePath(filename.replace("\\", "/"))
        stem = re.sub(r"[\x00-\x1f/\\:*?\"<>|]+", " ", path.stem).strip(" .")[:80]
        stem = _INVISIBLE.sub("", stem)
        suffix = re.sub(r"[^.\w]", "", path.suffix.lower())[:10]
        prefix = f"{reg} " if reg and not self.find(filename) else ""
        tag = hashlib.sha256(f"{message_id}\0{index}".encode()).hexdigest()[:8]
        return component(f"{prefix}{stem or 'lampiran'} (surel {tag}){suffix}")
