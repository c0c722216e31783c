"""The PostgreSQL event store.

Writing. ``append`` is one call of the ``eventstore_append`` SQL function (migration
0002): lock the stream row, compare versions, chain hashes, insert, move the head, in one
round trip. Optimistic concurrency is per stream; writers of different streams never
wait for each other. A losing writer fails before taking a position, so the losers of a
race leave no gap. A retry of an append whose reply was lost is recognised by its event
ids and answered with the original positions (``written=False``), and it is decided
after the stream lock was taken, so a retry racing its own original is safe too.

Reading the global feed. ``position`` comes from a sequence, taken at insert time, but
transactions commit in another order: a reader that pages by position alone can read
past position 11 while position 10 is still uncommitted, and never see 10. Each event
therefore records its transaction id (``pg_current_xact_id()``), and ``read_all`` pages
by ``(tx_id, position)`` and returns only events of transactions older than every
transaction still running (``tx_id < pg_snapshot_xmin(pg_current_snapshot())``). Any
transaction that has not committed yet has an id at or above that bound, so it can only
appear after the reader's cursor: nothing is skipped, and writers need no global lock.

The cost: the feed is held back by the oldest running transaction that has an id, in
any database of the cluster. While a transaction stays open, events committed after it
started are not delivered to ``read_all`` (they are stored, and ``read_stream`` sees them).
Keep write transactions short; a forgotten open transaction shows up as a stalled feed
(look for old ``xact_start`` in ``pg_stat_activity``).
"""

from __future__ import annotations

import asyncio
import functools
import json
import re
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, replace
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import asyncpg
import opentelemetry.trace
import structlog
from asyncpg.pool import PoolConnectionProxy

from domain.personal_data import PERSONAL_PATHS
from eventstore import shredding
from eventstore.errors import (
    ConcurrencyError,
    EventStoreError,
    IdempotencyConflict,
    InvalidAppend,
    StoreUnreachable,
)
from eventstore.hashing import ChainVerifier, canonical_bytes, canonical_parts, normalize_data
from eventstore.migrations import (
    APP_ROLE,
    Connection,
    app_role_can_log_in,
    escalations,
    migrate,
    require_migrated,
    set_app_password,
    usable_app_role,
)
from eventstore.recorder import START, EventRecorder
from eventstore.records import (
    AppendResult,
    ChainBreak,
    FeedDocuments,
    GlobalCursor,
    NewEvent,
    StoredEvent,
    StreamDocuments,
)
from eventstore.upcasting import Upcasters
from eventstore.watch import Dial, Watch

log = structlog.get_logger("eventstore")
_TRACER = opentelemetry.trace.get_tracer("eventstore")

VERSION_CONFLICT = "VC409"  # SQLSTATE raised by eventstore_append, see migration 0002
_ACTUAL_VERSION = re.compile(r"actual_version=(\d+)")


def _columns(alias: str = "") -> str:
    """The StoredEvent columns; jsonb comes back as text and is decoded here, so reading
    does not depend on a codec being registered on the connection."""
    p = f"{alias}." if alias else ""
    return (
        f"{p}event_id, {p}stream_id, {p}version, {p}position, {p}tx_id, {p}type, "
        f"{p}schema_version, {p}occurred_at, {p}recorded_at, {p}actor_id, {p}actor_role, "
        f"{p}reason, {p}data::text AS data, {p}hash, {p}prev_hash, {p}hash_scheme"
    )


_APPEND = "SELECT eventstore_append($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"

_READ_STREAM = f"""
SELECT {_columns()} FROM events
WHERE stream_id = $1 AND version >= $2
ORDER BY version
"""

_READ_STREAM_VERSIONS = f"""
SELECT {_columns()} FROM events
WHERE stream_id = $1 AND version = ANY($2::integer[])
ORDER BY version
"""


def _feed(select: str) -> str:
    """The global feed's statement (parameters: cursor tx_id, cursor position, limit).
    The uncorrelated sub-select is evaluated once per statement, so the bound is the
    statement snapshot's xmin: every transaction below it has finished."""
    return f"""
SELECT {select} FROM events
WHERE (tx_id, position) > ($1::xid8, $2::bigint)
  AND tx_id < (SELECT pg_snapshot_xmin(pg_current_snapshot()))
ORDER BY tx_id, position
LIMIT $3
"""


_READ_ALL = _feed(_columns())

_BY_IDS = f"SELECT {_columns()} FROM events WHERE event_id = ANY($1::uuid[])"
_NAMING = f"""
SELECT {_columns()} FROM events
WHERE actor_id = $1 OR data @> ANY($2::jsonb[])
    OR data @> jsonb_build_object('reviewer_id', $1::text) OR data->'recipients' ? $1
    OR data @> jsonb_build_object('person_id', $1::text)
    OR data @> jsonb_build_object('past', jsonb_build_object('decided_by',
        jsonb_build_object('id', $1::text)))
ORDER BY position LIMIT $3
"""

# verify walks (stream_id, version) with a keyset cursor on the unique index; each row
# carries its stream's head so the last event can be checked against it.
_VERIFY_SELECT = f"""
SELECT {_columns("e")}, s.version AS head_version, s.last_hash AS head_hash
FROM events e LEFT JOIN streams s ON s.stream_id = e.stream_id
"""
_VERIFY_ALL_FIRST = _VERIFY_SELECT + "ORDER BY e.stream_id, e.version LIMIT $1"
_VERIFY_ALL_AFTER = (
    _VERIFY_SELECT
    + "WHERE (e.stream_id, e.version) > ($1, $2) ORDER BY e.stream_id, e.version LIMIT $3"
)
_VERIFY_STREAM = (
    _VERIFY_SELECT + "WHERE e.stream_id = $1 AND e.version > $2 ORDER BY e.version LIMIT $3"
)


@dataclass(frozen=True, slots=True)
class _Batch:
    """A validated append request and the arguments of ``eventstore_append``."""

    stream_id: str
    expected_version: int
    events: Sequence[NewEvent]
    canonical: list[bytes]
    args: tuple[Any, ...]


# what the driver raises when the database cannot be reached (on connecting) or the
# connection is lost during a call: callers see StoreUnreachable instead. Not every
# operator intervention: a statement cancelled or timed out (57014) is the call's own.
_LOST: tuple[type[Exception], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
)
_UNREACHABLE: tuple[type[Exception], ...] = (*_LOST, OSError, asyncpg.TooManyConnectionsError)


def _open(conn: PoolConnectionProxy[asyncpg.Record]) -> bool:
    """False for a connection closed, or taken back by the pool when it closed (asyncpg
    detaches its proxy then: any call on it raises InterfaceError; releasing it again is a
    no-op)."""
    try:
        return not conn.is_closed()
    except asyncpg.InterfaceError:
        return False


class _Lanes:
    """Connections lent to the store's calls, kept between calls when ``keep``.

    asyncpg's acquire/release costs about 25 µs of CPU per call (release goes through
    ``asyncio.shield`` and a new task): 8 % of the throughput of one-event appends with
    eight writers. With ``keep``, a connection borrowed from the pool stays borrowed and
    goes to an idle stack after each call, and reuse costs about 2 µs. A semaphore of the
    pool's size bounds borrowed connections, so a borrower never waits on the pool while
    a connection idles on the stack. After anything but success or a PostgreSQL error
    (cancellation, broken socket) the connection goes back to asyncpg, which knows how
    to clean up, and a later call borrows a fresh one.
    """

    def __init__(self, pool: asyncpg.Pool[asyncpg.Record], *, keep: bool) -> None:
        self._pool = pool
        self._keep = keep
        self._idle: list[PoolConnectionProxy[asyncpg.Record]] = []
        self._slots = asyncio.Semaphore(pool.get_max_size())

    def lease(self) -> _Lease:
        return _Lease(self)

    async def close(self) -> None:
        self._keep = False
        while self._idle:
            await self._pool.release(self._idle.pop())


class _Lease:
    """``async with lanes.lease() as conn``: a class rather than a generator-based context
    manager because this runs on every call and the generator costs twice as much."""

    __slots__ = ("_conn", "_lanes")

    def __init__(self, lanes: _Lanes) -> None:
        self._lanes = lanes

    async def __aenter__(self) -> PoolConnectionProxy[asyncpg.Record]:
        lanes = self._lanes
        await lanes._slots.acquire()
        try:
            conn = None
            while conn is None and lanes._idle:
                conn = lanes._idle.pop()
                if not _open(conn):  # closed while it idled (a restart): a fresh one
                    await lanes._pool.release(conn)
                    conn = None
            self._conn = conn or await lanes._pool.acquire()
        except BaseException as err:
            lanes._slots.release()
            if isinstance(err, _UNREACHABLE) and not isinstance(err, StoreUnreachable):
                raise StoreUnreachable(f"the database is out of reach: {err!r}") from err
            raise
        return self._conn

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        lanes, conn = self._lanes, self._conn
        try:
            healthy = exc_type is None or issubclass(exc_type, asyncpg.PostgresError)
            if lanes._keep and healthy and _open(conn) and not conn.is_in_transaction():
                lanes._idle.append(conn)
            else:
                await lanes._pool.release(conn)
        finally:
            lanes._slots.release()
        # the connection lost during the call: an OSError only if it closed the connection
        # (a call's own timeout leaves it open)
        lost = isinstance(exc, _LOST) or (isinstance(exc, OSError) and not _open(conn))
        if lost and not isinstance(exc, StoreUnreachable):
            raise StoreUnreachable(f"the connection to the database was lost: {exc!r}") from exc


class PostgresEventStore:
    """``EventRecorder`` on PostgreSQL through an asyncpg pool.

    Build it with ``await PostgresEventStore.connect(url)`` (migrates as the owner, then
    opens a pool logged in as the least-privilege role ``collab_app``), or hand it a pool
    of your own (``owns_pool=True`` makes ``close`` close it and lets the store keep its
    connections between calls). ``append`` requires READ COMMITTED (the default).
    """

    def __init__(
        self,
        pool: asyncpg.Pool[asyncpg.Record],
        *,
        upcasters: Upcasters | None = None,
        owns_pool: bool = False,
        dial: Dial | None = None,
    ) -> None:
        """`dial`: opens a connection with the pool's login, for a `watch` (None: the store
        watches nothing, and who would keep answers keeps none)."""
        self._pool = pool
        self._upcasters = upcasters or Upcasters()
        self._owns_pool = owns_pool
        self._dial = dial
        self._watches: dict[str, Watch] = {}
        # Keep connections between calls only in a pool of our own: kept connections
        # are unavailable to anyone else using the pool.
        self._lanes = _Lanes(pool, keep=owns_pool)

    @classmethod
    async def connect(
        cls,
        url: str,
        *,
        app_password: str | None = None,
        allow_owner: bool = False,
        upcasters: Upcasters | None = None,
        min_size: int = 1,
        max_size: int = 10,
        run_migrations: bool = True,
    ) -> Self:
        """Migrate the database at ``url`` (the schema owner's URL) and open a pool on it
        that logs in as the application role ``collab_app``.

        The pool's URL is ``url`` with user ``collab_app`` and ``app_password`` (none:
        the server trusts the connection, as the embedded one does on its unix socket, or
        libpq's PGPASSWORD / passfile supply it). When that login is refused for a wrong
        or missing password and ``app_password`` is given, the owner sets the role's
        password to it and the login is retried: a deployment configures the password in
        one place. Once logged in, the store checks that the role cannot become more
        (superuser, owner of ``events``...) and refuses to start otherwise.

        When ``collab_app`` cannot log in (the owner may not create or alter roles, or no
        password works), the store refuses to start: an application holding the owner's
        privileges is what the ledger's threat model excludes. ``allow_owner`` opts in to
        run on the owner's URL anyway, acting as ``collab_app`` through a startup ``role``
        when the owner may take it, with a warning: ``RESET ROLE`` then returns to the
        owner.
        """
        conn = await asyncpg.connect(url)
        try:
            if run_migrations:
                await migrate(conn)
            owner = await conn.fetchval("SELECT session_user")
            app_url = role = None
            if await app_role_can_log_in(conn):
                app_url = await _app_login(conn, url, app_password)
            if app_url is None:
                if not allow_owner:
                    raise EventStoreError(
                        f"the application role {APP_ROLE} cannot log in, and the service "
                        f"will not run as the schema owner {owner}: migrate as a user that "
                        f"may create roles, or create {APP_ROLE} LOGIN and grant {owner} "
                        "ADMIN on it (or set COLLAB_DATABASE_ALLOW_OWNER=true to accept "
                        "running with the owner's privileges)"
                    )
                role = await usable_app_role(conn)
                log.warning(
                    "the event store does not log in as the application role",
                    application_role=APP_ROLE,
                    connected_as=owner,
                    acting_as=role or owner,
                    consequence=(
                        f"sessions can return to {owner} with RESET ROLE"
                        if role
                        else f"the application has every privilege of {owner}"
                    ),
                    remedy=f"migrate as a user that may create roles, or create {APP_ROLE} "
                    "LOGIN and grant the owner ADMIN on it",
                )
        finally:
            await conn.close()
        settings = {"role": role} if role else {}
        pool = await asyncpg.create_pool(
            app_url or url, min_size=min_size, max_size=max_size, server_settings=settings
        )
        dial = functools.partial(asyncpg.connect, app_url or url, server_settings=settings)
        return cls(pool, upcasters=upcasters, owns_pool=True, dial=dial)

    @classmethod
    async def attach(
        cls,
        app_url: str,
        *,
        upcasters: Upcasters | None = None,
        min_size: int = 1,
        max_size: int = 10,
    ) -> Self:
        """Open a pool on ``app_url``, the application role's own login, without
        migrating: the schema belongs to the owner, who migrates apart (`collab
        migrate`). Refuses a login that could rewrite events (see ``escalations``) and a
        schema older than this code."""
        probe = await asyncpg.connect(app_url)
        try:
            risky = await escalations(probe)
            if risky:
                raise EventStoreError(
                    f"the database login of COLLAB_DATABASE_APP_URL could rewrite events "
                    f"through {', '.join(risky)}: give the service {APP_ROLE}'s login"
                )
            await require_migrated(probe)
        finally:
            await probe.close()
        pool = await asyncpg.create_pool(app_url, min_size=min_size, max_size=max_size)
        dial = functools.partial(asyncpg.connect, app_url)
        return cls(pool, upcasters=upcasters, owns_pool=True, dial=dial)

    def connection(self) -> AbstractAsyncContextManager[PoolConnectionProxy[asyncpg.Record]]:
        """``async with store.connection() as conn``: a connection of the store's pool, for
        queries the store does not offer (a projection in the same database). It acts as
        the store's role; leave no session state on it (SET, LISTEN, open cursors)."""
        return self._lanes.lease()

    def watch(self, channel: str) -> Watch | None:
        """The process's one watch of `channel` (eventstore.watch), listening on a
        connection of its own from its first use; None when the store cannot dial one."""
        if self._dial is None:
            return None
        if channel not in self._watches:
            self._watches[channel] = Watch(self._dial, channel)
        return self._watches[channel]

    async def close(self) -> None:
        for watch in self._watches.values():
            await watch.close()
        await self._lanes.close()
        if self._owns_pool:
            await self._pool.close()

    async def forget_connections(self) -> None:
        """Connections opened from now on are new ones: after the tables were dropped and
        created again (a restore), no statement prepared on the old ones is reused."""
        for watch in self._watches.values():
            watch.changed()  # restored tables fire no trigger: what was kept is stale
        keep = self._lanes._keep
        await self._lanes.close()
        self._lanes._keep = keep
        await self._pool.expire_connections()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # -- writing ---------------------------------------------------------------------

    async def append(
        self,
        stream_id: str,
        events: Sequence[NewEvent],
        expected_version: int,
        *,
        conn: Connection | None = None,
    ) -> AppendResult:
        """Append ``events`` to ``stream_id`` atomically (see ``EventRecorder.append``).

        With ``conn``, the append runs on that connection; inside the caller's
        transaction it commits or rolls back with it (a failed append is undone through
        a savepoint, leaving the caller's transaction usable). This is how a command
        handler appends to several streams atomically, and how tests hold a write
        transaction open.
        """
        # a no-op span unless tracing is on (collab/tracing.py); no SQL, no event data
        with _TRACER.start_as_current_span(
            "eventstore.append",
            attributes={"collab.stream_id": stream_id, "collab.event_count": len(events)},
        ):
            events = await self._sealed(events, conn)
            batch = _prepare(stream_id, events, expected_version)
            if conn is not None:
                return await self._append_on(conn, batch)
            async with self._lanes.lease() as leased:
                return await self._append_on(leased, batch)

    async def _sealed(
        self, events: Sequence[NewEvent], conn: Connection | None
    ) -> Sequence[NewEvent]:
        """The events with the personal fields they name sealed under each person's key
        (eventstore.shredding): what is stored, hashed and proved."""
        people = set().union(*(shredding.people_named(e.type, e.data) for e in events))
        if not people:
            return events
        if conn is not None:
            keys = await shredding.keys_for(conn, people, create=True)
        else:
            async with self._lanes.lease() as leased:
                keys = await shredding.keys_for(leased, people, create=True)
        return [
            replace(e, data=shredding.seal(e.type, str(e.event_id), e.data, keys))
            if shredding.people_named(e.type, e.data)
            else e
            for e in events
        ]

    async def _opened(self, events: list[StoredEvent]) -> list[StoredEvent]:
        """Events as they read: each sealed field opened with its person's key, or erased."""
        people = shredding.sealed_people(json.dumps(e.data) for e in events if e.data)
        if not people:
            return events
        async with self._lanes.lease() as conn:
            keys = await shredding.keys_for(conn, people, create=False)
        return [replace(e, data=shredding.open_any(e.data, keys)) for e in events]

    async def _opened_documents(self, documents: list[str | None]) -> list[str | None]:
        people = shredding.sealed_people(documents)
        if not people:
            return documents
        async with self._lanes.lease() as conn:
            keys = await shredding.keys_for(conn, people, create=False)
        return [
            json.dumps(shredding.open_any(json.loads(d), keys))
            if d is not None and shredding.PREFIX in d
            else d
            for d in documents
        ]

    async def events_naming(
        self, person_id: str, limit: int = 100_000, *, opened: bool = True
    ) -> list[StoredEvent]:
        """Every event that names the person (as its actor, where PERSONAL_PATHS say, as a
        reviewer's id or a reminder's recipient), oldest first, as they read now: what a
        data-protection officer's export lists. A scan of the record, for a rare request."""
        shapes = [
            json.dumps(shredding.person_shape(path, person_id))
            for paths in PERSONAL_PATHS.values()
            for path in paths
        ]
        async with self._lanes.lease() as conn:
            rows = await conn.fetch(_NAMING, person_id, shapes, limit)
        events = [_stored_event(row) for row in rows]
        if not opened:  # as stored: sealed or, recorded before sealing began, in clear
            return events
        return await self._opened([self._upcast(e) for e in events])

    async def erase_person(self, person_id: str) -> bool:
        """Destroy the person's data key (GDPR erasure): every event that names them keeps
        its bytes and its proofs, and reads them as erased from now on. False: erased
        already."""
        async with self._lanes.lease() as conn:
            return await shredding.destroy_key(conn, person_id)

    async def erased_people(self, people: Sequence[str]) -> set[str]:
        async with self._lanes.lease() as conn:
            keys = await shredding.keys_for(conn, people, create=False)
        return {p for p, key in keys.items() if key is None}

    async def _append_on(self, conn: Connection, batch: _Batch) -> AppendResult:
        try:
            if conn.is_in_transaction():
                async with conn.transaction():  # a savepoint
                    positions = await conn.fetchval(_APPEND, *batch.args)
            else:
                positions = await conn.fetchval(_APPEND, *batch.args)  # its own transaction
        except asyncpg.PostgresError as exc:
            if exc.sqlstate == VERSION_CONFLICT:
                match = _ACTUAL_VERSION.search(exc.detail or "")
                actual = int(match[1]) if match else -1
                return await self._settle_mismatch(conn, batch, actual)
            if isinstance(exc, asyncpg.UniqueViolationError):
                if exc.constraint_name != "events_pkey":
                    raise EventStoreError(
                        f"stream {batch.stream_id!r}: its head in streams is out of step "
                        f"with its events ({exc})"
                    ) from exc
                # An event id of this batch is stored elsewhere (another stream/version).
                actual = await self._stream_version(conn, batch.stream_id)
                return await self._settle_mismatch(conn, batch, actual)
            raise
        last_version = batch.expected_version + len(batch.events)
        return AppendResult(batch.stream_id, last_version, tuple(positions), written=True)

    async def _settle_mismatch(self, conn: Connection, batch: _Batch, actual: int) -> AppendResult:
        """The stream was not at the expected version (or an event id was taken): either
        these events are already stored, identical (a retry: report them), or raise.

        Running after the failed attempt, outside its lock, is safe: the mismatch proves
        the competing transaction committed, and stored events never change or vanish.
        """
        rows = await conn.fetch(_BY_IDS, [e.event_id for e in batch.events])
        stored = {row["event_id"]: _stored_event(row) for row in rows}
        if not stored:
            raise ConcurrencyError(batch.stream_id, batch.expected_version, actual)
        for event, canonical in zip(batch.events, batch.canonical, strict=True):
            original = stored.get(event.event_id)
            if original is None:
                detail = "part of this batch is stored, part is not"
            elif canonical_bytes(original) != canonical and not shredding.same_but_erased(
                event.data, original.data
            ):
                detail = "differs in " + ", ".join(_differing_fields(event, original))
            else:
                continue
            raise IdempotencyConflict(
                batch.stream_id, batch.expected_version, actual, event.event_id, detail
            )
        positions = tuple(stored[e.event_id].position for e in batch.events)
        return AppendResult(batch.stream_id, batch.events[-1].version, positions, written=False)

    # -- reading ---------------------------------------------------------------------

    async def read_stream(self, stream_id: str, from_version: int = 1) -> list[StoredEvent]:
        async with self._lanes.lease() as conn:
            rows = await conn.fetch(_READ_STREAM, stream_id, from_version)
        return await self._opened([self._upcast(_stored_event(row)) for row in rows])

    async def read_stream_documents(
        self, stream_id: str, document: str, from_version: int = 1
    ) -> StreamDocuments:
        """What ``read_stream`` returns, each event as one text value made by the SQL
        expression ``document`` (trusted code, over the columns of ``events``), for a
        reader that parses the whole stream in one call (a project's history). Upcasting
        as in ``read_all_documents``."""
        select = f"version, type, schema_version, ({document})::text AS document"
        async with self._lanes.lease() as conn:
            rows = await conn.fetch(
                f"SELECT {select} FROM events WHERE stream_id = $1 AND version >= $2"
                " ORDER BY version",
                stream_id,
                from_version,
            )
            upcast: dict[int, StoredEvent] = {}
            if rows and len(self._upcasters):
                applies = self._upcasters.applies
                old = [i for i, row in enumerate(rows) if applies(row[1], row[2])]
                if old:
                    records = await conn.fetch(
                        _READ_STREAM_VERSIONS, stream_id, [rows[i][0] for i in old]
                    )
                    upcast = {
                        i: self._upcast(_stored_event(r)) for i, r in zip(old, records, strict=True)
                    }
        documents = [d or "" for d in await self._opened_documents([row[3] for row in rows])]
        upcast = dict(zip(upcast, await self._opened(list(upcast.values())), strict=True))
        return StreamDocuments(documents, upcast)

    async def read_all(self, after: GlobalCursor = START, limit: int = 1000) -> list[StoredEvent]:
        """Events after ``after`` in (tx_id, position) order, never past a transaction that
        may still commit (see the module docstring for why and what it costs)."""
        async with self._lanes.lease() as conn:
            rows = await conn.fetch(_READ_ALL, after.tx_id, after.position, limit)
        return await self._opened([self._upcast(_stored_event(row)) for row in rows])

    async def read_all_documents(
        self, document: str, after: GlobalCursor = START, limit: int = 1000
    ) -> FeedDocuments:
        """The page of the global feed that ``read_all(after, limit)`` returns, each event as
        one text value: what the SQL expression ``document`` (trusted code, over the
        columns of ``events``) makes of its row. For a reader that parses a whole event at
        once, e.g. a JSON document in one call of a JSON parser, instead of decoding
        fifteen columns and building the event from them (the projector's rebuild).

        ``document`` sees the row as stored, before upcasting; an event that an upcaster
        applies to comes back in ``upcast`` too, read again as ``read_all`` returns it.
        """
        select = f"tx_id, position, type, schema_version, ({document})::text AS document"
        async with self._lanes.lease() as conn:
            rows = await conn.fetch(_feed(select), after.tx_id, after.position, limit)
        if not rows:
            return FeedDocuments([], {}, after)
        upcast: dict[int, StoredEvent] = {}
        if len(self._upcasters):
            applies = self._upcasters.applies
            old = [i for i, row in enumerate(rows) if applies(row[2], row[3])]
            if old:
                # the same events first: every transaction up to the page's last event
                # had finished when it was read, so nothing can join the page before it
                records = await self.read_all(after, limit)
                assert [r.position for r in records[: len(rows)]] == [r[1] for r in rows]
                upcast = {i: records[i] for i in old}
        last = rows[-1]
        documents = await self._opened_documents([row[4] for row in rows])
        return FeedDocuments(documents, upcast, GlobalCursor(last[0], last[1]))

    async def project_stream_ids(self) -> list[str]:
        """Every project's stream, by id (not the service's own streams, named with ":")."""
        async with self._lanes.lease() as conn:
            rows = await conn.fetch(
                "SELECT stream_id FROM streams WHERE position(':' IN stream_id) = 0 "
                "ORDER BY stream_id"
            )
        return [r[0] for r in rows]

    async def stream_version(self, stream_id: str) -> int:
        async with self._lanes.lease() as conn:
            return await self._stream_version(conn, stream_id)

    @staticmethod
    async def _stream_version(conn: Connection, stream_id: str) -> int:
        version = await conn.fetchval("SELECT version FROM streams WHERE stream_id = $1", stream_id)
        return int(version or 0)

    def _upcast(self, event: StoredEvent) -> StoredEvent:
        schema_version, data = self._upcasters.upcast(event.type, event.schema_version, event.data)
        if schema_version == event.schema_version:
            return event
        return replace(event, schema_version=schema_version, data=data)

    # -- tamper evidence -------------------------------------------------------------

    async def verify(
        self, stream_id: str | None = None, *, batch_size: int = 1000
    ) -> ChainBreak | None:
        """Recompute the hash chains (of one stream, or of all streams when None) from the
        stored rows, ``batch_size`` rows at a time, and return the first break or None.

        It hashes what is stored, before upcasting: upcasters change what readers see,
        never what was recorded.
        """
        checker = ChainVerifier()
        after: tuple[str, int] | None = None if stream_id is None else (stream_id, 0)
        while True:
            async with self._lanes.lease() as conn:
                if stream_id is not None:
                    assert after is not None
                    rows = await conn.fetch(_VERIFY_STREAM, stream_id, after[1], batch_size)
                elif after is None:
                    rows = await conn.fetch(_VERIFY_ALL_FIRST, batch_size)
                else:
                    rows = await conn.fetch(_VERIFY_ALL_AFTER, *after, batch_size)
            for row in rows:
                broken = checker.feed(_stored_event(row), row["head_version"], row["head_hash"])
                if broken is not None:
                    return broken
            if len(rows) < batch_size:
                return checker.finish()
            after = (rows[-1]["stream_id"], rows[-1]["version"])


def with_user(url: str, user: str, password: str | None = None) -> str:
    """``url`` logging in as ``user`` (with ``password``, or none): host, port, database
    and options kept, the original user and password dropped, query parameters included."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    auth = quote(user, safe="")
    if password is not None:
        auth += ":" + quote(password, safe="")
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("user", "password")]
    return urlunsplit(parts._replace(netloc=f"{auth}@{host}", query=urlencode(query)))


async def _app_login(owner: Connection, url: str, password: str | None) -> str | None:
    """The URL on which ``APP_ROLE`` logs in (see ``PostgresEventStore.connect``), checked
    with one connection, or None when the role cannot log in and no configured password
    can be set."""
    app_url = with_user(url, APP_ROLE, password)
    try:
        probe = await asyncpg.connect(app_url)
    except asyncpg.InvalidAuthorizationSpecificationError as refused:
        if password is None:
            log.warning("the application role may not log in", error=str(refused))
            return None
        try:
            await set_app_password(owner, password)
        except asyncpg.InsufficientPrivilegeError as err:
            raise EventStoreError(
                f"{APP_ROLE} cannot log in with the configured password ({refused}) and "
                f"the owner may not set it ({err}): set it with ALTER ROLE {APP_ROLE} PASSWORD"
            ) from err
        probe = await asyncpg.connect(app_url)
    try:
        risky = await escalations(probe)
    finally:
        await probe.close()
    if risky:
        raise EventStoreError(
            f"the application role {APP_ROLE} could rewrite events through {', '.join(risky)}: "
            "it must be LOGIN only, own nothing and be a member of no privileged role"
        )
    return app_url


def _prepare(stream_id: str, events: Sequence[NewEvent], expected_version: int) -> _Batch:
    """Validate an append request and build the SQL function's arguments."""
    if not events:
        raise InvalidAppend("nothing to append: events is empty")
    if not stream_id:
        raise InvalidAppend("stream_id is empty")
    if expected_version < 0:
        raise InvalidAppend(f"expected_version must be >= 0, got {expected_version}")
    if len({e.event_id for e in events}) != len(events):
        raise InvalidAppend("the same event id appears twice in one append")
    canonical: list[bytes] = []
    data: list[str] = []
    for i, event in enumerate(events):
        want = expected_version + i + 1
        if event.stream_id != stream_id:
            raise InvalidAppend(f"event {event.event_id} is for stream {event.stream_id!r}")
        if event.version != want:
            raise InvalidAppend(f"event {event.event_id} has version {event.version}, not {want}")
        if event.schema_version < 1:
            raise InvalidAppend(f"event {event.event_id}: schema_version must be >= 1")
        for name in ("stream_id", "type", "actor_id", "actor_role", "reason"):
            value = getattr(event, name)
            if value is not None and (not isinstance(value, str) or "\x00" in value):
                raise InvalidAppend(f"event {event.event_id}: {name} must be a str without NUL")
        try:
            data_text, event_bytes = canonical_parts(event)
        except (TypeError, ValueError) as exc:
            raise InvalidAppend(f"event {event.event_id}: {exc}") from exc
        data.append(data_text)
        canonical.append(event_bytes)
    args = (
        stream_id,
        expected_version,
        [e.event_id for e in events],
        [e.type for e in events],
        [e.schema_version for e in events],
        [e.occurred_at for e in events],
        [e.actor_id for e in events],
        [e.actor_role for e in events],
        [e.reason for e in events],
        data,
        canonical,
    )
    return _Batch(stream_id, expected_version, events, canonical, args)


def _differing_fields(event: NewEvent, stored: StoredEvent) -> list[str]:
    """Names of the fields that differ, for the conflict message."""
    names = ("stream_id", "version", "type", "schema_version", "actor_id", "actor_role", "reason")
    differing = [name for name in names if getattr(event, name) != getattr(stored, name)]
    if event.occurred_at != stored.occurred_at:
        differing.append("occurred_at")
    if normalize_data(event.data) != stored.data:
        differing.append("data")
    return differing or ["data (number formatting)"]


def _stored_event(row: asyncpg.Record) -> StoredEvent:
    return StoredEvent(
        event_id=row["event_id"],
        stream_id=row["stream_id"],
        version=row["version"],
        position=row["position"],
        tx_id=row["tx_id"],
        type=row["type"],
        schema_version=row["schema_version"],
        occurred_at=row["occurred_at"],
        recorded_at=row["recorded_at"],
        actor_id=row["actor_id"],
        actor_role=row["actor_role"],
        reason=row["reason"],
        data=json.loads(row["data"]),
        hash=row["hash"],
        prev_hash=row["prev_hash"],
        hash_scheme=row["hash_scheme"],
    )


if TYPE_CHECKING:

    def _conforms(store: PostgresEventStore) -> EventRecorder:
        return store  # mypy checks that the store implements the protocol
