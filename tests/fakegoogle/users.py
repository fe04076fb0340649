"""The people around drivebot, acting in the Drive and Gmail web apps (not through the API, so
the request counters show only what drivebot asked).

With ownership modelled, what someone drops is theirs: `upload(..., as_user=...)`, defaulting to
`FakeGoogle(default_user=...)` (an OPD's staff); `share` gives a person a role on a file or folder
(inherited by what it holds) or makes them a member of a shared drive.
"""

from __future__ import annotations

import mimetypes
from email.parser import BytesHeaderParser
from email.utils import parseaddr
from typing import TYPE_CHECKING

from fakegoogle.drive import DOC_MIME, DOCX_MIME, add_reply, new_comment

if TYPE_CHECKING:
    from fakegoogle.server import FakeGoogle

GOOGLE_AUTHSERV = "mx.google.com"


def google_auth_results(sender_domain: str, passed: bool) -> str:
    """The Authentication-Results header Gmail's receiving servers prepend."""
    if passed:
        return (
            f"{GOOGLE_AUTHSERV};\n       dkim=pass header.i=@{sender_domain} "
            f"header.s=google header.b=AbCdEf12;\n       spf=pass (google.com: domain of "
            f"staf@{sender_domain} designates 203.0.113.7 as permitted sender) "
            f"smtp.mailfrom=staf@{sender_domain};\n       dmarc=pass (p=REJECT sp=REJECT "
            f"dis=NONE) header.from={sender_domain}"
        )
    return (
        f"{GOOGLE_AUTHSERV};\n       spf=softfail (google.com: domain of transitioning "
        f"x@{sender_domain} does not designate 198.51.100.9 as permitted sender) "
        f"smtp.mailfrom=x@{sender_domain};\n       dmarc=fail (p=NONE sp=NONE dis=NONE) "
        f"header.from={sender_domain}"
    )


class Users:
    def __init__(self, google: FakeGoogle):
        self.google = google

    # --- Drive -------------------------------------------------------------------------------

    def upload(
        self,
        folder_id: str,
        name: str,
        data: bytes,
        mime_type: str | None = None,
        as_user: str | None = None,
    ) -> str:
        """Someone (an OPD) drags a file into a folder; returns its id. It is `as_user`'s
        (default: the FakeGoogle's default_user)."""
        mime_type = mime_type or (
            DOCX_MIME
            if name.endswith(".docx")
            else mimetypes.guess_type(name)[0] or "application/octet-stream"
        )
        with self.google.lock:
            owner = as_user or self.google.default_user
            drive = self.google.drive
            return drive.new_file(name, mime_type, [folder_id], owner=owner, content=data).id

    def create_doc(self, folder_id: str, name: str, text: str, as_user: str | None = None) -> str:
        with self.google.lock:
            owner = as_user or self.google.default_user
            return self.google.drive.new_file(
                name, DOC_MIME, [folder_id], owner=owner, text=text
            ).id

    def share(self, file_id: str, email: str, role: str) -> None:
        """Give `email` a role (owner, writer, commenter, reader; in a shared drive organizer,
        fileOrganizer) on a file or folder, or a shared drive's membership (its id)."""
        with self.google.lock:
            self.google.drive.share(file_id, email, role)

    def unshare(self, file_id: str, email: str) -> None:
        with self.google.lock:
            self.google.drive.unshare(file_id, email)

    def move(self, file_id: str, folder_id: str) -> None:
        with self.google.lock:
            drive = self.google.drive
            drive.move(drive.files[file_id], folder_id)

    def trash(self, file_id: str) -> None:
        with self.google.lock:
            file = self.google.drive.files[file_id]
            file.trashed = True
            self.google.drive.touch(file)

    def revoke(self, file_id: str, *capabilities: str) -> None:
        """Take capabilities (e.g. canAddChildren) on a file or folder away from the bot."""
        with self.google.lock:
            self.google.drive.files[file_id].denied.update(capabilities)

    def comment(
        self, file_id: str, content: str, quoted: str = "", author: str = "Analis Hukum"
    ) -> str:
        with self.google.lock:
            file = self.google.drive.files[file_id]
            comment = new_comment(
                f"c{len(file.comments) + 1}", author, content, quoted, self.google.now_rfc3339(), []
            )
            file.comments.append(comment)
            return comment["id"]

    def _comment(self, file_id: str, comment_id: str) -> dict:
        file = self.google.drive.files[file_id]
        return next(c for c in file.comments if c["id"] == comment_id)

    def reply(self, file_id: str, comment_id: str, content: str, author: str = "Perancang") -> None:
        with self.google.lock:
            add_reply(
                self._comment(file_id, comment_id), author, content, self.google.now_rfc3339()
            )

    def resolve(self, file_id: str, comment_id: str, author: str = "Analis Hukum") -> None:
        """Resolve as the Docs UI does: a reply with action "resolve" and no text."""
        with self.google.lock:
            comment = self._comment(file_id, comment_id)
            add_reply(comment, author, "", self.google.now_rfc3339(), action="resolve")
            comment["resolved"] = True

    def delete_comment(self, file_id: str, comment_id: str) -> None:
        with self.google.lock:
            self._comment(file_id, comment_id)["deleted"] = True

    # --- Gmail -------------------------------------------------------------------------------

    def send_email(
        self, raw: bytes, authenticated: bool = True, spam: bool = False, to: str | None = None
    ) -> str:
        """A message arrives in the inbox (the bot's, or mailbox `to`'s); Gmail prepends its own
        Authentication-Results (passing, or failing as for a spoofed sender). Any such header
        the sender wrote stays below it. Returns the Gmail message id."""
        sender = parseaddr(BytesHeaderParser().parsebytes(raw).get("From", ""))[1]
        value = google_auth_results(sender.rpartition("@")[2].lower(), authenticated)
        eol = "\r\n" if raw.find(b"\r\n") == raw.find(b"\n") - 1 else "\n"
        header = f"Authentication-Results: {value}{eol}".replace("\n", eol).replace("\r\r", "\r")
        with self.google.lock:
            labels = ["SPAM" if spam else "INBOX", "UNREAD"]
            return self.google.gmail.add(header.encode() + raw, labels, address=to).id

    def not_spam(self, message_id: str) -> None:
        """Someone marks a message "not spam": it moves to the inbox."""
        with self.google.lock:
            gmail = self.google.gmail
            gmail.relabel(gmail.messages[message_id], ["INBOX"], ["SPAM"])

    def sent_messages(self, address: str | None = None) -> list[bytes]:
        """Every message the account (the bot, or `address`) sent, as RFC 822 bytes, oldest
        first."""
        with self.google.lock:
            gmail = self.google.gmail
            box = gmail.mailbox(address) if address else gmail.default
            return [m.raw for m in box.messages.values() if "SENT" in m.labels]
