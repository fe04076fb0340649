"""The state store's index of the archive's products: one row per product, as the ledger's
records make it now (drivebot.archive.ledger keeps it, in the transaction of each record).

The ledger stays the record; this is how a lookup by id or by a file's hash costs one indexed
read at any size of the archive. `verify --archive` replays the ledger and compares.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

# The statuses as the index stores them (drivebot.archive.ledger.ProductStatus's values).
IN_FORCE, REVOKED = "berlaku", "dicabut"


class ProductRows:
    """Mixed into drivebot.state.store.Store; uses its unit of work."""

    if TYPE_CHECKING:

        def _write(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Cursor: ...
        def _row(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Row | None: ...
        def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]: ...

    def index_archived(self, product_id: str, seq: int, record: str) -> None:
        """A product archived by ledger record `seq` (`record`: its canonical JSON)."""
        self._write(
            "INSERT OR REPLACE INTO products (id, seq, final_sha256, stamped_sha256, status,"
            " revoked_by, record) VALUES (?, ?, json_extract(?, '$.final_sha256'),"
            " json_extract(?, '$.stamped_sha256'), ?, NULL, ?)",
            (product_id, seq, record, record, IN_FORCE, record),
        )

    def index_revoked(self, product_id: str, by: str) -> None:
        self._write(
            "UPDATE products SET status = ?, revoked_by = ? WHERE id = ?",
            (REVOKED, by, product_id),
        )

    def product_row(self, product_id: str) -> sqlite3.Row | None:
        return self._row("SELECT * FROM products WHERE id = ?", (product_id,))

    def product_row_by_hash(self, column: str, sha256: str) -> sqlite3.Row | None:
        """The newest product whose `column` ("final_sha256" or "stamped_sha256") is `sha256`."""
        if column not in ("final_sha256", "stamped_sha256"):
            raise ValueError(f"not a hash column: {column}")
        return self._row(
            f"SELECT * FROM products WHERE {column} = ? ORDER BY seq DESC LIMIT 1", (sha256,)
        )

    def product_rows(self, limit: int | None = None) -> list[sqlite3.Row]:
        """Products, the last archived first; `limit` of them when given."""
        return self._rows(
            "SELECT * FROM products ORDER BY seq DESC LIMIT ?", (-1 if limit is None else limit,)
        )

    def product_count(self) -> int:
        row = self._row("SELECT COUNT(*) FROM products")
        return int(row[0]) if row else 0


def fill_products(db: sqlite3.Connection) -> None:
    """Build the index from the ledger's records (migration 011, over an existing archive):
    the last archiving of an id counts, and a revocation recorded after it."""
    db.execute(
        "INSERT OR REPLACE INTO products (id, seq, final_sha256, stamped_sha256, status,"
        " revoked_by, record) SELECT product_id, seq, json_extract(record, '$.final_sha256'),"
        " json_extract(record, '$.stamped_sha256'), ?, NULL, record FROM ledger"
        " WHERE event = 'archived' ORDER BY seq",
        (IN_FORCE,),
    )
    db.execute(
        "UPDATE products SET status = ?, revoked_by = (SELECT json_extract(l.record, '$.by')"
        " FROM ledger l WHERE l.product_id = products.id AND l.event = 'revoked'"
        " AND l.seq > products.seq ORDER BY l.seq DESC LIMIT 1)"
        " WHERE EXISTS (SELECT 1 FROM ledger l WHERE l.product_id = products.id"
        " AND l.event = 'revoked' AND l.seq > products.seq)",
        (REVOKED,),
    )
