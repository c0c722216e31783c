"""Reminders handed to whoever delivers them. Delivery channels (e-mail, calendars) plug in
behind the `Notifier` protocol; the reminder itself is already an event in the store."""

from __future__ import annotations

from typing import Protocol

import structlog
from temporalio import activity

from workflows.messages import ReminderNotice

log = structlog.get_logger("collab.activities.notifications")


class Notifier(Protocol):
    async def notify(self, notice: ReminderNotice) -> None: ...


class LogNotifier:
    """Writes each reminder to the structured log: the default until a channel is set."""

    async def notify(self, notice: ReminderNotice) -> None:
        log.info(
            "reminder",
            project_id=notice.project_id,
            kind=notice.kind.value,
            key=notice.key,
            due_at=notice.due_at.isoformat(),
            recipients=list(notice.recipients),
            subject=notice.subject,
        )


class NotificationActivities:
    def __init__(self, notifier: Notifier) -> None:
        self._notifier = notifier

    @activity.defn(name="deliver_reminder")
    async def deliver_reminder(self, notice: ReminderNotice) -> None:
        structlog.contextvars.bind_contextvars(workflow_id=activity.info().workflow_id)
        try:
            await self._notifier.notify(notice)
        finally:
            structlog.contextvars.unbind_contextvars("workflow_id")
