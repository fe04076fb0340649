"""The mailbox port's contract: every adapter must behave like this."""

from email import message_from_bytes, policy
from email.message import EmailMessage

from builders import email_with_attachment


def _raw(subject="Pengajuan Ranperbup", attachments=(("draf.docx", b"PK\x03\x04 docx"),)):
    return email_with_attachment(
        "Staf Dinkes <dinkes@serambagiantimurkab.go.id>",
        "hukum@serambagiantimurkab.go.id",
        subject,
        list(attachments),
    )


def test_a_delivered_message_is_polled_with_headers_and_bytes(world, tmp_path):
    raw = _raw()
    cursor = world.mailbox.poll(None)[1]  # mail is taken in from the first start on
    world.deliver(raw)
    refs, _ = world.mailbox.poll(cursor)
    assert len(refs) == 1 and refs[0].size > 0
    headers = world.mailbox.headers(refs[0])
    assert headers["Subject"] == "Pengajuan Ranperbup"
    assert world.mailbox.sender_authenticated(headers)
    world.mailbox.fetch(refs[0], tmp_path / "fetched")
    fetched = message_from_bytes((tmp_path / "fetched").read_bytes(), policy=policy.default)
    original = message_from_bytes(raw, policy=policy.default)
    assert fetched["Message-ID"] == original["Message-ID"]
    attachment = next(fetched.iter_attachments())
    assert attachment.get_filename() == "draf.docx"
    assert attachment.get_content() == b"PK\x03\x04 docx"


def test_processed_and_quarantined_messages_leave_the_poll(world):
    start = world.mailbox.poll(None)[1]
    world.deliver(_raw("satu"))
    world.deliver(_raw("dua"))
    first, second = world.mailbox.poll(start)[0]
    world.mailbox.mark_processed(first)
    world.mailbox.quarantine(second)
    cursor = world.mailbox.poll(None)[1]
    assert world.mailbox.poll(cursor)[0] == []
    world.deliver(_raw("tiga"))
    refs, _ = world.mailbox.poll(cursor)
    assert [world.mailbox.headers(r)["Subject"] for r in refs] == ["tiga"]


def test_sent_messages_are_found_by_message_id(world):
    message = EmailMessage()
    message["From"] = "Bagian Hukum <hukum@serambagiantimurkab.go.id>"
    message["To"] = "dinkes@serambagiantimurkab.go.id"
    message["Subject"] = "[HK-2026-0001] Rancangan diterima"
    message["Message-ID"] = "<drivebot.1.HK-2026-0001@serambagiantimurkab.go.id>"
    message.set_content("Terima kasih.")
    assert not world.mailbox.was_sent(message["Message-ID"])
    world.mailbox.send(message.as_bytes())
    assert world.mailbox.was_sent("<drivebot.1.HK-2026-0001@serambagiantimurkab.go.id>")
    assert not world.mailbox.was_sent("<drivebot.2.HK-2026-0001@serambagiantimurkab.go.id>")
