"""Plausible but unusual inputs and failures around intake and the outbox, each of which once lost
a draft, registered one twice, or sent an e-mail too early (local backend)."""

from __future__ import annotations

import io
import shutil
import threading
from email.message import EmailMessage

import pytest
from builders import draft_docx, email_with_attachment, final_pdf, write_config
from test_faults import INBOX, OPD_ADDRESS, approved, drop, sent, sent_to, service

from drivebot.cli import main
from drivebot.cli.console import Console, ExitStatus
from drivebot.errors import ConfigError, TransientError
from drivebot.local import LocalDrive, LocalMailbox

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class FailingUploads(LocalDrive):
    """A real folder tree whose n-th upload fails once (transient), as a network would."""

    def __init__(self, *args, fail_at: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fail_at, self.uploads = fail_at, 0

    def upload(self, source, name, folder, opd_folder=None, file_id=None):
        self.uploads += 1
        if self.uploads == self.fail_at:
            raise TransientError("upload timed out")
        return super().upload(source, name, folder, opd_folder, file_id)


class CursorDrive(LocalDrive):
    """Hands out a new cursor on every poll and remembers which cursor it was given."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.given: list[str | None] = []
        self.fail_downloads = 0

    def poll(self, cursor):
        self.given.append(cursor)
        return super().poll(cursor)[0], f"c{len(self.given)}"

    def download(self, file_id, dest):
        if self.fail_downloads:
            self.fail_downloads -= 1
            raise TransientError("timed out")
        return super().download(file_id, dest)


class StickyMailbox(LocalMailbox):
    """Cannot label (move) processed mail the first time."""

    failures = 1

    def mark_processed(self, ref):
        if self.failures:
            self.failures -= 1
            raise TransientError("Gmail did not answer")
        super().mark_processed(ref)


class LockRefused(LocalDrive):
    lock_refused = True

    def lock(self, file_id):
        if self.lock_refused:
            raise PermissionError("the archive folder is not writable")
        super().lock(file_id)


def _drive(cls, tmp_path, **kwargs):
    write_config(tmp_path)
    from drivebot.config import load

    return cls(tmp_path / "drive", load(tmp_path).folders, 0, **kwargs)


def test_two_emails_with_the_same_attachment_name_make_two_drafts(tmp_path):
    app = service(tmp_path)
    for subject in ("Retribusi Pasar", "Pajak Hotel"):
        app.mailbox.deliver(
            email_with_attachment(
                OPD_ADDRESS,
                "hukum@sbtkab.example",
                f"Ranperbup {subject}",
                [("Ranperbup.docx", draft_docx(subject=subject))],
            )
        )
    app.cycle()
    titles = sorted(d.title for d in app.store.drafts())
    assert titles == [
        "Rancangan Peraturan Bupati tentang Pajak Hotel",
        "Rancangan Peraturan Bupati tentang Retribusi Pasar",
    ]


def test_a_failed_second_attachment_does_not_register_the_first_again(tmp_path):
    drive = _drive(FailingUploads, tmp_path, fail_at=2)
    app = service(tmp_path, drive=drive)
    app.mailbox.deliver(
        email_with_attachment(
            OPD_ADDRESS,
            "hukum@sbtkab.example",
            "Dua rancangan",
            [
                ("A.docx", draft_docx(subject="Retribusi Pasar")),
                ("B.docx", draft_docx(subject="Pajak Hotel")),
            ],
        )
    )
    report = app.cycle()
    assert report.transient
    app.cycle()
    app.cycle()
    titles = sorted(d.title for d in app.store.drafts())
    assert titles == [
        "Rancangan Peraturan Bupati tentang Pajak Hotel",
        "Rancangan Peraturan Bupati tentang Retribusi Pasar",
    ]


def test_the_drive_cursor_is_kept_only_after_a_cycle_without_transient_failures(tmp_path):
    drive = _drive(CursorDrive, tmp_path)
    app = service(tmp_path, drive=drive)
    drop(tmp_path, "Ranperbup.docx", draft_docx())
    drive.fail_downloads = 1
    app.cycle()
    app.cycle()
    app.cycle()
    assert drive.given == [None, None, "c2"]  # the failed pass's cursor was not kept
    assert len(app.store.drafts()) == 1


def test_mail_left_in_the_inbox_after_a_failed_label_is_not_taken_in_twice(tmp_path):
    app = service(tmp_path, mailbox=StickyMailbox(tmp_path / "mail"))
    app.mailbox.deliver(
        email_with_attachment(
            OPD_ADDRESS, "hukum@sbtkab.example", "Draf", [("Ranperbup.docx", draft_docx())]
        )
    )
    app.cycle()
    assert list((tmp_path / "mail" / "inbox" / "new").iterdir())  # still there: not labelled
    app.cycle()
    app.cycle()
    assert len(app.store.drafts()) == 1
    assert len(sent_to(tmp_path, OPD_ADDRESS)) == 1


def test_an_attachment_nested_as_apple_mail_sends_it_is_found(tmp_path):
    message = EmailMessage()
    message["From"], message["To"] = OPD_ADDRESS, "hukum@sbtkab.example"
    message["Subject"] = "Pengajuan Ranperbup"
    message.set_content("Terlampir.")
    message.add_alternative("<p>Terlampir.</p>", subtype="html")
    html = message.get_payload()[1]
    html.make_mixed()
    html.add_attachment(
        draft_docx(), maintype="application", subtype=DOCX.split("/")[1], filename="Ranperbup.docx"
    )
    app = service(tmp_path)
    app.mailbox.deliver(message.as_bytes())
    app.cycle()
    assert [d.stage for d in app.store.drafts()] == ["pemeriksaan"]


def test_a_file_named_with_an_approved_draft_from_another_opd_is_not_archived(tmp_path):
    app = service(tmp_path)
    draft = approved(app, tmp_path)
    other = tmp_path / "drive" / "00 Masuk" / "Dinas Pendidikan" / f"{draft.reg} koreksi.pdf"
    other.write_bytes(final_pdf())
    own_docx = drop(tmp_path, f"{draft.reg} revisi.docx", draft_docx())
    app.cycle()
    assert app.store.draft(draft.reg).stage == "harmonisasi"
    assert app.archiver.ledger.products() == []
    quarantine = tmp_path / "drive" / "99 Karantina"
    assert (quarantine / other.name).exists() and (quarantine / own_docx.name).exists()


def test_a_file_put_back_after_quarantine_is_taken_in(tmp_path):
    app = service(tmp_path)
    stray = tmp_path / "drive" / "00 Masuk" / "Ranperbup.docx"  # outside every OPD's folder
    stray.write_bytes(draft_docx())
    app.cycle()
    kept = tmp_path / "drive" / "99 Karantina" / "Ranperbup.docx"
    assert kept.exists() and app.store.drafts() == []
    shutil.move(kept, tmp_path / INBOX / "Ranperbup.docx")  # the admin puts it right
    app.cycle()
    assert [d.opd for d in app.store.drafts()] == ["Dinas Kesehatan"]


def test_a_given_up_archive_step_holds_back_its_emails_until_retry(tmp_path):
    drive = _drive(LockRefused, tmp_path)
    app = service(tmp_path, drive=drive)
    draft = approved(app, tmp_path)
    (tmp_path / "f.pdf").write_bytes(final_pdf())
    app.commands.finalize(draft.reg, tmp_path / "f.pdf")
    for _ in range(6):
        app.cycle()
    archived_mail = [m for m in sent(tmp_path) if "diarsipkan" in m["Subject"].lower()]
    assert archived_mail == []
    assert any(
        "drivebot retry" in m.get_body(("plain",)).get_content()
        for m in sent_to(tmp_path, "kabag.hukum@sbtkab.example")
    )
    drive.lock_refused = False
    code = main(["retry", "-w", str(tmp_path)], Console(io.StringIO(), io.StringIO()))
    assert code == ExitStatus.OK
    app.cycle()
    archived_mail = [m for m in sent(tmp_path) if "diarsipkan" in m["Subject"].lower()]
    assert len(archived_mail) == 2  # to the OPD and to the admins, once each
    assert len(app.archiver.ledger.products()) == 1


def test_a_command_waits_for_the_running_cycle(tmp_path):
    daemon = service(tmp_path)
    order: list[str] = []
    blocked = threading.Event()

    def other_process() -> None:  # its own App and lock file handle, as a second process has
        other = service(tmp_path)
        other.lock.on_wait = blocked.set  # told when it finds the workspace held
        other.cycle()
        order.append("command")

    with daemon.lock.hold():
        worker = threading.Thread(target=other_process)
        worker.start()
        assert blocked.wait(10), "the second process did not find the workspace held"
        order.append("daemon done")
    worker.join(10)
    assert order == ["daemon done", "command"]


def test_a_missing_signing_key_stops_drivebot_once_products_are_signed(tmp_path):
    app = service(tmp_path)
    draft = approved(app, tmp_path)
    (tmp_path / "f.pdf").write_bytes(final_pdf())
    app.commands.finalize(draft.reg, tmp_path / "f.pdf")
    shutil.rmtree(tmp_path / "keys")
    with pytest.raises(ConfigError, match=r"signing key .* is missing"):
        service(tmp_path).cycle()


def test_finalize_before_approval_is_refused_and_moves_nothing(tmp_path):
    app = service(tmp_path)
    drop(tmp_path, "Ranperbup.docx", draft_docx())
    app.cycle()
    [draft] = app.store.drafts()
    (tmp_path / "f.pdf").write_bytes(final_pdf())
    err = io.StringIO()
    code = main(
        ["finalize", draft.reg, str(tmp_path / "f.pdf"), "-w", str(tmp_path)],
        Console(io.StringIO(), err),
    )
    assert code == ExitStatus.REFUSED and err.getvalue().startswith("Ditolak:")
    assert list((tmp_path / "drive" / "04 Final").iterdir()) == []
    assert list((tmp_path / "drive" / "99 Karantina").iterdir()) == []


def test_the_same_file_dropped_and_emailed_is_registered_once(tmp_path):
    app = service(tmp_path)
    data = draft_docx()
    drop(tmp_path, "Ranperbup.docx", data)
    app.mailbox.deliver(
        email_with_attachment(
            OPD_ADDRESS, "hukum@sbtkab.example", "Draf", [("Ranperbup.docx", data)]
        )
    )
    app.cycle()
    app.cycle()
    assert len(app.store.drafts()) == 1
    told = [m["Subject"] for m in sent_to(tmp_path, OPD_ADDRESS)]
    assert any("tidak dapat diproses" in s for s in told), told


def test_each_quarantined_file_keeps_its_own_note(tmp_path):
    app = service(tmp_path)
    drop(tmp_path, "anggaran.xlsx", b"PK first")
    app.cycle()
    drop(tmp_path, "anggaran.xlsx", b"PK second, another file")
    app.cycle()
    names = sorted(p.name for p in (tmp_path / "drive" / "99 Karantina").iterdir())
    assert names == [
        "anggaran (2).xlsx",
        "anggaran (2).xlsx.catatan.txt",
        "anggaran.xlsx",
        "anggaran.xlsx.catatan.txt",
    ]


def test_a_copy_beside_the_working_file_does_not_take_the_draft_over(tmp_path):
    app = service(tmp_path)
    drop(tmp_path, "Ranperbup.docx", draft_docx())
    app.cycle()
    [draft] = app.store.drafts()
    review = tmp_path / "drive" / "01 Pemeriksaan"
    [working] = list(review.iterdir())
    shutil.copy(working, review / f"Salinan dari {working.name}")
    app.cycle()
    shutil.move(working, tmp_path / "drive" / "03 Disetujui" / working.name)
    app.cycle()
    assert app.store.draft(draft.reg).stage == "harmonisasi"


def test_a_draft_dropped_straight_into_review_is_reported_once(tmp_path):
    app = service(tmp_path)
    (tmp_path / "drive" / "01 Pemeriksaan" / "Ranperbup.docx").write_bytes(draft_docx())
    app.cycle()
    app.cycle()
    reports = [
        m
        for m in sent_to(tmp_path, "kabag.hukum@sbtkab.example")
        if "Ranperbup.docx" in m.get_body(("plain",)).get_content()
    ]
    assert len(reports) == 1 and app.store.drafts() == []
    assert "00 Masuk" in reports[0].get_body(("plain",)).get_content()


class BrokenDownloads(LocalDrive):
    """Cannot read one file, in a way drivebot does not expect (a bug, not a bad document)."""

    broken: str | None = "Ranperbup rusak.docx"

    def download(self, file_id, dest):
        if self.get(file_id).name == self.broken:
            raise RuntimeError("an unexpected failure")
        return super().download(file_id, dest)


def test_an_input_that_keeps_failing_is_reported_once_and_left_alone_until_retry(tmp_path):
    drive = _drive(BrokenDownloads, tmp_path)
    app = service(tmp_path, drive=drive)
    drop(tmp_path, "Ranperbup rusak.docx", draft_docx(subject="Rusak"))
    drop(tmp_path, "Ranperbup baik.docx", draft_docx(subject="Baik"))
    reports = [app.cycle() for _ in range(3)]
    assert [len(r.failed) for r in reports] == [1, 0, 0]  # tried once, then left alone
    assert [d.title for d in app.store.drafts()] == ["Rancangan Peraturan Bupati tentang Baik"]
    errors = [
        m
        for m in sent_to(tmp_path, "kabag.hukum@sbtkab.example")
        if "Kesalahan" in str(m["Subject"])
    ]
    assert len(errors) == 1 and "Ranperbup rusak.docx" in str(errors[0]["Subject"])
    drive.broken = None  # the cause is fixed
    out = io.StringIO()
    assert main(["retry", "-w", str(tmp_path)], Console(out, io.StringIO())) == ExitStatus.OK
    app.cycle()
    assert sorted(d.title for d in app.store.drafts()) == [
        "Rancangan Peraturan Bupati tentang Baik",
        "Rancangan Peraturan Bupati tentang Rusak",
    ]


def test_finalize_refuses_a_file_that_is_not_a_document_and_uploads_nothing(tmp_path):
    app = service(tmp_path)
    draft = approved(app, tmp_path)
    (tmp_path / "catatan.txt").write_text("bukan naskah final", encoding="utf-8")
    err = io.StringIO()
    code = main(
        ["finalize", draft.reg, str(tmp_path / "catatan.txt"), "-w", str(tmp_path)],
        Console(io.StringIO(), err),
    )
    assert code == ExitStatus.BAD_DOCUMENT and "tidak dapat dipakai" in err.getvalue()
    assert list((tmp_path / "drive" / "04 Final").iterdir()) == []
    assert app.store.draft(draft.reg).stage == draft.stage
