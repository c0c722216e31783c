"""A person's data under the GDPR, for the data-protection officer: everything the service
keeps about them (art. 15), and their erasure (art. 17) by crypto-shredding, the record
still verifying (domain.personal_data, eventstore.shredding).

An erasure destroys the person's key, is recorded as a fact of its own (who, when, why, the
legal basis; stream `privacy:<person id>`), overwrites their name and e-mail in the
directory and revokes them, projects their projects again (every read model then shows
them erased) and tells their running projects' workflows to forget them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from uuid import uuid4

from pydantic import BaseModel, ConfigDict

from application import resealing
from application.backup import OwnerUrl
from application.policies import Policies
from application.refusals import Kind, Refusal
from application.resealing import Resealed, SealingCheck
from domain import wording
from domain.actors import SYSTEM, Actor, Role
from domain.fields import service_stream
from domain.personal_data import RETENTION_NOTICE, retention
from domain.said import Day, said
from eventstore import shredding
from eventstore.errors import ConcurrencyError
from eventstore.postgres import PostgresEventStore
from eventstore.records import NewEvent, StoredEvent
from identity.people import PeopleDirectory, Person, PersonRecord
from readmodels.privacy import person_links

PERSON_ERASED = "PersonErased"
RETENTION_NOTICED = "RetentionNoticed"  # the officer told a person's data falls due
RETENTION_BASIS = "GDPR art. 5(1)(e): storage limitation (retention policy)"
OFFICERS = frozenset({Role.DATA_PROTECTION_OFFICER})
# who checks that events sealed in place differ only by the sealing: the officer, or an
# auditor with the operator who holds the keys
SEALING_CHECKERS = frozenset({Role.DATA_PROTECTION_OFFICER, Role.AUDITOR})
MAX_TEXT = 2000


class Forgetting(Protocol):
    """The workflow side: tell a running project to forget a person (False: not running)."""

    async def forget(self, project_id: str, person_id: str) -> bool: ...


class Refolding(Protocol):
    """The read side: project these projects again from their events."""

    async def refold(self, project_ids: list[str]) -> None: ...


class KeptEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    event_id: str
    stream_id: str
    version: int
    type: str
    occurred_at: datetime
    recorded_at: datetime
    actor_id: str
    actor_role: str
    reason: str | None
    data: dict[str, Any]


class PersonalExport(BaseModel):
    """Everything kept about a person (GDPR art. 15), as JSON."""

    model_config = ConfigDict(frozen=True)

    person_id: str
    exported_at: datetime
    exported_by: str
    directory: dict[str, Any] | None  # their row, revoked or not
    directory_changes: list[dict[str, Any]]
    erased: bool
    projects: list[str]  # the projects whose record names them
    events: list[KeptEvent]  # every event that names them, as it reads now


class Due(BaseModel):
    person_id: str
    due_on: datetime
    noticed_at: datetime | None


class RetentionReport(BaseModel):
    years: int
    notice: list[Due]  # to tell the officer of now
    erase: list[Due]  # due, noticed RETENTION_NOTICE ago: erased by the sweep
    noticed: list[Due]  # told already, not yet to erase


class Erasure(BaseModel):
    model_config = ConfigDict(frozen=True)

    person_id: str
    erased_at: datetime
    erased_by: str
    legal_basis: str
    reason: str
    projects: list[str]  # projected again
    running: list[str]  # running workflows told to forget them
    # events recorded before sealing began that hold their name in clear: they keep
    # reading until `collab privacy seal-existing` seals them (README, "Personal data")
    in_clear: list[str]


def _require_officer(person: Person, to: str, roles: frozenset[Role] = OFFICERS) -> None:
    if person.role not in roles:
        raise Refusal(
            Kind.PERMISSION,
            said(
                "{role} {actor_id} may not {action}; only {allowed} may",
                role=wording.role(person.role),
                actor_id=person.person_id,
                action=to,
                allowed=wording.either(wording.a_role(r) for r in sorted(roles)),
            ),
            "role",
        )


def _require_text(value: str, field: str, missing: str | None = None) -> str:
    text = value.strip()
    if not text:
        missing = missing or said("{field}: required to erase a person", field=field)
        raise Refusal(Kind.INPUT, missing, "required", field)
    if len(text) > MAX_TEXT or "\x00" in text:
        raise Refusal(
            Kind.INPUT,
            said("{field}: at most {most} characters of text", field=field, most=MAX_TEXT),
            "bounds",
            field,
        )
    return text


def _kept(e: StoredEvent) -> KeptEvent:
    return KeptEvent(
        event_id=str(e.event_id),
        stream_id=e.stream_id,
        version=e.version,
        type=e.type,
        occurred_at=e.occurred_at,
        recorded_at=e.recorded_at,
        actor_id=e.actor_id,
        actor_role=e.actor_role,
        reason=e.reason,
        data=e.data,
    )


def _projects(events: list[StoredEvent]) -> list[str]:
    return sorted({e.stream_id for e in events if ":" not in e.stream_id})


class Privacy:
    def __init__(
        self,
        store: PostgresEventStore,
        people: PeopleDirectory,
        read_side: Refolding,
        workflows: Forgetting | None,
        policies: Policies,
        *,
        key_file: Path | None = None,
        owner_url: OwnerUrl | None = None,
    ) -> None:
        self._store = store
        self._people = people
        self._read_side = read_side
        self._workflows = workflows
        self._policies = policies
        # the ledger's key and the schema owner's login: sealing existing events in place
        self._key_file = key_file
        self._owner_url = owner_url or _no_owner

    async def export(self, officer: Person, person_id: str) -> PersonalExport:
        _require_officer(officer, said("export a person's data"))
        record: PersonRecord | None = await self._people.record(person_id)
        events = await self._store.events_naming(person_id)
        if record is None and not events:
            raise Refusal(
                Kind.NOT_FOUND,
                said("nothing is kept about {person_id}", person_id=person_id),
                "person.unknown",
            )
        changes = await self._people.changes(person_id)
        return PersonalExport(
            person_id=person_id,
            exported_at=datetime.now(UTC),
            exported_by=officer.person_id,
            directory=record.model_dump(mode="json") if record else None,
            directory_changes=[c.model_dump(mode="json") for c in changes],
            erased=person_id in await self._store.erased_people([person_id]),
            projects=_projects(events),
            events=[_kept(e) for e in events],
        )

    async def erase(
        self, officer: Person, person_id: str, reason: str, legal_basis: str, operator: str
    ) -> Erasure:
        _require_officer(officer, said("erase a person's data"))
        reason = _require_text(reason, "reason")
        legal_basis = _require_text(legal_basis, "legal_basis")
        if person_id == officer.person_id:
            raise Refusal(
                Kind.RULE,
                said("a data protection officer does not erase themselves; ask another"),
                "privacy.self",
            )
        return await self._erase(officer.actor, person_id, reason, legal_basis, operator)

    async def _erase(
        self, actor: Actor, person_id: str, reason: str, legal_basis: str, operator: str
    ) -> Erasure:
        events = await self._store.events_naming(person_id)
        record = await self._people.record(person_id)
        if record is None and not events:
            raise Refusal(
                Kind.NOT_FOUND,
                said("nothing is kept about {person_id}", person_id=person_id),
                "person.unknown",
            )
        stored = await self._store.events_naming(person_id, opened=False)
        in_clear = [
            str(e.event_id) for e in stored if shredding.in_clear(e.type, e.data, person_id)
        ]
        # the fact first: an erasure cut short is finished by erasing again, and recorded once
        recorded = await self._recorded(person_id, PERSON_ERASED)
        if recorded is None:
            data = {"person_id": person_id, "legal_basis": legal_basis}
            recorded = await self._record(actor, person_id, PERSON_ERASED, reason, data)
        await self._store.erase_person(person_id)
        await self._people.erase(person_id, operator=operator)
        projects = _projects(events)
        await self._read_side.refold(projects)
        running: list[str] = []
        if self._workflows is not None:
            told = await asyncio.gather(*(self._workflows.forget(p, person_id) for p in projects))
            running = [p for p, yes in zip(projects, told, strict=True) if yes]
        return Erasure(
            person_id=person_id,
            erased_at=recorded.recorded_at,
            erased_by=recorded.actor_id,
            legal_basis=str(recorded.data["legal_basis"]),
            reason=recorded.reason or "",
            projects=projects,
            running=running,
            in_clear=in_clear,
        )

    async def seal_existing(self, officer: Person, reason: str, operator: str) -> Resealed:
        """Seal the names and e-mails of every event recorded before sealing began, in
        place, once; a re-anchoring statement keeps every digest taken before verifying
        (application.resealing). Run again, it finds nothing to seal."""
        _require_officer(officer, said("seal the personal data of existing events"))
        reason = _require_text(
            reason, "reason", said("{field}: required to seal existing events", field="reason")
        )
        # the read models need nothing: they hold what the events read as, the same
        # before and after, and an erased person's name never (readmodels.projector)
        return await resealing.seal_existing(
            self._store,
            self._key_file,
            self._owner_url,
            by=officer.person_id,
            reason=reason,
            operator=operator,
        )

    async def check_sealing(self, checker: Person) -> SealingCheck:
        """Whether each event sealed in place, opened with its people's keys, is exactly
        the event it was (its kept old leaf hash)."""
        _require_officer(checker, said("check the events sealed in place"), SEALING_CHECKERS)
        return await resealing.check_sealing(self._store)

    async def _recorded(self, person_id: str, kind: str) -> StoredEvent | None:
        facts = await self._store.read_stream(service_stream("privacy", person_id))
        return next((e for e in facts if e.type == kind), None)

    async def _record(
        self,
        actor: Actor,
        person_id: str,
        kind: str,
        reason: str,
        data: dict[str, Any],
        at: datetime | None = None,
    ) -> StoredEvent:
        stream = service_stream("privacy", person_id)
        version = await self._store.stream_version(stream)
        fact = NewEvent(
            event_id=uuid4(),
            stream_id=stream,
            version=version + 1,
            type=kind,
            schema_version=1,
            occurred_at=at or datetime.now(UTC),
            actor_id=actor.id,
            actor_role=actor.role.value,
            reason=reason,
            data=data,
        )
        try:
            await self._store.append(stream, [fact], version)
        except ConcurrencyError as err:  # another officer, or the retention, at this moment
            raise Refusal(
                Kind.CONFLICT,
                said("{person_id} was erased meanwhile", person_id=person_id),
                "concurrency",
            ) from err
        recorded = await self._recorded(person_id, kind)
        assert recorded is not None
        return recorded

    # --- retention (policy: personal_data_retention_years) ---------------------------

    async def retention(self, now: datetime) -> RetentionReport:
        """Whose personal data the retention policy erases: the people linked only to
        projects ended more than the policy's years ago. Each is noticed to the officer
        first, and erased once the notice is RETENTION_NOTICE old (and due)."""
        years = (await self._policies.in_force(now)).personal_data_retention_years
        due, coming = retention(await person_links(self._store), years, now)
        erased = await self._store.erased_people(sorted({*due, *coming}))
        report = RetentionReport(years=years, notice=[], erase=[], noticed=[])
        for person_id, on in sorted({**coming, **due}.items()):
            if person_id in erased or person_id == SYSTEM.id:
                continue
            notice = await self._recorded(person_id, RETENTION_NOTICED)
            entry = Due(
                person_id=person_id,
                due_on=on,
                noticed_at=notice.occurred_at if notice else None,
            )
            if notice is None:
                report.notice.append(entry)
            elif person_id in due and notice.occurred_at <= now - RETENTION_NOTICE:
                report.erase.append(entry)
            else:
                report.noticed.append(entry)
        return report

    async def report(
        self, officer: Person, now: datetime, *, apply: bool = False, operator: str = ""
    ) -> RetentionReport:
        """The retention as the officer sees it; `apply`: sweep now, as the schedule does."""
        _require_officer(officer, said("see the retention of personal data"))
        return await (self.sweep(now, operator) if apply else self.retention(now))

    async def sweep(self, now: datetime, operator: str) -> RetentionReport:
        """What the daily schedule does: notice those coming due (recorded, for the
        officer's report), erase those due whose notice has run its course."""
        report = await self.retention(now)
        for entry in report.notice:
            await self._record(
                SYSTEM,
                entry.person_id,
                RETENTION_NOTICED,
                said("their personal data falls due for erasure on {day}", day=Day(entry.due_on)),
                {"person_id": entry.person_id, "due_on": entry.due_on.isoformat()},
                at=now,  # the sweep's day: a month on from it, the person is erased
            )
        for entry in report.erase:
            reason = said(
                "the retention period of {years} years since their last project ended has passed",
                years=report.years,
            )
            await self._erase(SYSTEM, entry.person_id, reason, RETENTION_BASIS, operator)
        return report


async def _no_owner() -> str | None:
    return None
