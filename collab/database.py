"""Opening the database: the configured URL, or the embedded PostgreSQL under the data
directory (started on first use, left running for the next command)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from collab.settings import Settings
from eventstore.postgres import PostgresEventStore
from identity.people import migrate_people
from readmodels.projector import migrate_read_models


async def database_url(settings: Settings) -> str:
    if settings.database_url is not None:
        return settings.database_url
    from eventstore.embedded import start_embedded_postgres

    url, _server = await asyncio.to_thread(start_embedded_postgres, settings.data_dir)
    return url


@contextlib.asynccontextmanager
async def open_store(settings: Settings) -> AsyncIterator[PostgresEventStore]:
    """The event store with its schema and the read models' schema migrated."""
    url = await database_url(settings)
    store = await PostgresEventStore.connect(url, max_size=settings.db_pool_max)
    try:
        await migrate_read_models(url)
        await migrate_people(url)
        yield store
    finally:
        await store.close()
