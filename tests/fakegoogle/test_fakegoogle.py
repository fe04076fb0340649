"""The local Google refuses what Google refuses, keeps real state, counts and injects faults."""

from __future__ import annotations

import io
import json
import socket
import urllib.error
import urllib.request

import pytest
from contract.worlds import save_login
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseDownload, MediaIoBaseUpload
from pypdf import PdfReader

from drivebot.config import GoogleSettings
from drivebot.google_api import drive_client, gmail_client
from fakegoogle import FakeGoogle, Fault
from fakegoogle.drive import FOLDER_MIME
from fakegoogle.gmail import ADDRESS
from fakegoogle.server import parse_multipart


@pytest.fixture
def google():
    with FakeGoogle(seed=7) as server:
        yield server


@pytest.fixture
def services(google, tmp_path):
    settings = GoogleSettings(api_endpoint=google.url, **save_login(google, tmp_path, ADDRESS))
    return (
        drive_client(settings, tmp_path, max_backoff=0.001).service,
        gmail_client(settings, tmp_path, max_backoff=0.001).service,
    )


def raw(
    google: FakeGoogle,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict]:
    request = urllib.request.Request(
        google.url + path.lstrip("/"), data=body, method=method, headers=headers or {}
    )
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def reason(answer: dict) -> str:
    return answer["error"]["errors"][0]["reason"]


# --- what Google refuses ---------------------------------------------------------------------


def test_an_unknown_query_parameter_is_refused_in_googles_error_shape(google):
    status, answer = raw(google, "GET", "/drive/v3/files?pageSize=5&colour=red")
    assert status == 400
    assert answer["error"]["code"] == 400 and answer["error"]["status"] == "INVALID_ARGUMENT"
    assert answer["error"]["errors"][0]["location"] == "colour"
    assert "Unknown name" in answer["error"]["message"]


@pytest.mark.parametrize(
    "path",
    [
        "/drive/v3/changes",  # pageToken is required
        "/drive/v3/files/F1/export",  # mimeType is required
    ],
)
def test_a_missing_required_parameter_is_refused(google, path):
    status, answer = raw(google, "GET", path)
    assert (status, reason(answer)) == (400, "required")


@pytest.mark.parametrize(
    "path",
    [
        "/drive/v3/files?pageSize=many",  # not an integer
        "/drive/v3/files?supportsAllDrives=yes",  # not a boolean
        "/gmail/v1/users/me/messages/m1?format=everything",  # not in the enum
        "/drive/v3/files?pageSize=1&pageSize=2",  # not repeatable
        "/drive/v3/files?fields=files(id,colour)",  # not a field of File
        "/drive/v3/files?q=name%20contains%20%27x%27",  # a query form the fake does not model
    ],
)
def test_malformed_parameters_are_refused(google, path):
    assert raw(google, "GET", path)[0] == 400


def test_an_unknown_route_is_404(google):
    assert raw(google, "GET", "/drive/v3/folders")[0] == 404
    assert raw(google, "DELETE", "/gmail/v1/users/me/profile")[0] == 404


def test_comments_need_fields(google):
    file_id = google.users.create_doc(google.drive.root_id, "Draf", "Pasal 1")
    status, answer = raw(google, "GET", f"/drive/v3/files/{file_id}/comments")
    assert (status, reason(answer)) == (400, "required")
    assert raw(google, "GET", f"/drive/v3/files/{file_id}/comments?fields=comments(id)")[0] == 200


def test_body_fields_are_checked(google, services):
    drive, _ = services
    file_id = google.users.upload(google.drive.root_id, "a.pdf", b"%PDF-1.4")
    with pytest.raises(HttpError) as unknown:
        drive.files().update(fileId=file_id, body={"colour": "red"}).execute()
    assert unknown.value.status_code == 400
    with pytest.raises(HttpError) as parents:
        drive.files().update(fileId=file_id, body={"parents": ["x"]}).execute()
    assert (parents.value.status_code, parents.value.error_details[0]["reason"]) == (
        403,
        "fieldNotWritable",
    )


def test_a_file_has_one_parent(google, services):
    drive, _ = services
    folder = google.users.upload(google.drive.root_id, "F", b"", FOLDER_MIME)
    file_id = google.users.upload(google.drive.root_id, "a.pdf", b"%PDF-1.4")
    with pytest.raises(HttpError) as error:
        drive.files().update(fileId=file_id, addParents=folder).execute()
    assert error.value.error_details[0]["reason"] == "cannotAddParent"


def test_shared_drive_files_need_supports_all_drives(google, services):
    drive, _ = services
    shared = google.drive.new_shared_drive("Hukum")
    file_id = google.users.upload(shared, "a.pdf", b"%PDF-1.4")
    with pytest.raises(HttpError) as error:
        drive.files().get(fileId=file_id).execute()
    assert error.value.status_code == 404
    assert drive.files().get(fileId=file_id, supportsAllDrives=True).execute()["id"] == file_id
    with pytest.raises(HttpError):  # driveId without corpora=drive
        drive.files().list(driveId=shared, supportsAllDrives=True).execute()


def test_google_docs_are_exported_not_downloaded(google, services):
    drive, _ = services
    doc = google.users.create_doc(google.drive.root_id, "Draf", "PASAL 1\nKetentuan umum")
    with pytest.raises(HttpError) as error:
        drive.files().get_media(fileId=doc).execute()
    assert error.value.error_details[0]["reason"] == "fileNotDownloadable"
    pdf = drive.files().export_media(fileId=doc, mimeType="application/pdf").execute()
    assert "Ketentuan umum" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    google.drive.export_limit = len(pdf) - 1
    with pytest.raises(HttpError) as limit:
        drive.files().export_media(fileId=doc, mimeType="application/pdf").execute()
    assert (limit.value.status_code, limit.value.error_details[0]["reason"]) == (
        403,
        "exportSizeLimitExceeded",
    )


def test_gmail_refuses_duplicate_labels_and_forgotten_history(google, services):
    _, gmail = services
    gmail.users().labels().create(userId="me", body={"name": "drivebot/diproses"}).execute()
    with pytest.raises(HttpError) as duplicate:
        gmail.users().labels().create(userId="me", body={"name": "Drivebot/Diproses"}).execute()
    assert duplicate.value.status_code == 409
    start = gmail.users().getProfile(userId="me").execute()["historyId"]
    gmail.users().history().list(userId="me", startHistoryId=start).execute()
    google.gmail.expire_history()
    with pytest.raises(HttpError) as expired:
        gmail.users().history().list(userId="me", startHistoryId=start).execute()
    assert expired.value.status_code == 404


def test_a_large_json_body_is_refused(google):
    body = json.dumps({"raw": "A" * (6 * 1024 * 1024)}).encode()
    status, answer = raw(
        google,
        "POST",
        "/gmail/v1/users/me/messages/send",
        body,
        {"Content-Type": "application/json"},
    )
    assert (status, reason(answer)) == (413, "uploadTooLarge")


# --- real state over the wire ------------------------------------------------------------------


def test_multipart_bodies_with_bare_lf_parse_exactly():
    payload = b"\r\n\n\r" + bytes(range(256)) * 4  # CR and LF bytes inside the media
    body = (
        b'--==b==\nContent-Type: application/json\n\n{"name": "x"}\n--==b==\n'
        b"Content-Type: application/pdf\nContent-Transfer-Encoding: binary\n\n"
        + payload
        + b"\n--==b==--"
    )
    metadata, media, mime = parse_multipart('multipart/related;\n boundary="==b=="', body)
    assert (metadata, media, mime) == ({"name": "x"}, payload, "application/pdf")


def test_resumable_upload_and_ranged_download(google, services, tmp_path):
    drive, _ = services
    data = bytes(range(256)) * 4096 * 3  # 3 MiB
    media = MediaIoBaseUpload(
        io.BytesIO(data), "application/pdf", chunksize=1024 * 1024, resumable=True
    )
    made = (
        drive.files()
        .create(body={"name": "big.pdf"}, media_body=media, fields="id,size,md5Checksum")
        .execute()
    )
    assert int(made["size"]) == len(data)
    assert google.counts["drive.files.create"] == 4  # the session, then three chunks
    out = io.BytesIO()
    downloader = MediaIoBaseDownload(
        out, drive.files().get_media(fileId=made["id"]), chunksize=1024 * 1024
    )
    done = False
    while not done:
        _, done = downloader.next_chunk()
    assert out.getvalue() == data
    assert google.counts["drive.files.get"] == 3  # three ranged requests answered 206


def test_changes_page_and_report_the_current_state_once(google, services):
    drive, _ = services
    start = drive.changes().getStartPageToken().execute()["startPageToken"]
    ids = [google.users.upload(google.drive.root_id, f"{n}.pdf", b"%PDF") for n in range(5)]
    google.users.trash(ids[0])
    first = drive.changes().list(pageToken=start, pageSize=3, fields="*").execute()
    assert "nextPageToken" in first and "newStartPageToken" not in first
    second = (
        drive.changes().list(pageToken=first["nextPageToken"], pageSize=3, fields="*").execute()
    )
    seen = [c["fileId"] for c in first["changes"] + second["changes"]]
    assert sorted(seen) == sorted(ids)
    trashed = next(c for c in first["changes"] + second["changes"] if c["fileId"] == ids[0])
    assert trashed["file"]["trashed"] is True
    idle = drive.changes().list(pageToken=second["newStartPageToken"]).execute()
    assert idle["changes"] == []


def test_default_fields_are_drives(google, services):
    drive, _ = services
    file_id = google.users.upload(google.drive.root_id, "a.pdf", b"%PDF")
    assert set(drive.files().get(fileId=file_id).execute()) == {"kind", "id", "name", "mimeType"}


# --- counters and faults -----------------------------------------------------------------------


def test_requests_are_counted_per_method(google, services):
    drive, gmail = services
    drive.files().list().execute()
    drive.files().list().execute()
    gmail.users().getProfile(userId="me").execute()
    raw(google, "GET", "/drive/v3/changes")  # refused, but it reached the method
    assert google.counts["drive.files.list"] == 2
    assert google.counts["gmail.users.getProfile"] == 1
    assert google.requests("drive.") == 3 and google.requests() == 4


def test_scheduled_faults_come_in_order(google):
    google.faults.schedule("drive.files.list", Fault.RATE_LIMIT, None, Fault.UNAVAILABLE)
    first, second, third = (raw(google, "GET", "/drive/v3/files") for _ in range(3))
    assert (first[0], reason(first[1])) == (429, "rateLimitExceeded")
    assert second[0] == 200
    assert third[0] == 503
    assert google.faults.injected == {"drive.files.list 429": 1, "drive.files.list 503": 1}


def test_a_dropped_connection_has_no_answer(google):
    google.faults.schedule("drive.files.list", Fault.DROP)
    host, port = google.url.split("//")[1].rstrip("/").split(":")
    with socket.create_connection((host, int(port))) as connection:
        connection.sendall(b"GET /drive/v3/files HTTP/1.1\r\nHost: x\r\n\r\n")
        assert connection.recv(100) == b""


def test_random_faults_are_deterministic_per_seed():
    def pattern(seed: int) -> list[int]:
        with FakeGoogle(seed=seed) as server:
            server.faults.set_rate(0.5, kinds=(Fault.SERVER_ERROR,))
            return [raw(server, "GET", "/drive/v3/files")[0] for _ in range(20)]

    assert pattern(3) == pattern(3)
    assert 500 in pattern(3) and 200 in pattern(3)


def test_users_act_outside_the_counters(google, tmp_path):
    folder = google.users.upload(google.drive.root_id, "Masuk", b"", FOLDER_MIME)
    google.users.upload(folder, "a.docx", b"PK")
    google.users.send_email(b"From: a@b.example\nTo: c@d.example\nSubject: x\n\nhi\n")
    assert google.requests() == 0
    assert [f.name for f in google.drive.children(folder)] == ["a.docx"]


def test_delivered_mail_carries_googles_authentication_results_on_top(google, services):
    _, gmail = services
    injected = (
        b"Authentication-Results: mx.google.com; dmarc=pass header.from=d.example\n"
        b"From: a@d.example\nTo: c@e.example\nSubject: x\n\nhi\n"
    )
    message_id = google.users.send_email(injected, authenticated=False)
    item = (
        gmail.users()
        .messages()
        .get(
            userId="me",
            id=message_id,
            format="metadata",
            metadataHeaders=["Authentication-Results"],
        )
        .execute()
    )
    values = [h["value"] for h in item["payload"]["headers"]]
    assert len(values) == 2 and "dmarc=fail" in values[0] and "dmarc=pass" in values[1]
