"""What the archive costs as it grows: the verification page and archiving one more product.

For each size (10, 1,000, 10,000 products) a fresh workspace gets that many products recorded in
its ledger (real, signed records; their files are not stamped, which costs the same at any size
and is measured by stamp_speed.py), the mirror written and its copy put in the archive folder.
Then:
  - the verification page a QR code opens (`/<verify path><id>?s=<signature>`, the signature
    checked), 300 requests to random products through the real Flask app: p50 and p95;
  - the index page (the latest products and a count): p95 of 50;
  - `import-archive` of 10 more real one-page PDFs, stamped, archived locked, the ledger and its
    copy brought up to date: wall time per product (the same work as archiving a draft's final).
Run: python bench/archive_scale.py [--sizes 10,1000,10000]
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from builders import final_pdf, write_config

from drivebot import bootstrap
from drivebot.archive.backlog import Product
from drivebot.archive.ledger import LedgerEvent
from drivebot.archive.signing import ProductIdentity
from drivebot.config import load
from drivebot.flows import ProductType
from drivebot.web.app import create_app

IMPORTED = 10


def _seed(service, count: int) -> list[tuple[str, str]]:
    """`count` signed records; returns (id, signature) of each."""
    archiver = service.archiver
    seeded = []
    with service.store.transaction():
        for n in range(1, count + 1):
            sha = hashlib.sha256(f"final {n}".encode()).hexdigest()
            identity = ProductIdentity(
                f"KEPBUP-2020-{n:05d}", "kepbup", n, 2020, f"Keputusan nomor {n}", "2020-01-02", sha
            )
            signature = archiver.signer.sign(identity)
            archiver.ledger.append(
                LedgerEvent.ARCHIVED,
                identity.id,
                {
                    "product_type": "kepbup",
                    "number": n,
                    "year": 2020,
                    "title": identity.title,
                    "date": identity.date,
                    "final_sha256": sha,
                    "final_size": 1000,
                    "stamped_sha256": hashlib.sha256(f"stamped {n}".encode()).hexdigest(),
                    "stamped_size": 1200,
                    "stamped_name": f"{identity.id} (salinan sah).pdf",
                    "signature": signature,
                    "qr_sha256": "",
                    "original_name": f"{identity.id} (asli).pdf",
                    "stamp_method": "incremental",
                    "subject": "",
                    "promulgated_on": "",
                    "gazette": "",
                    "noreg": "",
                    "authenticated_by": archiver.authentication(),
                },
            )
            seeded.append((identity.id, signature))
    archiver.export_ledger()
    return seeded


def _p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def measure(count: int) -> tuple[float, float, float, float]:
    """(page p50 ms, page p95 ms, index p95 ms, archive ms per product) at `count` products."""
    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp)
        write_config(workspace)
        service = bootstrap.app(load(workspace))
        service.drive.ensure_folders([opd.folder for opd in service.config.opds])
        seeded = _seed(service, count)
        archiver = service.archiver
        app = create_app(lambda: archiver.ledger, archiver.signer.public_key_pem(), "/v/")
        client = app.test_client()
        pick = random.Random(count)
        page, index = [], []
        for _ in range(300):
            product_id, signature = pick.choice(seeded)
            start = time.perf_counter()
            response = client.get(f"/v/{product_id}?s={signature}")
            page.append((time.perf_counter() - start) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{product_id}: {response.status_code}")
        for _ in range(50):
            start = time.perf_counter()
            client.get("/")
            index.append((time.perf_counter() - start) * 1000)
        products = []
        for n in range(1, IMPORTED + 1):
            path = workspace / f"lama {n}.pdf"
            path.write_bytes(final_pdf(pages=1, number=n, year=2021))
            products.append(
                Product(path, ProductType.PERBUP, n, 2021, f"Peraturan nomor {n}", "2021-03-04")
            )
        start = time.perf_counter()
        summary = service.archive.import_backlog(products, lambda *_: None)
        per_product = (time.perf_counter() - start) * 1000 / IMPORTED
        if len(summary.archived) != IMPORTED:
            raise SystemExit(f"import archived {len(summary.archived)} of {IMPORTED}")
        service.close()
        return statistics.median(page), _p(page, 95), _p(index, 95), per_product


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,1000,10000")
    sizes = [int(size) for size in parser.parse_args().sizes.split(",")]
    print(f"{'products':>9} {'page p50 ms':>12} {'page p95 ms':>12} {'index p95 ms':>13}"
          f" {'archive ms/product':>19}")  # fmt: skip
    p95, archive = {}, {}
    for size in sizes:
        p50, p95[size], index, archive[size] = measure(size)
        print(f"{size:>9} {p50:>12.2f} {p95[size]:>12.2f} {index:>13.2f} {archive[size]:>19.1f}")
    for size in sizes:
        print(f"import-archive per product at {size} products: {archive[size]:.1f} ms")
    last, first = sizes[-1], sizes[0]
    print(f"archive time ratio {last}/{first}: {archive[last] / archive[first]:.2f}")
    print(f"verify page p95 ratio {sizes[-1]}/{sizes[0]}: {p95[sizes[-1]] / p95[sizes[0]]:.2f}")


if __name__ == "__main__":
    main()
