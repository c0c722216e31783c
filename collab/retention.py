"""The retention of personal data, daily (domain.personal_data.retention): people linked
only to projects ended more than the policy's years ago are noticed to the data-protection
officers (by e-mail, in English and French, when SMTP is set; the notice is recorded), then
erased once the notice is a month old. One instance runs it (`collab up`, or compose's
projector service): what it records is appended with optimistic concurrency, so a second
one would be refused, not double the work."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from email.message import EmailMessage

import structlog

from application.privacy import Privacy, RetentionReport
from collab.mailer import send_mail
from collab.settings import Settings
from domain.actors import Role
from eventstore.postgres import PostgresEventStore
from identity.people import PeopleDirectory

log = structlog.get_logger("collab.retention")
EVERY_S = 24 * 3600


def notice_mail(report: RetentionReport) -> tuple[str, str]:
    lines = [f"  {d.person_id}: {d.due_on:%Y-%m-%d}" for d in report.notice]
    subject = (
        f"collab-lifecycle: {len(report.notice)} people due for erasure / "
        f"{len(report.notice)} personnes à effacer"
    )
    body = (
        f"Retention of {report.years} years: the personal data of these people will be erased "
        "on the day shown, unless kept for a reason you record (collab privacy export shows "
        "what is kept).\n\n"
        f"Durée de conservation de {report.years} ans : les données personnelles de ces "
        "personnes seront effacées à la date indiquée.\n\n" + "\n".join(lines) + "\n"
    )
    return subject, body


async def _tell_officers(
    settings: Settings, store: PostgresEventStore, report: RetentionReport
) -> None:
    if not settings.smtp_host or not report.notice:
        return
    officers = await PeopleDirectory(store).with_roles([Role.DATA_PROTECTION_OFFICER])
    if not officers:
        log.warning("retention notice not e-mailed: no data protection officer registered")
        return
    subject, body = notice_mail(report)
    msg = EmailMessage()
    msg["From"] = settings.smtp_from
    msg["To"] = ", ".join(sorted(p.email for p in officers))
    msg["Subject"] = subject
    msg.set_content(body)
    await send_mail(settings, msg)


async def run_retention(
    settings: Settings, store: PostgresEventStore, privacy: Privacy, every_s: float = EVERY_S
) -> None:
    while True:
        try:
            report = await privacy.sweep(datetime.now(UTC), "collab retention")
            await _tell_officers(settings, store, report)
            log.info(
                "retention swept",
                noticed=len(report.notice),
                erased=len(report.erase),
                years=report.years,
            )
        except Exception as err:
            # the service it runs beside goes on)
            log.warning("retention sweep incomplete", error=str(err), kind=type(err).__name__)
        await asyncio.sleep(every_s)
