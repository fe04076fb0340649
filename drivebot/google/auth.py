"""Signing in to Google: the saved login (or a service account), and `drivebot auth`.

The login is read from the workspace once per command and shared by the Drive and Gmail
clients. It is not refreshed when it is read: the transport refreshes an expired access token
on the first request (so a network outage at start is a wait, not a stop), and a refused
refresh (a revoked login) is a ConfigError that stops drivebot with one message.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from drivebot.config import CONFIG_NAME, GoogleSettings
from drivebot.errors import ConfigError

SCOPES = [
    # Read, move, lock and export files other people uploaded, and read their comments:
    # drive.file only covers files the app created, drive.readonly cannot move or lock.
    "https://www.googleapis.com/auth/drive",
    # Read the inbox and its history, label messages and send replies; messages.modify accepts
    # no narrower scope, and this one also covers reading, sending and creating labels.
    "https://www.googleapis.com/auth/gmail.modify",
]


def _token_path(settings: GoogleSettings, workspace: Path) -> Path:
    return workspace / settings.token_file


def load_credentials(settings: GoogleSettings, workspace: Path) -> Any:
    """The saved login: a service account acting as `subject` (domain-wide delegation) when
    `service_account_file` is set, else the authorized-user token `drivebot auth` saved."""
    if settings.service_account_file:
        from google.oauth2 import service_account

        if not settings.subject:
            raise ConfigError("subject_missing", file=CONFIG_NAME)
        path = workspace / settings.service_account_file
        try:
            creds = service_account.Credentials.from_service_account_file(str(path), scopes=SCOPES)
        except (OSError, ValueError) as exc:
            raise ConfigError(
                "service_account_unusable", file=CONFIG_NAME, path=path, detail=exc
            ) from None
        return creds.with_subject(settings.subject)
    from google.oauth2.credentials import Credentials

    path = _token_path(settings, workspace)
    if not path.is_file():
        raise ConfigError("no_login", path=path)
    try:
        # Without a scopes argument, so the scopes the login was granted are the ones checked.
        creds = Credentials.from_authorized_user_file(str(path))
    except (ValueError, json.JSONDecodeError) as exc:
        raise ConfigError("not_a_login", path=path, detail=exc) from None
    if settings.token_uri:
        # google-auth refreshes a saved login at Google's endpoint whatever the file says (a
        # file cannot send the refresh token elsewhere); a local test server names its own here.
        creds = creds.with_token_uri(settings.token_uri)
    if not creds.has_scopes(SCOPES):
        raise ConfigError("login_lacks_scopes", path=path)
    return creds


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
        raise ConfigError("no_client_file", path=secrets)
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
