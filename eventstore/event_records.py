"""Mapping between the domain's typed events and the store's records: the store side's one
place that knows both (the activities append through it, the projector reads through it)."""

from __future__ import annotations

from domain.events import DomainEvent, event_from_record
from eventstore.records import NewEvent, StoredEvent


def to_record(event: DomainEvent) -> NewEvent:
    return NewEvent(
        event_id=event.event_id,
        stream_id=event.project_id,
        version=event.version,
        type=event.type,
        schema_version=event.schema_version,
        occurred_at=event.occurred_at,
        actor_id=event.actor.id,
        actor_role=event.actor.role.value,
        reason=event.reason,
        data=event.data.model_dump(mode="json"),
    )


def from_record(stored: StoredEvent) -> DomainEvent:
    return event_from_record(
        event_id=stored.event_id,
        project_id=stored.stream_id,
        version=stored.version,
        type=stored.type,
        schema_version=stored.schema_version,
        occurred_at=stored.occurred_at,
        actor_id=stored.actor_id,
        actor_role=stored.actor_role,
        reason=stored.reason,
        data=stored.data,
    )
