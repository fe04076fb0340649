"""Signing in to the dashboard with Google, on the Google backend (OpenID Connect).

The authorization-code flow of a web server application, with PKCE (S256), a `state` that ties
Google's answer to the browser that asked and a `nonce` that ties the ID token to it
(developers.google.com/identity/openid-connect/openid-connect, "Authenticating the user").
The ID token is checked with google-auth against the keys at the client file's
auth_provider_x509_cert_url: RS256 signature, audience (this client), expiry, issuer
(accounts.google.com), nonce, and a verified address.

The OAuth client is a "Web application" client of the regency's Google Cloud project: its JSON
as the console downloads it, saved in the workspace as [google] web_client_file (default
web-client.json), with <base_url>dasbor/masuk/google/kembali among its authorized redirect
URIs. Its endpoints are the file's own (auth_uri, token_uri, auth_provider_x509_cert_url), so a
local Google can stand in for Google in tests.

Who may come in is drivebot.toml's business, not Google's: an address listed under [[admin]]
or [[reviewer]], with that role (drivebot.web.dashboard checks it). Google only proves the
address.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from drivebot.errors import ConfigError

if TYPE_CHECKING:
    # An HTTP request as google-auth's transports make them (bootstrap: google_auth_httplib2's).
    from google.auth.transport import Request as Http

CALLBACK = "masuk/google/kembali"  # under /dasbor/
SCOPES = "openid email"
ISSUERS = ("accounts.google.com", "https://accounts.google.com")
PENDING_SECONDS = 10 * 60  # an unfinished sign-in is forgotten after this
CLOCK_SKEW = 30  # seconds this server's clock may be behind Google's


class SignInRefused(Exception):
    """Google's answer does not prove who signed in; `reason` is a message key."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True)
class WebClient:
    client_id: str
    client_secret: str
    auth_uri: str
    token_uri: str
    certs_uri: str


@dataclass(frozen=True)
class Pending:
    """What the browser's session keeps between leaving for Google and coming back."""

    state: str
    nonce: str
    verifier: str
    next: str
    started: float

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def of(cls, value: object) -> Pending | None:
        try:
            return cls(**value) if isinstance(value, dict) else None
        except TypeError:
            return None


def load_client(path: Path) -> WebClient:
    """The web client file; ConfigError if it is not one."""
    try:
        section = json.loads(path.read_text(encoding="utf-8"))["web"]
        return WebClient(
            client_id=str(section["client_id"]),
            client_secret=str(section["client_secret"]),
            auth_uri=str(section["auth_uri"]),
            token_uri=str(section["token_uri"]),
            certs_uri=str(section["auth_provider_x509_cert_url"]),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError("web_client_unusable", path=path, detail=exc) from None


def begin(client: WebClient, redirect_uri: str, next_page: str, now: float) -> tuple[str, Pending]:
    """Where to send the browser, and what to keep until it comes back."""
    pending = Pending(
        state=secrets.token_urlsafe(24),
        nonce=secrets.token_urlsafe(24),
        verifier=secrets.token_urlsafe(48),  # 64 characters (RFC 7636: 43 to 128)
        next=next_page,
        started=now,
    )
    query = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": redirect_uri,
        "scope": SCOPES,
        "state": pending.state,
        "nonce": pending.nonce,
        "code_challenge": _challenge(pending.verifier),
        "code_challenge_method": "S256",
        "prompt": "select_account",  # one browser, several accounts: ask which
    }
    return f"{client.auth_uri}?{urlencode(query)}", pending


def finish(
    client: WebClient,
    redirect_uri: str,
    pending: Pending | None,
    answer: dict[str, str],
    request: Http,
    now: float,
) -> str:
    """The verified address of the person Google signed in; SignInRefused otherwise."""
    from google.auth.exceptions import TransportError

    if pending is None or not 0 <= now - pending.started < PENDING_SECONDS:
        raise SignInRefused("google_expired")
    if not _same(answer.get("state", ""), pending.state):
        raise SignInRefused("google_expired", "state")
    if answer.get("error"):
        raise SignInRefused("google_cancelled", answer["error"])
    if not answer.get("code"):
        raise SignInRefused("google_failed", "no code")
    form = {
        "grant_type": "authorization_code",
        "code": answer["code"],
        "redirect_uri": redirect_uri,
        "client_id": client.client_id,
        "client_secret": client.client_secret,
        "code_verifier": pending.verifier,
    }
    try:
        response = request(
            client.token_uri,
            method="POST",
            body=urlencode(form),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    except (TransportError, OSError) as exc:  # Google out of reach: try again later
        raise SignInRefused("google_failed", str(exc)) from None
    try:
        tokens = json.loads(response.data)
    except ValueError:
        tokens = None
    id_token = tokens.get("id_token") if isinstance(tokens, dict) else None
    if response.status != 200 or not isinstance(id_token, str):
        raise SignInRefused("google_failed", f"token endpoint {response.status}")
    return _verified_email(client, id_token, pending.nonce, request)


def _verified_email(client: WebClient, id_token: str, nonce: str, request: Http) -> str:
    from google.auth import exceptions
    from google.oauth2 import id_token as verifier

    try:
        claims = verifier.verify_token(
            id_token,
            request,
            audience=client.client_id,
            certs_url=client.certs_uri,
            clock_skew_in_seconds=CLOCK_SKEW,
        )
    except (ValueError, OSError, exceptions.GoogleAuthError) as exc:  # OSError: keys unreachable
        raise SignInRefused("google_failed", str(exc)) from None
    if claims.get("iss") not in ISSUERS:
        raise SignInRefused("google_failed", "issuer")
    if not _same(str(claims.get("nonce", "")), nonce):
        raise SignInRefused("google_failed", "nonce")
    email = str(claims.get("email", "")).lower()
    if not email or claims.get("email_verified") is not True:
        raise SignInRefused("google_unverified")
    return email


def _same(given: str, expected: str) -> bool:
    """Compared in constant time, as bytes (compare_digest refuses non-ASCII text)."""
    return secrets.compare_digest(given.encode(), expected.encode())


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
