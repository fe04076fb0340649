"""FakeGoogle(require_auth=True): tokens as Google issues and checks them, with the real google-auth
and the real client library over HTTP."""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from google.auth.exceptions import RefreshError
from google.oauth2.credentials import Credentials
from googleapiclient.errors import HttpError

from fakegoogle import FakeGoogle
from fakegoogle.clients import service_account_credentials, services, user_credentials

BOT = "hukum@example.go.id"
STAFF = "staf@dinkes.example.go.id"
SA = "drivebot@local-google.iam.gserviceaccount.com"


@pytest.fixture
def now():
    return [time.time()]


@pytest.fixture
def google(now):
    with FakeGoogle(require_auth=True, clock=lambda: now[0]) as server:
        yield server


def post_form(google: FakeGoogle, fields: dict[str, str]) -> tuple[int, dict]:
    request = urllib.request.Request(
        google.token_uri,
        data=urllib.parse.urlencode(fields).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def get(google: FakeGoogle, path: str, token: str | None = None) -> tuple[int, dict, dict]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(google.url + path.lstrip("/"), headers=headers)
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status, json.loads(answer.read()), dict(answer.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), dict(error.headers)


# --- the saved login: refresh, expiry, revocation -----------------------------------------------


@pytest.mark.parametrize("transport", ["httplib2", "requests"])
def test_a_saved_login_refreshes_through_the_token_endpoint(google, transport):
    info = google.authorized_user_info(BOT)
    assert set(info) >= {"token", "refresh_token", "client_id", "client_secret", "token_uri"}
    assert info["token_uri"] == google.token_uri and info["expiry"].endswith("Z")
    creds = Credentials.from_authorized_user_info(info).with_token_uri(google.token_uri)
    creds.expiry = None  # force a refresh first, as an expired saved login would
    creds.token = None
    api = services(google, creds, transport)
    assert api.gmail.users().getProfile(userId="me").execute()["emailAddress"] == BOT
    assert google.counts["oauth2.token"] == 1
    assert creds.token in google.auth.tokens and creds.valid


def test_an_expired_token_is_answered_401_and_refreshed(google):
    creds = user_credentials(google, BOT)
    api = services(google, creds)
    api.drive.files().list().execute()
    old = creds.token
    google.expire_access_tokens()
    api.drive.files().list().execute()  # 401, a refresh, the same call again
    assert creds.token != old and google.counts["oauth2.token"] == 1
    assert google.counts["drive.files.list"] == 3


def test_tokens_expire_on_the_fakes_clock(google, now):
    token = google.access_token(BOT)
    assert get(google, "/drive/v3/files", token)[0] == 200
    now[0] += 3600
    status, answer, headers = get(google, "/drive/v3/files", token)
    assert (status, answer["error"]["errors"][0]["reason"]) == (401, "authError")
    assert answer["error"]["status"] == "UNAUTHENTICATED"
    assert headers["WWW-Authenticate"] == (
        'Bearer realm="https://accounts.google.com/", error="invalid_token"'
    )


def test_a_revoked_refresh_token_ends_in_a_refresh_error(google):
    creds = user_credentials(google, BOT)
    api = services(google, creds)
    api.gmail.users().getProfile(userId="me").execute()
    google.revoke_refresh_token(creds.refresh_token)  # and the access tokens issued from it
    with pytest.raises(RefreshError, match="invalid_grant: Token has been expired or revoked"):
        api.gmail.users().getProfile(userId="me").execute()
    status, answer = post_form(
        google,
        {
            "grant_type": "refresh_token",
            "client_id": creds.client_id,
            "client_secret": creds.client_secret,
            "refresh_token": "1//never-issued",
        },
    )
    assert (status, answer) == (
        400,
        {"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
    )


def test_the_token_endpoint_answers_refresh_grants_as_google(google):
    info = google.authorized_user_info(BOT, scopes=["https://www.googleapis.com/auth/drive"])
    fields = {
        "grant_type": "refresh_token",
        "client_id": info["client_id"],
        "client_secret": info["client_secret"],
        "refresh_token": info["refresh_token"],
    }
    status, answer = post_form(google, fields)
    assert status == 200
    assert set(answer) == {"access_token", "expires_in", "scope", "token_type"}
    assert answer["token_type"] == "Bearer" and answer["expires_in"] == 3599
    assert answer["scope"] == "https://www.googleapis.com/auth/drive"
    assert post_form(google, {**fields, "client_id": "other"})[1]["error"] == "invalid_client"
    assert post_form(google, {**fields, "client_secret": "x"})[0] == 401
    assert post_form(google, {**fields, "grant_type": "password"})[1]["error"] == (
        "unsupported_grant_type"
    )


# --- what API requests are answered without a good token --------------------------------------


def test_a_request_without_credentials_is_401_login_required(google):
    status, answer, headers = get(google, "/gmail/v1/users/me/profile")
    error = answer["error"]
    assert (status, error["code"], error["status"]) == (401, 401, "UNAUTHENTICATED")
    assert error["errors"][0] == {
        "message": "Login Required.",
        "domain": "global",
        "reason": "required",
        "location": "Authorization",
        "locationType": "header",
    }
    assert headers["WWW-Authenticate"] == 'Bearer realm="https://accounts.google.com/"'
    status, answer, _ = get(google, "/gmail/v1/users/me/profile", "ya29.unknown")
    assert (status, answer["error"]["errors"][0]["message"]) == (401, "Invalid Credentials")


def test_a_token_without_the_methods_scope_is_403(google):
    token = google.access_token(BOT, ["https://www.googleapis.com/auth/drive.readonly"])
    assert get(google, "/drive/v3/files", token)[0] == 200
    status, answer, headers = get(google, "/gmail/v1/users/me/profile", token)
    assert (status, answer["error"]["errors"][0]["reason"]) == (403, "insufficientPermissions")
    assert 'error="insufficient_scope"' in headers["WWW-Authenticate"]


def test_without_require_auth_no_token_is_needed():
    with FakeGoogle() as google:
        assert get(google, "/drive/v3/files")[0] == 200


# --- users and their mailboxes -----------------------------------------------------------------


def test_me_is_the_tokens_user_with_a_mailbox_each(google):
    google.users.send_email(b"From: a@b.example\nTo: x@y.example\nSubject: one\n\nhi\n")
    google.users.send_email(b"From: a@b.example\nTo: x@y.example\nSubject: two\n\nhi\n", to=STAFF)
    bot = services(google, user_credentials(google, BOT)).gmail
    staff = services(google, user_credentials(google, STAFF)).gmail
    assert bot.users().getProfile(userId="me").execute()["messagesTotal"] == 1
    assert staff.users().getProfile(userId="me").execute()["emailAddress"] == STAFF
    listed = staff.users().messages().list(userId=STAFF).execute()["messages"]
    assert [m["id"] for m in listed] == [
        m.id for m in google.gmail.mailbox(STAFF).messages.values()
    ]
    with pytest.raises(HttpError) as other:
        staff.users().messages().list(userId=BOT).execute()
    assert other.value.status_code == 403


# --- service accounts --------------------------------------------------------------------------


def test_a_service_account_acts_as_its_subject_through_delegation(google):
    creds = service_account_credentials(google, SA, subject=BOT, delegate_to="example.go.id")
    api = services(google, creds, "requests")
    assert api.gmail.users().getProfile(userId="me").execute()["emailAddress"] == BOT
    google.expire_access_tokens()
    assert api.gmail.users().getProfile(userId="me").execute()["emailAddress"] == BOT
    assert google.counts["oauth2.token"] == 2


def test_without_delegation_the_subject_is_refused(google):
    creds = service_account_credentials(google, SA, subject=BOT)
    with pytest.raises(RefreshError, match="unauthorized_client"):
        services(google, creds).drive.files().list().execute()
    narrow = service_account_credentials(
        google,
        "other@local-google.iam.gserviceaccount.com",
        subject=BOT,
        delegate_to=BOT,
        scopes=["https://www.googleapis.com/auth/drive"],  # gmail.modify not granted
    )
    with pytest.raises(RefreshError, match="unauthorized_client"):
        services(google, narrow).drive.files().list().execute()


def test_a_service_account_has_no_mailbox_of_its_own(google):
    api = services(google, service_account_credentials(google, SA))
    with pytest.raises(HttpError) as error:
        api.gmail.users().getProfile(userId="me").execute()
    assert (error.value.status_code, error.value.error_details[0]["reason"]) == (
        400,
        "failedPrecondition",
    )


def _assertion(claims: dict, key_pem: str) -> str:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(claims).encode())
    key = serialization.load_pem_private_key(key_pem.encode(), None)
    signature = key.sign(f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{head}.{body}.{b64(signature)}"


def test_the_jwt_grant_checks_signature_audience_times_and_scope(google, now):
    info = google.service_account_info(SA, delegate_to=["example.go.id", "dinkes.example.go.id"])
    good = {
        "iss": SA,
        "aud": "https://oauth2.googleapis.com/token",
        "scope": "https://www.googleapis.com/auth/drive",
        "iat": int(now[0]),
        "exp": int(now[0]) + 3600,
        "sub": STAFF,
    }

    def grant(claims: dict, key: str = info["private_key"]) -> tuple[int, dict]:
        return post_form(
            google,
            {
                "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                "assertion": _assertion(claims, key),
            },
        )

    status, answer = grant(good)
    assert status == 200 and google.auth.tokens[answer["access_token"]].email == STAFF
    other_key = google.service_account_info("x@y.iam.gserviceaccount.com")["private_key"]
    assert grant(good, other_key)[1]["error_description"] == "Invalid JWT Signature."
    assert "audience" in grant({**good, "aud": "https://example.org/"})[1]["error_description"]
    assert grant({**good, "exp": int(now[0]) + 7200})[1]["error"] == "invalid_grant"
    assert grant({**good, "iat": int(now[0]) - 7200, "exp": int(now[0]) - 3600})[0] == 400
    assert grant({**good, "scope": ""})[1] == {
        "error": "invalid_scope",
        "error_description": "Empty or missing scope not allowed.",
    }
    assert grant({**good, "sub": "someone@elsewhere.example"})[0] == 401
