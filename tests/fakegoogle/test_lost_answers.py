"""Fault.DROP_AFTER (the work is done, the answer never comes) and Fault.NO_SESSION (a resumable
upload that never opens), through the real client library over a transport that sends once."""

from __future__ import annotations

import base64
import io

import pytest
import requests
from googleapiclient.errors import ResumableUploadError
from googleapiclient.http import MediaIoBaseUpload

from fakegoogle import FakeGoogle, Fault
from fakegoogle.clients import services
from fakegoogle.drive import FOLDER_MIME

MAIL = (
    b"To: staf@dinkes.example.go.id\r\nSubject: Diterima\r\n"
    b"Message-ID: <x.1@example.go.id>\r\n\r\nok"
)


@pytest.fixture
def google():
    with FakeGoogle(seed=3) as server:
        yield server


@pytest.fixture
def api(google):
    return services(google, transport="requests")


def named(google: FakeGoogle, name: str) -> list:
    return [f for f in google.drive.files.values() if f.name == name]


def test_a_create_is_carried_out_before_the_connection_drops(google, api):
    google.faults.schedule("drive.files.create", Fault.DROP_AFTER)
    media = MediaIoBaseUpload(io.BytesIO(b"%PDF-1.4"), "application/pdf")
    with pytest.raises(requests.ConnectionError):
        api.drive.files().create(body={"name": "a.pdf"}, media_body=media).execute()
    [made] = named(google, "a.pdf")
    assert made.content == b"%PDF-1.4"
    assert google.faults.injected == {"drive.files.create drop-after": 1}


def test_a_resumable_upload_is_created_and_its_last_answer_dropped(google, api):
    google.faults.schedule("drive.files.create", Fault.DROP_AFTER)  # on the session request
    data = bytes(range(256)) * 4096 * 2  # 2 MiB in two chunks
    media = MediaIoBaseUpload(
        io.BytesIO(data), "application/pdf", chunksize=1 << 20, resumable=True
    )
    request = api.drive.files().create(body={"name": "big.pdf"}, media_body=media)
    assert request.next_chunk()[1] is None  # the session opened, the first chunk went
    assert named(google, "big.pdf") == []
    with pytest.raises(requests.ConnectionError):
        request.next_chunk()
    [made] = named(google, "big.pdf")
    assert made.content == data


def test_a_sent_message_is_in_sent_though_the_answer_was_lost(google, api):
    google.faults.schedule("gmail.users.messages.send", Fault.DROP_AFTER)
    raw = base64.urlsafe_b64encode(MAIL).decode()
    with pytest.raises(requests.ConnectionError):
        api.gmail.users().messages().send(userId="me", body={"raw": raw}).execute()
    assert google.users.sent_messages() == [MAIL]
    found = api.gmail.users().messages().list(userId="me", q="rfc822msgid:x.1@example.go.id")
    assert found.execute()["resultSizeEstimate"] == 1


def test_copy_and_update_take_effect_before_the_drop(google, api):
    folder = google.users.upload(google.drive.root_id, "F", b"", FOLDER_MIME)
    file_id = google.users.upload(google.drive.root_id, "a.pdf", b"%PDF")
    google.faults.schedule("drive.files.copy", Fault.DROP_AFTER)
    google.faults.schedule("drive.files.update", Fault.DROP_AFTER)
    with pytest.raises(requests.ConnectionError):
        api.drive.files().copy(fileId=file_id, body={"name": "b.pdf"}).execute()
    with pytest.raises(requests.ConnectionError):
        api.drive.files().update(
            fileId=file_id, addParents=folder, removeParents=google.drive.root_id
        ).execute()
    assert len(named(google, "b.pdf")) == 1
    assert google.drive.files[file_id].parents == [folder]


def test_a_refused_request_is_dropped_too_and_changes_nothing(google, api):
    google.faults.schedule("drive.files.create", Fault.DROP_AFTER)
    with pytest.raises(requests.ConnectionError):
        api.drive.files().create(body={"name": "x", "parents": ["nope"]}).execute()
    assert named(google, "x") == []


def test_drop_after_at_a_rate_only_on_the_methods_named(google, api):
    google.faults.set_rate(1.0, kinds=(Fault.DROP_AFTER,), methods={"gmail.users.messages.send"})
    raw = base64.urlsafe_b64encode(MAIL).decode()
    for _ in range(3):
        with pytest.raises(requests.ConnectionError):
            api.gmail.users().messages().send(userId="me", body={"raw": raw}).execute()
    assert len(google.users.sent_messages()) == 3
    assert api.gmail.users().getProfile(userId="me").execute()["messagesTotal"] == 3


def test_httplib2_sends_a_dropped_create_again(google):
    """Why drivebot sends once: httplib2 resends a POST whose answer was lost."""
    google.faults.schedule("drive.files.create", Fault.DROP_AFTER)
    services(google).drive.files().create(body={"name": "twice"}).execute()
    assert len(named(google, "twice")) == 2


def test_an_upload_session_that_never_opens(google, api):
    google.faults.schedule("drive.files.create", Fault.NO_SESSION)
    media = MediaIoBaseUpload(io.BytesIO(b"%PDF" * 100), "application/pdf", resumable=True)
    with pytest.raises(ResumableUploadError):
        api.drive.files().create(body={"name": "r.pdf"}, media_body=media).execute()
    assert named(google, "r.pdf") == [] and google._uploads == {}
    google.faults.schedule("drive.files.create", Fault.NO_SESSION)  # not resumable: no effect
    media = MediaIoBaseUpload(io.BytesIO(b"%PDF"), "application/pdf")
    api.drive.files().create(body={"name": "m.pdf"}, media_body=media).execute()
    assert len(named(google, "m.pdf")) == 1
