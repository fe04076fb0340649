"""Deadlines in working days: the clock across weekends, national holidays and a configured
cuti bersama day; one reminder and escalations on the right working days, across a restart."""

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from builders import NoteSpec, draft_docx
from test_faults import approved, drop, sent, sent_to, service

from drivebot.app.status import all_drafts
from drivebot.deadlines import (
    Escalation,
    Limit,
    Reminder,
    Settings,
    Told,
    default_limits,
    due_notices,
    stage_clock,
)
from drivebot.errors import Refused
from drivebot.flows import ProductType
from drivebot.workdays import WorkCalendar

# 2026-12-24 (cuti bersama for Christmas, by the national list) and 12-25 (Christmas) are
# holidays, 12-26/27 and 2027-01-02/03 weekends, 2027-01-01 New Year; 12-31 is closed by the
# configuration (a cuti bersama day the list does not know); 2027-01-05 is Isra' Mi'raj.
CALENDAR = WorkCalendar(days_off=[date(2026, 12, 31)])


def test_working_days_skip_weekends_holidays_and_configured_days_off():
    assert CALENDAR.add(date(2026, 12, 21), 5) == date(2026, 12, 30)
    assert CALENDAR.add(date(2026, 12, 30), 1) == date(2027, 1, 4)
    assert CALENDAR.between(date(2026, 12, 30), date(2027, 1, 4)) == 1
    assert CALENDAR.between(date(2027, 1, 4), date(2026, 12, 30)) == -1
    assert not CALENDAR.is_working_day(date(2026, 12, 24))
    worked = WorkCalendar(days_on=[date(2026, 12, 24)])  # the regency works that day
    assert worked.add(date(2026, 12, 23), 1) == date(2026, 12, 24)


def test_working_days_between_are_counted_as_walking_them_would():
    """`between` counts by arithmetic (a draft years old costs the board as little as one from
    yesterday); walking day by day is the definition it must agree with."""
    import random

    rng = random.Random(3)
    calendar = WorkCalendar(
        days_off=[date(2026, 12, 31), date(2025, 6, 2), date(2027, 3, 6)],  # one a Saturday
        days_on=[date(2026, 12, 24), date(2025, 8, 16), date(2026, 4, 4)],  # two weekend days
    )

    def walked(start: date, end: date) -> int:
        if end < start:
            return -walked(end, start)
        days = (start + timedelta(days=n) for n in range(1, (end - start).days + 1))
        return sum(calendar.is_working_day(day) for day in days)

    for _ in range(300):
        start = date(2024, 1, 1) + timedelta(days=rng.randrange(1500))
        end = start + timedelta(days=rng.randrange(-400, 900))
        assert calendar.between(start, end) == walked(start, end), (start, end)


def test_a_calendar_day_limit_counts_every_day():
    limit = Limit(30, calendar=True, since="persetujuan_bersama")
    clock = stage_clock(CALENDAR, "penetapan", date(2026, 12, 1), date(2026, 12, 29), limit)
    assert (clock.due, clock.days_left, clock.days_in_stage) == (date(2026, 12, 31), 2, 28)
    perda = default_limits()[ProductType.PERDA]
    assert perda["penetapan"] == limit and perda["fasilitasi_gubernur"] == Limit(15)
    assert "noreg" not in default_limits()[ProductType.PERBUP]


def told_each_day(settings, stage, started, limit, days):
    """What is due on each of `days`, told as the shell tells it (the history remembers)."""
    told, said = Told(), {}
    for today in days:
        now = stage_clock(CALENDAR, stage, started, today, limit)
        found = due_notices(CALENDAR, settings, "HK-2026-0001", "t0", now, today, told)
        if isinstance(found, Reminder):
            told = replace(told, reminded=True)
            said[today] = found.key
        elif isinstance(found, Escalation):
            told = replace(told, escalations=found.round, last_escalated=today)
            said[today] = f"escalation {found.round}"
    return said


def every_day(first, last):
    return [date.fromordinal(n) for n in range(first.toordinal(), last.toordinal() + 1)]


def test_what_is_due_on_each_day():
    settings = Settings(default_limits(), remind_before=2, escalate_every=5)
    days = every_day(date(2026, 12, 21), date(2027, 1, 19))
    # Three working days left on 12-23; 12-24 and 12-25 holidays; 12-31 closed (configured);
    # 01-05 Isra' Mi'raj; so late from 01-04 and again five working days on, 01-12.
    assert told_each_day(settings, "pemeriksaan", date(2026, 12, 21), Limit(5), days) == {
        date(2026, 12, 28): "deadline:HK-2026-0001:pemeriksaan:t0:reminder",
        date(2027, 1, 4): "escalation 1",
        date(2027, 1, 12): "escalation 2",
        date(2027, 1, 19): "escalation 3",
    }


def test_the_reminder_and_the_escalations_go_out_once_on_the_right_days(tmp_path):
    now = [datetime(2026, 12, 21, 1, 0, tzinfo=UTC)]  # 10:00 in Jayapura, a Monday
    settings = dict(
        clock=lambda: now[0],
        digest_time="08:00",
        timezone="Asia/Jayapura",
        overrides={"calendar": {"days_off": ["2026-12-31"]}, "deadlines": {"pemeriksaan": 5}},
    )
    app = service(tmp_path, **settings)
    drop(tmp_path, "Ranperbup Retribusi.docx", draft_docx())
    app.cycle()
    [draft] = app.store.drafts()
    assert draft.stage == "pemeriksaan"
    day = date(2026, 12, 21)
    while day <= date(2027, 1, 13):
        now[0] = datetime(day.year, day.month, day.day, 0, 30, tzinfo=UTC)  # 09:30 there
        app.cycle()
        if day == date(2026, 12, 28):  # a restart on the day the reminder goes out
            app = service(tmp_path, **settings)
            app.cycle()
        day = date.fromordinal(day.toordinal() + 1)
    mails = sorted(sent(tmp_path), key=lambda m: m["Date"].datetime)
    late = [m for m in mails if m["Subject"].startswith("Batas waktu per")]
    assert [m["Date"].datetime.date() for m in late] == [date(2027, 1, 4), date(2027, 1, 12)]
    # The reviewers are reminded in their daily summary: one e-mail a working day each.
    summaries = [m for m in mails if m["Subject"].startswith("Ringkasan pemeriksaan")]
    working = [date(2026, 12, d) for d in (21, 22, 23, 28, 29, 30)] + [
        date(2027, 1, d) for d in (4, 6, 7, 8, 11, 12, 13)
    ]
    for reviewer in app.config.reviewers:
        days = [m["Date"].datetime.date() for m in summaries if reviewer.email in str(m["To"])]
        assert days == working
    by_day = {m["Date"].datetime.date(): m.get_body(("plain",)).get_content() for m in summaries}
    assert "sisa 2 hari kerja" in by_day[date(2026, 12, 28)]
    assert "sisa" not in by_day[date(2026, 12, 23)]  # three left: not yet said
    assert "TERLAMBAT 1 hari kerja" in by_day[date(2027, 1, 4)]
    body = late[0].get_body(("plain",)).get_content()
    assert "30 Desember 2026" in body and "TERLAMBAT 1 hari kerja" in body
    events = [e.event for e in app.store.history(draft.reg)]
    assert events.count("reminder") == 1 and events.count("escalation") == 2
    before = len(sent(tmp_path))
    with app.store.transaction():  # as if the day's pass had not been marked done
        app.store.put("deadlines_checked_on", None)
    app.cycle()
    assert len(sent(tmp_path)) == before, "the outbox refuses what was queued already"
    assert [e.event for e in app.store.history(draft.reg)].count("escalation") == 2
    # 2027-01-13: late by 7 working days (01-04, 06, 07, 08, 11, 12, 13; 01-05 a holiday)
    [record] = all_drafts(app.config, app.store, lambda: now[0])
    assert record["deadline"] == {
        "due": "2026-12-30", "limit": 5, "unit": "working_days", "days_in_stage": 12,
        "days_left": 0, "days_late": 7,
    }  # fmt: skip
    now[0] = datetime(2026, 12, 28, 0, 30, tzinfo=UTC)
    [record] = all_drafts(app.config, app.store, lambda: now[0])
    assert (record["deadline"]["days_left"], record["deadline"]["days_late"]) == (2, 0)


def test_the_admins_get_one_deadline_e_mail_a_day_however_many_drafts_are_late(tmp_path):
    now = [datetime(2026, 12, 21, 1, 0, tzinfo=UTC)]
    app = service(
        tmp_path, clock=lambda: now[0], digest_time="08:00", timezone="Asia/Jayapura",
        overrides={"calendar": {"days_off": ["2026-12-31"]}, "deadlines": {"pemeriksaan": 5}},
    )  # fmt: skip
    for n in range(3):
        drop(tmp_path, f"Ranperbup {n}.docx", draft_docx(subject=f"Retribusi {n}"))
    app.cycle()
    regs = sorted(d.reg for d in app.store.drafts())
    assert len(regs) == 3
    day = date(2026, 12, 21)
    while day <= date(2027, 1, 13):
        now[0] = datetime(day.year, day.month, day.day, 0, 30, tzinfo=UTC)
        app.cycle()
        day = date.fromordinal(day.toordinal() + 1)
    admin = app.config.admins[0].email
    late = [m for m in sent_to(tmp_path, admin) if m["Subject"].startswith("Batas waktu per")]
    late.sort(key=lambda m: m["Date"].datetime)
    assert [m["Date"].datetime.date() for m in late] == [date(2027, 1, 4), date(2027, 1, 12)]
    assert late[0]["Subject"] == "Batas waktu per 4 Januari 2027: 3 rancangan terlambat"
    for mail in late:
        text = mail.get_body(("plain",)).get_content()
        assert sorted(re.findall(r"HK-2026-\d{4}", text)) == regs
    assert "TERLAMBAT 1 hari kerja" in late[0].get_body(("plain",)).get_content()
    assert "pemberitahuan ke-2" in late[1].get_body(("plain",)).get_content()
    for reg in regs:
        assert [e.event for e in app.store.history(reg)].count("escalation") == 2


def test_a_stage_outside_the_division_nearly_due_is_in_the_admins_summary(tmp_path):
    now = [datetime(2026, 12, 21, 1, 0, tzinfo=UTC)]
    app = service(
        tmp_path, clock=lambda: now[0], digest_time="08:00", timezone="Asia/Jayapura",
        overrides={"calendar": {"days_off": ["2026-12-31"]}},
    )  # fmt: skip
    draft = approved(app, tmp_path)  # to the harmonisation: 5 working days, due 12-30
    assert app.store.draft(draft.reg).stage == "harmonisasi"
    for day in (22, 23, 28, 29):
        now[0] = datetime(2026, 12, day, 0, 30, tzinfo=UTC)
        app.cycle()
    admin = app.config.admins[0].email
    [mail] = [m for m in sent_to(tmp_path, admin) if m["Subject"].startswith("Batas waktu per")]
    assert mail["Subject"] == "Batas waktu per 28 Desember 2026: 1 mendekati batas waktu"
    text = " ".join(mail.get_body(("plain",)).get_content().split())
    assert f"{draft.reg} (" in text and "sampai 30 Desember 2026 (sisa 2 hari kerja)" in text
    assert [e.event for e in app.store.history(draft.reg)].count("reminder") == 1


def test_a_draft_is_escalated_again_only_escalate_every_working_days_after_the_last_time():
    settings = Settings(default_limits(), remind_before=2, escalate_every=5)
    now = stage_clock(CALENDAR, "pemeriksaan", date(2026, 12, 21), date(2027, 1, 12), Limit(5))
    # Nobody was told on the first days late (the daemon was down): told now, as round 1.
    found = due_notices(CALENDAR, settings, "HK-1", "t0", now, date(2027, 1, 12), Told())
    assert isinstance(found, Escalation) and found.round == 1
    told = Told(escalations=1, last_escalated=date(2027, 1, 12))
    for today in (date(2027, 1, 13), date(2027, 1, 18)):
        later = stage_clock(CALENDAR, "pemeriksaan", date(2026, 12, 21), today, Limit(5))
        assert due_notices(CALENDAR, settings, "HK-1", "t0", later, today, told) is None
    again = stage_clock(CALENDAR, "pemeriksaan", date(2026, 12, 21), date(2027, 1, 19), Limit(5))
    found = due_notices(CALENDAR, settings, "HK-1", "t0", again, date(2027, 1, 19), told)
    assert isinstance(found, Escalation) and found.round == 2


def test_an_assigned_reviewer_alone_is_told_and_reminded(tmp_path):
    now = [datetime(2026, 12, 21, 1, 0, tzinfo=UTC)]
    app = service(
        tmp_path, clock=lambda: now[0], digest_time="08:00", timezone="Asia/Jayapura",
        reviewer_rotation=True,
    )  # fmt: skip
    reviewers = [person.email for person in app.config.reviewers]
    for n in range(3):
        drop(tmp_path, f"Ranperbup {n}.docx", draft_docx(subject=f"Retribusi {n}"))
        app.cycle()
    drafts = sorted(app.store.drafts(), key=lambda d: d.reg)
    assert [d.assignee for d in drafts] == [reviewers[0], reviewers[1], reviewers[0]]
    with pytest.raises(Refused):
        app.commands.assign(drafts[2].reg, "orang.lain@example.go.id")
    app.commands.assign(drafts[2].reg, reviewers[1].upper(), actor="kabag")
    assert app.store.draft(drafts[2].reg).assignee == reviewers[1]
    assert app.store.history(drafts[2].reg)[-1].reason == f"assigned:{reviewers[1]}"
    records = {r["reg"]: r for r in all_drafts(app.config, app.store, lambda: now[0])}
    assert records[drafts[2].reg]["assignee"] == reviewers[1]
    now[0] = datetime(2026, 12, 28, 0, 30, tzinfo=UTC)  # two working days before the deadline
    app.cycle()
    summaries = [m for m in sent(tmp_path) if "Ringkasan pemeriksaan" in m["Subject"]]
    today = [m for m in summaries if m["Date"].datetime.date() == date(2026, 12, 28)]
    listed = {
        m["To"].addresses[0].addr_spec: sorted(
            re.findall(r"HK-2026-\d{4}", m.get_body(("plain",)).get_content())
        )
        for m in today
    }
    assert listed == {
        reviewers[0]: [drafts[0].reg],
        reviewers[1]: sorted([drafts[1].reg, drafts[2].reg]),  # one e-mail for both
    }


def test_the_reviewers_see_what_a_revision_changed_and_which_notes_it_answered(tmp_path):
    app = service(tmp_path)
    tariff = "Pasal 5 Tarif retribusi rawat jalan sebesar Rp10.000 per kunjungan."
    transition = "Pasal 9 Peraturan Bupati ini mulai berlaku pada tanggal diundangkan."
    notes = (
        NoteSpec(tariff, "Tarif belum sesuai Perda 5 Tahun 2023."),
        NoteSpec(transition, "Tambahkan ketentuan peralihan."),
    )
    drop(tmp_path, "Ranperbup Retribusi.docx", draft_docx(notes=notes))
    app.cycle()
    [draft] = app.store.drafts()
    app.commands.revise(draft.reg)  # the notes go back to the OPD with the draft
    articles = (
        "Pasal 1",
        "Dalam Peraturan Bupati ini yang dimaksud dengan Daerah adalah Kabupaten Seram Bagian"
        " Timur, Provinsi Maluku.",  # changed
        "Pasal 5 Tarif retribusi rawat jalan sebesar Rp15.000 per kunjungan.",  # answered
        transition,  # still as it was
        "Pasal 10 Ketentuan lebih lanjut diatur oleh Kepala Dinas.",  # added
    )
    drop(tmp_path, f"{draft.reg} Ranperbup Retribusi revisi.docx", draft_docx(articles=articles))
    app.cycle()
    assert app.store.draft(draft.reg).version == 2
    [notice] = [m for m in sent(tmp_path) if "Versi 2 siap diperiksa" in m["Subject"]]
    text = notice.get_body(("plain",)).get_content()
    assert "2 paragraf diubah, 1 ditambahkan, 0 dihapus" in text
    assert 'menjadi "Pasal 5 Tarif retribusi rawat jalan sebesar Rp15.000' in text
    assert 'Ditambahkan: "Pasal 10 Ketentuan lebih lanjut' in text
    answered = next(line for line in text.splitlines() if "Tarif belum sesuai" in line)
    assert "kemungkinan sudah ditindaklanjuti" in answered
    unchanged = next(line for line in text.splitlines() if "Tambahkan ketentuan" in line)
    assert "kemungkinan belum ditindaklanjuti" in unchanged
    [page] = list(notice.iter_attachments())
    assert page.get_filename() == f"perbandingan-{draft.reg}-v1-v2.html"
    html = page.get_payload(decode=True).decode("utf-8")
    assert "<del>Pasal 5 Tarif retribusi rawat jalan sebesar Rp10.000" in html
    # A further revision before version 2 was examined: still against the notes on version 1.
    more = (*articles, "Pasal 11 Peraturan Bupati ini mulai berlaku pada tanggal diundangkan.")
    drop(tmp_path, f"{draft.reg} Ranperbup Retribusi revisi 2.docx", draft_docx(articles=more))
    app.cycle()
    assert app.store.draft(draft.reg).version == 3
    [notice] = [m for m in sent(tmp_path) if "Versi 3 siap diperiksa" in m["Subject"]]
    assert (
        "Dibandingkan dengan versi 1 yang diberi catatan"
        in notice.get_body(("plain",)).get_content()
    )
    [page] = list(notice.iter_attachments())
    assert page.get_filename() == f"perbandingan-{draft.reg}-v1-v3.html"


def test_an_opd_is_reminded_of_its_revision_once(tmp_path):
    now = [datetime(2026, 12, 14, 1, 0, tzinfo=UTC)]  # Monday 14 December, 10:00 in Jayapura
    settings = dict(
        clock=lambda: now[0],
        digest_time="08:00",
        timezone="Asia/Jayapura",
        overrides={"deadlines": {"perbaikan": 3, "remind_before": 1}},
    )
    app = service(tmp_path, **settings)
    drop(tmp_path, "Ranperbup Retribusi.docx", draft_docx())
    app.cycle()
    [draft] = app.store.drafts()
    app.commands.revise(draft.reg)  # due 17 December (3 working days), reminded on the 16th
    for day in range(14, 22):
        now[0] = datetime(2026, 12, day, 0, 30, tzinfo=UTC)
        app = service(tmp_path, **settings)  # a restart every day
        app.cycle()
        app.cycle()
    mails = sent(tmp_path)
    reminders = [m for m in mails if "Pengingat" in m["Subject"]]
    assert [m["Date"].datetime.date() for m in reminders] == [date(2026, 12, 16)]
    opd = app.config.opd_by_name(draft.opd)
    assert [a.addr_spec for a in reminders[0]["To"].addresses] == list(opd.emails)
    assert "sampai 17 Desember 2026 (1 hari kerja lagi)" in reminders[0].get_body(
        ("plain",)
    ).get_content().replace("\n", " ")
    late = [m for m in mails if m["Subject"].startswith("Batas waktu per")]
    assert [m["Date"].datetime.date() for m in late] == [date(2026, 12, 18)]


def test_a_calendar_limit_is_reminded_and_escalated_in_working_days():
    settings = Settings(default_limits(), remind_before=2, escalate_every=5)
    limit = Limit(7, calendar=True)  # due Monday 2027-01-11 (from Monday 01-04)
    days = every_day(date(2027, 1, 4), date(2027, 1, 19))
    # The reminder on Thursday 01-07 (two working days before, not on Saturday); late from
    # Tuesday 01-12, and five working days on, 01-19.
    assert told_each_day(settings, "noreg", date(2027, 1, 4), limit, days) == {
        date(2027, 1, 7): "deadline:HK-2026-0001:noreg:t0:reminder",
        date(2027, 1, 12): "escalation 1",
        date(2027, 1, 19): "escalation 2",
    }


def test_a_deadline_passed_over_closed_days_is_late_not_due_today():
    # Due 2026-12-30; 12-31 (configured), 01-01 and the weekend are closed.
    clock = stage_clock(CALENDAR, "pemeriksaan", date(2026, 12, 21), date(2027, 1, 2), Limit(5))
    assert clock.due == date(2026, 12, 30) and clock.late == 1


def test_a_stage_shorter_than_the_reminders_lead_gets_no_reminder_only_escalations():
    settings = Settings(default_limits(), remind_before=2, escalate_every=5)
    days = every_day(date(2027, 1, 11), date(2027, 1, 14))  # due Wednesday 01-13
    assert told_each_day(settings, "penomoran", date(2027, 1, 11), Limit(2), days) == {
        date(2027, 1, 14): "escalation 1"
    }


def test_a_failing_reminders_pass_does_not_hold_the_mail_back(tmp_path, monkeypatch):
    app = service(tmp_path)

    def broken() -> None:
        raise KeyError("a template's placeholder")

    monkeypatch.setattr(app._cycle.reminders, "queue_if_due", broken)
    drop(tmp_path, "Ranperbup Retribusi.docx", draft_docx())
    app.cycle()
    [draft] = app.store.drafts()
    assert any(draft.reg in m["Subject"] for m in sent(tmp_path)), "the notices went out"


def test_the_signing_clock_starts_when_joint_approval_is_done_even_out_of_order():
    from drivebot.app.clocks import _finished
    from drivebot.state.rows import AuditEntry

    def entry(event, from_stage, to_stage, reason):
        at = "2026-12-01T00:00:00Z"
        return AuditEntry(1, "HK-1", at, "admin", event, from_stage, to_stage, reason)

    # Marked done while the draft stood at the governor's facilitation: it names the stage.
    out_of_order = "fasilitasi_gubernur", "fasilitasi_gubernur", "done:persetujuan_bersama"
    assert _finished(entry("stage_done", *out_of_order), "persetujuan_bersama")
    assert _finished(
        entry("stage_done", "persetujuan_bersama", "penetapan", "done:persetujuan_bersama"),
        "persetujuan_bersama",
    )
    # A reminder recorded during the stage is not its end.
    assert not _finished(
        entry("reminder", "persetujuan_bersama", "persetujuan_bersama", "sent:a@b"),
        "persetujuan_bersama",
    )
