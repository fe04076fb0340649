"""Bad input and faults on the local backend: nothing lost, the right person told, no repeats."""

from __future__ import annotations

import codecs
import csv
import errno
import io
import json
import os
import re
import time
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from builders import draft_docx, email_with_attachment, final_pdf, write_config
from pypdf import PdfWriter

from drivebot.app.application import App
from drivebot.clock import system_clock
from drivebot.config import load
from drivebot.errors import TransientError
from drivebot.flows import Folder, ProductType
from drivebot.local import LocalDrive, LocalMailbox
from drivebot.notify.emails import DIGEST_SHOWN
from drivebot.state.store import Store

OPD_ADDRESS = "dinkes@sbtkab.example"
INBOX = Path("drive/00 Masuk/Dinas Kesehatan")


class Killed(BaseException):
    """Stands in for the process being killed: no `except Exception` handler sees it."""


class KillingMailbox(LocalMailbox):
    """A real Maildir mailbox that dies right after its n-th successful send."""

    def __init__(self, root: Path, die_after: int | None = None):
        super().__init__(root)
        self.die_after = die_after
        self.sends = 0

    def send(self, raw: bytes) -> None:
        super().send(raw)
        self.sends += 1
        if self.die_after is not None and self.sends == self.die_after:
            raise Killed


class FlakyDrive(LocalDrive):
    """A real folder tree whose first `failures` downloads or moves time out."""

    def __init__(self, *args, failures: int = 0, fail_on: str = "download", **kwargs):
        super().__init__(*args, **kwargs)
        self.failures = failures
        self.fail_on = fail_on

    def _maybe_fail(self, operation: str) -> None:
        if operation == self.fail_on and self.failures:
            self.failures -= 1
            raise (Killed() if self.fail_on == "move" else TransientError("timed out"))

    def download(self, file_id, dest):
        self._maybe_fail("download")
        return super().download(file_id, dest)

    def move(self, file_id, folder, name=None):
        self._maybe_fail("move")
        return super().move(file_id, folder, name)


def service(tmp_path, drive=None, mailbox=None, clock=system_clock, **settings) -> App:
    if not (tmp_path / "drivebot.toml").exists():
        write_config(tmp_path, **settings)
    config = load(tmp_path)
    drive = drive or LocalDrive(tmp_path / "drive", config.folders, config.settle_seconds)
    drive.ensure_folders([opd.folder for opd in config.opds])
    return App(
        config,
        Store(config.state_file, clock),
        drive,
        mailbox or LocalMailbox(tmp_path / "mail"),
        clock,
    )


def sent(tmp_path) -> list:
    box = tmp_path / "mail" / "sent"
    return [
        message_from_bytes(p.read_bytes(), policy=policy.default)
        for sub in ("new", "cur")
        if (box / sub).is_dir()
        for p in (box / sub).iterdir()
    ]


def sent_to(tmp_path, address: str) -> list:
    return [m for m in sent(tmp_path) if address in str(m["To"])]


def drop(tmp_path, name: str, data: bytes) -> Path:
    path = tmp_path / INBOX / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def approved(app: App, tmp_path: Path):
    """A draft dropped by Dinas Kesehatan, registered, and approved: the common start."""
    drop(tmp_path, "Ranperbup.docx", draft_docx())
    app.cycle()
    [draft] = app.store.drafts()
    app.commands.approve(draft.reg)
    return app.store.draft(draft.reg)


def encrypted_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.encrypt(user_password="rahasia", owner_password="pemilik")
    import io

    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "reason_words"),
    [
        ("anggaran.xlsx", b"PK\x03\x04 spreadsheet", ".docx"),
        ("rusak.docx", b"this is not a zip file at all", "rusak"),
        ("kosong.pdf", b"", "kosong"),
        ("terkunci.pdf", None, "kata sandi"),
        ("besar.pdf", b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024), "MB"),
    ],
)
def test_bad_files_are_quarantined_with_a_note_and_the_opd_is_told(
    tmp_path, name, data, reason_words
):
    app = service(tmp_path, max_attachment_mb=1)
    drop(tmp_path, name, encrypted_pdf() if data is None else data)
    report = app.cycle()
    assert report.failed == []
    quarantine = tmp_path / "drive" / "99 Karantina"
    assert (quarantine / name).exists(), "the original is kept"
    note = (quarantine / f"{name}.catatan.txt").read_text(encoding="utf-8")
    assert note.startswith(f"Berkas: {name}\n") and "dipindahkan ke folder karantina karena" in note
    assert not (tmp_path / INBOX / name).exists()
    [told] = sent_to(tmp_path, OPD_ADDRESS)
    assert name in told.get_body(("plain",)).get_content()
    assert reason_words in told.get_body(("plain",)).get_content()
    assert len(sent_to(tmp_path, "kabag.hukum@sbtkab.example")) >= 1
    assert app.store.drafts() == []
    app.cycle()  # nothing happens twice
    assert len(sent_to(tmp_path, OPD_ADDRESS)) == 1


def test_unknown_sender_is_quarantined_and_never_answered(tmp_path):
    app = service(tmp_path)
    app.mailbox.deliver(
        email_with_attachment(
            "Orang Asing <asing@contoh.example>",
            "hukum@sbtkab.example",
            "Draf perbup",
            [("draf.docx", draft_docx())],
        )
    )
    app.cycle()
    assert list((tmp_path / "mail" / "quarantine" / "cur").iterdir())
    assert not any((tmp_path / "mail" / "inbox" / "new").iterdir())
    assert sent_to(tmp_path, "asing@contoh.example") == []
    [report] = [
        m
        for m in sent_to(tmp_path, "kabag.hukum@sbtkab.example")
        if "asing@contoh.example" in m.get_body(("plain",)).get_content()
    ]
    assert app.store.drafts() == []
    assert report["Auto-Submitted"] == "auto-generated"


def test_an_emailed_draft_and_its_emailed_revision(tmp_path):
    app = service(tmp_path)
    app.mailbox.deliver(
        email_with_attachment(
            f"Staf Dinkes <{OPD_ADDRESS}>",
            "hukum@sbtkab.example",
            "Pengajuan Ranperbup",
            [("Ranperbup Retribusi.docx", draft_docx()), ("ttd.png", b"\x89PNG image")],
        )
    )
    app.cycle()
    [draft] = app.store.drafts()
    assert (draft.stage, draft.version, draft.opd) == ("pemeriksaan", 1, "Dinas Kesehatan")
    assert list((tmp_path / "mail" / "processed" / "cur").iterdir())
    app.commands.revise(draft.reg)
    app.mailbox.deliver(
        email_with_attachment(
            OPD_ADDRESS,
            "hukum@sbtkab.example",
            f"Re: [{draft.reg}] Perbaikan",
            [("revisi.docx", draft_docx(subject="Retribusi (revisi)"))],
        )
    )
    app.cycle()
    draft = app.store.draft(draft.reg)
    assert (draft.stage, draft.version) == ("pemeriksaan", 2)
    names = os.listdir(tmp_path / "drive" / "01 Pemeriksaan")
    assert len(names) == 1 and names[0].startswith(f"{draft.reg} v2")


def test_an_email_about_a_draft_without_the_file_gets_a_plain_answer(tmp_path):
    app = service(tmp_path)
    app.mailbox.deliver(
        email_with_attachment(
            OPD_ADDRESS, "hukum@sbtkab.example", "Pengajuan rancangan Perbup retribusi", []
        )
    )
    app.cycle()
    [answer] = sent_to(tmp_path, OPD_ADDRESS)
    assert "lampiran" in answer.get_body(("plain",)).get_content().lower()
    assert app.store.drafts() == []


@pytest.mark.parametrize(
    ("subject", "headers"),
    [
        ("Undangan rapat koordinasi", {}),  # ordinary mail: for people to answer
        ("Automatic reply: Pengajuan rancangan", {"Auto-Submitted": "auto-replied"}),
        ("Buletin JDIH", {"Precedence": "bulk"}),
    ],
)
def test_ordinary_and_automatic_mail_is_left_unanswered(tmp_path, subject, headers):
    app = service(tmp_path)
    app.mailbox.deliver(
        email_with_attachment(
            OPD_ADDRESS, "hukum@sbtkab.example", subject, [], extra_headers=headers
        )
    )
    app.cycle()
    app.cycle()
    assert sent(tmp_path) == [] and app.store.drafts() == []


def test_a_file_still_being_written_waits_for_the_next_cycle(tmp_path):
    app = service(tmp_path, settle_seconds=30)
    path = drop(tmp_path, "Ranperbup.docx", draft_docx())
    app.cycle()
    assert app.store.drafts() == [] and path.exists()
    old = time.time() - 60
    os.utime(path, (old, old))
    app.cycle()
    assert len(app.store.drafts()) == 1


def test_a_transient_download_failure_is_retried_next_cycle(tmp_path):
    write_config(tmp_path)
    config = load(tmp_path)
    drive = FlakyDrive(tmp_path / "drive", config.folders, 0, failures=1)
    app = service(tmp_path, drive=drive)
    drop(tmp_path, "Ranperbup.docx", draft_docx())
    report = app.cycle()
    assert report.transient and app.store.drafts() == []
    app.cycle()
    assert [d.stage for d in app.store.drafts()] == ["pemeriksaan"]


def test_killed_between_sending_and_marking_sent_sends_nothing_twice(tmp_path):
    mailbox = KillingMailbox(tmp_path / "mail", die_after=1)
    app = service(tmp_path, mailbox=mailbox)
    drop(tmp_path, "Ranperbup.docx", draft_docx())
    with pytest.raises(Killed):
        app.cycle()
    assert len(sent(tmp_path)) == 1  # the acknowledgement went out, unrecorded
    restarted = service(tmp_path)
    restarted.cycle()
    ids = [m["Message-ID"] for m in sent(tmp_path)]
    assert len(ids) == len(set(ids)) == 2  # to the OPD and to the reviewers, once each
    assert restarted.store.pending() == []


def test_killed_after_the_state_change_the_next_cycle_finishes_the_work(tmp_path):
    write_config(tmp_path)
    config = load(tmp_path)
    drive = FlakyDrive(tmp_path / "drive", config.folders, 0, failures=1, fail_on="move")
    app = service(tmp_path, drive=drive)
    drop(tmp_path, "Ranperbup.docx", draft_docx())
    with pytest.raises(Killed):
        app.cycle()
    [draft] = app.store.drafts()  # registered, its move and e-mails queued but not done
    assert sent(tmp_path) == [] and (tmp_path / INBOX / "Ranperbup.docx").exists()
    restarted = service(tmp_path)
    restarted.cycle()
    assert os.listdir(tmp_path / "drive" / "01 Pemeriksaan") == [f"{draft.reg} v1 - Ranperbup.docx"]
    assert len(restarted.store.drafts()) == 1
    assert len(sent(tmp_path)) == 2


def test_a_final_for_a_draft_not_yet_approved_is_refused(tmp_path):
    app = service(tmp_path)
    drop(tmp_path, "Ranperbup.docx", draft_docx())
    app.cycle()
    [draft] = app.store.drafts()
    final = tmp_path / "drive" / "04 Final" / f"{draft.reg} final.pdf"
    final.write_bytes(final_pdf())
    app.cycle()
    assert app.store.draft(draft.reg).stage == "pemeriksaan"
    assert (tmp_path / "drive" / "99 Karantina" / final.name).exists()
    refusal = sent_to(tmp_path, OPD_ADDRESS)[-1]
    assert draft.reg in refusal["Subject"]


def test_a_final_dropped_in_the_final_folder_is_archived(tmp_path):
    app = service(tmp_path)
    draft = approved(app, tmp_path)
    (tmp_path / "drive" / "04 Final" / f"{draft.reg} ditandatangani.pdf").write_bytes(final_pdf())
    app.cycle()
    draft = app.store.draft(draft.reg)
    assert (draft.stage, draft.number) == ("arsip", 1)
    archive = sorted(os.listdir(tmp_path / "drive" / "05 Arsip"))
    assert len(archive) == 3 and all(draft.reg in name for name in archive[:2])
    assert archive[2] == "ledger.jsonl"
    assert os.listdir(tmp_path / "drive" / "04 Final") == []


def test_numbering_is_one_sequence_per_type_and_year_from_the_configured_start(tmp_path):
    app = service(tmp_path, overrides={"numbering": {"perbup": 41, "kepbup": 7, "perda": 1}})
    regs = []
    for name, kind in (
        ("Ranperbup A.docx", "RANCANGAN PERATURAN BUPATI"),
        ("Rankepbup B.docx", "RANCANGAN KEPUTUSAN BUPATI"),
        ("Ranperbup C.docx", "RANCANGAN PERATURAN BUPATI"),
    ):
        drop(tmp_path, name, draft_docx(kind=kind, subject=name))
    app.cycle()
    for draft in app.store.drafts():
        app.commands.approve(draft.reg)
        reserved = app.commands.reserve_number(draft.reg)  # before it is signed
        source = tmp_path / f"{draft.reg}.pdf"
        heading = f"{'KEPUTUSAN' if draft.product_type.value == 'kepbup' else 'PERATURAN'} BUPATI"
        source.write_bytes(final_pdf(title=heading, number=reserved.number))
        app.commands.finalize(draft.reg, source)
        regs.append(draft.reg)
    numbers = sorted((d.product_type.value, d.number) for d in app.store.drafts())
    assert numbers == [("kepbup", 7), ("perbup", 41), ("perbup", 42)]


def test_the_digest_goes_once_a_day_after_its_time(tmp_path):
    now = [datetime(2026, 11, 23, 7, 0)]
    app = service(tmp_path, clock=lambda: now[0], digest_time="07:30")
    drop(tmp_path, "Ranperbup.docx", draft_docx())
    app.cycle()
    assert not [m for m in sent(tmp_path) if "Ringkasan rancangan" in m["Subject"]]
    now[0] = datetime(2026, 11, 23, 7, 45)
    app.cycle()
    app.cycle()
    now[0] = datetime(2026, 11, 24, 8, 0)
    app.cycle()
    digests = [m for m in sent(tmp_path) if "Ringkasan rancangan" in m["Subject"]]
    assert len(digests) == 2
    assert "HK-2026-0001" in digests[0].get_body(("plain",)).get_content()


def test_sent_mail_bytes_leave_the_outbox_after_the_retention_period(tmp_path):
    now = [datetime(2026, 1, 5, 9, 0)]
    app = service(tmp_path, clock=lambda: now[0], mail_retention_days=30)
    drop(tmp_path, "Ranperbup Retribusi.docx", draft_docx())
    app.cycle()
    first = {row.id for row in app.store.outbox_rows("email")}
    now[0] = datetime(2026, 2, 3, 9, 0)  # 29 days on: still kept
    drop(tmp_path, "Ranperbup Pajak.docx", draft_docx(subject="Pajak"))
    app.cycle()
    assert all(row.raw for row in app.store.outbox_rows("email"))
    now[0] = datetime(2026, 2, 5, 9, 0)  # 31 days after the first, 2 after the second
    app.cycle()
    rows = app.store.outbox_rows("email")
    assert {row.id for row in rows if row.raw is None} == first
    assert all(row.done_at for row in rows)  # the record of what was sent stays
    assert all(app.mailbox.was_sent(json.loads(row.payload)["message_id"]) for row in rows)


def test_the_digest_has_a_fixed_size_and_the_whole_list_attached(tmp_path):
    now = [datetime(2026, 11, 23, 7, 0)]
    app = service(tmp_path, clock=lambda: now[0], digest_time="07:30")
    with app.store.transaction():
        for n in range(1, 121):
            app.store.add_draft(
                f"HK-2026-{n:04d}", "Dinas Kesehatan", f"Judul {n}", ProductType.PERBUP
            )
    now[0] = datetime(2026, 12, 1, 8, 0)  # eight days later: all late
    app.cycle()
    [digest] = [m for m in sent(tmp_path) if "Ringkasan rancangan" in m["Subject"]]
    assert digest["Subject"].endswith(": 120 berjalan, 120 terlambat")
    text = digest.get_body(("plain",)).get_content()
    assert len(set(re.findall(r"HK-2026-\d{4}", text))) == DIGEST_SHOWN
    assert f"{120 - DIGEST_SHOWN} rancangan lainnya tercantum dalam lampiran" in text
    [attached] = list(digest.iter_attachments())
    assert attached.get_filename() == "ringkasan-rancangan-2026-12-01.csv"
    raw = attached.get_payload(decode=True)  # the bytes a mail client saves
    assert raw.startswith(codecs.BOM_UTF8)  # Excel reads it as UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Nomor registrasi", "Judul", "Perangkat Daerah"]
    assert sorted(row[0] for row in rows[1:]) == [f"HK-2026-{n:04d}" for n in range(1, 121)]


def test_an_opd_may_send_the_signed_final_by_email_once_approved(tmp_path):
    app = service(tmp_path)
    draft = approved(app, tmp_path)
    app.mailbox.deliver(
        email_with_attachment(
            OPD_ADDRESS,
            "hukum@sbtkab.example",
            f"[{draft.reg}] Naskah final bertanda tangan",
            [("final.pdf", final_pdf())],
        )
    )
    app.cycle()
    draft = app.store.draft(draft.reg)
    assert (draft.stage, draft.number) == ("arsip", 1)
    archive = os.listdir(tmp_path / "drive" / "05 Arsip")
    assert any(name.endswith("(salinan sah).pdf") for name in archive)


class KilledThenFailing(LocalDrive):
    """Moves: the process is killed six times in the middle, then one fails, then they work."""

    moves = 0

    def move(self, file_id, folder, name=None):
        self.moves += 1
        if self.moves <= 6:
            raise Killed
        if self.moves == 7:
            raise RuntimeError("Drive answered something unexpected")
        return super().move(file_id, folder, name)


def test_kills_in_the_middle_of_an_attempt_are_not_failures(tmp_path):
    """The process is killed during the same move six times (power cuts, an OOM killer), then
    the move fails once: that is one failure, not seven, so the work is not given up; the next
    run does it."""
    write_config(tmp_path)
    config = load(tmp_path)
    drive = KilledThenFailing(tmp_path / "drive", config.folders, 0)
    drop(tmp_path, "Ranperbup.docx", draft_docx())
    for _ in range(6):
        app = service(tmp_path, drive=drive)
        with pytest.raises(Killed):
            app.cycle()
        app.store.close()
    app = service(tmp_path, drive=drive)
    app.cycle()  # the failing attempt
    assert [row for row in app.store.outbox_rows() if row.given_up] == []
    app.cycle()
    assert app.store.pending() == []
    [draft] = app.store.drafts()
    assert os.listdir(tmp_path / "drive" / "01 Pemeriksaan") == [f"{draft.reg} v1 - Ranperbup.docx"]


class FullDisk(LocalDrive):
    """The disk fills up (or a folder turns read-only, or a file is locked) while `full`."""

    full: int | None = None  # the errno raised

    def download(self, file_id, dest):
        if self.full:
            raise OSError(self.full, os.strerror(self.full), str(dest))
        return super().download(file_id, dest)

    def move(self, file_id, folder, name=None):
        if self.full:
            raise OSError(self.full, os.strerror(self.full))
        return super().move(file_id, folder, name)


@pytest.mark.parametrize("cause", [errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EBUSY])
def test_a_full_disk_is_a_wait_that_ends_by_itself(tmp_path, cause):
    """Neither the input nor the outbox item is failed for good: both wait, and once the disk
    has room again they are done, without `drivebot retry`."""
    write_config(tmp_path)
    config = load(tmp_path)
    drive = FullDisk(tmp_path / "drive", config.folders, 0)
    app = service(tmp_path, drive=drive)
    drop(tmp_path, "Ranperbup.docx", draft_docx())
    drive.full = cause
    for _ in range(7):
        report = app.cycle()
        assert report.failed == [] and report.transient
    assert app.store.drafts() == []
    drive.full = None
    app.cycle()
    [draft] = app.store.drafts()
    drive.full = cause  # now while the outbox moves it
    for _ in range(7):
        app.cycle()
    assert [row for row in app.store.outbox_rows() if row.given_up] == []
    drive.full = None
    app.store.db.execute("UPDATE outbox SET not_before = NULL")  # skip the backoff's wait
    app.cycle()
    assert app.store.pending() == [] and app.store.draft(draft.reg).stage == "pemeriksaan"
    reports = [
        str(m["Subject"])
        for m in sent_to(tmp_path, "kabag.hukum@sbtkab.example")
        if "Kesalahan" in str(m["Subject"])
    ]
    assert len(reports) == 1 and "drivebot menunggu" in reports[0]  # told once, nothing to retry


def test_what_a_killed_run_left_is_cleared_at_the_next_start(tmp_path):
    """A run killed mid-work leaves temporary files in the workspace's .tmp, half-copied
    files beside their targets and in the version store, and half-written mail in a Maildir's
    tmp/. The next run removes them (mail after 36 hours, as Maildir has it) and takes none of
    them for a draft; what is whole stays."""
    app = service(tmp_path)
    drop(tmp_path, "Ranperbup.docx", draft_docx())
    app.cycle()
    [draft] = app.store.drafts()
    app.store.close()
    left = [
        tmp_path / ".tmp" / "drivebot-x1y2" / "download",
        tmp_path / INBOX / ".Nota dinas.docx.part",
        tmp_path / "drive" / "01 Pemeriksaan" / f".{draft.reg} v2 - Ranperbup.docx.part",
        tmp_path / "versions" / "ab" / ".ab12.docx.part",
        tmp_path / "mail" / "sent" / "tmp" / "1764650000.M1P2.host",
    ]
    fresh_mail = tmp_path / "mail" / "sent" / "tmp" / "1764690000.M3P4.host"
    for path in [*left, fresh_mail]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half")
    two_days_ago = time.time() - 48 * 3600
    os.utime(left[-1], (two_days_ago, two_days_ago))
    whole = sorted(p for p in tmp_path.rglob("*") if p.is_file() and p not in [*left, fresh_mail])

    app = service(tmp_path)
    report = app.cycle()

    assert [path for path in left if path.exists()] == []
    assert fresh_mail.exists()  # a send may be writing it right now
    assert report.failed == [] and [d.reg for d in app.store.drafts()] == [draft.reg]
    quarantine = tmp_path / "drive" / app.config.folders[Folder.QUARANTINE]
    assert not quarantine.exists() or list(quarantine.iterdir()) == []
    assert [p for p in whole if not p.exists() and p.name != ".drivebot.lock"] == []


class ReserveFails(LocalDrive):
    """Reserving Drive ids for the next outbox item times out, once."""

    failed = False

    def reserve_ids(self, count):
        if not self.failed:
            self.failed = True
            raise TransientError("timed out")
        return super().reserve_ids(count)


def test_an_item_carried_out_is_marked_done_even_when_the_next_one_cannot_start(tmp_path):
    """An item is marked done in the transaction that starts the next (drivebot.app.effects):
    when the next cannot start, the mark must still be written, or the item is done again."""
    write_config(tmp_path)
    config = load(tmp_path)
    now = [datetime.now(UTC)]
    drive = ReserveFails(tmp_path / "drive", config.folders, 0)
    app = service(tmp_path, drive=drive, clock=lambda: now[0])
    drop(tmp_path, "Ranperbup.docx", draft_docx())
    app.cycle()
    rows = app.store.outbox_rows()
    assert [row.kind for row in rows if row.last_error] == ["review_copy"]
    carried = [row for row in rows if row.attempts and row.last_error is None]
    assert carried and all(row.done_at for row in carried)  # none left open behind the failure
    now[0] += timedelta(minutes=5)  # past the failed item's backoff
    app.cycle()
    assert app.store.pending() == []
    ids = [m["Message-ID"] for m in sent(tmp_path)]
    assert len(ids) == len(set(ids)) == 2
