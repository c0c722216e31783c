"""The people directory: add, list, revoke, and authenticate a bearer token."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
from pydantic import BaseModel, ConfigDict, Field

from domain.actors import Actor, Role
from domain.fields import PersonId
from domain.personal_data import ERASED_EMAIL, ERASED_NAME
from eventstore.migrations import migrate
from eventstore.postgres import PostgresEventStore
from identity.remembered import Remembered, watch_of

MIGRATIONS = Path(__file__).with_name("migrations")


class Person(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    person_id: PersonId
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=320)
    lab: str = Field(min_length=1, max_length=300)
    country: str = Field(pattern=r"^[A-Z]{2}$")
    role: Role

    @property
    def actor(self) -> Actor:
        return Actor(id=self.person_id, role=self.role)


class IssuedTokens(BaseModel):
    """Shown once, stored only hashed: the API token acts as the person; the calendar
    token only reads their calendar feed, so its URL can live in a calendar app."""

    api: str
    calendar: str


class PersonRecord(Person):
    created_at: datetime
    revoked_at: datetime | None


class DirectoryChange(BaseModel):
    person_id: str
    change: str  # registered, revoked
    role: Role | None
    operator: str
    database_user: str
    changed_at: datetime


async def _record_change(conn: Any, person_id: str, change: str, role: Role, operator: str) -> None:
    await conn.execute(
        "INSERT INTO people_changes (person_id, change, role, operator) VALUES ($1, $2, $3, $4)",
        person_id,
        change,
        role.value,
        operator,
    )


def hash_token(token: str) -> bytes:
    # tokens are 256-bit random strings: a plain hash is enough, no salt or stretching
    return hashlib.sha256(token.encode()).digest()


async def migrate_people(owner_url: str) -> list[int]:
    conn = await asyncpg.connect(owner_url)
    try:
        return await migrate(conn, directory=MIGRATIONS)
    finally:
        await conn.close()


class PeopleDirectory:
    def __init__(self, store: PostgresEventStore, *, remember: bool = False) -> None:
        """`remember`: keep who a token or an id names while the directory does not change
        (identity.remembered): for a process answering requests."""
        self._store = store
        self._found: Remembered[tuple[str, bytes | str], Person] = Remembered(
            watch_of(store, remember)
        )

    async def add(self, person: Person, *, operator: str) -> IssuedTokens:
        """Register a person; returns their tokens, shown once and stored only hashed. The
        operator who registers them is recorded with the change."""
        if person.role is Role.SYSTEM:
            raise ValueError("role: the system actor is not a person")
        tokens = IssuedTokens(api=secrets.token_urlsafe(32), calendar=secrets.token_urlsafe(32))
        async with self._store.connection() as conn, conn.transaction():
            try:
                await conn.execute(
                    "INSERT INTO people (person_id, name, email, lab, country, role, token_hash, "
                    "calendar_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    person.person_id,
                    person.name,
                    person.email,
                    person.lab,
                    person.country,
                    person.role.value,
                    hash_token(tokens.api),
                    hash_token(tokens.calendar),
                )
            except asyncpg.UniqueViolationError as err:
                raise ValueError(f"person_id: {person.person_id} is already registered") from err
            await _record_change(conn, person.person_id, "registered", person.role, operator)
        return tokens

    async def everyone(self) -> list[PersonRecord]:
        async with self._store.connection() as conn:
            rows = await conn.fetch(
                "SELECT person_id, name, email, lab, country, role, created_at, revoked_at "
                "FROM people ORDER BY person_id"
            )
        return [PersonRecord.model_validate(dict(r)) for r in rows]

    async def revoke(self, person_id: str, *, operator: str) -> bool:
        async with self._store.connection() as conn, conn.transaction():
            role = await conn.fetchval(
                "UPDATE people SET revoked_at = now() WHERE person_id = $1 AND revoked_at IS NULL "
                "RETURNING role",
                person_id,
            )
            if role is None:
                return False
            await _record_change(conn, person_id, "revoked", Role(role), operator)
        self._found.forget()  # this process at once; the others when notified
        return True

    async def erase(self, person_id: str, *, operator: str) -> bool:
        """Overwrite the person's name and e-mail with the erased marks and revoke them (a
        person erased signs in no more); False: not in the directory."""
        async with self._store.connection() as conn, conn.transaction():
            role = await conn.fetchval(
                "UPDATE people SET name = $2, email = $3, revoked_at = coalesce(revoked_at, now()) "
                "WHERE person_id = $1 RETURNING role",
                person_id,
                ERASED_NAME,
                ERASED_EMAIL,
            )
            if role is None:
                return False
            await _record_change(conn, person_id, "erased", Role(role), operator)
        self._found.forget()
        return True

    async def record(self, person_id: str) -> PersonRecord | None:
        """The person's row as the directory keeps it, revoked or not."""
        async with self._store.connection() as conn:
            row = await conn.fetchrow(
                "SELECT person_id, name, email, lab, country, role, created_at, revoked_at "
                "FROM people WHERE person_id = $1",
                person_id,
            )
        return PersonRecord.model_validate(dict(row)) if row else None

    async def changes(self, person_id: str | None = None) -> list[DirectoryChange]:
        """Who changed the directory, oldest first (one person's changes, or all)."""
        async with self._store.connection() as conn:
            rows = await conn.fetch(
                "SELECT person_id, change, role, operator, database_user, changed_at "
                "FROM people_changes WHERE $1::text IS NULL OR person_id = $1 ORDER BY change_id",
                person_id,
            )
        return [DirectoryChange.model_validate(dict(r)) for r in rows]

    async def new_calendar_token(self, person_id: str) -> str | None:
        """A fresh calendar link for the person, shown once; the previous link stops working."""
        token = secrets.token_urlsafe(32)
        async with self._store.connection() as conn:
            status = await conn.execute(
                "UPDATE people SET calendar_hash = $2 WHERE person_id = $1 AND revoked_at IS NULL",
                person_id,
                hash_token(token),
            )
        self._found.forget()
        return token if status.endswith(" 1") else None

    async def authenticate(self, token: str) -> Person | None:
        """The person whose API token this is."""
        return await self._by_hash("token_hash", token)

    async def calendar_owner(self, token: str) -> Person | None:
        """The person whose calendar token this is (it grants nothing else)."""
        return await self._by_hash("calendar_hash", token)

    async def _by_hash(self, column: str, token: str) -> Person | None:
        assert column in ("token_hash", "calendar_hash")
        digest = hash_token(token)
        return await self._found.get((column, digest), lambda: self._by_digest(column, digest))

    async def _by_digest(self, column: str, digest: bytes) -> Person | None:
        async with self._store.connection() as conn:
            row = await conn.fetchrow(
                f"SELECT person_id, name, email, lab, country, role, {column} AS digest "
                f"FROM people WHERE {column} = $1 AND revoked_at IS NULL",
                digest,
            )
        if row is None or not hmac.compare_digest(row["digest"], digest):
            return None
        fields = dict(row)
        fields.pop("digest")
        return Person.model_validate(fields)

    async def get(self, person_id: str) -> Person | None:
        return await self._found.get(("person_id", person_id), lambda: self._get(person_id))

    async def _get(self, person_id: str) -> Person | None:
        async with self._store.connection() as conn:
            row = await conn.fetchrow(
                "SELECT person_id, name, email, lab, country, role FROM people "
                "WHERE person_id = $1 AND revoked_at IS NULL",
                person_id,
            )
        return Person.model_validate(dict(row)) if row else None

    async def emails(self, person_ids: list[str]) -> dict[str, str]:
        async with self._store.connection() as conn:
            rows = await conn.fetch(
                "SELECT person_id, email FROM people "
                "WHERE person_id = ANY($1) AND revoked_at IS NULL",
                person_ids,
            )
        return {r["person_id"]: r["email"] for r in rows}

    async def with_roles(self, roles: list[Role]) -> list[Person]:
        async with self._store.connection() as conn:
            rows = await conn.fetch(
                "SELECT person_id, name, email, lab, country, role FROM people "
                "WHERE role = ANY($1) AND revoked_at IS NULL ORDER BY person_id",
                [r.value for r in roles],
            )
        return [Person.model_validate(dict(r)) for r in rows]

    async def by_email(self, email: str) -> list[Person]:
        """The live people with this e-mail, compared without case (the sign-on's match:
        more than one is no match)."""
        async with self._store.connection() as conn:
            rows = await conn.fetch(
                "SELECT person_id, name, email, lab, country, role FROM people "
                "WHERE lower(email) = lower($1) AND revoked_at IS NULL ORDER BY person_id",
                email,
            )
        return [Person.model_validate(dict(r)) for r in rows]

    async def by_subject(self, issuer: str, subject: str) -> Person | None:
        """The live person an operator linked to this provider's subject."""
        async with self._store.connection() as conn:
            row = await conn.fetchrow(
                "SELECT p.person_id, p.name, p.email, p.lab, p.country, p.role "
                "FROM people_subjects s JOIN people p USING (person_id) "
                "WHERE s.issuer = $1 AND s.subject = $2 AND p.revoked_at IS NULL",
                issuer,
                subject,
            )
        return Person.model_validate(dict(row)) if row else None

    async def link_subject(
        self, person_id: str, issuer: str, subject: str, *, operator: str
    ) -> bool:
        """Store the provider's subject of a live person (replacing their earlier one at
        this provider); False when nobody live has this id. A subject already linked to
        someone else is refused (ValueError)."""
        async with self._store.connection() as conn, conn.transaction():
            live = await conn.fetchval(
                "SELECT 1 FROM people WHERE person_id = $1 AND revoked_at IS NULL", person_id
            )
            if live is None:
                return False
            await conn.execute(
                "DELETE FROM people_subjects WHERE issuer = $1 AND person_id = $2",
                issuer,
                person_id,
            )
            try:
                await conn.execute(
                    "INSERT INTO people_subjects (issuer, subject, person_id, operator) "
                    "VALUES ($1, $2, $3, $4)",
                    issuer,
                    subject,
                    person_id,
                    operator,
                )
            except asyncpg.UniqueViolationError as err:
                raise ValueError(f"subject: {subject} is already another person's") from err
        return True
