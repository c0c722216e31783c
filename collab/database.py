"""Opening the database: the configured URL, or the embedded PostgreSQL under the data
directory (started when needed, stopped when nobody uses it any more)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from collab.settings import Settings
from eventstore.migrations import require_migrated
from eventstore.postgres import PostgresEventStore
from identity.people import MIGRATIONS as PEOPLE_MIGRATIONS
from identity.people import migrate_people
from readmodels.projector import MIGRATIONS as READ_MODEL_MIGRATIONS
from readmodels.projector import migrate_read_models


@contextlib.asynccontextmanager
async def open_store(
    settings: Settings, *, stop_embedded: bool = False
) -> AsyncIterator[PostgresEventStore]:
    """The event store, logged in as the application role collab_app.

    With COLLAB_DATABASE_APP_URL (production: compose's app containers), the service holds
    only that login: it migrates nothing and refuses a schema older than its code (the
    owner migrates with `collab migrate`). Otherwise the schema owner's URL (the configured
    one, or the embedded cluster's superuser) migrates the store, the read models and the
    directory on connections of their own, and the store's pool then logs in as collab_app
    (see PostgresEventStore.connect).

    An embedded PostgreSQL this call had to start is stopped again at the end, and so is
    the one of `collab up` (`stop_embedded`), unless another process still uses it: a
    command run beside `collab up` finds it running and leaves it so, and nothing is left
    behind once everybody is done."""
    if settings.database_app_url is not None:
        store = await PostgresEventStore.attach(
            settings.database_app_url, max_size=settings.db_pool_max
        )
        try:
            async with store.connection() as conn:
                await require_migrated(conn, READ_MODEL_MIGRATIONS)
                await require_migrated(conn, PEOPLE_MIGRATIONS)
            yield store
        finally:
            await store.close()
        return
    async with _owner_url(settings, stop_embedded) as url:
        store = await PostgresEventStore.connect(
            url,
            app_password=settings.database_app_password,
            allow_owner=settings.database_allow_owner,
            max_size=settings.db_pool_max,
        )
        try:
            await migrate_read_models(url)
            await migrate_people(url)
            yield store
        finally:
            await store.close()


async def migrate_database(settings: Settings) -> None:
    """`collab migrate`: every schema migrated as the owner, and collab_app made able to
    log in (its password set from COLLAB_DATABASE_APP_PASSWORD), then nothing kept open:
    the one-shot step before the services start on the application's URL alone."""
    async with open_store(settings.model_copy(update={"database_app_url": None})):
        pass


async def owner_url(settings: Settings) -> str | None:
    """The schema owner's URL (backup and restore run their tools with it), once
    open_store opened the database: the configured one, or the embedded cluster's (found
    running); None for a service that holds only the application's login."""
    if settings.database_url is not None:
        return settings.database_url
    if settings.database_app_url is not None:
        return None
    from eventstore.embedded import start_embedded_postgres

    url, _ = await asyncio.to_thread(start_embedded_postgres, settings.data_dir)
    return url


@contextlib.asynccontextmanager
async def _owner_url(settings: Settings, stop_embedded: bool) -> AsyncIterator[str]:
    if settings.database_url is not None:
        yield settings.database_url
        return
    from eventstore.embedded import embedded_postgres_running, start_embedded_postgres

    was_running = await asyncio.to_thread(embedded_postgres_running, settings.data_dir)
    url, server = await asyncio.to_thread(start_embedded_postgres, settings.data_dir)
    try:
        yield url
    finally:
        if stop_embedded or not was_running:
            from eventstore.embedded import stop_embedded_postgres_if_unused

            with contextlib.suppress(Exception):  # never hide what ended the command
                await stop_embedded_postgres_if_unused(url, server)
