"""Is this file an authentic archived product? Is the whole archive intact?

`verify_file` first looks the file's SHA-256 up in the ledger: the stamped copy or the signed
original of a product is authentic. Otherwise it reads the stamp's footer for the product it
claims to be and compares the file's pages with that product's signed original, to say why it is
not authentic: pages edited, pages removed or added, or a stamp (QR code) lifted from another
product. `verify_archive` checks the ledger's hash chain and its mirror file, and every archived
file against the hashes recorded for it.

What it proves: that a file is, byte for byte, one this archive stamped (or the original it
stamped). What it does not: a paper copy cannot be checked this way, only its QR code (see the
verification page), and anyone holding the workspace's state and key can rewrite the whole ledger
consistently (the Drive copy and published pages are the outside witnesses).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

from drivebot.archive.ledger import AUTHENTICATION, Ledger, Problem, ProductRecord
from drivebot.archive.signing import verify_signature
from drivebot.checks.limits import Limits
from drivebot.checks.pdf import page_texts
from drivebot.drive import DrivePort
from drivebot.errors import NotFound
from drivebot.files import sha256_of
from drivebot.flows import Folder

AUTHENTIC = ("stamped", "original")


@dataclass(frozen=True)
class Verdict:
    # stamped | original (both authentic) | edited | pages_changed | foreign_stamp |
    # unregistered | unknown
    status: str
    product: ProductRecord | None = None
    detail: str = ""

    @property
    def authentic(self) -> bool:
        return self.status in AUTHENTIC


def _page_texts(path: Path) -> list[str] | None:
    # Bounded: a forged file may carry a content stream that inflates to gigabytes.
    return page_texts(path, Limits())


def _without_stamp(text: str, product_id: str, watermark: str) -> str:
    """The page's text without what the stamp drew: the watermark and the footer's lines
    (the one naming the product, and the authentication line, Archiver.authentication)."""
    lines = [line.strip() for line in text.splitlines()]
    return "\n".join(
        line
        for line in lines
        if line
        and line != watermark
        and product_id not in line
        and not line.startswith(AUTHENTICATION)
    )


def verify_file(
    path: Path,
    ledger: Ledger,
    original_of: Callable[[ProductRecord], Path | None],
    id_pattern: re.Pattern[str],
    watermark: str,
) -> Verdict:
    found = ledger.find_by_sha256(sha256_of(path))
    if found is not None:
        product, kind = found
        return Verdict(kind, product)
    texts = _page_texts(path)
    claimed = {match.group(0) for text in texts or () for match in id_pattern.finditer(text)}
    if not claimed:
        return Verdict("unknown", detail="no drivebot stamp found in the file")
    product_id = sorted(claimed)[0]
    claimed_product = ledger.product(product_id)
    if claimed_product is None:
        return Verdict(
            "unregistered", detail=f"the stamp names {product_id}, which the archive does not hold"
        )
    product = claimed_product
    original = original_of(product)
    if original is None or not original.exists():
        return Verdict("edited", product, "the file differs from the archived copy")
    theirs = [_without_stamp(t, product_id, watermark) for t in texts or ()]
    ours = [_without_stamp(t, product_id, watermark) for t in _page_texts(original) or ()]
    shared = set(theirs) & set(ours)
    if not shared:
        return Verdict(
            "foreign_stamp",
            product,
            "none of the file's pages belongs to this product: its stamp or QR code "
            "was taken from it",
        )
    if len(theirs) != len(ours):
        return Verdict("pages_changed", product, f"{len(theirs)} pages instead of {len(ours)}")
    edited = [str(n) for n, (a, b) in enumerate(zip(theirs, ours, strict=True), 1) if a != b]
    detail = f"page(s) {', '.join(edited)} differ" if edited else "the file was altered"
    return Verdict("edited", product, detail)


def verify_archive(ledger: Ledger, drive: DrivePort, public_key_pem: bytes) -> list[Problem]:
    """Every problem with the ledger, its signatures and the archived files; empty when all is
    intact."""
    problems = ledger.check_chain()
    problems += [
        Problem(product.id, "its QR signature does not match the archive's key")
        for product in ledger.products()
        if not verify_signature(public_key_pem, product.qr_identity(), product.signature)
    ]
    with TemporaryDirectory(prefix="drivebot-verify-") as tmp:
        if ledger.mirror.exists():
            problems += _check_copy(drive, Path(tmp), ledger.mirror)
        elif ledger.records():
            problems.append(Problem(ledger.mirror.name, "is missing"))
        for product in ledger.products():
            for name, expected in (
                (product.stamped_name, product.stamped_sha256),
                (product.original_name, product.final_sha256),
            ):
                problems += _check_archived(drive, Path(tmp), product.id, name, expected)
    return problems


def _check_copy(drive: DrivePort, tmp: Path, mirror: Path) -> list[Problem]:
    """The ledger's copy in the archive folder must be the mirror file, byte for byte."""
    file = drive.find(Folder.ARCHIVE, mirror.name)
    if file is None:
        return [Problem(mirror.name, "has no copy in the archive folder")]
    drive.download(file.id, tmp / "ledger")
    if (tmp / "ledger").read_bytes() != mirror.read_bytes():
        return [Problem(f"archive folder: {mirror.name}", "differs from the ledger")]
    return []


def _check_archived(
    drive: DrivePort, tmp: Path, product_id: str, name: str, expected: str
) -> list[Problem]:
    where = f"{product_id}: {name}"
    file = drive.find(Folder.ARCHIVE, name)
    if file is None:
        return [Problem(where, "is missing from the archive")]
    problems = [] if file.locked else [Problem(where, "is not locked")]
    copy = tmp / "check"
    try:
        drive.download(file.id, copy)
    except NotFound:
        return [*problems, Problem(where, "cannot be read")]
    if sha256_of(copy) != expected:
        problems.append(Problem(where, "was changed after it was archived"))
    return problems
