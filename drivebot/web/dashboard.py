"""The dashboard for reviewers and admins, under /dasbor/: signed in, on the same server and
store as the verification pages (which stay public).

Sign-in is with a local account (`drivebot user add`; drivebot.web.accounts checks the
password and slows repeated failures). The session is Flask's signed cookie, named for the
dashboard and sent only under /dasbor/ (never to the verification pages): HttpOnly,
SameSite=Lax, Secure whenever the site's address is https, ending SESSION_HOURS after sign-in
or as soon as the account's password or role changes or it is removed (drivebot.web.accounts'
session stamp is checked on every request). Every form carries the session's CSRF token; a
POST without it is refused before anything else looks at it.

Pages: the board (drivebot.web.board), a draft's page (drivebot.web.draft_page) with the
versions' stored copies as downloads and the commands a reviewer or admin may give
(drivebot.web.draft_commands). The pages read through each serving thread's own read-only
connection to the state store; a command goes through the application, as the CLI's do.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    g,
    get_flashed_messages,
    redirect,
    request,
    send_file,
    session,
    url_for,
)
from werkzeug.wrappers.response import Response

from drivebot import i18n
from drivebot.app.clocks import clock_of
from drivebot.app.commands import Commands
from drivebot.app.register import registers
from drivebot.clock import Clock, iso_utc, system_clock
from drivebot.config import Config
from drivebot.errors import Explained
from drivebot.events import Rejected
from drivebot.files import workspace_key
from drivebot.flows import is_open
from drivebot.state.accounts import Account, Role
from drivebot.state.rows import Draft
from drivebot.state.store import Store
from drivebot.web import board, draft_commands, draft_page, exports, figures, google_signin
from drivebot.web.accounts import (
    CLIENT_FREE_FAILURES,
    FREE_FAILURES,
    Throttle,
    password_matches,
    session_stamp,
)
from drivebot.web.pages import render_page
from drivebot.web.sessions import (
    PREFIX,
    csrf_ok,
    csrf_token,
    safe_next,
    signed_in,
    wait_words,
)
from drivebot.web.svg import bar_chart
from drivebot.web.threads import per_thread

log = logging.getLogger(__name__)
SESSION_KEY_NAME = "keys/dashboard_session.key"  # kept by `drivebot backup`
SESSION_HOURS = 8  # a working day; then sign in again
_LIFETIME = timedelta(hours=SESSION_HOURS)
CLIENT_FREE = CLIENT_FREE_FAILURES
# reachable without a session
_OPEN_ENDPOINTS = {"dashboard.sign_in", "dashboard.google_start", "dashboard.google_back"}


@dataclass(frozen=True)
class GoogleSetup:
    """Signing in with Google (drivebot.web.google_signin), on the Google backend."""

    client: google_signin.WebClient
    redirect_uri: str  # base_url + "dasbor/" + google_signin.CALLBACK
    http: Callable[[], google_signin.Http]  # a new google-auth transport request per sign-in
    role_of: Callable[[str], Role | None]  # from drivebot.toml's [[admin]] and [[reviewer]]


@dataclass
class DashboardSetup:
    open_store: Callable[[], Store]  # read-only; called once per serving thread
    open_sessions: Callable[[], Store]  # one that writes: signing in and out, nothing else
    # The application's commands (a store that writes, the Drive, the mailbox), for a draft
    # page's buttons; built on a thread's first command. None: the pages only read.
    open_commands: Callable[[], Commands] | None
    config: Config
    secret_key: bytes
    secure_cookies: bool
    clock: Clock = system_clock
    google: GoogleSetup | None = None  # then the password form gives way to Google's
    throttle: Throttle = field(init=False)

    def __post_init__(self) -> None:
        self.throttle = Throttle(lambda: self.clock().timestamp())


def register(app: Flask, setup: DashboardSetup, lang: str) -> None:
    app.secret_key = setup.secret_key
    app.config.update(
        SESSION_COOKIE_NAME="drivebot_dasbor",
        SESSION_COOKIE_PATH=PREFIX,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=setup.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS),
    )
    app.register_blueprint(_blueprint(setup, lang))


def _blueprint(setup: DashboardSetup, lang: str) -> Blueprint:
    words = i18n.section(lang, "dashboard")
    bp = Blueprint("dashboard", __name__, url_prefix=PREFIX)

    store = per_thread(setup.open_store)
    sessions = per_thread(setup.open_sessions)
    commands = per_thread(setup.open_commands) if setup.open_commands else None

    def standing_of(draft: Draft, today: date) -> board.Standing:
        clock = clock_of(setup.config, store(), draft, today)
        return board.standing(draft, clock, today, setup.config.tz)

    snapshot = per_thread(lambda: _Snapshot(-1, date.min, 0.0, 0, {}, {}))

    def current(today: date) -> _Snapshot:
        """The open drafts' standings as last read. While the store is unchanged (no other
        process committed) they are used as they are; after a commit only the drafts with new
        audit entries are read again; on a new day, or FULL_READ seconds after the last full
        reading, all of them (at 10,000 drafts, a full reading is most of a board's time)."""
        kept, version = snapshot(), store().data_version()
        if version == kept.version and today == kept.today:
            return kept
        if today != kept.today or time.monotonic() - kept.read_at > FULL_READ:
            mark = store().last_audit_id()  # before reading: a change in between is read again
            kept.standings = {d.reg: standing_of(d, today) for d in store().open_drafts()}
            kept.read_at = time.monotonic()
        else:
            mark = store().last_audit_id()
            for draft in store().changed_after(kept.audit_id):
                kept.standings.pop(draft.reg, None)
                if is_open(draft.stage):
                    kept.standings[draft.reg] = standing_of(draft, today)
        kept.audit_id, kept.boards, kept.version, kept.today = mark, {}, version, today
        return kept

    def board_of(filters: board.Filters, today: date) -> board.Board:
        """The board of the current standings; those of the last filters asked for are kept."""
        kept = current(today)
        if filters not in kept.boards:
            if len(kept.boards) >= _BOARDS_KEPT:
                kept.boards.pop(next(iter(kept.boards)))
            kept.boards[filters] = board.build(list(kept.standings.values()), filters, lang)
        return kept.boards[filters]

    def page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
        account: Account | None = g.get("account")
        return render_page(
            f"dashboard/{template}",
            lang=lang,
            w=words,
            org=setup.config.org_name or words["default_org"],
            account=account,
            csrf=csrf_token(),
            url_for=url_for,
            longdate=lambda day: i18n.long_date(lang, day),
            label=lambda stage: i18n.stage_label(lang, stage),
            **context,
        ), status

    @bp.before_request
    def guard() -> Any:
        if request.method == "POST" and not csrf_ok():
            return page("message.html.j2", 400, heading=words["csrf"], text=words["csrf_text"])
        if request.endpoint in _OPEN_ENDPOINTS:
            return None
        account = signed_in(store(), setup.clock, _LIFETIME)
        if account and setup.google and setup.google.role_of(account.email) != account.role:
            account = None  # drivebot.toml's lists changed (and `drivebot serve` restarted)
        if account is None:
            session.clear()
            return redirect(url_for("dashboard.sign_in", next=request.full_path.rstrip("?")))
        g.account = account
        return None

    @bp.route("/masuk", methods=["GET", "POST"])
    def sign_in() -> Any:
        target = safe_next(request.values.get("next", ""))
        if request.method == "GET" or setup.google is not None:
            return signin_page(target, None)
        email = request.form.get("email", "").strip().lower()[:254]
        client = request.remote_addr or "-"
        keys = ((f"pair:{email}\n{client}", FREE_FAILURES), (f"client:{client}", CLIENT_FREE))
        wait = setup.throttle.attempt(keys)
        if wait:
            error = wait_words(words, wait)
            return signin_page(target, error, 429, email)
        account = store().account(email) if email else None
        # `account is None` can only be true where the password did not match (for mypy).
        if not password_matches(account, request.form.get("password", "")) or account is None:
            return signin_page(target, words["wrong"], 401, email)
        setup.throttle.succeeded(keys)
        return signed_in_as(account, target)

    def signin_page(target: str, error: str | None, status: int = 200, email: str = "") -> Any:
        google = setup.google is not None
        return page("signin.html.j2", status, next=target, error=error, email=email, google=google)

    def signed_in_as(account: Account, target: str) -> Response:
        token = secrets.token_urlsafe(32)
        with sessions().transaction():
            sessions().start_session(
                token, account.email, session_stamp(account), iso_utc(setup.clock())
            )
        session.clear()  # nothing of a session from before signing in carries over
        session.permanent = True
        session.update(sid=token, csrf=secrets.token_urlsafe(32))
        return redirect(target)

    @bp.get("/masuk/google")
    def google_start() -> Any:
        if setup.google is None:
            abort(404)
        target = safe_next(request.args.get("next", ""))
        now = setup.clock().timestamp()
        url, pending = google_signin.begin(
            setup.google.client, setup.google.redirect_uri, target, now
        )
        session["google"] = pending.as_dict()
        return redirect(url)

    @bp.get("/" + google_signin.CALLBACK)
    def google_back() -> Any:
        google = setup.google
        if google is None:
            abort(404)
        pending = google_signin.Pending.of(session.pop("google", None))
        target = pending.next if pending is not None else safe_next("")
        try:
            email = google_signin.finish(
                google.client,
                google.redirect_uri,
                pending,
                request.args.to_dict(),
                google.http(),
                setup.clock().timestamp(),
            )
        except google_signin.SignInRefused as refused:
            log.warning("Google sign-in refused: %s", refused)  # the why, for the admins
            return signin_page(target, words[refused.reason], 401)
        role = google.role_of(email)
        if role is None:
            return signin_page(target, words["google_not_listed"].format(email=email), 403)
        with sessions().transaction():
            account = sessions().admit_account(email, role)
        if account is None:
            return signin_page(target, words["google_removed"].format(email=email), 403)
        return signed_in_as(account, target)

    @bp.post("/keluar")
    def sign_out() -> Response:
        """Ends the session on the server too: a copy of the cookie is worth nothing after."""
        with sessions().transaction():
            sessions().end_session(str(session.get("sid", "")))
        session.clear()
        return redirect(url_for("dashboard.sign_in"))

    @bp.get("/")
    def board_page() -> tuple[str, int]:
        today = setup.clock().astimezone(setup.config.tz).date()
        filters = board.Filters.of(request.args)
        built = board_of(filters, today)
        query = request.query_string.decode("ascii", "replace")
        return page(
            "board.html.j2",
            board=built,
            filters=filters,
            today=today,
            request_query=f"?{query}" if query else "",
        )

    def no_figures() -> dict[tuple[int, date], list[tuple[figures.Chart, str]]]:
        return {}

    figures_kept = per_thread(no_figures)  # the charts last counted, by history and day

    @bp.get("/angka")
    def figures_page() -> tuple[str, int]:
        """Counted again only when the history grew (every change the charts show writes an
        entry) or the day changed: at 10,000 drafts a count takes half a second."""
        today = setup.clock().astimezone(setup.config.tz).date()
        key = (store().last_audit_id(), today)
        kept = figures_kept()
        if key not in kept:
            kept.clear()
            kept[key] = charts_of(today)
        return page("figures.html.j2", charts=kept[key])

    def charts_of(today: date) -> list[tuple[figures.Chart, str]]:
        state = store()
        charts = figures.charts(
            state.drafts(),
            state.stage_changes(),
            state.revision_rounds(),
            current(today).standings.values(),
            setup.config.tz,
            today,
            lang,
        )
        return [(chart, bar_chart(chart, words[f"chart_{chart.key}"])) for chart in charts]

    @bp.get("/ekspor/rancangan.<fmt>")
    def export_drafts(fmt: str) -> Any:
        """Every draft the board's filters keep (closed ones too), for reports."""
        config = setup.config
        today = setup.clock().astimezone(config.tz).date()
        filters = board.Filters.of(request.args)
        every = [standing_of(draft, today) for draft in store().drafts()]
        rows = exports.drafts_table([one for one in every if filters.keeps(one)], lang, config.tz)
        return exports.download(rows, fmt, f"{words['export_drafts']}-{today.isoformat()}")

    @bp.get("/ekspor/register-<int:year>.<fmt>")
    def export_register(year: int, fmt: str) -> Any:
        rows = exports.register_table(registers(store(), setup.config, year), lang)
        return exports.download(rows, fmt, f"{words['export_register']}-{year}")

    @bp.get("/rancangan/<reg>")
    def draft(reg: str) -> tuple[str, int]:
        found = store().draft(reg)
        if found is None:
            return page("message.html.j2", 404, heading=words["no_draft"], text=reg)
        config = setup.config
        today = setup.clock().astimezone(config.tz).date()
        shown = draft_page.build(
            config, store(), found, clock_of(config, store(), found, today), today, lang
        )
        offered = draft_commands.offer(config, found, g.account) if setup.open_commands else None
        return page(
            "draft.html.j2",
            d=shown,
            offer=offered,
            said=get_flashed_messages(with_categories=True),
        )

    @bp.post("/rancangan/<reg>/perintah")
    def command(reg: str) -> Any:
        """A button of the draft's page: done, then back to the page saying so (or why not)."""
        if commands is None:
            return page("message.html.j2", 404, heading=words["no_draft"], text=reg)
        try:
            draft_commands.give(commands(), reg, request.form, g.account)
        except Rejected as refused:
            why = i18n.text(lang, f"refusal.{refused.reason.value}")
            flash(words["refused"].format(why=why), "bad")
        except Explained as refused:
            flash(refused.text(lang), "bad")
        else:
            flash(words[f"done_{request.form['command']}"], "ok")
        return redirect(url_for("dashboard.draft", reg=reg))

    @bp.get("/rancangan/<reg>/versi/<kind>/<int:number>")
    def version_file(reg: str, kind: str, number: int) -> Any:
        """The copy of a version drivebot keeps in the workspace, as a download."""
        version = next(
            (v for v in store().versions(reg) if v.kind.value == kind and v.version == number),
            None,
        )
        root = setup.config.workspace.resolve()
        path = (root / version.stored_path).resolve() if version else None
        if version is None or path is None or not path.is_relative_to(root) or not path.is_file():
            return page("message.html.j2", 404, heading=words["no_file"], text=reg)
        return send_file(path, as_attachment=True, download_name=version.file_name)

    return bp


def session_key(workspace: Path) -> bytes:
    """The key the dashboard's session cookies are signed with (deleting the file signs
    everyone out)."""
    return workspace_key(workspace, SESSION_KEY_NAME)


@dataclass
class _Snapshot:
    version: int  # the store's data_version when last looked at
    today: date
    read_at: float  # time.monotonic() of the last full reading
    audit_id: int  # the last audit entry read
    standings: dict[str, board.Standing]  # by registration number
    boards: dict[board.Filters, board.Board]


_BOARDS_KEPT = 16
FULL_READ = 600  # seconds: what an entry-less change could hide is shown within this
