"""Signing in to the dashboard with Google (drivebot.web.google_signin) on the Google backend: the
dashboard under Flask's test client, Google the local one over real HTTP (its account chooser,
token endpoint and signing keys, tests/fakegoogle/openid.py), the ID token checked by
google-auth."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from fakegoogle import FakeGoogle
from flask.testing import FlaskClient
from test_dashboard import Moment, office

from drivebot import bootstrap
from drivebot.config import load
from drivebot.errors import ConfigError

CALLBACK = "https://jdih.sbtkab.example/dasbor/masuk/google/kembali"
ADMIN = "kabag.hukum@sbtkab.example"  # [[admin]] in the sample configuration
REVIEWER = "perancang@sbtkab.example"  # a [[reviewer]]


@pytest.fixture
def google() -> Iterator[FakeGoogle]:
    with FakeGoogle() as server:
        yield server


@pytest.fixture
def workspace(tmp_path: Path, google: FakeGoogle) -> Path:
    office(tmp_path)
    client_file = google.openid.web_client([CALLBACK])
    (tmp_path / "web-client.json").write_text(json.dumps(client_file), encoding="utf-8")
    return tmp_path


def web_client(workspace: Path) -> FlaskClient:
    config = dataclasses.replace(load(workspace), backend="google")
    app = bootstrap.web(config, "id", clock=Moment())
    app.testing = True
    return app.test_client()


@pytest.fixture
def client(workspace: Path) -> FlaskClient:
    return web_client(workspace)


def to_google(client: FlaskClient, next_page: str = "/dasbor/") -> str:
    """The sign-in button: where it sends the browser (Google's account chooser)."""
    page = client.get("/dasbor/masuk").get_data(as_text=True)
    assert 'id="google-sign-in"' in page and 'name="password"' not in page
    answer = client.get("/dasbor/masuk/google", query_string={"next": next_page})
    assert answer.status_code == 302
    return answer.headers["Location"]


def back_from_google(client: FlaskClient, location: str):
    """Google's redirect to the callback, followed by the browser."""
    url = urlsplit(location)
    assert f"{url.scheme}://{url.netloc}{url.path}" == CALLBACK
    return client.get(url.path, query_string=url.query)


def test_a_listed_admin_signs_in_with_google_and_sees_the_board(
    client: FlaskClient, google: FakeGoogle
) -> None:
    chooser = to_google(client, "/dasbor/?opd=dinkes")
    query = parse_qs(urlsplit(chooser).query)
    assert query["code_challenge_method"] == ["S256"] and query["scope"] == ["openid email"]
    answer = back_from_google(client, google.openid.choose(chooser, ADMIN))
    assert answer.status_code == 302 and answer.headers["Location"] == "/dasbor/?opd=dinkes"
    board = client.get("/dasbor/").get_data(as_text=True)
    assert "Retribusi Pelayanan Kesehatan" in board and ADMIN in board
    assert google.counts["oauth2.token"] == 1  # the code was exchanged at the token endpoint


def test_the_configurations_role_is_the_accounts_role(
    workspace: Path, client: FlaskClient, google: FakeGoogle
) -> None:
    back_from_google(client, google.openid.choose(to_google(client), REVIEWER))
    state = bootstrap.store(load(workspace), readonly=True)
    account = state.account(REVIEWER)
    assert account is not None and account.role == "reviewer" and account.password_hash is None


def test_an_account_not_in_the_configuration_is_refused(
    workspace: Path, client: FlaskClient, google: FakeGoogle
) -> None:
    stranger = "tamu@gmail.com"
    answer = back_from_google(client, google.openid.choose(to_google(client), stranger))
    assert answer.status_code == 403
    assert "tidak terdaftar sebagai pemeriksa atau admin" in answer.get_data(as_text=True)
    assert client.get("/dasbor/").status_code == 302  # still signed out
    assert bootstrap.store(load(workspace), readonly=True).account(stranger) is None


def test_a_removed_account_stays_out_though_the_configuration_lists_it(
    workspace: Path, client: FlaskClient, google: FakeGoogle
) -> None:
    back_from_google(client, google.openid.choose(to_google(client), REVIEWER))
    state = bootstrap.store(load(workspace))
    with state.transaction():
        state.remove_account(REVIEWER)
    other = web_client(workspace)
    answer = back_from_google(other, google.openid.choose(to_google(other), REVIEWER))
    assert answer.status_code == 403 and "dinonaktifkan" in answer.get_data(as_text=True)


def test_an_answer_for_another_browser_or_a_replayed_one_is_refused(
    workspace: Path, client: FlaskClient, google: FakeGoogle
) -> None:
    location = google.openid.choose(to_google(client), ADMIN)
    stranger = web_client(workspace)  # never started a sign-in: no state of its own
    assert back_from_google(stranger, location).status_code == 401
    other = web_client(workspace)
    to_google(other)  # a sign-in of its own: the answer's state is not its
    assert back_from_google(other, location).status_code == 401
    assert google.counts["oauth2.token"] == 0  # neither spent the code
    assert back_from_google(client, location).status_code == 302  # the right browser, once
    again = web_client(workspace)
    to_google(again)
    assert back_from_google(again, location).status_code == 401


def test_an_unverified_address_or_a_cancelled_choice_is_refused(
    client: FlaskClient, google: FakeGoogle
) -> None:
    google.openid.unverified.add(ADMIN)
    answer = back_from_google(client, google.openid.choose(to_google(client), ADMIN))
    assert answer.status_code == 401 and "belum terverifikasi" in answer.get_data(as_text=True)
    answer = back_from_google(client, google.openid.cancel(to_google(client)))
    assert answer.status_code == 401 and "dibatalkan" in answer.get_data(as_text=True)


@pytest.mark.parametrize(
    "changes",
    [
        {"aud": "someone-else.apps.googleusercontent.com"},
        {"nonce": "another sign-in's"},
        {"iss": "https://accounts.example.com"},
        {"exp": 1_000_000_000, "iat": 999_996_400},  # long expired
    ],
)
def test_an_id_token_that_does_not_fit_this_sign_in_is_refused(
    changes: dict, client: FlaskClient, google: FakeGoogle
) -> None:
    google.openid.claim_changes = changes
    answer = back_from_google(client, google.openid.choose(to_google(client), ADMIN))
    assert answer.status_code == 401
    assert "tidak dapat memastikan akun Anda" in answer.get_data(as_text=True)
    assert client.get("/dasbor/").status_code == 302


def test_google_sign_in_needs_base_url(workspace: Path) -> None:
    config = dataclasses.replace(load(workspace), backend="google", base_url=None)
    with pytest.raises(ConfigError) as raised:
        bootstrap.web(config, "id")
    assert raised.value.key == "web_client_needs_base_url"


def test_without_a_web_client_file_local_accounts_sign_in(workspace: Path) -> None:
    (workspace / "web-client.json").unlink()
    client = web_client(workspace)
    page = client.get("/dasbor/masuk").get_data(as_text=True)
    assert 'name="password"' in page and "google-sign-in" not in page
    assert client.get("/dasbor/masuk/google").status_code == 404


def test_google_unreachable_at_the_exchange_is_a_message_not_an_error(
    client: FlaskClient, google: FakeGoogle
) -> None:
    location = google.openid.choose(to_google(client), ADMIN)
    google.stop()  # the office's internet went down between the chooser and the way back
    answer = back_from_google(client, location)
    assert answer.status_code == 401
    assert "tidak dapat memastikan akun Anda" in answer.get_data(as_text=True)


def test_googles_keys_out_of_reach_is_a_message_not_an_error(
    workspace: Path, google: FakeGoogle
) -> None:
    path = workspace / "web-client.json"
    client_file = json.loads(path.read_text(encoding="utf-8"))
    client_file["web"]["auth_provider_x509_cert_url"] = "http://127.0.0.1:9/oauth2/v1/certs"
    path.write_text(json.dumps(client_file), encoding="utf-8")
    client = web_client(workspace)
    answer = back_from_google(client, google.openid.choose(to_google(client), ADMIN))
    assert answer.status_code == 401
    assert "tidak dapat memastikan akun Anda" in answer.get_data(as_text=True)


def test_a_state_that_is_not_plain_text_is_refused(client: FlaskClient) -> None:
    to_google(client)
    answer = client.get("/dasbor/masuk/google/kembali", query_string={"state": "é", "code": "x"})
    assert answer.status_code == 401


def test_a_spent_code_is_refused_at_the_token_endpoint(
    client: FlaskClient, google: FakeGoogle
) -> None:
    first = google.openid.choose(to_google(client), ADMIN)
    assert back_from_google(client, first).status_code == 302
    code = parse_qs(urlsplit(first).query)["code"][0]
    state = parse_qs(urlsplit(to_google(client)).query)["state"][0]  # a new sign-in
    replay = f"{CALLBACK}?{urlencode({'code': code, 'state': state})}"
    assert back_from_google(client, replay).status_code == 401
    assert google.counts["oauth2.token"] == 2  # asked, and Google refused the spent code


def test_taken_off_the_configurations_lists_ends_the_sessions(
    workspace: Path, client: FlaskClient, google: FakeGoogle
) -> None:
    back_from_google(client, google.openid.choose(to_google(client), REVIEWER))
    assert client.get("/dasbor/").status_code == 200
    cookie = client.get_cookie("drivebot_dasbor", path="/dasbor")
    assert cookie is not None
    config = dataclasses.replace(load(workspace), backend="google", reviewers=())
    restarted = bootstrap.web(config, "id", clock=Moment())  # `drivebot serve` restarted
    later = restarted.test_client()
    later.set_cookie("drivebot_dasbor", cookie.value, path="/dasbor")
    assert later.get("/dasbor/").status_code == 302


def test_a_token_answer_that_is_not_an_object_is_refused(
    client: FlaskClient, google: FakeGoogle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(google.openid, "exchange", lambda _form: ["not", "an", "object"])
    answer = back_from_google(client, google.openid.choose(to_google(client), ADMIN))
    assert answer.status_code == 401
    assert "tidak dapat memastikan akun Anda" in answer.get_data(as_text=True)
