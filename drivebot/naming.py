"""The names drivebot reads and gives: registration numbers, working files, e-mailed attachments.

Pure functions; the registration prefix comes from the configuration ("HK" gives HK-2026-0007).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import PurePath


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
        """A draft's working file: "HK-2026-0007 v2 - <its own name>"."""
        original = self.without(name).strip(" -_") or name
        return f"{reg} v{version} - {original}"

    def attachment_name(self, message_id: str, index: int, reg: str | None, filename: str) -> str:
        """A safe, unique name for an e-mailed attachment: its own name (cut to a length every
        file system takes, without path separators or a leading dot), marked with a short
        digest of the message id and the attachment's place in it."""
        path = PurePath(filename)
        stem = re.sub(r"[\x00-\x1f/\\:*?\"<>|]+", " ", path.stem).strip(" .")[:80]
        prefix = f"{reg} " if reg and not self.find(filename) else ""
        tag = hashlib.sha256(f"{message_id}\0{index}".encode()).hexdigest()[:8]
        return f"{prefix}{stem or 'lampiran'} (surel {tag}){path.suffix.lower()}"
