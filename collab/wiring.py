"""The composition root: settings, the store, the Temporal client and the application
layer, wired once for the CLI, the API and pages, the worker and the projector."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from application.projects import ProjectService
from application.service import Application, assemble
from collab import database
from collab.database import open_store
from collab.settings import Settings
from collab.temporal_client import connect_client
from eventstore.postgres import PostgresEventStore


class TemporalUnreachable(Exception):
    pass


async def project_service(settings: Settings, store: PostgresEventStore) -> ProjectService:
    try:
        client = await connect_client(settings, store)
    except RuntimeError as err:
        raise TemporalUnreachable(
            f"cannot reach Temporal at {settings.temporal_target}: is `collab up` running? ({err})"
        ) from err
    return ProjectService(client, settings.task_queue)


@contextlib.asynccontextmanager
async def application(settings: Settings, *, workflows: bool) -> AsyncIterator[Application]:
    """The application over the configured servers. `workflows`: connect to Temporal too
    (human steps need it; questions and the directory only need the database)."""
    async with open_store(settings) as store:
        projects = await project_service(settings, store) if workflows else None
        yield assemble(
            store, projects, settings.ledger_key_path, lambda: database.owner_url(settings)
        )
