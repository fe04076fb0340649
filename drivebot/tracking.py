"""An OPD's tracking link to one draft: `<[web] base_url>lacak/<token>`; and the dashboard's
page of a draft, which the division's e-mails link.

The token is "<registration number>.<generation>.<MAC>": the MAC is 128 bits of HMAC-SHA256
under the workspace's tracking key (KEY_NAME) over the other two parts, so a link cannot be
guessed or made for another draft, not even by someone holding a copy of the state store.
Renewing a draft's link (`drivebot link REG --renew`) raises its generation: every link sent
before stops working. Generation 0 needs no row in the store, so rendering an e-mail never
writes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

KEY_NAME = "keys/tracking.key"  # under keys/, kept by `drivebot backup` with the signing key
PATH = "lacak/"
_TOKEN = re.compile(r"([A-Z0-9]{1,8}-\d{4}-\d{1,8})\.(0|[1-9]\d{0,5})\.([A-Za-z0-9_-]{22})")


def token(key: bytes, reg: str, generation: int) -> str:
    return f"{reg}.{generation}.{_mac(key, reg, generation)}"


def link(base_url: str, key: bytes, reg: str, generation: int) -> str:
    return f"{base_url}{PATH}{token(key, reg, generation)}"


def dashboard_link(base_url: str, reg: str) -> str:
    """The draft's page on the dashboard (drivebot.web.dashboard serves it)."""
    return f"{base_url}dasbor/rancangan/{reg}"


def read(key: bytes, given: str) -> tuple[str, int] | None:
    """(registration number, generation) of a genuine token, else None. The caller still
    compares the generation with the draft's current one (a renewed link is revoked)."""
    found = _TOKEN.fullmatch(given)
    if found is None:
        return None
    reg, generation = found.group(1), int(found.group(2))
    if not hmac.compare_digest(_mac(key, reg, generation), found.group(3)):
        return None
    return reg, generation


def _mac(key: bytes, reg: str, generation: int) -> str:
    digest = hmac.new(key, f"lacak\n{reg}\n{generation}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")
