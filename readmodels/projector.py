"""The catch-up projector: follows the store's global feed and keeps the read models.

Each batch of events and the checkpoint that follows it commit in one transaction, so an
event's effect lands exactly once, whatever crashes in between. The rules are the domain's:
the projector folds each project's state with `domain.evolve` and derives rows from it.

Speed (a rebuild folds every event ever recorded; see bench/load.py): each event is read
as one JSON document made by PostgreSQL and parsed by pydantic in one call; within one
catch-up, folded states stay in memory from batch to batch instead of being read back and
parsed; each table is written with one statement a batch (decisions copied from `events`
by the database); and the next batch is read and folded while the database writes the
previous one. A batch still commits only if the checkpoint
is where the batch was read from, so racing projectors and rebuilds keep agreeing.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import json
from collections.abc import Awaitable, Callable, Iterator
from functools import reduce
from pathlib import Path
from typing import Any

import asyncpg
import structlog
from pydantic_core import to_json

from domain.calendar import add_years
from domain.deadlines import open_deadlines
from domain.events import EVENT_ADAPTER, DomainEvent, ReminderSent
from domain.evolve import fold
from domain.forecast import forecast_lines
from domain.personal_data import forget
from domain.said import as_data
from domain.state import Phase, ProjectState, TrancheStatus
from eventstore.errors import StoreUnreachable
from eventstore.event_records import from_record
from eventstore.migrations import migrate
from eventstore.postgres import PostgresEventStore
from eventstore.records import FeedDocuments, GlobalCursor

MIGRATIONS = Path(__file__).with_name("migrations")
NAME = "read_models"
_LOCK_KEY = int.from_bytes(b"project", "big")
log = structlog.get_logger("collab.projector")
# how often the projector looks for the database while it is out of reach
_AWAY_POLL_S = 2.0


async def migrate_read_models(owner_url: str) -> list[int]:
    """Create or update the read-model tables, as the schema owner."""
    conn = await asyncpg.connect(owner_url)
    try:
        return await migrate(conn, directory=MIGRATIONS)
    finally:
        await conn.close()


REFOLD_BATCH = 200  # projects projected again in one transaction (refold)
REBUILD_BATCH = 50_000  # a rebuild writes each project's rows once per batch: big batches
MAX_CACHED_STATES = 50_000  # folded states kept between the batches of one catch-up
_PARSE_SLICE = 500  # events parsed between two looks at the database's replies
_FOLD_SLICE = 500  # events folded between two looks


class _States:
    """Folded project states, as of the checkpoint this catch-up last committed.

    Between two batches of one catch-up, the states a batch folded are kept, so the next
    batch need not read and parse them again (parsing a long-lived project's state costs
    more than folding a thousand of its events). They are exactly the rows the batch
    committed: states are a pure function of the events up to the checkpoint, so while
    the checkpoint is where this catch-up left it, the table holds the same states. When
    it is not (another projector or a rebuild moved it), the batch is not applied and
    the cache is dropped. Bounded: the least recently touched states go first.
    """

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._states: dict[str, ProjectState] = {}

    def get(self, project_id: str) -> ProjectState | None:
        return self._states.get(project_id)

    def update(self, states: dict[str, ProjectState]) -> None:
        for project_id, state in states.items():
            self._states.pop(project_id, None)  # re-insert: most recent last
            self._states[project_id] = state
        excess = len(self._states) - self._limit
        if excess > 0:
            for project_id in list(itertools.islice(self._states, excess)):
                del self._states[project_id]

    def clear(self) -> None:
        self._states.clear()


class _Batch:
    """One batch of the feed on its way to the read models.

    Folding starts before the batch's transaction, with the states already known (those
    of earlier batches of this catch-up, and the empty state of a project whose first
    event is in the batch). The events of any other project wait in `deferred` until the
    transaction has checked the checkpoint and read that project's state from the table.
    """

    def __init__(self, page: FeedDocuments, after: GlobalCursor) -> None:
        self.page = page
        self.size = len(page.documents)
        self.after = after
        self.states: dict[str, ProjectState] = {}  # each project's state after the batch
        self.deferred: dict[str, list[DomainEvent]] = {}
        self.reminders: list[tuple[Any, ...]] = []  # upcast reminders only
        self.folded = asyncio.Event()  # set once `states` holds every project of the batch

    async def fold_known(self, known: Callable[[str], ProjectState | None]) -> None:
        """Fold what can be folded outside the transaction, yielding to the event loop
        now and then so the previous batch's statements go on meanwhile. Each project's
        events of the batch are folded together (`domain.evolve.fold`: one copy of its
        state, not one an event)."""
        upcast = self.page.upcast
        parse = EVENT_ADAPTER.validator.validate_json
        by_project: dict[str, list[DomainEvent]] = {}
        for i, document in enumerate(self.page.documents):
            if i and i % _PARSE_SLICE == 0:
                await asyncio.sleep(0)
            record = upcast.get(i) if upcast else None
            if document is None:  # not a project's stream (domain.fields.SERVICE_STREAM)
                continue
            event = parse(document) if record is None else from_record(record)
            pid = event.project_id
            events = by_project.get(pid)
            if events is None:
                by_project[pid] = [event]
            else:
                events.append(event)
            if record is not None and type(event) is ReminderSent:
                # the database copies the others from `events` (see _INSERT_NOTIFICATIONS):
                # this one's stored payload has an older shape
                self.reminders.append(
                    (
                        event.event_id,
                        pid,
                        event.data.kind,  # a StrEnum: a str
                        event.data.key,
                        to_json(event.data.recipients).decode(),  # JSON text, in Rust
                        event.data.subject,
                        event.data.due_at,
                    )
                )
        states, deferred = self.states, self.deferred
        folded = 0
        for pid, events in by_project.items():
            if folded > _FOLD_SLICE:
                folded = 0
                await asyncio.sleep(0)
            folded += len(events)
            state = known(pid)
            if state is None and events[0].version == 1:
                state = _NEW
            if state is None:
                deferred[pid] = events
            else:
                states[pid] = fold(events, state)

    def fold_deferred(self, stored_states: dict[str, ProjectState]) -> None:
        """Fold the deferred events onto the states read from the table."""
        for pid, events in self.deferred.items():
            self.states[pid] = fold(events, stored_states.get(pid, _NEW))
        self.deferred = {}
        self.folded.set()


_NEW = ProjectState()


class Projector:
    def __init__(
        self, store: PostgresEventStore, *, max_cached_states: int = MAX_CACHED_STATES
    ) -> None:
        self._store = store
        self._max_cached_states = max_cached_states

    async def checkpoint(self) -> GlobalCursor:
        async with self._store.connection() as conn:
            row = await conn.fetchrow(
                "SELECT tx_id, position FROM projection_checkpoints WHERE name = $1", NAME
            )
        return GlobalCursor(row["tx_id"], row["position"]) if row else GlobalCursor()

    async def catch_up(
        self, batch_size: int = 1000, progress: Callable[[int], None] | None = None
    ) -> int:
        """Apply every event not yet projected; return how many were applied.

        Pipelined: while one batch's transaction writes (the database working), the next
        batch is read and folded (Python working). A batch commits only after the one
        before it, and only if the checkpoint is where that one left it.
        """
        cache = _States(self._max_cached_states)
        applied = 0
        writing: asyncio.Task[bool] | None = None  # the previous batch's transaction
        ahead: _Batch | None = None  # the batch `writing` applies
        reading: asyncio.Task[FeedDocuments] | None = None
        try:
            cursor = await self.checkpoint()
            page = await self._read(cursor, batch_size)
            while True:
                if not page.documents and writing is not None:
                    # our own open transaction may hide events from the read that ran
                    # beside it (see eventstore.postgres): read again once it is done
                    done = await writing
                    writing = None
                    if done:
                        assert ahead is not None
                        cache.update(ahead.states)
                        applied += ahead.size
                        if progress:
                            progress(applied)
                    else:
                        cache.clear()
                        cursor = await self.checkpoint()
                    page = await self._read(cursor, batch_size)
                if not page.documents:
                    return applied
                batch = _Batch(page, cursor)
                # the next page is read while this one is folded: PostgreSQL makes the
                # documents on its core meanwhile, and the fold never waits for them
                reading = asyncio.create_task(self._read(page.after, batch_size))
                if ahead is not None and writing is not None:
                    await _first(ahead.folded.wait(), writing)
                    if not ahead.folded.is_set():
                        # its transaction ended without folding it: the checkpoint had
                        # moved (another projector, a rebuild), so it was not applied, and
                        # this batch must not be folded onto states that miss it
                        done = await writing  # False, or the error it failed with
                        assert not done
                        writing = None
                        ahead = None
                        await _cancel(reading)
                        reading = None
                        cache.clear()
                        cursor = await self.checkpoint()
                        page = await self._read(cursor, batch_size)
                        continue
                    view = ahead.states

                    def known(
                        pid: str, view: dict[str, ProjectState] = view
                    ) -> ProjectState | None:
                        state = view.get(pid)
                        return state if state is not None else cache.get(pid)

                    await batch.fold_known(known)
                else:
                    await batch.fold_known(cache.get)
                cursor = page.after
                if writing is not None:
                    done = await writing
                    writing = None
                    if not done:  # another projector or a rebuild moved the checkpoint
                        cache.clear()
                        await _cancel(reading)
                        reading = None
                        cursor = await self.checkpoint()
                        page = await self._read(cursor, batch_size)
                        ahead = None
                        continue
                    assert ahead is not None
                    cache.update(ahead.states)
                    applied += ahead.size
                    if progress:
                        progress(applied)
                writing = asyncio.create_task(self._apply(batch))
                ahead = batch
                page = await reading
                reading = None
        finally:
            for task in (reading, writing):
                if task is not None and not task.done():
                    await _cancel(task)

    async def rebuild(
        self, progress: Callable[[int], None] | None = None, batch_size: int = REBUILD_BATCH
    ) -> int:
        """Forget the read models and project every event again.

        Python's cyclic garbage collector is paused meanwhile (in the whole process, and
        restored after): folding allocates millions of short-lived objects and no cycles,
        and each collection would scan every object alive (the batch, the cached states)
        to find nothing. Measured on a million events, the collector took half the
        rebuild's time and freed about a hundred objects.
        """
        async with self._store.connection() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
            for table in (
                "decisions",
                "forecast",
                "portfolio_cells",
                "partner_cells",
                "released_cells",
                "releases",
                "awards",
                "deadlines",
                "portfolio",
                "project_states",
            ):
                await conn.execute(f"DELETE FROM {table}")
            await conn.execute("DELETE FROM projection_checkpoints WHERE name = $1", NAME)
        with _collector_paused():
            return await self.catch_up(batch_size=batch_size, progress=progress)

    async def projected_events(self) -> int:
        """How many events the read models reflect: those up to the checkpoint, whoever
        folded them (a rebuild beside a running projector shares the work with it)."""
        at = await self.checkpoint()
        async with self._store.connection() as conn:
            count: int = await conn.fetchval(
                "SELECT count(*) FROM events WHERE (tx_id, position) <= ($1::xid8, $2::bigint)",
                at.tx_id,
                at.position,
            )
        return count

    async def _read(self, cursor: GlobalCursor, limit: int) -> FeedDocuments:
        return await self._store.read_all_documents(_EVENT_DOCUMENT, cursor, limit)

    async def run(self, poll_interval: float = 0.5) -> None:
        """Follow the feed until cancelled. The database out of reach (a restart, a
        failover) is waited out: the projector picks up where its checkpoint is once it is
        back, and the service it runs beside goes on meanwhile."""
        away = False
        while True:
            try:
                n = await self.catch_up()
            except StoreUnreachable as err:
                if not away:
                    log.warning("projector: the database is out of reach", error=str(err))
                away = True
                await asyncio.sleep(max(poll_interval, _AWAY_POLL_S))
                continue
            if away:
                log.info("projector: the database is back")
                away = False
            if n:
                log.info("projected", events=n)
            await asyncio.sleep(poll_interval)

    async def _apply(self, batch: _Batch) -> bool:
        """Project `batch` unless the checkpoint is no longer where the batch was read
        from (another projector got there first, or a rebuild reset it): then nothing."""
        async with self._store.connection() as conn, conn.transaction():
            # one projector at a time (the runner, and readers catching up before a query):
            # the second waits here, then skips the events the first has already folded
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
            row = await conn.fetchrow(
                "SELECT tx_id, position FROM projection_checkpoints WHERE name = $1", NAME
            )
            if (GlobalCursor(row["tx_id"], row["position"]) if row else GlobalCursor()) != (
                batch.after
            ):
                return False
            stored: dict[str, ProjectState] = {}
            if batch.deferred:
                rows = await conn.fetch(
                    "SELECT project_id, state FROM project_states WHERE project_id = ANY($1)",
                    list(batch.deferred),
                )
                stored = {
                    r["project_id"]: ProjectState.model_validate_json(r["state"]) for r in rows
                }
            batch.fold_deferred(stored)
            project_ids = sorted(batch.states)
            # the portfolio's cells (1012_portfolio_cells.sql): these projects' rows as they
            # were taken off, then, once every row is written, as they are now added
            await conn.execute(_CHART_SUMS, project_ids, -1)
            await _write_projects(conn, [batch.states[p] for p in project_ids])
            last = batch.page.after
            await conn.execute(
                _INSERT_DECISIONS,
                batch.after.tx_id,
                batch.after.position,
                last.tx_id,
                last.position,
            )
            for copy in (_COPY_RELEASES, _COPY_AWARDS, _COPY_DECISION_NOTICES):
                await conn.execute(
                    copy, batch.after.tx_id, batch.after.position, last.tx_id, last.position
                )
            await conn.execute(_TOTAL_AWARDED, project_ids)
            await conn.execute(_CHART_SUMS, project_ids, 1)
            await conn.execute(_CHART_SUMS_EMPTIED)
            # ON CONFLICT: a rebuild re-projects old reminders; they were sent already
            await conn.execute(
                _COPY_NOTIFICATIONS,
                batch.after.tx_id,
                batch.after.position,
                last.tx_id,
                last.position,
                [r[0] for r in batch.reminders],
            )
            if batch.reminders:
                await conn.execute(_INSERT_NOTIFICATIONS, *_columns(batch.reminders, 7))
            await conn.execute(
                """INSERT INTO projection_checkpoints (name, tx_id, position) VALUES ($1, $2, $3)
                   ON CONFLICT (name) DO UPDATE
                   SET tx_id = EXCLUDED.tx_id, position = EXCLUDED.position""",
                NAME,
                last.tx_id,
                last.position,
            )
        return True

    async def refold(self, project_ids: list[str]) -> None:
        """Project these projects again from their events as they read now: after a
        person's erasure (application.privacy), their rows, states and deadlines name them
        as erased. What the events' amounts and dates make (charts, awards, releases) does
        not change."""
        for start in range(0, len(project_ids), REFOLD_BATCH):
            chunk = project_ids[start : start + REFOLD_BATCH]
            async with self._store.connection() as conn, conn.transaction():
                # the projector waits meanwhile: its checkpoint holds, and each project is
                # folded up to it, no further (its next batch folds on from there)
                await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
                row = await conn.fetchrow(
                    "SELECT tx_id, position FROM projection_checkpoints WHERE name = $1", NAME
                )
                upto = GlobalCursor(row["tx_id"], row["position"]) if row else GlobalCursor()
                states = [
                    fold(
                        from_record(e)
                        for e in await self._store.read_stream(p)
                        if GlobalCursor(e.tx_id, e.position) <= upto
                    )
                    for p in chunk
                ]
                folded = [s for s in states if s.project_id is not None]
                if folded:
                    # the cells' keys do not change with a name; taken off and added again
                    # all the same, so that the cells never rest on that
                    touched = [s.project_id for s in folded]
                    await conn.execute(_CHART_SUMS, touched, -1)
                    await _write_projects(conn, folded)
                    await conn.execute(_CHART_SUMS, touched, 1)
                    await conn.execute(_CHART_SUMS_EMPTIED)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


async def _first(*waits: Awaitable[Any]) -> None:
    """Wait until the first of `waits` is done (the others keep running)."""
    tasks = [w if isinstance(w, asyncio.Future) else asyncio.ensure_future(w) for w in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task, wait in zip(tasks, waits, strict=True):
            if task is not wait:
                task.cancel()


async def _cancel(task: asyncio.Task[Any]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task


async def _write_projects(conn: Any, touched: list[ProjectState]) -> None:
    """What the read models hold of each of these projects, from its folded state: its
    state, its portfolio row, its open deadlines and the money ahead."""
    project_ids = [s.project_id for s in touched]
    touched = await _without_the_erased(conn, touched)
    await conn.execute(
        _UPSERT_STATES,
        *_columns([(s.project_id, s.version, s.model_dump_json()) for s in touched], 3),
    )
    await conn.execute(_UPSERT_PORTFOLIO, *_columns([_portfolio_row(s) for s in touched], 25))
    await conn.execute("DELETE FROM deadlines WHERE project_id = ANY($1)", project_ids)
    # each project's by its own policy (recorded in its state), as its workflow
    # decides: a policy changed since shows only in projects started under it
    deadlines = [
        (s.project_id, d.kind.value, d.ref, d.due_at, d.label, json.dumps(as_data(d.label)))
        for s in touched
        for d in open_deadlines(s)
    ]
    if deadlines:
        await conn.execute(_INSERT_DEADLINES, *_columns(deadlines, 6))
    await conn.execute("DELETE FROM forecast WHERE project_id = ANY($1)", project_ids)
    ahead = [
        (
            s.project_id, s.application.instrument.value,
            s.application.institute.value if s.application.institute else None,
            line.year, line.kind.value, line.amount_eur, line.report_id,
            line.report_due_at,
        )
        for s in touched
        if s.application is not None
        for line in forecast_lines(s)
    ]  # fmt: skip
    if ahead:
        await conn.execute(_INSERT_FORECAST, *_columns(ahead, 8))


async def _without_the_erased(conn: Any, states: list[ProjectState]) -> list[ProjectState]:
    """The states with every erased person forgotten: a batch folded before a person's key
    was destroyed, or a state cached from before, never writes their name back."""
    people = {s.application.coordinator.id for s in states if s.application is not None}
    people |= {a.reviewer.id for s in states for a in s.assignments}
    if not people:
        return states
    erased = sorted(r["person_id"] for r in await conn.fetch(_ERASED_AMONG, sorted(people)))
    if not erased:
        return states
    return [reduce(forget, erased, s) for s in states]


_ERASED_AMONG = (
    "SELECT person_id FROM person_keys WHERE data_key IS NULL AND person_id = ANY($1::text[])"
)


def _columns(rows: list[tuple[Any, ...]], width: int) -> list[list[Any]]:
    """Rows as one list per column: the arguments of an INSERT ... SELECT FROM unnest(...),
    one statement for the whole batch."""
    if not rows:
        return [[] for _ in range(width)]
    return [list(column) for column in zip(*rows, strict=True)]


# Each event of a project as the JSON document of its domain event (what `model_dump_json`
# writes and `from_record` builds from the columns; NULL for the service's own streams, such
# as the policy's, which hold no project: domain.fields.SERVICE_STREAM), made by PostgreSQL
# and parsed by pydantic in one
# call: a fraction of the cost of decoding the columns and validating a dict built from
# them. Business time in UTC whatever the session's TimeZone (to_json writes ISO 8601 in
# any DateStyle); strings through to_json, so any character is escaped.
_EVENT_DOCUMENT = """
CASE WHEN position(':' IN stream_id) > 0 THEN NULL ELSE
'{"event_id":"' || event_id::text
|| '","project_id":' || to_json(stream_id)::text
|| ',"version":' || version::text
|| ',"type":' || to_json(type)::text
|| ',"schema_version":' || schema_version::text
|| ',"occurred_at":' || rtrim(to_json(occurred_at AT TIME ZONE 'UTC')::text, '"') || 'Z"'
|| ',"actor":{"id":' || to_json(actor_id)::text || ',"role":' || to_json(actor_role)::text
|| '},"reason":' || coalesce(to_json(reason)::text, 'null')
|| ',"data":' || data::text || '}'
END
"""

# Each write is one statement over arrays (unnest), not a statement per row: for a batch
# of thousands of rows the server plans once and the client sends one message.
_UPSERT_STATES = """
INSERT INTO project_states (project_id, version, state)
SELECT p, v, s::jsonb FROM unnest($1::text[], $2::integer[], $3::text[]) AS u(p, v, s)
ON CONFLICT (project_id) DO UPDATE SET version = EXCLUDED.version, state = EXCLUDED.state
"""

_INSERT_DEADLINES = """
INSERT INTO deadlines (project_id, kind, ref, due_at, label, label_said)
SELECT p, k, r, d, l, w::jsonb
FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[])
    AS u(p, k, r, d, l, w)
"""

# Decisions are the batch's events that carry a reason, as recorded: copied from `events`
# by the database, none of it through Python. The batch is exactly the feed's events in
# (after, last]: every transaction up to its last event had finished when it was read, so
# none can join that range later. Upcasting does not matter: it changes payloads only.
_INSERT_DECISIONS = """
INSERT INTO decisions (event_id, project_id, version, type, occurred_at, recorded_at,
    actor_id, actor_role, reason)
SELECT event_id, stream_id, version, type, occurred_at, recorded_at, actor_id, actor_role,
    reason
FROM events
WHERE (tx_id, position) > ($1::xid8, $2::bigint) AND (tx_id, position) <= ($3::xid8, $4::bigint)
    AND reason <> ''
ON CONFLICT (event_id) DO NOTHING
"""

# Each tranche released, copied from `events` by the database like decisions: the charts
# read these (per project), never the events themselves
_COPY_RELEASES = """
INSERT INTO releases (event_id, project_id, year, amount_eur)
SELECT event_id, stream_id, extract(year FROM occurred_at AT TIME ZONE 'UTC')::int,
    (data->>'amount_eur')::bigint
FROM events
WHERE (tx_id, position) > ($1::xid8, $2::bigint) AND (tx_id, position) <= ($3::xid8, $4::bigint)
    AND type = 'TrancheReleased'
UNION ALL
-- what an import says was paid before it (1007_forecast.sql), by the year each fell due
SELECT md5(e.event_id::text || '-' || (t->>'year'))::uuid, e.stream_id,
    extract(year FROM (t->>'due_at')::timestamptz AT TIME ZONE 'UTC')::int,
    (t->>'amount_eur')::bigint
FROM events e, jsonb_array_elements(e.data->'tranches') t
WHERE (e.tx_id, e.position) > ($1::xid8, $2::bigint)
    AND (e.tx_id, e.position) <= ($3::xid8, $4::bigint)
    AND e.type = 'ProjectImported'
    AND (t->>'year')::int <= (e.data->'past'->>'tranches_released')::int
ON CONFLICT (event_id) DO NOTHING
"""

# each project's money ahead (domain.forecast), replaced whenever the project is folded
_INSERT_FORECAST = """
INSERT INTO forecast (project_id, instrument, institute, year, kind, amount_eur, report_id,
    report_due_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::integer[], $5::text[],
    $6::bigint[], $7::text[], $8::timestamptz[])
"""

# A reminder's notification, copied from `events` by the database like decisions (a third
# of a long life's events are reminders: none of them goes through Python). A reminder
# whose stored payload an upcaster reshapes is left out ($5) and sent from Python, read
# in its current shape (_INSERT_NOTIFICATIONS); NOT EXISTS spares a rebuild the insert
# attempt of each reminder already there.
_COPY_NOTIFICATIONS = """
INSERT INTO notifications (event_id, project_id, kind, reminder_key, recipients, subject, due_at)
SELECT e.event_id, e.stream_id, e.data->>'kind', e.data->>'key',
    ARRAY(SELECT jsonb_array_elements_text(e.data->'recipients')), e.data->>'subject',
    (e.data->>'due_at')::timestamptz
FROM events e
WHERE (e.tx_id, e.position) > ($1::xid8, $2::bigint)
    AND (e.tx_id, e.position) <= ($3::xid8, $4::bigint)
    AND e.type = 'ReminderSent' AND e.event_id <> ALL($5::uuid[])
    AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.event_id = e.event_id)
ON CONFLICT (event_id) DO NOTHING
"""

# Each decision a call round took (its data names the call), to be e-mailed to the project's
# coordinator: the reason in `subject`, approved or not in the kind. Decisions taken one by
# one were never e-mailed, and a rebuild makes none of them now.
_COPY_DECISION_NOTICES = """
INSERT INTO notifications (event_id, project_id, kind, reminder_key, recipients, subject, due_at)
SELECT e.event_id, e.stream_id,
    CASE e.type WHEN 'ApplicationApproved' THEN 'call_approved' ELSE 'call_rejected' END,
    e.data->>'call_id', ARRAY[p.coordinator_id], coalesce(e.reason, ''), e.occurred_at
FROM events e JOIN portfolio p ON p.project_id = e.stream_id
WHERE (e.tx_id, e.position) > ($1::xid8, $2::bigint)
    AND (e.tx_id, e.position) <= ($3::xid8, $4::bigint)
    AND e.type IN ('ApplicationApproved', 'ApplicationRejected') AND e.data ? 'call_id'
ON CONFLICT (event_id) DO NOTHING
"""

# recipients travel as JSON text: unnest would flatten an array of arrays
_INSERT_NOTIFICATIONS = """
INSERT INTO notifications (event_id, project_id, kind, reminder_key, recipients, subject, due_at)
SELECT e, p, k, r, ARRAY(SELECT jsonb_array_elements_text(t::jsonb)), s, d
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
    $7::timestamptz[]) AS u(e, p, k, r, t, s, d)
ON CONFLICT (event_id) DO NOTHING
"""

_UPSERT_PORTFOLIO = """
INSERT INTO portfolio (project_id, instrument, title, phase, coordinator_id, coordinator, labs,
    countries, call_id, requested_eur, awarded_eur, released_eur, term_number, term_starts_at,
    term_ends_at, renewals, successor_id, version, updated_at, withheld_eur, to_come_eur,
    cofunding_eur, institute, submitted_at, closed_at)
SELECT p, i, t, ph, ci, c, l::jsonb, ARRAY(SELECT jsonb_array_elements_text(co::jsonb)),
    ca, rq, aw, re, tn, ts, te, rn, su, v, up, wh, tc, cf, li, sa, cl
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
    $7::text[], $8::text[], $9::text[], $10::integer[], $11::integer[], $12::integer[],
    $13::integer[], $14::timestamptz[], $15::timestamptz[], $16::integer[], $17::text[],
    $18::integer[], $19::timestamptz[], $20::integer[], $21::integer[], $22::bigint[],
    $23::text[], $24::timestamptz[], $25::timestamptz[])
    AS u(p, i, t, ph, ci, c, l, co, ca, rq, aw, re, tn, ts, te, rn, su, v, up, wh, tc, cf, li,
        sa, cl)
ON CONFLICT (project_id) DO UPDATE SET
    -- what an amendment may change (a title, the coordinator, the labs) too
    title = EXCLUDED.title, coordinator_id = EXCLUDED.coordinator_id,
    coordinator = EXCLUDED.coordinator, labs = EXCLUDED.labs, countries = EXCLUDED.countries,
    phase = EXCLUDED.phase, awarded_eur = EXCLUDED.awarded_eur,
    released_eur = EXCLUDED.released_eur, term_number = EXCLUDED.term_number,
    term_starts_at = EXCLUDED.term_starts_at, term_ends_at = EXCLUDED.term_ends_at,
    renewals = EXCLUDED.renewals, successor_id = EXCLUDED.successor_id,
    version = EXCLUDED.version, updated_at = EXCLUDED.updated_at,
    withheld_eur = EXCLUDED.withheld_eur, to_come_eur = EXCLUDED.to_come_eur,
    cofunding_eur = EXCLUDED.cofunding_eur, institute = EXCLUDED.institute,
    submitted_at = EXCLUDED.submitted_at, closed_at = EXCLUDED.closed_at
"""

# Each award, copied from `events` by the database (1004_amounts.sql), then each touched
# project's total over its terms: a term's award is its latest row
_COPY_AWARDS = """
INSERT INTO awards (event_id, project_id, version, term_number, amount_eur)
SELECT event_id, stream_id, version,
    CASE WHEN type = 'ApplicationApproved' THEN 1
        WHEN type = 'RenewalGranted' THEN (data->>'term_number')::int + 1
        ELSE (data->>'term_number')::int END,
    coalesce(data->>'awarded_eur', data->'past'->>'awarded_eur')::int
FROM events
WHERE (tx_id, position) > ($1::xid8, $2::bigint) AND (tx_id, position) <= ($3::xid8, $4::bigint)
    AND type IN ('ApplicationApproved', 'RenewalGranted', 'BudgetAmended', 'ProjectImported')
ON CONFLICT (event_id) DO NOTHING
"""
_TOTAL_AWARDED = """
UPDATE portfolio p SET total_awarded_eur = coalesce((
    SELECT sum(latest.amount_eur) FROM (
        SELECT DISTINCT ON (a.term_number) a.amount_eur
        FROM awards a WHERE a.project_id = p.project_id
        ORDER BY a.term_number, a.version DESC) latest), 0)
WHERE p.project_id = ANY($1::text[])
"""


# The portfolio's cells (1012_portfolio_cells.sql) kept by the batch: the contribution of
# the projects $1 (their portfolio rows' keys and amounts, their releases) added to them,
# times $2: -1 before the batch writes their rows, +1 after. One statement, each table
# written once; cells left at zero are deleted by _CHART_SUMS_EMPTIED.
_CHART_SUMS = """
WITH touched AS (
    SELECT p.*, c.country
    FROM portfolio p, unnest(ARRAY['*'] || p.countries) AS c(country)
    WHERE p.project_id = ANY($1::text[])
), projects AS (
    INSERT INTO portfolio_cells AS c
    SELECT country, instrument, phase, institute, first_year, last_year, runs,
        $2::int * count(*), $2::int * sum(total_awarded_eur), $2::int * sum(released_eur),
        $2::int * sum(withheld_eur), $2::int * sum(to_come_eur), $2::int * sum(cofunding_eur)
    FROM touched GROUP BY 1, 2, 3, 4, 5, 6, 7
    ON CONFLICT (country, instrument, phase, institute, first_year, last_year, runs)
        DO UPDATE SET projects = c.projects + EXCLUDED.projects,
            awarded_eur = c.awarded_eur + EXCLUDED.awarded_eur,
            released_eur = c.released_eur + EXCLUDED.released_eur,
            withheld_eur = c.withheld_eur + EXCLUDED.withheld_eur,
            to_come_eur = c.to_come_eur + EXCLUDED.to_come_eur,
            cofunding_eur = c.cofunding_eur + EXCLUDED.cofunding_eur
), partners AS (
    INSERT INTO partner_cells AS c
    SELECT t.country, t.instrument, t.phase, t.institute, t.first_year, t.last_year, t.runs,
        u.partner, $2::int * count(*)
    FROM touched t, unnest(t.countries) AS u(partner) GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
    ON CONFLICT (country, instrument, phase, institute, first_year, last_year, runs, partner)
        DO UPDATE SET projects = c.projects + EXCLUDED.projects
)
INSERT INTO released_cells AS c
SELECT t.country, t.instrument, t.phase, t.institute, t.first_year, t.last_year, t.runs,
    r.year, $2::int * sum(r.amount_eur), $2::int * count(*)
FROM touched t JOIN releases r USING (project_id) GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
ON CONFLICT (country, instrument, phase, institute, first_year, last_year, runs, year)
    DO UPDATE SET amount_eur = c.amount_eur + EXCLUDED.amount_eur,
        releases = c.releases + EXCLUDED.releases
"""
_CHART_SUMS_EMPTIED = """
WITH projects AS (DELETE FROM portfolio_cells WHERE projects = 0),
    partners AS (DELETE FROM partner_cells WHERE projects = 0)
DELETE FROM released_cells WHERE releases = 0
"""


def _portfolio_row(s: ProjectState) -> tuple[Any, ...]:
    app = s.application
    assert app is not None and s.last_event_at is not None
    # the term shown: the current one or, approved and not yet started, the one the decision
    # fixed (its end as TermStarted will set it)
    starts_at, ends_at = (s.term.starts_at, s.term.ends_at) if s.term else (None, None)
    if s.term is None and s.phase is Phase.APPROVED and s.next_term_starts_at is not None:
        starts_at = s.next_term_starts_at
        ends_at = add_years(starts_at, s.instrument.term_years)
    return (
        s.project_id,
        app.instrument.value,
        app.title,
        s.phase.value,
        app.coordinator.id,
        app.coordinator.name,
        json.dumps([lab.model_dump(mode="json") for lab in app.labs]),
        json.dumps(sorted({lab.country for lab in app.labs})),
        s.call_id,
        app.requested_eur,
        s.awarded_eur,
        s.released_eur,
        s.term.number if s.term else None,
        starts_at,
        ends_at,
        s.renewals_granted,
        s.successor_project_id,
        s.version,
        s.last_event_at,
        _tranches_sum(s, TrancheStatus.WITHHELD),
        _tranches_sum(s, TrancheStatus.PLANNED),
        s.cofunding_eur,
        app.institute.value if app.institute else None,
        s.submitted_at,
        s.closed_at,
    )


def _tranches_sum(s: ProjectState, status: TrancheStatus) -> int:
    """The current term's tranches in that status: withheld now, or still to come."""
    return sum(t.amount_eur for t in s.term.tranches if t.status is status) if s.term else 0
