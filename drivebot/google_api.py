"""Shared plumbing for the Google adapters: credentials, services, retries, quotas, errors.

Both services are built from the discovery documents bundled with google-api-python-client, so
building makes no network request. With `api_endpoint` set (tests, benchmarks) the document's
rootUrl is rewritten to the local server, which sends uploads and batch requests there too
(`client_options` would only swap the host of upload URLs and keep https).

Every request is a `_GuardedRequest`: it waits for the API's token bucket before going out, so a
backlog never storms Google with 429s, and it uses the client's own retry loop with its random
exponential backoff capped (the client sleeps `random() * 2**n` seconds, unbounded).
"""

from __future__ import annotations

import functools
import json
import os
import threading
import time
from collections.abc import Callable, Container
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import google_auth_httplib2
import httplib2
from google.auth.exceptions import RefreshError, TransportError
from googleapiclient.discovery import Resource, build_from_document
from googleapiclient.discovery_cache import get_static_doc
from googleapiclient.errors import HttpError
from googleapiclient.http import HttpRequest, MediaIoBaseDownload, MediaIoBaseUpload, build_http

from drivebot.config import GoogleSettings
from drivebot.errors import BadDocument, ConfigError, DrivebotError, NotFound, TransientError

SCOPES = [
    # Read, move, lock and export files other people uploaded, and read their comments:
    # drive.file only covers files the app created, drive.readonly cannot move or lock.
    "https://www.googleapis.com/auth/drive",
    # Read the inbox and its history, label messages and send replies; messages.modify accepts
    # no narrower scope, and this one also covers reading, sending and creating labels.
    "https://www.googleapis.com/auth/gmail.modify",
]

AUTH_HINT = "run `drivebot auth` to sign in to Google again"
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

# Gmail's published quota units per method (anything not listed costs 1); Drive counts queries.
GMAIL_UNITS = {
    "gmail.users.getProfile": 1,
    "gmail.users.labels.list": 1,
    "gmail.users.history.list": 2,
    "gmail.users.labels.create": 5,
    "gmail.users.messages.list": 5,
    "gmail.users.messages.get": 5,
    "gmail.users.messages.attachments.get": 5,
    "gmail.users.messages.modify": 5,
    "gmail.users.messages.batchModify": 50,
    "gmail.users.messages.send": 100,
}


class RateLimiter:
    """A token bucket: `take(units)` waits until the bucket holds them, then removes them.

    It refills at the per-minute quota and holds `burst_seconds` of it, so a short burst passes
    at once while a long backlog settles at the quota instead of being answered with 429s.
    """

    def __init__(
        self,
        per_minute: float,
        burst_seconds: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.rate = per_minute / 60.0
        self.capacity = self.rate * burst_seconds
        self.clock = clock
        self.sleep = sleep
        self._tokens = self.capacity
        self._stamp = clock()
        self._lock = threading.Lock()

    def take(self, units: float = 1) -> float:
        """Remove `units` tokens, sleeping as long as needed; returns the seconds waited."""
        with self._lock:
            now = self.clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            self._tokens -= units
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait:
            self.sleep(wait)
        return wait


@dataclass
class Guard:
    """What every request of one API goes through: its quota and its retry policy."""

    limiter: RateLimiter
    units: dict[str, int] = field(default_factory=dict)
    num_retries: int = DEFAULT_RETRIES
    max_backoff: float = 8.0

    def sleep(self, seconds: float) -> None:
        time.sleep(min(seconds, self.max_backoff))

    def cost(self, method_id: str | None) -> int:
        return self.units.get(method_id or "", 1)


def drive_guard(max_backoff: float = 8.0) -> Guard:
    return Guard(RateLimiter(12_000), max_backoff=max_backoff)


def gmail_guard(max_backoff: float = 8.0) -> Guard:
    return Guard(RateLimiter(15_000), GMAIL_UNITS, max_backoff=max_backoff)


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


def _reason(error: HttpError) -> str:
    details = error.error_details
    if isinstance(details, list) and details and isinstance(details[0], dict):
        return str(details[0].get("reason", ""))
    return ""


def translate(error: Exception) -> DrivebotError:
    """The drivebot error for a failed Google call (after the client's own retries)."""
    if isinstance(error, RefreshError):
        return ConfigError(f"Google refused the saved login ({error}); {AUTH_HINT}")
    if not isinstance(error, HttpError):
        return TransientError(f"Google could not be reached: {error!r}")
    status, reason = error.status_code, _reason(error)
    text = f"Google answered {status}{f' {reason}' if reason else ''}: {error.reason}"
    if status == 404:
        return NotFound(text)
    if reason in DOCUMENT_REASONS:
        return BadDocument(DOCUMENT_REASONS[reason], text)
    if status == 401:
        return ConfigError(f"{text}; the login is no longer valid: {AUTH_HINT}")
    if status == 403 and reason not in TRANSIENT_REASONS:
        hint = (
            "a service account has no storage of its own: use a shared drive or "
            "domain-wide delegation"
            if reason == "storageQuotaExceeded"
            else f"check the bot's access to the folder, or {AUTH_HINT}"
        )
        return ConfigError(f"{text}; {hint}")
    if 400 <= status < 500 and status not in (408, 429) and reason not in TRANSIENT_REASONS:
        # Asking again will get the same answer: let the caller give up and tell an admin.
        return DrivebotError(text)
    # 408, 429, 5xx and rate-limit 403s: leave the work for the next cycle.
    return TransientError(text)


_NETWORK_ERRORS = (OSError, httplib2.HttpLib2Error, TransportError)


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
    """Execute `request` with retries; None for an HTTP status in `allow`, else mapped errors."""
    retries = 0 if request.methodId in NOT_RETRIED else _retries(request)
    return _mapped(lambda: request.execute(num_retries=retries), allow)


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


def _token_path(settings: GoogleSettings, workspace: Path) -> Path:
    return workspace / settings.token_file


def _credentials(settings: GoogleSettings, workspace: Path) -> Any:
    if settings.service_account_file:
        from google.oauth2 import service_account

        if not settings.subject:
            raise ConfigError(
                "drivebot.toml: [google] subject: a service account needs the "
                "address of the mailbox it acts as (domain-wide delegation)"
            )
        path = workspace / settings.service_account_file
        try:
            creds = service_account.Credentials.from_service_account_file(str(path), scopes=SCOPES)
        except (OSError, ValueError) as exc:
            raise ConfigError(
                f"drivebot.toml: [google] service_account_file: cannot use {path}: {exc}"
            ) from None
        return creds.with_subject(settings.subject)
    from google.oauth2.credentials import Credentials

    path = _token_path(settings, workspace)
    if not path.is_file():
        raise ConfigError(f"no saved Google login at {path}: run `drivebot auth`")
    try:
        # Without a scopes argument, so the scopes the login was granted are the ones checked.
        creds = Credentials.from_authorized_user_file(str(path))
    except (ValueError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path} is not a Google login file ({exc}); {AUTH_HINT}") from None
    if not creds.has_scopes(SCOPES):
        raise ConfigError(
            f"the saved Google login at {path} lacks the permissions drivebot needs; {AUTH_HINT}"
        )
    return creds


def _refresh_now(creds: Any) -> None:
    """Refresh at start, so an expired or revoked login stops drivebot with one clear message."""
    if creds.valid:
        return
    try:
        creds.refresh(google_auth_httplib2.Request(build_http()))
    except RefreshError as error:
        raise translate(error) from None
    except TransportError as error:
        raise TransientError(f"Google could not be reached to refresh the login: {error}") from None


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


def _client(
    name: str, version: str, guard: Guard, settings: GoogleSettings, workspace: Path
) -> GoogleClient:
    """One service with its own quota limiter and its own connection (an httplib2.Http is not
    shareable). Credentials: a service account with `subject` (domain-wide delegation) when
    `service_account_file` is set, else the authorized-user token `drivebot auth` saved. With
    `api_endpoint` set there are none: requests go unauthenticated to that local server."""
    creds = None if settings.api_endpoint else _credentials(settings, workspace)
    if creds is not None:
        _refresh_now(creds)
    http = build_http()  # leaves 308 to resumable uploads instead of following it
    if creds is not None:
        http = google_auth_httplib2.AuthorizedHttp(creds, http=http)
    return GoogleClient(_service(name, version, http, guard, settings.api_endpoint or None))


def drive_client(
    settings: GoogleSettings, workspace: Path, *, max_backoff: float = 8.0
) -> GoogleClient:
    """Drive v3, built from the bundled discovery document (no request made)."""
    return _client("drive", "v3", drive_guard(max_backoff), settings, workspace)


def gmail_client(
    settings: GoogleSettings, workspace: Path, *, max_backoff: float = 8.0
) -> GoogleClient:
    """Gmail v1, built from the bundled discovery document (no request made)."""
    return _client("gmail", "v1", gmail_guard(max_backoff), settings, workspace)


def run_auth_flow(
    settings: GoogleSettings, workspace: Path, port: int = 0, open_browser: bool = True
) -> Path:
    """Sign in in a browser (the OAuth "installed app" flow) and save the token, mode 0600.

    On a server without a browser: pass a fixed `port` and open_browser=False, forward that
    port from a workstation (`ssh -L PORT:localhost:PORT server`), and open the printed URL
    there; or run it on the workstation and copy the token file over."""
    from google_auth_oauthlib.flow import InstalledAppFlow

    secrets = workspace / settings.client_secrets_file
    if not secrets.is_file():
        raise ConfigError(
            f'no OAuth client file at {secrets}: download the "Desktop app" '
            f"client from the Google Cloud console (see credentials.example.json)"
        )
    flow = InstalledAppFlow.from_client_secrets_file(str(secrets), SCOPES)
    creds = flow.run_local_server(
        host="localhost", port=port, open_browser=open_browser, timeout_seconds=300
    )
    path = _token_path(settings, workspace)
    # Created 0600 before anything is written: the refresh token is a password.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(creds.to_json())
    path.chmod(0o600)
    return path
