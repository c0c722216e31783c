"""N concurrent five-year IRP lives against N trivial workflows, on the time-skipping server.

    python bench/lives.py                 # N=100, then N=1000
    python bench/lives.py --n 100         # one size (repeat --n for more)
    python bench/lives.py --quick         # N=20, a smoke run
    python bench/lives.py --n 1000 --profile /tmp/prof   # py-spy the lives worker

For each N, in one run, with the Java time-skipping server and the embedded PostgreSQL:

1. Lives. N IRP projects are submitted together, then driven together: with automatic time
   skipping disabled, virtual time is advanced in short `env.sleep` steps (at most
   `--step-days`); after each step every project whose human step is due gets it, through
   `ProjectService` (evaluation as soon as it is eligible, review 10 days later, approval
   with a term starting 30 days later, each annual report handed in 20 days before it is
   due and accepted at once, the final report 5 days before it is due). Tranches,
   reminders, term start and closure run on the workflows' own timers. At most
   `--concurrency` projects talk to Temporal at once. At the end every workflow's result
   must say `closed`, and PostgreSQL must hold N streams with contiguous versions.
2. Trivial. N workflows that each run, one after the other, as many no-op activities as
   one life ran (its history's ActivityTaskCompleted events), started together; `--baselines`
   times (2), each on a fresh server, and the ratio is against the fastest. The same trivial
   run on two fresh servers has taken 520 and 810 s at N=1000.
3. Probe. `--probe` (20) trivial workflows on the lives' server once the lives are over, and
   on a fresh server: the test server's cost per operation grows with the operations it has
   served (see the section this writes), and the probe shows by how much.

Each side runs its worker in a child process (this script with `--worker`) on a fresh
time-skipping server, so the worker's memory (VmRSS sampled, VmHWM) and each process's
CPU time can be told apart. The table is printed and written between the
`<!-- lives:start -->` / `<!-- lives:end -->` markers of bench/RESULTS.md.
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
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

START_MARK = "<!-- lives:start -->"
END_MARK = "<!-- lives:end -->"
HEADING = "## Concurrent project lives on the time-skipping server"
RATIO_TARGET = 3.0
RSS_TARGET_MB = 300.0
AWARD_EUR = 72_001
SLACK = timedelta(hours=2)  # act up to this late, so near-simultaneous projects share a step


# --- the worker child process -------------------------------------------------------------


async def worker_main(args: argparse.Namespace) -> None:
    from collab.logging_setup import configure_logging

    # the production worker logs every recorded event at INFO: keep that cost, in a file
    configure_logging("json", args.log_level)
    client = await Client.connect(args.target, data_converter=pydantic_data_converter)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    store = None
    # both workers cache as many workflows as the parent says: the production worker's
    # setting (COLLAB_WORKER_MAX_CACHED_WORKFLOWS) unless --worker-cache overrides it
    cache = args.worker_cache
    queue = f"unused-{args.task_queue}" if args.unsandboxed else args.task_queue
    if args.worker == "lives":
        from eventstore.postgres import PostgresEventStore
        from worker import build_worker

        store = await PostgresEventStore.connect(args.db, run_migrations=False)
        w = build_worker(client, store, queue, max_cached_workflows=cache)
    else:
        # bench/ is on sys.path (this script's folder): the sandbox re-imports the small
        # trivial_workflow module by name for each instance
        from trivial_workflow import TrivialWorkflow, noop

        w = Worker(
            client,
            task_queue=queue,
            workflows=[TrivialWorkflow],
            activities=[noop],
            max_cached_workflows=cache,
        )
    if args.unsandboxed:
        # the same worker without the sandbox (an experiment); one client cannot hold two
        # workers of a task queue, so `w` was built on another
        from temporalio.worker import UnsandboxedWorkflowRunner

        config = w.config()
        config["task_queue"] = args.task_queue
        config["workflow_runner"] = UnsandboxedWorkflowRunner()
        w = type(w)(**config)
    async with w:
        print("ready", flush=True)
        await stop.wait()
    if store is not None:
        await store.close()


# --- measuring processes ----------------------------------------------------------------

CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
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
    """CPU seconds of the driver (this process), the worker, the Temporal test server and
    PostgreSQL (postmaster, its live backends and the ones it reaped; 0 without one)."""

    def __init__(self, worker_pid: int, postmaster_pid: int | None) -> None:
        self.worker_pid = worker_pid
        self.postmaster_pid = postmaster_pid
        self.start = self.read()

    def read(self) -> dict[str, float]:
        me = os.getpid()
        others = [c for c in children(me) if c != self.worker_pid]
        return {
            "driver": cpu_seconds(me),
            "worker": cpu_seconds(self.worker_pid),
            "temporal": sum(cpu_seconds(c, reaped=True) for c in others),
            "postgres": 0.0 if self.postmaster_pid is None else self.postgres_seconds(),
        }

    def postgres_seconds(self) -> float:
        assert self.postmaster_pid is not None
        pm = self.postmaster_pid
        return cpu_seconds(pm, reaped=True) + sum(cpu_seconds(c) for c in children(pm))

    def server_rss_mb(self) -> float:
        others = [c for c in children(os.getpid()) if c != self.worker_pid]
        return sum(proc_status_kb(c, "VmRSS") for c in others) / 1024

    def since_start(self) -> dict[str, float]:
        now = self.read()
        return {k: now[k] - self.start[k] for k in now}


class WorkerProcess:
    """This script run as a worker in a child process; its RSS sampled every 0.1 s."""

    def __init__(
        self,
        kind: str,
        target: str,
        task_queue: str,
        db_url: str,
        log_path: Path,
        log_level: str,
        extra: Sequence[str] = (),
    ) -> None:
        self.log = log_path.open("w")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--worker",
                kind,
                "--target",
                target,
                "--task-queue",
                task_queue,
                "--db",
                db_url,
                "--log-level",
                log_level,
                *extra,
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        self.peak_rss_kb = 0
        self.hwm_kb = 0
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
            tail = Path(self.log.name).read_text()[:6000]
            raise RuntimeError(f"worker did not start: {line!r}; its log ends:\n{tail}")
        self._sampler.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.1):
            self.peak_rss_kb = max(self.peak_rss_kb, proc_status_kb(self.pid, "VmRSS"))

    def rss_now_mb(self) -> float:
        return proc_status_kb(self.pid, "VmRSS") / 1024

    def stop(self) -> None:
        if self._stop.is_set():
            return
        self.hwm_kb = proc_status_kb(self.pid, "VmHWM")
        self._stop.set()
        if self._sampler.is_alive():
            self._sampler.join()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    @property
    def peak_mb(self) -> float:
        return max(self.peak_rss_kb, self.hwm_kb) / 1024


class Profiler:
    """py-spy recording a process, when asked for and installed."""

    def __init__(self, out_dir: Path | None, pid: int, name: str) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        spy = shutil.which("py-spy") or shutil.which(
            "py-spy", path=str(Path(sys.executable).parent)
        )
        if out_dir is None:
            return
        if spy is None:
            print("py-spy not found: pip install py-spy to profile", flush=True)
            return
        out_dir.mkdir(parents=True, exist_ok=True)
        self.path = out_dir / f"{name}.txt"
        self.out = ["-o", str(self.path), "--nonblocking"]
        self.proc = subprocess.Popen(
            [spy, "record", "--pid", str(pid), "--rate", "50", "--format", "raw", *self.out],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        print(f"profile: {self.path}", flush=True)


# --- driving the lives --------------------------------------------------------------------


@dataclass
class Counters:
    updates: int = 0
    queries: int = 0


@dataclass
class Life:
    """One project, and the next human step it waits for."""

    project_id: str
    stage: str = "submit"
    next_at: datetime | None = None  # None: at once
    reports: list[tuple[datetime, str]] = field(default_factory=list)  # (due, id), due first
    ends_at: datetime | None = None

    @property
    def done(self) -> bool:
        return self.stage == "done"


class Driver:
    def __init__(
        self, env: WorkflowEnvironment, client: Client, task_queue: str, concurrency: int
    ) -> None:
        from application.projects import ProjectService

        self.env = env
        self.client = client
        self.service = ProjectService(client, task_queue)
        self.sem = asyncio.Semaphore(concurrency)
        self.count = Counters()

    async def state(self, life: Life) -> Any:
        self.count.queries += 1
        return await self.service.state(life.project_id)

    async def wait_for(self, life: Life, phase: Any) -> Any:
        """The workflow takes a fired timer in its own task: give it a moment."""
        for _ in range(200):
            state = await self.state(life)
            if state.phase is phase:
                return state
            await asyncio.sleep(0.05)
        raise AssertionError(f"{life.project_id} never reached {phase}: {state.phase}")

    async def act(self, life: Life, cls: type, actor: Any, now: datetime, **fields: Any) -> Any:
        self.count.updates += 1
        command = cls(command_id=uuid.uuid4(), actor=actor, at=now, **fields)
        return await self.service.execute(life.project_id, command)

    async def advance(self, life: Life, now: datetime) -> None:
        """Take the human step `life` waits for and note when the next one falls due."""
        from domain.commands import (
            AssignReviewer,
            DecideApplication,
            ReviewReport,
            SubmitApplication,
            SubmitReport,
            SubmitReview,
        )
        from domain.events import Recommendation
        from domain.state import FINAL_REPORT_ID, Phase
        from tests.builders import DERCI, INSTITUTE, application, pi_actor, reviewer, reviewer_actor

        async with self.sem:
            if life.stage == "submit":
                self.count.updates += 1
                result = await self.service.submit(
                    SubmitApplication(
                        command_id=uuid.uuid4(),
                        actor=pi_actor(),
                        at=now,
                        project_id=life.project_id,
                        application=application("IRP"),
                    )
                )
                life.stage = "evaluate"
                if result.phase is not Phase.UNDER_EVALUATION:
                    state = await self.state(life)
                    assert state.eligibility_check_at is not None, state.phase
                    life.next_at = state.eligibility_check_at + timedelta(hours=1)
                else:
                    life.next_at = now
            elif life.stage == "evaluate":
                await self.wait_for(life, Phase.UNDER_EVALUATION)
                await self.act(life, AssignReviewer, INSTITUTE, now, reviewer=reviewer())
                life.stage, life.next_at = "review", now + timedelta(days=10)
            elif life.stage == "review":
                await self.act(
                    life,
                    SubmitReview,
                    reviewer_actor(),
                    now,
                    scores={"science": 5, "feasibility": 4},
                    recommendation=Recommendation.FUND,
                )
                starts = now + timedelta(days=30)
                await self.act(
                    life,
                    DecideApplication,
                    INSTITUTE,
                    now,
                    approve=True,
                    awarded_eur=AWARD_EUR,
                    term_starts_at=starts,
                    reason="strong reviews and strategic partner",
                )
                life.stage, life.next_at = "activate", starts + timedelta(hours=1)
            elif life.stage == "activate":
                state = await self.wait_for(life, Phase.ACTIVE)
                life.ends_at = state.term.ends_at
                life.reports = sorted(
                    (r.due_at, r.report_id) for r in state.reports if r.report_id != FINAL_REPORT_ID
                )
                life.stage, life.next_at = "report", life.reports[0][0] - timedelta(days=20)
            elif life.stage == "report":
                due, report_id = life.reports.pop(0)
                assert now < due, f"{life.project_id}: {report_id} would be late"
                await self.act(
                    life, SubmitReport, pi_actor(), now, report_id=report_id, summary="done"
                )
                await self.act(
                    life,
                    ReviewReport,
                    DERCI,
                    now,
                    report_id=report_id,
                    accept=True,
                    reason="on track",
                )
                if life.reports:
                    life.next_at = life.reports[0][0] - timedelta(days=20)
                else:
                    assert life.ends_at is not None
                    life.stage, life.next_at = "close", life.ends_at + timedelta(hours=1)
            elif life.stage == "close":
                state = await self.wait_for(life, Phase.CLOSED)
                life.stage = "final"
                life.next_at = state.final_report_due_at - timedelta(days=5)
            elif life.stage == "final":
                await self.act(
                    life, SubmitReport, pi_actor(), now, report_id=FINAL_REPORT_ID, summary="final"
                )
                await self.act(
                    life,
                    ReviewReport,
                    DERCI,
                    now,
                    report_id=FINAL_REPORT_ID,
                    accept=True,
                    reason="objectives met",
                )
                life.stage, life.next_at = "done", None

    async def run(
        self, n: int, step: timedelta, worker: WorkerProcess, cpu: CpuMeter
    ) -> dict[str, float]:
        """Drive `n` lives to their end; the seconds spent in each part."""
        env = self.env
        lives = [Life(f"IRP-bench-{i:05d}-{uuid.uuid4().hex[:6]}") for i in range(n)]
        spent = {"start": 0.0, "sleep": 0.0, "act": 0.0, "results": 0.0, "longest_step": 0.0}
        with env.auto_time_skipping_disabled():
            t = time.perf_counter()
            now = await current_time(self.client)
            await asyncio.gather(*(self.advance(life, now) for life in lives))
            spent["start"] = time.perf_counter() - t
            begin, last_report, steps = now, time.perf_counter(), 0
            started = last_report
            while True:
                now = await current_time(self.client)
                due = [x for x in lives if not x.done and (x.next_at is None or x.next_at <= now)]
                if due:
                    t = time.perf_counter()
                    await asyncio.gather(*(self.advance(life, now) for life in due))
                    spent["act"] += time.perf_counter() - t
                    continue
                waiting = [x.next_at for x in lives if not x.done and x.next_at is not None]
                if not waiting:
                    break
                if now - begin > timedelta(days=365 * 7):
                    raise AssertionError("lives still running after seven virtual years")
                target = min(min(waiting) + SLACK, now + step)
                t = time.perf_counter()
                await skip(self.client, target - now)
                took = time.perf_counter() - t
                if took > 30:
                    print(f"  a {target - now} step from {now:%Y-%m-%d} took {took:.0f} s")
                spent["sleep"] += took
                spent["longest_step"] = max(spent["longest_step"], took)
                steps += 1
                if time.perf_counter() - last_report > 15:
                    last_report = time.perf_counter()
                    left = sum(not x.done for x in lives)
                    used = " / ".join(f"{v:.0f}" for v in cpu.since_start().values())
                    print(
                        f"  {now:%Y-%m-%d} virtual, {last_report - started:.0f} s, "
                        f"{n - left}/{n} done, RSS worker {worker.rss_now_mb():.0f} MB, "
                        f"temporal {cpu.server_rss_mb():.0f} MB; CPU s driver / worker / "
                        f"temporal / postgres {used}",
                        flush=True,
                    )
            t = time.perf_counter()
            outcomes = await asyncio.gather(*(self.result(x.project_id) for x in lives))
            spent["results"] = time.perf_counter() - t
        from domain.state import Phase

        bad = [o for o in outcomes if o.phase is not Phase.CLOSED or o.released_eur != AWARD_EUR]
        if bad:
            raise AssertionError(f"{len(bad)} lives did not close as expected: {bad[:3]}")
        spent["steps"] = steps
        self.lives = lives
        return spent

    async def result(self, project_id: str) -> Any:
        async with self.sem:
            return await self.service.handle(project_id).result()


async def skip(client: Client, duration: timedelta) -> None:
    """`env.sleep`, with a longer RPC deadline: a step in which 1,000 workflows each release
    a tranche takes longer than the client's default deadline ("Timeout expired")."""
    from temporalio.api.testservice.v1 import SleepRequest

    req = SleepRequest()
    req.duration.FromTimedelta(duration)
    await client.test_service.unlock_time_skipping_with_sleep(req, timeout=timedelta(minutes=20))


async def current_time(client: Client) -> datetime:
    from google.protobuf.empty_pb2 import Empty

    resp = await client.test_service.get_current_time(Empty())
    return resp.time.ToDatetime().replace(tzinfo=UTC)


async def plain_client(env: WorkflowEnvironment) -> Client:
    """A client of the environment's server without HTTP/2 keep-alive pings: at N=1,000 the
    busy server answered a ping late once and the driver's connection was dropped
    ("transport error"). Nor has it the environment's interceptor, so awaiting a result
    never unlocks time skipping (trap #1)."""
    return await Client.connect(
        env.client.service_client.config.target_host,
        data_converter=pydantic_data_converter,
        keep_alive_config=None,
    )


async def activities_of(client: Client, workflow_id: str) -> tuple[dict[str, int], int, int]:
    """Completed activities of a workflow by activity type, over all its runs (a project
    continues as new past its history bound), how many runs it took and how many history
    events they hold (what the server stored and handed to the worker)."""
    latest = await client.get_workflow_handle(workflow_id).fetch_history()
    started = latest.events[0].workflow_execution_started_event_attributes
    run_id: str | None = started.first_execution_run_id
    done: dict[str, int] = {}
    runs = events = 0
    while run_id:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        runs += 1
        events += len(history.events)
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
    return done, runs, events


async def check_store(db_url: str, n: int) -> tuple[int, int, int]:
    """(events, fewest, most per stream); every stream's versions must run 1..count."""
    conn = await asyncpg.connect(db_url)
    try:
        rows = await conn.fetch(
            "SELECT stream_id, count(*) AS c, min(version) AS lo, max(version) AS hi,"
            " count(DISTINCT version) AS d FROM events GROUP BY stream_id"
        )
    finally:
        await conn.close()
    if len(rows) != n:
        raise AssertionError(f"{len(rows)} streams in PostgreSQL, expected {n}")
    broken = [r["stream_id"] for r in rows if not (r["lo"] == 1 and r["hi"] == r["c"] == r["d"])]
    if broken:
        raise AssertionError(f"streams with gaps or duplicates: {broken[:5]}")
    counts = [r["c"] for r in rows]
    return sum(counts), min(counts), max(counts)


# --- the trivial side ---------------------------------------------------------------------


@dataclass
class Trivial:
    """One run of N trivial workflows: wall seconds, CPU by process, worker peak RSS, and
    the history events of one workflow."""

    seconds: float
    cpu: dict[str, float]
    rss_mb: float
    history_events: int


@dataclass
class Probe:
    """The same small trivial run on a fresh server and on the server that ran the lives."""

    n: int
    fresh: Trivial
    aged: Trivial

    @property
    def slowdown(self) -> float:
        return self.aged.seconds / self.fresh.seconds


async def run_trivial(
    n: int,
    activities: int,
    args: argparse.Namespace,
    db_url: str,
    log_path: Path,
    postmaster: int | None,
    env: WorkflowEnvironment | None = None,
) -> Trivial:
    """N workflows that each run `activities` no-op activities one after the other, started
    together, on `env`'s server (a fresh one when None) with a worker of their own."""
    own = env is None
    if env is None:
        env = await time_skipping_env()
    worker = None
    try:
        worker, tq = worker_on(env, "trivial", db_url, log_path, args)
        client = await plain_client(env)
        await worker.ready()
        cpu = CpuMeter(worker.pid, postmaster)
        sem = asyncio.Semaphore(args.concurrency)

        async def bounded(coro: Any) -> Any:
            async with sem:
                return await coro

        with env.auto_time_skipping_disabled():
            t0 = time.perf_counter()
            handles = await asyncio.gather(
                *(
                    bounded(
                        client.start_workflow(
                            "BenchTrivial",
                            activities,
                            id=f"trivial-{tq}-{i}",
                            task_queue=tq,
                            result_type=int,
                        )
                    )
                    for i in range(n)
                )
            )
            results = await asyncio.gather(*(bounded(h.result()) for h in handles))
            seconds = time.perf_counter() - t0
        used = cpu.since_start()
        assert results == [activities] * n
        history = await handles[0].fetch_history()
    finally:
        if worker is not None:
            worker.stop()
        if own:
            await env.shutdown()
    return Trivial(seconds, used, worker.peak_mb, len(history.events))


# --- one size ---------------------------------------------------------------------------


@dataclass
class Outcome:
    n: int
    lives_s: float
    trivial_runs: list[float]  # each on a fresh server
    events: int
    events_per_life: tuple[int, int]
    activities: int
    activity_kinds: dict[str, int]
    runs: int  # workflow runs of one life (continue-as-new)
    lives_rss_mb: float
    trivial_rss_mb: float
    spent: dict[str, float]
    calls: Counters
    cpu_lives: dict[str, float]
    cpu_trivial: dict[str, float]
    step_days: float
    history_events: tuple[int, int]  # of one life (all its runs) / one trivial workflow
    probe: Probe

    @property
    def trivial_s(self) -> float:
        """The fastest baseline: the ratio is the stricter for it."""
        return min(self.trivial_runs)

    @property
    def ratio(self) -> float:
        return self.lives_s / self.trivial_s

    @property
    def met(self) -> bool:
        return self.ratio <= RATIO_TARGET and self.lives_rss_mb < RSS_TARGET_MB


def experiments(args: argparse.Namespace) -> list[str]:
    """The workers' options, as the worker child process takes them."""
    flags = ["--worker-cache", str(args.worker_cache)]
    return flags + (["--unsandboxed"] if args.unsandboxed else [])


def worker_on(
    env: WorkflowEnvironment, kind: str, db_url: str, log_path: Path, args: argparse.Namespace
) -> tuple[WorkerProcess, str]:
    """A `kind` worker process for `env`'s server, on a task queue of its own."""
    tq = f"{kind}-{uuid.uuid4().hex[:8]}"
    target = env.client.service_client.config.target_host
    worker = WorkerProcess(kind, target, tq, db_url, log_path, args.log_level, experiments(args))
    return worker, tq


def binary(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        raise RuntimeError(f"{name} not found beside {sys.executable}")
    return found


async def time_skipping_env() -> WorkflowEnvironment:
    return await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=binary("temporal-test-server"),
        data_converter=pydantic_data_converter,
    )


def postmaster_pid(pg_url: str) -> int:
    from urllib.parse import parse_qs, urlsplit

    pgdata = Path(parse_qs(urlsplit(pg_url).query)["host"][0])
    return int((pgdata / "postmaster.pid").read_text().split()[0])


async def run_size(n: int, args: argparse.Namespace, pg_url: str, tmp: Path) -> Outcome:
    from eventstore.embedded import with_database
    from eventstore.postgres import PostgresEventStore

    name = f"lives_{n}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(pg_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    db_url = with_database(pg_url, name)
    await (await PostgresEventStore.connect(db_url)).close()  # migrate before the clock runs
    pm = postmaster_pid(pg_url)
    step = timedelta(days=args.step_days)

    # 1. lives
    print(f"N={n}: lives", flush=True)
    env = await time_skipping_env()
    worker = None
    try:
        worker, tq = worker_on(env, "lives", db_url, tmp / f"worker-lives-{n}.log", args)
        await worker.ready()
        profiler = Profiler(args.profile, worker.pid, f"worker-lives-{n}")
        client = await plain_client(env)
        driver = Driver(env, client, tq, args.concurrency)
        cpu = CpuMeter(worker.pid, pm)
        t0 = time.perf_counter()
        spent = await driver.run(n, step, worker, cpu)
        lives_s = time.perf_counter() - t0
        cpu_lives = cpu.since_start()
        profiler.stop()
        from workflows.messages import project_workflow_id

        first = project_workflow_id(driver.lives[0].project_id)
        kinds, runs, life_events = await activities_of(client, first)
        activities = sum(kinds.values())
        for x in driver.lives[1:4]:
            other, _, _ = await activities_of(client, project_workflow_id(x.project_id))
            if other != kinds:
                print(f"  note: activities differ between lives: {kinds} and {other}")
        worker.stop()
        # the same few trivial workflows on this server, which has served the lives, and
        # on a fresh one: how much the server's own past slows what it does next
        aged = await run_trivial(
            args.probe, activities, args, db_url, tmp / f"probe-aged-{n}.log", pm, env=env
        )
    finally:
        if worker is not None:
            worker.stop()
        await env.shutdown()
    fresh = await run_trivial(args.probe, activities, args, db_url, tmp / f"probe-{n}.log", pm)
    probe = Probe(args.probe, fresh, aged)
    events, fewest, most = await check_store(db_url, n)
    print(
        f"  {lives_s:.1f} s, {events} events ({fewest}-{most} a life), {activities} activities "
        f"a life {kinds} in {runs} runs, {driver.count.updates} updates, "
        f"{driver.count.queries} queries, "
        f"peak RSS {worker.peak_mb:.0f} MB",
        flush=True,
    )
    print(
        f"  probe of {args.probe} trivial workflows: {fresh.seconds:.1f} s on a fresh server, "
        f"{aged.seconds:.1f} s on the lives' server",
        flush=True,
    )

    # 2. trivial workflows with as many activities, each run on a fresh server
    baselines = []
    for k in range(args.baselines):
        print(
            f"N={n}: trivial, run {k + 1} of {args.baselines} ({activities} activities each)",
            flush=True,
        )
        baselines.append(
            await run_trivial(n, activities, args, db_url, tmp / f"worker-trivial-{n}-{k}.log", pm)
        )
        last = baselines[-1]
        print(f"  {last.seconds:.1f} s, peak RSS {last.rss_mb:.0f} MB", flush=True)
    trivial_events = baselines[0].history_events
    fastest = min(baselines, key=lambda b: b.seconds)
    return Outcome(
        n=n,
        lives_s=lives_s,
        trivial_runs=[b.seconds for b in baselines],
        events=events,
        events_per_life=(fewest, most),
        activities=activities,
        activity_kinds=kinds,
        runs=runs,
        lives_rss_mb=worker.peak_mb,
        trivial_rss_mb=max(b.rss_mb for b in baselines),
        spent=spent,
        calls=driver.count,
        cpu_lives=cpu_lives,
        cpu_trivial=fastest.cpu,
        step_days=args.step_days,
        history_events=(life_events, trivial_events),
        probe=probe,
    )


# --- reporting ----------------------------------------------------------------------------


def table(outcomes: list[Outcome]) -> str:
    lines = [
        "| N | lives s | trivial s (fastest of, each on a fresh server) | ratio | events stored "
        "| events/s | activities a life | peak worker RSS MB (lives / trivial) | targets met |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|:---:|",
    ]
    for o in outcomes:
        runs = ", ".join(f"{t:.1f}" for t in o.trivial_runs)
        lines.append(
            f"| {o.n} | {o.lives_s:.1f} | {o.trivial_s:.1f} ({runs}) | {o.ratio:.2f}x "
            f"| {o.events:,} | {o.events / o.lives_s:,.0f} | {o.activities} "
            f"| {o.lives_rss_mb:.0f} / {o.trivial_rss_mb:.0f} | {'yes' if o.met else 'no'} |"
        )
    return "\n".join(lines)


def server_table(outcomes: list[Outcome]) -> str:
    """What the Temporal server did for each side, and how its past weighs on it."""
    lines = [
        "| N | history events a life: lives / trivial | test-server CPU s: lives / trivial "
        "| probe of trivial workflows: fresh server s / lives' server s (slowdown) |",
        "|---:|---:|---:|---:|",
    ]
    for o in outcomes:
        life, trivial = o.history_events
        p = o.probe
        lines.append(
            f"| {o.n} | {life} / {trivial} ({life / trivial:.2f}x) "
            f"| {o.cpu_lives['temporal']:.0f} / {o.cpu_trivial['temporal']:.0f} "
            f"({o.cpu_lives['temporal'] / o.cpu_trivial['temporal']:.2f}x) "
            f"| {p.n} workflows: {p.fresh.seconds:.1f} / {p.aged.seconds:.1f} "
            f"(x{p.slowdown:.1f}) |"
        )
    return "\n".join(lines)


def breakdown(outcomes: list[Outcome]) -> str:
    lines = [
        "| N | start s | time-skipping steps s (count, longest s) | human-step rounds s "
        "| results s | updates / queries | CPU s lives: driver / worker / temporal / postgres "
        "| CPU s trivial: driver / worker / temporal |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for o in outcomes:
        s, c, t = o.spent, o.cpu_lives, o.cpu_trivial
        lines.append(
            f"| {o.n} | {s['start']:.1f} | {s['sleep']:.1f} ({s['steps']:.0f}, longest "
            f"{s['longest_step']:.1f}) | {s['act']:.1f} "
            f"| {s['results']:.1f} | {o.calls.updates:,} / {o.calls.queries:,} "
            f"| {c['driver']:.1f} / {c['worker']:.1f} / {c['temporal']:.1f} / {c['postgres']:.1f} "
            f"| {t['driver']:.1f} / {t['worker']:.1f} / {t['temporal']:.1f} |"
        )
    return "\n".join(lines)


def observations(
    outcomes: list[Outcome], worker_cache: int, configured: bool, unsandboxed: bool
) -> str:
    """What the numbers say, computed from them."""
    lines = []
    o = outcomes[0]
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(o.activity_kinds.items()))
    lines.append(
        f"- A life ran {o.activities} activities ({kinds}) in {o.runs} workflow runs "
        f"(continue-as-new past the history bound) and stored {o.events // o.n} "
        f"events; the driver made {o.calls.updates // o.n} updates and "
        f"{o.calls.queries // o.n} queries a life."
    )
    for o in outcomes:
        c, t = o.cpu_lives, o.cpu_trivial
        lines.append(
            f"- N={o.n}: the Temporal test server used {c['temporal']:.0f} CPU s over the "
            f"{o.lives_s:.0f} s of the lives ({c['temporal'] / o.lives_s:.0%} of one core), the "
            f"worker {c['worker']:.0f} s ({1000 * c['worker'] / (o.n * o.activities):.1f} ms an "
            f"activity; trivial: {1000 * t['worker'] / (o.n * o.activities):.1f} ms), "
            f"PostgreSQL {c['postgres']:.0f} s. Trivial worker RSS "
            f"{o.trivial_rss_mb:.0f} MB, lives worker {o.lives_rss_mb:.0f} MB."
        )
    if len(outcomes) > 1:
        a, z = outcomes[0], outcomes[-1]
        if z.n <= worker_cache:  # every life cached at both sizes
            per_life = (z.lives_rss_mb - a.lives_rss_mb) / (z.n - a.n)
            lines.append(
                f"- From N={a.n} to N={z.n} the lives worker's peak RSS grew by "
                f"{z.lives_rss_mb - a.lives_rss_mb:.0f} MB: about {1000 * per_life:.0f} KB a "
                f"cached five-year life (trivial: "
                f"{1000 * (z.trivial_rss_mb - a.trivial_rss_mb) / (z.n - a.n):.0f} KB)."
            )
        k = z.n / a.n
        lines.append(
            f"- From N={a.n} to N={z.n} (x{k:g}): lives wall x{z.lives_s / a.lives_s:.1f}, "
            f"trivial wall x{z.trivial_s / a.trivial_s:.1f}; test-server CPU "
            f"x{z.cpu_lives['temporal'] / a.cpu_lives['temporal']:.1f} (lives), "
            f"x{z.cpu_trivial['temporal'] / a.cpu_trivial['temporal']:.1f} (trivial); "
            f"worker CPU x{z.cpu_lives['worker'] / a.cpu_lives['worker']:.1f} (lives), "
            f"x{z.cpu_trivial['worker'] / a.cpu_trivial['worker']:.1f} (trivial)."
        )
    source = (
        "COLLAB_WORKER_MAX_CACHED_WORKFLOWS, the production worker's setting"
        if configured
        else "--worker-cache, an experiment"
    )
    over = [o.n for o in outcomes if o.n > worker_cache]
    lines.append(
        f"- Both workers cached at most {worker_cache:,} workflows ({source})."
        + (
            f" At N={', '.join(map(str, over))} the workflows outnumber the cache: when a "
            "workflow evicted to make room has work again, the worker replays its history "
            "(both sides alike)."
            if over
            else ""
        )
    )
    if unsandboxed:
        lines.append("- Experiment: workflows ran without the sandbox.")
    return "\n".join(lines)


def section(
    outcomes: list[Outcome], command: str, worker_cache: int, configured: bool, unsandboxed: bool
) -> str:
    import temporalio

    from bench.report import machine  # the repository's root is on the path by now
    from workflows.project import RUN_HISTORY_BOUND as bound

    return f"""{START_MARK}
{HEADING}

Run: `{command}`, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.
Machine: {machine()}. Python {platform.python_version()}, temporalio {temporalio.__version__},
Java time-skipping server (temporal-test-server), embedded PostgreSQL (unix socket, fsync on).

N five-year IRP lives driven together (submitted, evaluated, approved, five annual reports
on time, closed at term end, final report accepted; all workflows completed `closed`,
every stream's versions contiguous) against N trivial workflows running, one after the
other, as many no-op activities as one life ran. Each worker runs in its own process on
a fresh server; its RSS is sampled every 0.1 s (and VmHWM). The lives worker is the
production one (worker.build_worker); both workers get the same workflow cache size.
A cached project holds at most one run: it continues as new past {bound} history events. The
worker passes the workflow modules through the sandbox (not re-imported for each run), shares
one payload converter among workflow instances, pins glibc's mmap threshold, collects garbage
as its heap grows and hands freed memory back to the system every second (`malloc_trim`).
Targets: lives/trivial ≤ {RATIO_TARGET:.0f}x, peak lives-worker RSS < {RSS_TARGET_MB:.0f} MB.

{table(outcomes)}

Where the lives' time goes (wall seconds by part of the drive, time-skipping steps of at
most {outcomes[0].step_days:g} days; CPU seconds by process over the lives' run):

{breakdown(outcomes)}

The Temporal side. The Java test server's cost per operation grows with the operations it
has served: its time-skipping timer keeps every lock and unlock of time skipping made for a
workflow task or an activity (and for a query made while a workflow task is pending) in a
linked list it never trims, and removes a lock by scanning that list from its start, once per
change to a workflow's state and per timer it fires (`SelfAdvancingTimerImpl.lockEvents` in
temporalio/sdk-java's test server). Its time then grows about as the square of the work done
on it, and the side that asks more of it (more history events a life) pays for that twice.
The probe measures the whole effect of the server's past (that list, and the histories it
still holds): the same few trivial workflows on a fresh server and on the lives' server once
the lives are over. The same trivial run also varies between fresh servers, hence several
baselines, the fastest kept.

{server_table(outcomes)}

{observations(outcomes, worker_cache, configured, unsandboxed)}
{END_MARK}
"""


# --- entry ----------------------------------------------------------------------------------


async def bench(args: argparse.Namespace) -> None:
    from eventstore.embedded import start_embedded_postgres

    sizes = [20] if args.quick else (args.n or [100, 1000])
    configured = resolve_worker_cache(args)
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
    print(breakdown(outcomes))
    print()
    print(server_table(outcomes))
    print()
    print(observations(outcomes, args.worker_cache, configured, args.unsandboxed))
    if not args.no_write:
        from bench.report import RESULTS, write_section

        command = "python bench/lives.py " + " ".join(sys.argv[1:])
        write_section(
            section(outcomes, command.strip(), args.worker_cache, configured, args.unsandboxed),
            START_MARK,
            END_MARK,
            HEADING,
        )
        print(f"\nwritten to {RESULTS}")
    if args.json:
        import json

        figures = [
            {
                "n": o.n,
                "lives_s": o.lives_s,
                "trivial_s": o.trivial_s,
                "trivial_runs": o.trivial_runs,
                "history_events": list(o.history_events),
                "probe_fresh_s": o.probe.fresh.seconds,
                "probe_aged_s": o.probe.aged.seconds,
                "ratio": o.ratio,
                "events": o.events,
                "lives_rss_mb": o.lives_rss_mb,
                "trivial_rss_mb": o.trivial_rss_mb,
                "met": o.met,
            }
            for o in outcomes
        ]
        args.json.write_text(
            json.dumps(
                {"outcomes": figures, "ratio_target": RATIO_TARGET, "rss_target_mb": RSS_TARGET_MB},
                indent=1,
            )
        )


def at_least_one(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value}: at least 1")
    return value


def add_worker_options(parser: argparse.ArgumentParser) -> None:
    """How the workers run and how hard the driver presses them (bench/server_age.py too)."""
    parser.add_argument(
        "--concurrency", type=int, default=50, help="projects (or workflows) acting at once"
    )
    parser.add_argument("--log-level", default="INFO", help="the workers' log level")
    parser.add_argument(
        "--worker-cache",
        type=int,
        help="experiment: the workers cache at most this many workflows "
        "(default: COLLAB_WORKER_MAX_CACHED_WORKFLOWS, as the production worker)",
    )
    parser.add_argument(
        "--unsandboxed", action="store_true", help="experiment: workers run workflows unsandboxed"
    )


def resolve_worker_cache(args: argparse.Namespace) -> bool:
    """Give --worker-cache the production worker's setting when it was not set; True then."""
    if args.worker_cache is not None:
        return False
    from collab.settings import Settings

    args.worker_cache = Settings().worker_max_cached_workflows
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, action="append", help="lives (and trivial) to run")
    parser.add_argument("--quick", action="store_true", help="N=20 only: a smoke run")
    parser.add_argument("--step-days", type=float, default=30, help="longest time-skip step")
    add_worker_options(parser)
    parser.add_argument(
        "--baselines",
        type=at_least_one,
        default=2,
        help="trivial runs, each on a fresh server; the ratio is against the fastest",
    )
    parser.add_argument(
        "--probe",
        type=at_least_one,
        default=20,
        help="trivial workflows run on the lives' aged server",
    )
    parser.add_argument("--profile", type=Path, help="py-spy the lives worker into DIR")
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    # the worker child process
    parser.add_argument("--worker", choices=["lives", "trivial"], help=argparse.SUPPRESS)
    parser.add_argument("--target", help=argparse.SUPPRESS)
    parser.add_argument("--task-queue", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    # worker.py and tests/builders.py live at the repository's root, outside the package
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
    os._exit(code)  # the time-skipping server's client can abort a normal exit (trap #2)


if __name__ == "__main__":
    main()
