"""The HTTP under the Google client: every request sent exactly once.

httplib2, the client library's default transport, sends a request a second time, POSTs
included, when the connection closes before the answer arrives (its RETRIES loop, and a
"stale connection" retry it makes whatever RETRIES says). A lost answer to messages.send
then sends the e-mail twice; one to files.create makes a second file. This transport keeps
httplib2's interface (what googleapiclient calls) over `requests`, with urllib3 allowed to
retry only a connection that was never made: once a request has gone out, a lost answer is an
error for drivebot to judge, after looking whether the call took effect.

Authentication is google-auth's AuthorizedSession: it refreshes an expired access token through
the credentials' token endpoint and sends a request again only after a 401 (which Google
answers before doing anything).
"""

from __future__ import annotations

from typing import Any

import httplib2
import requests
from google.auth.transport.requests import AuthorizedSession
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

# Connecting may be retried (nothing was sent); reading never is.
_RETRY = Retry(total=2, connect=2, read=0, redirect=0, status=0, other=0)
TIMEOUT = (10.0, 120.0)  # seconds to connect, seconds to wait for each read


class OnceHttp:
    """What googleapiclient uses as `http`: `request(uri, method, body, headers)` returning
    (httplib2.Response, bytes)."""

    def __init__(self, credentials: Any | None = None, timeout: tuple[float, float] = TIMEOUT):
        self.session: requests.Session = (
            AuthorizedSession(credentials) if credentials is not None else requests.Session()
        )
        adapter = HTTPAdapter(max_retries=_RETRY)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self.timeout = timeout

    def request(
        self,
        uri: str,
        method: str = "GET",
        body: Any = None,
        headers: dict[str, str] | None = None,
        redirections: int = 5,
        connection_type: Any = None,
    ) -> tuple[httplib2.Response, bytes]:
        # Resumable uploads read 308 themselves; only plain reads follow redirects.
        try:
            answer = self.session.request(
                method,
                uri,
                data=body,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=method in ("GET", "HEAD"),
            )
        except requests.Timeout as exc:
            raise TimeoutError(str(exc)) from exc
        except requests.ConnectionError as exc:
            # As the built-in error, which the client's retry loop knows: it retries only the
            # calls drivebot lets it retry (never one that creates or sends).
            raise ConnectionError(str(exc)) from exc
        fields: dict[str, str] = {key.lower(): value for key, value in answer.headers.items()}
        fields["status"] = str(answer.status_code)
        response = httplib2.Response(fields)
        response.reason = answer.reason or ""
        return response, answer.content

    def close(self) -> None:
        self.session.close()
