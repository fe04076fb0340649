"""Cursors answered as Google answers them (changes page tokens, history ids, a removed shared
drive), and file ids reserved with files.generateIds."""

from __future__ import annotations

import pytest
from googleapiclient.errors import HttpError

from fakegoogle import FakeGoogle
from fakegoogle.clients import services
from fakegoogle.drive import FOLDER_MIME


@pytest.fixture
def google():
    with FakeGoogle() as server:
        yield server


@pytest.fixture
def api(google):
    return services(google)


def refusal(error: pytest.ExceptionInfo) -> tuple[int, str, str | None]:
    detail = error.value.error_details[0]
    return error.value.status_code, detail["reason"], detail.get("location")


@pytest.mark.parametrize("token", ["BOGUS", "0", "999999"])
def test_a_page_token_drive_never_gave_is_invalid_value(api, token):
    with pytest.raises(HttpError) as error:
        api.drive.changes().list(pageToken=token).execute()
    assert refusal(error) == (400, "invalid", "pageToken")


def test_history_too_old_is_404_and_a_bad_id_400(google, api):
    start = api.gmail.users().getProfile(userId="me").execute()["historyId"]
    google.gmail.expire_history()
    with pytest.raises(HttpError) as old:
        api.gmail.users().history().list(userId="me", startHistoryId=start).execute()
    assert refusal(old)[:2] == (404, "notFound")
    assert old.value.reason == "Requested entity was not found."
    with pytest.raises(HttpError) as bad:
        api.gmail.users().history().list(userId="me", startHistoryId="abc").execute()
    assert bad.value.status_code == 400 and "TYPE_UINT64" in bad.value.reason


def test_a_removed_shared_drive(google, api):
    drive_id = google.drive.new_shared_drive("Hukum")
    file_id = google.users.upload(drive_id, "a.pdf", b"%PDF")
    start = api.drive.changes().getStartPageToken().execute()["startPageToken"]
    shared_start = (
        api.drive.changes()
        .getStartPageToken(driveId=drive_id, supportsAllDrives=True)
        .execute()["startPageToken"]
    )
    google.drive.remove_shared_drive(drive_id)
    for call in (
        api.drive.changes().getStartPageToken(driveId=drive_id, supportsAllDrives=True),
        api.drive.changes().list(
            pageToken=shared_start,
            driveId=drive_id,
            supportsAllDrives=True,
            includeItemsFromAllDrives=True,
        ),
        api.drive.files().list(
            driveId=drive_id,
            corpora="drive",
            supportsAllDrives=True,
            includeItemsFromAllDrives=True,
        ),
    ):
        with pytest.raises(HttpError) as error:
            call.execute()
        assert refusal(error) == (404, "notFound", "driveId")
        assert error.value.reason == f"Shared drive not found: {drive_id}"
    with pytest.raises(HttpError) as gone:
        api.drive.files().get(fileId=file_id, supportsAllDrives=True).execute()
    assert gone.value.status_code == 404
    feed = (
        api.drive.changes()
        .list(pageToken=start, includeItemsFromAllDrives=True, supportsAllDrives=True, fields="*")
        .execute()["changes"]
    )
    assert {(c["changeType"], c.get("fileId") or c["driveId"], c["removed"]) for c in feed} == {
        ("drive", drive_id, True),
        ("file", file_id, True),
    }


def test_files_are_created_under_reserved_ids(google, api):
    reserved = api.drive.files().generateIds(count=2).execute()
    assert reserved["kind"] == "drive#generatedIds" and len(reserved["ids"]) == 2
    assert len(api.drive.files().generateIds().execute()["ids"]) == 10
    folder = google.users.upload(google.drive.root_id, "F", b"", FOLDER_MIME)
    body = {"id": reserved["ids"][0], "name": "a.pdf", "parents": [folder]}
    assert api.drive.files().create(body=body).execute()["id"] == reserved["ids"][0]
    with pytest.raises(HttpError) as taken:  # a retry of a create whose answer was lost
        api.drive.files().create(body=body).execute()
    assert refusal(taken)[:2] == (409, "duplicate")
    copy = api.drive.files().copy(fileId=body["id"], body={"id": reserved["ids"][1]}).execute()
    assert copy["id"] == reserved["ids"][1]
    with pytest.raises(HttpError) as made_up:
        api.drive.files().create(body={"id": "1Rmadeup", "name": "b.pdf"}).execute()
    assert refusal(made_up)[:2] == (400, "fileIdNotUsable")
