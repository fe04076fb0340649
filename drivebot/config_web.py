"""Reading the web app's addresses from drivebot.toml (drivebot.config).

[web]
base_url = "https://jdih.sbtkab.example/"   # the site's root, where `drivebot serve` answers

The verification pages are at base_url + "verifikasi/" unless [stamp] verify_url_base says
otherwise. That older key came first, and QR codes already printed carry it, so it keeps
working, and may name another site (a regency that serves the pages `drivebot publish`
writes from its own JDIH server). A configuration with only verify_url_base has no base_url:
the dashboard and the tracking pages are still served, but e-mails carry no links to them (a
guessed address could lead the OPDs to a server that does not have them).

base_url is a site's root, not a path under it: the dashboard (/dasbor/) and the tracking
pages (/lacak/) are served at the root of the host the proxy forwards.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from drivebot.config import _Reader

_URL = re.compile(r"https?://[A-Za-z0-9.-]+(:\d{1,5})?(/[^\s?#]*)?")


def addresses(web: _Reader, stamp: _Reader) -> tuple[str | None, str]:
    """(base_url, the verification links' base), each ending in "/"."""
    base = web.get("base_url", str)
    verify = stamp.get("verify_url_base", str)
    for reader, key, url in ((web, "base_url", base), (stamp, "verify_url_base", verify)):
        if url is not None and not _URL.fullmatch(url):
            raise reader.fail("config_url", key, value=repr(url))
    if base is None and verify is None:
        raise web.fail("config_missing", "base_url")
    if base is not None and urlsplit(base).path.strip("/"):
        raise web.fail("config_base_path", "base_url", value=repr(base))
    base = base.rstrip("/") + "/" if base else None
    verify = (verify or f"{base}verifikasi/").rstrip("/") + "/"
    return base, verify
