"""The policy's versions as recorded (domain.policy_versions): what is in force on a day for
what starts that day, and a DERCI officer's new version, appended with optimistic
concurrency (two officers setting a version at once: the second is refused, not lost)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

from pydantic import ValidationError

from activities.policy import read_book
from application.refusals import Kind, Refusal
from domain.errors import DomainError
from domain.policy import CallWindow, Policy, iea_call_window
from domain.policy_versions import (
    POLICY_SET,
    POLICY_STREAM,
    PolicyBook,
    PolicyVersion,
    set_policy,
)
from domain.said import said
from eventstore.errors import ConcurrencyError
from eventstore.postgres import PostgresEventStore
from eventstore.records import NewEvent
from identity.people import Person


class Policies:
    def __init__(self, store: PostgresEventStore) -> None:
        self._store = store

    async def book(self) -> PolicyBook:
        return await read_book(self._store)

    async def in_force(self, at: datetime) -> Policy:
        return (await self.book()).in_force(at).policy

    async def for_call(self, year: int) -> tuple[CallWindow, Policy]:
        """A year's IEA call and the policy it runs under: the version in force on the day
        it opens (as the yearly opener reads it). Its applications are submitted under it
        too, so that the round and each application read one envelope."""
        book = await self.book()
        first = iea_call_window(year, book.in_force(datetime(year, 1, 1, tzinfo=UTC)).policy)
        policy = book.in_force(first.opens_at).policy
        return iea_call_window(year, policy), policy

    async def set(
        self, person: Person, document: Any, effective: date, reason: str
    ) -> PolicyVersion:
        try:
            policy = Policy.model_validate(document)
        except ValidationError as err:
            raise Refusal.of_input(err, "policy.") from err
        book = await self.book()
        now = datetime.now(UTC)
        try:
            data = set_policy(book, policy, effective, person.actor, reason, now)
        except DomainError as err:
            raise Refusal.of_domain(err) from err
        fact = NewEvent(
            event_id=uuid4(),
            stream_id=POLICY_STREAM,
            version=data.version,
            type=POLICY_SET,
            schema_version=1,
            occurred_at=now,
            actor_id=person.actor.id,
            actor_role=person.actor.role.value,
            reason=reason,
            data=data.model_dump(mode="json"),
        )
        try:
            await self._store.append(POLICY_STREAM, [fact], data.version - 1)
        except ConcurrencyError as err:
            raise Refusal(
                Kind.CONFLICT,
                said("another version of the policy was set meanwhile: look again"),
                "concurrency",
            ) from err
        return PolicyVersion(
            version=data.version,
            effective_at=data.effective_at,
            policy=policy,
            set_by=person.actor.id,
            set_at=now,
            reason=reason,
        )
