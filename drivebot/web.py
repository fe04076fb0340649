"""The verification pages a QR code leads to: a small Flask app, or the same pages as a static site.

Every stamped page carries a QR code with ``<verify_url_base><product id>?s=<signature>``; the
signature is Ed25519 over the product's identity (drivebot.signing). Whoever scans it lands on
``create_app``'s product page, which shows the product's facts from the ledger (type, number,
year, title, date, status, the SHA-256 of the signed final and of the stamped copy) and says
whether the signature in the code is valid for that product. ``/cek`` takes an uploaded PDF,
hashes it and looks the hash up in the ledger. ``publish`` writes the same pages as plain files
(plus JDIH-style JSON records) for a regency that would rather serve them from its own web
server.

What the product page proves:
- that the QR code names a product recorded in this archive, and that its signature was made by
  the archive's key for exactly that product (a code lifted from another product, or edited,
  does not verify);
- the product's current status (in force, or revoked/amended and by what).

What it does not prove:
- that the paper or PDF in hand is unaltered: pages can be replaced under a genuine QR code. For
  the file itself, upload it to ``/cek``: only a byte-identical stamped copy or signed original
  matches;
- anything beyond the trust placed in whoever runs it: anyone who can run ``drivebot serve``
  with the archive's key and ledger is trusted, since they could rewrite both consistently.

The static site cannot verify a signature on a server: its product page compares ``?s=`` with
the signature the ledger recorded (verified against the public key when publishing) in a tiny
inline script, and without script it shows the expected signature's prefix to compare by eye.

Pages are jinja2 templates in ``drivebot/webtemplates`` (autoescaped); every word a person reads
is in ``webtemplates/<lang>/words.toml``, Indonesian by default, English available.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import tempfile
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from flask import Flask, Request, Response, current_app, request, url_for
from jinja2 import Environment, FunctionLoader, StrictUndefined
from werkzeug.exceptions import HTTPException

from drivebot.ledger import Ledger, ProductRecord
from drivebot.signing import verify_signature
from drivebot.workflow import PRODUCT_NAMES, ProductType

LANGUAGES = ("id", "en")
UPLOAD_FIELD = "berkas"
PUBLIC_KEY_NAME = "public_key.pem"
JDIH_NAME = "jdih.json"

# Ids become URL segments and, when publishing, directory names: letters, digits and "._-" only,
# never starting with a dot, so no id can climb out of its folder or hide a path.
_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
# A base64url Ed25519 signature is 86 characters; anything longer is not worth decoding.
_SIGNATURE_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,128}")
_PREFIX_CHARS = 12  # of the expected signature, shown on static pages for comparing by eye
_CHUNK = 1 << 20

# The pages have no script (the static product page inlines its own), load nothing external,
# and the upload form posts only to this site.
_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                               "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # A product's status can change (revoked), so nobody should keep an old answer.
    "Cache-Control": "no-store",
}

log = logging.getLogger(__name__)


# --- what the templates show ---------------------------------------------------------------


@dataclass(frozen=True)
class ProductView:
    """One product's facts, worded for a reader in one language."""

    id: str
    headline: str  # "Peraturan Bupati Nomor 12 Tahun 2026"
    type_name: str
    number: int
    year: int
    title: str
    date: str
    subject: str
    status: str
    status_class: str  # ok | bad | warn: the colour of the status badge
    revoked_by: str | None
    archived_at: str
    final_sha256: str
    stamped_sha256: str
    stamped_name: str
    url: str


@dataclass(frozen=True)
class Links:
    """Where a page's links point: server routes, or relative files of the static site."""

    home: str
    check: str | None
    key: str
    product: Callable[[str], str]


@dataclass(frozen=True)
class CheckResult:
    sha256: str
    product: ProductView | None
    message: str


@cache
def _words(lang: str) -> dict[str, Any]:
    return tomllib.loads(_load(f"{lang}/words.toml") or "")


def _load(name: str) -> str | None:
    entry = resources.files("drivebot").joinpath("webtemplates", *name.split("/"))
    return entry.read_text(encoding="utf-8") if entry.is_file() else None


@cache
def _environment() -> Environment:
    # StrictUndefined: a missing value is a bug for the tests to catch, not a blank on a page.
    return Environment(loader=FunctionLoader(_load), autoescape=True, undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True)


def type_name(product_type: str, lang: str) -> str:
    """"Peraturan Bupati" for "perbup"; an unknown type is shown as it was recorded."""
    try:
        return PRODUCT_NAMES[ProductType(product_type)][lang]
    except ValueError:
        return product_type


def _long_date(value: str, lang: str) -> str:
    """An ISO date or timestamp as people write it ("22 November 2026 14.05")."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    month = _words(lang)["months"][moment.month - 1]
    text = f"{moment.day} {month} {moment.year}"
    if "T" in value or " " in value.strip():
        text += moment.strftime(" %H.%M" if lang == "id" else " %H:%M")
        offset = moment.utcoffset()
        if offset is not None and not offset:  # the ledger writes UTC; say so, not local time
            text += " UTC"
    return text


def _status(record: ProductRecord, lang: str) -> tuple[str, str]:
    labels = _words(lang)["status"]
    if record.status == "berlaku":
        return labels["berlaku"], "ok"
    if record.status == "dicabut":
        return labels["dicabut"], "bad"
    return record.status, "warn"


def product_view(record: ProductRecord, lang: str, url: str) -> ProductView:
    name = type_name(record.product_type, lang)
    status, status_class = _status(record, lang)
    return ProductView(
        id=record.id,
        headline=_words(lang)["headline"].format(type=name, number=record.number,
                                                 year=record.year),
        type_name=name, number=record.number, year=record.year, title=record.title,
        date=_long_date(record.date, lang), subject=record.subject, status=status,
        status_class=status_class, revoked_by=record.revoked_by,
        archived_at=_long_date(record.archived_at, lang), final_sha256=record.final_sha256,
        stamped_sha256=record.stamped_sha256, stamped_name=record.stamped_name, url=url)


def _newest_first(records: Iterable[ProductRecord]) -> list[ProductRecord]:
    # Stable: records archived in the same instant keep the ledger's order.
    return sorted(records, key=lambda record: record.archived_at, reverse=True)


class Pages:
    """Renders every page in one language for one archive owner."""

    def __init__(self, lang: str, org_name: str, max_upload_mb: int = 0):
        if lang not in LANGUAGES:
            raise ValueError(f"language {lang!r} is not one of {', '.join(LANGUAGES)}")
        self.lang = lang
        self.words = _words(lang)
        self.org = org_name or self.words["default_org"]
        self.max_upload_mb = max_upload_mb

    def render(self, template: str, links: Links, **context: Any) -> str:
        return _environment().get_template(template).render(
            lang=self.lang, w=self.words, org=self.org, links=links,
            max_upload_mb=self.max_upload_mb, **context)

    def view(self, record: ProductRecord, links: Links) -> ProductView:
        return product_view(record, self.lang, links.product(record.id))

    def index(self, records: Iterable[ProductRecord], links: Links) -> str:
        views = [self.view(record, links) for record in _newest_first(records)]
        return self.render("index.html.j2", links, products=views)

    def product(self, record: ProductRecord, links: Links, qr: str) -> str:
        return self.render("product.html.j2", links, p=self.view(record, links), qr=qr,
                           download_url=None)

    def static_product(self, record: ProductRecord, links: Links, recorded_valid: bool,
                       download_url: str | None) -> str:
        # A signature that failed the key check must never be reported as a match.
        expected = record.signature if recorded_valid else ""
        return self.render("static_product.html.j2", links, p=self.view(record, links),
                           recorded_valid=recorded_valid, expected_signature=expected,
                           prefix=record.signature[:_PREFIX_CHARS], download_url=download_url)

    def check(self, links: Links, result: CheckResult | None = None,
              error: str | None = None) -> str:
        return self.render("check.html.j2", links, result=result, error=error)

    def check_result(self, sha256: str, found: tuple[ProductRecord, str] | None,
                     links: Links) -> CheckResult:
        if found is None:
            return CheckResult(sha256, None, self.words["check"]["no_match"])
        record, kind = found
        view = self.view(record, links)
        key = "match_stamped" if kind == "stamped" else "match_original"
        return CheckResult(sha256, view, self.words["check"][key].format(product=view.headline))

    def message(self, links: Links, heading: str, text: str, tone: str = "warn") -> str:
        return self.render("message.html.j2", links, heading=heading, text=text, tone=tone)


# --- checks ----------------------------------------------------------------------------------


def check_public_key(public_key_pem: bytes) -> None:
    """Refuse to start with a key that cannot verify: every genuine code would read as forged."""
    try:
        key = load_pem_public_key(public_key_pem)
    except ValueError as error:
        raise ValueError(f"the public key is not a PEM public key: {error}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("the public key is not an Ed25519 key")


def valid_id(product_id: str) -> bool:
    return bool(_ID_PATTERN.fullmatch(product_id))


def qr_state(public_key_pem: bytes, record: ProductRecord, signature: str | None) -> str:
    """"valid", "invalid" or "missing": what the ``s`` of a scanned code says about the product."""
    if not signature:
        return "missing"
    if not _SIGNATURE_PATTERN.fullmatch(signature):
        return "invalid"
    try:
        return "valid" if verify_signature(public_key_pem, record, signature) else "invalid"
    except Exception:  # a garbled code must read as "not valid", never as a server error
        log.warning("signature check failed for %s", record.id, exc_info=True)
        return "invalid"


def sha256_stream(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


# --- the server ------------------------------------------------------------------------------


class UploadRequest(Request):
    """Spools every uploaded file to an unnamed temporary file (in UPLOAD_DIR when set).

    The file has no name on POSIX systems and is gone when closed, right after hashing, so no
    upload outlives its request.
    """

    def _get_file_stream(self, total_content_length: int | None, content_type: str | None,
                         filename: str | None = None,
                         content_length: int | None = None) -> IO[bytes]:
        return tempfile.TemporaryFile("wb+", dir=current_app.config.get("UPLOAD_DIR"))


def _normalise_path(verify_path: str) -> str:
    return "/" + verify_path.strip("/") + "/" if verify_path.strip("/") else "/"


def _server_links() -> Links:
    return Links(home=url_for("index"), check=url_for("check"), key=url_for("public_key"),
                 product=lambda product_id: url_for("verify", product_id=product_id))


def create_app(ledger: Ledger, public_key_pem: bytes, verify_path: str, lang: str = "id",
               org_name: str = "", max_upload_mb: int = 25) -> Flask:
    """The verification site: product pages at ``verify_path``, ``/cek`` and an index at ``/``."""
    check_public_key(public_key_pem)
    pages = Pages(lang, org_name, max_upload_mb)
    verify_path = _normalise_path(verify_path)
    # No template or static folder: the pages render from webtemplates, not Flask's defaults.
    app = Flask(__name__, static_folder=None, template_folder=None)
    app.request_class = UploadRequest
    app.config.update(MAX_CONTENT_LENGTH=max_upload_mb * 1024 * 1024, UPLOAD_DIR=None)

    @app.get("/")
    def index() -> str:
        return pages.index(ledger.products(), _server_links())

    @app.get(verify_path + "<product_id>")
    def verify(product_id: str) -> tuple[str, int]:
        record = ledger.product(product_id) if valid_id(product_id) else None
        if record is None:
            return _not_registered(pages, product_id), 404
        state = qr_state(public_key_pem, record, request.args.get("s"))
        return pages.product(record, _server_links(), state), 200

    @app.route("/cek", methods=["GET", "POST"])
    def check() -> tuple[str, int]:
        links = _server_links()
        if request.method == "GET":
            return pages.check(links), 200
        upload = request.files.get(UPLOAD_FIELD)
        if upload is None or not upload.filename:
            return pages.check(links, error=pages.words["check"]["no_file"]), 400
        try:
            sha256 = sha256_stream(upload.stream)
        finally:
            upload.close()  # deletes the temporary file now, not at garbage collection
        result = pages.check_result(sha256, ledger.find_by_sha256(sha256), links)
        return pages.check(links, result=result), 200

    @app.get("/" + PUBLIC_KEY_NAME)
    def public_key() -> Response:
        # Plain text, so a phone shows it instead of downloading it.
        return Response(public_key_pem, mimetype="text/plain")

    _register_errors(app, pages, verify_path)

    @app.after_request
    def secure(response: Response) -> Response:
        for header, value in _SECURITY_HEADERS.items():
            response.headers.setdefault(header, value)
        return response

    return app


def _not_registered(pages: Pages, product_id: str) -> str:
    errors = pages.words["errors"]
    shown = product_id if len(product_id) <= 80 else product_id[:80] + "…"
    return pages.message(_server_links(), errors["not_registered"],
                         errors["not_registered_text"].format(id=shown), tone="bad")


def _register_errors(app: Flask, pages: Pages, verify_path: str) -> None:
    errors = pages.words["errors"]

    @app.errorhandler(404)
    def not_found(_: HTTPException) -> tuple[str, int]:
        # Under the verify path a missing page is an id the archive does not know.
        if request.path.startswith(verify_path) and verify_path != "/":
            return _not_registered(pages, request.path[len(verify_path):]), 404
        return pages.message(_server_links(), errors["not_found"], errors["not_found_text"]), 404

    @app.errorhandler(413)
    def too_large(_: HTTPException) -> tuple[str, int]:
        return pages.message(_server_links(), errors["too_large"],
                             errors["too_large_text"].format(mb=pages.max_upload_mb)), 413

    @app.errorhandler(HTTPException)
    def other_http(error: HTTPException) -> tuple[str, int]:
        code = error.code or 400
        return pages.message(_server_links(), errors["bad_request"],
                             errors["bad_request_text"].format(code=code)), code

    @app.errorhandler(Exception)
    def internal(_: Exception) -> tuple[str, int]:
        log.exception("verification page failed: %s %s", request.method, request.path)
        try:
            return pages.message(_server_links(), errors["internal"], errors["internal_text"],
                                 tone="bad"), 500
        except Exception:  # the error page itself failed: plain words are still better
            return f"{errors['internal']}. {errors['internal_text']}", 500


# --- the static site -------------------------------------------------------------------------


def _static_links(depth: int) -> Links:
    """Relative links, so the site works from any folder and from file:// alike."""
    up = "../" * depth
    return Links(home=f"{up}index.html", check=None, key=f"{up}{PUBLIC_KEY_NAME}",
                 product=lambda product_id: f"{up}{quote(product_id)}/index.html")


def _download_url(download_url_base: str | None, record: ProductRecord) -> str | None:
    return download_url_base + quote(record.stamped_name) if download_url_base else None


def jdih_record(record: ProductRecord, org_name: str, verify_url_base: str,
                download_url_base: str | None) -> dict[str, Any]:
    """The product's metadata as JDIH publishes it (always in Indonesian: it is the record)."""
    status, _ = _status(record, "id")
    return {
        "id": record.id,
        "judul": record.title,
        "jenis": type_name(record.product_type, "id"),
        "nomor": record.number,
        "tahun": record.year,
        "tanggal_penetapan": record.date,
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


def publish(ledger: Ledger, public_key_pem: bytes, out_dir: Path, verify_url_base: str,
            download_url_base: str | None, lang: str = "id", org_name: str = "") -> int:
    """Write the pages as a static site into ``out_dir``; returns how many products it wrote.

    ``out_dir/<id>/index.html`` and ``out_dir/<id>/jdih.json`` per product, ``index.html``,
    ``jdih.json`` (all records) and ``public_key.pem`` at the top. A download URL is
    ``download_url_base`` followed by the stamped file's (URL-quoted) name.
    """
    check_public_key(public_key_pem)
    pages = Pages(lang, org_name)
    records = _newest_first(ledger.products())
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
            log.warning("%s: the recorded signature does not verify with the public key",
                        record.id)
        html = pages.static_product(record, _static_links(1), recorded_valid,
                                    _download_url(download_url_base, record))
        (folder / "index.html").write_text(html, encoding="utf-8")
        entry = jdih_record(record, org_name, verify_url_base, download_url_base)
        _write_json(folder / JDIH_NAME, entry)
        catalogue.append(entry)
    (out_dir / "index.html").write_text(pages.index(records, _static_links(0)),
                                        encoding="utf-8")
    _write_json(out_dir / JDIH_NAME, catalogue)
    (out_dir / PUBLIC_KEY_NAME).write_bytes(public_key_pem)
    return len(records)
