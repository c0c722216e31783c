"""The migration runner: ordered, idempotent, safe under concurrent start-ups."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest

from eventstore.errors import MigrationError
from eventstore.migrations import load_migrations, migrate

ALL = [m.version for m in load_migrations()]


async def test_migrating_twice_applies_once(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        assert await migrate(conn) == ALL == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
        assert await migrate(conn) == []
        rows = await conn.fetch("SELECT version, name, checksum FROM schema_migrations")
        assert [(r["version"], r["name"]) for r in rows] == [
            (1, "events"),
            (2, "append_function"),
            (3, "app_role"),
            (4, "events_position_index"),
            (5, "ledger"),
            (6, "app_login"),
            (7, "hash_covers_recorded_at"),
            (8, "events_insert_guard"),
            (9, "events_insert_columns"),
            (10, "person_keys"),
            (11, "ledger_reanchorings"),
        ]
        assert all(len(r["checksum"]) == 64 for r in rows)
    finally:
        await conn.close()


async def test_three_concurrent_startups_apply_each_migration_once(database_url: str) -> None:
    conns = [await asyncpg.connect(database_url) for _ in range(3)]
    try:
        applied = await asyncio.gather(*(migrate(conn) for conn in conns))

        assert sorted(v for versions in applied for v in versions) == ALL
        assert await conns[0].fetchval("SELECT count(*) FROM schema_migrations") == len(ALL)
    finally:
        for conn in conns:
            await conn.close()


async def test_a_pool_can_be_migrated(database_url: str) -> None:
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    try:
        assert await migrate(pool) == ALL
        assert await migrate(pool) == []
    finally:
        await pool.close()


async def test_new_files_apply_in_order_and_edited_ones_are_refused(
    database_url: str, tmp_path: Path
) -> None:
    (tmp_path / "0001_a.sql").write_text("CREATE TABLE a (x int);")
    (tmp_path / "0002_b.sql").write_text("INSERT INTO a VALUES (2);")
    conn = await asyncpg.connect(database_url)
    try:
        assert await migrate(conn, directory=tmp_path) == [1, 2]

        (tmp_path / "0010_c.sql").write_text("INSERT INTO a VALUES (10);")
        assert await migrate(conn, directory=tmp_path) == [10]
        assert [r["x"] for r in await conn.fetch("SELECT x FROM a ORDER BY x")] == [2, 10]

        (tmp_path / "0002_b.sql").write_text("INSERT INTO a VALUES (3);")
        with pytest.raises(MigrationError, match=r"0002_b\.sql was edited after it was applied"):
            await migrate(conn, directory=tmp_path)
    finally:
        await conn.close()


async def test_a_failing_migration_leaves_no_trace_and_is_retried(
    database_url: str, tmp_path: Path
) -> None:
    (tmp_path / "0001_ok.sql").write_text("CREATE TABLE ok (x int);")
    (tmp_path / "0002_bad.sql").write_text("CREATE TABLE half (x int);\nSELECT 1/0;")
    conn = await asyncpg.connect(database_url)
    try:
        with pytest.raises(asyncpg.DivisionByZeroError):
            await migrate(conn, directory=tmp_path)
        assert await conn.fetchval("SELECT max(version) FROM schema_migrations") == 1
        assert await conn.fetchval("SELECT to_regclass('half')") is None

        (tmp_path / "0002_bad.sql").write_text("CREATE TABLE half (x int);")
        assert await migrate(conn, directory=tmp_path) == [2]
    finally:
        await conn.close()


def test_badly_named_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "1_first.sql").write_text("SELECT 1;")

    with pytest.raises(MigrationError, match=r"NNNN_name\.sql"):
        load_migrations(tmp_path)


# Without the right to create roles: tests/store/test_least_privilege.py (collab_app is
# cluster-wide, so that case needs a cluster of its own).
