"""The verification pages: through Flask's test client, and as a person sees them in Chromium."""

from __future__ import annotations

import hashlib
import io
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, request
from PIL import Image
from werkzeug.serving import BaseWSGIServer, make_server

from drivebot.archive.ledger import LEDGER_FILE, Ledger, ProductRecord
from drivebot.archive.signing import ProductIdentity, Signer
from drivebot.state.store import Store
from drivebot.web.app import create_app
from drivebot.web.publish import publish

VERIFY_PATH = "/verifikasi/"
VERIFY_BASE = "https://jdih.example.go.id/verifikasi/"
ORG = "Bagian Hukum Setda Kabupaten Seram Bagian Timur"
RSA_PUBLIC_KEY = (
    rsa.generate_private_key(public_exponent=65537, key_size=1024)
    .public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
)
TITLE = "Peraturan Bupati Seram Bagian Timur tentang Retribusi Pelayanan Kesehatan"


@dataclass(frozen=True)
class Archive:
    ledger: Ledger
    public_key_pem: bytes
    stamped: dict[str, bytes]  # product id -> the stamped file's bytes
    originals: dict[str, bytes]  # product id -> the signed final's bytes

    def record(self, product_id: str) -> ProductRecord:
        record = self.ledger.product(product_id)
        assert record is not None
        return record


def _pdf(text: str) -> bytes:
    # Content only needs to be distinct: the check compares hashes, not PDF structure.
    return f"%PDF-1.7\n% {text}\n%%EOF\n".encode()


def _archive_one(
    ledger: Ledger,
    signer: Signer,
    product_id: str,
    product_type: str,
    number: int,
    title: str,
    day: str,
) -> tuple[bytes, bytes]:
    original, stamped = _pdf(f"final {product_id}"), _pdf(f"final {product_id} + QR stamp")
    identity = ProductIdentity(
        id=product_id,
        product_type=product_type,
        number=number,
        year=2026,
        title=title,
        date=day,
        final_sha256=hashlib.sha256(original).hexdigest(),
    )
    ledger.append(
        "archived",
        product_id,
        {
            "product_type": product_type,
            "number": number,
            "year": 2026,
            "title": title,
            "date": day,
            "final_sha256": identity.final_sha256,
            "final_size": len(original),
            "stamped_sha256": hashlib.sha256(stamped).hexdigest(),
            "stamped_size": len(stamped),
            "stamped_name": f"{product_id} salinan sah.pdf",
            "signature": signer.sign(identity),
            "original_name": f"{product_id}.pdf",
            "stamp_method": "incremental",
            "subject": "Kesehatan" if product_type == "perbup" else "",
        },
    )
    return original, stamped


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[Archive]:
    """A real ledger: two Perbup (the older one revoked) and a Kepbup, newest last."""
    store = Store(tmp_path / "state.db")
    ledger = Ledger(store, tmp_path / "archive" / LEDGER_FILE)
    signer = Signer.generate()
    products = [
        ("HK-2026-0001", "perbup", 3, "Peraturan Bupati tentang Pajak Daerah", "2026-03-02"),
        ("HK-2026-0007", "perbup", 12, TITLE, "2026-11-22"),
        ("HK-2026-0008", "kepbup", 40, "Keputusan Bupati tentang Tim Koordinasi", "2026-11-25"),
    ]
    stamped, originals = {}, {}
    with store.transaction():
        for product_id, kind, number, title, day in products:
            originals[product_id], stamped[product_id] = _archive_one(
                ledger, signer, product_id, kind, number, title, day
            )
        ledger.append("revoked", "HK-2026-0001", {"by": "Perbup Nomor 3 Tahun 2027"})
    yield Archive(ledger, signer.public_key_pem(), stamped, originals)
    store.close()


@pytest.fixture
def app(archive: Archive, tmp_path: Path) -> Flask:
    app = create_app(
        lambda: archive.ledger, archive.public_key_pem, VERIFY_PATH, org_name=ORG, max_upload_mb=1
    )
    (tmp_path / "uploads").mkdir()
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    return app


def _text(response) -> str:
    return response.get_data(as_text=True)


# --- the product page ------------------------------------------------------------------------


def test_valid_code_shows_the_facts_and_a_valid_signature(app: Flask, archive: Archive) -> None:
    record = archive.record("HK-2026-0007")
    response = app.test_client().get(f"{VERIFY_PATH}{record.id}?s={record.signature}")
    page = _text(response)
    assert response.status_code == 200
    assert "Tanda tangan digital QR sah" in page and "tidak sah" not in page
    for fact in (
        "Peraturan Bupati Nomor 12 Tahun 2026",
        TITLE,
        "22 November 2026",
        "Berlaku",
        record.final_sha256,
        record.stamped_sha256,
        ORG,
    ):
        assert fact in page
    assert 'name="viewport"' in page and 'action="/cek"' in page
    assert "tidak membuktikan" in page  # says what the page does not prove
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_revoked_product_says_by_what(app: Flask, archive: Archive) -> None:
    record = archive.record("HK-2026-0001")
    page = _text(app.test_client().get(f"{VERIFY_PATH}{record.id}?s={record.signature}"))
    assert "Dicabut" in page and "Dicabut/diubah oleh Perbup Nomor 3 Tahun 2027" in page
    assert "Tanda tangan digital QR sah" in page
    # the revocation is what a reader sees first, before the valid signature
    assert page.index("sudah tidak berlaku") < page.index("Tanda tangan digital QR sah")


@pytest.mark.parametrize("signature", ["tampered", "A" * 86, "x" * 500, "%3Cscript%3E", "=="])
def test_tampered_signature_is_not_valid(app: Flask, archive: Archive, signature: str) -> None:
    response = app.test_client().get(f"{VERIFY_PATH}HK-2026-0007?s={signature}")
    page = _text(response)
    assert response.status_code == 200
    assert "tidak sah" in page and "mungkin dipalsukan" in page
    assert "<script>" not in page


def test_code_lifted_from_another_product_is_not_valid(app: Flask, archive: Archive) -> None:
    other = archive.record("HK-2026-0008").signature
    page = _text(app.test_client().get(f"{VERIFY_PATH}HK-2026-0007?s={other}"))
    assert "Tanda tangan digital QR tidak sah" in page


def test_missing_signature_shows_facts_but_says_so(app: Flask) -> None:
    page = _text(app.test_client().get(f"{VERIFY_PATH}HK-2026-0007"))
    assert "tidak membawa tanda tangan digital" in page and TITLE in page


def test_english_pages(archive: Archive) -> None:
    record = archive.record("HK-2026-0007")
    app = create_app(lambda: archive.ledger, archive.public_key_pem, "verifikasi", lang="en")
    page = _text(app.test_client().get(f"/verifikasi/{record.id}?s={record.signature}"))
    assert "QR digital signature valid" in page
    assert "Regent Regulation No. 12 of 2026" in page and "In force" in page
    assert 'lang="en"' in page


def test_unknown_language_is_refused(archive: Archive) -> None:
    with pytest.raises(ValueError, match="language"):
        create_app(lambda: archive.ledger, archive.public_key_pem, VERIFY_PATH, lang="fr")


@pytest.mark.parametrize("key", [b"", b"not a key", RSA_PUBLIC_KEY])
def test_unusable_public_key_is_refused_at_start(
    archive: Archive, key: bytes, tmp_path: Path
) -> None:
    # Otherwise every genuine code would be reported as forged.
    with pytest.raises(ValueError, match="public key"):
        create_app(lambda: archive.ledger, key, VERIFY_PATH)
    with pytest.raises(ValueError, match="public key"):
        publish(archive.ledger, key, tmp_path / "site", VERIFY_BASE, None)


@pytest.mark.parametrize(
    "path",
    [
        "HK-2026-9999",
        "hk-2026-0007",
        "..%2F..%2Fetc%2Fpasswd",
        "../../etc/passwd",
        "%00",
        ".hidden",
        "HK-2026-0007%0A",
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "a" * 300,
        "HK-2026-0007/extra",
        "%E2%80%AE",
    ],
)
def test_unknown_or_malformed_id_is_not_registered(app: Flask, path: str) -> None:
    response = app.test_client().get(VERIFY_PATH + path)
    page = _text(response)
    assert response.status_code == 404
    assert "tidak terdaftar" in page and "<script>alert" not in page
    assert "Traceback" not in page


def test_other_missing_pages_and_methods_are_friendly(app: Flask) -> None:
    client = app.test_client()
    missing = client.get("/tidak-ada")
    assert missing.status_code == 404 and "Halaman tidak ditemukan" in _text(missing)
    wrong_method = client.post(f"{VERIFY_PATH}HK-2026-0007")
    assert wrong_method.status_code == 405
    assert "tidak dapat diproses" in _text(wrong_method)


def test_internal_error_is_a_plain_indonesian_page(archive: Archive) -> None:
    class BrokenLedger:
        def products(self) -> list[ProductRecord]:
            raise RuntimeError("database is locked")

        def product(self, product_id: str) -> ProductRecord | None:
            raise RuntimeError("database is locked")

    app = create_app(lambda: BrokenLedger(), archive.public_key_pem, VERIFY_PATH)  # type: ignore[arg-type]
    for path in ("/", f"{VERIFY_PATH}HK-2026-0007"):
        response = app.test_client().get(path)
        page = _text(response)
        assert response.status_code == 500
        assert "Terjadi kesalahan" in page
        assert "database is locked" not in page and "Traceback" not in page


def test_index_lists_products_newest_first_with_links(app: Flask) -> None:
    page = _text(app.test_client().get("/"))
    positions = [
        page.index(f'href="{VERIFY_PATH}{product_id}"')
        for product_id in ("HK-2026-0008", "HK-2026-0007", "HK-2026-0001")
    ]
    assert positions == sorted(positions)
    assert "Keputusan Bupati Nomor 40 Tahun 2026" in page and 'href="/cek"' in page


def test_public_key_is_served(app: Flask, archive: Archive) -> None:
    response = app.test_client().get("/public_key.pem")
    assert response.status_code == 200 and response.data == archive.public_key_pem


# --- /cek ------------------------------------------------------------------------------------


def _upload(app: Flask, content: bytes, name: str = "salinan.pdf"):
    return app.test_client().post(
        "/cek", data={"berkas": (io.BytesIO(content), name)}, content_type="multipart/form-data"
    )


def test_stamped_copy_matches(app: Flask, archive: Archive) -> None:
    response = _upload(app, archive.stamped["HK-2026-0007"])
    page = _text(response)
    assert response.status_code == 200
    assert "Cocok: salinan sah dari Peraturan Bupati Nomor 12 Tahun 2026" in page
    assert f'href="{VERIFY_PATH}HK-2026-0007"' in page


def test_signed_original_matches_and_revocation_is_shown(app: Flask, archive: Archive) -> None:
    page = _text(_upload(app, archive.originals["HK-2026-0001"]))
    assert "Cocok: naskah asli bertanda tangan dari Peraturan Bupati Nomor 3 Tahun 2026" in page
    assert "Dicabut/diubah oleh Perbup Nomor 3 Tahun 2027" in page


def test_changed_file_does_not_match(app: Flask, archive: Archive) -> None:
    changed = archive.stamped["HK-2026-0007"] + b"% one annotation\n"
    page = _text(_upload(app, changed))
    assert "Tidak cocok dengan produk mana pun di arsip" in page
    assert "diubah setelah diberi kode QR" in page
    assert hashlib.sha256(changed).hexdigest() in page


def test_upload_without_a_file_asks_for_one(app: Flask) -> None:
    response = app.test_client().post("/cek", data={}, content_type="multipart/form-data")
    assert response.status_code == 400 and "Pilih berkas PDF" in _text(response)


def test_oversize_upload_gets_a_friendly_413(app: Flask) -> None:
    response = _upload(app, b"%PDF-1.7\n" + b"0" * (1024 * 1024 + 1))
    page = _text(response)
    assert response.status_code == 413
    assert "Berkas terlalu besar" in page and "1 MB" in page


@pytest.mark.parametrize("injected", [True, False], ids=["upload-dir", "system-temp"])
def test_nothing_uploaded_is_kept(
    archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, injected: bool
) -> None:
    """The upload is spooled to a temporary file, closed (deleted) before the ledger lookup."""
    seen_closed = []
    spool = tmp_path / "spool"
    spool.mkdir()
    # A private "system" temp dir: the real one may gain files from other processes meanwhile.
    monkeypatch.setattr(tempfile, "tempdir", str(spool))

    class WatchingLedger:
        def __init__(self, ledger: Ledger):
            self._ledger = ledger

        def __getattr__(self, name: str):
            return getattr(self._ledger, name)

        def find_by_sha256(self, sha256: str):
            seen_closed.append(request.files["berkas"].stream.closed)
            assert not os.listdir(spool)
            return self._ledger.find_by_sha256(sha256)

    app = create_app(
        lambda: WatchingLedger(archive.ledger),  # type: ignore[arg-type, return-value]
        archive.public_key_pem,
        VERIFY_PATH,
    )
    if injected:
        app.config["UPLOAD_DIR"] = str(spool)
    # Larger than werkzeug's in-memory threshold, so a default setup would spool to disk too.
    page = _text(_upload(app, archive.stamped["HK-2026-0007"] + b"%" * 700_000))
    assert "Tidak cocok" in page
    assert seen_closed == [True]
    assert not os.listdir(spool)


# --- the static site -------------------------------------------------------------------------


def test_publish_writes_pages_jdih_records_and_the_key(archive: Archive, tmp_path: Path) -> None:
    out = tmp_path / "site"
    written = publish(
        archive.ledger,
        archive.public_key_pem,
        out,
        VERIFY_BASE,
        "https://jdih.example.go.id/unduh/",
        org_name=ORG,
    )
    assert written == 3
    assert (out / "public_key.pem").read_bytes() == archive.public_key_pem
    record = archive.record("HK-2026-0007")
    page = (out / record.id / "index.html").read_text(encoding="utf-8")
    assert TITLE in page and record.stamped_sha256 in page and "Berlaku" in page
    assert record.signature[:12] in page and 'href="../index.html"' in page
    entry = json.loads((out / record.id / "jdih.json").read_text(encoding="utf-8"))
    assert entry == {
        "id": record.id,
        "judul": TITLE,
        "jenis": "Peraturan Bupati",
        "nomor": 12,
        "tahun": 2026,
        "tanggal_penetapan": "2026-11-22",
        "tanggal_pengundangan": "",  # a record made without one (drivebot.record fills it)
        "sumber": "",
        "noreg": "",
        "subjek": "Kesehatan",
        "status": "Berlaku",
        "keterangan_status": "",
        "bahasa": "Indonesia",
        "pemrakarsa": ORG,
        "teu_badan": ORG,
        "url_download": "https://jdih.example.go.id/unduh/HK-2026-0007%20salinan%20sah.pdf",
        "url_verifikasi": VERIFY_BASE + record.id,
        "sha256": record.stamped_sha256,
        "sha256_naskah_asli": record.final_sha256,
    }
    catalogue = json.loads((out / "jdih.json").read_text(encoding="utf-8"))
    assert [item["id"] for item in catalogue] == ["HK-2026-0008", "HK-2026-0007", "HK-2026-0001"]
    assert catalogue[2]["status"] == "Dicabut"
    assert catalogue[2]["keterangan_status"] == "Perbup Nomor 3 Tahun 2027"
    assert 'href="HK-2026-0007/index.html"' in (out / "index.html").read_text(encoding="utf-8")


def test_publish_without_download_base(archive: Archive, tmp_path: Path) -> None:
    publish(archive.ledger, archive.public_key_pem, tmp_path / "site", VERIFY_BASE, None)
    entry = json.loads((tmp_path / "site" / "HK-2026-0008" / "jdih.json").read_text())
    assert entry["url_download"] is None and entry["pemrakarsa"] == ""


def test_publish_never_vouches_for_a_signature_the_key_rejects(
    archive: Archive, tmp_path: Path
) -> None:
    wrong_key = Signer.generate().public_key_pem()
    publish(archive.ledger, wrong_key, tmp_path / "site", VERIFY_BASE, None)
    page = (tmp_path / "site" / "HK-2026-0007" / "index.html").read_text(encoding="utf-8")
    assert "TIDAK lolos pemeriksaan kunci publik" in page
    assert 'var expected = "";' in page


# --- in a real browser -----------------------------------------------------------------------

CHROMIUM = next(
    (
        found
        for name in ("chromium", "chromium-browser", "google-chrome")
        if (found := shutil.which(name))
    ),
    None,
)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium binary on PATH (Debian package: chromium)"
)


def _chromium(profile: Path, *args: str) -> str:
    assert CHROMIUM is not None
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


@pytest.fixture
def server(archive: Archive, tmp_path: Path) -> Iterator[str]:
    """The app on a free local port, in one thread that also opens the ledger's store.

    A sqlite connection belongs to the thread that opened it, so the server handles requests
    one at a time, in the thread where its store was opened (as ``drivebot serve`` must).
    """
    ready: queue.Queue[object] = queue.Queue()

    def run() -> None:
        store = Store(tmp_path / "state.db")
        try:
            ledger = Ledger(store, tmp_path / "archive" / LEDGER_FILE)
            app = create_app(lambda: ledger, archive.public_key_pem, VERIFY_PATH, org_name=ORG)
            httpd = make_server("127.0.0.1", 0, app, threaded=False)
        except Exception as error:  # surface it in the test, not as a hang
            ready.put(error)
            store.close()
            return
        ready.put(httpd)
        try:
            httpd.serve_forever(poll_interval=0.1)
        finally:
            store.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    httpd = ready.get(timeout=30)
    if isinstance(httpd, Exception):
        raise httpd
    assert isinstance(httpd, BaseWSGIServer)
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=10)


@needs_chromium
def test_browser_shows_a_person_the_verdict(server: str, archive: Archive, tmp_path: Path) -> None:
    record = archive.record("HK-2026-0007")
    url = f"{server}{VERIFY_PATH}{record.id}?s={record.signature}"
    dom = _chromium(tmp_path / "profile", "--dump-dom", url)
    assert "Peraturan Bupati Nomor 12 Tahun 2026" in dom and TITLE in dom
    assert "Berlaku" in dom and "Tanda tangan digital QR sah" in dom
    tampered = _chromium(tmp_path / "profile", "--dump-dom", url[:-4] + "AAAA")
    assert "Tanda tangan digital QR tidak sah" in tampered
    unknown = _chromium(tmp_path / "profile", "--dump-dom", f"{server}{VERIFY_PATH}HK-1999-0001")
    assert "Produk hukum tidak terdaftar" in unknown


@needs_chromium
def test_phone_screenshot_is_not_blank(server: str, archive: Archive, tmp_path: Path) -> None:
    record = archive.record("HK-2026-0007")
    shot = tmp_path / "phone.png"
    _chromium(
        tmp_path / "profile",
        f"--screenshot={shot}",
        "--window-size=412,915",
        f"{server}{VERIFY_PATH}{record.id}?s={record.signature}",
    )
    assert shot.exists()
    with Image.open(shot) as image:
        assert image.size == (412, 915)
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 1
    # The green "valid" banner is what a person sees first: its fill colour must be on screen.
    assert any(colour == (0xDC, 0xFC, 0xE7) and count > 1000 for count, colour in colours)


@needs_chromium
def test_static_page_script_compares_the_signature(archive: Archive, tmp_path: Path) -> None:
    out = tmp_path / "site"
    publish(archive.ledger, archive.public_key_pem, out, VERIFY_BASE, None)
    record = archive.record("HK-2026-0007")
    page_url = (out / record.id / "index.html").as_uri()
    verdicts = {}
    for case, query in (
        ("right", f"?s={record.signature}"),
        ("wrong", "?s=" + "B" * 86),
        ("none", ""),
    ):
        dom = _chromium(tmp_path / "profile", "--dump-dom", page_url + query)
        assert TITLE in dom
        verdicts[case] = dom
    assert _visible("qr-match", verdicts["right"]) and not _visible(
        "qr-mismatch", verdicts["right"]
    )
    assert _visible("qr-mismatch", verdicts["wrong"]) and not _visible(
        "qr-match", verdicts["wrong"]
    )
    assert _visible("qr-missing", verdicts["none"])
    assert not _visible("qr-nojs", verdicts["right"])


def _visible(element_id: str, dom: str) -> bool:
    """Whether the verdict block with this id is shown (the script removes ``hidden``)."""
    start = dom.index(f'id="{element_id}"')
    tag = dom[dom.rindex("<", 0, start) : dom.index(">", start)]
    return "hidden" not in tag


def test_the_index_shows_the_latest_products_and_counts_the_rest(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("drivebot.web.app.INDEX_SHOWN", 2)
    app = create_app(lambda: archive.ledger, archive.public_key_pem, VERIFY_PATH)
    page = _text(app.test_client().get("/"))
    assert f'href="{VERIFY_PATH}HK-2026-0008"' in page and "HK-2026-0001" not in page
    assert "Ditampilkan 2 produk terbaru dari 3" in page


def test_the_products_index_is_built_from_an_existing_ledger(archive: Archive) -> None:
    store = archive.ledger.store
    before = archive.ledger.products()
    with store.transaction():
        store.db.execute("DROP TABLE products")
        store.db.execute("DELETE FROM migrations WHERE name = '011_products'")
    store.migrate()  # as an archive made before the index opens with this version
    assert archive.ledger.products() == before and len(before) == 3
    revoked = archive.ledger.product("HK-2026-0001")
    assert revoked is not None and revoked.revoked_by == "Perbup Nomor 3 Tahun 2027"
    assert archive.ledger.find_by_sha256(before[0].stamped_sha256) == (before[0], "stamped")
    assert [p for p in archive.ledger.check_chain() if p.where.startswith("products")] == []


def test_an_edited_products_index_is_reported(archive: Archive) -> None:
    store = archive.ledger.store
    with store.transaction():
        store.db.execute("UPDATE products SET status = 'berlaku' WHERE id = 'HK-2026-0001'")
    problems = archive.ledger.check_chain()
    assert [(p.where, p.what) for p in problems if p.where.startswith("products")] == [
        ("products index: HK-2026-0001", "differs from the ledger")
    ]
