"""The application logs in as collab_app, a role that may read and append events and do
what the read models and the directory need, and nothing else: it cannot change stored
events, turn the triggers off, or become anyone more powerful. Migrations run as the
owner. Each refusal below is tried on a real PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from uuid import uuid4

import asyncpg
import pytest
from structlog.testing import capture_logs

from collab.database import migrate_database, open_store
from collab.settings import Settings
from eventstore.embedded import start_embedded_postgres, with_database
from eventstore.errors import EventStoreError
from eventstore.event_records import to_record
from eventstore.migrations import APP_ROLE, escalations, migrate, usable_app_role
from eventstore.postgres import PostgresEventStore, with_user
from eventstore.records import NewEvent
from identity.people import PeopleDirectory, Person, migrate_people
from identity.sessions import SessionStore
from readmodels.projector import Projector, migrate_read_models
from readmodels.queries import get_project
from tests.domain.test_lifecycle import funded

EventFactory = Callable[..., list[NewEvent]]


@pytest.fixture
async def migrated(database_url: str, make_events: EventFactory) -> str:
    """The test database with every schema migrated (as the owner) and a few events."""
    store = await PostgresEventStore.connect(database_url)
    try:
        await migrate_read_models(database_url)
        await migrate_people(database_url)
        await store.append("s", make_events("s", 3), 0)
        directory = PeopleDirectory(store)
        await directory.add(
            Person(
                person_id="pi-durand",
                name="Claire Durand",
                email="claire.durand@cnrs.example.fr",
                lab="LIG Grenoble",
                country="FR",
                role="coordinator",
            ),
            operator="test",
        )
    finally:
        await store.close()
    return database_url


@pytest.fixture
async def app(migrated: str) -> AsyncIterator[asyncpg.Connection]:
    """A session logged in as the application role, as the store's pool logs in."""
    conn = await asyncpg.connect(with_user(migrated, APP_ROLE))
    yield conn
    await conn.close()


async def test_the_application_role_is_login_only(
    app: asyncpg.Connection, owner: asyncpg.Connection
) -> None:
    assert await app.fetchval("SELECT session_user") == APP_ROLE
    row = await owner.fetchrow("SELECT * FROM pg_roles WHERE rolname = $1", APP_ROLE)
    assert row["rolcanlogin"]
    for attribute in ("rolsuper", "rolcreaterole", "rolcreatedb", "rolreplication", "rolbypassrls"):
        assert not row[attribute], attribute
    assert await escalations(app) == []
    assert await usable_app_role(app) == APP_ROLE  # itself, and nobody else
    others = await app.fetchval(
        "SELECT count(*) FROM pg_roles WHERE rolname <> current_user "
        "AND pg_has_role(current_user, oid, 'MEMBER')"
    )
    assert others == 0


REFUSED = [
    # stored events, even before the triggers would refuse
    "UPDATE events SET reason = 'rewritten'",
    "DELETE FROM events",
    "TRUNCATE events",
    "DROP TABLE events",
    "DELETE FROM streams",
    # turning the append-only triggers off
    "ALTER TABLE events DISABLE TRIGGER USER",
    "ALTER TABLE events DISABLE TRIGGER events_no_update",
    "SET session_replication_role = replica",
    # becoming someone else
    "SET ROLE postgres",
    "SET SESSION AUTHORIZATION postgres",
    "CREATE ROLE intruder SUPERUSER",
    "CREATE ROLE intruder",
    "ALTER ROLE collab_app SUPERUSER",
    "ALTER ROLE collab_app CREATEROLE",
    "GRANT postgres TO collab_app",
    "CREATE DATABASE intruder",
    "CREATE TABLE intruder (x int)",
    # the directory: a role or a token is never rewritten, nobody is erased
    "UPDATE people SET role = 'derci_officer'",
    "UPDATE people SET token_hash = '\\x00'",
    "DELETE FROM people",
    "UPDATE people_changes SET operator = 'nobody'",
    "DELETE FROM people_changes",
    "DELETE FROM schema_migrations",
]


@pytest.mark.parametrize("statement", REFUSED)
async def test_the_application_role_is_refused(
    app: asyncpg.Connection, owner: asyncpg.Connection, statement: str
) -> None:
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await app.execute(statement)
    assert await owner.fetchval("SELECT count(*) FROM events WHERE reason IS NULL") == 3
    assert await owner.fetchval("SELECT role FROM people") == "coordinator"
    assert not await owner.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = $1", APP_ROLE)


async def test_reset_role_leaves_the_application_role(
    app: asyncpg.Connection, owner: asyncpg.Connection
) -> None:
    await app.execute("RESET ROLE")
    await app.execute("RESET SESSION AUTHORIZATION")
    await app.execute("RESET ALL")
    assert await app.fetchval("SELECT current_user") == APP_ROLE
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await app.execute("UPDATE events SET reason = 'rewritten'")
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await app.execute("ALTER TABLE events DISABLE TRIGGER USER")
    assert await owner.fetchval("SELECT count(*) FROM events WHERE reason IS NULL") == 3


async def test_the_owner_migrates_and_the_store_logs_in_as_the_application_role(
    database_url: str,
) -> None:
    settings = Settings(database_url=database_url)
    async with open_store(settings) as store:
        async with store.connection() as conn:
            assert await conn.fetchval("SELECT session_user") == APP_ROLE
            assert await conn.fetchval("SELECT current_user") == APP_ROLE
            await conn.execute("RESET ROLE")
            assert await conn.fetchval("SELECT current_user") == APP_ROLE
        # the migrations ran as the owner, on connections of their own
        async with store.connection() as conn:
            owners = await conn.fetch(
                "SELECT DISTINCT pg_get_userbyid(relowner) AS owner FROM pg_class "
                "WHERE relname IN ('events', 'portfolio', 'people', 'schema_migrations')"
            )
        assert [r["owner"] for r in owners] == ["postgres"]

        # events: append and read
        life = funded("IRP", "IRP-app")
        records = [to_record(e) for e in life.events]
        await store.append(life.project_id, records, 0)
        assert len(await store.read_stream(life.project_id)) == len(records)
        assert await store.verify() is None

        # read models: catch up, rebuild (deletes every row), read
        projector = Projector(store)
        assert await projector.catch_up() == len(records)
        await projector.rebuild()
        project = await get_project(store, "IRP-app")
        assert project is not None and project.phase == "active"

        # the directory, as `collab users` and the web pages use it
        directory = PeopleDirectory(store)
        person = Person(
            person_id="pi-app",
            name="Ana Lima",
            email="ana.lima@cnrs.example.fr",
            lab="LIG Grenoble",
            country="BR",
            role="coordinator",
        )
        tokens = await directory.add(person, operator="ops")
        assert await directory.authenticate(tokens.api) == person
        assert await directory.new_calendar_token("pi-app") is not None
        sessions = SessionStore(store)
        session = await sessions.open("pi-app", timedelta(hours=1))
        assert await sessions.live(session.session_id) is not None
        await sessions.end(session.session_id)
        assert await directory.revoke("pi-app", operator="ops")
        assert await directory.authenticate(tokens.api) is None
        changes = await directory.changes("pi-app")
        assert [(c.change, c.operator, c.database_user) for c in changes] == [
            ("registered", "ops", APP_ROLE),
            ("revoked", "ops", APP_ROLE),
        ]


async def test_the_application_role_has_exactly_the_privileges_it_needs(
    migrated: str, owner: asyncpg.Connection
) -> None:
    rows = await owner.fetch(
        """
        SELECT table_name, string_agg(privilege_type, ',' ORDER BY privilege_type) AS privs
        FROM information_schema.role_table_grants
        WHERE grantee = $1 GROUP BY table_name ORDER BY table_name
        """,
        APP_ROLE,
    )
    expected = {
        "events": "SELECT",  # INSERT: the columns below only
        "streams": "INSERT,SELECT,UPDATE",
        "schema_migrations": "SELECT",
        "projection_checkpoints": "DELETE,INSERT,SELECT,UPDATE",
        "project_states": "DELETE,INSERT,SELECT,UPDATE",
        "portfolio": "DELETE,INSERT,SELECT,UPDATE",
        "deadlines": "DELETE,INSERT,SELECT,UPDATE",
        "decisions": "DELETE,INSERT,SELECT,UPDATE",
        "releases": "DELETE,INSERT,SELECT",
        "awards": "DELETE,INSERT,SELECT",
        "forecast": "DELETE,INSERT,SELECT",
        "portfolio_cells": "DELETE,INSERT,SELECT,UPDATE",
        "partner_cells": "DELETE,INSERT,SELECT,UPDATE",
        "released_cells": "DELETE,INSERT,SELECT,UPDATE",
        "read_model_changes": "SELECT,UPDATE",
        "notifications": "INSERT,SELECT,UPDATE",
        "people": "INSERT,SELECT",
        "people_changes": "INSERT,SELECT",
        "people_subjects": "DELETE,INSERT,SELECT",
        "web_sessions": "INSERT,SELECT,UPDATE",
        "person_keys": "INSERT,SELECT",  # and UPDATE of two columns, below: never DELETE
    }
    # tables of migrations written alongside (0005_ledger.sql), when they are there
    if await owner.fetchval("SELECT to_regclass('ledger') IS NOT NULL"):
        expected["ledger"] = "INSERT,SELECT"
    if await owner.fetchval("SELECT to_regclass('ledger_checkpoint') IS NOT NULL"):
        expected["ledger_checkpoint"] = "INSERT,SELECT,UPDATE"
    if await owner.fetchval("SELECT to_regclass('ledger_reanchorings') IS NOT NULL"):
        expected["ledger_reanchorings"] = "SELECT"  # only the owner records a statement
    assert {r["table_name"]: r["privs"] for r in rows} == expected
    columns = await owner.fetch(
        "SELECT column_name FROM information_schema.column_privileges "
        "WHERE grantee = $1 AND table_name = 'people' AND privilege_type = 'UPDATE' "
        "ORDER BY column_name",
        APP_ROLE,
    )
    # revoking, a new calendar link, and an erasure's overwriting of the name and e-mail
    assert [r["column_name"] for r in columns] == ["calendar_hash", "email", "name", "revoked_at"]
    # a key is destroyed (its bytes and when), never given back to a person or deleted
    keys = await owner.fetch(
        "SELECT column_name FROM information_schema.column_privileges "
        "WHERE grantee = $1 AND table_name = 'person_keys' AND privilege_type = 'UPDATE' "
        "ORDER BY column_name",
        APP_ROLE,
    )
    assert [r["column_name"] for r in keys] == ["data_key", "destroyed_at"]
    inserted = await owner.fetch(
        "SELECT column_name FROM information_schema.column_privileges "
        "WHERE grantee = $1 AND table_name = 'events' AND privilege_type = 'INSERT'",
        APP_ROLE,
    )
    # the feed's order and the hash scheme are the defaults', never the application's
    assert {r["column_name"] for r in inserted} == {
        "event_id", "stream_id", "version", "type", "schema_version", "occurred_at",
        "actor_id", "actor_role", "reason", "data", "hash", "prev_hash", "recorded_at",
    }  # fmt: skip
    assert await owner.fetchval(
        "SELECT has_sequence_privilege($1, 'events_position_seq', 'USAGE')", APP_ROLE
    )
    assert not await owner.fetchval(
        "SELECT has_sequence_privilege($1, 'events_position_seq', 'UPDATE')", APP_ROLE
    )


@pytest.mark.parametrize(
    ("grant", "revoke", "through"),
    [
        ("ALTER ROLE collab_app CREATEDB", "ALTER ROLE collab_app NOCREATEDB", "collab_app"),
        ("GRANT postgres TO collab_app", "REVOKE postgres FROM collab_app", "postgres"),
        (
            "GRANT pg_write_all_data TO collab_app",
            "REVOKE pg_write_all_data FROM collab_app",
            "pg_write_all_data",
        ),
    ],
)
async def test_the_store_refuses_an_application_role_that_could_become_more(
    event_store: PostgresEventStore,
    postgres_url: str,
    database_url: str,
    grant: str,
    revoke: str,
    through: str,
) -> None:
    admin = await asyncpg.connect(postgres_url)
    try:
        await admin.execute(grant)
        with pytest.raises(EventStoreError, match=f"could rewrite events through .*{through}"):
            await PostgresEventStore.connect(database_url)
    finally:
        await admin.execute(revoke)
        await admin.close()


def as_user(url: str, user: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{user}@{parts.hostname or ''}"))


async def test_an_owner_who_may_not_create_roles_still_lets_the_existing_role_log_in(
    event_store: PostgresEventStore, postgres_url: str
) -> None:
    """collab_app exists (the event_store fixture's migration made it LOGIN): a database
    owned by a user without CREATEROLE grants it its tables, and the store logs in as it."""
    user, database = f"limited_{uuid4().hex[:8]}", f"test_{uuid4().hex[:16]}"
    admin = await asyncpg.connect(postgres_url)
    await admin.execute(f'CREATE ROLE "{user}" LOGIN NOCREATEROLE')
    await admin.execute(f'CREATE DATABASE "{database}" OWNER "{user}"')
    try:
        store = await PostgresEventStore.connect(
            as_user(with_database(postgres_url, database), user)
        )
        try:
            async with store.connection() as conn:
                assert await conn.fetchval("SELECT session_user") == APP_ROLE
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await conn.execute("DELETE FROM events")
        finally:
            await store.close()
    finally:
        await admin.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
        await admin.execute(f'DROP ROLE "{user}"')
        await admin.close()


async def test_without_the_right_to_create_roles_the_store_refuses_unless_told_to_run_as_owner(
    tmp_path: Path,
) -> None:
    """A cluster of its own: collab_app is cluster-wide, and does not exist here. The store
    will not silently hold the owner's privileges: it refuses, naming the remedy, and runs
    as its user (warning at each start) only when the deployment opted in."""
    url, server = await asyncio.to_thread(start_embedded_postgres, tmp_path, cleanup_mode="delete")
    try:
        user = "limited"
        admin = await asyncpg.connect(url)
        try:
            await admin.execute(f"CREATE ROLE {user} LOGIN NOCREATEROLE")
            await admin.execute(f"CREATE DATABASE app OWNER {user}")
        finally:
            await admin.close()
        limited = as_user(with_database(url, "app"), user)
        conn = await asyncpg.connect(limited)
        try:
            assert await migrate(conn)  # no error: the role parts are skipped
            assert await usable_app_role(conn) is None
        finally:
            await conn.close()

        with pytest.raises(EventStoreError, match="collab_app cannot log in") as refused:
            await PostgresEventStore.connect(limited)
        assert "COLLAB_DATABASE_ALLOW_OWNER" in str(refused.value)
        with capture_logs() as logs:
            store = await PostgresEventStore.connect(limited, allow_owner=True)
        try:
            async with store.connection() as conn:
                assert await conn.fetchval("SELECT current_user") == user
        finally:
            await store.close()
        warnings = [e for e in logs if e["log_level"] == "warning"]
        assert len(warnings) == 1
        assert warnings[0]["event"] == "the event store does not log in as the application role"
        assert warnings[0]["connected_as"] == user
        assert "every privilege of limited" in warnings[0]["consequence"]
    finally:
        await asyncio.to_thread(server.cleanup)


async def test_a_service_on_the_app_login_alone_refuses_a_schema_older_than_its_code(
    postgres_url: str,
) -> None:
    """Compose's app containers hold only collab_app's URL and never migrate: before
    `collab migrate` has run they refuse to start, naming what is pending, and start
    once it has."""
    database = f"test_{uuid4().hex[:16]}"
    admin = await asyncpg.connect(postgres_url)
    await admin.execute(f'CREATE DATABASE "{database}"')
    owner = with_database(postgres_url, database)
    app_only = Settings(database_app_url=with_user(owner, APP_ROLE, None))
    try:
        with pytest.raises(EventStoreError, match=r"0001_events\.sql.*collab migrate"):
            async with open_store(app_only):
                pass
        await (await PostgresEventStore.connect(owner)).close()  # the store's schema alone
        with pytest.raises(EventStoreError, match=r"1001_read_models\.sql"):
            async with open_store(app_only):
                pass
        await migrate_database(Settings(database_url=owner))
        async with open_store(app_only) as store, store.connection() as conn:
            assert await conn.fetchval("SELECT session_user") == APP_ROLE
            assert await conn.fetchval("SELECT count(*) FROM people") == 0
    finally:
        await admin.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
        await admin.close()
