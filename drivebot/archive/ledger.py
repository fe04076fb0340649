"""The archive ledger: append-only, one record per archived product or status change.

Each record holds the hash of the one before, so an edit, a deletion or a reordering anywhere
breaks the chain. The ledger lives in the state store; `archive/ledger.jsonl` in the workspace
is its mirror, one JSON record a line, only ever appended to: if its existing lines no longer
match the store, drivebot refuses to touch it and reports the difference.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from drivebot.archive.signing import ProductIdentity
from drivebot.state import products as products_index
from drivebot.state.store import Store

GENESIS = "0" * 64


class LedgerEvent(StrEnum):
    ARCHIVED = "archived"
    REVOKED = "revoked"


class ProductStatus(StrEnum):
    """A product's status as the ledger records it (the words JDIH uses)."""

    IN_FORCE = products_index.IN_FORCE  # "berlaku": the index stores the same words
    REVOKED = products_index.REVOKED  # "dicabut"


LEDGER_FILE = "ledger.jsonl"


@dataclass(frozen=True)
class ProductRecord(ProductIdentity):
    """A product as the ledger knows it now: its signed identity, its files, its status."""

    stamped_sha256: str
    stamped_name: str
    signature: str
    archived_at: str
    status: ProductStatus
    revoked_by: str | None = None
    subject: str = ""
    final_size: int = 0
    stamp_method: str = ""
    original_name: str = ""
    promulgated_on: str = ""  # tanggal pengundangan, as the document states it
    gazette: str = ""  # "Berita Daerah Tahun 2026 Nomor 12"
    noreg: str = ""  # a Perda's register number from the governor
    authenticated_by: str = ""  # the stamped copy's authentication line (who vouches for it)
    # Signed electronically (TTE): the QR was drawn before signing, over the text's hash; the
    # signed file is the original and carries the stamp (stamped_sha256 == final_sha256).
    qr_sha256: str = ""

    def qr_identity(self) -> ProductIdentity:
        """What the QR code's signature is over."""
        if not self.qr_sha256:
            return self
        return ProductIdentity(
            self.id, self.product_type, self.number, self.year, self.title, self.date,
            self.qr_sha256,
        )  # fmt: skip


@dataclass(frozen=True)
class Promulgation:
    """What a regulation's record adds: its promulgation (empty for a decree)."""

    on: str = ""
    gazette: str = ""
    noreg: str = ""


NOT_PROMULGATED = Promulgation()
# The words that open a stamped copy's authentication line (the division vouches for the copy).
AUTHENTICATION = "Salinan sesuai dengan aslinya"  # a decree, or a product imported without one


def canonical(record: dict[str, Any]) -> bytes:
    return json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode(
        "utf-8"
    )


def chain_hash(record: dict[str, Any]) -> str:
    body = {key: value for key, value in record.items() if key != "hash"}
    return hashlib.sha256(record["prev"].encode("ascii") + canonical(body)).hexdigest()


@dataclass(frozen=True)
class Problem:
    where: str
    what: str


class Ledger:
    def __init__(self, store: Store, mirror: Path):
        self.store = store
        self.mirror = mirror

    # --- writing -----------------------------------------------------------------------------

    def append(self, event: LedgerEvent, product_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Add a record, and bring the products' index up to date with it (call inside the
        transaction that causes it)."""
        last = self.store.db.execute(
            "SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
        record = {
            **fields,
            "seq": seq,
            "event": event,
            "id": product_id,
            "at": self.store.now(),
            "prev": prev,
        }
        record["hash"] = chain_hash(record)
        text = canonical(record).decode("utf-8")
        self.store.append_ledger(seq, product_id, event, text, record["hash"])
        if event == LedgerEvent.ARCHIVED:
            self.store.index_archived(product_id, seq, text)
        elif event == LedgerEvent.REVOKED:
            self.store.index_revoked(product_id, record["by"])
        return record

    def has_records(self) -> bool:
        return self.store.db.execute("SELECT 1 FROM ledger LIMIT 1").fetchone() is not None

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self._lines()]

    def _lines(self, after: int = 0) -> list[str]:
        """The records after the first `after`, as the mirror holds them: one canonical JSON
        text a line (the store keeps each record in exactly that form)."""
        rows = self.store.db.execute(
            "SELECT record FROM ledger WHERE seq > ? ORDER BY seq", (after,)
        )
        return [row[0] for row in rows]

    def export(self) -> list[Problem]:
        """Append to the mirror file what it lacks; touch nothing when it was altered.

        The mirror is read in full only when it is not as drivebot left it (its size and
        modification time, recorded after each append, differ): archiving one product does not
        re-read the whole ledger. `verify --archive` always compares every line."""
        known = self._mirror_as_left()
        compared = known is None
        if known is None:
            existing = self._mirror_lines()
            problems = self._compare_mirror(self._lines(), existing)
            if problems:
                return problems
            known = len(existing)
        missing = self._lines(after=known)
        if missing:
            self.mirror.parent.mkdir(parents=True, exist_ok=True)
            with self.mirror.open("a", encoding="utf-8") as handle:
                handle.writelines(line + "\n" for line in missing)
        if missing or compared:
            self._remember_mirror(known + len(missing))
        return []

    def _mirror_as_left(self) -> int | None:
        """How many lines the mirror has, when it is exactly as drivebot last wrote it."""
        recorded = self.store.get(MIRROR_KEY)
        if recorded is None or not self.mirror.exists():
            return None
        lines, size, mtime_ns = (int(part) for part in recorded.split())
        now = self.mirror.stat()
        if (now.st_size, now.st_mtime_ns) != (size, mtime_ns):
            return None
        # The time has the file system's granularity: an edit right after drivebot's write
        # could keep it; the last line, read from the end, must still be the last record.
        last = self._lines(after=lines - 1)[:1] if lines else [""]
        if not last:  # the store has fewer records than the mirror had lines
            return None
        tail = (last[0] + "\n").encode("utf-8") if lines else b""
        with self.mirror.open("rb") as handle:
            handle.seek(max(size - len(tail), 0))
            return lines if handle.read() == tail else None

    def _remember_mirror(self, lines: int) -> None:
        if not self.mirror.exists():
            return
        now = self.mirror.stat()
        with self.store.transaction():
            self.store.put(MIRROR_KEY, f"{lines} {now.st_size} {now.st_mtime_ns}")

    def _mirror_lines(self) -> list[str]:
        if not self.mirror.exists():
            return []
        return self.mirror.read_text(encoding="utf-8").splitlines()

    def _compare_mirror(self, lines: list[str], existing: list[str]) -> list[Problem]:
        problems = [
            Problem(f"{self.mirror.name}:{number}", "differs from the state store")
            for number, (ours, theirs) in enumerate(zip(lines, existing, strict=False), 1)
            if ours != theirs
        ]
        if len(existing) > len(lines):
            problems.append(
                Problem(
                    self.mirror.name, f"has {len(existing) - len(lines)} line(s) the store lacks"
                )
            )
        return problems

    # --- reading (the products' index: one indexed read at any size) --------------------------

    def products(self, limit: int | None = None) -> list[ProductRecord]:
        """The products, the last archived first (`limit` of them when given)."""
        return [_product(row) for row in self.store.product_rows(limit)]

    def count(self) -> int:
        return self.store.product_count()

    def product(self, product_id: str) -> ProductRecord | None:
        row = self.store.product_row(product_id)
        return _product(row) if row else None

    def find_by_sha256(self, sha256: str) -> tuple[ProductRecord, str] | None:
        # The original first: a file signed electronically is both (drivebot stamped it
        # before the signature), and it is the signed original.
        for column, kind in (("final_sha256", "original"), ("stamped_sha256", "stamped")):
            row = self.store.product_row_by_hash(column, sha256)
            if row is not None:
                return _product(row), kind
        return None

    # --- checking ----------------------------------------------------------------------------

    def check_chain(self) -> list[Problem]:
        """Every record's hash, and every link to the record before, in the store and mirror;
        and the products' index against the records."""
        problems = []
        rows = self.store.db.execute("SELECT seq, record, hash FROM ledger ORDER BY seq")
        prev, expected_seq = GENESIS, 1
        for seq, text, stored_hash in rows:
            record = json.loads(text)
            where = f"ledger record {seq}"
            if seq != expected_seq or record.get("seq") != seq:
                problems.append(Problem(where, "out of sequence (a record was removed or moved)"))
            if record.get("prev") != prev:
                problems.append(Problem(where, "does not follow the record before it"))
            if chain_hash(record) != record.get("hash") or stored_hash != record.get("hash"):
                problems.append(Problem(where, "was changed after it was written"))
            prev, expected_seq = record.get("hash", ""), seq + 1
        records = self.records()
        lines = [canonical(record).decode("utf-8") for record in records]
        return (
            problems
            + self._compare_mirror(lines, self._mirror_lines())
            + self._check_index(records)
        )

    def _check_index(self, records: list[dict[str, Any]]) -> list[Problem]:
        """The index must be what replaying the records gives, product for product."""
        expected = replay(records)
        indexed = {row["id"]: _product(row) for row in self.store.product_rows()}
        return [
            Problem(f"products index: {product_id}", "differs from the ledger")
            for product_id in sorted(expected.keys() | indexed.keys())
            if expected.get(product_id) != indexed.get(product_id)
        ]


MIRROR_KEY = "ledger_mirror"  # "<lines> <size> <mtime_ns>" of the mirror as drivebot left it
_FIELDS = set(ProductRecord.__dataclass_fields__)


def _product(row: Any) -> ProductRecord:
    """A products-index row as the product it describes."""
    record = json.loads(row["record"])
    return _as_product(record, ProductStatus(row["status"]), row["revoked_by"])


def _as_product(
    record: dict[str, Any], status: ProductStatus, revoked_by: str | None
) -> ProductRecord:
    values = {**record, "status": status, "revoked_by": revoked_by, "archived_at": record["at"]}
    return ProductRecord(**{k: v for k, v in values.items() if k in _FIELDS})


def replay(records: Iterable[dict[str, Any]]) -> dict[str, ProductRecord]:
    """The products the records make, by id: the last archiving of an id counts, and a
    revocation recorded after it."""
    archived: dict[str, dict[str, Any]] = {}
    revoked: dict[str, str] = {}
    for record in records:
        if record["event"] == LedgerEvent.ARCHIVED:
            archived[record["id"]] = record
            revoked.pop(record["id"], None)
        elif record["event"] == LedgerEvent.REVOKED and record["id"] in archived:
            revoked[record["id"]] = record["by"]
    return {
        product_id: _as_product(
            record,
            ProductStatus.REVOKED if product_id in revoked else ProductStatus.IN_FORCE,
            revoked.get(product_id),
        )
        for product_id, record in archived.items()
    }
