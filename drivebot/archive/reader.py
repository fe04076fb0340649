"""Reading the archive without changing it: what `verify FILE`, `serve` and `publish` need.

Built on a read-only store and the public key only, so these commands run beside the daemon,
take no lock and need neither the private key nor the network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from drivebot.archive.backlog import IMPORT_ID_PATTERN
from drivebot.archive.ledger import LEDGER_FILE, Ledger, ProductRecord
from drivebot.archive.signing import public_key_pem
from drivebot.archive.verification import Verdict, verify_file
from drivebot.config import Config
from drivebot.files import stored_path
from drivebot.naming import RegistrationNumbers
from drivebot.state.store import Store


@dataclass(frozen=True)
class ArchiveReader:
    ledger: Ledger
    public_key: bytes
    workspace: Path
    watermark: str
    id_pattern: re.Pattern[str]  # product ids a stamp may name: registration or import ids

    @classmethod
    def open(cls, config: Config, store: Store) -> ArchiveReader:
        regs = RegistrationNumbers(config.registration_prefix)
        return cls(
            Ledger(store, config.workspace / "archive" / LEDGER_FILE),
            public_key_pem(config.workspace),
            config.workspace,
            config.watermark,
            re.compile(rf"{regs.pattern}|{IMPORT_ID_PATTERN}"),
        )

    def original_of(self, product: ProductRecord) -> Path | None:
        """Where the version store keeps a drivebot product's signed original (a PDF, or the
        .docx a final was sent as), if it does."""
        for suffix in (".pdf", ".docx"):
            path = self.workspace / stored_path(product.final_sha256, suffix)
            if path.exists():
                return path
        return None

    def verify(self, path: Path) -> Verdict:
        return verify_file(path, self.ledger, self.original_of, self.id_pattern, self.watermark)
