"""What the verification pages show, rendered in one language (drivebot.web.app serves them,
drivebot.web.publish writes them as files)."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import IO, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from jinja2 import Environment, FunctionLoader, StrictUndefined

from drivebot import i18n
from drivebot.archive.ledger import ProductRecord, ProductStatus
from drivebot.archive.signing import verify_signature
from drivebot.naming import shown_value

LANGUAGES = i18n.LANGUAGES
PUBLIC_KEY_NAME = "public_key.pem"  # where the archive's public key is served or published

# Ids become URL segments and, when publishing, directory names: letters, digits and "._-" only,
# never starting with a dot, so no id can climb out of its folder or hide a path.
_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
# A base64url Ed25519 signature is 86 characters; anything longer is not worth decoding.
_SIGNATURE_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,128}")
_PREFIX_CHARS = 12  # of the expected signature, shown on static pages for comparing by eye
_CHUNK = 1 << 20

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


def _words(lang: str) -> dict[str, Any]:
    return i18n.section(lang, "web")


def _load(name: str) -> str | None:
    entry = resources.files(__package__ or "drivebot.web").joinpath("templates", *name.split("/"))
    return entry.read_text(encoding="utf-8") if entry.is_file() else None


@cache
def _environment() -> Environment:
    # StrictUndefined: a missing value is a bug for the tests to catch, not a blank on a page.
    return Environment(
        loader=FunctionLoader(_load),
        autoescape=True,
        finalize=shown_value,  # titles, names and notes come from files and e-mails
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_page(template: str, **context: Any) -> str:
    """One of drivebot/web/templates (the dashboard's pages use it; Pages renders its own)."""
    return _environment().get_template(template).render(**context)


def type_name(product_type: str, lang: str) -> str:
    """ "Peraturan Bupati" for "perbup"; an unknown type is shown as it was recorded."""
    return i18n.product_name(lang, product_type)


def _long_date(value: str, lang: str) -> str:
    return i18n.long_date(lang, value)


def status_of(record: ProductRecord, lang: str) -> tuple[str, str]:
    labels = _words(lang)["status"]
    if record.status == ProductStatus.IN_FORCE:
        return labels["berlaku"], "ok"
    if record.status == ProductStatus.REVOKED:
        return labels["dicabut"], "bad"
    return record.status, "warn"


def product_view(record: ProductRecord, lang: str, url: str) -> ProductView:
    name = type_name(record.product_type, lang)
    status, status_class = status_of(record, lang)
    return ProductView(
        id=record.id,
        headline=_words(lang)["headline"].format(type=name, number=record.number, year=record.year),
        type_name=name,
        number=record.number,
        year=record.year,
        title=record.title,
        date=_long_date(record.date, lang),
        subject=record.subject,
        status=status,
        status_class=status_class,
        revoked_by=record.revoked_by,
        archived_at=_long_date(record.archived_at, lang),
        final_sha256=record.final_sha256,
        stamped_sha256=record.stamped_sha256,
        stamped_name=record.stamped_name,
        url=url,
    )


def newest_first(records: Iterable[ProductRecord]) -> list[ProductRecord]:
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
        return render_page(
            template,
            lang=self.lang,
            w=self.words,
            org=self.org,
            links=links,
            max_upload_mb=self.max_upload_mb,
            **context,
        )

    def view(self, record: ProductRecord, links: Links) -> ProductView:
        return product_view(record, self.lang, links.product(record.id))

    def index(
        self, records: Iterable[ProductRecord], links: Links, total: int | None = None
    ) -> str:
        """The products given, newest first; `total`: how many the archive holds, when the
        page shows only the latest of them."""
        views = [self.view(record, links) for record in newest_first(records)]
        total = len(views) if total is None else total
        more = self.words["index"]["more"].format(shown=len(views), total=total)
        return self.render(
            "index.html.j2", links, products=views, more=more if total > len(views) else ""
        )

    def product(self, record: ProductRecord, links: Links, qr: str) -> str:
        return self.render(
            "product.html.j2", links, p=self.view(record, links), qr=qr, download_url=None
        )

    def static_product(
        self, record: ProductRecord, links: Links, recorded_valid: bool, download_url: str | None
    ) -> str:
        # A signature that failed the key check must never be reported as a match.
        expected = record.signature if recorded_valid else ""
        return self.render(
            "static_product.html.j2",
            links,
            p=self.view(record, links),
            recorded_valid=recorded_valid,
            expected_signature=expected,
            prefix=record.signature[:_PREFIX_CHARS],
            download_url=download_url,
        )

    def check(
        self, links: Links, result: CheckResult | None = None, error: str | None = None
    ) -> str:
        return self.render("check.html.j2", links, result=result, error=error)

    def check_result(
        self, sha256: str, found: tuple[ProductRecord, str] | None, links: Links
    ) -> CheckResult:
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
    """ "valid", "invalid" or "missing": what the ``s`` of a scanned code says about the product."""
    if not signature:
        return "missing"
    if not _SIGNATURE_PATTERN.fullmatch(signature):
        return "invalid"
    try:
        valid = verify_signature(public_key_pem, record.qr_identity(), signature)
        return "valid" if valid else "invalid"
    except Exception:  # a garbled code must read as "not valid", never as a server error
        log.warning("signature check failed for %s", record.id, exc_info=True)
        return "invalid"


def sha256_stream(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
    return digest.hexdigest()
