"""Questions people ask, answered from the read models (and, for a project's history, from
the event store itself: the record, not a copy)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, computed_field
from pydantic_core import from_json

from domain.instruments import InstrumentCode
from domain.state import Phase
from eventstore.postgres import PostgresEventStore


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True)


class ProjectRow(_Row):
    """A project's portfolio row; its closed sets named, so that a row written wrong is
    refused where it is read into this model, as the table refuses it when written
    (1014_portfolio_closed_sets.sql): never shown."""

    project_id: str
    instrument: InstrumentCode
    title: str
    phase: Phase
    coordinator_id: str
    coordinator: str
    labs: list[dict[str, Any]]
    countries: list[str]
    call_id: str | None
    requested_eur: int
    awarded_eur: int | None  # the current (or next) term's award
    total_awarded_eur: int = 0  # over every term
    released_eur: int  # paid, over every term
    withheld_eur: int = 0  # the current term's tranches withheld now (waiting for a report)
    to_come_eur: int = 0  # the current term's tranches still planned
    cofunding_eur: int = 0  # beside CNRS's, in euros at the rates stated, every year
    term_number: int | None
    term_starts_at: datetime | None
    term_ends_at: datetime | None
    renewals: int
    successor_id: str | None
    version: int
    updated_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def all_funding_eur(self) -> int:
        """CNRS's awards over every term and co-funding together."""
        return self.total_awarded_eur + self.cofunding_eur


class DeadlineRow(_Row):
    project_id: str
    title: str | None = None  # the project's
    kind: str
    ref: str
    due_at: datetime
    label: str  # in English; application.language says it in the reader's language
    # the label as a message (domain.said's data); None for a row projected before it
    label_said: Any = Field(default=None, exclude=True)


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


R = TypeVar("R", bound=ProjectRow)


def row_of(model: type[R], record: Any) -> R:
    """A portfolio row read into `model`, in one validation (the labs are JSON text)."""
    fields = dict(record)
    fields["labs"] = from_json(fields["labs"])
    return model.model_validate(fields)


async def get_project(store: PostgresEventStore, project_id: str) -> ProjectRow | None:
    async with store.connection() as conn:
        row = await conn.fetchrow("SELECT * FROM portfolio WHERE project_id = $1", project_id)
    return row_of(ProjectRow, row) if row else None


async def history(store: PostgresEventStore, project_id: str) -> History | None:
    """The project's events as recorded (upcast), oldest first. Each event comes from
    PostgreSQL as the JSON of its entry and the whole history is parsed in one call:
    a third of the time of decoding the columns and building each entry in Python."""
    read = await store.read_stream_documents(project_id, _ENTRY_DOCUMENT)
    if not read.documents:
        return None
    documents = read.documents
    for i, e in read.upcast.items():  # rare: shown in its current shape
        documents[i] = HistoryEntry(
            version=e.version,
            type=e.type,
            occurred_at=e.occurred_at,
            recorded_at=e.recorded_at,
            actor=ActorOut(id=e.actor_id, role=e.actor_role),
            reason=e.reason,
            data=e.data,
        ).model_dump_json()
    return History.model_validate_json(
        '{"project_id":' + json.dumps(project_id) + ',"events":[' + ",".join(documents) + "]}"
    )


# A history entry as JSON, made by PostgreSQL from the event's row; times in UTC, as the
# columns decode (to_json writes ISO 8601 in any DateStyle); strings escaped by to_json.
_ENTRY_DOCUMENT = """
'{"version":' || version::text
|| ',"type":' || to_json(type)::text
|| ',"occurred_at":' || rtrim(to_json(occurred_at AT TIME ZONE 'UTC')::text, '"') || 'Z"'
|| ',"recorded_at":' || rtrim(to_json(recorded_at AT TIME ZONE 'UTC')::text, '"') || 'Z"'
|| ',"actor":{"id":' || to_json(actor_id)::text || ',"role":' || to_json(actor_role)::text
|| '},"reason":' || coalesce(to_json(reason)::text, 'null')
|| ',"data":' || data::text || '}'
"""


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
