"""The activity that appends a project's events to the event store.

Event ids come from the workflow (derived from command ids), so an activity retried after
a lost reply appends the very same events: the store recognises them and writes nothing.
"""

from __future__ import annotations

import time

import structlog
from prometheus_client import Histogram
from temporalio import activity
from temporalio.exceptions import ApplicationError

from eventstore.errors import ConcurrencyError, IdempotencyConflict, InvalidAppend
from eventstore.event_records import to_record
from eventstore.recorder import EventRecorder
from workflows.messages import AppendOutcome, AppendRequest

log = structlog.get_logger("collab.activities.persistence")

# an append as the worker sees it (the store's transaction, its lock on the stream and the
# commit), refused ones left out; served at /metrics where the worker runs in the API's
# process (`collab up`)
APPEND_SECONDS = Histogram(
    "collab_append_seconds",
    "Time to append a step's events to the event store, as the worker's activity waits",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)


class PersistenceActivities:
    def __init__(self, store: EventRecorder) -> None:
        self._store = store

    @activity.defn(name="append_events")
    async def append_events(self, req: AppendRequest) -> AppendOutcome:
        bound = log.bind(
            project_id=req.project_id,
            workflow_id=req.workflow_id,
            attempt=activity.info().attempt,
        )
        started = time.perf_counter()
        try:
            result = await self._store.append(
                req.project_id, [to_record(e) for e in req.events], req.expected_version
            )
        except IdempotencyConflict as err:
            bound.error("event id reused for different content", error=str(err))
            raise ApplicationError(
                str(err), type="IdempotencyConflict", non_retryable=True
            ) from err
        except ConcurrencyError as err:
            # the workflow is the stream's only writer: a conflict means its state is stale,
            # and retrying the same append can never succeed
            bound.error("stale expected version", error=str(err))
            raise ApplicationError(str(err), type="ConcurrencyError", non_retryable=True) from err
        except InvalidAppend as err:
            raise ApplicationError(str(err), type="InvalidEvents", non_retryable=True) from err
        APPEND_SECONDS.observe(time.perf_counter() - started)
        for event, position in zip(req.events, result.positions, strict=True):
            bound.info(
                "event recorded" if result.written else "event already recorded",
                event_type=event.type,
                version=event.version,
                position=position,
            )
        return AppendOutcome(
            last_version=result.last_version, positions=result.positions, written=result.written
        )
