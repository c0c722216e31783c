"""The policy in force on a day, read from its stream (domain.policy_versions): what the
IEA call opener gives the year's call, so a call opens under the policy DERCI set for it."""

from __future__ import annotations

from datetime import datetime

from temporalio import activity

from domain.policy import Policy
from domain.policy_versions import POLICY_SET, POLICY_STREAM, PolicyBook, book_of
from eventstore.recorder import EventRecorder


async def read_book(store: EventRecorder) -> PolicyBook:
    """Every version the policy's stream records (the application reads the same)."""
    events = await store.read_stream(POLICY_STREAM)
    return book_of(
        (e.data, e.actor_id, e.recorded_at, e.reason) for e in events if e.type == POLICY_SET
    )


class PolicyActivities:
    def __init__(self, store: EventRecorder) -> None:
        self._store = store

    @activity.defn(name="policy_in_force")
    async def policy_in_force(self, at: datetime) -> Policy:
        return (await read_book(self._store)).in_force(at).policy
