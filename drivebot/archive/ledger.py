"""The archive ledger: append-only, one record per archived product or status change.

Each record holds the hash of the one before, so an edit, a deletion or a reordering anywhere
breaks the chain. The ledger lives in the state store; `archive/ledger.jsonl` in the workspace
is its mirror, one JSON record a line, only ever appended to: if its existing lines no longer
match the store, drivebot refuses to touch it and reports the difference.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from drivebot.archive.signing import ProductIdentity
from drivebot.state.store import Store

GENESIS = "0" * 64


class LedgerEvent(StrEnum):
    ARCHIVED = "archived"
    REVOKED = "revoked"


class ProductStatus(StrEnum):
    """A product's status as the ledger records it (the words JDIH uses)."""

    IN_FORCE = "berlaku"
    REVOKED = "dicabut"


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
        """Add a record (call inside the transaction that causes it)."""
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
        self.store.append_ledger(
            seq, product_id, event, canonical(record).decode("utf-8"), record["hash"]
        )
        return record

    def has_records(self) -> bool:
        return self.store.db.execute("SELECT 1 FROM ledger LIMIT 1").fetchone() is not None

    def records(self) -> list[dict[str, Any]]:
        return [
            json.loads(row[0])
            for row in self.store.db.execute("SELECT record FROM ledger ORDER BY seq")
        ]

    def export(self) -> list[Problem]:
        """Append to the mirror file what it lacks; touch nothing when it was altered."""
        lines = [canonical(record).decode("utf-8") for record in self.records()]
        existing = self._mirror_lines()
        problems = self._compare_mirror(lines, existing)
        if problems:
            return problems
        if len(existing) < len(lines):
            self.mirror.parent.mkdir(parents=True, exist_ok=True)
            with self.mirror.open("a", encoding="utf-8") as handle:
                handle.writelines(line + "\n" for line in lines[len(existing) :])
        return []

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

    # --- reading -----------------------------------------------------------------------------

    def products(self) -> list[ProductRecord]:
        state: dict[str, dict[str, Any]] = {}
        for record in self.records():
            if record["event"] == LedgerEvent.ARCHIVED:
                state[record["id"]] = {
                    **record,
                    "status": ProductStatus.IN_FORCE,
                    "revoked_by": None,
                    "archived_at": record["at"],
                }
            elif record["event"] == LedgerEvent.REVOKED and record["id"] in state:
                state[record["id"]].update(status=ProductStatus.REVOKED, revoked_by=record["by"])
        fields = set(ProductRecord.__dataclass_fields__)
        return [
            ProductRecord(**{k: v for k, v in item.items() if k in fields})
            for item in sorted(state.values(), key=lambda r: r["seq"], reverse=True)
        ]

    def product(self, product_id: str) -> ProductRecord | None:
        return next((p for p in self.products() if p.id == product_id), None)

    def find_by_sha256(self, sha256: str) -> tuple[ProductRecord, str] | None:
        for product in self.products():
            # The original first: a file signed electronically is both (drivebot stamped it
            # before the signature), and it is the signed original.
            if product.final_sha256 == sha256:
                return product, "original"
            if product.stamped_sha256 == sha256:
                return product, "stamped"
        return None

    # --- checking ----------------------------------------------------------------------------

    def check_chain(self) -> list[Problem]:
        """Every record's hash, and every link to the record before, in the store and mirror."""
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
        lines = [canonical(record).decode("utf-8") for record in self.records()]
        return problems + self._compare_mirror(lines, self._mirror_lines())
