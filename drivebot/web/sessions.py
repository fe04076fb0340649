"""The dashboard's small session helpers: CSRF tokens, waiting words, safe destinations."""

from __future__ import annotations

import hmac
import posixpath
import secrets
from datetime import datetime, timedelta

from flask import request, session

from drivebot.clock import Clock
from drivebot.state.accounts import Account
from drivebot.state.store import Store
from drivebot.web.accounts import session_stamp

PREFIX = "/dasbor"


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    token: str = session["csrf"]
    return token


def csrf_ok() -> bool:
    expected = session.get("csrf")
    given = request.form.get("csrf", "")
    return bool(expected) and hmac.compare_digest(str(expected).encode(), given.encode())


def wait_words(words: dict[str, str], seconds: int) -> str:
    if seconds >= 120:
        return words["wait_minutes"].format(minutes=(seconds + 59) // 60)
    return words["wait"].format(seconds=seconds)


def safe_next(target: str) -> str:
    """Where to go after signing in: a page of the dashboard, never another site."""
    path = posixpath.normpath(target) + ("/" if target.endswith("/") else "")
    if (
        target == path
        and target.isprintable()
        and target.startswith(PREFIX + "/")
        and not target.startswith("//")
    ):
        return target
    return PREFIX + "/"


def signed_in(store: Store, clock: Clock, lifetime: timedelta) -> Account | None:
    """The session's account, while the session is open and young enough and the account is
    unchanged since signing in."""
    token = session.get("sid")
    found = store.session(token) if isinstance(token, str) else None
    if found is None:
        return None
    if not timedelta(0) <= clock() - datetime.fromisoformat(found.started_at) < lifetime:
        return None
    account = store.account(found.email)
    if account is None or not account.active:
        return None
    return account if hmac.compare_digest(session_stamp(account), found.stamp) else None
