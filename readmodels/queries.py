"""Questions people ask, answered from the read models (and, for a project's history, from
the event store itself: the record, not a copy)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
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


async def list_projects(
    store: PostgresEventStore, *, instrument: str | None = None, phase: str | None = None
) -> list[ProjectRow]:
    async with store.connection() as conn:
        rows = await conn.fetch(
            """SELECT * FROM portfolio
               WHERE ($1::text IS NULL OR instrument = $1) AND ($2::text IS NULL OR phase = $2)
               ORDER BY instrument, project_id""",
            instrument,
            phase,
        )
    return [_project(r) for r in rows]


async def get_project(store: PostgresEventStore, project_id: str) -> ProjectRow | None:
    async with store.connection() as conn:
        row = await conn.fetchrow("SELECT * FROM portfolio WHERE project_id = $1", project_id)
    return _project(row) if row else None


async def deadlines_within(
    store: PostgresEventStore,
    now: datetime,
    within: timedelta,
    project_id: str | None = None,
) -> list[DeadlineRow]:
    """What falls due before now + within, overdue items included."""
    async with store.connection() as conn:
        rows = await conn.fetch(
            """SELECT project_id, kind, ref, due_at, label FROM deadlines
               WHERE due_at <= $1 AND ($2::text IS NULL OR project_id = $2)
               ORDER BY due_at, project_id, kind, ref""",
            now + within,
            project_id,
        )
    return [DeadlineRow.model_validate(dict(r)) for r in rows]


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


async def deadlines_for_person(
    store: PostgresEventStore, person_id: str, role: str
) -> list[DeadlineRow]:
    """A coordinator's projects, a reviewer's evaluations; officers and auditors see all."""
    if role in ("coordinator", "reviewer"):
        where = (
            "d.project_id IN (SELECT project_id FROM portfolio WHERE coordinator_id = $1)"
            if role == "coordinator"
            else "d.kind = 'evaluation' AND d.project_id IN ("
            "SELECT project_id FROM project_states, "
            "jsonb_array_elements(state->'assignments') AS a "
            "WHERE a->'reviewer'->>'id' = $1)"
        )
        sql = f"SELECT d.* FROM deadlines d WHERE {where} ORDER BY due_at, project_id"
        args: tuple[str, ...] = (person_id,)
    else:
        sql, args = "SELECT d.* FROM deadlines d ORDER BY due_at, project_id", ()
    async with store.connection() as conn:
        rows = await conn.fetch(sql, *args)
    return [DeadlineRow.model_validate(dict(r)) for r in rows]
