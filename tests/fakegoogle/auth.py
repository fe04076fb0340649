"""OAuth 2.0 as Google answers it: a token endpoint, access tokens checked on every API request.

`FakeGoogle(require_auth=True)` turns it on. An access token names the acting user (an e-mail
address); it expires on the fake's clock. The token endpoint (`<url>token`) takes the two grants
drivebot's credentials use: `refresh_token` (an authorized user, google.oauth2.credentials) and
`urn:ietf:params:oauth:grant-type:jwt-bearer` (a service account, acting as itself or, with `sub`,
as a user of a domain that granted it domain-wide delegation).

Sources for the answers (checked before encoding them):
- API 401s: Drive/Gmail "Resolve errors" (developers.google.com/drive/api/guides/handle-errors,
  /gmail/api/guides/handle-errors): 401 authError "Invalid Credentials", location Authorization
  (header). A request without credentials is answered "Request is missing required authentication
  credential..." with reason `required` ("Login Required."), and the invalid-token answer carries
  `WWW-Authenticate: Bearer realm="https://accounts.google.com/", error="invalid_token"`, as
  seen in answers quoted in github.com/codenameone/CodenameOne/issues/3135 and
  github.com/ivanvermeyen/laravel-google-drive-demo/issues/118.
- Token endpoint: invalid_grant "Token has been expired or revoked." (400) as in
  github.com/apache/opendal/issues/3901; invalid_client "The OAuth client was not found." (401),
  github.com/erebusnz/gapi-google-analytics-php-interface/issues/149; unauthorized_client for a
  subject without delegation is answered 401, github.com/peburrows/goth/issues/159 and the
  terraform trace in gist.github.com/samcolson4/9914b2a45a1f9f9c2978c864de05cc6a; "Invalid JWT
  Signature." (googleapis/google-cloud-python#10004), "Invalid JWT: Failed audience check."
  (google/oauth2l#130), "Empty or missing scope not allowed." (invalid_scope,
  googleapis/google-auth-library-python#217). JWT claims (iss, scope, aud, exp, iat, sub):
  "Using OAuth 2.0 for Server to Server Applications",
  developers.google.com/identity/protocols/oauth2/service-account.
"""

from __future__ import annotations

import base64
import itertools
import json
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.message import Message
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from fakegoogle.discovery import ApiError, Method

if TYPE_CHECKING:
    from fakegoogle.server import FakeGoogle, Reply

DEFAULT_SCOPES = (
    "https://www.googleapis.com/auth/drive",
    "https://www.googleapis.com/auth/gmail.modify",
)
CLIENT_ID = "1234567890-localgoogle.apps.googleusercontent.com"
CLIENT_SECRET = "GOCSPX-local-google-secret"
ACCESS_SECONDS = 3599  # what Google's token endpoint answers as expires_in
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# google-auth always signs for Google's endpoint, whatever token_uri says; the older names pass.
GOOGLE_AUDIENCES = {
    "https://oauth2.googleapis.com/token",
    "https://accounts.google.com/o/oauth2/token",
    "https://www.googleapis.com/oauth2/v4/token",
}
REALM = 'Bearer realm="https://accounts.google.com/"'
UNDELEGATED = (
    "Client is unauthorized to retrieve access tokens using this method, or client not "
    "authorized for any of the scopes requested."
)
BAD_TIMES = (
    "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. "
    "Check your iat and exp values in the JWT claim."
)


@dataclass
class Grant:
    """A refresh token: what the user consented to, for which OAuth client."""

    email: str
    client_id: str
    scopes: tuple[str, ...]
    revoked: bool = False


@dataclass
class AccessToken:
    email: str
    scopes: tuple[str, ...]
    expires: float  # on the fake's clock
    refresh_token: str | None = None


@dataclass
class ServiceAccount:
    email: str
    key_id: str
    public_key: rsa.RSAPublicKey
    delegate_to: tuple[str, ...]  # domains ("example.go.id") or addresses it may act as
    delegated_scopes: tuple[str, ...]  # the scopes the Workspace admin granted it

    def may_act_as(self, subject: str) -> bool:
        subject = subject.lower()
        domain = subject.rpartition("@")[2]
        return any(d.lower() in (subject, domain) for d in self.delegate_to)


@dataclass
class _Form:
    values: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str:
        return self.values.get(name, "")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class OAuthError(Exception):
    """An answer of the token endpoint in OAuth's shape ({"error", "error_description"})."""

    def __init__(self, status: int, error: str, description: str):
        super().__init__(f"{status} {error}: {description}")
        self.status, self.error, self.description = status, error, description


class Auth:
    def __init__(self, google: FakeGoogle):
        self.google = google
        self.clients = {CLIENT_ID: CLIENT_SECRET}
        self.grants: dict[str, Grant] = {}
        self.tokens: dict[str, AccessToken] = {}
        self.service_accounts: dict[str, ServiceAccount] = {}
        self._serial = itertools.count(1)

    @property
    def token_uri(self) -> str:
        return self.google.url + "token"

    # --- helpers for tests -------------------------------------------------------------------

    def issue(self, email: str, scopes: Iterable[str], refresh_token: str | None = None) -> str:
        """A new access token for `email`, valid ACCESS_SECONDS on the fake's clock."""
        token = f"ya29.local-{next(self._serial)}-{secrets.token_urlsafe(12)}"
        expires = self.google.clock() + ACCESS_SECONDS
        self.tokens[token] = AccessToken(email.lower(), tuple(scopes), expires, refresh_token)
        return token

    def authorized_user_info(
        self, email: str, scopes: Iterable[str] = DEFAULT_SCOPES
    ) -> dict[str, Any]:
        """What google.oauth2.credentials.Credentials.from_authorized_user_info takes (and what
        `drivebot auth` saves): a refresh token for `email` and a fresh access token. Note that
        google-auth replaces the token_uri read from it with Google's own endpoint: point the
        credentials at the fake with `.with_token_uri(google.token_uri)`."""
        scopes = tuple(scopes)
        refresh_token = f"1//local-{next(self._serial)}-{secrets.token_urlsafe(16)}"
        self.grants[refresh_token] = Grant(email.lower(), CLIENT_ID, scopes)
        token = self.issue(email, scopes, refresh_token)
        expiry = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.tokens[token].expires))
        return {
            "token": token,
            "refresh_token": refresh_token,
            "token_uri": self.token_uri,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "scopes": list(scopes),
            "expiry": expiry,
            "universe_domain": "googleapis.com",
            "account": "",
        }

    def service_account_info(
        self,
        client_email: str,
        delegate_to: str | Iterable[str] = (),
        scopes: Iterable[str] = DEFAULT_SCOPES,
    ) -> dict[str, Any]:
        """A service-account key file (a freshly generated RSA key) whose token_uri is the fake.
        `delegate_to`: the domains or addresses a Workspace admin let it impersonate, for
        `scopes` (domain-wide delegation); without them a `sub` is refused."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        key_id = secrets.token_hex(20)
        delegates = (delegate_to,) if isinstance(delegate_to, str) else tuple(delegate_to)
        self.service_accounts[client_email.lower()] = ServiceAccount(
            client_email.lower(), key_id, key.public_key(), delegates, tuple(scopes)
        )
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        return {
            "type": "service_account",
            "project_id": "local-google",
            "private_key_id": key_id,
            "private_key": pem,
            "client_email": client_email,
            "client_id": str(100000000000000000000 + len(self.service_accounts)),
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": self.token_uri,
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/"
            + client_email.replace("@", "%40"),
            "universe_domain": "googleapis.com",
        }

    def revoke_refresh_token(self, token: str) -> None:
        """The user removed the app's access: the refresh token and the access tokens issued
        from it stop working (as revoking does, "Revoking a token", oauth2/web-server)."""
        grant = self.grants.get(token)
        if grant is None:
            raise KeyError(token)
        grant.revoked = True
        for access in [t for t, a in self.tokens.items() if a.refresh_token == token]:
            del self.tokens[access]

    def expire_access_tokens(self) -> None:
        now = self.google.clock()
        for access in self.tokens.values():
            access.expires = min(access.expires, now)

    def is_service_account(self, email: str | None) -> bool:
        return bool(email) and email.lower() in self.service_accounts

    # --- API requests ------------------------------------------------------------------------

    def authenticate(self, method: Method, headers: Message) -> str:
        """The acting user's address; Google's 401 (or 403 for a token lacking the scope)."""
        value = headers.get("Authorization", "")
        scheme, _, token = value.partition(" ")
        if not value:
            raise ApiError(
                401,
                "Request is missing required authentication credential. Expected OAuth 2 "
                "access token, login cookie or other valid authentication credential. See "
                "https://developers.google.com/identity/sign-in/web/devconsole-project.",
                "required",
                "Authorization",
                location_type="header",
                detail="Login Required.",
                details=[_error_info("CREDENTIALS_MISSING", method)],
                headers={"WWW-Authenticate": REALM},
            )
        access = self.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if access is None or access.expires <= self.google.clock():
            raise ApiError(
                401,
                "Request had invalid authentication credentials. Expected OAuth 2 access "
                "token, login cookie or other valid authentication credential. See "
                "https://developers.google.com/identity/sign-in/web/devconsole-project.",
                "authError",
                "Authorization",
                location_type="header",
                detail="Invalid Credentials",
                details=[
                    _error_info("ACCESS_TOKEN_EXPIRED" if access else "INVALID_TOKEN", method)
                ],
                headers={"WWW-Authenticate": f'{REALM}, error="invalid_token"'},
            )
        if method.scopes and not set(method.scopes) & set(access.scopes):
            raise ApiError(
                403,
                "Request had insufficient authentication scopes.",
                "insufficientPermissions",
                detail="Insufficient Permission",
                details=[_error_info("ACCESS_TOKEN_SCOPE_INSUFFICIENT", method)],
                headers={
                    "WWW-Authenticate": f'{REALM}, error="insufficient_scope", '
                    f'scope="{" ".join(method.scopes)}"'
                },
            )
        return access.email

    # --- the token endpoint ------------------------------------------------------------------

    def token_endpoint(self, http_method: str, headers: Message, data: bytes) -> Reply:
        from fakegoogle.server import Reply

        try:
            if http_method != "POST":
                raise OAuthError(405, "invalid_request", "The token endpoint takes POST.")
            content_type = headers.get("Content-Type", "").split(";")[0].strip().lower()
            if content_type != "application/x-www-form-urlencoded":
                raise OAuthError(400, "invalid_request", "Invalid content type.")
            form = _Form(
                {k: v[0] for k, v in parse_qs(data.decode(), keep_blank_values=True).items()}
            )
            grant_type = form.get("grant_type")
            if grant_type == "refresh_token":
                answer = self._refresh(form)
            elif grant_type == JWT_GRANT:
                answer = self._jwt(form)
            elif grant_type == "authorization_code":
                answer = self.google.openid.exchange(form)
            else:
                raise OAuthError(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")
            status = 200
        except OAuthError as error:
            status, answer = (
                error.status,
                {
                    "error": error.error,
                    "error_description": error.description,
                },
            )
        return Reply(
            status,
            json=answer,
            headers={"Cache-Control": "no-cache, no-store, max-age=0, must-revalidate"},
        )

    def _refresh(self, form: _Form) -> dict[str, Any]:
        client_id = form.get("client_id")
        if not client_id:
            raise OAuthError(400, "invalid_request", "Could not determine client ID from request.")
        if client_id not in self.clients:
            raise OAuthError(401, "invalid_client", "The OAuth client was not found.")
        if form.get("client_secret") != self.clients[client_id]:
            raise OAuthError(401, "invalid_client", "Unauthorized")
        if not form.get("refresh_token"):
            raise OAuthError(400, "invalid_request", "Missing required parameter: refresh_token")
        grant = self.grants.get(form.get("refresh_token"))
        if grant is None or grant.revoked or grant.client_id != client_id:
            raise OAuthError(400, "invalid_grant", "Token has been expired or revoked.")
        scopes = tuple(form.get("scope").split()) or grant.scopes
        if not set(scopes) <= set(grant.scopes):
            raise OAuthError(400, "invalid_scope", "Bad Request")
        token = self.issue(grant.email, scopes, form.get("refresh_token"))
        return {
            "access_token": token,
            "expires_in": ACCESS_SECONDS,
            "scope": " ".join(scopes),
            "token_type": "Bearer",
        }

    def _jwt(self, form: _Form) -> dict[str, Any]:
        parts = form.get("assertion").split(".")
        try:
            header, claims = (json.loads(_unb64(p)) for p in parts[:2])
            signature = _unb64(parts[2])
        except (ValueError, IndexError):
            raise OAuthError(400, "invalid_grant", "Invalid JWT Signature.") from None
        if len(parts) != 3 or header.get("alg") != "RS256":
            raise OAuthError(400, "invalid_grant", "Invalid JWT Signature.")
        account = self.service_accounts.get(str(claims.get("iss", "")).lower())
        if account is None:
            raise OAuthError(400, "invalid_grant", "Invalid grant: account not found")
        try:
            account.public_key.verify(
                signature,
                f"{parts[0]}.{parts[1]}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except InvalidSignature:
            raise OAuthError(400, "invalid_grant", "Invalid JWT Signature.") from None
        if claims.get("aud") not in GOOGLE_AUDIENCES | {self.token_uri}:
            raise OAuthError(
                400,
                "invalid_grant",
                "Invalid JWT: Failed audience check. The expected audience is "
                "https://oauth2.googleapis.com/token.",
            )
        now = self.google.clock()
        issued, expires = claims.get("iat"), claims.get("exp")
        if (
            not isinstance(issued, int | float)
            or not isinstance(expires, int | float)
            or not issued - 300 <= now < expires
            or expires - issued > 3600
        ):
            raise OAuthError(400, "invalid_grant", BAD_TIMES)
        scopes = tuple(str(claims.get("scope", "")).split())
        if not scopes:
            raise OAuthError(400, "invalid_scope", "Empty or missing scope not allowed.")
        subject = claims.get("sub")
        if subject and (
            not account.may_act_as(subject) or not set(scopes) <= set(account.delegated_scopes)
        ):
            raise OAuthError(401, "unauthorized_client", UNDELEGATED)
        token = self.issue(subject or account.email, scopes)
        return {"access_token": token, "expires_in": ACCESS_SECONDS, "token_type": "Bearer"}


def _error_info(reason: str, method: Method) -> dict[str, Any]:
    return {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": reason,
        "domain": "googleapis.com",
        "metadata": {"service": f"{method.api}.googleapis.com", "method": method.id},
    }
