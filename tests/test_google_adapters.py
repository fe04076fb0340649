"""What only the Google adapters do (the shared behaviour is in tests/contract): authentication
results, sync fallbacks, paging, export limits, uploads, retries, quotas and error mapping."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser
from pathlib import Path

import pytest
from builders import draft_docx, email_with_attachment
from contract.worlds import save_login
from fakegoogle import FakeGoogle, Fault
from fakegoogle.drive import FOLDER_MIME
from fakegoogle.gmail import ADDRESS as BOT

from drivebot.config import DEFAULT_FOLDERS, GoogleSettings
from drivebot.drive import GoogleDrive, setup_google_folders
from drivebot.errors import BadDocument, ConfigError, DrivebotError, NotFound, TransientError
from drivebot.flows import Folder
from drivebot.gmail import GmailMailbox, sender_authenticated
from drivebot.google.auth import run_auth_flow
from drivebot.google.quota import GMAIL_UNITS, WindowLimiter
from drivebot.google_api import drive_client, gmail_client

OPDS = ["Dinas Kesehatan"]
SENDER = "Staf Dinkes <staf@dinkes.example.go.id>"


class Setup:
    def __init__(self, google: FakeGoogle, tmp_path, shared_drive: bool = False):
        self.google = google
        self.users = google.users
        login = save_login(google, tmp_path, BOT)
        if shared_drive:
            drive_id = google.drive.new_shared_drive("Hukum", members={BOT: "organizer"})
            settings = GoogleSettings(api_endpoint=google.url, shared_drive_id=drive_id, **login)
        else:
            root = self.users.upload(google.drive.root_id, "Hukum", b"", FOLDER_MIME)
            google.users.share(root, BOT, "writer")
            settings = GoogleSettings(api_endpoint=google.url, root_folder_id=root, **login)
        self.drive_service = drive_client(settings, tmp_path, max_backoff=0.001)
        self.gmail_service = gmail_client(settings, tmp_path, max_backoff=0.001)
        ids = setup_google_folders(self.drive_service, settings, DEFAULT_FOLDERS, OPDS)
        self.settings = replace(settings, folder_ids=ids)
        self.drive = GoogleDrive(self.drive_service, self.settings, DEFAULT_FOLDERS)
        self.mailbox = GmailMailbox(self.gmail_service)
        google.counts.clear()

    def folder(self, key: str) -> str:
        return self.settings.folder_ids[key]

    def drop(self, name: str = "Ranperbup.docx", data: bytes | None = None) -> str:
        return self.users.upload(self.folder("inbox/Dinas Kesehatan"), name, data or draft_docx())


@pytest.fixture
def google():
    with FakeGoogle(seed=11, require_auth=True) as server:
        yield server


@pytest.fixture
def world(google, tmp_path):
    return Setup(google, tmp_path)


# --- sender_authenticated: a pure function of the headers -------------------------------------


def headers(*results: str, sender: str = SENDER) -> Message:
    message = Message()
    for value in results:
        message["Authentication-Results"] = value
    if sender:
        message["From"] = sender
    return message


GOOD = (
    "mx.google.com; dkim=pass header.i=@dinkes.example.go.id header.s=s1 header.b=x; "
    "spf=pass (google.com: domain of staf@dinkes.example.go.id designates 203.0.113.7 as "
    "permitted sender) smtp.mailfrom=staf@dinkes.example.go.id; dmarc=pass (p=REJECT "
    "sp=REJECT dis=NONE) header.from=dinkes.example.go.id"
)


@pytest.mark.parametrize(
    ("results", "sender", "expected"),
    [
        ((GOOD,), SENDER, True),
        (("mx.google.com; dmarc=pass header.from=dinkes.example.go.id",), SENDER, True),
        (("mx.google.com; dkim=pass header.d=dinkes.example.go.id",), SENDER, True),
        (("mx.google.com; dkim=pass header.i=@example.go.id",), SENDER, True),  # relaxed alignment
        (("mx.google.com; spf=pass smtp.mailfrom=bounce@dinkes.example.go.id",), SENDER, True),
        (("MX.Google.com; DMARC=PASS header.from=DINKES.example.go.id",), SENDER, True),
        # unaligned, failing or missing results
        (("mx.google.com; dkim=pass header.d=mailer.example.com",), SENDER, False),
        (("mx.google.com; spf=pass smtp.mailfrom=x@other.example",), SENDER, False),
        (("mx.google.com; dmarc=pass header.from=other.example",), SENDER, False),
        (("mx.google.com; dkim=pass header.d=com",), "a <a@com>", False),  # a bare TLD never aligns
        (
            (
                "mx.google.com; dkim=pass header.d=dinkes.example.go.id; dmarc=fail "
                "header.from=dinkes.example.go.id",
            ),
            SENDER,
            False,
        ),
        (
            (
                "mx.google.com; dkim=fail header.d=dinkes.example.go.id; spf=softfail "
                "smtp.mailfrom=x@dinkes.example.go.id",
            ),
            SENDER,
            False,
        ),
        (
            (
                "mx.google.com; dkim=none "
                "(no signature dmarc=pass header.from=dinkes.example.go.id)",
            ),
            SENDER,
            False,
        ),  # a pass inside a comment is no result
        ((), SENDER, False),
        ((GOOD,), "", False),
        ((GOOD,), "a@dinkes.example.go.id, b@dinkes.example.go.id", False),
        # a sender's own headers: Gmail's sits on top, anything below is ignored
        (("mx.google.com; dmarc=fail header.from=dinkes.example.go.id", GOOD), SENDER, False),
        (("mx.google.com; spf=neutral smtp.mailfrom=x@evil.example", GOOD), SENDER, False),
        (("spoof.example; dmarc=pass header.from=dinkes.example.go.id",), SENDER, False),
        (("relay.example; none", GOOD), SENDER, False),  # Google's is not the topmost: no trust
    ],
)
def test_sender_authenticated(results, sender, expected):
    assert sender_authenticated(headers(*results, sender=sender)) is expected


def _mail(subject: str = "Pengajuan", extra: dict[str, str] | None = None) -> bytes:
    return email_with_attachment(
        SENDER, "hukum@example.go.id", subject, [("draf.docx", b"PK docx")], extra_headers=extra
    )


def test_injected_authentication_results_do_not_pass_through_gmail(world):
    cursor = world.mailbox.poll(None)[1]
    world.users.send_email(_mail("asli"))
    world.users.send_email(_mail("palsu", {"Authentication-Results": GOOD}), authenticated=False)
    refs, _ = world.mailbox.poll(cursor)
    verdicts = {
        world.mailbox.headers(r)["Subject"]: world.mailbox.sender_authenticated(
            world.mailbox.headers(r)
        )
        for r in refs
    }
    assert verdicts == {"asli": True, "palsu": False}


# --- Gmail sync ------------------------------------------------------------------------------


def test_the_first_start_leaves_mail_already_in_the_inbox_alone(world):
    world.users.send_email(_mail("undangan rapat, sebelum drivebot"))
    refs, cursor = world.mailbox.poll(None)
    assert refs == []
    world.users.send_email(_mail("pengajuan"))
    refs, _ = world.mailbox.poll(cursor)
    assert [world.mailbox.headers(r)["Subject"] for r in refs] == ["pengajuan"]


def test_mail_taken_out_of_spam_is_polled(world):
    cursor = world.mailbox.poll(None)[1]
    spam_id = world.users.send_email(_mail("tersaring"), spam=True)
    refs, cursor = world.mailbox.poll(cursor)
    assert refs == []
    world.users.not_spam(spam_id)
    refs, _ = world.mailbox.poll(cursor)
    assert [r.id for r in refs] == [spam_id]


def test_an_idle_poll_is_one_request_per_api(world):
    world.drop()
    cursor = world.drive.poll(None)[1]
    mail_cursor = world.mailbox.poll(None)[1]
    world.google.counts.clear()
    assert world.drive.poll(cursor) == ([], cursor)
    assert world.mailbox.poll(mail_cursor)[0] == []
    assert dict(world.google.counts) == {"drive.changes.list": 1, "gmail.users.history.list": 1}


def test_forgotten_history_falls_back_to_a_full_sync(world):
    cursor = world.mailbox.poll(None)[1]
    world.users.send_email(_mail("lama"))
    [old], cursor = world.mailbox.poll(cursor)
    world.mailbox.mark_processed(old)
    world.users.send_email(_mail("baru"))
    world.google.gmail.expire_history()
    world.google.counts.clear()
    refs, new_cursor = world.mailbox.poll(cursor)
    assert [world.mailbox.headers(r)["Subject"] for r in refs] == ["baru"]
    assert world.google.counts["gmail.users.messages.list"] == 1  # the bounded full sync
    assert int(new_cursor) > int(cursor)
    world.mailbox.mark_processed(refs[0])
    world.users.send_email(_mail("terbaru"))
    refs, _ = world.mailbox.poll(new_cursor)
    assert [world.mailbox.headers(r)["Subject"] for r in refs] == ["terbaru"]


def test_history_pages_and_headers_come_with_the_poll(world):
    cursor = world.mailbox.poll(None)[1]
    for n in range(510):
        world.users.send_email(_mail(f"m{n}"))
    world.google.counts.clear()
    refs, _ = world.mailbox.poll(cursor)
    assert len(refs) == 510 and refs[0].size > 0
    assert world.google.counts["gmail.users.history.list"] == 2  # 500 per page
    assert world.mailbox.headers(refs[-1])["Subject"] == "m509"
    assert world.google.counts["gmail.users.messages.get"] == 510  # no second get for headers


def test_labels_are_found_or_created_once(world):
    world.google.gmail.labels["Label_9"] = {
        "id": "Label_9",
        "name": "drivebot/diproses",
        "type": "user",
    }
    cursor = world.mailbox.poll(None)[1]
    world.users.send_email(_mail("satu"))
    world.users.send_email(_mail("dua"))
    first, second = world.mailbox.poll(cursor)[0]
    world.mailbox.mark_processed(first)
    world.mailbox.quarantine(second)
    labels = {m.id: m.labels for m in world.google.gmail.messages.values()}
    assert "Label_9" in labels[first.id] and "INBOX" in labels[first.id]
    assert world.google.counts["gmail.users.labels.create"] == 1  # only karantina was missing


def test_a_large_message_is_uploaded_and_a_reply_stays_in_its_thread(world):
    original_id = world.users.send_email(_mail("Pengajuan"))
    original = world.google.gmail.messages[original_id]
    reply = EmailMessage()
    reply["From"] = "hukum@example.go.id"
    reply["To"] = "staf@dinkes.example.go.id"
    reply["Subject"] = "Re: Pengajuan"
    reply["Message-ID"] = "<drivebot.9@example.go.id>"
    reply["In-Reply-To"] = original.header("Message-ID")
    reply.set_content("Diterima.")
    reply.add_attachment(
        b"%PDF" + b"x" * (4 * 1024 * 1024),
        maintype="application",
        subtype="pdf",
        filename="lampiran.pdf",
    )
    world.mailbox.send(reply.as_bytes())
    [sent] = [m for m in world.google.gmail.messages.values() if "SENT" in m.labels]
    assert sent.thread_id == original.thread_id
    assert BytesHeaderParser().parsebytes(sent.raw)["Message-ID"] == "<drivebot.9@example.go.id>"
    assert world.mailbox.was_sent("<drivebot.9@example.go.id>")


def test_fetch_of_a_deleted_message_is_not_found(world, tmp_path):
    cursor = world.mailbox.poll(None)[1]
    world.users.send_email(_mail())
    [ref], _ = world.mailbox.poll(cursor)
    del world.google.gmail.messages[ref.id]
    with pytest.raises(NotFound):
        world.mailbox.fetch(ref, tmp_path / "fetched")


# --- Drive -----------------------------------------------------------------------------------


def test_cold_start_lists_each_watched_folder_with_paging(world):
    for n in range(1050):
        world.users.upload(world.folder("review"), f"{n:04d}.pdf", b"%PDF")
    world.drop()
    world.users.upload(world.folder("archive"), "arsip.pdf", b"%PDF")  # not watched
    world.users.upload(world.folder("inbox"), "lepas.docx", b"PK")  # in no OPD's folder
    files, cursor = world.drive.poll(None)
    assert len(files) == 1051
    assert {f.folder for f in files} == {Folder.REVIEW, Folder.INBOX}
    watched = 6  # review, revision, approved, final, one OPD inbox; review takes two pages
    assert world.google.counts["drive.files.list"] == watched
    assert world.google.counts["drive.changes.getStartPageToken"] == 1
    assert world.drive.poll(cursor)[0] == []


def test_changes_report_moves_into_and_out_of_the_watched_folders(world):
    cursor = world.drive.poll(None)[1]
    stays = world.drop("a.docx")
    leaves = world.drop("b.docx")
    trashed = world.drop("c.docx")
    for n in range(1200):  # more than one page of changes
        world.users.upload(world.folder("archive"), f"{n}.pdf", b"%PDF")
    world.users.move(leaves, world.folder("archive"))
    world.users.trash(trashed)
    world.google.counts.clear()
    files, _ = world.drive.poll(cursor)
    assert [(f.id, f.folder, f.opd_folder) for f in files] == [
        (stays, Folder.INBOX, "Dinas Kesehatan")
    ]
    assert world.google.counts["drive.changes.list"] == 2


def test_a_google_doc_downloads_as_pdf_within_the_export_limit(world, tmp_path):
    doc = world.users.create_doc(world.folder("review"), "Draf", "PASAL 1")
    world.drive.download(doc, tmp_path / "draf.pdf")
    assert (tmp_path / "draf.pdf").read_bytes().startswith(b"%PDF")
    world.google.drive.export_limit = 100
    with pytest.raises(BadDocument) as error:
        world.drive.download(doc, tmp_path / "besar.pdf")
    assert error.value.reason == "too_large"
    assert not (tmp_path / "besar.pdf").exists()


def test_a_six_megabyte_upload_is_resumable(world, tmp_path):
    source = tmp_path / "final.pdf"
    source.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 24 * 1024)  # 6 MiB
    small = tmp_path / "note.txt"
    small.write_text("kecil")
    uploaded = world.drive.upload(source, "final.pdf", Folder.FINAL)
    assert world.google.counts["drive.files.create"] == 2  # the session, then one chunk
    world.drive.upload(small, "note.txt", Folder.QUARANTINE)
    assert world.google.counts["drive.files.create"] == 3  # one multipart request
    world.drive.download(uploaded.id, tmp_path / "back.pdf")
    assert (tmp_path / "back.pdf").read_bytes() == source.read_bytes()
    assert uploaded.size == source.stat().st_size


def test_an_upload_drive_opens_no_session_for_is_refused_and_makes_nothing(world, tmp_path):
    """Drive (or a proxy in the way) answers a resumable upload's start without a session:
    not a network blip to retry for ever, not a configuration error; nothing was made, and
    the same upload under the same reserved id works once Drive opens sessions again."""
    source = tmp_path / "final.pdf"
    source.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 24 * 1024)  # 6 MiB: resumable
    [file_id] = world.drive.reserve_ids(1)
    world.google.faults.schedule("drive.files.create", Fault.NO_SESSION)
    with pytest.raises(DrivebotError, match="no session") as refused:
        world.drive.upload(source, "final.pdf", Folder.FINAL, file_id=file_id)
    assert not isinstance(refused.value, TransientError | ConfigError)
    assert file_id not in world.google.drive.files
    uploaded = world.drive.upload(source, "final.pdf", Folder.FINAL, file_id=file_id)
    assert uploaded.id == file_id and uploaded.size == source.stat().st_size


def test_review_copy_is_imported_once(world, tmp_path):
    file = world.drive.move(world.drive.get(world.drop()).id, Folder.REVIEW)
    copy = world.drive.review_copy(file)
    assert (copy.folder, copy.name, copy.mime_type) == (
        Folder.REVIEW,
        "Ranperbup",
        "application/vnd.google-apps.document",
    )
    assert copy.link and "docs.google.com" in copy.link
    assert world.drive.review_copy(file) == copy
    assert world.google.counts["drive.files.create"] == 1
    (tmp_path / "x.pdf").write_bytes(b"%PDF-1.4\n")
    pdf = world.drive.upload(tmp_path / "x.pdf", "x.pdf", Folder.REVIEW)
    assert world.drive.review_copy(pdf) == pdf


def test_a_docx_docs_cannot_import_is_a_bad_document(world):
    file = world.drive.move(world.drop("rusak.docx", b"PK not really a docx"), Folder.REVIEW)
    with pytest.raises(BadDocument) as error:
        world.drive.review_copy(file)
    assert error.value.reason == "docx_corrupt"


def test_comments_page_and_skip_resolved_deleted_and_empty_replies(world):
    doc = world.users.create_doc(world.folder("review"), "Draf", "Pasal 1")
    ids = [world.users.comment(doc, f"catatan {n}", quoted=f"Pasal {n} & <b>") for n in range(130)]
    world.users.reply(doc, ids[0], "setuju", author="Perancang")
    world.users.resolve(doc, ids[1])
    world.users.delete_comment(doc, ids[2])
    comments = world.drive.comments(doc)
    assert len(comments) == 128
    assert world.google.counts["drive.comments.list"] == 2
    assert comments[0].quoted == "Pasal 0 & <b>"
    assert [(r.author, r.content) for r in comments[0].replies] == [("Perancang", "setuju")]


def test_lock_restricts_content_and_copying(world):
    file_id = world.users.upload(world.folder("archive"), "final.pdf", b"%PDF")
    world.drive.lock(file_id)
    stored = world.google.drive.files[file_id]
    assert (
        stored.content_restrictions[0]["readOnly"]
        and stored.content_restrictions[0]["ownerRestricted"]
    )
    assert stored.copy_requires_writer_permission
    assert world.drive.get(file_id).locked


def test_move_out_of_the_inbox_and_idempotence(world):
    file_id = world.drop()
    moved = world.drive.move(file_id, Folder.REVIEW, "HK-1 v1.docx")
    world.google.counts.clear()
    assert world.drive.move(file_id, Folder.REVIEW, "HK-1 v1.docx") == moved
    assert dict(world.google.counts) == {"drive.files.get": 1}  # no update when already there
    assert moved.opd_folder is None


def test_setup_is_idempotent_and_works_in_a_shared_drive(google, tmp_path):
    shared = Setup(google, tmp_path, shared_drive=True)
    again = setup_google_folders(
        shared.drive_service, replace(shared.settings, folder_ids={}), DEFAULT_FOLDERS, OPDS
    )
    assert again == shared.settings.folder_ids
    assert len(again) == len(Folder) + len(OPDS)
    assert google.counts["drive.files.create"] == 0
    file_id = shared.drop()
    files, cursor = shared.drive.poll(None)
    assert [f.id for f in files] == [file_id]
    shared.users.move(file_id, shared.folder("review"))
    assert [f.folder for f in shared.drive.poll(cursor)[0]] == [Folder.REVIEW]


def test_setup_checks_the_bots_access(google, tmp_path):
    root = google.users.upload(google.drive.root_id, "Hukum", b"", FOLDER_MIME)
    google.users.revoke(root, "canAddChildren")
    settings = GoogleSettings(
        api_endpoint=google.url, root_folder_id=root, **save_login(google, tmp_path)
    )
    drive = drive_client(settings, tmp_path)
    with pytest.raises(ConfigError, match="canAddChildren"):
        setup_google_folders(drive, settings, DEFAULT_FOLDERS, OPDS)
    with pytest.raises(ConfigError, match="not found"):
        setup_google_folders(drive, replace(settings, root_folder_id="nope"), DEFAULT_FOLDERS, OPDS)
    with pytest.raises(ConfigError, match="root_folder_id"):
        setup_google_folders(drive, replace(settings, root_folder_id=""), DEFAULT_FOLDERS, OPDS)


def test_a_refused_permission_stops_with_a_config_error(world):
    file_id = world.drop()
    world.users.revoke(file_id, "canEdit")
    with pytest.raises(ConfigError, match="insufficientFilePermissions"):
        world.drive.move(file_id, Folder.REVIEW)


def test_unknown_folder_keys_are_config_errors(world):
    with pytest.raises(ConfigError, match="folder_ids"):
        GoogleDrive(
            world.drive_service, replace(world.settings, folder_ids={"kotak": "x"}), DEFAULT_FOLDERS
        )


# --- retries, quotas, credentials ------------------------------------------------------------


def test_work_goes_through_injected_faults(world, tmp_path):
    world.google.faults.set_rate(
        0.3, kinds=(Fault.UNAVAILABLE, Fault.SERVER_ERROR, Fault.RATE_LIMIT, Fault.DROP)
    )
    cursor = world.drive.poll(None)[1]
    file_id = world.drop()
    [file] = world.drive.poll(cursor)[0]
    world.drive.download(file_id, tmp_path / "draf.docx")
    moved = world.drive.move(file.id, Folder.REVIEW)
    # Creating is never retried by the client (a lost answer would create twice): the caller
    # tries again, and finds the Doc a dropped answer already made.
    for _ in range(20):
        try:
            review = world.drive.review_copy(moved)
            break
        except TransientError:
            continue
    docs = [
        f
        for f in world.google.drive.files.values()
        if f.mime_type == "application/vnd.google-apps.document"
    ]
    assert len(docs) == 1
    mail_cursor = world.mailbox.poll(None)[1]
    world.users.send_email(_mail())
    [ref], _ = world.mailbox.poll(mail_cursor)
    world.mailbox.mark_processed(ref)
    assert (tmp_path / "draf.docx").read_bytes() == draft_docx()
    assert review.mime_type == "application/vnd.google-apps.document"
    assert sum(world.google.faults.injected.values()) >= 5


def test_retries_end_in_a_transient_error_with_capped_backoff(world):
    cursor = world.drive.poll(None)[1]
    world.google.faults.schedule("drive.changes.list", *[Fault.UNAVAILABLE] * 6)
    started = time.monotonic()
    with pytest.raises(TransientError, match="503"):
        world.drive.poll(cursor)
    assert time.monotonic() - started < 1  # unbounded, the client would sleep up to 63 s
    assert world.google.counts["drive.changes.list"] == 6  # the try and five retries
    assert world.drive.poll(cursor) == ([], cursor)


def _spent_in_any(window: float, calls: list[tuple[float, float]]) -> float:
    return max(sum(u for t, u in calls if start <= t < start + window) for start, _ in calls)


def test_the_quota_limiter_keeps_every_window_under_its_limit_from_the_first_second():
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    limiter = WindowLimiter([(1.0, 250), (60.0, 15_000)], clock=lambda: now[0], sleep=sleep)
    calls = []
    for n in range(600):  # a backlog: sends (100 units) among cheap reads
        units = 100 if n % 3 == 0 else 5
        limiter.take(units)
        calls.append((now[0], units))
    assert _spent_in_any(1.0, calls) <= 250 * 0.9
    assert _spent_in_any(60.0, calls) <= 15_000 * 0.9
    assert calls[0][0] == 0.0  # nothing waits while there is room


def test_a_call_larger_than_a_window_still_goes_when_the_window_is_empty():
    now = [0.0]
    limiter = WindowLimiter([(1.0, 10)], clock=lambda: now[0], sleep=lambda s: None)
    assert limiter.take(50) == 0.0


def test_each_gmail_call_takes_its_quota_units(world):
    request = world.gmail_service.service.users().messages().send(userId="me", body={"raw": ""})
    [second, minute] = request.guard.limiter.windows
    assert (second.seconds, minute.seconds) == (1.2, 60.2)  # Google's, and a margin
    assert second.limit == pytest.approx(250 * 0.9) and minute.limit == pytest.approx(15_000 * 0.9)
    before = second.total
    world.gmail_service.service.users().getProfile(userId="me").execute()
    assert second.total - before == 1
    assert GMAIL_UNITS["gmail.users.messages.send"] == 100
    assert request.guard.cost(request.methodId) == 100


def test_missing_or_revoked_logins_are_config_errors(google, tmp_path):
    """At the local Google's token endpoint: an expired access token is refreshed and the call
    goes on; a revoked refresh token is a ConfigError telling to sign in again."""
    with pytest.raises(ConfigError, match="drivebot auth"):
        drive_client(GoogleSettings(), tmp_path)  # no saved login at all
    login = save_login(google, tmp_path, BOT)
    settings = GoogleSettings(api_endpoint=google.url, **login)
    google.expire_access_tokens()
    client = drive_client(settings, tmp_path)  # read, not refreshed: no request yet
    assert google.counts["oauth2.token"] == 0
    client.call(client.service.files().get(fileId="root", fields="id"))
    assert google.counts["oauth2.token"] == 1  # refreshed on first use, then it went through
    token = json.loads(Path(login["token_file"]).read_text(encoding="utf-8"))
    google.revoke_refresh_token(token["refresh_token"])
    revoked = drive_client(settings, tmp_path)
    with pytest.raises(ConfigError, match="drivebot auth"):
        revoked.call(revoked.service.files().get(fileId="root", fields="id"))
    narrow = {**token, "scopes": ["https://www.googleapis.com/auth/drive.file"]}
    Path(login["token_file"]).write_text(json.dumps(narrow), encoding="utf-8")
    with pytest.raises(ConfigError, match="lacks the permissions"):
        drive_client(settings, tmp_path)
    with pytest.raises(ConfigError, match="subject"):
        drive_client(GoogleSettings(service_account_file="sa.json"), tmp_path)


def test_a_service_account_acts_for_the_mailbox_it_was_delegated(google, tmp_path):
    key = google.service_account_info("drivebot@sbt.iam.gserviceaccount.com", delegate_to=[BOT])
    (tmp_path / "sa.json").write_text(json.dumps(key), encoding="utf-8")
    settings = GoogleSettings(api_endpoint=google.url, service_account_file="sa.json", subject=BOT)
    gmail = gmail_client(settings, tmp_path)
    profile = gmail.call(gmail.service.users().getProfile(userId="me"))
    assert profile["emailAddress"] == BOT
    stranger = replace(settings, subject="orang.lain@example.com")
    refused = gmail_client(stranger, tmp_path)
    with pytest.raises(ConfigError, match="drivebot auth"):
        refused.call(refused.service.users().getProfile(userId="me"))


def test_the_auth_flow_saves_the_token_private(tmp_path, monkeypatch):
    from google_auth_oauthlib.flow import InstalledAppFlow

    with pytest.raises(ConfigError, match="OAuth client"):
        run_auth_flow(GoogleSettings(), tmp_path)
    (tmp_path / "credentials.json").write_text(
        json.dumps(
            {
                "installed": {
                    "client_id": "c",
                    "client_secret": "s",
                    "auth_uri": "https://a.example/auth",
                    "token_uri": "https://a.example/token",
                    "redirect_uris": ["http://localhost"],
                }
            }
        )
    )

    class Creds:
        def to_json(self) -> str:
            return '{"refresh_token": "r"}'

    monkeypatch.setattr(InstalledAppFlow, "run_local_server", lambda self, **kw: Creds())
    path = run_auth_flow(GoogleSettings(), tmp_path)
    assert path.read_text() == '{"refresh_token": "r"}'
    assert path.stat().st_mode & 0o777 == 0o600


def test_the_example_credentials_file_has_the_installed_client_shape():
    example = json.loads((Path(__file__).parents[1] / "credentials.example.json").read_text())
    assert set(example["installed"]) >= {
        "client_id",
        "client_secret",
        "auth_uri",
        "token_uri",
        "redirect_uris",
    }
