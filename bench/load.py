"""A loaded store: 10,000 project lives (over a million events), then the reads on it.

    python bench/load.py                        # 10,000 projects, then measure
    python bench/load.py --projects 1000        # a smaller store
    python bench/load.py --keep DIR             # keep the loaded cluster in DIR; a later
                                                # run with the same DIR measures it again

1. Load. Each project's life is decided and folded in process by the pure domain
   (bench/lifegen.py: submission, evaluation, terms, renewals, annual reports, reminders,
   tranches, closure) and appended through the real `PostgresEventStore.append`, one
   append per command, as the workflow appends. Projects are loaded in groups; within a
   group, commands go in business-time order, so the global feed interleaves projects the
   way a live system does, and eight writers append concurrently (a project's commands
   always on the same writer, in order). Then `VACUUM ANALYZE`, as autovacuum would.
2. History. `readmodels.queries.history` (what `GET /projects/{id}/history` and
   `collab history` answer with) for random projects, one at a time: p50/p95/p99.
   Target: p95 < 5 ms with at least 1,000,000 events stored.
3. Rebuild. `Projector.rebuild()` from an empty checkpoint over every event, as
   `collab projections rebuild` runs it: events/s. Target: at least 50,000 events/s.

The section between `<!-- load:start -->` / `<!-- load:end -->` of bench/RESULTS.md is
rewritten (unless --no-write).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import platform
import pstats
import random
import statistics
import sys
import tempfile
import time
import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: the repository's root on the path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg

from bench.lifegen import LifeGen, generate_life
from bench.report import RESULTS, machine, table, write_section
from domain.events import DomainEvent
from eventstore.embedded import start_embedded_postgres, with_database
from eventstore.event_records import to_record
from eventstore.postgres import PostgresEventStore
from readmodels.projector import REBUILD_BATCH, Projector, migrate_read_models
from readmodels.queries import history

START_MARK = "<!-- load:start -->"
END_MARK = "<!-- load:end -->"
HEADING = "## A loaded store: decision history and projection rebuild"
DATABASE = "load_bench"
HISTORY_P95_TARGET_MS = 5.0
REBUILD_TARGET = 50_000.0
EVENTS_TARGET = 1_000_000


@dataclass
class LoadOutcome:
    projects: int
    events: int
    load_s: float
    generate_s: float
    append_s: float
    appends: int
    writers: int
    vacuum_s: float
    history_samples: int
    history_ms: dict[str, float]  # p50, p95, p99, max, mean
    history_events: float  # mean events per history read
    rebuild_events: int
    rebuild_s: float
    rebuild_batch: int
    rebuild_cpu: dict[str, float]  # CPU seconds: this process (python), PostgreSQL
    load_average: float = 0.0  # of the machine, just before the rebuild
    rebuild_profile: list[str] = field(default_factory=list)
    reused: bool = False

    @property
    def rebuild_rate(self) -> float:
        return self.rebuild_events / self.rebuild_s

    @property
    def history_met(self) -> bool:
        return self.history_ms["p95"] < HISTORY_P95_TARGET_MS and self.events >= EVENTS_TARGET

    @property
    def rebuild_met(self) -> bool:
        return self.rebuild_rate >= REBUILD_TARGET

    def rows(self) -> list[tuple[str, str, str, bool]]:
        """(measure, figure, target, met) for the tables."""
        h = self.history_ms
        return [
            (
                "events stored (projects)",
                f"{self.events:,} ({self.projects:,})",
                f"≥ {EVENTS_TARGET:,}",
                self.events >= EVENTS_TARGET,
            ),
            (
                "history of one project, p50 / p95 / p99",
                f"{h['p50']:.2f} / {h['p95']:.2f} / {h['p99']:.2f} ms",
                f"p95 < {HISTORY_P95_TARGET_MS:g} ms",
                self.history_met,
            ),
            (
                "projection rebuild",
                f"{self.rebuild_rate:,.0f} events/s",
                f"≥ {REBUILD_TARGET:,.0f} events/s",
                self.rebuild_met,
            ),
        ]


# --- 1. load --------------------------------------------------------------------------------


def feed_order(lives: Sequence[LifeGen]) -> list[list[DomainEvent]]:
    """The lives' commands (their events, one list per command) in business-time order,
    each project's in its own order: the order a live system would have appended them."""
    keyed = []
    for life in lives:
        clock = life.units[0][0].occurred_at
        for unit in life.units:
            clock = max(clock, unit[0].occurred_at)  # a project's commands stay in order
            keyed.append((clock, unit[0].project_id, unit[0].version, unit))
    keyed.sort(key=lambda k: (k[0], k[1], k[2]))
    return [k[3] for k in keyed]


async def append_in_order(
    store: PostgresEventStore, units: Sequence[list[DomainEvent]], writers: int
) -> None:
    """Append each command's events with one `store.append`, `writers` at a time; a
    project's commands always go through the same writer, in order."""
    queues: list[list[list[DomainEvent]]] = [[] for _ in range(writers)]
    for unit in units:
        queues[zlib.crc32(unit[0].project_id.encode()) % writers].append(unit)

    async def write(queue: list[list[DomainEvent]]) -> None:
        for unit in queue:
            first = unit[0]
            await store.append(first.project_id, [to_record(e) for e in unit], first.version - 1)

    await asyncio.gather(*(write(q) for q in queues))


async def bench_database(admin_url: str, *, keep: bool, name: str = DATABASE) -> tuple[str, bool]:
    """The benchmark's database on the cluster: the one a kept cluster holds (reused), or a
    new, empty one."""
    admin = await asyncpg.connect(admin_url)
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        reused = bool(exists) and keep
        if exists and not reused:
            await admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
        if not reused:
            await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    return with_database(admin_url, name), reused


async def load(
    store: PostgresEventStore, projects: int, seed: int, group: int, writers: int
) -> dict[str, Any]:
    generate_s = append_s = 0.0
    events = appends = 0
    for first in range(0, projects, group):
        t0 = time.perf_counter()
        lives = [generate_life(n, seed) for n in range(first, min(first + group, projects))]
        units = feed_order(lives)
        del lives
        t1 = time.perf_counter()
        await append_in_order(store, units, writers)
        t2 = time.perf_counter()
        generate_s += t1 - t0
        append_s += t2 - t1
        appends += len(units)
        group_events = sum(len(u) for u in units)
        events += group_events
        print(
            f"  {min(first + group, projects):>6,} projects, {events:>9,} events; group: "
            f"generated in {t1 - t0:.1f} s, appended at {group_events / (t2 - t1):,.0f} ev/s",
            flush=True,
        )
    return {"events": events, "appends": appends, "generate_s": generate_s, "append_s": append_s}


# --- 2. history -----------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


async def measure_history(
    store: PostgresEventStore, project_ids: list[str], samples: int, seed: int
) -> tuple[dict[str, float], float]:
    rng = random.Random(seed)
    for pid in rng.sample(project_ids, min(50, len(project_ids))):  # warm the pool and caches
        await history(store, pid)
    times: list[float] = []
    sizes: list[int] = []
    for pid in (rng.choice(project_ids) for _ in range(samples)):
        t0 = time.perf_counter()
        found = await history(store, pid)
        times.append((time.perf_counter() - t0) * 1000)
        assert found is not None
        sizes.append(len(found.events))
    stats = {
        "p50": percentile(times, 0.50),
        "p95": percentile(times, 0.95),
        "p99": percentile(times, 0.99),
        "max": max(times),
        "mean": statistics.fmean(times),
    }
    return stats, statistics.fmean(sizes)


# --- 3. rebuild -----------------------------------------------------------------------------


def postgres_cpu(pgdata: Path) -> float:
    """CPU seconds used so far by the cluster's postmaster and its children."""
    postmaster = int((pgdata / "postmaster.pid").read_text().split()[0])
    ticks = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == postmaster or int(fields[1]) == postmaster:
            ticks += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


async def measure_rebuild(
    store: PostgresEventStore, total: int, pgdata: Path, profile: bool
) -> tuple[int, float, dict[str, float], list[str]]:
    projector = Projector(store)
    last = [0.0]

    def progress(n: int) -> None:
        now = time.perf_counter()
        if now - last[0] > 10:
            last[0] = now
            print(f"  rebuild: {n:,} / {total:,} events, {n / (now - t0):,.0f} ev/s", flush=True)

    profiler = cProfile.Profile() if profile else None
    cpu0, pg0 = time.process_time(), postgres_cpu(pgdata)
    t0 = time.perf_counter()
    if profiler:
        profiler.enable()
    applied = await projector.rebuild(progress=progress)
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - t0
    cpu = {"python": time.process_time() - cpu0, "postgres": postgres_cpu(pgdata) - pg0}
    lines: list[str] = []
    if profiler:
        stats = pstats.Stats(profiler)
        by_time = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)  # type: ignore[attr-defined]
        for (filename, line, name), (_cc, calls, tt, ct, _callers) in by_time[:25]:
            where = f"{Path(filename).name}:{line}({name})" if line else name
            lines.append(f"{tt:8.2f} s own {ct:8.2f} s cumulative {calls:>10,} calls  {where}")
    return applied, seconds, cpu, lines


# --- reporting ------------------------------------------------------------------------------


def section(o: LoadOutcome, command: str, type_counts: dict[str, int] | None) -> str:
    h = o.history_ms
    load = (
        "loaded by an earlier run (--keep), measured again"
        if o.reused
        else (
            f"{o.load_s:.0f} s in all: lives generated in {o.generate_s:.0f} s,\n  "
            f"{o.appends:,} appends (one per command) by {o.writers} writers in "
            f"{o.append_s:.0f} s = {o.events / o.append_s:,.0f} ev/s;\n  VACUUM ANALYZE "
            f"{o.vacuum_s:.0f} s"
        )
    )
    kinds = ""
    if type_counts:
        top = sorted(type_counts.items(), key=lambda kv: -kv[1])
        kinds = "\n- Events by type: " + ", ".join(f"{t} {c:,}" for t, c in top) + "."
    cpu = o.rebuild_cpu
    per = 1e6 / o.rebuild_events
    return f"""{START_MARK}
{HEADING}

Run: `{command}`, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.
Machine: {machine()}. Python {platform.python_version()},
embedded PostgreSQL (unix socket, fsync on, default settings: shared_buffers 128 MB).

{table(o.rows())}

- Load: {load}.{kinds}
- History: `readmodels.queries.history(store, project_id)` (what
  `GET /projects/{{id}}/history` and `collab history` return), {o.history_samples:,} reads
  of random projects one at a time after 50 warm-up reads, {o.history_events:.0f} events a
  project on average: mean {h["mean"]:.2f} ms, max {h["max"]:.1f} ms. One index range scan
  on (stream_id, version), each event read as the JSON of its entry (made by PostgreSQL)
  and the whole history parsed in one call (2026-11-26: p95 4.7 -> 3.3 ms measured alone,
  against building each entry from the decoded columns).
- Rebuild: `Projector.rebuild()`, batches of {o.rebuild_batch:,}: {o.rebuild_events:,} events
  in {o.rebuild_s:.1f} s. CPU: this Python process {cpu["python"]:.1f} s
  ({cpu["python"] * per:.1f} µs an event), PostgreSQL {cpu["postgres"]:.1f} s
  ({cpu["postgres"] * per:.1f} µs an event), overlapping (the next batch is read and folded
  while the previous one is written). Load average of the machine (2 cores, shared)
  just before: {o.load_average:.1f}.
{SHARED_NOTE if o.load_average > 1.5 else ""}{REBUILD_NOTES}
{END_MARK}
"""


SHARED_NOTE = """- The machine was not idle (load average above): the rebuild shared its two cores,
  so events/s and the history latencies read lower than the code does alone; CPU time
  per event is the figure to compare between runs.
"""

REBUILD_NOTES = """- What it took, and where a rebuild's time goes (all on this 2-core machine):
  - First (992,940 events, 2026-11-25): 7,060 events/s, per event 84 µs of Python CPU
    and 57 µs of PostgreSQL. States kept between the batches of a catch-up, set-based
    writes (`unnest`), the next batch folded while the previous one is written, the
    cyclic garbage collector paused: 18,500-27,000 events/s.
  - Then each event read as one JSON document made by PostgreSQL and parsed by pydantic
    in one call, decisions copied from `events` by the database, a cheaper state copy in
    `domain.evolve`, batches of 50,000: measured idle on 2026-11-26 04:08 UTC, 18,705
    events/s, 45.4 µs of Python and 22.5 of PostgreSQL an event.
  - Then (2026-11-26): reminders' notifications copied from `events` by the database too
    (Python 45 -> 38 µs an event, PostgreSQL 22.5 -> 20.5); each project's events of a batch
    folded at once (`domain.evolve.fold`: one copy of the state for the batch, not one an
    event; 19 -> 8-10 µs an event for the fold alone, back to back), and the next page
    read while the batch folds: 25,203 events/s at load average 1.1 (Python 36 µs,
    PostgreSQL 24 µs an event).
  - Why 50,000/s is not reached here, measured piece by piece on this store: receiving a
    page's documents through asyncpg costs about 4 µs of Python an event and parsing them
    into typed events 12-13 (the envelope, actor and payload models, datetimes, UUID: the
    objects themselves, not the JSON, which pydantic-core reads in 2-3); folding 8-10. So
    one Python process needs about 30 µs an event before a row is written: 33,000
    events/s at best. PostgreSQL needs 21-25 µs an event (6 of them making the
    documents). 50,000 events/s on two cores leaves 40 µs of CPU an event for both; the
    rebuild uses 55-60. A second folding process would share the same two cores (about
    35,000/s at best, before the cost of shipping events between processes).
  - Tried and dropped: a page as a few large JSON arrays, each parsed in one call (1 µs
    an event less for Python, 1-2 more for PostgreSQL).
  - What would reach it: more cores, with the fold partitioned by project over several
    processes; or reading back events already validated when appended without building
    them through validation (pydantic cannot build nested models otherwise; by hand it
    would write the event schema twice)."""


# --- entry ----------------------------------------------------------------------------------


async def run(args: argparse.Namespace, data_dir: Path) -> tuple[LoadOutcome, dict[str, int]]:
    url, server = await asyncio.to_thread(
        start_embedded_postgres, data_dir, cleanup_mode=None if args.keep else "delete"
    )
    try:
        db_url, reused = await bench_database(url, keep=args.keep is not None)
        store = await PostgresEventStore.connect(db_url, min_size=2, max_size=args.writers + 2)
        await migrate_read_models(db_url)
        try:
            t0 = time.perf_counter()
            if reused:
                print("reusing the store loaded in", args.keep, flush=True)
                loaded = {"events": 0, "appends": 0, "generate_s": 0.0, "append_s": 0.0}
            else:
                print(f"loading {args.projects:,} projects ({args.writers} writers)", flush=True)
                loaded = await load(store, args.projects, args.seed, args.group, args.writers)
            load_s = time.perf_counter() - t0
            owner = await asyncpg.connect(db_url)
            t1 = time.perf_counter()
            if not reused:
                await owner.execute("VACUUM ANALYZE")
            vacuum_s = time.perf_counter() - t1
            counts = {
                r["type"]: r["n"]
                for r in await owner.fetch("SELECT type, count(*) AS n FROM events GROUP BY type")
            }
            project_ids = [
                r["stream_id"] for r in await owner.fetch("SELECT stream_id FROM streams")
            ]
            await owner.close()
            events = sum(counts.values())
            print(f"{len(project_ids):,} projects, {events:,} events stored", flush=True)

            print(f"history: {args.samples:,} reads", flush=True)
            hist, hist_events = await measure_history(store, project_ids, args.samples, args.seed)
            print(
                "  p50 {p50:.2f} ms, p95 {p95:.2f} ms, p99 {p99:.2f} ms, max {max:.1f} ms".format(
                    **hist
                ),
                flush=True,
            )

            print("rebuild", flush=True)
            load_average = os.getloadavg()[0]
            applied, rebuild_s, rebuild_cpu, profile = await measure_rebuild(
                store, events, data_dir / "postgres", args.profile
            )
            print(f"  {applied:,} events in {rebuild_s:.1f} s = {applied / rebuild_s:,.0f} ev/s")
            for line in profile:
                print("  " + line)
            assert applied == events, (applied, events)
        finally:
            await store.close()
    finally:
        if not args.keep:
            await asyncio.to_thread(server.cleanup)
    outcome = LoadOutcome(
        projects=len(project_ids),
        events=events,
        load_s=load_s + vacuum_s,
        generate_s=loaded["generate_s"],
        append_s=loaded["append_s"],
        appends=int(loaded["appends"]),
        writers=args.writers,
        vacuum_s=vacuum_s,
        history_samples=args.samples,
        history_ms=hist,
        history_events=hist_events,
        rebuild_events=applied,
        rebuild_s=rebuild_s,
        rebuild_batch=REBUILD_BATCH,
        rebuild_cpu=rebuild_cpu,
        load_average=load_average,
        rebuild_profile=profile,
        reused=reused,
    )
    return outcome, counts


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--projects", type=int, default=10_000, help="project lives to load")
    p.add_argument("--seed", type=int, default=0, help="seed of the portfolio")
    p.add_argument("--group", type=int, default=1000, help="projects interleaved together")
    p.add_argument("--writers", type=int, default=8, help="concurrent appenders")
    p.add_argument("--samples", type=int, default=2000, help="history reads timed")
    p.add_argument("--keep", type=Path, help="keep the cluster in DIR (reuse it if loaded)")
    p.add_argument("--profile", action="store_true", help="cProfile the rebuild")
    p.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    p.add_argument("--json", type=Path, help="also write the figures to this file")
    return p


async def bench(args: argparse.Namespace) -> LoadOutcome:
    if args.keep:
        outcome, counts = await run(args, args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="load-bench-") as tmp:
            outcome, counts = await run(args, Path(tmp))
    if not args.no_write:
        command = "python bench/load.py " + " ".join(sys.argv[1:])
        write_section(section(outcome, command.strip(), counts), START_MARK, END_MARK, HEADING)
        print(f"\nwritten to {RESULTS}")
    if args.json:
        figures = {**asdict(outcome), "rebuild_rate": outcome.rebuild_rate}
        figures["rows"] = outcome.rows()
        args.json.write_text(json.dumps(figures, indent=1))
    return outcome


def main() -> None:
    args = parser().parse_args()
    outcome = asyncio.run(bench(args))
    print({k: v for k, v in asdict(outcome).items() if k != "rebuild_profile"})


if __name__ == "__main__":
    main()
