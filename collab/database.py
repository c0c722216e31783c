"""Opening the database: the configured URL, or the embedded PostgreSQL under the data
directory (started when needed, stopped when nobody uses it any more)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from collab.settings import Settings
from eventstore.postgres import PostgresEventStore
from identity.people import migrate_people
from readmodels.projector import migrate_read_models


@contextlib.asynccontextmanager
async def open_store(
    settings: Settings, *, stop_embedded: bool = False
) -> AsyncIterator[PostgresEventStore]:
    """The event store with its schema and the read models' schema migrated, as the
    schema owner (the configured URL's user; the embedded cluster's superuser), on
    connections of their own; the store's pool logs in as the application role collab_app
    (see PostgresEventStore.connect).

    An embedded PostgreSQL this call had to start is stopped again at the end, and so is
    the one of `collab up` (`stop_embedded`), unless another process still uses it: a
    command run beside `collab up` finds it running and leaves it so, and nothing is left
    behind once everybody is done."""
    server = None
    if settings.database_url is not None:
        url = settings.database_url
    else:
        from eventstore.embedded import embedded_postgres_running, start_embedded_postgres

        was_running = await asyncio.to_thread(embedded_postgres_running, settings.data_dir)
        url, server = await asyncio.to_thread(start_embedded_postgres, settings.data_dir)
        stop_embedded = stop_embedded or not was_running
    store = await PostgresEventStore.connect(
        url, app_password=settings.database_app_password, max_size=settings.db_pool_max
    )
    try:
        await migrate_read_models(url)
        await migrate_people(url)
        yield store
    finally:
        await store.close()
        if server is not None and stop_embedded:
            from eventstore.embedded import stop_embedded_postgres_if_unused

            with contextlib.suppress(Exception):  # never hide what ended the command
                await stop_embedded_postgres_if_unused(url, server)
