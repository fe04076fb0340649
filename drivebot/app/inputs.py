"""What both intakes do with an input they cannot use: keep it aside and tell the right people.

A bad document is quarantined with a note (the file is never deleted), its OPD is told in plain
words what to send instead, and the admins get a report. An input that does not fit its draft's
stage is refused the same way, with the reason. Each of these is recorded in the processed
ledger in the same transaction, so it is handled once. Accepted inputs are kept in the
workspace's version store by checksum (`keep`); an input is read from a temporary download
(`downloaded`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from drivebot import i18n
from drivebot.app.notices import Notices
from drivebot.config import Config, Opd
from drivebot.drive import DriveFile, DrivePort
from drivebot.errors import BadDocument
from drivebot.events import Rejected
from drivebot.files import copy_whole, sha256_of, stored_path
from drivebot.flows import Audience, Folder
from drivebot.notify.emails import Report
from drivebot.state.outbox import QuarantineFile
from drivebot.state.rows import Draft, FileRole, InputStatus
from drivebot.state.store import Store

log = logging.getLogger(__name__)


@contextmanager
def downloaded(drive: DrivePort, file: DriveFile) -> Iterator[tuple[Path, str]]:
    """The file's bytes in a temporary file, with their SHA-256, for the block."""
    with TemporaryDirectory(prefix="drivebot-") as tmp:
        path = Path(tmp) / "input"
        drive.download(file.id, path)
        yield path, sha256_of(path)


class Inputs:
    def __init__(self, config: Config, store: Store, notices: Notices):
        self.config = config
        self.store = store
        self.notices = notices

    def done(self, key: str) -> bool:
        """Taken in before. A quarantined input that a person put back is looked at again."""
        row = self.store.processed(key)
        return row is not None and row.status is InputStatus.DONE

    def keep(self, path: Path, sha: str, suffix: str) -> str:
        """Copy the input into the workspace's version store (content-addressed, so idempotent);
        returns its path relative to the workspace."""
        relative = stored_path(sha, suffix)
        target = self.config.workspace / relative
        if not target.exists():
            copy_whole(path, target)
        return relative

    def _note(self, bad: BadDocument, file_name: str) -> str:
        lang = self.config.language
        reason = i18n.reason(
            lang, bad.reason, self.config.max_attachment_mb, self.config.folders[Folder.INBOX]
        )
        return i18n.text(
            lang,
            "note.bad",
            file=file_name,
            at=self._now(),
            what=reason["what"],
            todo=reason["todo"],
            detail=bad.detail or "-",
        )

    def _now(self) -> str:
        return i18n.long_date(self.config.language, self.store.clock().astimezone(self.config.tz))

    def quarantine(
        self, file: DriveFile, opd: Opd | None, draft: Draft | None, bad: BadDocument, key: str
    ) -> None:
        log.warning("quarantining %s: %s", file.name, bad)
        note = self._note(bad, file.name)
        with self.store.transaction():
            self.store.mark_processed(
                key, InputStatus.QUARANTINED, draft.reg if draft else None, str(bad)
            )
            self.store.track_file(file.id, None, FileRole.QUARANTINE, file.folder.value, file.name)
            self.store.enqueue(None, QuarantineFile(file.id, note))
            self.tell_about_bad_input(file.name, opd, draft, bad)

    def tell_about_bad_input(
        self,
        name: str,
        opd: Opd | None,
        draft: Draft | None,
        bad: BadDocument,
        mail_subject: str | None = None,
    ) -> None:
        """The OPD (when known) and the admins, inside the caller's transaction. `name` is the
        file's; an e-mail refused as a whole (no attachment, too large) gives its subject as
        `mail_subject` instead, so it is not called a file."""
        named: dict[str, Any] = (
            {"file_name": name} if mail_subject is None else {"mail_subject": mail_subject}
        )
        if opd is not None:
            self.notices.queue(
                Report.FILE_QUARANTINED,
                Audience.OPD,
                draft,
                to=opd.emails,
                reason=bad.reason,
                limit_mb=self.config.max_attachment_mb,
                **named,
            )
        self.notices.queue(
            Report.BAD_INPUT_REPORT,
            Audience.ADMINS,
            draft,
            opd_name=opd.name if opd else "-",
            reason=bad.reason,
            detail=bad.detail,
            limit_mb=self.config.max_attachment_mb,
            **named,
        )

    def refuse(
        self, file: DriveFile, opd: Opd | None, draft: Draft, rejected: Rejected, key: str
    ) -> None:
        """An input that does not fit the draft's stage: kept aside, the sender told why."""
        with self.store.transaction():
            self.store.mark_processed(
                key, InputStatus.QUARANTINED, draft.reg, rejected.reason.value
            )
            self.store.track_file(file.id, None, FileRole.QUARANTINE, file.folder.value, file.name)
            self.store.audit(
                draft.reg,
                "drivebot",
                rejected.event_kind,
                draft.stage,
                draft.stage,
                f"refused:{rejected.reason.value}:{file.name}",
            )
            note = i18n.text(
                self.config.language,
                "note.refused",
                file=file.name,
                at=self._now(),
                reg=draft.reg,
                stage=i18n.stage_label(self.config.language, draft.stage),
                why=i18n.text(self.config.language, f"refusal.{rejected.reason.value}"),
            )
            self.store.enqueue(draft.reg, QuarantineFile(file.id, note))
            audience = Audience.OPD if opd else Audience.ADMINS
            self.notices.queue(
                Report.REJECTED_EVENT,
                audience,
                draft,
                reason_key=rejected.reason.value,
                file_name=file.name,
            )
