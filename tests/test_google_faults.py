"""The whole loop on the Google backend while 10% of drivebot's requests fail.

Faults (429, 500, 503, dropped connections) are injected by the local Google at a seeded rate.
The client's own retries absorb most; what they do not becomes a transient error that leaves
the work for the next cycle. The loop must still finish with one draft, nothing lost, and no
e-mail sent twice.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from builders import NoteSpec, draft_docx, final_pdf, write_config
from contract.worlds import BOT, OPD_STAFF, GoogleWorld
from fakegoogle.server import Fault

from drivebot.app.application import App
from drivebot.app.health import check
from drivebot.config import load
from drivebot.flows import Folder
from drivebot.state.rows import CURRENT_ROLES
from drivebot.state.store import Store

CYCLES = 12


def _registered(world, tmp_path):
    """drivebot on the local Google, with one draft dropped and registered."""
    write_config(tmp_path, world.config_overrides())
    app = App(load(tmp_path), Store(tmp_path / "drivebot.sqlite3"), world.drive, world.mailbox)
    world.drop("Dinas Kesehatan", "Ranperbup Retribusi.docx", draft_docx())
    app.cycle()
    [draft] = app.store.drafts()
    return app, draft


@pytest.fixture
def world(tmp_path):
    made = GoogleWorld(tmp_path)
    yield made
    made.close()


def test_the_loop_completes_through_ten_percent_faults(world, tmp_path):
    write_config(tmp_path, world.config_overrides())
    app = App(load(tmp_path), Store(tmp_path / "drivebot.sqlite3"), world.drive, world.mailbox)
    world.google.faults.set_rate(
        0.10, kinds=(Fault.UNAVAILABLE, Fault.SERVER_ERROR, Fault.RATE_LIMIT, Fault.DROP)
    )

    def until(condition) -> None:
        for _ in range(CYCLES):
            try:
                app.cycle()
            except Exception as exc:  # a fault may also hit the outbox or the poll itself
                pytest.fail(f"a cycle raised {exc!r} instead of leaving work for the next one")
            if condition():
                return
        pytest.fail(f"not done after {CYCLES} cycles")

    def stage() -> str | None:
        drafts = app.store.drafts()
        return drafts[0].stage if drafts else None

    world.drop(
        "Dinas Kesehatan",
        "Ranperbup Retribusi.docx",
        draft_docx(notes=(NoteSpec("Pasal 2", "Perbaiki tarif."),)),
    )
    until(lambda: stage() == "pemeriksaan" and not app.store.pending())
    [draft] = app.store.drafts()
    review = world.drive.find(Folder.REVIEW, f"{draft.reg} v1 - Ranperbup Retribusi.docx")
    world.reviewer_move(review, Folder.REVISION)
    until(lambda: stage() == "perbaikan" and not app.store.pending())
    world.drop("Dinas Kesehatan", f"{draft.reg} revisi.docx", draft_docx(subject="Revisi"))
    until(lambda: app.store.draft(draft.reg).version == 2 and not app.store.pending())
    app.commands.approve(draft.reg)
    until(lambda: not app.store.pending())
    signed = tmp_path / "final.pdf"
    signed.write_bytes(final_pdf())
    world.drop("Dinas Kesehatan", f"{draft.reg} final.pdf", signed.read_bytes())
    until(lambda: stage() == "arsip" and not app.store.pending())

    assert sum(world.google.faults.injected.values()) > 0, "faults were really injected"
    assert len(app.store.drafts()) == 1
    assert len(world.names_in(Folder.ARCHIVE)) == 3  # stamped copy, original, ledger copy
    messages = [message_from_bytes(raw, policy=policy.default) for raw in world.sent_messages()]
    ids = [m["Message-ID"] for m in messages]
    assert len(ids) == len(set(ids)), "an e-mail was sent twice"
    queued = [row.payload for row in app.store.outbox_rows("email")]
    assert len(queued) == len(messages), "every queued e-mail was sent, once"
    noted = [m for m in messages if "Perbaiki tarif." in m.get_body(("plain",)).get_content()]
    # The OPD's feedback once; the note is quoted again in the reviewers' revision notice.
    to_opd = [m for m in noted if OPD_STAFF in str(m["To"])]
    assert len(to_opd) == 1 and len(noted) == 2


def test_both_files_dragged_together_make_one_decision_with_every_note(world, tmp_path):
    app, draft = _registered(world, tmp_path)
    files = app.store.files_of(draft.reg, *CURRENT_ROLES)
    assert len(files) == 2  # the .docx and its Google Doc
    for tracked, note in zip(
        files, ("Catatan pada docx.", "Catatan pada Google Doc."), strict=True
    ):
        world.users.comment(tracked.file_id, note, quoted="Pasal 1")
    for tracked in files:
        world.reviewer_move(world.drive.get(tracked.file_id), Folder.REVISION)
    app.cycle()
    assert app.store.draft(draft.reg).stage == "perbaikan"
    messages = [message_from_bytes(raw, policy=policy.default) for raw in world.sent_messages()]
    feedback = [
        m.get_body(("plain",)).get_content()
        for m in messages
        if "Catatan pada" in m.get_body(("plain",)).get_content()
    ]
    assert len(feedback) == 1
    assert "Catatan pada docx." in feedback[0] and "Catatan pada Google Doc." in feedback[0]
    assert not [m for m in messages if "tidak dapat diproses" in m["Subject"]]


def test_a_google_doc_final_is_archived_from_its_pdf_export(world, tmp_path):
    from drivebot.archive.verification import verify_archive

    app, draft = _registered(world, tmp_path)
    app.commands.approve(draft.reg)
    world.users.create_doc(
        world.settings.folder_ids["final"],
        f"{draft.reg} Final Perbup",
        "PERATURAN BUPATI SERAM BAGIAN TIMUR\nNOMOR 1 TAHUN 2026\nTENTANG RETRIBUSI\n"
        "DENGAN RAHMAT TUHAN YANG MAHA ESA\nDitetapkan di Bula\npada tanggal 1 Desember 2026",
    )
    app.cycle()
    assert app.store.draft(draft.reg).stage == "arsip"
    names = world.names_in(Folder.ARCHIVE)
    assert any(n.endswith("(salinan sah).pdf") for n in names)
    assert any(n.endswith("(asli).pdf") for n in names)
    assert any(n.endswith("(dokumen Google)") for n in names)
    problems = verify_archive(
        app.archiver.ledger, world.drive, app.archiver.signer.public_key_pem()
    )
    assert problems == []


def test_a_lock_that_does_not_take_is_reported_and_the_product_not_announced(world, tmp_path):
    """Drive answers the lock as set but does not apply it (a policy of the domain, a role
    that may not restrict): drivebot reads the lock back, so the archived copy is never left
    unlocked silently. The admins are told; no "archived" e-mail goes out until it holds."""
    from drivebot.archive.verification import verify_archive

    app, draft = _registered(world, tmp_path)
    app.commands.approve(draft.reg)
    world.google.drive.ignore_all_restrictions()
    world.drop("Dinas Kesehatan", f"{draft.reg} final.pdf", final_pdf())
    for _ in range(6):
        app.cycle()
    [given_up] = [row for row in app.store.outbox_rows() if row.given_up]
    assert given_up.kind == "stamp_archive" and "did not take effect" in (given_up.last_error or "")
    subjects = [str(message_from_bytes(raw, policy=policy.default)["Subject"])
                for raw in world.sent_messages()]  # fmt: skip
    assert not any("Diarsipkan" in s for s in subjects)
    reports = [s for s in subjects if "Kesalahan perlu ditangani" in s]
    assert len(reports) == 1 and "penstempelan dan pengarsipan" in reports[0]

    world.google.drive.ignore_all_restrictions(False)  # the cause is fixed
    app.commands.retry()
    app.cycle()
    subjects = [str(message_from_bytes(raw, policy=policy.default)["Subject"])
                for raw in world.sent_messages()]  # fmt: skip
    assert sum("Diarsipkan" in s for s in subjects) == 2  # the OPD and the admins, once
    problems = verify_archive(
        app.archiver.ledger, world.drive, app.archiver.signer.public_key_pem()
    )
    assert problems == []


class Killed(BaseException):
    """The process dies: no `except Exception` sees it."""


class Dying:
    """A port whose process dies, at a seeded share of the calls that change something, right
    after Google carried the call out (the worst moment: done, but not yet recorded)."""

    CHANGING = frozenset({"upload", "put", "copy", "move", "lock", "review_copy", "send",
                          "mark_processed", "quarantine", "reserve_ids"})  # fmt: skip

    def __init__(self, port, rng: random.Random, rate: float):
        self.port, self.rng, self.rate = port, rng, rate

    def __getattr__(self, name: str):
        found = getattr(self.port, name)
        if name not in self.CHANGING:
            return found

        def dying(*args, **kwargs):
            result = found(*args, **kwargs)
            if self.rng.random() < self.rate:
                raise Killed(name)
            return result

        return dying


def test_lost_answers_faults_and_kills_send_and_make_nothing_twice(world, tmp_path):
    """A tenth of drivebot's requests fail (429, 5xx, connections dropped before or after
    Google carried them out) and the process is killed after one in eight of its changes; each
    run starts anew on the same state. Nothing is lost, nothing sent or created twice."""
    from drivebot.archive.verification import verify_archive

    write_config(tmp_path, world.config_overrides())
    world.google.faults.set_rate(
        0.10,
        kinds=(Fault.UNAVAILABLE, Fault.SERVER_ERROR, Fault.RATE_LIMIT, Fault.DROP,
               Fault.DROP_AFTER, Fault.DROP_AFTER),
    )  # fmt: skip
    for method in ("gmail.users.messages.send", "drive.files.create", "drive.files.copy"):
        world.google.faults.schedule(method, Fault.DROP_AFTER, None, Fault.DROP_AFTER)
    rng = random.Random(5)
    kills = 0

    now = [datetime.now(UTC)]

    def clock() -> datetime:
        return now[0]

    def started(drive, mailbox) -> App:
        return App(load(tmp_path), Store(tmp_path / "drivebot.sqlite3", clock), drive, mailbox,
                   clock)  # fmt: skip

    def run_until(condition) -> App:
        nonlocal kills
        for _ in range(40):
            now[0] += timedelta(minutes=5)  # past the outbox's backoff of a transient failure
            app = started(Dying(world.drive, rng, 0.125), Dying(world.mailbox, rng, 0.125))
            try:
                app.cycle()
            except Killed:
                kills += 1
            finally:
                app.store.close()
            app = started(world.drive, world.mailbox)
            if condition(app):
                return app
        rows = [(r.kind, r.attempts, r.given_up, r.last_error) for r in app.store.outbox_rows()]
        pytest.fail(f"not done after 40 runs: {app.store.drafts()} {rows}")

    def settled(app: App, stage: str) -> bool:
        drafts = app.store.drafts()
        return bool(drafts) and drafts[0].stage == stage and not app.store.pending()

    world.drop("Dinas Kesehatan", "Ranperbup Retribusi.docx", draft_docx())
    app = run_until(lambda a: settled(a, "pemeriksaan"))
    [draft] = app.store.drafts()
    app.store.close()
    review = world.drive.find(Folder.REVIEW, f"{draft.reg} v1 - Ranperbup Retribusi.docx")
    world.reviewer_move(review, Folder.APPROVED)
    app = run_until(lambda a: settled(a, "harmonisasi"))
    app.store.close()
    world.drop("Dinas Kesehatan", f"{draft.reg} final.pdf", final_pdf())
    app = run_until(lambda a: settled(a, "arsip"))

    assert kills > 0 and sum(world.google.faults.injected.values()) > 0
    lost = {key for key in world.google.faults.injected if key.endswith(" drop-after")}
    assert {"drive.files.create drop-after", "gmail.users.messages.send drop-after"} <= lost
    messages = [message_from_bytes(raw, policy=policy.default) for raw in world.sent_messages()]
    ids = [m["Message-ID"] for m in messages]
    assert len(ids) == len(set(ids)), "an e-mail was sent twice"
    assert len(messages) == len(app.store.outbox_rows("email")), "every e-mail went, once"
    for folder in Folder:
        names = world.names_in(folder)
        assert len(names) == len(set(names)), f"a file was made twice in {folder.value}"
    assert len(world.names_in(Folder.ARCHIVE)) == 3  # stamped copy, original, ledger copy
    assert world.names_in(Folder.REVIEW) == [] and len(app.store.drafts()) == 1
    public_key = app.archiver.signer.public_key_pem()
    assert verify_archive(app.archiver.ledger, world.drive, public_key) == []
    app.store.close()


def test_at_the_daily_sending_limit_mail_waits_until_google_says_and_goes_once(tmp_path):
    """Gmail refuses a message past the day's sending limit (429 "... (Mail sending)", a
    rolling 24 hours): every e-mail waits in its order until the time Google names, without
    asking again in between; the admins are told once; nothing is lost or sent twice."""
    moment = [time.time()]
    world = GoogleWorld(tmp_path / "google", clock=lambda: moment[0], gmail_daily_send_limit=1)
    try:
        write_config(tmp_path, world.config_overrides())

        def clock() -> datetime:
            return datetime.fromtimestamp(moment[0], UTC)

        def started() -> App:
            store = Store(tmp_path / "drivebot.sqlite3", clock)
            return App(load(tmp_path), store, world.drive, world.mailbox, clock)

        app = started()
        world.drop("Dinas Kesehatan", "Ranperbup Retribusi.docx", draft_docx())
        app.cycle()  # the acknowledgement goes; the reviewers' notice is refused
        for _ in range(3):
            moment[0] += 3600
            app.cycle()
        gmail = world.google.quota_report()[BOT]["gmail"]
        assert gmail["messages_sent"] == 1 and gmail["refused"] == {"dailySendingLimit": 1}
        assert "mail_paused" in [p.key for p in check(app.config, app.store, clock)]
        queued = len(app.store.outbox_rows("email"))
        assert queued >= 3  # the notice, and the admins' report of the pause, wait

        moment[0] += 21 * 3600 + 120  # past the 24 hours since the first message
        world.google.quotas.gmail_daily_send_limit = 100  # lowered to 1 only to reach it soon
        app.cycle()
        messages = [message_from_bytes(r, policy=policy.default) for r in world.sent_messages()]
        ids = [m["Message-ID"] for m in messages]
        assert len(ids) == len(set(ids)) == queued and not app.store.pending()
        paused = [m for m in messages if "Batas pengiriman e-mail harian" in str(m["Subject"])]
        assert len(paused) == 1
        app.store.close()
    finally:
        world.close()
