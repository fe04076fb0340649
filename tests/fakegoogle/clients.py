"""Real client-library services for the local Google's own tests, optionally with google-auth
credentials (over google_auth_httplib2, or over requests' AuthorizedSession as drivebot's
transport does)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import google_auth_httplib2
import httplib2
from googleapiclient.discovery import Resource, build_from_document
from googleapiclient.discovery_cache import get_static_doc

from fakegoogle.server import FakeGoogle


class _SessionHttp:
    """httplib2's interface over a requests session (enough for googleapiclient)."""

    def __init__(self, session: Any):
        self.session = session

    def request(
        self, uri: str, method: str = "GET", body: Any = None, headers: Any = None, **_: Any
    ) -> tuple[httplib2.Response, bytes]:
        answer = self.session.request(
            method, uri, data=body, headers=headers, allow_redirects=False
        )
        fields = {key.lower(): value for key, value in answer.headers.items()}
        fields["status"] = str(answer.status_code)
        return httplib2.Response(fields), answer.content


@dataclass
class Services:
    drive: Resource
    gmail: Resource
    http: Any


def document(google: FakeGoogle, name: str, version: str) -> dict[str, Any]:
    doc = json.loads(get_static_doc(name, version))
    doc["rootUrl"] = google.url
    return doc


def services(google: FakeGoogle, credentials: Any = None, transport: str = "httplib2") -> Services:
    """The two APIs over `transport`: "httplib2" (which resends a request, POSTs included, when
    the connection closes before an answer) or "requests" (which sends each request once)."""
    if credentials is None and transport == "requests":
        import requests

        http: Any = _SessionHttp(requests.Session())
    elif credentials is None:
        http = httplib2.Http()
    elif transport == "httplib2":
        http = google_auth_httplib2.AuthorizedHttp(credentials, http=httplib2.Http())
    else:
        from google.auth.transport.requests import AuthorizedSession

        http = _SessionHttp(AuthorizedSession(credentials))
    return Services(
        build_from_document(document(google, "drive", "v3"), http=http),
        build_from_document(document(google, "gmail", "v1"), http=http),
        http,
    )


def user_credentials(google: FakeGoogle, email: str, **kwargs: Any) -> Any:
    from google.oauth2.credentials import Credentials

    info = google.authorized_user_info(email, **kwargs)
    # google-auth sets Google's own token_uri whatever the info says.
    return Credentials.from_authorized_user_info(info).with_token_uri(google.token_uri)


def service_account_credentials(
    google: FakeGoogle, client_email: str, subject: str | None = None, **kwargs: Any
) -> Any:
    from google.oauth2 import service_account

    from fakegoogle.auth import DEFAULT_SCOPES

    info = google.service_account_info(client_email, **kwargs)
    creds = service_account.Credentials.from_service_account_info(info, scopes=DEFAULT_SCOPES)
    return creds.with_subject(subject) if subject else creds
