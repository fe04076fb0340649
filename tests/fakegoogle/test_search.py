"""Search as Drive and Gmail do it: Drive's query language exactly (the clauses drivebot's adapter
sends, quoting, escaping, refusals), Gmail's operators, label listings and a lagging index."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request

import pytest

from drivebot.drive import _q
from fakegoogle import FakeGoogle
from fakegoogle.clients import services
from fakegoogle.drive import DOC_MIME, FOLDER_MIME


@pytest.fixture
def google():
    with FakeGoogle() as server:
        yield server


def names(google: FakeGoogle, q: str) -> list[str]:
    listed = services(google).drive.files().list(q=q, fields="files(name)").execute()
    return sorted(f["name"] for f in listed["files"])


def refused(google: FakeGoogle, q: str) -> dict:
    url = google.url + "drive/v3/files?" + urllib.parse.urlencode({"q": q})
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(url)
    assert error.value.code == 400
    return json.loads(error.value.read())["error"]["errors"][0]


@pytest.fixture
def folder(google):
    folder = google.users.upload(google.drive.root_id, "Masuk", b"", FOLDER_MIME)
    for name in ("Draf.pdf", "draf.pdf", "Quinn's paper\\essay.pdf", "Draf"):
        google.users.upload(folder, name, b"%PDF")
    google.users.create_doc(folder, "Draf", "Pasal 1")
    google.users.trash(google.users.upload(folder, "lama.pdf", b"%PDF"))
    return folder


def test_the_adapters_clauses_are_honoured_exactly(google, folder):
    base = f"{_q(folder)} in parents and trashed = false"
    assert names(google, base) == sorted(
        ["Draf.pdf", "draf.pdf", "Quinn's paper\\essay.pdf", "Draf", "Draf"]
    )
    assert names(google, f"name = {_q('Draf.pdf')} and {base}") == ["Draf.pdf"]  # exact case
    assert names(
        google, f"name = {_q('Quinn' + chr(39) + 's paper' + chr(92) + 'essay.pdf')} and {base}"
    ) == ["Quinn's paper\\essay.pdf"]
    assert names(google, f"name = {_q('Draf')} and {base} and mimeType = {_q(DOC_MIME)}") == [
        "Draf"
    ]
    assert "lama.pdf" in names(google, f"{_q(folder)} in parents")  # trashed files are listed
    assert names(google, f"{_q(folder)} in parents and trashed = true") == ["lama.pdf"]


def test_or_not_and_parentheses(google, folder):
    q = f"{_q(folder)} in parents and (name = 'Draf.pdf' or name = 'draf.pdf') and not trashed"
    assert names(google, q + " = true") == ["Draf.pdf", "draf.pdf"]
    assert names(google, f"{_q(folder)} in parents and name != 'Draf' and trashed = false") == [
        "Draf.pdf",
        "Quinn's paper\\essay.pdf",
        "draf.pdf",
    ]
    assert names(google, "'root' in parents") == ["Masuk"]


def test_name_equality_may_ignore_case_as_field_reports_say_drive_does():
    with FakeGoogle(name_equality_ignores_case=True) as google:
        inbox = google.users.upload(google.drive.root_id, "Masuk", b"", FOLDER_MIME)
        google.users.upload(inbox, "Draf.pdf", b"%PDF")
        google.users.upload(inbox, "DRAF.PDF", b"%PDF")
        assert names(google, f"name = 'draf.pdf' and {_q(inbox)} in parents") == [
            "DRAF.PDF",
            "Draf.pdf",
        ]


@pytest.mark.parametrize(
    "q",
    [
        "name = 'unterminated",
        "name = Draf",  # a string needs quotes
        "name in parents",
        "trashed = 'false'",  # a boolean is bare
        "'x' in name",
        "colour = 'red'",
        "name = 'a' and",
        "(name = 'a'",
    ],
)
def test_what_drive_refuses_is_invalid_value(google, q):
    assert refused(google, q) == {
        "message": "Invalid Value",
        "domain": "global",
        "reason": "invalid",
        "location": "q",
        "locationType": "parameter",
    }


@pytest.mark.parametrize(
    "q",
    [
        "name contains 'Draf'",
        "fullText contains 'Pasal'",
        "modifiedTime > '2026-01-01T00:00:00'",
        "'x@example.go.id' in owners",
    ],
)
def test_valid_clauses_the_fake_does_not_evaluate_are_refused_by_name(google, q):
    error = refused(google, q)
    assert error["location"] == "q" and "does not model" in error["message"]


# --- Gmail ---------------------------------------------------------------------------------------


def _send(google: FakeGoogle, message_id: str) -> str:
    raw = (
        f"To: staf@dinkes.example.go.id\r\nSubject: Re\r\nMessage-ID: <{message_id}>\r\n\r\nok"
    ).encode()
    gmail = services(google).gmail
    return (
        gmail.users()
        .messages()
        .send(userId="me", body={"raw": base64.urlsafe_b64encode(raw).decode()})
        .execute()["id"]
    )


def ids(google: FakeGoogle, **params) -> list[str]:
    listed = services(google).gmail.users().messages().list(userId="me", **params).execute()
    return [m["id"] for m in listed.get("messages", [])]


def test_gmail_operators_the_adapter_uses(google):
    gmail = services(google).gmail
    label = gmail.users().labels().create(userId="me", body={"name": "drivebot/diproses"})
    label_id = label.execute()["id"]
    done = google.users.send_email(b"From: a@b.example\nTo: c@d.example\nSubject: 1\n\nhi\n")
    fresh = google.users.send_email(b"From: a@b.example\nTo: c@d.example\nSubject: 2\n\nhi\n")
    gmail.users().messages().modify(
        userId="me", id=done, body={"addLabelIds": [label_id]}
    ).execute()
    sent = _send(google, "drivebot.7@example.go.id")
    q = "in:inbox -label:drivebot-diproses newer_than:14d"
    assert ids(google, q=q) == [fresh]
    assert ids(google, q="rfc822msgid:drivebot.7@example.go.id in:sent") == [sent]
    assert ids(google, q="rfc822msgid:<drivebot.7@example.go.id>") == [sent]
    assert ids(google, q="rfc822msgid:drivebot.7@example.go.id in:inbox") == []
    assert ids(google, labelIds=["SENT"]) == [sent]
    assert ids(google, labelIds=["INBOX"]) == [fresh, done]


def test_a_lagging_search_index_misses_new_sent_mail_that_labels_still_list(google):
    before = _send(google, "lama@example.go.id")
    google.gmail.search_lag(True)
    after = _send(google, "baru@example.go.id")
    assert ids(google, q="rfc822msgid:baru@example.go.id") == []
    assert ids(google, q="in:sent") == [before]
    assert ids(google, labelIds=["SENT"]) == [after, before]
    got = services(google).gmail.users().messages().get(userId="me", id=after).execute()
    assert got["labelIds"] == ["SENT"]
    google.gmail.search_lag(False)  # the index catches up
    assert ids(google, q="rfc822msgid:baru@example.go.id in:sent") == [after]


def test_gmail_refuses_operators_it_does_not_model(google):
    url = google.url + "gmail/v1/users/me/messages?" + urllib.parse.urlencode({"q": "from:a"})
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(url)
    assert error.value.code == 400
