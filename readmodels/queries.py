"""Questions people ask, answered from the read models (and, for a project's history, from
the event store itself: the record, not a copy)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from eventstore.postgres import PostgresEventStore


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True)


class ProjectRow(_Row):
    project_id: str
    instrument: str
    title: str
    phase: str
    coordinator_id: str
    coordinator: str
    labs: list[dict[str, Any]]
    countries: list[str]
    call_id: str | None
    requested_eur: int
    awarded_eur: int | None
    released_eur: int
    term_number: int | None
    term_starts_at: datetime | None
    term_ends_at: datetime | None
    renewals: int
    successor_id: str | None
    version: int
    updated_at: datetime


class DeadlineRow(_Row):
    project_id: str
    kind: str
    ref: str
    due_at: datetime
    label: str


class ActorOut(_Row):
    id: str
    role: str


class HistoryEntry(_Row):
    version: int
    type: str
    occurred_at: datetime
    recorded_at: datetime
    actor: ActorOut
    reason: str | None
    data: dict[str, Any]


class History(_Row):
    project_id: str
    events: list[HistoryEntry]


def _project(record: Any) -> ProjectRow:
    fields = dict(record)
    fields["labs"] = json.loads(fields["labs"])
    return ProjectRow.model_validate(fields)


async def get_project(store: PostgresEventStore, project_id: str) -> ProjectRow | None:
    async with store.connection() as conn:
        row = await conn.fetchrow("SELECT * FROM portfolio WHERE project_id = $1", project_id)
    return _project(row) if row else None


async def history(store: PostgresEventStore, project_id: str) -> History | None:
    events = await store.read_stream(project_id)
    if not events:
        return None
    return History(
        project_id=project_id,
        events=[
            HistoryEntry(
                version=e.version,
                type=e.type,
                occurred_at=e.occurred_at,
                recorded_at=e.recorded_at,
                actor=ActorOut(id=e.actor_id, role=e.actor_role),
                reason=e.reason,
                data=e.data,
            )
            for e in events
        ],
    )


async def coordinator_contact(store: PostgresEventStore, project_id: str) -> tuple[str, str] | None:
    """(person id, email) of a project's coordinator, as the application declared them."""
    async with store.connection() as conn:
        row = await conn.fetchrow(
            """SELECT state->'application'->'coordinator'->>'id' AS id,
                      state->'application'->'coordinator'->>'email' AS email
               FROM project_states WHERE project_id = $1""",
            project_id,
        )
    return (row["id"], row["email"]) if row and row["email"] else None
