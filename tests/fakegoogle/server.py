"""The local Google: a loopback HTTP server speaking the Drive v3 and Gmail v1 drivebot uses.

The real client library talks to it over HTTP (see `drivebot.google_api.build_services` with
`api_endpoint`). Every request is routed and checked with the discovery documents, counted per
method ("drive.changes.list"), and may be answered with an injected fault (429, 500, 503, a
dropped connection), at a seeded random rate or on a schedule.
"""

from __future__ import annotations

import base64
import email.policy
import json
import random
import socket
import threading
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from email.parser import BytesHeaderParser
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fakegoogle.discovery import ApiError, Discovery, Method, apply_selector, bad_request

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


class Fault(StrEnum):
    RATE_LIMIT = "429"
    SERVER_ERROR = "500"
    UNAVAILABLE = "503"
    DROP = "drop"  # the connection closes without an answer
    UNAUTHORIZED = "401"  # the login was revoked: not the request's fault
    FORBIDDEN = "403"  # the bot's access to a file or folder was taken away


_FAULT_ERRORS = {
    Fault.RATE_LIMIT: ApiError(429, "Rate Limit Exceeded", "rateLimitExceeded"),
    Fault.SERVER_ERROR: ApiError(500, "Internal Error", "backendError"),
    Fault.UNAVAILABLE: ApiError(503, "The service is currently unavailable.", "backendError"),
    Fault.UNAUTHORIZED: ApiError(401, "Invalid Credentials", "authError"),
    Fault.FORBIDDEN: ApiError(
        403,
        "The user does not have sufficient permissions for this file.",
        "insufficientFilePermissions",
    ),
}


class Faults:
    """Deterministic fault injection: a seeded rate, and per-method schedules that come first."""

    def __init__(self, seed: int = 0):
        self.random = random.Random(seed)
        self.rate = 0.0
        self.kinds: tuple[Fault, ...] = (Fault.UNAVAILABLE,)
        self.methods: set[str] | None = None
        self.scheduled: dict[str, deque[Fault | None]] = defaultdict(deque)
        self.injected: Counter[str] = Counter()

    def set_rate(
        self,
        rate: float,
        kinds: tuple[Fault, ...] = (Fault.UNAVAILABLE,),
        methods: set[str] | None = None,
    ) -> None:
        self.rate, self.kinds, self.methods = rate, kinds, methods

    def schedule(self, method_id: str, *faults: Fault | None) -> None:
        """The next calls of `method_id` get these faults in order (None lets one through)."""
        self.scheduled[method_id].extend(faults)

    def next(self, method_id: str) -> Fault | None:
        if self.scheduled[method_id]:
            fault = self.scheduled[method_id].popleft()
        elif (
            self.rate
            and (self.methods is None or method_id in self.methods)
            and self.random.random() < self.rate
        ):
            fault = self.random.choice(self.kinds)
        else:
            fault = None
        if fault:
            self.injected[f"{method_id} {fault}"] += 1
        return fault


@dataclass
class Request:
    method: Method
    params: dict[str, Any]
    body: Any = None  # the JSON body, or the metadata part of an upload
    media: bytes | None = None
    media_type: str | None = None


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

    def __init__(self, seed: int = 0, clock: Callable[[], float] = time.time):
        from fakegoogle.drive import FakeDrive
        from fakegoogle.gmail import FakeGmail
        from fakegoogle.users import Users

        self.clock = clock
        self.discovery = Discovery()
        self.lock = threading.RLock()
        self.counts: Counter[str] = Counter()
        self.faults = Faults(seed)
        self.drive = FakeDrive(self)
        self.gmail = FakeGmail(self)
        self.users = Users(self)
        self.handlers: dict[str, Handler] = {**self.drive.handlers(), **self.gmail.handlers()}
        self._uploads: dict[str, _Upload] = {}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _HttpHandler)
        self._server.daemon_threads = True
        self._server.google = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

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
            if "upload_id" in query:
                return self._continue_upload(query["upload_id"][0], headers, data)
            method, path_params = self.discovery.route(http_method, url.path)
            faulted = self._arrive(method.id)
            if faulted is not None:
                return faulted
            params = self.discovery.parameters(method, path_params, query)
            selector = self._selector(method, params)
            request = Request(method, params)
            if method.upload:
                return self._upload(request, headers, data, selector)
            if data:
                if len(data) > JSON_BODY_LIMIT:
                    raise ApiError(
                        413,
                        f"Request payload size exceeds the limit: {JSON_BODY_LIMIT} bytes.",
                        "uploadTooLarge",
                    )
                request.body = _json(data)
            return self._dispatch(request, selector)

    def _arrive(self, method_id: str) -> Reply | None:
        """Count a request to the method; an injected fault, if any, is the answer."""
        self.counts[method_id] += 1
        fault = self.faults.next(method_id)
        if fault is None:
            return None
        return DROP if fault is Fault.DROP else _error(_FAULT_ERRORS[fault])

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
        self, request: Request, headers: Message, data: bytes, selector: dict[str, Any] | None
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
            total = headers.get("X-Upload-Content-Length")
            upload_id = f"up{len(self._uploads) + 1}"
            self._uploads[upload_id] = _Upload(request, int(total) if total else None, selector)
            location = f"{self.url}upload/{request.method.api}?upload_id={upload_id}"
            return Reply(200, headers={"Location": location})
        else:
            raise bad_request(f"Invalid uploadType: {kind}", "uploadType")
        return self._dispatch(request, selector)

    def _continue_upload(self, upload_id: str, headers: Message, data: bytes) -> Reply:
        upload = self._uploads.get(upload_id)
        if upload is None:
            raise ApiError(404, "No upload session with this id", "notFound")
        faulted = self._arrive(upload.request.method.id)
        if faulted is not None:
            return faulted
        span, _, total = headers.get("Content-Range", "bytes */*")[6:].partition("/")
        if total != "*":
            upload.total = int(total)
        if span != "*":
            start = int(span.split("-")[0])
            if start == len(upload.received):  # a repeated chunk is ignored, as Google does
                upload.received += data
        if upload.total is None or len(upload.received) < upload.total:
            extra = {"Range": f"bytes=0-{len(upload.received) - 1}"} if upload.received else {}
            return Reply(308, headers=extra)
        del self._uploads[upload_id]
        upload.request.media = bytes(upload.received)
        return self._dispatch(upload.request, upload.selector)


def _json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        raise bad_request("Invalid JSON payload received.") from None


def _error(error: ApiError) -> Reply:
    return Reply(error.code, json=error.body())


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
