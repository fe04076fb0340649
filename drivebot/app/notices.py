"""Queueing e-mails: who receives a message, what it says about the draft, its MIME bytes.

`Notices.queue` is called inside the caller's transaction: the message is rendered whole, given
its Message-ID and threaded under the draft's first message, and written to the outbox with the
state change that causes it. The outbox sends exactly those bytes later (drivebot.app.effects).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any

from drivebot import i18n, tracking
from drivebot.app.clocks import clock_of
from drivebot.clock import Clock, days_since
from drivebot.config import Config
from drivebot.events import Notice
from drivebot.files import workspace_key
from drivebot.flows import Audience, Folder
from drivebot.notify.emails import (
    BATCH_TEMPLATES,
    DraftView,
    Rendered,
    Report,
    Template,
    render,
)
from drivebot.notify.mime import Attachment, Sender, build_message
from drivebot.state.outbox import SendEmail
from drivebot.state.rows import CURRENT_ROLES, Draft
from drivebot.state.store import Store

log = logging.getLogger(__name__)


class Notices:
    def __init__(
        self, config: Config, store: Store, clock: Clock, verify_url: Callable[[Draft], str | None]
    ):
        self.config = config
        self.store = store
        self.clock = clock
        self.verify_url = verify_url  # the archived product's verification link, if any
        self.sender = Sender(config.org_short_name, config.org_email, config.org_name)

    @cached_property
    def tracking_key(self) -> bytes:
        """The key of the OPDs' tracking links, read (or made) for the first e-mail."""
        return workspace_key(self.config.workspace, tracking.KEY_NAME)

    def recipients(self, audience: Audience, draft: Draft | None) -> list[str]:
        if audience is Audience.REVIEWERS:
            if draft is not None and draft.assignee:
                return [draft.assignee]  # assigned: the one reviewer acts (drivebot assign)
            return [person.email for person in self.config.reviewers]
        if audience is Audience.ADMINS:
            return [person.email for person in self.config.admins]
        opd = self.config.opd_by_name(draft.opd) if draft else None
        return list(opd.emails) if opd else []

    def view(self, draft: Draft) -> DraftView:
        """What an e-mail (or the digest) says about the draft, as of now."""
        working = self.store.files_of(draft.reg, *CURRENT_ROLES)
        today = self.clock().astimezone(self.config.tz).date()
        stage = clock_of(self.config, self.store, draft, today)
        number = (
            i18n.number_phrase(draft.number, draft.number_year, self.config.language)
            if draft.number is not None and draft.number_year is not None
            else None
        )
        return DraftView(
            reg=draft.reg,
            title=draft.title,
            product_type=draft.product_type,
            stage=draft.stage,
            version=draft.version,
            opd_name=draft.opd,
            done=draft.done,
            number=number,
            link=working[-1].link if working else None,
            verify_url=self.verify_url(draft),
            waiting_days=days_since(draft.stage_since, self.clock()),
            days_late=None if stage is None else stage.late,
            due=None if stage is None else stage.due,
            days_left=None if stage is None else max(stage.days_left, 0),
            calendar_days=stage is not None and stage.limit.calendar,
            **self._pages(draft.reg),
        )

    def _pages(self, reg: str) -> dict[str, str]:
        """The draft's tracking page and dashboard page, where the site's address is known."""
        base = self.config.base_url
        if base is None:
            return {}
        generation = self.store.link_generation(reg)
        return {
            "tracking_url": tracking.link(base, self.tracking_key, reg, generation),
            "dashboard_url": tracking.dashboard_link(base, reg),
        }

    def report_error(self, summary: str, detail: str, dedupe_key: str | None = None) -> int | None:
        """Tell the admins of a problem drivebot cannot solve itself (inside a transaction);
        returns the outbox item. With `dedupe_key`, the same problem is told once a day."""
        today = self.clock().astimezone(self.config.tz).date().isoformat()
        key = f"{today}:{dedupe_key}"[:300] if dedupe_key else None
        return self.queue(
            Report.ERROR_REPORT,
            Audience.ADMINS,
            None,
            dedupe_key=key,
            summary=summary,
            detail=detail,
        )

    def send_held(self) -> None:
        """Turn the notices held during a cycle into e-mails: one per kind of notice and group
        of recipients, listing every draft (a draft alone gets its usual e-mail)."""
        if not self.store.held_notices():
            return  # most cycles: no transaction to commit
        with self.store.transaction():
            held = self.store.held_notices()
            groups: dict[tuple[Notice, Audience, tuple[str, ...]], list[Draft]] = {}
            for one in held:
                draft = self.store.draft(one.reg)
                if draft is None:
                    continue
                audience = Audience(one.audience)
                to = tuple(self.recipients(audience, draft))
                groups.setdefault((Notice(one.notice), audience, to), []).append(draft)
            for (notice, audience, to), grouped in groups.items():
                # Read again: an e-mail queued just before may have set a thread root.
                drafts = [draft for d in grouped if (draft := self.store.draft(d.reg))]
                if len(drafts) == 1:
                    self.queue(notice, audience, drafts[0], to=to)
                else:
                    self._queue_batch(notice, audience, drafts, to)
            self.store.release_notices([one.id for one in held])

    def _queue_batch(
        self, notice: Notice, audience: Audience, drafts: list[Draft], to: tuple[str, ...]
    ) -> None:
        if not to:
            return
        template = BATCH_TEMPLATES[notice]
        rendered = render(
            template,
            self.config.language,
            audience,
            None,
            batch=[self.view(draft) for draft in drafts],
            opd_name=drafts[0].opd if audience is Audience.OPD else None,
        )
        message_id = self._message_id(None)
        for draft in drafts:  # later e-mails about each draft thread under this one
            if draft.thread_root is None:
                self.store.set_thread_root(draft.reg, message_id)
        queued = self._enqueue(rendered, list(to), message_id, None, None, template, None, ())
        if queued is not None:
            self.store.tell_of(queued, [draft.reg for draft in drafts])

    def _message_id(self, reg: str | None) -> str:
        number = self.store.next_value("message")
        return f"<drivebot.{number}.{(reg or 'admin').lower()}@{self.config.mail_domain}>"

    def _enqueue(
        self,
        rendered: Rendered,
        recipients: list[str],
        message_id: str,
        thread_root: str | None,
        reg: str | None,
        template: Template,
        dedupe_key: str | None,
        attachments: Sequence[Attachment],
    ) -> int | None:
        raw = build_message(
            rendered,
            self.sender,
            recipients,
            message_id,
            thread_root,
            attachments=attachments,
            sent_at=self.clock(),
        )
        return self.store.enqueue(
            reg,
            SendEmail(message_id, str(template), tuple(recipients)),
            raw,
            dedupe_key,
        )

    def queue(
        self,
        template: Template,
        audience: Audience,
        draft: Draft | None,
        *,
        to: Sequence[str] | None = None,
        dedupe_key: str | None = None,
        attachments: Sequence[Attachment] = (),
        **extra: Any,
    ) -> int | None:
        """Render the message and put it in the outbox (inside the caller's transaction);
        returns the outbox item, or None when nobody is configured to receive it or
        `dedupe_key` was queued before."""
        recipients = list(to) if to is not None else self.recipients(audience, draft)
        if not recipients:
            log.info("no %s address configured: %s e-mail not queued", audience.value, template)
            return None
        reg = draft.reg if draft else None
        rendered = render(
            template,
            self.config.language,
            audience,
            self.view(draft) if draft else None,
            inbox=self.config.folders[Folder.INBOX],
            tte=self.config.tte,
            **extra,
        )
        message_id = self._message_id(reg)
        thread_root = draft.thread_root if draft else None
        if draft and thread_root is None:
            thread_root = message_id
            self.store.set_thread_root(draft.reg, message_id)
        return self._enqueue(
            rendered, recipients, message_id, thread_root, reg, template, dedupe_key, attachments
        )
