"""The local backend's sent Maildir: `was_sent` finds a message by its name, not by a scan."""

import mailbox
from email.message import EmailMessage

from drivebot.local import LocalMailbox


def _message(number: int) -> bytes:
    message = EmailMessage()
    message["From"] = "hukum@example.go.id"
    message["To"] = "dinkes@example.go.id"
    message["Subject"] = f"Pesan {number}"
    message["Message-ID"] = f"<drivebot.{number}@example.go.id>"
    message.set_content("Terima kasih.")
    return message.as_bytes()


def test_messages_sent_before_the_upgrade_are_found_after_it(tmp_path):
    sent = mailbox.Maildir(tmp_path / "sent", create=True)
    sent.add(_message(1))  # named the Maildir way, as earlier versions sent them
    read = sent.add(_message(2))
    held = sent.get_message(read)
    held.set_subdir("cur")
    held.add_flag("S")
    sent[read] = held  # a mail client read this one (cur/, flag S)
    box = LocalMailbox(tmp_path)
    assert box.was_sent("<drivebot.1@example.go.id>")
    assert box.was_sent("drivebot.2@example.go.id")
    assert not box.was_sent("<drivebot.3@example.go.id>")
    assert len(mailbox.Maildir(tmp_path / "sent")) == 2  # renamed, not copied


def test_a_sent_message_is_kept_whole_and_found(tmp_path):
    box = LocalMailbox(tmp_path)
    box.send(_message(7))
    [kept] = mailbox.Maildir(tmp_path / "sent")
    assert kept.as_bytes() == _message(7)
    assert box.was_sent("<drivebot.7@example.go.id>")
    assert not box.was_sent("<drivebot.8@example.go.id>")
    assert LocalMailbox(tmp_path).was_sent("<drivebot.7@example.go.id>")  # after a restart
