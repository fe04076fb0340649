"""The local Google: a loopback HTTP server speaking the Drive v3 and Gmail v1 drivebot uses.

The real client library talks to it over HTTP (see `drivebot.google_api.build_services` with
`api_endpoint`). Every request is routed and checked with the discovery documents, counted per
method ("drive.changes.list"), and may be answered with an injected fault (429, 500, 503, a
dropped connection, a connection dropped after the work was done, an upload session that never
opened), at a seeded random rate or on a schedule.

Opt-in, all off by default (so the suite's plain `FakeGoogle()` behaves as it always did):
- `require_auth=True`: every API request needs a bearer token of an account (auth.py); the token
  endpoint `<url>token` issues them; Gmail's "me" is the token's user, with a mailbox each.
- `ownership=True` (implies require_auth): owners, roles and capabilities on Drive (drive.py,
  permissions.py, rules.py).
- `quotas=True`: Gmail's and Drive's per-user limits and Gmail's daily sending limit (quotas.py);
  usage is recorded either way, see `quota_report()`.
- `name_equality_ignores_case=True`: Drive's `name = '...'` matches regardless of case (query.py).
"""

from __future__ import annotations

import base64
import email.policy
import itertools
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from email.parser import BytesHeaderParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fakegoogle.discovery import ApiError, Discovery, Method, apply_selector, bad_request
from fakegoogle.faults import _FAULT_ERRORS, Fault, Faults
from fakegoogle.openid import OpenId

__all__ = ["FakeGoogle", "Fault", "Faults", "Reply", "Request", "parse_multipart"]

# Drive answers with these fields when a request names none (Gmail always answers in full).
DRIVE_DEFAULT_FIELDS = {
    "File": "kind,id,name,mimeType",
    "FileList": "kind,nextPageToken,incompleteSearch,files(kind,id,name,mimeType)",
    "ChangeList": "kind,nextPageToken,newStartPageToken,"
    "changes(kind,changeType,time,removed,fileId,driveId,file(kind,id,name,mimeType))",
    "Permission": "kind,id,type,role",
    "PermissionList": "kind,nextPageToken,permissions(kind,id,type,role)",
}
JSON_BODY_LIMIT = 5 * 1024 * 1024  # Google refuses larger JSON bodies with 413 (media: /upload)


@dataclass
class Request:
    method: Method
    params: dict[str, Any]
    body: Any = None  # the JSON body, or the metadata part of an upload
    media: bytes | None = None
    media_type: str | None = None
    actor: str | None = None  # the token's user (None when auth is not required: the bot)


@dataclass
class Reply:
    status: int = 200
    json: Any = None
    content: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    ranged: bool = False  # honour a Range header (media downloads)


Handler = Callable[[Request], Reply]
DROP = Reply(status=0)


@dataclass
class _Upload:
    request: Request
    total: int | None
    selector: dict[str, Any] | None
    received: bytearray = field(default_factory=bytearray)
    drop_after: bool = False  # Fault.DROP_AFTER on the first request: drop the last answer


def parse_multipart(content_type: str, data: bytes) -> tuple[dict[str, Any], bytes, str]:
    """The metadata and media of a multipart/related upload, byte for byte.

    The client folds long Content-Type headers and ends lines with a bare LF; the email package
    (HTTP policy) reads the headers, but the parts are cut at the boundary here, because the
    email parser turns a message/rfc822 part (Gmail's media) into a message, not its bytes.
    """
    boundary = message_from_bytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n", policy=email.policy.HTTP
    ).get_boundary()
    if not boundary:
        raise bad_request("multipart upload without a boundary")
    eol = b"\r\n" if data.split(b"\n", 1)[0].endswith(b"\r") else b"\n"
    parts = []
    for chunk in (eol + data).split(eol + b"--" + boundary.encode())[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, content = chunk[len(eol) :].partition(eol + eol)
        headers = BytesHeaderParser(policy=email.policy.HTTP).parsebytes(head + eol + eol)
        if headers.get("Content-Transfer-Encoding", "").lower() == "base64":
            content = base64.b64decode(content)
        parts.append((headers.get_content_type(), content))
    if len(parts) != 2:
        raise bad_request("multipart upload needs exactly a metadata and a media part")
    return json.loads(parts[0][1] or b"{}"), parts[1][1], parts[1][0]


class FakeGoogle:
    """Start with `with FakeGoogle() as google:` or `start()`/`stop()`; `google.url` is the
    api_endpoint to configure."""

    def __init__(
        self,
        seed: int = 0,
        clock: Callable[[], float] = time.time,
        *,
        require_auth: bool = False,
        ownership: bool = False,
        quotas: bool = False,
        gmail_daily_send_limit: int = 2000,
        gmail_per_second_limit: int = 250,
        gmail_per_minute_limit: int = 15_000,
        drive_per_minute_limit: int = 12_000,
        default_user: str = "staf@dinkes.example.go.id",
        name_equality_ignores_case: bool = False,
    ):
        from fakegoogle.auth import Auth
        from fakegoogle.drive import FakeDrive
        from fakegoogle.gmail import FakeGmail
        from fakegoogle.quotas import Quotas
        from fakegoogle.users import Users

        self.clock = clock
        self.ownership = ownership
        self.require_auth = require_auth or ownership
        self.default_user = default_user  # who drops files when a test names nobody
        self.name_equality_ignores_case = name_equality_ignores_case
        self.discovery = Discovery()
        self.lock = threading.RLock()
        self.counts: Counter[str] = Counter()
        self.faults = Faults(seed)
        self.auth = Auth(self)
        self.openid = OpenId(self)
        self.quotas = Quotas(
            self,
            quotas,
            gmail_daily_send_limit=gmail_daily_send_limit,
            gmail_per_second_limit=gmail_per_second_limit,
            gmail_per_minute_limit=gmail_per_minute_limit,
            drive_per_minute_limit=drive_per_minute_limit,
        )
        self.drive = FakeDrive(self)
        self.gmail = FakeGmail(self)
        self.users = Users(self)
        self.handlers: dict[str, Handler] = {**self.drive.handlers(), **self.gmail.handlers()}
        self._uploads: dict[str, _Upload] = {}
        self._upload_ids = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _HttpHandler)
        self._server.daemon_threads = True
        self._server.google = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    # --- accounts and quotas, for tests --------------------------------------------------------

    def authorized_user_info(self, email: str, scopes: Iterable[str] = ()) -> dict[str, Any]:
        """A saved login of `email` (Credentials.from_authorized_user_info takes it); `scopes`
        default to drivebot's (Drive and gmail.modify)."""
        from fakegoogle.auth import DEFAULT_SCOPES

        with self.lock:
            return self.auth.authorized_user_info(email, tuple(scopes) or DEFAULT_SCOPES)

    def service_account_info(
        self, client_email: str, delegate_to: str | Iterable[str] = (), scopes: Iterable[str] = ()
    ) -> dict[str, Any]:
        """A service-account key (Credentials.from_service_account_info takes it); it may act as
        users of the domains or addresses in `delegate_to`, for `scopes` (domain-wide
        delegation)."""
        from fakegoogle.auth import DEFAULT_SCOPES

        with self.lock:
            return self.auth.service_account_info(
                client_email, delegate_to, tuple(scopes) or DEFAULT_SCOPES
            )

    def access_token(self, email: str, scopes: Iterable[str] = ()) -> str:
        """A valid access token for `email`, for raw HTTP requests."""
        from fakegoogle.auth import DEFAULT_SCOPES

        with self.lock:
            return self.auth.issue(email, tuple(scopes) or DEFAULT_SCOPES)

    def revoke_refresh_token(self, token: str) -> None:
        with self.lock:
            self.auth.revoke_refresh_token(token)

    def expire_access_tokens(self) -> None:
        """Every access token issued so far is expired (the next request is answered 401)."""
        with self.lock:
            self.auth.expire_access_tokens()

    def quota_report(self) -> dict[str, Any]:
        """Per user and API: requests, units, the most units in any one second and any one
        minute, refusals by reason, messages sent (see quotas.py)."""
        with self.lock:
            return self.quotas.report()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    @property
    def token_uri(self) -> str:
        """The token endpoint. google-auth (2.63) ignores an authorized-user file's token_uri
        ("always overrides" it with Google's): call `creds.with_token_uri(google.token_uri)`."""
        return self.url + "token"

    def start(self) -> FakeGoogle:
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeGoogle:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def requests(self, prefix: str = "") -> int:
        """How many requests reached methods whose id starts with `prefix`."""
        return sum(n for method, n in self.counts.items() if method.startswith(prefix))

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    def now_rfc3339(self) -> str:
        now = self.clock()
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"

    # --- one request ------------------------------------------------------------------------

    def handle(self, http_method: str, target: str, headers: Message, data: bytes) -> Reply:
        url = urlsplit(target)
        query = parse_qs(url.query, keep_blank_values=True)
        with self.lock:
            if url.path == "/token":
                return self._token(http_method, headers, data)
            if url.path == "/o/oauth2/v2/auth":
                return self.openid.authorize({k: v[0] for k, v in query.items()})
            if url.path == "/oauth2/v1/certs":
                return self.openid.certs()
            if "upload_id" in query:
                return self._continue_upload(query["upload_id"][0], headers, data)
            method, path_params = self.discovery.route(http_method, url.path)
            fault = self._arrive(method.id)
            if fault is not None and fault not in (Fault.DROP_AFTER, Fault.NO_SESSION):
                return _fault_reply(fault)
            resumable = method.upload and query.get("uploadType") == ["resumable"]
            drop_after = fault is Fault.DROP_AFTER and not resumable
            try:
                reply = self._serve(method, path_params, query, headers, data, fault)
            except ApiError:
                if drop_after:
                    return DROP
                raise
            return DROP if drop_after else reply

    def _serve(
        self,
        method: Method,
        path_params: dict[str, str],
        query: dict[str, list[str]],
        headers: Message,
        data: bytes,
        fault: Fault | None,
    ) -> Reply:
        actor = self.auth.authenticate(method, headers) if self.require_auth else None
        self.quotas.charge(actor or self.gmail.address, method.id)
        params = self.discovery.parameters(method, path_params, query)
        selector = self._selector(method, params)
        request = Request(method, params, actor=actor)
        if method.upload:
            return self._upload(request, headers, data, selector, fault)
        if data:
            if len(data) > JSON_BODY_LIMIT:
                raise ApiError(
                    413,
                    f"Request payload size exceeds the limit: {JSON_BODY_LIMIT} bytes.",
                    "uploadTooLarge",
                )
            request.body = _json(data)
        return self._dispatch(request, selector)

    def _token(self, http_method: str, headers: Message, data: bytes) -> Reply:
        fault = self._arrive("oauth2.token")
        if fault in (Fault.DROP, Fault.DROP_AFTER):
            return DROP
        if fault in _FAULT_ERRORS:
            code = _FAULT_ERRORS[fault].code
            error = "internal_failure" if code >= 500 else "invalid_request"
            return Reply(code, json={"error": error, "error_description": str(fault)})
        return self.auth.token_endpoint(http_method, headers, data)

    def _arrive(self, method_id: str) -> Fault | None:
        """Count a request to the method; the fault injected into it, if any."""
        self.counts[method_id] += 1
        return self.faults.next(method_id)

    def _selector(self, method: Method, params: dict[str, Any]) -> dict[str, Any] | None:
        fields = params.get("fields")
        if (
            fields is None
            and method.id.startswith(("drive.comments.", "drive.replies."))
            and not method.id.endswith(".delete")
        ):
            raise bad_request(
                "The 'fields' parameter is required for this method.", "fields", "required"
            )
        if fields is None and method.api == "drive" and method.response in DRIVE_DEFAULT_FIELDS:
            fields = DRIVE_DEFAULT_FIELDS[method.response]
        return self.discovery.selector(method, fields) if fields else None

    def _dispatch(self, request: Request, selector: dict[str, Any] | None) -> Reply:
        self.discovery.check_body(request.method, request.body)
        handler = self.handlers.get(request.method.id)
        if handler is None:
            raise ApiError(
                501, f"{request.method.id} is not modelled by the local Google", "notImplemented"
            )
        reply = handler(request)
        if reply.json is not None and selector is not None:
            reply.json = apply_selector(reply.json, selector)
        return reply

    def _upload(
        self,
        request: Request,
        headers: Message,
        data: bytes,
        selector: dict[str, Any] | None,
        fault: Fault | None = None,
    ) -> Reply:
        kind = request.params.get("uploadType")
        content_type = headers.get("Content-Type", "")
        if kind == "media":
            request.media, request.media_type = data, content_type.split(";")[0].strip()
        elif kind == "multipart":
            request.body, request.media, request.media_type = parse_multipart(content_type, data)
        elif kind == "resumable":
            request.body = _json(data) if data else None
            self.discovery.check_body(request.method, request.body)
            request.media_type = headers.get("X-Upload-Content-Type")
            if fault is Fault.NO_SESSION:
                return Reply(200)  # no Location: no session
            total = headers.get("X-Upload-Content-Length")
            upload_id = f"up{next(self._upload_ids)}"
            self._uploads[upload_id] = _Upload(
                request,
                int(total) if total else None,
                selector,
                drop_after=fault is Fault.DROP_AFTER,
            )
            location = f"{self.url}upload/{request.method.api}?upload_id={upload_id}"
            return Reply(200, headers={"Location": location})
        else:
            raise bad_request(f"Invalid uploadType: {kind}", "uploadType")
        return self._dispatch(request, selector)

    def _continue_upload(self, upload_id: str, headers: Message, data: bytes) -> Reply:
        upload = self._uploads.get(upload_id)
        if upload is None:
            raise ApiError(404, "No upload session with this id", "notFound")
        fault = self._arrive(upload.request.method.id)
        if fault is not None and fault not in (Fault.DROP_AFTER, Fault.NO_SESSION):
            return _fault_reply(fault)
        drop = fault is Fault.DROP_AFTER
        span, _, total = headers.get("Content-Range", "bytes */*")[6:].partition("/")
        if total != "*":
            upload.total = int(total)
        if span != "*":
            start = int(span.split("-")[0])
            if start == len(upload.received):  # a repeated chunk is ignored, as Google does
                upload.received += data
        if upload.total is None or len(upload.received) < upload.total:
            extra = {"Range": f"bytes=0-{len(upload.received) - 1}"} if upload.received else {}
            return DROP if drop else Reply(308, headers=extra)
        del self._uploads[upload_id]
        upload.request.media = bytes(upload.received)
        drop = drop or upload.drop_after
        try:
            reply = self._dispatch(upload.request, upload.selector)
        except ApiError:
            if drop:
                return DROP
            raise
        return DROP if drop else reply


def _json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        raise bad_request("Invalid JSON payload received.") from None


def _error(error: ApiError) -> Reply:
    return Reply(error.code, json=error.body(), headers=dict(error.headers))


def _fault_reply(fault: Fault) -> Reply:
    return DROP if fault is Fault.DROP else _error(_FAULT_ERRORS[fault])


def _ranged(reply: Reply, range_header: str | None) -> Reply:
    total = len(reply.content)
    if not range_header or not range_header.startswith("bytes="):
        return reply
    first, _, last = range_header[6:].partition("-")
    start = int(first)
    end = min(int(last) if last else total - 1, total - 1)
    if start >= total:
        return Reply(416, headers={"Content-Range": f"bytes */{total}"})
    return Reply(
        206,
        content=reply.content[start : end + 1],
        headers={**reply.headers, "Content-Range": f"bytes {start}-{end}/{total}"},
    )


class _HttpHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as httplib2 expects
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms ACK wait

    def _handle(self) -> None:
        data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        google: FakeGoogle = self.server.google  # type: ignore[attr-defined]
        try:
            reply = google.handle(self.command, self.path, self.headers, data)
        except ApiError as error:
            reply = _error(error)
        if reply is DROP:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if reply.ranged:
            reply = _ranged(reply, self.headers.get("Range"))
        body = reply.content
        headers = dict(reply.headers)
        if reply.json is not None:
            body = json.dumps(reply.json).encode()
            headers["Content-Type"] = "application/json; charset=UTF-8"
        self.send_response(reply.status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    def log_message(self, format: str, *args: Any) -> None:
        pass  # tests read the counters, not a log
