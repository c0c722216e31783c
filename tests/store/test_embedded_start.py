"""A slow start of the embedded server (pg_ctl's 10 s exceeded on a loaded machine) is
waited out, not reported as a failure."""

from __future__ import annotations

import subprocess

import asyncpg

from eventstore import embedded


async def test_a_start_that_outlasts_pg_ctl_is_tried_again(tmp_path, monkeypatch):
    real = embedded.get_server
    calls = []

    def slow_then_real(pgdata, **kwargs):
        calls.append(pgdata)
        if len(calls) == 1:  # what pgserver raises when `pg_ctl -w start` takes over 10 s
            raise subprocess.TimeoutExpired(["pg_ctl", "start"], 10)
        return real(pgdata, **kwargs)

    monkeypatch.setattr(embedded, "get_server", slow_then_real)
    url, server = embedded.start_embedded_postgres(tmp_path, cleanup_mode="delete")
    try:
        assert len(calls) == 2
        conn = await asyncpg.connect(url)
        assert await conn.fetchval("SELECT 1") == 1
        await conn.close()
    finally:
        server.cleanup()
