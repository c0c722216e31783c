"""N concurrent five-year IRP lives against N trivial workflows, on the Temporal dev server.

    python bench/lives.py                 # N=100 (a few minutes at most)
    python bench/lives.py --n 20 --n 200  # several sizes, each on a fresh dev server
    python bench/lives.py --quick         # N=20, a smoke run

For each N, on one dev server (`temporal server start-dev`, the engine users run) with
per-workflow time skipping (`WorkflowEnvironment.start_time_skipping_v2`, experimental: each
workflow has its own virtual clock, moved by `fast_forward`), and the embedded PostgreSQL:

1. Lives. N IRP projects, each playing the product's life script
   (`domain.life_script.usual_life`, played on Temporal by `collab.lives`): submitted,
   evaluated, approved with a term starting 30 days later, five annual reports handed in
   20 days before they are due, closed at term end, final report accepted. Every step goes
   through `ProjectService`; tranches, reminders, term start and closure run on the
   workflows' own timers, whose virtual time the driver moves to each person's next step.
   At most `--concurrency` lives talk to Temporal at once. At the end every workflow must
   have ended `closed` with its award released, PostgreSQL must hold N streams with
   contiguous versions, and each stream is compared with the same script played in memory
   (decide + evolve): the same event types in the same order.
2. Trivial. N workflows on the same server that each run, one after the other, as many
   no-op activities as one life ran, started together. The ratio lives / trivial is the
   figure: the limit is measured in the same run, on the same server.

Each side's worker runs in a child process (this script with `--worker`): the lives worker
is the production one (`build_worker`), both get the production worker's workflow cache
size; their RSS is sampled every 0.1 s (and VmHWM). The table is printed and written
between the `<!-- lives:start -->` / `<!-- lives:end -->` markers of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: the repository's root on the path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import TimeSkippingConfig, WorkflowEnvironment
from temporalio.worker import Worker

from bench.children import stop_child

START_MARK = "<!-- lives:start -->"
END_MARK = "<!-- lives:end -->"
HEADING = "## Concurrent project lives on the Temporal dev server"
RATIO_TARGET = 3.0
RSS_TARGET_MB = 300.0
AWARD_EUR = 72_000
TIME_SKIPPING = ["--dynamic-config-value", "frontend.WorkflowTimeSkippingEnabled=true"]


def import_build_worker() -> Any:
    from collab.worker_build import build_worker

    return build_worker


# --- the worker child process -------------------------------------------------------------


async def worker_main(args: argparse.Namespace) -> None:
    from collab.logging_setup import configure_logging

    # the production worker logs every recorded event at INFO: keep that cost, in a file
    configure_logging("json", args.log_level)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    store = None
    if args.worker == "lives":
        from collab.payload_sealing import sealing
        from eventstore.postgres import PostgresEventStore

        store = await PostgresEventStore.connect(args.db, run_migrations=False)
        # the service's converter: people's names sealed in every payload
        converter = sealing(pydantic_data_converter, store)
        client = await Client.connect(args.target, data_converter=converter)
        w = import_build_worker()(
            client, store, args.task_queue, max_cached_workflows=args.worker_cache
        )
    else:
        client = await Client.connect(args.target, data_converter=pydantic_data_converter)
        # bench/ is on sys.path (this script's folder): the sandbox re-imports the small
        # trivial_workflow module by name for each instance
        from trivial_workflow import TrivialWorkflow, noop

        w = Worker(
            client,
            task_queue=args.task_queue,
            workflows=[TrivialWorkflow],
            activities=[noop],
            max_cached_workflows=args.worker_cache,
        )
    async with w:
        print("ready", flush=True)
        await stop.wait()
    if store is not None:
        await store.close()


# --- measuring processes ----------------------------------------------------------------

CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_status_kb(pid: int, key: str) -> int:
    with contextlib.suppress(FileNotFoundError, ProcessLookupError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid: int, *, reaped: bool = False) -> float:
    """User + system CPU of `pid` (plus its reaped children's when `reaped`)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    fields = raw[raw.rindex(")") + 2 :].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    if reaped:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
    return ticks / CLK_TCK


def children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(FileNotFoundError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(FileNotFoundError):
                found += [int(c) for c in (task / "children").read_text().split()]
    return found


class CpuMeter:
    """CPU seconds since start of the driver (this process), the worker, the Temporal dev
    server and PostgreSQL (postmaster, its live backends and the ones it reaped)."""

    def __init__(
        self, worker_pid: int | tuple[int, ...], server_pid: int, postmaster_pid: int
    ) -> None:
        # several pids: the replicas of one worker, added up
        workers = (worker_pid,) if isinstance(worker_pid, int) else worker_pid
        self.pids = (workers, server_pid, postmaster_pid)
        self.start = self.read()

    def read(self) -> dict[str, float]:
        workers, server, pm = self.pids
        return {
            "driver": cpu_seconds(os.getpid()),
            "worker": sum(cpu_seconds(w) for w in workers),
            "temporal": cpu_seconds(server, reaped=True),
            "postgres": cpu_seconds(pm, reaped=True) + sum(cpu_seconds(c) for c in children(pm)),
        }

    def since_start(self) -> dict[str, float]:
        now = self.read()
        return {k: now[k] - self.start[k] for k in now}


class WorkerProcess:
    """This script run as a worker in a child process; its RSS sampled every 0.1 s."""

    def __init__(self, kind: str, target: str, db_url: str, log: Path, args: Any) -> None:
        self.task_queue = f"{kind}-{uuid.uuid4().hex[:8]}"
        self.log = log.open("w")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                *("--worker", kind, "--target", target, "--task-queue", self.task_queue),
                *("--db", db_url, "--log-level", args.log_level),
                *("--worker-cache", str(args.worker_cache)),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        self.peak_kb = 0
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def ready(self) -> None:
        assert self.proc.stdout is not None
        line = await asyncio.to_thread(self.proc.stdout.readline)
        if line.strip() != "ready":
            self.log.flush()
            tail = Path(self.log.name).read_text()[-6000:]
            raise RuntimeError(f"worker did not start: {line!r}; its log ends:\n{tail}")
        self._sampler.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.1):
            self.peak_kb = max(self.peak_kb, proc_status_kb(self.pid, "VmRSS"))

    def rss_now_mb(self) -> float:
        return proc_status_kb(self.pid, "VmRSS") / 1024

    def stop(self) -> float:
        """Stop the worker; its peak RSS in MB."""
        if not self._stop.is_set():
            self.peak_kb = max(self.peak_kb, proc_status_kb(self.pid, "VmHWM"))
            self._stop.set()
            if self._sampler.is_alive():
                self._sampler.join()
            stop_child(self.proc, timeout_s=30)
            self.log.close()
        return self.peak_kb / 1024


# --- the lives ----------------------------------------------------------------------------


def application(n: int) -> Any:
    from domain.application import Application, Lab, Person

    pid = f"pi-{n:05d}"
    return Application(
        instrument="IRP",
        title=f"Joint project on Amazonian hydrology #{n}",
        coordinator=Person(
            id=pid, name=f"Coordinator {n}", email=f"{pid}@cnrs.example.fr", lab="LIG Grenoble"
        ),
        labs=(
            Lab(name="LIG Grenoble", country="FR", cnrs=True),
            Lab(name="LPENS Paris", country="FR", cnrs=True),
            Lab(name="Universidade de São Paulo IME", country="BR"),
            Lab(name="UNICAMP IFGW", country="BR"),
        ),
        requested_eur=AWARD_EUR,
        prior_collaboration="joint PhD supervision and 12 co-authored papers since 2019",
    )


def life(project_id: str, n: int, start: datetime | None = None) -> Any:
    """The script every benchmarked project plays: the product's usual life."""
    from collab.lives import DERCI, OFFICER, REVIEWER
    from domain.life_script import usual_life

    return usual_life(
        project_id,
        application(n),
        officer=OFFICER,
        derci=DERCI,
        reviewer=REVIEWER,
        award=AWARD_EUR,
        at=start,
    )


def in_memory_types(start: datetime) -> list[str]:
    """The event types of the same life played in memory (decide + evolve)."""
    from domain.life_script import LifeInMemory

    played = LifeInMemory("IRP-in-memory", clock=start)
    played.play(life(played.project_id, 0, start))
    return played.types()


async def drive(
    env: WorkflowEnvironment, client: Client, task_queue: str, n: int, concurrency: int
) -> Any:
    """Play `n` lives together (`client`: the service's, names sealed); the drivers once all
    are over."""
    from application.projects import ProjectService
    from collab.lives import ProjectDriver

    sem = asyncio.Semaphore(concurrency)

    class Bounded(ProjectDriver):
        async def perform(self, action: Any) -> Any:
            async with sem:
                return await super().perform(action)

    service = ProjectService(client, task_queue)
    tag = uuid.uuid4().hex[:6]
    drivers = [Bounded(env, service, f"IRP-bench-{tag}-{i:05d}") for i in range(n)]
    await asyncio.gather(*(d.play(life(d.project_id, i)) for i, d in enumerate(drivers)))
    return drivers


async def activities_of(client: Client, workflow_id: str) -> tuple[dict[str, int], int]:
    """Completed activities of a workflow by type, over all its runs (a project continues
    as new past its history bound), and how many runs it took."""
    latest = await client.get_workflow_handle(workflow_id).fetch_history()
    run_id: str | None = latest.events[
        0
    ].workflow_execution_started_event_attributes.first_execution_run_id
    done: dict[str, int] = {}
    runs = 0
    while run_id:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        runs += 1
        scheduled = {
            e.event_id: e.activity_task_scheduled_event_attributes.activity_type.name
            for e in history.events
            if e.HasField("activity_task_scheduled_event_attributes")
        }
        for e in history.events:
            if e.HasField("activity_task_completed_event_attributes"):
                name = scheduled[e.activity_task_completed_event_attributes.scheduled_event_id]
                done[name] = done.get(name, 0) + 1
        continued = history.events[-1].workflow_execution_continued_as_new_event_attributes
        run_id = continued.new_execution_run_id or None
    return done, runs


async def check_store(db_url: str, n: int, expected: list[str]) -> tuple[int, int]:
    """(events, streams whose types are the in-memory run's); every stream's versions must
    run 1..count."""
    conn = await asyncpg.connect(db_url)
    try:
        rows = await conn.fetch(
            "SELECT stream_id, array_agg(type ORDER BY version) AS types,"
            " array_agg(version ORDER BY version) AS versions FROM events GROUP BY stream_id"
        )
    finally:
        await conn.close()
    if len(rows) != n:
        raise AssertionError(f"{len(rows)} streams in PostgreSQL, expected {n}")
    broken = [r["stream_id"] for r in rows if r["versions"] != list(range(1, len(r["types"]) + 1))]
    if broken:
        raise AssertionError(f"streams with gaps or duplicates: {broken[:5]}")
    same = sum(list(r["types"]) == expected for r in rows)
    return sum(len(r["types"]) for r in rows), same


# --- one size -----------------------------------------------------------------------------


@dataclass
class Outcome:
    n: int
    lives_s: float
    trivial_s: float
    events: int
    as_in_memory: int  # lives whose stored events are the in-memory run's, type by type
    activities: int
    activity_kinds: dict[str, int]
    runs: int
    lives_rss_mb: float
    trivial_rss_mb: float
    updates: int
    queries: int
    cpu_lives: dict[str, float]
    cpu_trivial: dict[str, float]

    @property
    def ratio(self) -> float:
        return self.lives_s / self.trivial_s

    @property
    def met(self) -> bool:
        return self.ratio <= RATIO_TARGET and self.lives_rss_mb < RSS_TARGET_MB


def binary(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        raise RuntimeError(f"{name} not found on PATH nor beside {sys.executable}")
    return found


def postmaster_pid(pg_url: str) -> int:
    from urllib.parse import parse_qs, urlsplit

    pgdata = Path(parse_qs(urlsplit(pg_url).query)["host"][0])
    return int((pgdata / "postmaster.pid").read_text().split()[0])


async def run_size(n: int, args: argparse.Namespace, pg_url: str, tmp: Path) -> Outcome:
    from collab.payload_sealing import sealing
    from eventstore.embedded import with_database
    from eventstore.postgres import PostgresEventStore
    from workflows.messages import project_workflow_id

    name = f"lives_{n}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(pg_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    db_url = with_database(pg_url, name)
    await (await PostgresEventStore.connect(db_url)).close()  # migrated before the run
    before = set(children(os.getpid()))
    env = await WorkflowEnvironment.start_time_skipping_v2(
        # a project's timers wait for the driver to move its clock (fast_forward)
        ts_config=TimeSkippingConfig(enabled=False),
        dev_server_existing_path=binary("temporal"),
        dev_server_extra_args=TIME_SKIPPING,
        data_converter=pydantic_data_converter,
    )
    server = next(iter(set(children(os.getpid())) - before))
    target = env.client.service_client.config.target_host
    pm = postmaster_pid(pg_url)
    keys = await PostgresEventStore.connect(db_url, run_migrations=False)
    config = env.client.config()
    config["data_converter"] = sealing(pydantic_data_converter, keys)
    sealed = Client(**config)
    try:
        # 1. lives
        print(f"N={n}: lives", flush=True)
        worker = WorkerProcess("lives", target, db_url, tmp / f"worker-lives-{n}.log", args)
        try:
            await worker.ready()
            cpu = CpuMeter(worker.pid, server, pm)
            t0 = time.perf_counter()
            drivers = await drive(env, sealed, worker.task_queue, n, args.concurrency)
            lives_s = time.perf_counter() - t0
            cpu_lives = cpu.since_start()
            outcomes = await asyncio.gather(
                *(d.service.handle(d.project_id).result() for d in drivers)
            )
            first = project_workflow_id(drivers[0].project_id)
            kinds, runs = await activities_of(env.client, first)
        finally:
            lives_rss = worker.stop()
        bad = [o for o in outcomes if o.phase.value != "closed" or o.released_eur != AWARD_EUR]
        if bad:
            raise AssertionError(f"{len(bad)} lives did not close as expected: {bad[:3]}")
        expected = in_memory_types(datetime.now(UTC))
        events, same = await check_store(db_url, n, expected)
        activities = sum(kinds.values())
        updates = sum(d.updates for d in drivers)
        queries = sum(d.queries for d in drivers)
        print(
            f"  {lives_s:.1f} s, {events} events ({same}/{n} lives as in memory), "
            f"{activities} activities a life {kinds} in {runs} runs, peak RSS {lives_rss:.0f} MB",
            flush=True,
        )

        # 2. trivial workflows with as many activities, on the same server
        print(f"N={n}: trivial ({activities} activities each)", flush=True)
        worker = WorkerProcess("trivial", target, db_url, tmp / f"worker-trivial-{n}.log", args)
        try:
            await worker.ready()
            cpu = CpuMeter(worker.pid, server, pm)
            sem = asyncio.Semaphore(args.concurrency)

            async def one(i: int) -> int:
                async with sem:
                    handle = await env.client.start_workflow(
                        "BenchTrivial",
                        activities,
                        id=f"trivial-{worker.task_queue}-{i}",
                        task_queue=worker.task_queue,
                        result_type=int,
                    )
                result: int = await handle.result()
                return result

            t0 = time.perf_counter()
            with env.with_time_skipping_disabled():  # no timers; as the lives were started
                results = await asyncio.gather(*(one(i) for i in range(n)))
            trivial_s = time.perf_counter() - t0
            cpu_trivial = cpu.since_start()
        finally:
            trivial_rss = worker.stop()
        assert results == [activities] * n
        print(f"  {trivial_s:.1f} s, peak RSS {trivial_rss:.0f} MB", flush=True)
    finally:
        await keys.close()
        await env.shutdown()
    return Outcome(
        n=n,
        lives_s=lives_s,
        trivial_s=trivial_s,
        events=events,
        as_in_memory=same,
        activities=activities,
        activity_kinds=kinds,
        runs=runs,
        lives_rss_mb=lives_rss,
        trivial_rss_mb=trivial_rss,
        updates=updates,
        queries=queries,
        cpu_lives=cpu_lives,
        cpu_trivial=cpu_trivial,
    )


# --- reporting ----------------------------------------------------------------------------


def table(outcomes: list[Outcome]) -> str:
    lines = [
        "| N | lives s | trivial s | ratio | events stored (as in memory) | activities a life "
        "| peak worker RSS MB (lives / trivial) | targets met |",
        "|---:|---:|---:|---:|---:|---:|---:|:---:|",
    ]
    for o in outcomes:
        lines.append(
            f"| {o.n} | {o.lives_s:.1f} | {o.trivial_s:.1f} | {o.ratio:.2f}x "
            f"| {o.events:,} ({o.as_in_memory}/{o.n} lives) | {o.activities} "
            f"| {o.lives_rss_mb:.0f} / {o.trivial_rss_mb:.0f} | {'yes' if o.met else 'no'} |"
        )
    return "\n".join(lines)


def cpu_table(outcomes: list[Outcome]) -> str:
    lines = [
        "| N | driver updates / queries | CPU s lives: driver / worker / temporal / postgres "
        "| CPU s trivial: driver / worker / temporal |",
        "|---:|---:|---:|---:|",
    ]
    for o in outcomes:
        c, t = o.cpu_lives, o.cpu_trivial
        lines.append(
            f"| {o.n} | {o.updates:,} / {o.queries:,} "
            f"| {c['driver']:.1f} / {c['worker']:.1f} / {c['temporal']:.1f} / {c['postgres']:.1f} "
            f"| {t['driver']:.1f} / {t['worker']:.1f} / {t['temporal']:.1f} |"
        )
    return "\n".join(lines)


def section(outcomes: list[Outcome], command: str, worker_cache: int) -> str:
    import temporalio

    from bench.report import machine  # the repository's root is on the path by now

    o = outcomes[0]
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(o.activity_kinds.items()))
    return f"""{START_MARK}
{HEADING}

Run: `{command}`, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.
Machine: {machine()}. Python {platform.python_version()}, temporalio {temporalio.__version__},
Temporal dev server (`temporal server start-dev`, in-memory persistence) with per-workflow
time skipping (`start_time_skipping_v2`, experimental), embedded PostgreSQL (unix socket,
fsync on).

N five-year IRP lives played together by the product's life driver (`collab.lives` playing
`domain.life_script.usual_life` through `ProjectService`: submitted, evaluated, approved,
five annual reports on time, closed at term end, final report accepted; every workflow
ended `closed` with its award released, every stream's versions contiguous, and its event
types compared with the same script played in memory), against N trivial workflows on the
same server running, one after the other, as many no-op activities as one life ran. Each
worker runs in its own process; its RSS is sampled every 0.1 s (and VmHWM). The lives
worker is the production one (`build_worker`); both cache at most {worker_cache:,}
workflows (the production setting). Targets: lives/trivial ≤ {RATIO_TARGET:.0f}x, peak
lives-worker RSS < {RSS_TARGET_MB:.0f} MB.

{table(outcomes)}

{cpu_table(outcomes)}

- A life ran {o.activities} activities ({kinds}) in {o.runs} workflow runs (continue-as-new
  past the history bound) and stored {o.events // o.n} events.
- The lives' time includes the driver: each person's step is an update, and before it the
  driver moves that workflow's clock (`fast_forward`, which returns once the server has
  reached the target) and queries the state until the workflow has taken every automatic
  step due by then. The trivial side has no driver between its activities.
{END_MARK}
"""


# --- entry ----------------------------------------------------------------------------------


async def bench(args: argparse.Namespace) -> None:
    from eventstore.embedded import start_embedded_postgres

    sizes = [20] if args.quick else (args.n or [100])
    if args.worker_cache is None:
        from collab.settings import Settings

        args.worker_cache = Settings().worker_max_cached_workflows
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="lives-bench-") as tmp:
        pg_url, pg_server = await asyncio.to_thread(
            start_embedded_postgres, Path(tmp), cleanup_mode="delete"
        )
        try:
            for n in sizes:
                outcomes.append(await run_size(n, args, pg_url, Path(tmp)))
        finally:
            await asyncio.to_thread(pg_server.cleanup)
    print()
    print(table(outcomes))
    print()
    print(cpu_table(outcomes))
    if not args.no_write:
        from bench.report import RESULTS, write_section

        command = ("python bench/lives.py " + " ".join(sys.argv[1:])).strip()
        write_section(section(outcomes, command, args.worker_cache), START_MARK, END_MARK, HEADING)
        print(f"\nwritten to {RESULTS}")
    if args.json:
        import json

        figures = [
            {
                "n": o.n,
                "lives_s": o.lives_s,
                "trivial_s": o.trivial_s,
                "ratio": o.ratio,
                "events": o.events,
                "as_in_memory": o.as_in_memory,
                "activities": o.activities,
                "lives_rss_mb": o.lives_rss_mb,
                "trivial_rss_mb": o.trivial_rss_mb,
                "met": o.met,
            }
            for o in outcomes
        ]
        args.json.write_text(
            json.dumps(
                {
                    "server": "dev",
                    "outcomes": figures,
                    "ratio_target": RATIO_TARGET,
                    "rss_target_mb": RSS_TARGET_MB,
                },
                indent=1,
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, action="append", help="lives (and trivial) to run")
    parser.add_argument("--quick", action="store_true", help="N=20 only: a smoke run")
    parser.add_argument(
        "--concurrency", type=int, default=50, help="lives (or workflows) talking at once"
    )
    parser.add_argument("--log-level", default="INFO", help="the workers' log level")
    parser.add_argument(
        "--worker-cache",
        type=int,
        help="the workers cache at most this many workflows "
        "(default: COLLAB_WORKER_MAX_CACHED_WORKFLOWS, as the production worker)",
    )
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    # the worker child process
    parser.add_argument("--worker", choices=["lives", "trivial"], help=argparse.SUPPRESS)
    parser.add_argument("--target", help=argparse.SUPPRESS)
    parser.add_argument("--task-queue", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    # the product's packages (and worker.py) live at the repository's root
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    code = 0
    try:
        asyncio.run(worker_main(args) if args.worker else bench(args))
    except Exception:
        import traceback

        traceback.print_exc()
        code = 1
    for pid in children(os.getpid()):  # whatever this run started and left behind
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    sys.stdout.flush()
    sys.stderr.flush()
    sys.exit(code)


if __name__ == "__main__":
    main()
