"""Shared test fixtures.

PostgreSQL: one embedded server for the whole session (a throw-away cluster in a
temporary directory, deleted at the end) and a fresh database per test, so tests never
see each other's rows and may run in any order. Fixtures of other areas go below.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import asyncpg
import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from application.projects import ProjectService
from collab.embedded_temporal import time_skipping_server_binary
from collab.worker_build import build_worker
from eventstore.embedded import start_embedded_postgres, with_database
from eventstore.postgres import PostgresEventStore
from eventstore.records import NewEvent
from workflows.messages import ReminderNotice

# -- PostgreSQL -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of the session's embedded server (database ``postgres``, superuser)."""
    url, server = start_embedded_postgres(tmp_path_factory.mktemp("pg"), cleanup_mode="delete")
    yield url
    server.cleanup()


@pytest.fixture
async def database_url(postgres_url: str) -> AsyncIterator[str]:
    """A new, empty (not migrated) database for this test; the URL connects as the
    superuser who owns it."""
    name = f"test_{uuid4().hex[:16]}"
    admin = await asyncpg.connect(postgres_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    yield with_database(postgres_url, name)
    admin = await asyncpg.connect(postgres_url)
    try:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def owner(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection to the test database as its owner (superuser), outside the store."""
    conn = await asyncpg.connect(database_url)
    yield conn
    await conn.close()


# -- event store ------------------------------------------------------------------------


@pytest.fixture
async def event_store(database_url: str) -> AsyncIterator[PostgresEventStore]:
    """A store on the test database, migrated, acting as the application role."""
    store = await PostgresEventStore.connect(database_url, max_size=10)
    yield store
    await store.close()


EventFactory = Callable[..., list[NewEvent]]


@pytest.fixture
def make_events() -> EventFactory:
    """``make_events(stream_id, count, first_version=1, **overrides)``: valid new events
    with fresh ids; ``data`` defaults to ``{"n": version}``."""

    def make(
        stream_id: str, count: int = 1, first_version: int = 1, **overrides: Any
    ) -> list[NewEvent]:
        events = []
        for version in range(first_version, first_version + count):
            fields: dict[str, Any] = {
                "event_id": uuid4(),
                "stream_id": stream_id,
                "version": version,
                "type": "Tested",
                "schema_version": 1,
                "occurred_at": datetime(2025, 3, 1, 12, 0, version % 60, tzinfo=UTC),
                "actor_id": "user-1",
                "actor_role": "tester",
                "reason": None,
                "data": {"n": version},
            }
            fields.update(overrides)
            events.append(NewEvent(**fields))
        return events

    return make


# -- Temporal -----------------------------------------------------------------------------
# A time-skipping server and a worker per test, bound to the test's fresh database.


@pytest.fixture
async def ts_env() -> AsyncIterator[WorkflowEnvironment]:
    # one server per test (about a second to start): a test that fails mid-life leaves
    # timers behind that would hold the next test's virtual clock
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=time_skipping_server_binary(),
        data_converter=pydantic_data_converter,
    )
    try:
        yield env
    finally:
        await env.shutdown()


class RecordingNotifier:
    """Keeps what was handed over, so tests see what would reach people."""

    def __init__(self) -> None:
        self.sent: list[ReminderNotice] = []

    async def notify(self, notice: ReminderNotice) -> None:
        self.sent.append(notice)


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
async def service(ts_env, event_store, notifier) -> AsyncIterator[ProjectService]:
    client: Client = ts_env.client
    task_queue = f"tq-{uuid.uuid4()}"
    # the SDK's default sandbox, stricter than production's: see build_worker
    async with build_worker(
        client, event_store, task_queue, notifier, workflow_runner=SandboxedWorkflowRunner()
    ):
        yield ProjectService(client, task_queue)
