"""The verification pages as a static site, with a JDIH-style JSON record per product.

For a regency that would rather serve the pages from its own web server: `publish` writes
``<id>/index.html`` and ``<id>/jdih.json`` per product, ``index.html``, ``jdih.json`` and the
public key. The static product page cannot verify a signature on a server: it compares ``?s=``
with the signature the ledger recorded (verified against the public key when publishing).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import quote

from drivebot.archive.ledger import Ledger, ProductRecord
from drivebot.web.pages import (
    PUBLIC_KEY_NAME,
    Links,
    Pages,
    check_public_key,
    newest_first,
    qr_state,
    status_of,
    type_name,
    valid_id,
)

JDIH_NAME = "jdih.json"

log = logging.getLogger(__name__)


def _static_links(depth: int) -> Links:
    """Relative links, so the site works from any folder and from file:// alike."""
    up = "../" * depth
    return Links(
        home=f"{up}index.html",
        check=None,
        key=f"{up}{PUBLIC_KEY_NAME}",
        product=lambda product_id: f"{up}{quote(product_id)}/index.html",
    )


def _download_url(download_url_base: str | None, record: ProductRecord) -> str | None:
    return download_url_base + quote(record.stamped_name) if download_url_base else None


def jdih_record(
    record: ProductRecord, org_name: str, verify_url_base: str, download_url_base: str | None
) -> dict[str, Any]:
    """The product's metadata as JDIH publishes it (always in Indonesian: it is the record)."""
    status, _ = status_of(record, "id")
    return {
        "id": record.id,
        "judul": record.title,
        "jenis": type_name(record.product_type, "id"),
        "nomor": record.number,
        "tahun": record.year,
        "tanggal_penetapan": record.date,
        "tanggal_pengundangan": record.promulgated_on,
        "sumber": record.gazette,
        "noreg": record.noreg,
        "subjek": record.subject,
        "status": status,
        "keterangan_status": record.revoked_by or "",
        "bahasa": "Indonesia",
        "pemrakarsa": org_name,
        "teu_badan": org_name,
        "url_download": _download_url(download_url_base, record),
        "url_verifikasi": verify_url_base + quote(record.id),
        "sha256": record.stamped_sha256,
        "sha256_naskah_asli": record.final_sha256,
    }


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def publish(
    ledger: Ledger,
    public_key_pem: bytes,
    out_dir: Path,
    verify_url_base: str,
    download_url_base: str | None,
    lang: str = "id",
    org_name: str = "",
) -> int:
    """Write the pages as a static site into ``out_dir``; returns how many products it wrote.

    ``out_dir/<id>/index.html`` and ``out_dir/<id>/jdih.json`` per product, ``index.html``,
    ``jdih.json`` (all records) and ``public_key.pem`` at the top. A download URL is
    ``download_url_base`` followed by the stamped file's (URL-quoted) name.
    """
    check_public_key(public_key_pem)
    pages = Pages(lang, org_name)
    records = newest_first(ledger.products())
    bad = [record.id for record in records if not valid_id(record.id)]
    if bad:  # such an id could name a path outside out_dir
        raise ValueError(f"product ids unsafe as folder names: {', '.join(map(repr, bad))}")
    out_dir.mkdir(parents=True, exist_ok=True)
    catalogue = []
    for record in records:
        folder = out_dir / record.id
        folder.mkdir(exist_ok=True)
        recorded_valid = qr_state(public_key_pem, record, record.signature) == "valid"
        if not recorded_valid:
            log.warning("%s: the recorded signature does not verify with the public key", record.id)
        html = pages.static_product(
            record, _static_links(1), recorded_valid, _download_url(download_url_base, record)
        )
        (folder / "index.html").write_text(html, encoding="utf-8")
        entry = jdih_record(record, org_name, verify_url_base, download_url_base)
        _write_json(folder / JDIH_NAME, entry)
        catalogue.append(entry)
    (out_dir / "index.html").write_text(pages.index(records, _static_links(0)), encoding="utf-8")
    _write_json(out_dir / JDIH_NAME, catalogue)
    (out_dir / PUBLIC_KEY_NAME).write_bytes(public_key_pem)
    return len(records)
