"""The archive's commands that change it: revoke a product, stamp one, import a backlog.

Each holds the workspace lock, like every other writer. (Reading the archive, for `verify`,
`serve` and `publish`, needs none of this: see drivebot.archive.reader.)
"""

from __future__ import annotations

from collections.abc import Callable

from drivebot.app.lock import WorkspaceLock
from drivebot.archive.archiver import Archiver
from drivebot.archive.backlog import Product, Summary, archive_product, import_backlog
from drivebot.archive.ledger import LedgerEvent, ProductRecord, ProductStatus
from drivebot.errors import NotFound


class ArchiveCommands:
    def __init__(self, lock: WorkspaceLock, archiver: Callable[[], Archiver]):
        self.lock = lock
        self._archiver = archiver  # built on first use: it loads the signing key

    def revoke(self, product_id: str, by: str) -> tuple[ProductRecord, bool]:
        """Record that a product was revoked or amended `by` another; returns the product as
        it was, and whether this call revoked it (False: it already was)."""
        with self.lock.hold():
            archiver = self._archiver()
            product = archiver.ledger.product(product_id.strip().upper())
            if product is None:
                raise NotFound("no_product", id=product_id)
            if product.status is not ProductStatus.IN_FORCE:
                return product, False
            with archiver.store.transaction():
                archiver.ledger.append(LedgerEvent.REVOKED, product.id, {"by": by})
            archiver.export_ledger()
            return product, True

    def stamp(self, product: Product) -> tuple[ProductRecord, str | None]:
        """Stamp and archive a product that never went through drivebot; returns its record
        and the stamping method (None: it was archived already, and is left as it is)."""
        with self.lock.hold():
            archiver = self._archiver()
            method = archive_product(archiver, product)
            archiver.sync_ledger_copy()
            record = archiver.ledger.product(product.id)
            if record is None:
                raise RuntimeError(f"{product.id} was archived but the ledger has no record")
            return record, method

    def import_backlog(
        self, products: list[Product], progress: Callable[[int, int, str], None]
    ) -> Summary:
        with self.lock.hold():
            archiver = self._archiver()
            summary = import_backlog(archiver, products, progress)
            archiver.sync_ledger_copy()  # once for the whole import: the copy goes up whole
            return summary
