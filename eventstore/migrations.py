"""Versioned schema migrations, applied at start-up.

Migrations are the SQL files ``eventstore/migrations/NNNN_name.sql``, applied in order,
each in its own transaction together with its row in ``schema_migrations``: a failing
file leaves no trace and the next start-up retries it. Every transaction first takes
``pg_advisory_xact_lock`` on one fixed key, so several processes starting at once
serialise: the first applies, the others then see the row and skip. A file's checksum
is recorded; editing an already applied file is refused rather than silently ignored.

Migrations run as the connecting user (the schema owner), not as the application role.
The application logs in as its own role, ``collab_app`` (created by 0003, made LOGIN by
0006); the functions at the end of this module let the owner prepare that login and the
store check, once logged in, that the role cannot become more than it is.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from eventstore.errors import MigrationError

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
APP_ROLE = "collab_app"  # created by 0003_app_role.sql, LOGIN since 0006_app_login.sql

# Any constant works as long as every start-up of this schema uses the same one.
_LOCK_KEY = int.from_bytes(b"evstore", "big")
_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""

# A plain connection or one acquired from a pool (the stubs' generics do not exist at
# runtime, hence the string).
Connection: TypeAlias = "asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]"


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str
    checksum: str

    @property
    def file_name(self) -> str:
        return f"{self.version:04d}_{self.name}.sql"


def load_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migration files of ``directory`` in version order."""
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise MigrationError(f"{path.name}: migration files are named NNNN_name.sql")
        raw = path.read_bytes()
        migrations.append(
            Migration(
                version=int(match[1]),
                name=match[2],
                sql=raw.decode("utf-8"),
                checksum=hashlib.sha256(raw).hexdigest(),
            )
        )
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"duplicate migration versions in {directory}: {versions}")
    return migrations


async def migrate(
    target: asyncpg.Pool[asyncpg.Record] | Connection, *, directory: Path = MIGRATIONS_DIR
) -> list[int]:
    """Apply the pending migrations; return the versions applied by this call.

    Idempotent and safe to run concurrently from several processes.
    """
    migrations = load_migrations(directory)
    if isinstance(target, asyncpg.Pool):
        async with target.acquire() as conn:
            return await _apply_all(conn, migrations)
    return await _apply_all(target, migrations)


async def _apply_all(conn: Connection, migrations: list[Migration]) -> list[int]:
    applied = []
    for migration in migrations:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
            await conn.execute(_CREATE_TABLE)
            checksum = await conn.fetchval(
                "SELECT checksum FROM schema_migrations WHERE version = $1", migration.version
            )
            if checksum is not None:
                if checksum != migration.checksum:
                    raise MigrationError(
                        f"migration {migration.file_name} was edited after it was applied; "
                        "add a new migration instead"
                    )
                continue
            await conn.execute(migration.sql)  # no arguments: simple protocol, many statements
            await conn.execute(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                migration.version,
                migration.name,
                migration.checksum,
            )
            applied.append(migration.version)
    return applied


async def pending_migrations(conn: Connection, *, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """The files of ``directory`` not yet applied to this database (none: the schema is
    current). Read-only, so the application role may ask before it starts."""
    exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    applied: dict[int, str] = {}
    if exists:
        rows = await conn.fetch("SELECT version, checksum FROM schema_migrations")
        applied = {row["version"]: row["checksum"] for row in rows}
    pending = []
    for migration in load_migrations(directory):
        checksum = applied.get(migration.version)
        if checksum is None:
            pending.append(migration.file_name)
        elif checksum != migration.checksum:
            raise MigrationError(
                f"migration {migration.file_name} was edited after it was applied; "
                "add a new migration instead"
            )
    return pending


async def require_migrated(conn: Connection, directory: Path = MIGRATIONS_DIR) -> None:
    """Refuse to go on with a schema older than the code: say which files are pending."""
    try:
        pending = await pending_migrations(conn, directory=directory)
    except asyncpg.InsufficientPrivilegeError:
        # before 0006 the application role may not read schema_migrations
        pending = ["0006_app_login.sql and later"]
    if pending:
        raise MigrationError(
            f"the database schema is not up to date (pending: {', '.join(pending)}): run "
            "`collab migrate` with the owner's COLLAB_DATABASE_URL first"
        )


async def usable_app_role(conn: Connection) -> str | None:
    """``APP_ROLE`` if it exists and the connected user may switch to it, else None."""
    privilege = "SET" if conn.get_server_version().major >= 16 else "MEMBER"
    usable = await conn.fetchval(
        "SELECT pg_has_role(current_user, oid, $2) FROM pg_roles WHERE rolname = $1",
        APP_ROLE,
        privilege,
    )
    return APP_ROLE if usable else None


async def app_role_can_log_in(conn: Connection) -> bool:
    """Whether ``APP_ROLE`` exists, may log in and may connect to this database."""
    return bool(
        await conn.fetchval(
            "SELECT rolcanlogin AND has_database_privilege(oid, current_database(), 'CONNECT') "
            "FROM pg_roles WHERE rolname = $1",
            APP_ROLE,
        )
    )


async def set_app_password(conn: Connection, password: str) -> None:
    """Set ``APP_ROLE``'s password, as a user who administers the role (superuser, or the
    CREATEROLE owner that created it). The SCRAM verifier is computed here, as psql's
    \\password does, so the password itself never reaches the server's statement log.
    Serialised with the migrations' lock: processes starting together do not collide on
    the role's catalog row."""
    statement = f"ALTER ROLE {APP_ROLE} PASSWORD '{scram_sha_256_verifier(password)}'"
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
        await conn.execute(statement)


def scram_sha_256_verifier(password: str, *, iterations: int = 4096) -> str:
    """What PostgreSQL stores for a SCRAM-SHA-256 password (RFC 5802, 7677); NFKC stands
    for SASLprep, which is the same for the printable ASCII passwords compose uses."""
    salt = os.urandom(16)
    normalized = unicodedata.normalize("NFKC", password).encode()
    salted = hashlib.pbkdf2_hmac("sha256", normalized, salt, iterations)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()
    stored_key = hashlib.sha256(client_key).digest()

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


# Roles the connected user is, or may become, that could change stored events: superuser or
# any attribute that leads there, a member of the role that owns events (ALTER TABLE ...
# DISABLE TRIGGER), or a predefined role that writes or runs anything.
_ESCALATIONS = """
SELECT r.rolname FROM pg_roles r
WHERE pg_has_role(current_user, r.oid, 'MEMBER')
  AND (r.rolsuper OR r.rolcreaterole OR r.rolcreatedb OR r.rolreplication OR r.rolbypassrls
       OR r.oid = (SELECT relowner FROM pg_class WHERE oid = to_regclass('events'))
       OR r.rolname IN ('pg_write_all_data', 'pg_write_server_files',
                        'pg_execute_server_program'))
ORDER BY r.rolname
"""


async def escalations(conn: Connection) -> list[str]:
    """The roles through which the connected user could rewrite events; empty for a
    proper application role."""
    return [row["rolname"] for row in await conn.fetch(_ESCALATIONS)]
