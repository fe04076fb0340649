"""The Google client as drivebot calls it: services, retries, quotas, and what errors mean.

Both services are built from the discovery documents bundled with google-api-python-client, so
building makes no network request, and over `OnceHttp` (drivebot.google.transport), which never
sends a request twice on its own. With `api_endpoint` set (tests, benchmarks) the document's
rootUrl is rewritten to the local server, which sends uploads and batch requests there too
(`client_options` would only swap the host of upload URLs and keep https).

Every request is a `_GuardedRequest`: it waits for the API's quota windows before going out
(drivebot.google.quota), so a backlog never storms Google with 429s, and it uses the client's
own retry loop with its random exponential backoff capped (the client sleeps `random() * 2**n`
seconds, unbounded). Calls that create or send are never retried by the client: see
NOT_RETRIED.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Container
from pathlib import Path
from typing import Any

import httplib2
from google.auth.exceptions import RefreshError, TransportError
from googleapiclient.discovery import Resource, build_from_document
from googleapiclient.discovery_cache import get_static_doc
from googleapiclient.errors import HttpError, ResumableUploadError
from googleapiclient.http import HttpRequest, MediaIoBaseDownload, MediaIoBaseUpload

from drivebot.config import GoogleSettings
from drivebot.errors import (
    BadDocument,
    BadRequest,
    ConfigError,
    DailyLimit,
    DrivebotError,
    NotFound,
    TransientError,
)
from drivebot.google import retry
from drivebot.google.auth import load_credentials
from drivebot.google.quota import Guard, drive_guard, gmail_guard
from drivebot.google.transport import OnceHttp

DEFAULT_RETRIES = 5
# 403s that are about quota, not permission: the work waits for the next cycle.
TRANSIENT_REASONS = frozenset(
    {
        "rateLimitExceeded",
        "userRateLimitExceeded",
        "dailyLimitExceeded",
        "quotaExceeded",
        "backendError",
    }
)
# Refusals that concern one file, not the setup: that file is quarantined, the cycle goes on.
DOCUMENT_REASONS = {
    "exportSizeLimitExceeded": "too_large",  # Docs exports at most 10 MB (a PDF of a Google Doc)
    "fileNotDownloadable": "unsupported_type",
    "fileNotExportable": "unsupported_type",
    "cannotDownloadAbusiveFile": "unsupported_type",
}


class _GuardedRequest(HttpRequest):
    """An HttpRequest that takes its quota units first and retries with a capped backoff."""

    def __init__(self, *args: Any, guard: Guard, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.guard = guard
        # The client's "stub for testing" is the one seam for its backoff; resumable upload
        # chunks (next_chunk) sleep through it as well.
        self._sleep = guard.sleep

    def execute(self, http: Any = None, num_retries: int = 0) -> Any:
        self.guard.limiter.take(self.guard.cost(self.methodId))
        return super().execute(http=http, num_retries=num_retries)


def _guard_of(request: HttpRequest) -> Guard | None:
    return getattr(request, "guard", None)


def _retries(request: HttpRequest) -> int:
    guard = _guard_of(request)
    return guard.num_retries if guard else DEFAULT_RETRIES


def translate(error: Exception) -> DrivebotError:
    """The drivebot error for a failed Google call (after the client's own retries)."""
    if isinstance(error, RefreshError):
        return ConfigError("login_refused", detail=error)
    if isinstance(error, ResumableUploadError):
        # Drive opened no upload session (a proxy in the way?): asking the same way again
        # will not open one either.
        return DrivebotError(f"Drive did not start the upload (no session): {error}")
    if not isinstance(error, HttpError):
        return TransientError(f"Google could not be reached: {error!r}")
    status, reason = error.status_code, retry.reason(error)
    if retry.is_daily_sending_limit(error):
        return DailyLimit(
            f"Google answered {status} {reason}: {error.reason}", retry.retry_at(error)
        )
    text = f"Google answered {status}{f' {reason}' if reason else ''}: {error.reason}"
    if status == 404:
        return NotFound("google_not_found", detail=text)
    if reason in DOCUMENT_REASONS:
        return BadDocument(DOCUMENT_REASONS[reason], text)
    if status == 401:
        return ConfigError("login_refused", detail=text)
    if status == 403 and reason not in TRANSIENT_REASONS:
        key = "no_own_storage" if reason == "storageQuotaExceeded" else "access_refused"
        return ConfigError(key, detail=text)
    if status == 400:
        return BadRequest(text)
    if 400 <= status < 500 and status not in (408, 429) and reason not in TRANSIENT_REASONS:
        # Asking again will get the same answer: let the caller give up and tell an admin.
        return DrivebotError(text)
    # 408, 429, 5xx and rate-limit 403s: leave the work for the next cycle.
    return TransientError(text)


_NETWORK_ERRORS = (OSError, httplib2.HttpLib2Error, TransportError)  # requests' are OSErrors


def _mapped(action: Callable[[], Any], allow: Container[int] = ()) -> Any:
    try:
        return action()
    except HttpError as error:
        if error.status_code in allow:
            return None
        raise translate(error) from error
    except (RefreshError, *_NETWORK_ERRORS) as error:
        raise translate(error) from error


# Calls that create something: a retry after an answer was lost on the way back would create it
# twice. They are tried once; the caller's own retry looks first (find by name, was_sent).
NOT_RETRIED = frozenset({"drive.files.create", "drive.files.copy", "gmail.users.messages.send"})


def call(request: HttpRequest, allow: Container[int] = ()) -> Any:
    """Execute `request` with retries; None for an HTTP status in `allow`, else mapped errors.
    A call that creates or sends goes again only after a refusal (drivebot.google.retry)."""
    if request.methodId not in NOT_RETRIED:
        return _mapped(lambda: request.execute(num_retries=_retries(request)), allow)
    once = functools.partial(request.execute, num_retries=0)
    guard = _guard_of(request)
    backoff = guard.sleep if guard else time.sleep
    return _mapped(lambda: retry.once_unless_refused(once, _retries(request), backoff), allow)


def download(request: HttpRequest, handle: Any, chunk_size: int = 8 * 1024 * 1024) -> None:
    """Stream a media request into `handle` chunk by chunk (one chunk in memory at a time)."""
    guard = _guard_of(request)
    downloader = MediaIoBaseDownload(handle, request, chunksize=chunk_size)
    if guard:
        downloader._sleep = guard.sleep  # the same capped backoff as every other request
    done = False
    while not done:
        if guard:
            guard.limiter.take(guard.cost(request.methodId))
        _, done = _mapped(lambda: downloader.next_chunk(num_retries=_retries(request)))


def _document(name: str, version: str, root_url: str | None) -> dict[str, Any]:
    doc = json.loads(get_static_doc(name, version))
    if root_url:
        doc["rootUrl"] = root_url.rstrip("/") + "/"
    return doc


def _service(name: str, version: str, http: Any, guard: Guard, root_url: str | None) -> Resource:
    return build_from_document(
        _document(name, version, root_url),
        http=http,
        requestBuilder=functools.partial(_GuardedRequest, guard=guard),
    )


class GoogleClient:
    """One Google API service and drivebot's way of calling it (quota, capped retries, errors).

    The adapters (drivebot.drive, drivebot.gmail) are given one and import nothing of the
    client library themselves, so the local backend never loads it."""

    def __init__(self, service: Resource):
        self.service = service

    def call(self, request: HttpRequest, allow: Container[int] = ()) -> Any:
        return call(request, allow)

    def collect(
        self, request: Callable[[str | None], HttpRequest], key: str, max_pages: int | None = None
    ) -> list[Any]:
        """Every item under `key` of a paged list; `request(page_token)` makes each page's
        request. With `max_pages`, stop after that many pages."""
        items: list[Any] = []
        token = None
        pages = 0
        while True:
            page = self.call(request(token))
            items += page.get(key, [])
            token = page.get("nextPageToken")
            pages += 1
            if not token or (max_pages is not None and pages >= max_pages):
                return items

    def download(self, request: HttpRequest, handle: Any, chunk_size: int) -> None:
        download(request, handle, chunk_size)

    def media(
        self,
        handle: Any,
        mime_type: str,
        resumable: bool = False,
        chunk_size: int = 8 * 1024 * 1024,
    ) -> MediaIoBaseUpload:
        """An upload body streamed from `handle` (resumable uploads go chunk by chunk)."""
        return MediaIoBaseUpload(
            handle, mimetype=mime_type, chunksize=chunk_size, resumable=resumable
        )


def credentials(settings: GoogleSettings, workspace: Path) -> Any:
    """The login both clients share."""
    return load_credentials(settings, workspace)


def _client(
    name: str, version: str, guard: Guard, settings: GoogleSettings, creds: Any | None
) -> GoogleClient:
    """One service with its own quota windows and its own connections."""
    http = OnceHttp(creds)
    return GoogleClient(_service(name, version, http, guard, settings.api_endpoint or None))


_LOAD = object()  # "read the saved login now"


def drive_client(
    settings: GoogleSettings, workspace: Path, *, max_backoff: float = 8.0, creds: Any = _LOAD
) -> GoogleClient:
    """Drive v3 (no request made). Pass `creds` to share one login with the Gmail client."""
    login = credentials(settings, workspace) if creds is _LOAD else creds
    return _client("drive", "v3", drive_guard(max_backoff), settings, login)


def gmail_client(
    settings: GoogleSettings, workspace: Path, *, max_backoff: float = 8.0, creds: Any = _LOAD
) -> GoogleClient:
    """Gmail v1 (no request made). Pass `creds` to share one login with the Drive client."""
    login = credentials(settings, workspace) if creds is _LOAD else creds
    return _client("gmail", "v1", gmail_guard(max_backoff), settings, login)
