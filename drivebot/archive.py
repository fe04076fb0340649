"""Stamping a signed final and putting it, locked, in the archive.

The stamped copy (salinan sah) and the signed original both go to the archive folder, both
locked; a copy of the stamped file is also kept in the workspace's `archive/` folder. Every step
is idempotent (an upload looks for its file first), because the outbox may run this again after
a crash.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from drivebot.config import Config
from drivebot.drive import DrivePort
from drivebot.outbox import full_product_name
from drivebot.stamping import StampSpec, stamp_pdf
from drivebot.store import Draft, Store
from drivebot.workflow import Folder


class Archiver:
    def __init__(self, config: Config, store: Store, drive: DrivePort):
        self.config = config
        self.store = store
        self.drive = drive

    def final_sha256(self, draft: Draft) -> str:
        finals = [row for row in self.store.versions(draft.reg) if row["kind"] == "final"]
        return finals[-1]["sha256"]

    def verify_url(self, draft: Draft) -> str:
        return f"{self.config.verify_url_base}{draft.reg}?h={self.final_sha256(draft)[:12]}"

    def names(self, draft: Draft) -> tuple[str, str]:
        """(stamped copy, signed original) file names in the archive."""
        base = f"{full_product_name(draft)} - {draft.reg}"
        return f"{base} (salinan sah).pdf", f"{base} (asli).pdf"

    def stamp_spec(self, draft: Draft) -> StampSpec:
        footer = (f"{draft.reg} · {full_product_name(draft)} · "
                  f"SHA-256 {self.final_sha256(draft)[:12]} · {self.config.org_short_name}")
        return StampSpec(watermark=self.config.watermark, qr_payload=self.verify_url(draft),
                         footer=footer, qr_mm=self.config.qr_mm)

    def stamp_and_archive(self, payload: dict[str, Any]) -> None:
        draft = self.store.draft(payload["reg"])
        stamped_name, original_name = self.names(draft)
        local_copy = self.config.workspace / "archive" / stamped_name
        archived = self.drive.find(Folder.ARCHIVE, stamped_name)
        if archived is None:
            local_copy.parent.mkdir(parents=True, exist_ok=True)
            partial = local_copy.with_suffix(".part")
            stamp_pdf(self.config.workspace / payload["stored"], partial, self.stamp_spec(draft))
            partial.replace(local_copy)
            archived = self.drive.upload(local_copy, stamped_name, Folder.ARCHIVE)
        self.drive.lock(archived.id)
        original = self.drive.move(payload["file_id"], Folder.ARCHIVE, original_name)
        self.drive.lock(original.id)
        with self.store.transaction():
            self.store.track_file(archived.id, draft.reg, "archive", Folder.ARCHIVE.value,
                                  archived.name, archived.link)
            self.store.set_file_place(original.id, Folder.ARCHIVE.value, role="archive",
                                      name=original.name)

    def local_copy(self, draft: Draft) -> Path:
        return self.config.workspace / "archive" / self.names(draft)[0]
