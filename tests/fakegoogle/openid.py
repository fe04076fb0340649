"""Google Sign-In as Google answers it (OpenID Connect): the account chooser, the code, the
ID token and the keys it is signed with.

- `GET /o/oauth2/v2/auth`: checks the client, its registered redirect URI, response_type=code,
  an openid scope, an S256 code challenge; answers an account chooser (a page with one button
  per account signed in to this "browser", `signed_in`, and a cancel button). Choosing sends the
  browser to the redirect URI with `code` and `state`; cancelling with error=access_denied.
  A redirect URI that was not registered is Google's "Error 400: redirect_uri_mismatch" page.
- The token endpoint's `authorization_code` grant (auth.py routes it here): the code once, within
  10 minutes, for its client (secret checked), redirect URI and PKCE verifier; else invalid_grant
  "Bad Request" / "Malformed auth code." as Google answers.
- `GET /oauth2/v1/certs`: the signing keys as {kid: PEM certificate} (what google-auth fetches).

ID tokens carry what Google's do ("An ID token's payload", openid-connect docs): iss
https://accounts.google.com, azp and aud the client id, sub, email, email_verified, hd for a
Workspace domain, iat and exp (an hour, on the real clock: the verifier uses the real clock),
nonce.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import html
import json
import secrets
import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

if TYPE_CHECKING:
    from fakegoogle.auth import _Form
    from fakegoogle.server import FakeGoogle, Reply

ISSUER = "https://accounts.google.com"
CODE_SECONDS = 600
PERSONAL_DOMAINS = ("gmail.com", "googlemail.com")


@dataclass
class WebClient:
    client_id: str
    secret: str
    redirect_uris: tuple[str, ...]


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    challenge: str
    email: str
    nonce: str
    issued: float


@dataclass
class OpenId:
    google: FakeGoogle
    clients: dict[str, WebClient] = field(default_factory=dict)
    signed_in: list[str] = field(default_factory=list)  # the accounts in the chooser
    unverified: set[str] = field(default_factory=set)  # addresses Google has not verified
    codes: dict[str, _Code] = field(default_factory=dict)
    # Claims the token endpoint's next ID tokens get instead (a test's forged answer).
    claim_changes: dict[str, Any] = field(default_factory=dict)

    key_id: str = field(default_factory=lambda: secrets.token_hex(20))

    @cached_property
    def _key(self) -> rsa.RSAPrivateKey:  # made when first needed: most tests never sign in
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)

    @cached_property
    def _certificate(self) -> x509.Certificate:
        return _self_signed(self._key)

    # --- for tests -----------------------------------------------------------------------------

    def web_client(self, redirect_uris: list[str]) -> dict[str, Any]:
        """A "Web application" OAuth client, as the Cloud console's JSON download."""
        number = len(self.clients) + 1
        client = WebClient(
            f"{number}-web.apps.googleusercontent.com",
            f"GOCSPX-web-{secrets.token_urlsafe(12)}",
            tuple(redirect_uris),
        )
        self.clients[client.client_id] = client
        url = self.google.url
        return {
            "web": {
                "client_id": client.client_id,
                "project_id": "local-google",
                "auth_uri": url + "o/oauth2/v2/auth",
                "token_uri": url + "token",
                "auth_provider_x509_cert_url": url + "oauth2/v1/certs",
                "client_secret": client.secret,
                "redirect_uris": list(redirect_uris),
            }
        }

    def choose(self, chooser_url: str, email: str) -> str:
        """Where the chooser's button for `email` sends the browser (for tests without one)."""
        query = {k: v[0] for k, v in parse_qs(chooser_url.partition("?")[2]).items()}
        return self._chosen(query, email)

    def cancel(self, chooser_url: str) -> str:
        """Where the chooser's cancel button sends the browser."""
        query = {k: v[0] for k, v in parse_qs(chooser_url.partition("?")[2]).items()}
        return self._back(query, {"error": "access_denied"}).headers["Location"]

    def id_token(
        self, client_id: str, email: str, nonce: str, changes: dict[str, Any] | None = None
    ) -> str:
        """An ID token as the token endpoint issues it; `changes` overrides claims."""
        now = int(time.time())
        domain = email.rpartition("@")[2]
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "azp": client_id,
            "aud": client_id,
            "sub": str(int(hashlib.sha256(email.encode()).hexdigest()[:15], 16)),
            "email": email,
            "email_verified": email not in self.unverified,
            "at_hash": secrets.token_urlsafe(16),
            "nonce": nonce,
            "iat": now,
            "exp": now + 3600,
        }
        if domain not in PERSONAL_DOMAINS:
            claims["hd"] = domain
        claims.update(changes or {})
        header = {"alg": "RS256", "kid": self.key_id, "typ": "JWT"}
        signed = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        signature = self._key.sign(signed.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signed}.{_b64(signature)}"

    # --- the endpoints -------------------------------------------------------------------------

    def authorize(self, query: dict[str, str]) -> Reply:
        from fakegoogle.server import Reply

        client = self.clients.get(query.get("client_id", ""))
        if client is None:
            return _page(401, "Error 401: invalid_client", "The OAuth client was not found.")
        if query.get("redirect_uri") not in client.redirect_uris:
            return _page(
                400,
                "Error 400: redirect_uri_mismatch",
                "You can't sign in to this app because it doesn't comply with Google's OAuth "
                "2.0 policy.",
            )
        problem = _request_problem(query)
        if problem:
            return self._back(query, {"error": "invalid_request", "error_description": problem})
        buttons = "".join(
            f'<li><a class="account" href="?{html.escape(urlencode({**query, "chosen": email}))}">'
            f"{html.escape(email)}</a></li>"
            for email in self.signed_in
        )
        cancel = html.escape(urlencode({**query, "cancel": "1"}))
        body = (
            "<h1>Choose an account</h1><p>to continue to drivebot</p>"
            f'<ul>{buttons}</ul><a id="cancel" href="?{cancel}">Cancel</a>'
        )
        if "cancel" in query:
            return self._back(query, {"error": "access_denied"})
        if "chosen" in query:
            return Reply(302, headers={"Location": self._chosen(query, query["chosen"])})
        return Reply(200, content=_html(body), headers={"Content-Type": "text/html"})

    def _chosen(self, query: dict[str, str], email: str) -> str:
        code = f"4/0A{secrets.token_urlsafe(32)}"
        self.codes[code] = _Code(
            query["client_id"],
            query["redirect_uri"],
            query["code_challenge"],
            email.lower(),
            query.get("nonce", ""),
            time.time(),
        )
        answer = {"code": code, "scope": "email openid", "state": query.get("state", "")}
        return f"{query['redirect_uri']}?{urlencode(answer)}"

    def _back(self, query: dict[str, str], answer: dict[str, str]) -> Reply:
        from fakegoogle.server import Reply

        answer = {**answer, "state": query.get("state", "")}
        return Reply(302, headers={"Location": f"{query['redirect_uri']}?{urlencode(answer)}"})

    def exchange(self, form: _Form) -> dict[str, Any]:
        """The token endpoint's authorization_code grant."""
        from fakegoogle.auth import OAuthError

        client = self.clients.get(form.get("client_id"))
        if client is None:
            raise OAuthError(401, "invalid_client", "The OAuth client was not found.")
        if form.get("client_secret") != client.secret:
            raise OAuthError(401, "invalid_client", "Unauthorized")
        code = self.codes.pop(form.get("code"), None)  # a code is good once
        if code is None:
            raise OAuthError(400, "invalid_grant", "Malformed auth code.")
        if not form.get("code_verifier"):
            raise OAuthError(400, "invalid_grant", "Missing code verifier.")
        verifier = form.get("code_verifier").encode()
        challenge = _b64(hashlib.sha256(verifier).digest())
        if (
            code.client_id != client.client_id
            or code.redirect_uri != form.get("redirect_uri")
            or not secrets.compare_digest(challenge, code.challenge)
            or time.time() - code.issued > CODE_SECONDS
        ):
            raise OAuthError(400, "invalid_grant", "Bad Request")
        return {
            "access_token": self.google.auth.issue(code.email, ("openid", "email")),
            "expires_in": 3599,
            "scope": "openid https://www.googleapis.com/auth/userinfo.email",
            "token_type": "Bearer",
            "id_token": self.id_token(client.client_id, code.email, code.nonce, self.claim_changes),
        }

    def certs(self) -> Reply:
        from fakegoogle.server import Reply

        pem = self._certificate.public_bytes(serialization.Encoding.PEM).decode()
        return Reply(200, json={self.key_id: pem}, headers={"Cache-Control": "max-age=3600"})


def _request_problem(query: dict[str, str]) -> str:
    if query.get("response_type") != "code":
        return "Invalid response_type"
    if "openid" not in query.get("scope", "").split():
        return "Missing required parameter: scope"
    if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
        return "Missing code_challenge"
    return ""


def _page(status: int, heading: str, text: str) -> Reply:
    from fakegoogle.server import Reply

    body = f"<h1>{html.escape(heading)}</h1><p>{html.escape(text)}</p>"
    return Reply(status, content=_html(body), headers={"Content-Type": "text/html"})


def _html(body: str) -> bytes:
    return f"<!doctype html><html lang='en'><title>Sign in</title>{body}</html>".encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _self_signed(key: rsa.RSAPrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "accounts.google.com")])
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=14))
        .sign(key, hashes.SHA256())
    )
