"""Stored events cannot be changed: triggers refuse it to everyone, and the application's
role lacks the privilege even when the triggers are off."""

from __future__ import annotations

from collections.abc import Callable

import asyncpg
import pytest

from eventstore.migrations import APP_ROLE
from eventstore.postgres import PostgresEventStore
from eventstore.records import NewEvent

EventFactory = Callable[..., list[NewEvent]]


@pytest.fixture
async def stored(event_store: PostgresEventStore, make_events: EventFactory) -> None:
    await event_store.append("s", make_events("s", 3), 0)


@pytest.mark.parametrize(
    ("statement", "operation"),
    [
        ("UPDATE events SET data = '{}' WHERE version = 2", "UPDATE"),
        ("UPDATE events SET reason = 'x'", "UPDATE"),
        ("DELETE FROM events WHERE version = 3", "DELETE"),
        ("TRUNCATE events", "TRUNCATE"),
    ],
)
async def test_the_owner_cannot_change_stored_events(
    stored: None, owner: asyncpg.Connection, statement: str, operation: str
) -> None:
    assert await owner.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")

    with pytest.raises(asyncpg.RestrictViolationError) as caught:
        await owner.execute(statement)

    assert caught.value.args[0] == f"events is append-only: {operation} refused"
    assert "compensating" in (caught.value.hint or "")
    assert await owner.fetchval("SELECT count(*) FROM events") == 3
    assert await owner.fetchval("SELECT count(*) FROM events WHERE data <> '{}'") == 3


async def test_the_store_acts_as_the_application_role_even_after_a_pool_reset(
    event_store: PostgresEventStore,
) -> None:
    async with event_store.connection() as conn:
        assert await conn.fetchval("SELECT session_user") == APP_ROLE
        assert await conn.fetchval("SELECT current_user") == APP_ROLE

    # An unexpected error hands the connection back to asyncpg, whose reset runs
    # RESET ALL; the store's sessions log in as the role, so it survives.
    with pytest.raises(RuntimeError):
        async with event_store.connection() as conn:
            raise RuntimeError("boom")
    for _ in range(3):
        async with event_store.connection() as conn:
            assert await conn.fetchval("SELECT current_user") == APP_ROLE


async def test_a_default_asyncpg_pool_reset_keeps_the_role(database_url: str) -> None:
    """The fallback for an owner whose application role cannot log in: the role as a
    startup parameter, which asyncpg's RESET ALL keeps."""
    store = await PostgresEventStore.connect(database_url)  # creates the role
    await store.close()
    pool = await asyncpg.create_pool(
        database_url, min_size=1, max_size=1, server_settings={"role": APP_ROLE}
    )
    try:
        async with pool.acquire() as conn:
            await conn.execute("SET search_path = pg_catalog")  # dirty the session
        async with pool.acquire() as conn:  # same connection, after RESET ALL
            assert await conn.fetchval("SHOW search_path") != "pg_catalog"
            assert await conn.fetchval("SELECT current_user") == APP_ROLE
    finally:
        await pool.close()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE events SET data = '{}'",
        "DELETE FROM events",
        "TRUNCATE events",
        "ALTER TABLE events ENABLE TRIGGER USER",
        "DELETE FROM streams",
        "DROP TABLE events",
    ],
)
async def test_the_application_role_cannot_change_events_even_with_triggers_disabled(
    stored: None, event_store: PostgresEventStore, owner: asyncpg.Connection, statement: str
) -> None:
    await owner.execute("ALTER TABLE events DISABLE TRIGGER USER")
    try:
        async with event_store.connection() as conn:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(statement)
    finally:
        await owner.execute("ALTER TABLE events ENABLE TRIGGER USER")
    assert await owner.fetchval("SELECT count(*) FROM events WHERE data <> '{}'") == 3


# What the application role may do, and every refusal: tests/store/test_least_privilege.py
