"""FakeGoogle(ownership=True): owners, roles inherited through folders, capabilities, and Drive's
refusals, through the real client library with real tokens."""

from __future__ import annotations

import io

import pytest
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseUpload

from fakegoogle import FakeGoogle
from fakegoogle.clients import service_account_credentials, services, user_credentials
from fakegoogle.drive import FOLDER_MIME

BOT = "hukum@example.go.id"
OPD = "staf@dinkes.example.go.id"
READER = "pimpinan@example.go.id"
LOCK = {
    "contentRestrictions": [{"readOnly": True, "ownerRestricted": True, "reason": "arsip"}],
    "copyRequiresWriterPermission": True,
}


@pytest.fixture
def google():
    with FakeGoogle(ownership=True, default_user=OPD) as server:
        yield server


def drive_of(google: FakeGoogle, email: str):
    return services(google, user_credentials(google, email)).drive


def refusal(error: pytest.ExceptionInfo) -> tuple[int, str]:
    return error.value.status_code, error.value.error_details[0]["reason"]


@pytest.fixture
def tree(google):
    """The division's folder, owned by an OPD user and shared with the bot as writer; a file an
    OPD dropped in it."""
    folder = google.users.upload(google.drive.root_id, "Bagian Hukum", b"", FOLDER_MIME)
    inbox = google.users.upload(folder, "Masuk", b"", FOLDER_MIME)
    google.users.share(folder, BOT, "writer")
    dropped = google.users.upload(inbox, "draf.pdf", b"%PDF-1.4", as_user=OPD)
    return {"folder": folder, "inbox": inbox, "dropped": dropped}


CAPS = "capabilities,owners(emailAddress),ownedByMe"


def test_what_is_not_shared_is_not_found(google, tree):
    stranger = drive_of(google, "orang@lain.example")
    with pytest.raises(HttpError) as error:
        stranger.files().get(fileId=tree["dropped"]).execute()
    assert refusal(error) == (404, "notFound")
    assert stranger.files().list(q=f"'{tree['inbox']}' in parents").execute()["files"] == []


def test_roles_are_inherited_and_capabilities_follow_them(google, tree):
    bot = drive_of(google, BOT)
    item = bot.files().get(fileId=tree["dropped"], fields=CAPS).execute()
    assert item["owners"] == [{"emailAddress": OPD}] and item["ownedByMe"] is False
    caps = item["capabilities"]
    assert caps["canEdit"] and caps["canShare"] and caps["canMoveItemWithinDrive"]
    assert not caps["canTrash"] and not caps["canModifyOwnerContentRestriction"]
    assert caps["canModifyEditorContentRestriction"] and "canReadDrive" not in caps
    folder = bot.files().get(fileId=tree["inbox"], fields="capabilities").execute()
    assert folder["capabilities"]["canAddChildren"] and folder["capabilities"]["canRemoveChildren"]
    google.users.share(tree["folder"], READER, "reader")
    reader = drive_of(google, READER).files().get(fileId=tree["dropped"], fields=CAPS).execute()
    caps = reader["capabilities"]
    assert caps["canDownload"] and caps["canCopy"]
    assert not caps["canEdit"] and not caps["canComment"] and not caps["canShare"]
    owner = drive_of(google, OPD).files().get(fileId=tree["dropped"], fields=CAPS).execute()
    assert owner["ownedByMe"] and owner["capabilities"]["canTrash"]


def test_creating_needs_can_add_children_and_makes_the_creator_the_owner(google, tree):
    google.users.share(tree["folder"], READER, "reader")
    with pytest.raises(HttpError) as error:
        drive_of(google, READER).files().create(
            body={"name": "x", "mimeType": FOLDER_MIME, "parents": [tree["inbox"]]}
        ).execute()
    assert refusal(error) == (403, "insufficientParentPermissions")
    made = (
        drive_of(google, BOT)
        .files()
        .create(body={"name": "Review", "parents": [tree["folder"]]}, fields="id")
        .execute()
    )
    assert google.drive.files[made["id"]].owner == BOT


def test_reading_content_needs_read_access_and_copy_rights(google, tree):
    owner = drive_of(google, OPD)
    owner.files().update(
        fileId=tree["dropped"], body={"copyRequiresWriterPermission": True}
    ).execute()
    google.users.share(tree["folder"], READER, "reader")
    reader = drive_of(google, READER)
    caps = reader.files().get(fileId=tree["dropped"], fields="capabilities").execute()
    assert not caps["capabilities"]["canDownload"] and not caps["capabilities"]["canCopy"]
    with pytest.raises(HttpError) as download:
        reader.files().get_media(fileId=tree["dropped"]).execute()
    assert refusal(download) == (403, "insufficientFilePermissions")
    assert drive_of(google, BOT).files().get_media(fileId=tree["dropped"]).execute() == b"%PDF-1.4"
    with pytest.raises(HttpError) as change:
        reader.files().update(
            fileId=tree["dropped"], body={"copyRequiresWriterPermission": False}
        ).execute()
    assert refusal(change) == (403, "insufficientFilePermissions")


def test_an_owner_restriction_is_the_owners_in_my_drive(google, tree):
    bot = drive_of(google, BOT)
    with pytest.raises(HttpError) as error:
        bot.files().update(fileId=tree["dropped"], body=LOCK).execute()
    assert refusal(error) == (403, "insufficientFilePermissions")
    assert google.drive.files[tree["dropped"]].content_restrictions == []
    editor_lock = {"contentRestrictions": [{"readOnly": True, "reason": "diperiksa"}]}
    bot.files().update(fileId=tree["dropped"], body=editor_lock).execute()  # a writer may
    drive_of(google, OPD).files().update(fileId=tree["dropped"], body=LOCK).execute()
    locked = google.drive.files[tree["dropped"]]
    assert locked.owner_restricted and locked.copy_requires_writer_permission
    with pytest.raises(HttpError) as unlock:
        bot.files().update(fileId=tree["dropped"], body={"contentRestrictions": []}).execute()
    assert refusal(unlock) == (403, "insufficientFilePermissions")
    with pytest.raises(HttpError) as rename:
        bot.files().update(fileId=tree["dropped"], body={"name": "lain.pdf"}).execute()
    assert rename.value.status_code == 403
    media = MediaIoBaseUpload(io.BytesIO(b"%PDF-2"), "application/pdf")
    with pytest.raises(HttpError) as content:
        bot.files().update(fileId=tree["dropped"], media_body=media).execute()
    assert refusal(content) == (403, "contentRestricted")
    # what the bot made is the bot's to lock
    mine = bot.files().create(body={"name": "salinan.pdf", "parents": [tree["folder"]]}).execute()
    bot.files().update(fileId=mine["id"], body=LOCK).execute()
    assert google.drive.files[mine["id"]].owner_restricted


def test_moving_in_my_drive_needs_share_access_and_the_old_folders_remove_right(google, tree):
    bot = drive_of(google, BOT)
    review = (
        bot.files()
        .create(body={"name": "Review", "mimeType": FOLDER_MIME, "parents": [tree["folder"]]})
        .execute()["id"]
    )
    moved = (
        bot.files()
        .update(
            fileId=tree["dropped"], addParents=review, removeParents=tree["inbox"], fields="parents"
        )
        .execute()
    )
    assert moved["parents"] == [review]
    google.drive.files[tree["dropped"]].writers_can_share = False
    with pytest.raises(HttpError) as error:
        bot.files().update(
            fileId=tree["dropped"], addParents=tree["inbox"], removeParents=review
        ).execute()
    assert refusal(error) == (403, "insufficientFilePermissions")
    with pytest.raises(HttpError) as trash:
        bot.files().update(fileId=tree["dropped"], body={"trashed": True}).execute()
    assert refusal(trash) == (403, "insufficientFilePermissions")


def test_in_a_shared_drive_roles_are_the_members(google):
    drive_id = google.drive.new_shared_drive(
        "Hukum", members={BOT: "writer", "kabag@example.go.id": "organizer"}
    )
    bot = drive_of(google, BOT)
    folders = [
        bot.files()
        .create(
            body={"name": n, "mimeType": FOLDER_MIME, "parents": [drive_id]}, supportsAllDrives=True
        )
        .execute()["id"]
        for n in ("Masuk", "Review")
    ]
    made = (
        bot.files()
        .create(
            body={"name": "a.pdf", "parents": [folders[0]]}, supportsAllDrives=True, fields="id"
        )
        .execute()["id"]
    )
    assert google.drive.files[made].owner is None  # the shared drive owns it
    caps = (
        bot.files().get(fileId=made, fields="capabilities,owners", supportsAllDrives=True).execute()
    )
    assert "owners" not in caps and caps["capabilities"]["canReadDrive"]
    assert not caps["capabilities"]["canMoveItemWithinDrive"]
    with pytest.raises(HttpError) as move:
        bot.files().update(
            fileId=made, addParents=folders[1], removeParents=folders[0], supportsAllDrives=True
        ).execute()
    assert refusal(move) == (403, "insufficientFilePermissions")
    google.users.share(drive_id, BOT, "fileOrganizer")
    bot.files().update(
        fileId=made, addParents=folders[1], removeParents=folders[0], supportsAllDrives=True
    ).execute()
    with pytest.raises(HttpError) as lock:
        bot.files().update(fileId=made, body=LOCK, supportsAllDrives=True).execute()
    assert refusal(lock) == (403, "insufficientFilePermissions")
    drive_of(google, "kabag@example.go.id").files().update(
        fileId=made, body=LOCK, supportsAllDrives=True
    ).execute()
    assert google.drive.files[made].owner_restricted


def test_a_service_account_has_no_my_drive_storage(google, tree):
    sa = "bot@local-google.iam.gserviceaccount.com"
    google.users.share(tree["folder"], sa, "writer")
    robot = services(google, service_account_credentials(google, sa)).drive
    with pytest.raises(HttpError) as error:
        robot.files().create(body={"name": "x.pdf", "parents": [tree["folder"]]}).execute()
    assert refusal(error) == (403, "storageQuotaExceeded")


def test_listing_permissions_needs_writer_access(google, tree):
    google.users.share(tree["folder"], READER, "reader")
    with pytest.raises(HttpError) as error:
        drive_of(google, READER).permissions().list(fileId=tree["dropped"]).execute()
    assert refusal(error) == (403, "insufficientFilePermissions")
    listed = (
        drive_of(google, BOT)
        .permissions()
        .list(fileId=tree["folder"], fields="permissions(role,emailAddress)")
        .execute()
    )
    assert {(p["role"], p["emailAddress"]) for p in listed["permissions"]} == {
        ("owner", OPD),
        ("writer", BOT),
        ("reader", READER),
    }


def test_a_lock_that_does_not_take_is_answered_but_not_applied(google, tree):
    bot = drive_of(google, BOT)
    mine = bot.files().create(body={"name": "final.pdf", "parents": [tree["folder"]]}).execute()
    google.drive.ignore_restrictions(mine["id"])
    answer = (
        bot.files()
        .update(
            fileId=mine["id"], body=LOCK, fields="contentRestrictions,copyRequiresWriterPermission"
        )
        .execute()
    )
    assert answer["copyRequiresWriterPermission"] is True  # as if it had taken
    back = (
        bot.files()
        .get(fileId=mine["id"], fields="contentRestrictions,copyRequiresWriterPermission")
        .execute()
    )
    assert back == {"contentRestrictions": [], "copyRequiresWriterPermission": False}


def test_losing_access_is_a_removed_change(google, tree):
    bot = drive_of(google, BOT)
    start = bot.changes().getStartPageToken().execute()["startPageToken"]
    google.users.upload(tree["inbox"], "baru.pdf", b"%PDF")
    seen = bot.changes().list(pageToken=start, fields="*").execute()
    assert [c["file"]["name"] for c in seen["changes"]] == ["baru.pdf"]
    google.users.unshare(tree["folder"], BOT)
    gone = bot.changes().list(pageToken=seen["newStartPageToken"], fields="*").execute()
    assert gone["changes"] == []  # the folder's own change: the bot never saw it listed
    again = bot.changes().list(pageToken=start, fields="*").execute()
    assert [(c["fileId"], c["removed"]) for c in again["changes"]] == [
        (seen["changes"][0]["fileId"], True)
    ]
