"""The verification pages a QR code leads to: a small Flask app, or the same pages as a static site.

Every stamped page carries a QR code with ``<verify_url_base><product id>?s=<signature>``; the
signature is Ed25519 over the product's identity (drivebot.archive.signing). Whoever scans it
lands on ``create_app``'s product page, which shows the product's facts from the ledger (type,
number, year, title, date, status, the SHA-256 of the signed final and of the stamped copy) and says
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

Pages are jinja2 templates in ``drivebot/web/templates`` (autoescaped); every word a person reads
is in the message catalogue's ``[web]`` table (drivebot/i18n), Indonesian by default, English
available. ``pages`` renders them, ``app`` serves them, ``publish`` writes the static site.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from typing import IO

from flask import Flask, Request, Response, current_app, request, url_for
from werkzeug.exceptions import HTTPException

from drivebot.archive.ledger import Ledger
from drivebot.web import tracking_page
from drivebot.web.dashboard import DashboardSetup
from drivebot.web.dashboard import register as register_dashboard
from drivebot.web.pages import (
    PUBLIC_KEY_NAME,
    Links,
    Pages,
    check_public_key,
    qr_state,
    sha256_stream,
    valid_id,
)
from drivebot.web.threads import per_thread

UPLOAD_FIELD = "berkas"
INDEX_SHOWN = 100  # products listed on the index page (the rest: by QR code or /cek)

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


# --- the server ------------------------------------------------------------------------------


class UploadRequest(Request):
    """Spools every uploaded file to an unnamed temporary file (in UPLOAD_DIR when set).

    The file has no name on POSIX systems and is gone when closed, right after hashing, so no
    upload outlives its request.
    """

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        return tempfile.TemporaryFile("wb+", dir=current_app.config.get("UPLOAD_DIR"))


def _normalise_path(verify_path: str) -> str:
    return "/" + verify_path.strip("/") + "/" if verify_path.strip("/") else "/"


def _server_links() -> Links:
    return Links(
        home=url_for("index"),
        check=url_for("check"),
        key=url_for("public_key"),
        product=lambda product_id: url_for("verify", product_id=product_id),
    )


def create_app(
    open_ledger: Callable[[], Ledger],
    public_key_pem: bytes,
    verify_path: str,
    lang: str = "id",
    org_name: str = "",
    max_upload_mb: int = 25,
    health: Callable[[], list[str]] | None = None,
    dashboard: DashboardSetup | None = None,
) -> Flask:
    """The verification site: product pages at ``verify_path``, ``/cek``, an index at ``/`` and
    ``/healthz``. `open_ledger` gives each serving thread its own ledger (SQLite connections
    belong to the thread that opened them); `health` lists what is wrong (drivebot.app.health),
    nothing when drivebot is well. With `dashboard`, the signed-in dashboard is served under
    /dasbor/ (drivebot.web.dashboard), and the OPDs' tracking pages under /lacak/."""
    check_public_key(public_key_pem)
    ledger = per_thread(open_ledger)
    pages = Pages(lang, org_name, max_upload_mb)
    verify_path = _normalise_path(verify_path)
    # No template or static folder: pages render from drivebot/web/templates, not Flask's.
    app = Flask(__name__, static_folder=None, template_folder=None)
    app.request_class = UploadRequest
    app.config.update(MAX_CONTENT_LENGTH=max_upload_mb * 1024 * 1024, UPLOAD_DIR=None)

    @app.get("/")
    def index() -> str:
        # The latest only: the page costs the same at any size of the archive.
        return pages.index(ledger().products(INDEX_SHOWN), _server_links(), ledger().count())

    @app.get(verify_path + "<product_id>")
    def verify(product_id: str) -> tuple[str, int]:
        record = ledger().product(product_id) if valid_id(product_id) else None
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
        result = pages.check_result(sha256, ledger().find_by_sha256(sha256), links)
        return pages.check(links, result=result), 200

    @app.get("/healthz")
    def healthz() -> tuple[dict[str, object], int]:
        """For a monitor: 200 when drivebot is well, 503 with the problems' keys when not."""
        problems = health() if health is not None else []
        return {
            "status": "unhealthy" if problems else "ok",
            "problems": problems,
        }, 503 if problems else 200

    @app.get("/" + PUBLIC_KEY_NAME)
    def public_key() -> Response:
        # Plain text, so a phone shows it instead of downloading it.
        return Response(public_key_pem, mimetype="text/plain")

    if dashboard is not None:
        register_dashboard(app, dashboard, lang)
        tracking_page.register(app, dashboard.config, dashboard.open_store, dashboard.clock, lang)
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
    return pages.message(
        _server_links(),
        errors["not_registered"],
        errors["not_registered_text"].format(id=shown),
        tone="bad",
    )


def _register_errors(app: Flask, pages: Pages, verify_path: str) -> None:
    errors = pages.words["errors"]

    @app.errorhandler(404)
    def not_found(_: HTTPException) -> tuple[str, int]:
        # Under the verify path a missing page is an id the archive does not know.
        if request.path.startswith(verify_path) and verify_path != "/":
            return _not_registered(pages, request.path[len(verify_path) :]), 404
        return pages.message(_server_links(), errors["not_found"], errors["not_found_text"]), 404

    @app.errorhandler(413)
    def too_large(_: HTTPException) -> tuple[str, int]:
        return pages.message(
            _server_links(),
            errors["too_large"],
            errors["too_large_text"].format(mb=pages.max_upload_mb),
        ), 413

    @app.errorhandler(HTTPException)
    def other_http(error: HTTPException) -> tuple[str, int]:
        code = error.code or 400
        return pages.message(
            _server_links(), errors["bad_request"], errors["bad_request_text"].format(code=code)
        ), code

    @app.errorhandler(Exception)
    def internal(_: Exception) -> tuple[str, int]:
        log.exception("verification page failed: %s %s", request.method, request.path)
        try:
            return pages.message(
                _server_links(), errors["internal"], errors["internal_text"], tone="bad"
            ), 500
        except Exception:  # the error page itself failed: plain words are still better
            return f"{errors['internal']}. {errors['internal_text']}", 500
