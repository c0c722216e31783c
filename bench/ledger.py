"""The ledger under load: sealing while eight writers append, and `verify --digest` over a
store of about a million events, each against its limit measured in the same run.

    python bench/ledger.py                      # 10,000 lives (~1 M events), 20 s per phase
    python bench/ledger.py --quick              # a smoke run of a minute (small sizes: its
                                                # figures are not the targets' figures)
    python bench/ledger.py --projects 1000 --period 10
    python bench/ledger.py --keep DIR           # keep the loaded cluster in DIR; a later run
                                                # with the same DIR skips the load

1. Sealing alongside writers. Eight writers append as bench/store_append.py does (each to
   its own stream, 1 or 10 events an append) for `--period` seconds, first alone, then
   while a sealer (`Ledger.seal()` back to back, in its own process as the service runs
   it beside the writers) seals; each phase in a fresh database. Sampled every 0.25 s: the
   lag (events stored but not sealed). The sealer keeps up when the lag does not grow with
   time (its least-squares slope over the period adds up to less than one sealing batch)
   and it has sealed everything within 2 s of the writers stopping.
2. `verify --digest` over the loaded store. The lives of bench/load.py (bench/lifegen.py,
   appended through the real store by its `load`), `VACUUM ANALYZE`; then every event
   sealed (`Ledger.seal()`, timed: the sealer's rate on a backlog), a digest signed
   (`Audit.digest()`, key in the temporary directory), and in a fresh process (its peak
   RSS is the verify's) `Audit.verify(OPERATOR, digest)` then `Audit.prove(event_id,
   digest)` for one event, timed. The limit: a bare `SELECT` of every event row (the
   columns verify reads) through an asyncpg cursor, no Python work a row, in the same run.

The section between `<!-- ledger:start -->` / `<!-- ledger:end -->` of bench/RESULTS.md is
rewritten (unless --no-write).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

if __package__ in (None, ""):  # run as a script: the repository's root on the path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg

from bench.load import bench_database, load, postgres_cpu
from bench.report import RESULTS, machine, table, write_section
from bench.store_append import (
    FAKE_HASH,
    RAW_INSERT,
    RAW_TABLE,
    Writer,
    make_events,
    run_writers,
    store_writer,
)
from eventstore.embedded import start_embedded_postgres, with_database
from eventstore.ledger import SEAL_BATCH, Ledger
from eventstore.postgres import PostgresEventStore, _columns

START_MARK = "<!-- ledger:start -->"
END_MARK = "<!-- ledger:end -->"
HEADING = "## The ledger: sealing beside writers, verify --digest over a loaded store"
DATABASE = "ledger_bench"
CASES = [(1, 8), (10, 8)]  # (events per append, writers)
CATCH_UP_TARGET_S = 2.0
EVENTS_TARGET = 1_000_000
SAMPLE_S = 0.25
HERE = Path(__file__).resolve()


# --- 1. sealing beside writers ------------------------------------------------------------


@dataclass
class SealCase:
    batch: int
    writers: int
    period_s: float
    alone_rate: float  # writers' events/s without a sealer
    rate: float  # writers' events/s with the sealer
    sealed_rate: float  # events sealed per second of the period
    lag: list[tuple[float, int]]  # (seconds into the period, events stored but unsealed)
    lag_end: int  # when the writers stopped
    catch_up_s: float  # from the writers' stop to everything sealed
    seal_calls: int
    sealer_cpu_s: float  # the sealer process's CPU over its life

    @property
    def lag_max(self) -> int:
        return max(n for _, n in self.lag)

    @property
    def lag_mean(self) -> float:
        return statistics.fmean(n for _, n in self.lag)

    @property
    def lag_slope(self) -> float:
        """Least-squares growth of the lag, events per second."""
        if len(self.lag) < 2:
            return 0.0
        return statistics.linear_regression([t for t, _ in self.lag], [n for _, n in self.lag])[0]

    @property
    def bounded(self) -> bool:
        return self.lag_slope * self.period_s < SEAL_BATCH

    @property
    def kept_up(self) -> bool:
        return self.bounded and self.catch_up_s <= CATCH_UP_TARGET_S


async def writers_for(
    store: PostgresEventStore, tag: str, batch: int, writers: int, stop: asyncio.Event
) -> tuple[list[int], list[Awaitable[None]]]:
    """`writers` coroutines appending `batch` events at a time until `stop`; the shared
    counter holds the events committed so far."""
    done = [0]

    async def write(w: int) -> None:
        stream_id, version = f"{tag}-{w}", 0
        while not stop.is_set():
            events = make_events(stream_id, version + 1, batch)
            version = (await store.append(stream_id, events, version)).last_version
            done[0] += batch

    return done, [write(w) for w in range(writers)]


async def fresh_store(admin_url: str, name: str, writers: int) -> tuple[PostgresEventStore, str]:
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    url = with_database(admin_url, name)
    store = await PostgresEventStore.connect(url, min_size=writers, max_size=writers)
    return store, url


async def writers_alone(admin_url: str, batch: int, writers: int, period: float) -> float:
    store, _ = await fresh_store(admin_url, f"seal_alone_{batch}", writers)
    try:
        stop = asyncio.Event()
        done, tasks = await writers_for(store, "alone", batch, writers, stop)
        t0 = time.perf_counter()
        running = asyncio.gather(*tasks)
        await asyncio.sleep(period)
        stop.set()
        await running
        return done[0] / (time.perf_counter() - t0)
    finally:
        await store.close()


async def start_sealer(url: str, every: float) -> asyncio.subprocess.Process:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(HERE),
        "--child",
        "sealer",
        "--url",
        url,
        "--seal-every",
        str(every),
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    ready = await proc.stdout.readline()
    if ready.strip() != b"ready":
        raise RuntimeError(f"the sealer did not start: {ready!r}")
    return proc


async def stop_sealer(proc: asyncio.subprocess.Process) -> dict[str, Any]:
    proc.send_signal(signal.SIGTERM)
    out, _ = await proc.communicate()
    figures: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return figures


async def sealed_size(conn: asyncpg.Connection[asyncpg.Record]) -> int:
    return int(await conn.fetchval("SELECT coalesce(max(size), 0) FROM ledger_checkpoint") or 0)


async def seal_beside_writers(
    admin_url: str, batch: int, writers: int, period: float, every: float
) -> SealCase:
    alone = await writers_alone(admin_url, batch, writers, period)
    store, url = await fresh_store(admin_url, f"seal_with_{batch}", writers)
    owner = await asyncpg.connect(url)
    sealer = await start_sealer(url, every)
    try:
        stop = asyncio.Event()
        done, tasks = await writers_for(store, "sealed", batch, writers, stop)
        lag: list[tuple[float, int]] = []
        t0 = time.perf_counter()
        running = asyncio.gather(*tasks)
        while (now := time.perf_counter()) - t0 < period:
            lag.append((now - t0, done[0] - await sealed_size(owner)))
            await asyncio.sleep(SAMPLE_S)
        stop.set()
        await running
        t1 = time.perf_counter()
        total = done[0]
        sealed_at_stop = await sealed_size(owner)
        while (size := await sealed_size(owner)) < total and time.perf_counter() - t1 < 60:
            await asyncio.sleep(0.005)
        catch_up = time.perf_counter() - t1 if size >= total else float("inf")
    finally:
        figures = await stop_sealer(sealer)
        await owner.close()
        await store.close()
    return SealCase(
        batch=batch,
        writers=writers,
        period_s=t1 - t0,
        alone_rate=alone,
        rate=total / (t1 - t0),
        sealed_rate=sealed_at_stop / (t1 - t0),
        lag=lag,
        lag_end=total - sealed_at_stop,
        catch_up_s=catch_up,
        seal_calls=int(figures["calls"]),
        sealer_cpu_s=float(figures["cpu_s"]),
    )


async def sealer_child(url: str, every: float) -> None:
    """`Ledger.seal()` back to back (or every `every` s) until SIGTERM; then its figures."""
    store = await PostgresEventStore.connect(url, min_size=1, max_size=2)
    ledger = Ledger(store)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print("ready", flush=True)
    calls, last = 0, 0
    cpu0 = time.process_time()
    try:
        while not stop.is_set():
            size = await ledger.seal()
            calls += 1
            idle = every if every > 0 else (0.01 if size == last else 0.0)
            last = size
            if idle:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), idle)
    finally:
        await store.close()
    print(json.dumps({"calls": calls, "size": last, "cpu_s": time.process_time() - cpu0}))


# --- 2. verify --digest over a loaded store -------------------------------------------------


@dataclass
class VerifyOutcome:
    projects: int
    events: int
    load_s: float
    sealed: int  # sealed by this run (0: by an earlier run of --keep)
    seal_s: float
    seal_cpu: dict[str, float]
    digest_s: float
    verify_s: float
    verify_parts: dict[str, float]  # seconds: chains, ledger state, root
    verify_cpu: dict[str, float]  # python, postgres
    rss_base_mb: float  # the verifying process before verify (imports, pool)
    rss_peak_mb: float  # its peak after verify
    prove_s: float
    rss_peak_after_prove_mb: float
    intact: bool
    covered: int
    proof_checked: bool
    bare: dict[str, float]  # seconds: every event row; the ledger walk's rows
    load_average: float
    reused: bool = False

    @property
    def seal_rate(self) -> float:
        return self.sealed / self.seal_s if self.sealed else 0.0


def mb(kb: float) -> float:
    return kb / 1024


def rss_kb(field: str = "VmRSS") -> float:
    """This process's resident set (VmRSS) or its peak (VmHWM), in kB. Not getrusage's
    ru_maxrss: Linux carries the parent's peak over fork and exec into it, so a child
    started by a process of 500 MB reports at least 500 MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return float(line.split()[1])
    return 0.0


async def verify_child(url: str, key: Path, digest_file: Path, event_id: str) -> None:
    """In a fresh process: verify against the digest, then prove one event; time and RSS."""
    from application.audit import Audit, check_proof
    from domain.actors import OPERATOR
    from eventstore import merkle
    from eventstore.tree_head import TreeHead

    store = await PostgresEventStore.connect(url, min_size=1, max_size=2)
    audit = Audit(store, key)
    digest = TreeHead.model_validate_json(digest_file.read_text())
    parts: dict[str, float] = {}

    def timed_async(name: str, fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return await fn(*args, **kwargs)
            finally:
                parts[name] = parts.get(name, 0.0) + time.perf_counter() - t

        return wrapper

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                parts[name] = parts.get(name, 0.0) + time.perf_counter() - t

        return wrapper

    # the pieces of verify, timed where Audit calls them (instance and module attributes)
    setattr(store, "verify", timed_async("chains", store.verify))  # noqa: B010
    ledger = audit._ledger
    setattr(ledger, "state", timed_async("ledger_state", ledger.state))  # noqa: B010
    setattr(merkle, "root", timed("root", merkle.root))  # noqa: B010
    setattr(merkle, "consistency_proof", timed("consistency", merkle.consistency_proof))  # noqa: B010

    base = rss_kb()
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    report = await audit.verify(OPERATOR, digest)
    verify_s = time.perf_counter() - t0
    verify_cpu = time.process_time() - cpu0
    peak = rss_kb("VmHWM")
    verify_parts = dict(parts)
    parts.clear()
    t1 = time.perf_counter()
    proof = await audit.prove(UUID(event_id), digest)
    prove_s = time.perf_counter() - t1
    peak_after_prove = rss_kb("VmHWM")
    checked = check_proof(proof, digest)["verified"]
    await store.close()
    print(
        json.dumps(
            {
                "verify_s": verify_s,
                "verify_python_cpu_s": verify_cpu,
                "verify_parts": verify_parts,
                "prove_s": prove_s,
                "prove_parts": parts,
                "rss_base_kb": base,
                "rss_peak_kb": peak,
                "rss_peak_after_prove_kb": peak_after_prove,
                "intact": report.intact,
                "first_break": report.first_break.detail if report.first_break else None,
                "covered": report.covered,
                "ledger_size": report.ledger_size,
                "proof_checked": checked,
            }
        )
    )


async def bare_reads(url: str) -> dict[str, float]:
    """The limit: PostgreSQL handing over every row verify reads, and nothing done with
    them in Python (asyncpg decodes them into records, which are dropped)."""
    conn = await asyncpg.connect(url)
    seconds: dict[str, float] = {}
    queries = {
        "events": f"SELECT {_columns()} FROM events",
        "ledger_walk": f"SELECT l.ledger_index, l.leaf_hash, {_columns('e')} "
        "FROM ledger l LEFT JOIN events e ON e.event_id = l.event_id ORDER BY l.ledger_index",
    }
    try:
        for name, query in queries.items():
            t0 = time.perf_counter()
            rows = 0
            async with conn.transaction():
                async for _ in conn.cursor(query, prefetch=20000):
                    rows += 1
            seconds[name] = time.perf_counter() - t0
            print(f"  bare {name}: {rows:,} rows in {seconds[name]:.1f} s", flush=True)
    finally:
        await conn.close()
    return seconds


async def verify_loaded(args: argparse.Namespace, admin_url: str, pgdata: Path) -> VerifyOutcome:
    from application.audit import Audit

    url, reused = await bench_database(admin_url, keep=args.keep is not None, name=DATABASE)
    store = await PostgresEventStore.connect(url, min_size=2, max_size=args.writers + 2)
    try:
        t0 = time.perf_counter()
        if not reused:
            print(f"loading {args.projects:,} projects ({args.writers} writers)", flush=True)
            await load(store, args.projects, args.seed, 1000, args.writers)
            owner = await asyncpg.connect(url)
            await owner.execute("VACUUM ANALYZE")
            await owner.close()
        load_s = time.perf_counter() - t0
        ledger = Ledger(store)
        before = await ledger.size()
        last = [time.perf_counter()]

        def progress(size: int) -> None:
            if (now := time.perf_counter()) - last[0] > 10:
                last[0] = now
                print(f"  sealed {size:,}, {(size - before) / (now - t1):,.0f} ev/s", flush=True)

        print("sealing", flush=True)
        cpu0, pg0 = time.process_time(), postgres_cpu(pgdata)
        t1 = time.perf_counter()
        size = await ledger.seal(progress)
        seal_s = time.perf_counter() - t1
        seal_cpu = {"python": time.process_time() - cpu0, "postgres": postgres_cpu(pgdata) - pg0}
        sealed = size - before
        print(f"  {sealed:,} sealed in {seal_s:.1f} s (ledger size {size:,})", flush=True)
        owner = await asyncpg.connect(url)
        await owner.execute("VACUUM ANALYZE ledger")
        events = int(await owner.fetchval("SELECT count(*) FROM events"))
        projects = int(await owner.fetchval("SELECT count(*) FROM streams"))
        await owner.close()
        assert size == events, (size, events)

        key = args.data_dir / "ledger.key"
        t2 = time.perf_counter()
        digest = await Audit(store, key).digest()
        digest_s = time.perf_counter() - t2
        print(f"digest of {digest.tree_size:,} events in {digest_s:.1f} s", flush=True)
        digest_file = args.data_dir / "digest.json"
        digest_file.write_text(digest.model_dump_json())
        middle = (await ledger.entries(size // 2, 1))[0]["event_id"]
    finally:
        await store.close()

    print("bare SQL reads", flush=True)
    bare = await bare_reads(url)

    print("verify and prove (a fresh process)", flush=True)
    load_average = os.getloadavg()[0]
    pg0 = postgres_cpu(pgdata)
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        str(HERE),
        "--child",
        "verify",
        "--url",
        url,
        "--key",
        str(key),
        "--digest",
        str(digest_file),
        "--event",
        str(middle),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await child.communicate()
    pg_cpu = postgres_cpu(pgdata) - pg0
    if child.returncode != 0:
        raise RuntimeError(f"verify child failed ({child.returncode})")
    found = json.loads(out.decode().strip().splitlines()[-1])
    print("  " + json.dumps(found), flush=True)
    return VerifyOutcome(
        projects=projects,
        events=events,
        load_s=load_s,
        sealed=sealed,
        seal_s=seal_s,
        seal_cpu=seal_cpu,
        digest_s=digest_s,
        verify_s=found["verify_s"],
        verify_parts=found["verify_parts"],
        verify_cpu={"python": found["verify_python_cpu_s"], "postgres (verify + prove)": pg_cpu},
        rss_base_mb=mb(found["rss_base_kb"]),
        rss_peak_mb=mb(found["rss_peak_kb"]),
        prove_s=found["prove_s"],
        rss_peak_after_prove_mb=mb(found["rss_peak_after_prove_kb"]),
        intact=found["intact"] and found["covered"] == events,
        covered=found["covered"] or 0,
        proof_checked=found["proof_checked"],
        bare=bare,
        load_average=load_average,
        reused=reused,
    )


# --- 3. what the position index costs an append (optional: --index-cost) -------------------

# the raw baseline of bench/store_append.py, then with the events table's other indexes:
# (tx_id, position) of 0001 (the feed's order), then also UNIQUE (position) of 0004
INDEX_VARIANTS = {
    "raw": "",
    "raw + (tx_id, position)": "CREATE INDEX ON {t} (tx_id, position);",
    "raw + (tx_id, position) + UNIQUE (position)": (
        "CREATE INDEX ON {t} (tx_id, position); CREATE UNIQUE INDEX ON {t} (position);"
    ),
}


def raw_table_writer(pool: asyncpg.Pool[asyncpg.Record], table: str, tag: str) -> Writer:
    """bench/store_append.py's raw writer, into `table`."""
    insert = RAW_INSERT.replace("raw_events", table)

    async def write(w: int, batches: int, batch: int) -> None:
        stream_id, version = f"{tag}-{w}", 0
        async with pool.acquire() as conn:
            for _ in range(batches):
                rows = [
                    (e.event_id, e.stream_id, e.version, e.type, e.schema_version,
                     e.occurred_at, e.actor_id, e.actor_role, e.reason, json.dumps(e.data),
                     FAKE_HASH, FAKE_HASH)
                    for e in make_events(stream_id, version + 1, batch)
                ]  # fmt: skip
                async with conn.transaction():
                    if batch == 1:
                        await conn.execute(insert, *rows[0])
                    else:
                        await conn.executemany(insert, rows)
                version += batch

    return write


async def index_cost(admin_url: str, events: int, rounds: int) -> list[dict[str, Any]]:
    """Per case of 8 writers: store and the three raw tables in alternating slices."""
    store, url = await fresh_store(admin_url, "index_cost", 8)
    raw = await asyncpg.create_pool(url, min_size=8, max_size=8)
    tables = {}
    for i, (name, indexes) in enumerate(INDEX_VARIANTS.items()):
        table = f"raw_events_{i}"
        await raw.execute(RAW_TABLE.replace("raw_events", table) + ";" + indexes.format(t=table))
        tables[name] = table
    results = []
    try:
        for batch, writers in [(1, 8), (10, 8)]:
            sides: dict[str, Callable[[str], Writer]] = {
                "store": lambda tag: store_writer(store, tag)
            }
            for name, table in tables.items():
                sides[name] = lambda tag, table=table: raw_table_writer(raw, table, tag)  # type: ignore[misc]
            for make in sides.values():  # warm up
                await run_writers(writers, 20 * batch * writers, batch, make(f"w-{batch}"))
            done = dict.fromkeys(sides, 0)
            seconds = dict.fromkeys(sides, 0.0)
            for r in range(rounds):
                for name, make in sides.items():
                    n, t = await run_writers(
                        writers, events // rounds, batch, make(f"b{batch}-r{r}")
                    )
                    done[name] += n
                    seconds[name] += t
            rates = {name: done[name] / seconds[name] for name in sides}
            print(
                f"  {batch} ev/append × {writers}: "
                + ", ".join(f"{name} {rate:,.0f}" for name, rate in rates.items()),
                flush=True,
            )
            results.append({"batch": batch, "writers": writers, "rates": rates})
    finally:
        await raw.close()
        await store.close()
    return results


# --- reporting ------------------------------------------------------------------------------


@dataclass
class Outcome:
    cases: list[SealCase] = field(default_factory=list)
    verify: VerifyOutcome | None = None
    index_cost: list[dict[str, Any]] = field(default_factory=list)

    def rows(self) -> list[tuple[str, str, str, bool]]:
        """(measure, figure, target, met) for the tables."""
        rows = []
        if self.cases:
            figure = "; ".join(
                f"{c.batch} ev/append: writers {c.rate:,.0f} ev/s (alone {c.alone_rate:,.0f}), "
                f"lag max {c.lag_max:,} / end {c.lag_end:,}, slope {c.lag_slope:+,.0f} ev/s, "
                f"caught up in {c.catch_up_s:.2f} s"
                for c in self.cases
            )
            rows.append(
                (
                    f"sealer beside {self.cases[0].writers} writers",
                    figure,
                    f"lag bounded, caught up ≤ {CATCH_UP_TARGET_S:g} s",
                    all(c.kept_up for c in self.cases),
                )
            )
        if (v := self.verify) is not None:
            bare = v.bare["events"]
            rows.append(
                (
                    f"verify --digest over {v.events:,} events",
                    f"{v.verify_s:.1f} s ({v.verify_s / bare:.1f}x a bare SELECT of every "
                    f"event, {bare:.1f} s), peak RSS {v.rss_peak_mb:.0f} MB "
                    f"(+{v.rss_peak_mb - v.rss_base_mb:.0f}); prove {v.prove_s:.1f} s; "
                    + (f"sealing {v.seal_rate:,.0f} ev/s" if v.sealed else "sealed earlier"),
                    f"≥ {EVENTS_TARGET:,} events: time and RSS reported",
                    v.events >= EVENTS_TARGET and v.intact and v.proof_checked,
                )
            )
        return rows


def seal_table(cases: list[SealCase]) -> str:
    lines = [
        "| case | writers alone ev/s | writers + sealer ev/s | sealed ev/s | lag mean / max "
        "/ at stop | lag slope | caught up after stop |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for c in cases:
        lines.append(
            f"| {c.batch} ev/append × {c.writers} writers, {c.period_s:.0f} s | "
            f"{c.alone_rate:,.0f} | {c.rate:,.0f} ({c.rate / c.alone_rate:.0%}) | "
            f"{c.sealed_rate:,.0f} | {c.lag_mean:,.0f} / {c.lag_max:,} / {c.lag_end:,} | "
            f"{c.lag_slope:+,.0f} ev/s | {c.catch_up_s:.2f} s |"
        )
    return "\n".join(lines)


def lag_line(c: SealCase) -> str:
    """The lag over the period, a sample a second or so."""
    step = max(1, round(1 / SAMPLE_S))
    return ", ".join(f"{n:,}" for _, n in c.lag[::step])


def section(o: Outcome, command: str) -> str:
    parts = [
        f"{START_MARK}\n{HEADING}\n",
        f"Run: `{command}`, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        f"Machine: {machine()}. Python {platform.python_version()}, embedded PostgreSQL "
        "(unix socket, fsync on, default settings).",
        "",
        table(o.rows()),
    ]
    if o.cases:
        parts += [
            "",
            "Sealing beside writers (bench/store_append.py's writers: each its own stream; "
            "`Ledger.seal()` back to back in a process of its own, each phase in a fresh "
            "database; lag = events committed but not yet sealed, sampled every "
            f"{SAMPLE_S:g} s):",
            "",
            seal_table(o.cases),
            "",
            "- Writers, sealer and PostgreSQL share the machine's cores: writers + sealer "
            "against writers alone is what sealing costs the writers; the sealer's own "
            "ceiling is its rate on a backlog (below).",
        ]
        for c in o.cases:
            parts.append(
                f"- {c.batch} ev/append, lag about every second: {lag_line(c)}. "
                f"{c.seal_calls:,} `seal()` calls, sealer CPU {c.sealer_cpu_s:.1f} s "
                f"({c.sealer_cpu_s / max(1, c.rate * c.period_s) * 1e6:.0f} µs an event)."
            )
    if (v := o.verify) is not None:
        p = v.verify_parts
        load_text = (
            "loaded by an earlier run (--keep)"
            if v.reused
            else f"loaded in {v.load_s:.0f} s by bench/load.py's `load` (8 writers, "
            "one append a command)"
        )
        seal_text = (
            f"{v.sealed:,} events sealed in {v.seal_s:.1f} s = {v.seal_rate:,.0f} ev/s "
            f"(CPU: Python {v.seal_cpu['python']:.1f} s, PostgreSQL "
            f"{v.seal_cpu['postgres']:.1f} s)"
            if v.sealed
            else "sealed by an earlier run"
        )
        parts += [
            "",
            f"`verify --digest` over {v.events:,} events ({v.projects:,} lives, {load_text}):",
            "",
            f"- Sealing the whole backlog: {seal_text}. Digest (`Audit.digest()`: seal, walk "
            f"the ledger, root, sign): {v.digest_s:.1f} s.",
            f"- `Audit.verify(OPERATOR, digest)` in a fresh process: {v.verify_s:.1f} s, "
            f"intact {'yes' if v.intact else '**no**'}, covering {v.covered:,}. Its parts: "
            f"chains (`store.verify()`) {p.get('chains', 0):.1f} s, ledger walk "
            f"(`Ledger.state()`) {p.get('ledger_state', 0):.1f} s, Merkle root "
            f"{p.get('root', 0):.1f} s. CPU: Python {v.verify_cpu['python']:.1f} s, "
            f"PostgreSQL {v.verify_cpu['postgres (verify + prove)']:.1f} s (verify and "
            "prove together).",
            f"- Peak RSS of the verifying process (VmHWM): {v.rss_peak_mb:.0f} MB, of which "
            f"{v.rss_base_mb:.0f} MB before verify (interpreter, imports, pool); after prove "
            f"{v.rss_peak_after_prove_mb:.0f} MB.",
            f"- `Audit.prove(event_id, digest)` for the event in the middle of the ledger: "
            f"{v.prove_s:.1f} s; the proof checked offline (`check_proof`): "
            f"{'yes' if v.proof_checked else '**no**'}.",
            f"- The limit, a bare `SELECT` of every event row (the columns verify reads) "
            f"through an asyncpg cursor, nothing done a row: {v.bare['events']:.1f} s; the "
            f"ledger walk's rows (ledger joined to events, in index order) "
            f"{v.bare['ledger_walk']:.1f} s. Verify reads every event twice (chains in "
            "stream order, then the ledger in index order).",
            f"- Load average of the machine (2 cores, shared) just before verify: "
            f"{v.load_average:.1f}.",
        ]
    if o.index_cost:
        names = list(INDEX_VARIANTS)
        parts += [
            "",
            "What the events table's indexes cost an append (`--index-cost`): the store and "
            "bench/store_append.py's raw INSERTs into three bare tables, in alternating "
            "slices: as store_append's baseline (primary key, UNIQUE (stream_id, version)), "
            "plus (tx_id, position) as 0001 gives `events`, plus UNIQUE (position) as 0004 "
            "adds. Events/s:",
            "",
            "| case | store | " + " | ".join(names) + " | store / raw with all indexes |",
            "|---|" + "---:|" * (len(names) + 2),
        ]
        for ic in o.index_cost:
            rates = ic["rates"]
            parts.append(
                f"| {ic['batch']} ev/append × {ic['writers']} writers | {rates['store']:,.0f} | "
                + " | ".join(f"{rates[n]:,.0f}" for n in names)
                + f" | {rates['store'] / rates[names[-1]]:.0%} |"
            )
    parts.append(END_MARK)
    return "\n".join(parts) + "\n"


# --- entry ----------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--projects", type=int, default=10_000, help="lives loaded (~100 events each)")
    p.add_argument("--period", type=float, default=20.0, help="seconds of each writers' phase")
    p.add_argument("--seal-every", type=float, default=0.0, help="sealer's pause (0: none)")
    p.add_argument("--seed", type=int, default=0, help="seed of the portfolio")
    p.add_argument("--writers", type=int, default=8, help="concurrent writers")
    p.add_argument("--skip", choices=("seal", "verify"), action="append", default=[])
    p.add_argument(
        "--index-cost", action="store_true", help="also: what the events' indexes cost an append"
    )
    p.add_argument("--quick", action="store_true", help="a smoke run: 100 lives, 3 s phases")
    p.add_argument("--keep", type=Path, help="keep the cluster in DIR (reuse it if loaded)")
    p.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    p.add_argument("--json", type=Path, help="also write the figures to this file")
    p.add_argument("--child", choices=("sealer", "verify"), help=argparse.SUPPRESS)
    p.add_argument("--url", help=argparse.SUPPRESS)
    p.add_argument("--key", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--digest", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--event", help=argparse.SUPPRESS)
    return p


async def run(args: argparse.Namespace) -> Outcome:
    args.data_dir.mkdir(parents=True, exist_ok=True)
    admin_url, server = await asyncio.to_thread(
        start_embedded_postgres, args.data_dir, cleanup_mode=None if args.keep else "delete"
    )
    outcome = Outcome()
    try:
        print(machine(), flush=True)
        if "seal" not in args.skip:
            for batch, writers in CASES:
                print(f"sealing beside {writers} writers, {batch} ev/append", flush=True)
                case = await seal_beside_writers(
                    admin_url, batch, writers, args.period, args.seal_every
                )
                print("  " + seal_table([case]).splitlines()[-1], flush=True)
                print("  lag: " + lag_line(case), flush=True)
                outcome.cases.append(case)
        if args.index_cost:
            print("index cost", flush=True)
            events, rounds = (2000, 2) if args.quick else (12000, 10)
            outcome.index_cost = await index_cost(admin_url, events, rounds)
        if "verify" not in args.skip:
            outcome.verify = await verify_loaded(args, admin_url, args.data_dir / "postgres")
    finally:
        if not args.keep:
            await asyncio.to_thread(server.cleanup)
    return outcome


async def bench(args: argparse.Namespace) -> Outcome:
    if args.quick:
        args.projects, args.period = min(args.projects, 100), min(args.period, 3.0)
    if args.keep:
        args.data_dir = args.keep
        outcome = await run(args)
    else:
        with tempfile.TemporaryDirectory(prefix="ledger-bench-") as tmp:
            args.data_dir = Path(tmp)
            outcome = await run(args)
    print("\n" + table(outcome.rows()))
    if not args.no_write:
        argv = sys.argv[1:]
        if "--json" in argv:  # where the figures went is not part of the run
            at = argv.index("--json")
            argv = argv[:at] + argv[at + 2 :]
        command = "python bench/ledger.py " + " ".join(argv)
        write_section(section(outcome, command.strip()), START_MARK, END_MARK, HEADING)
        print(f"\nwritten to {RESULTS}")
    if args.json:
        figures: dict[str, Any] = {
            "cases": [
                {
                    **asdict(c),
                    "lag_max": c.lag_max,
                    "lag_slope": c.lag_slope,
                    "bounded": c.bounded,
                    "kept_up": c.kept_up,
                }
                for c in outcome.cases
            ],
            "verify": asdict(outcome.verify) if outcome.verify else None,
            "index_cost": outcome.index_cost,
            "rows": outcome.rows(),
        }
        args.json.write_text(json.dumps(figures, indent=1))
    return outcome


def main() -> None:
    args = parser().parse_args()
    if args.child == "sealer":
        asyncio.run(sealer_child(args.url, args.seal_every))
    elif args.child == "verify":
        asyncio.run(verify_child(args.url, args.key, args.digest, args.event))
    else:
        asyncio.run(bench(args))


if __name__ == "__main__":
    main()
