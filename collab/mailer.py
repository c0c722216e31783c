"""Reminders by e-mail: the outbox's rows sent over SMTP to the people concerned."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import structlog

from application.language import in_language, read_back
from collab.settings import Settings
from domain.actors import Role
from domain.personal_data import ERASED_EMAIL
from eventstore.errors import StoreUnreachable
from eventstore.postgres import PostgresEventStore
from eventstore.tree_head import TreeHead
from identity.people import PeopleDirectory
from readmodels.outbox import Notification, Outbox
from readmodels.queries import coordinator_contact

log = structlog.get_logger("collab.mailer")

# who hears about a withheld tranche beside the coordinator
_OFFICERS_TOO = {"report_overdue"}


async def send_mail(s: Settings, msg: EmailMessage) -> None:
    await aiosmtplib.send(
        msg,
        hostname=s.smtp_host,
        port=s.smtp_port,
        username=s.smtp_username,
        password=s.smtp_password,
        start_tls=s.smtp_starttls,
        timeout=30,
    )


CALL_DECISIONS = {"call_approved", "call_rejected"}


def call_decision_mail(note: Notification) -> tuple[str, str]:
    """A call round's decision, told to the coordinator in English and French: the reason
    is the one recorded (readmodels.projector copies it), read back in French."""
    approved = note.kind == "call_approved"
    call, pid = note.reminder_key, note.project_id
    verdict = ("approved", "retenue") if approved else ("not retained", "non retenue")
    subject = (
        f"Call {call}: your application is {verdict[0]} / "
        f"Appel {call} : votre demande est {verdict[1]}"
    )
    body = (
        f"Call {call}: your application {pid} is {verdict[0]}.\n"
        f"Reason: {note.subject}\n\n"
        f"Appel {call} : votre demande {pid} est {verdict[1]}.\n"
        f"Motif : {in_language(read_back(note.subject), 'fr')}\n"
    )
    return subject, body


class NoRecipient(Exception):
    """Nobody with an e-mail address is concerned: retried (a person may be registered)."""


class SmtpMailer:
    def __init__(self, settings: Settings, store: PostgresEventStore) -> None:
        assert settings.smtp_host is not None
        self._settings = settings
        self._store = store
        self._people = PeopleDirectory(store)

    async def recipients(self, note: Notification) -> list[str]:
        ids = list(note.recipients)
        known = await self._people.emails(ids)
        addresses = [known[i] for i in ids if i in known]
        contact = await coordinator_contact(self._store, note.project_id)
        if contact and contact[0] in ids and contact[0] not in known:
            addresses.append(contact[1])
        if note.kind in _OFFICERS_TOO:
            officers = await self._people.with_roles([Role.INSTITUTE_OFFICER, Role.DERCI_OFFICER])
            addresses += [p.email for p in officers]
        # an erased person (application.privacy) has no address any more
        return sorted(set(addresses) - {ERASED_EMAIL})

    async def send(self, note: Notification) -> list[str]:
        to = await self.recipients(note)
        if not to:
            raise NoRecipient(f"no e-mail address for {', '.join(note.recipients)}")
        msg = EmailMessage()
        msg["From"] = self._settings.smtp_from
        msg["To"] = ", ".join(to)
        # one message id per event: a receiver can drop a duplicate delivery
        msg["Message-ID"] = f"<{note.event_id}@collab-lifecycle>"
        if note.kind in CALL_DECISIONS:
            subject, body = call_decision_mail(note)
            msg["Subject"] = f"[{note.project_id}] {subject}"
            msg.set_content(body)
        else:
            msg["Subject"] = f"[{note.project_id}] {note.subject}"
            msg.set_content(
                f"{note.subject}\n\n"
                f"Project: {note.project_id}\n"
                f"Due: {note.due_at.date().isoformat()}\n"
                f"Reminder: {note.kind} ({note.reminder_key})\n"
            )
        await send_mail(self._settings, msg)
        log.info("reminder e-mailed", project_id=note.project_id, key=note.reminder_key, to=to)
        return to


class DigestMailer:
    """Each day's signed digest to every auditor of the directory: copies the database's
    holder cannot reach."""

    def __init__(self, settings: Settings, store: PostgresEventStore) -> None:
        assert settings.smtp_host is not None
        self._settings = settings
        self._people = PeopleDirectory(store)

    async def __call__(self, head: TreeHead, path: Path) -> None:
        to = sorted({p.email for p in await self._people.with_roles([Role.AUDITOR])})
        if not to:
            log.warning("digest not e-mailed: no auditor in the directory", path=str(path))
            return
        msg = EmailMessage()
        msg["From"] = self._settings.smtp_from
        msg["To"] = ", ".join(to)
        msg["Subject"] = (
            f"collab-lifecycle ledger digest: {head.tree_size} events, "
            f"{head.timestamp:%Y-%m-%d} / condensat du registre"
        )
        msg["Message-ID"] = f"<digest-{head.root_hash[:16]}-{head.tree_size}@collab-lifecycle>"
        msg.set_content(
            "The signed digest of the decision record is attached: keep it. Later, "
            "`collab audit verify --digest FILE` proves the record still extends it.\n\n"
            "Le condensat signé du registre des décisions est joint : conservez-le. "
            "`collab audit verify --digest FICHIER` prouvera que le registre le prolonge.\n\n"
            f"Events / événements : {head.tree_size}\nRoot / racine : {head.root_hash}\n"
            f"Key / clé : {head.key_id}\n"
        )
        msg.add_attachment(
            head.model_dump_json(indent=2).encode(),
            maintype="application",
            subtype="json",
            filename=path.name,
        )
        await send_mail(self._settings, msg)
        log.info("digest e-mailed", to=to, tree_size=head.tree_size)


async def run_mailer(settings: Settings, store: PostgresEventStore, every: float = 5.0) -> None:
    outbox = Outbox(store)
    mailer = SmtpMailer(settings, store)
    while True:
        try:
            await outbox.deliver_due(mailer.send, datetime.now(UTC))
        except StoreUnreachable as err:
            # the reminders wait in the outbox until the database is back
            log.warning("mailer: the database is out of reach", error=str(err))
        await asyncio.sleep(every)
