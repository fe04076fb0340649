"""drivebot.toml -> typed settings. Every problem is reported as one ConfigError naming the key."""

from __future__ import annotations

import difflib
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from drivebot import config_deadlines, config_web
from drivebot.checks.limits import Limits
from drivebot.deadlines import Settings, default_limits
from drivebot.errors import ConfigError, Term
from drivebot.flows import Folder, ProductType
from drivebot.workdays import WorkCalendar

CONFIG_NAME = "drivebot.toml"

DEFAULT_FOLDERS: dict[Folder, str] = {
    Folder.INBOX: "00 Masuk",
    Folder.REVIEW: "01 Pemeriksaan",
    Folder.REVISION: "02 Perbaikan",
    Folder.APPROVED: "03 Disetujui",
    Folder.FINAL: "04 Final",
    Folder.ARCHIVE: "05 Arsip",
    Folder.SUPERSEDED: "06 Versi Lama",
    Folder.ENDED: "07 Ditutup",
    Folder.QUARANTINE: "99 Karantina",
}

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass(frozen=True)
class Person:
    name: str
    email: str


@dataclass(frozen=True)
class Opd:
    name: str
    emails: tuple[str, ...]
    folder: str


@dataclass(frozen=True)
class GoogleSettings:
    root_folder_id: str = ""
    shared_drive_id: str = ""
    folder_ids: dict[str, str] = field(default_factory=dict)
    token_file: str = "google-token.json"
    client_secrets_file: str = "credentials.json"
    web_client_file: str = "web-client.json"  # the dashboard's Google sign-in (web.google_signin)
    service_account_file: str = ""
    subject: str = ""
    api_endpoint: str = ""  # tests and benchmarks point the client at a local server...
    token_uri: str = ""  # ...and its token endpoint (a saved login's own is not believed)


@dataclass(frozen=True)
class Config:
    workspace: Path
    backend: str
    language: str
    poll_interval_seconds: int
    max_attachment_mb: int
    settle_seconds: float
    digest_time: str
    alert_after_minutes: int
    mail_retention_days: int
    reviewer_rotation: bool
    registration_prefix: str
    org_name: str
    org_short_name: str
    org_email: str
    mail_domain: str
    watermark: str
    verify_url_base: str
    # The web app's public address ([web] base_url): tracking and dashboard links start with
    # it; None (a configuration from before [web]): e-mails carry neither (drivebot.config_web).
    base_url: str | None
    show_reviewer_names: bool  # on the OPDs' tracking pages ([web]; off: "Pemeriksa")
    qr_mm: float
    # Who authenticates the copies ("Salinan sesuai dengan aslinya"): [stamp] authenticator_*.
    authenticator: tuple[str, str, str, str]  # title, name, rank, NIP; empty where not given
    numbering_start: dict[ProductType, int]
    tte: bool  # the regency signs electronically: finals are stamped before signing
    default_product_type: ProductType
    folders: dict[Folder, str]
    opds: tuple[Opd, ...]
    reviewers: tuple[Person, ...]
    admins: tuple[Person, ...]
    google: GoogleSettings
    state_file: Path
    tz: tzinfo | None = None  # for every time shown to people; None: the system's time zone
    # Time limits per stage and the office's working days (drivebot.config_deadlines).
    deadlines: Settings = field(default_factory=lambda: Settings(default_limits()))
    calendar: WorkCalendar = field(default_factory=WorkCalendar)

    @property
    def max_attachment_bytes(self) -> int:
        return self.max_attachment_mb * 1024 * 1024

    @property
    def limits(self) -> Limits:
        """What intake reads of one input, at most (drivebot.checks.limits)."""
        return Limits(file_bytes=self.max_attachment_bytes)

    def opd_for_address(self, address: str) -> Opd | None:
        address = address.strip().lower()
        return next((opd for opd in self.opds if address in opd.emails), None)

    def opd_by_folder(self, folder: str) -> Opd | None:
        """The OPD whose inbox folder this is (the same name in NFC or NFD form matches)."""
        wanted = unicodedata.normalize("NFC", folder)
        return next(
            (o for o in self.opds if unicodedata.normalize("NFC", o.folder) == wanted), None
        )

    def opd_by_name(self, name: str) -> Opd | None:
        return next((opd for opd in self.opds if opd.name == name), None)


# Every setting drivebot reads, table by table ("" is the top level): a name not listed is a
# typo, and is refused with the nearest listed name, since a misspelt [[reviewer]] would
# otherwise leave the reviewers untold without a word.
TABLES = ("organization", "stamp", "web", "numbering", "folders", "google", "deadlines", "calendar")
ARRAYS = ("opd", "reviewer", "admin")
SETTINGS: dict[str, frozenset[str]] = {
    "": frozenset({
        "backend", "language", "poll_interval_seconds", "max_attachment_mb", "settle_seconds",
        "digest_time", "alert_after_minutes", "registration_prefix", "default_product_type",
        "state_file", "timezone", "tte", "mail_retention_days", "reviewer_rotation", *TABLES,
        *ARRAYS,
    }),
    "organization": frozenset({"name", "short_name", "email"}),
    "stamp": frozenset(
        {"watermark", "verify_url_base", "qr_mm", "authenticator_title", "authenticator_name",
         "authenticator_rank", "authenticator_nip"}
    ),
    "web": frozenset({"base_url", "show_reviewer_names"}),
    "numbering": frozenset(t.value for t in ProductType),
    "folders": frozenset(f.value for f in Folder),
    "google": frozenset({
        "root_folder_id", "shared_drive_id", "folder_ids", "token_file", "client_secrets_file",
        "service_account_file", "subject", "api_endpoint", "token_uri", "web_client_file",
    }),
    "opd": frozenset({"name", "emails", "folder"}),
    "reviewer": frozenset({"name", "email"}),
    "admin": frozenset({"name", "email"}),
    **config_deadlines.DEADLINE_SETTINGS,
}  # fmt: skip
KINDS = {str: "str", int: "int", float: "float", list: "list", dict: "dict", bool: "bool"}


class _Reader:
    """Reads typed values out of one TOML table, naming the full key in every error. A name
    the table may not hold is refused as soon as the table is opened."""

    def __init__(self, table: dict[str, Any], where: str, settings: str):
        self.table = table
        self.where = where
        self.known = SETTINGS[settings]
        unknown = sorted(set(table) - self.known)
        if unknown:
            name = unknown[0]
            near = difflib.get_close_matches(name, self.known, n=1, cutoff=0.6)
            if near:
                raise ConfigError(
                    "config_unknown_near",
                    file=CONFIG_NAME,
                    name=self._shown(name, table[name]),
                    nearest=self._shown(near[0], table[name]),
                )
            raise ConfigError(
                "config_unknown",
                file=CONFIG_NAME,
                name=self._shown(name, table[name]),
                known=", ".join(sorted(self.known)),
            )

    def _shown(self, name: str, value: Any) -> str:
        """How the file spells a name: [table], [[entry]] or a key of its table."""
        if not self.where:
            if name in TABLES or isinstance(value, dict):
                return f"[{name}]"
            if name in ARRAYS or (isinstance(value, list) and value and isinstance(value[0], dict)):
                return f"[[{name}]]"
        return f"{self.where}{name}"

    def fail(self, error: str, key: str, **values: object) -> ConfigError:
        return ConfigError(error, file=CONFIG_NAME, at=f"{self.where}{key}", **values)

    def get(self, key: str, kind: type, default: Any = None, required: bool = False) -> Any:
        assert key in self.known, f"{key} is missing from SETTINGS"  # a programming error
        if key not in self.table:
            if required:
                raise self.fail("config_missing", key)
            return default
        value = self.table[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.fail("config_type", key, kind=Term(f"error.kind.{KINDS[kind]}"),
                            value=repr(value))  # fmt: skip
        if isinstance(value, str) and required and not value.strip():
            raise self.fail("config_empty", key)
        return value

    def email(self, key: str, value: Any = None) -> str:
        value = self.get(key, str, required=True) if value is None else value
        if not isinstance(value, str) or not _EMAIL.match(value.strip()):
            raise self.fail("config_email", key, value=repr(value))
        return value.strip().lower()

    def positive(self, key: str, kind: type, default: Any) -> Any:
        value = self.get(key, kind, default)
        if value <= 0:
            raise self.fail("config_positive", key, value=value)
        return value

    def table_of(self, key: str, settings: str | None = None) -> _Reader:
        value = self.get(key, dict, {})
        return _Reader(value, f"{self.where}[{key}] ", settings or key)

    def tables(self, key: str) -> list[_Reader]:
        value = self.get(key, list, [])
        if not all(isinstance(item, dict) for item in value):
            raise self.fail("config_entries", key, name=key)
        return [_Reader(item, f"[[{key}]] #{n} ", key) for n, item in enumerate(value, start=1)]


def _people(root: _Reader, key: str) -> tuple[Person, ...]:
    return tuple(
        Person(r.get("name", str, required=True), r.email("email")) for r in root.tables(key)
    )


def _opds(root: _Reader) -> tuple[Opd, ...]:
    opds = []
    for r in root.tables("opd"):
        name = r.get("name", str, required=True)
        emails = r.get("emails", list, required=True)
        if not emails:
            raise r.fail("config_no_address", "emails")
        addresses = tuple(r.email("emails", value) for value in emails)
        folder = r.get("folder", str, name)
        if "/" in folder or folder.strip() in ("", ".", ".."):
            raise r.fail("config_folder_name", "folder", value=repr(folder))
        opds.append(Opd(name, addresses, folder))
    _unique([opd.name for opd in opds], "[[opd]] name")
    _unique([opd.folder for opd in opds], "[[opd]] folder")
    _unique([a for opd in opds for a in opd.emails], "[[opd]] emails")
    return tuple(opds)


def _unique(values: list[str], key: str) -> None:
    seen = set()
    for value in values:
        if value in seen:
            raise ConfigError("config_duplicate", file=CONFIG_NAME, at=key, value=repr(value))
        seen.add(value)


def _folders(root: _Reader) -> dict[Folder, str]:
    table = root.table_of("folders")
    folders = {
        role: table.get(role.value, str, default) for role, default in DEFAULT_FOLDERS.items()
    }
    _unique(list(folders.values()), "[folders]")
    return folders


def _numbering(root: _Reader) -> dict[ProductType, int]:
    table = root.table_of("numbering")
    return {kind: table.positive(kind.value, int, 1) for kind in ProductType}


def _choice(reader: _Reader, key: str, default: str, choices: tuple[str, ...]) -> str:
    value = reader.get(key, str, default)
    if value not in choices:
        raise reader.fail("config_choice", key, value=repr(value), choices=", ".join(choices))
    return value


def _google(root: _Reader) -> GoogleSettings:
    table = root.table_of("google")
    ids = table.get("folder_ids", dict, {})
    return GoogleSettings(
        root_folder_id=table.get("root_folder_id", str, ""),
        shared_drive_id=table.get("shared_drive_id", str, ""),
        folder_ids={str(k): str(v) for k, v in ids.items()},
        token_file=table.get("token_file", str, "google-token.json"),
        client_secrets_file=table.get("client_secrets_file", str, "credentials.json"),
        web_client_file=table.get("web_client_file", str, "web-client.json"),
        service_account_file=table.get("service_account_file", str, ""),
        subject=table.get("subject", str, ""),
        api_endpoint=table.get("api_endpoint", str, ""),
        token_uri=table.get("token_uri", str, ""),
    )


def parse(data: dict[str, Any], workspace: Path) -> Config:
    root = _Reader(data, "", "")
    org = root.table_of("organization")
    stamp = root.table_of("stamp")
    email = org.email("email")
    digest_time = root.get("digest_time", str, "07:30")
    if not _HHMM.match(digest_time):
        raise root.fail("config_time", "digest_time", value=repr(digest_time))
    prefix = root.get("registration_prefix", str, "HK")
    if not re.fullmatch(r"[A-Z0-9]{1,8}", prefix):
        raise root.fail("config_prefix", "registration_prefix")
    web = root.table_of("web")
    base_url, verify = config_web.addresses(web, stamp)
    qr_mm = stamp.positive("qr_mm", float, 25.0)
    if qr_mm < 25:
        raise stamp.fail("config_qr", "qr_mm")
    opds = _opds(root)
    if not opds:
        raise ConfigError("config_no_opd", file=CONFIG_NAME)
    admins = _people(root, "admin")
    if not admins:
        raise ConfigError("config_no_admin", file=CONFIG_NAME)
    return Config(
        workspace=workspace,
        backend=_choice(root, "backend", "local", ("local", "google")),
        language=_choice(root, "language", "id", ("id", "en")),
        poll_interval_seconds=root.positive("poll_interval_seconds", int, 60),
        max_attachment_mb=root.positive("max_attachment_mb", int, 25),
        settle_seconds=root.get("settle_seconds", float, 2.0),
        digest_time=digest_time,
        alert_after_minutes=root.positive("alert_after_minutes", int, 30),
        mail_retention_days=root.positive("mail_retention_days", int, 90),
        reviewer_rotation=root.get("reviewer_rotation", bool, False),
        registration_prefix=prefix,
        org_name=org.get("name", str, required=True),
        org_short_name=org.get("short_name", str, org.get("name", str, required=True)),
        org_email=email,
        mail_domain=email.split("@", 1)[1],
        watermark=stamp.get("watermark", str, "SALINAN SAH"),
        verify_url_base=verify,
        base_url=base_url,
        show_reviewer_names=web.get("show_reviewer_names", bool, False),
        qr_mm=qr_mm,
        authenticator=(
            stamp.get("authenticator_title", str, "Kepala Bagian Hukum"),
            stamp.get("authenticator_name", str, ""),
            stamp.get("authenticator_rank", str, ""),
            stamp.get("authenticator_nip", str, ""),
        ),
        numbering_start=_numbering(root),
        tte=root.get("tte", bool, False),
        default_product_type=ProductType(
            _choice(root, "default_product_type", "perbup", tuple(t.value for t in ProductType))
        ),
        folders=_folders(root),
        opds=opds,
        reviewers=_people(root, "reviewer"),
        admins=admins,
        google=_google(root),
        state_file=workspace / root.get("state_file", str, "drivebot.sqlite3"),
        tz=_timezone(root),
        deadlines=config_deadlines.deadlines(root),
        calendar=config_deadlines.calendar(root),
    )


def _timezone(root: _Reader) -> tzinfo | None:
    name = root.get("timezone", str, "")
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise root.fail("config_timezone", "timezone", value=repr(name)) from None


def load(workspace: Path) -> Config:
    path = workspace / CONFIG_NAME
    if not path.is_file():
        raise ConfigError("no_workspace", ws=workspace)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("config_toml", file=CONFIG_NAME, detail=exc) from None
    except UnicodeDecodeError:
        raise ConfigError("config_not_utf8", file=CONFIG_NAME) from None
    return parse(data, workspace)
