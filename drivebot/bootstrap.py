"""The one place that turns a configuration into concrete parts, building only what is asked.

Read-only commands get a read-only store and never touch Google; commands that change something
get the whole `App` with the configured backend's adapters. The Google client library is
imported only when the Google backend is built.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from drivebot.app.archive_commands import ArchiveCommands
from drivebot.app.lock import WorkspaceLock
from drivebot.archive.archiver import Archiver
from drivebot.clock import Clock, system_clock
from drivebot.config import Config
from drivebot.drive import DrivePort
from drivebot.errors import ConfigError
from drivebot.gmail import MailboxPort
from drivebot.local import LocalDrive, LocalMailbox
from drivebot.state.store import Store

if TYPE_CHECKING:  # the application (daemon, mail, templates) is imported by app() alone
    from flask import Flask

    from drivebot.app.application import App
    from drivebot.web.dashboard import GoogleSetup


def store(config: Config, clock: Clock = system_clock, readonly: bool = False) -> Store:
    return Store(config.state_file, clock, readonly=readonly)


def drive(config: Config, creds: Any = None) -> DrivePort:
    """The Drive port; on Google with the login `creds` (read now when not given)."""
    if config.backend == "google":
        from drivebot.drive import GoogleDrive
        from drivebot.google_api import credentials, drive_client

        login = creds if creds is not None else credentials(config.google, config.workspace)
        client = drive_client(config.google, config.workspace, creds=login)
        return GoogleDrive(client, config.google, config.folders)
    return LocalDrive(config.workspace / "drive", config.folders, config.settle_seconds)


def mailbox(config: Config, creds: Any = None) -> MailboxPort:
    """The mailbox port; on Google with the login `creds` (read now when not given)."""
    if config.backend == "google":
        from drivebot.gmail import GmailMailbox
        from drivebot.google_api import credentials, gmail_client

        login = creds if creds is not None else credentials(config.google, config.workspace)
        return GmailMailbox(gmail_client(config.google, config.workspace, creds=login))
    return LocalMailbox(config.workspace / "mail")


def archive_commands(
    config: Config, on_lock_wait: Callable[[], None] = lambda: None
) -> ArchiveCommands:
    """What revoke, stamp and import-archive need: the store, the Drive and the lock (no mail,
    so no Gmail login)."""
    state = store(config)
    folders = drive(config)
    return ArchiveCommands(
        WorkspaceLock(config.workspace, on_lock_wait), lambda: Archiver(config, state, folders)
    )


def app(
    config: Config, clock: Clock = system_clock, on_lock_wait: Callable[[], None] = lambda: None
) -> App:
    """Everything the daemon and the commands that change something need (one Google login,
    read once, shared by Drive and Gmail)."""
    from drivebot.app.application import App

    creds = None
    if config.backend == "google":
        from drivebot.google_api import credentials

        creds = credentials(config.google, config.workspace)
    return App(
        config,
        store(config, clock),
        drive(config, creds),
        mailbox(config, creds),
        clock,
        on_lock_wait,
    )


def web(config: Config, lang: str, clock: Clock = system_clock) -> Flask:
    """`drivebot serve`'s site: the verification pages and the dashboard, each serving thread
    reading through its own read-only connection to the store (no Drive, no mail). Fails at
    once, before serving, if the workspace's archive cannot be read."""
    from urllib.parse import urlparse

    from drivebot.app.health import check
    from drivebot.archive.reader import ArchiveReader
    from drivebot.web.app import create_app
    from drivebot.web.dashboard import DashboardSetup, session_key

    def reader() -> ArchiveReader:
        return ArchiveReader.open(config, store(config, readonly=True))

    def health() -> list[str]:
        state = store(config, readonly=True)
        try:
            return [problem.key for problem in check(config, state, clock)]
        finally:
            state.close()

    return create_app(
        lambda: reader().ledger,
        reader().public_key,
        urlparse(config.verify_url_base).path or "/",
        lang,
        config.org_name,
        config.max_attachment_mb,
        health=health,
        dashboard=DashboardSetup(
            open_store=lambda: store(config, clock, readonly=True),
            open_sessions=lambda: store(config, clock),
            open_commands=lambda: app(config, clock).commands,
            config=config,
            secret_key=session_key(config.workspace),
            secure_cookies=(config.base_url or config.verify_url_base).startswith("https://"),
            clock=clock,
            google=_google_sign_in(config),
        ),
    )


# Seconds a sign-in waits for Google's token endpoint and keys: a serving thread waits as long.
GOOGLE_SIGN_IN_TIMEOUT = 8


def _google_sign_in(config: Config) -> GoogleSetup | None:
    """On the Google backend with a web client file in the workspace: the dashboard's sign-in
    with Google (else local accounts sign in with passwords)."""
    from drivebot.state.accounts import Role
    from drivebot.web import google_signin
    from drivebot.web.dashboard import GoogleSetup

    path = config.workspace / config.google.web_client_file
    if config.backend != "google" or not path.is_file():
        return None
    if config.base_url is None:
        raise ConfigError("web_client_needs_base_url")
    roles = {p.email.lower(): Role.REVIEWER for p in config.reviewers}
    roles.update({p.email.lower(): Role.ADMIN for p in config.admins})

    def http() -> google_signin.Http:
        import google_auth_httplib2
        import httplib2

        return google_auth_httplib2.Request(httplib2.Http(timeout=GOOGLE_SIGN_IN_TIMEOUT))

    return GoogleSetup(
        client=google_signin.load_client(path),
        redirect_uri=f"{config.base_url}dasbor/{google_signin.CALLBACK}",
        http=http,
        role_of=lambda email: roles.get(email.lower()),
    )
