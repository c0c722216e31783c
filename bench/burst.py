"""The 1-January burst: N approved projects whose terms all start at one instant, against N
trivial workflows (one timer, one activity) on the same Temporal dev server.

    python bench/burst.py                  # N=1,000
    python bench/burst.py --n 1000 --n 5000
    python bench/burst.py --quick          # N=100, a smoke run

For each N, on one Temporal dev server (`temporal server start-dev`, wall-clock time: no
time skipping) and the embedded PostgreSQL, each side's worker as production deploys it:
as many processes as docker-compose.yml's `replicas` (`--workers` to choose), polling one
task queue, each a child process (this script with `--worker`):

1. Projects. N IRP projects are brought to `approved` the product's way, through
   `ProjectService` (update-with-start, the workflow's own eligibility check, a reviewer
   assigned, a review, the decision), by the production worker (`build_worker`, the
   production cache size). Every decision fixes the same term start T, a few tens of
   seconds after the last decision is expected, so that every workflow has taken what the
   decision made due (a continue-as-new at a quiet moment) and waits on its timer. At T
   each workflow's own timer fires, it decides StartTerm and the first tranche's release
   together (TermStarted, TrancheReleased): one append through the activity. The lag of a
   project is when the later of its two events is stored (`recorded_at`, the database's
   clock_timestamp() of the insert) after T.
2. Trivial. N workflows on the same server, each a timer to an instant T2 and then one
   no-op activity that returns the wall-clock time it ran at; its lag is that time after
   T2. Started after the projects' workers have stopped, with their own worker processes.

The figure: the time until every project's term-start events are stored after T, against
the time until every trivial workflow's activity ran after T2 (target: at most
RATIO_TARGET times); p50/p95 of the lags; the workers' RSS (sampled every 0.1 s, and
their VmHWM, added up); CPU seconds of each process during the burst (the workers'
added up). Written between the `<!-- burst:start -->` / `<!-- burst:end -->` markers of
bench/RESULTS.md.

Where the time goes: each side's wake-up split into stages from the histories of a sample
of its workflows (`--stages`, the server's timestamps: the timer's firing, the workflow
task's wait for the worker and its activation, the activity's wait and run, sticky tasks
timed out), the worker's garbage collections during the burst (gc.callbacks) and, with
`--profile DIR`, py-spy's samples of each side's workers during its burst (`--gil`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

START_MARK = "<!-- burst:start -->"
END_MARK = "<!-- burst:end -->"
HEADING = "## The 1-January burst: N terms starting at one instant"
RATIO_TARGET = 1.5


def compose_replicas() -> int:
    """The production worker's processes, as docker-compose.yml deploys it (`replicas`)."""
    import yaml

    compose = yaml.safe_load((HERE.parent / "docker-compose.yml").read_text())
    return int(compose["services"]["worker"]["deploy"]["replicas"])


AWARD_EUR = 60_000
HERE = Path(__file__).resolve().parent


# --- the trivial side's workflow (imported by name, `burst`, in the worker child) ---------


@activity.defn(name="bench_burst_noop")
async def stamped_noop(i: int) -> float:
    """Nothing but the wall-clock time it ran at."""
    return time.time()


@workflow.defn(name="BenchTimerThenActivity")
class TimerThenActivity:
    @workflow.run
    async def run(self, at_epoch: float) -> float:
        delay = at_epoch - workflow.now().timestamp()
        if delay > 0:
            await workflow.sleep(delay)
        ran_at: float = await workflow.execute_activity(
            stamped_noop, 0, start_to_close_timeout=timedelta(seconds=60)
        )
        return ran_at


# --- worker child processes ----------------------------------------------------------------


async def worker_main(args: argparse.Namespace) -> None:
    """A worker in this child process until SIGTERM: the production one ("production"), or
    one of a bench's own workflows (`args.worker` names the module, `bench/` on the path)."""
    from collab.logging_setup import configure_logging

    # the production worker logs every recorded event at INFO: keep that cost, in a file
    configure_logging("json", args.log_level)
    client = await Client.connect(args.target, data_converter=pydantic_data_converter)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    store = None
    closing = None
    if args.worker == "production":
        from collab.payload_sealing import sealing
        from collab.worker_build import build_worker
        from eventstore.postgres import PostgresEventStore

        store = await PostgresEventStore.connect(args.db, run_migrations=False)
        # the service's converter: people's names sealed in every payload
        config = client.config()
        config["data_converter"] = sealing(pydantic_data_converter, store)
        client = Client(**config)
        options: dict[str, Any] = {}
        if getattr(args, "unsandboxed", False):  # to measure what the sandbox costs
            from temporalio.worker import UnsandboxedWorkflowRunner

            options["workflow_runner"] = UnsandboxedWorkflowRunner()
        w = build_worker(
            client, store, args.task_queue, max_cached_workflows=args.worker_cache, **options
        )
    else:
        import importlib

        from temporalio.worker import Worker
        from temporalio.worker.workflow_sandbox import (
            SandboxedWorkflowRunner,
            SandboxRestrictions,
        )

        module = importlib.import_module(args.worker)  # by name: not __main__
        workflows, activities, closing = await module.bench_worker_parts(args)
        # the bench's module passed through the sandbox, as production passes `workflows`
        runner = SandboxedWorkflowRunner(
            restrictions=SandboxRestrictions.default.with_passthrough_modules(args.worker)
        )
        w = Worker(
            client,
            task_queue=args.task_queue,
            workflows=workflows,
            activities=activities,
            max_cached_workflows=args.worker_cache,
            workflow_runner=runner,
        )
    pauses = record_gc_pauses()
    async with w:
        print("ready", flush=True)
        await stop.wait()
    # the collections the worker made (when, how long, which generation), for the driver
    print("gc " + json.dumps(pauses), flush=True)
    if store is not None:
        await store.close()
    elif closing is not None:
        await closing()


def record_gc_pauses() -> list[tuple[float, float, int]]:
    """Every garbage collection this process makes from now on: (wall-clock start, seconds,
    generation), appended to the list returned."""
    import gc

    pauses: list[tuple[float, float, int]] = []
    began = [0.0, 0.0]

    def callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            began[0], began[1] = time.time(), time.perf_counter()
        else:
            pauses.append((began[0], time.perf_counter() - began[1], info["generation"]))

    gc.callbacks.append(callback)
    return pauses


def gc_text(pauses: list[tuple[float, float, int]], start: float, end: float) -> str:
    """The collections made between `start` and `end` (epoch seconds), by generation."""
    inside = [p for p in pauses if start <= p[0] <= end]
    parts = []
    for gen in (0, 1, 2):
        ds = [d for _, d, g in inside if g == gen]
        if ds:
            parts.append(f"gen{gen} {len(ds)} x, {sum(ds):.2f} s (max {max(ds) * 1000:.0f} ms)")
    return "; ".join(parts) or "none"


async def bench_worker_parts(args: argparse.Namespace) -> tuple[list[Any], list[Any], Any]:
    """This bench's trivial worker: (workflows, activities, what to close at the end)."""
    return [TimerThenActivity], [stamped_noop], None


class WorkerProcess:
    """A worker (`kind`: "production" or a bench module's name) run by `script` with
    `--worker` in a child process; its RSS sampled every 0.1 s."""

    def __init__(
        self,
        script: Path,
        kind: str,
        target: str,
        db_url: str,
        log: Path,
        args: Any,
        task_queue: str | None = None,
    ) -> None:
        self.task_queue = task_queue or f"{kind}-{uuid.uuid4().hex[:8]}"
        self.log = log.open("w")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(script),
                *("--worker", kind, "--target", target, "--task-queue", self.task_queue),
                *("--db", db_url, "--log-level", args.log_level),
                *("--worker-cache", str(args.worker_cache)),
                *(["--unsandboxed"] if getattr(args, "unsandboxed", False) else []),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        self.peak_kb = 0
        self.gc_pauses: list[tuple[float, float, int]] = []
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
        from lives import proc_status_kb

        while not self._stop.wait(0.1):
            self.peak_kb = max(self.peak_kb, proc_status_kb(self.pid, "VmRSS"))

    def rss_mb(self) -> float:
        from lives import proc_status_kb

        return float(proc_status_kb(self.pid, "VmRSS")) / 1024

    def reset_peak(self) -> None:
        self.peak_kb = 0

    def stop(self) -> float:
        """Stop the worker; its peak RSS sampled since the last reset, in MB."""
        if not self._stop.is_set():
            self._stop.set()
            if self._sampler.is_alive():
                self._sampler.join()
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
            # read while it exits: its last line (the collections, one per pause) can be
            # longer than the pipe holds, and a child writing it would wait on us
            try:
                out, _ = self.proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                out, _ = self.proc.communicate()
            for line in (out or "").splitlines():
                if line.startswith("gc "):
                    self.gc_pauses = [tuple(p) for p in json.loads(line[3:])]
            self.log.close()
        return self.peak_kb / 1024

    def hwm_mb(self) -> float:
        from lives import proc_status_kb

        return float(proc_status_kb(self.pid, "VmHWM")) / 1024


class Replicas:
    """`count` worker processes of one kind polling one task queue, as docker-compose.yml
    deploys the production worker (`replicas`): Temporal spreads the workflows over them
    and each keeps those it ran in its cache (its sticky queue)."""

    def __init__(
        self, count: int, script: Path, kind: str, target: str, db_url: str, log: Path, args: Any
    ) -> None:
        self.task_queue = f"{kind}-{uuid.uuid4().hex[:8]}"
        self.workers = [
            WorkerProcess(
                script, kind, target, db_url, log.with_suffix(f".{i}.log"), args, self.task_queue
            )
            for i in range(count)
        ]

    @property
    def pids(self) -> tuple[int, ...]:
        return tuple(w.pid for w in self.workers)

    @property
    def gc_pauses(self) -> list[tuple[float, float, int]]:
        return sorted(p for w in self.workers for p in w.gc_pauses)

    async def ready(self) -> None:
        await asyncio.gather(*(w.ready() for w in self.workers))

    def rss_mb(self) -> float:
        return sum(w.rss_mb() for w in self.workers)

    def reset_peak(self) -> None:
        for w in self.workers:
            w.reset_peak()

    def hwm_mb(self) -> float:
        return sum(w.hwm_mb() for w in self.workers)

    def stop(self) -> float:
        """Stop every replica; the sum of their peak RSS since the last reset, in MB."""
        return sum(w.stop() for w in self.workers)


class Profilers:
    """A Profiler on each replica, `name.<i>` in the directory."""

    def __init__(self, out_dir: Path | None, pids: tuple[int, ...], name: str) -> None:
        self.spies = [Profiler(out_dir, pid, f"{name}.{i}") for i, pid in enumerate(pids)]

    def stop(self) -> None:
        for spy in self.spies:
            spy.stop()


async def start_dev_server() -> tuple[Any, int]:
    """The Temporal dev server (wall-clock time) and its pid."""
    from lives import binary, children
    from temporalio.testing import WorkflowEnvironment

    before = set(children(os.getpid()))
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=binary("temporal"), data_converter=pydantic_data_converter
    )
    server = next(iter(set(children(os.getpid())) - before))
    return env, server


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[k]


async def bounded(concurrency: int, jobs: list[Any]) -> list[Any]:
    sem = asyncio.Semaphore(concurrency)

    async def one(job: Any) -> Any:
        async with sem:
            return await job()

    return await asyncio.gather(*(one(j) for j in jobs))


# --- the projects: approved through ProjectService ------------------------------------------


async def approve_all(
    service: Any, ids: list[str], concurrency: int, margin_s: float
) -> tuple[datetime, dict[str, float]]:
    """Every project submitted, evaluated and approved with its term starting at T (the
    same for all); (T, seconds each phase took)."""
    from uuid import uuid4

    from lives import application

    from collab.lives import OFFICER as officer
    from collab.lives import REVIEWER as reviewer
    from domain.actors import Actor, Role
    from domain.commands import AssignReviewer, DecideApplication, SubmitApplication, SubmitReview
    from domain.events import Recommendation
    from domain.state import Phase

    reviewer_actor = Actor(id=reviewer.id, role=Role.REVIEWER)

    phases: dict[str, float] = {}

    def now() -> datetime:
        return datetime.now(UTC)

    async def submit(i: int, pid: str) -> None:
        app = application(i)
        pi = Actor(id=app.coordinator.id, role=Role.COORDINATOR)
        await service.submit(
            SubmitApplication(
                command_id=uuid4(), actor=pi, at=now(), project_id=pid, application=app
            )
        )
        for _ in range(600):  # the workflow checks eligibility on its own, right away
            if (await service.state(pid)).phase is Phase.UNDER_EVALUATION:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"{pid}: eligibility never checked")

    async def assign(pid: str) -> None:
        await service.execute(
            pid, AssignReviewer(command_id=uuid4(), actor=officer, at=now(), reviewer=reviewer)
        )

    async def review(pid: str) -> None:
        await service.execute(
            pid,
            SubmitReview(
                command_id=uuid4(),
                actor=reviewer_actor,
                at=now(),
                scores={"science": 5, "partnership": 4},
                recommendation=Recommendation.FUND,
            ),
        )

    async def decide(pid: str, starts: datetime) -> None:
        result = await service.execute(
            pid,
            DecideApplication(
                command_id=uuid4(),
                actor=officer,
                at=now(),
                approve=True,
                awarded_eur=AWARD_EUR,
                term_starts_at=starts,
                reason="excellent reviews; strategic partnership",
            ),
        )
        assert result.phase is Phase.APPROVED, result

    for name, make in (
        ("submit", lambda: [lambda i=i, p=p: submit(i, p) for i, p in enumerate(ids)]),
        ("assign", lambda: [lambda p=p: assign(p) for p in ids]),
        ("review", lambda: [lambda p=p: review(p) for p in ids]),
    ):
        t0 = time.perf_counter()
        await bounded(concurrency, make())
        phases[name] = time.perf_counter() - t0
        print(f"  {name}: {phases[name]:.1f} s", flush=True)
    # the decisions take about as long as the reviews; then every workflow continues as
    # new at its quiet moment and waits: T leaves room for all of it
    starts = now() + timedelta(seconds=1.5 * phases["review"] + margin_s)
    starts = starts.replace(microsecond=0)
    t0 = time.perf_counter()
    await bounded(concurrency, [lambda p=p: decide(p, starts) for p in ids])
    phases["decide"] = time.perf_counter() - t0
    print(f"  decide: {phases['decide']:.1f} s; terms start at {starts:%H:%M:%S}", flush=True)
    return starts, phases


async def stored_lags(db_url: str, starts: datetime, n: int, timeout_s: float) -> dict[str, Any]:
    """Wait until every project has its TermStarted and TrancheReleased stored; each
    project's lag (the later of the two, and TermStarted alone) after `starts`."""
    conn = await asyncpg.connect(db_url)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            done = await conn.fetchval(
                "SELECT count(*) FROM (SELECT stream_id FROM events"
                " WHERE type IN ('TermStarted', 'TrancheReleased') GROUP BY stream_id"
                " HAVING count(DISTINCT type) = 2) s"
            )
            if done >= n or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        rows = await conn.fetch(
            "SELECT stream_id,"
            " max(recorded_at) FILTER (WHERE type = 'TermStarted') AS term,"
            " max(recorded_at) FILTER (WHERE type = 'TrancheReleased') AS tranche"
            " FROM events WHERE type IN ('TermStarted', 'TrancheReleased') GROUP BY stream_id"
        )
        early = await conn.fetchval(
            "SELECT count(*) FROM events WHERE type = 'TermStarted' AND recorded_at < $1", starts
        )
    finally:
        await conn.close()
    both = [max(r["term"], r["tranche"]) for r in rows if r["term"] is not None and r["tranche"]]
    return {
        "complete": len(both),
        "lags": [(t - starts).total_seconds() for t in both],
        "term_lags": [(r["term"] - starts).total_seconds() for r in rows if r["term"]],
        "early": early,
    }


# --- where the time goes: each workflow's history after the instant ------------------------

# the stages of a wake-up, each from the history's own timestamps (the server's clock)
STAGES = (
    ("timer", "timer fired after T"),
    ("wft_wait", "workflow task scheduled -> started (waits for a poller/slot)"),
    ("wft_run", "workflow task started -> completed (the worker's activation)"),
    ("act_wait", "activity scheduled -> started"),
    ("act_run", "activity started -> completed"),
    ("wft_timeouts", "workflow tasks timed out after T (a sticky task not taken in time)"),
)


async def stages_after(
    client: Client, workflow_ids: list[str], at: datetime, sample: int
) -> dict[str, list[float]]:
    """For up to `sample` of the workflows (spread over the list): the seconds each stage of
    the wake-up at `at` took, from the latest run's history: the timer's firing after `at`,
    the workflow task's wait and run, the activity's wait and run."""
    from temporalio.api.enums.v1 import EventType as E
    from temporalio.api.enums.v1 import TimeoutType

    step = max(1, len(workflow_ids) // max(1, sample))
    chosen = workflow_ids[::step][:sample]
    stages: dict[str, list[float]] = {key: [] for key, _ in STAGES}
    seen: list[str] = []
    kinds: dict[str, int] = {}

    async def one(wid: str) -> None:
        history = await client.get_workflow_handle(wid).fetch_history()
        times: dict[str, float] = {}
        fired = False
        timeouts = 0
        for ev in history.events:
            t = ev.event_time.ToDatetime(tzinfo=UTC)
            if not fired:
                if ev.event_type == E.EVENT_TYPE_TIMER_FIRED and t >= at:
                    fired = True
                    times["fired"] = t.timestamp()
                continue
            key = {
                E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED: "wft_scheduled",
                E.EVENT_TYPE_WORKFLOW_TASK_STARTED: "wft_started",
                E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED: "wft_completed",
                E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: "act_scheduled",
                E.EVENT_TYPE_ACTIVITY_TASK_STARTED: "act_started",
                E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: "act_completed",
            }.get(ev.event_type)
            if key is not None and key not in times:
                times[key] = t.timestamp()
            if ev.event_type == E.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
                # schedule-to-start: a task left too long on the worker's sticky queue
                kind = ev.workflow_task_timed_out_event_attributes.timeout_type
                timeouts += 1
                kinds[TimeoutType.Name(kind)] = kinds.get(TimeoutType.Name(kind), 0) + 1
            if wid == chosen[0]:
                name = E.Name(ev.event_type).removeprefix("EVENT_TYPE_").lower()
                seen.append(f"{name} {t.timestamp() - at.timestamp():.2f}")
        if "act_completed" not in times:
            return
        # a workflow task may be scheduled before the timer fires (then it is the timer's)
        sched = times.get("wft_scheduled", times["fired"])
        stages["timer"].append(times["fired"] - at.timestamp())
        stages["wft_wait"].append(times["wft_started"] - max(sched, times["fired"]))
        stages["wft_run"].append(times["wft_completed"] - times["wft_started"])
        stages["act_wait"].append(times["act_started"] - times["act_scheduled"])
        stages["act_run"].append(times["act_completed"] - times["act_started"])
        stages["wft_timeouts"].append(timeouts)

    await bounded(20, [lambda w=w: one(w) for w in chosen])
    print(f"  {chosen[0]} after T: {', '.join(seen)}", flush=True)
    if kinds:
        print(f"  workflow task timeouts after T by kind: {kinds}", flush=True)
    return stages


def per_second(lags: list[float]) -> str:
    """How many finished in each second after the instant: "12 40 38 ..."."""
    if not lags:
        return "-"
    counts = [0] * (int(max(lags)) + 1)
    for lag in lags:
        counts[max(0, int(lag))] += 1
    return " ".join(str(c) for c in counts)


def stages_text(side: str, stages: dict[str, list[float]]) -> str:
    counted = len(stages["timer"])
    lines = [f"  {side}, {counted} workflows, s p50 / p95 / max:"]
    for key, label in STAGES:
        v = stages[key]
        if key == "wft_timeouts":
            lines.append(f"    {label}: {sum(v):.0f}")
            continue
        top = max(v, default=0.0)
        lines.append(f"    {label}: {pct(v, 0.5):.2f} / {pct(v, 0.95):.2f} / {top:.2f}")
    return "\n".join(lines)


class Profiler:
    """py-spy on a process for a while (`--profile DIR`): raw collapsed stacks in DIR."""

    def __init__(self, out_dir: Path | None, pid: int, name: str) -> None:
        import shutil

        self.proc: subprocess.Popen[bytes] | None = None
        spy = shutil.which("py-spy") or shutil.which("py-spy", path="/tmp/pyspy/bin")
        if out_dir is None or spy is None:
            return
        out_dir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [
                *(spy, "record", "--format", "raw", "--rate", "200", "--nonblocking", "--gil"),
                *("-o", str(out_dir / f"{name}.txt"), "-p", str(pid)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


# --- one size ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    n: int
    setup_s: dict[str, float]
    lead_s: float  # from the last decision to T
    projects_all_s: float
    projects_p50: float
    projects_p95: float
    term_p50: float
    term_p95: float
    complete: int
    trivial_all_s: float
    trivial_p50: float
    trivial_p95: float
    trivial_lead_s: float
    rss_before_mb: float
    rss_burst_peak_mb: float
    rss_hwm_mb: float
    trivial_rss_peak_mb: float
    cpu_burst: dict[str, float] = field(default_factory=dict)
    cpu_trivial: dict[str, float] = field(default_factory=dict)
    runs: str = ""
    load_at: str = ""  # the machine's load average (1 min) at T and at T2
    # seconds each stage of the wake-up took (stages_after), projects and trivial
    stages: dict[str, list[float]] = field(default_factory=dict)
    trivial_stages: dict[str, list[float]] = field(default_factory=dict)
    gc_burst: str = ""  # the worker's garbage collections during each burst (gc_text)
    gc_trivial: str = ""

    @property
    def stages_sampled(self) -> int:
        return len(self.stages.get("timer", []))

    @property
    def ratio(self) -> float:
        return self.projects_all_s / self.trivial_all_s

    @property
    def met(self) -> bool:
        return self.complete == self.n and self.ratio <= RATIO_TARGET


async def runs_around(client: Client, workflow_id: str, starts: datetime) -> str:
    """How many runs the project's workflow took, and whether one began at the burst."""
    latest = await client.get_workflow_handle(workflow_id).fetch_history()
    run_id: str | None = latest.events[
        0
    ].workflow_execution_started_event_attributes.first_execution_run_id
    runs, at_burst = 0, 0
    while run_id:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        runs += 1
        began = history.events[0].event_time.ToDatetime(tzinfo=UTC)
        if began >= starts:
            at_burst += 1
        continued = history.events[-1].workflow_execution_continued_as_new_event_attributes
        run_id = continued.new_execution_run_id or None
    return f"{runs} runs, {at_burst} begun after T"


async def run_size(n: int, args: argparse.Namespace, pg_url: str, tmp: Path) -> Outcome:
    from lives import CpuMeter, postmaster_pid

    from application.projects import ProjectService
    from collab.payload_sealing import sealing
    from eventstore.embedded import with_database
    from eventstore.postgres import PostgresEventStore
    from workflows.messages import project_workflow_id

    name = f"burst_{n}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(pg_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    db_url = with_database(pg_url, name)
    await (await PostgresEventStore.connect(db_url)).close()  # migrated before the run
    keys = await PostgresEventStore.connect(db_url, run_migrations=False)
    env, server = await start_dev_server()
    target = env.client.service_client.config.target_host
    pm = postmaster_pid(pg_url)
    script = Path(__file__).resolve()
    try:
        # 1. projects
        print(f"N={n}: approving {n} projects through ProjectService", flush=True)
        worker = Replicas(
            args.workers, script, "production", target, db_url, tmp / f"w-prod-{n}.log", args
        )
        try:
            await worker.ready()
            config = env.client.config()  # the service's own: names sealed (its keys here)
            config["data_converter"] = sealing(pydantic_data_converter, keys)
            service = ProjectService(Client(**config), worker.task_queue)
            tag = uuid.uuid4().hex[:6]
            ids = [f"IRP-burst-{tag}-{i:05d}" for i in range(n)]
            starts, phases = await approve_all(service, ids, args.concurrency, args.margin)
            lead = (starts - datetime.now(UTC)).total_seconds()
            if lead < 5:
                raise RuntimeError(f"the decisions ended {-lead:.0f} s before T: raise --margin")
            await asyncio.sleep(max(0.0, lead - 2))
            rss_before = worker.rss_mb()
            worker.reset_peak()
            cpu = CpuMeter(worker.pids, server, pm)
            spy = Profilers(args.profile, worker.pids, f"projects-{n}")
            print(f"N={n}: burst at {starts:%H:%M:%S} (RSS {rss_before:.0f} MB)", flush=True)
            lags = await stored_lags(db_url, starts, n, args.timeout)
            cpu_burst = cpu.since_start()
            spy.stop()
            load_t = os.getloadavg()[0]
            rss_hwm = worker.hwm_mb()
            runs = await runs_around(env.client, project_workflow_id(ids[0]), starts)
            stages = await stages_after(
                env.client, [project_workflow_id(i) for i in ids], starts, args.stages
            )
        finally:
            rss_peak = worker.stop()
        if lags["early"]:
            raise AssertionError(f"{lags['early']} terms started before T")
        all_s = max(lags["lags"], default=float("nan"))
        print(
            f"  {lags['complete']}/{n} complete; all stored {all_s:.1f} s after T, "
            f"p50 {pct(lags['lags'], 0.5):.1f} s, p95 {pct(lags['lags'], 0.95):.1f} s; "
            f"worker RSS {rss_before:.0f} -> peak {rss_peak:.0f} MB; first project {runs}",
            flush=True,
        )
        print(stages_text("projects", stages), flush=True)
        t0 = starts.timestamp()
        gc_burst = gc_text(worker.gc_pauses, t0, t0 + all_s)
        print(f"  worker's collections: {gc_burst}", flush=True)
        print(f"  stored a second after T: {per_second(lags['lags'])}", flush=True)

        # 2. trivial: a timer to T2, then one activity
        print(f"N={n}: trivial", flush=True)
        worker = Replicas(
            args.workers, script, "burst", target, db_url, tmp / f"w-triv-{n}.log", args
        )
        try:
            await worker.ready()
            # a start is cheaper than a submission (no activity, no query)
            at = time.time() + max(10.0, 0.6 * phases["submit"]) + args.margin
            at = float(int(at))
            handles = await bounded(
                args.concurrency,
                [
                    lambda i=i: env.client.start_workflow(
                        "BenchTimerThenActivity",
                        at,
                        id=f"trivial-{worker.task_queue}-{i}",
                        task_queue=worker.task_queue,
                        result_type=float,
                    )
                    for i in range(n)
                ],
            )
            trivial_lead = at - time.time()
            if trivial_lead < 5:
                raise RuntimeError(f"trivial starts ended {-trivial_lead:.0f} s after T2")
            await asyncio.sleep(max(0.0, trivial_lead - 2))
            worker.reset_peak()
            cpu = CpuMeter(worker.pids, server, pm)
            spy = Profilers(args.profile, worker.pids, f"trivial-{n}")
            # results asked a few at a time: the server limits concurrent long polls
            ran = await bounded(args.concurrency, [h.result for h in handles])
            cpu_trivial = cpu.since_start()
            spy.stop()
            load_t2 = os.getloadavg()[0]
        finally:
            trivial_rss = worker.stop()
        trivial_lags = [r - at for r in ran]
        trivial_stages = await stages_after(
            env.client, [h.id for h in handles], datetime.fromtimestamp(at, UTC), args.stages
        )
        print(
            f"  all ran {max(trivial_lags):.1f} s after T2, p50 {pct(trivial_lags, 0.5):.1f} s, "
            f"p95 {pct(trivial_lags, 0.95):.1f} s",
            flush=True,
        )
        print(stages_text("trivial", trivial_stages), flush=True)
        gc_trivial = gc_text(worker.gc_pauses, at, at + max(trivial_lags))
        print(f"  worker's collections: {gc_trivial}", flush=True)
        print(f"  ran a second after T2: {per_second(trivial_lags)}", flush=True)
    finally:
        await keys.close()
        await env.shutdown()
    return Outcome(
        n=n,
        setup_s=phases,
        lead_s=lead,
        projects_all_s=all_s,
        projects_p50=pct(lags["lags"], 0.5),
        projects_p95=pct(lags["lags"], 0.95),
        term_p50=pct(lags["term_lags"], 0.5),
        term_p95=pct(lags["term_lags"], 0.95),
        complete=lags["complete"],
        trivial_all_s=max(trivial_lags),
        trivial_p50=pct(trivial_lags, 0.5),
        trivial_p95=pct(trivial_lags, 0.95),
        trivial_lead_s=trivial_lead,
        rss_before_mb=rss_before,
        rss_burst_peak_mb=rss_peak,
        rss_hwm_mb=rss_hwm,
        trivial_rss_peak_mb=trivial_rss,
        cpu_burst=cpu_burst,
        cpu_trivial=cpu_trivial,
        runs=runs,
        load_at=f"{load_t:.1f} / {load_t2:.1f}",
        stages=stages,
        trivial_stages=trivial_stages,
        gc_burst=gc_burst,
        gc_trivial=gc_trivial,
    )


# --- reporting ------------------------------------------------------------------------------


def table(outcomes: list[Outcome]) -> str:
    lines = [
        "| N | all stored after T s (projects) | all ran after T2 s (trivial) | ratio "
        "| p50 / p95 s projects | p50 / p95 s trivial | TermStarted p50 / p95 s "
        "| worker RSS MB: before T / peak in burst / VmHWM (trivial peak) | target met |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|:---:|",
    ]
    for o in outcomes:
        lines.append(
            f"| {o.n:,} | {o.projects_all_s:.1f} | {o.trivial_all_s:.1f} | {o.ratio:.2f}x "
            f"| {o.projects_p50:.1f} / {o.projects_p95:.1f} "
            f"| {o.trivial_p50:.1f} / {o.trivial_p95:.1f} | {o.term_p50:.1f} / {o.term_p95:.1f} "
            f"| {o.rss_before_mb:.0f} / {o.rss_burst_peak_mb:.0f} / {o.rss_hwm_mb:.0f} "
            f"({o.trivial_rss_peak_mb:.0f}) | {'yes' if o.met else '**no**'} |"
        )
    return "\n".join(lines)


def cpu_table(outcomes: list[Outcome]) -> str:
    lines = [
        "| N | setup s: submit / assign / review / decide; T after last decision "
        "| CPU s burst: worker / temporal / postgres / driver "
        "| CPU s trivial: worker / temporal / postgres / driver |",
        "|---:|---:|---:|---:|",
    ]
    for o in outcomes:
        s, c, t = o.setup_s, o.cpu_burst, o.cpu_trivial
        lines.append(
            f"| {o.n:,} | {s['submit']:.0f} / {s['assign']:.0f} / {s['review']:.0f} "
            f"/ {s['decide']:.0f}; {o.lead_s:.0f} "
            f"| {c['worker']:.1f} / {c['temporal']:.1f} / {c['postgres']:.1f} / {c['driver']:.1f} "
            f"| {t['worker']:.1f} / {t['temporal']:.1f} / {t['postgres']:.1f} / {t['driver']:.1f} |"
        )
    return "\n".join(lines)


def stage_table(outcomes: list[Outcome]) -> str:
    lines = ["| N | " + " | ".join(label for _, label in STAGES) + " |"]
    lines.append("|---:|" + "---:|" * len(STAGES))
    for o in outcomes:
        cells = []
        for key, _ in STAGES:
            mine, theirs = o.stages.get(key, []), o.trivial_stages.get(key, [])
            if key == "wft_timeouts":
                cells.append(f"{sum(mine):.0f} \\| {sum(theirs):.0f}")
            else:
                cells.append(
                    f"{pct(mine, 0.5):.2f} / {pct(mine, 0.95):.2f} \\| "
                    f"{pct(theirs, 0.5):.2f} / {pct(theirs, 0.95):.2f}"
                )
        lines.append(f"| {o.n:,} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def section(
    outcomes: list[Outcome], command: str, worker_cache: int, workers: int, load: str
) -> str:
    import temporalio

    from bench.report import machine

    runs = "; ".join(f"N={o.n:,}: {o.runs}" for o in outcomes)
    loads = "; ".join(f"N={o.n:,}: {o.load_at}" for o in outcomes)
    gcs = "; ".join(f"N={o.n:,}: {o.gc_burst}" for o in outcomes)
    gcs_trivial = "; ".join(f"N={o.n:,}: {o.gc_trivial}" for o in outcomes)
    return f"""{START_MARK}
{HEADING}

Run: `{command}`, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load average before: {load}.
Machine: {machine()}. Python {platform.python_version()}, temporalio {temporalio.__version__},
Temporal dev server (`temporal server start-dev`, in-memory, wall-clock time), embedded
PostgreSQL (unix socket, fsync on).

N IRP projects approved the product's way through `ProjectService` (submitted, checked by
their workflow, a reviewer assigned, reviewed, approved), every decision fixing the same
term start T, a minute or so ahead; the production worker (`build_worker`, cache
{worker_cache:,} workflows) in {workers} processes polling one task queue, as
docker-compose.yml deploys it (`replicas: {workers}`). At T each workflow's timer fires and it
records TermStarted and the first TrancheReleased (one append). *All stored after T*
is when the last project's later event was stored (`recorded_at`); p50/p95 over projects.
Against N trivial workflows on the same server, in the same run, each a timer to T2 and one
no-op activity ({workers} worker processes of its own, same cache): when the last activity
ran after T2. Target: projects ≤ {RATIO_TARGET}x trivial. Worker RSS sampled every 0.1 s,
the processes' added up.

{table(outcomes)}

{cpu_table(outcomes)}

Where the time goes, from the histories of {outcomes[0].stages_sampled} workflows a side
(spread over the N; the server's timestamps), s p50 / p95, projects | trivial:

{stage_table(outcomes)}

- CPU seconds are from T (T2) until the last project's events were stored (the last
  trivial workflow completed): the worker processes, the dev server, PostgreSQL (postmaster
  and backends) and this driver (polling the store once every 0.5 s).
- Load average (1 min) of the shared machine as each side's burst ended, projects /
  trivial: {loads}.
- The first project's workflow: {runs} (a run begun after T would be a continue-as-new at
  the burst).
- Garbage collections in the workers during the burst (gc.callbacks), projects' workers:
  {gcs}; trivial's: {gcs_trivial}.
{END_MARK}
"""


# --- entry ------------------------------------------------------------------------------------


async def bench(args: argparse.Namespace) -> None:
    from eventstore.embedded import start_embedded_postgres

    sizes = [100] if args.quick else (args.n or [1000])
    if args.worker_cache is None:
        from collab.settings import Settings

        args.worker_cache = Settings().worker_max_cached_workflows
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="burst-bench-") as tmp:
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

        command = ("python bench/burst.py " + " ".join(sys.argv[1:])).strip()
        write_section(
            section(outcomes, command, args.worker_cache, args.workers, load),
            START_MARK,
            END_MARK,
            HEADING,
        )
        print(f"\nwritten to {RESULTS}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "ratio_target": RATIO_TARGET,
                    "workers": args.workers,
                    "load": load,
                    "outcomes": [
                        {
                            "n": o.n,
                            "projects_all_s": o.projects_all_s,
                            "trivial_all_s": o.trivial_all_s,
                            "ratio": o.ratio,
                            "projects_p50": o.projects_p50,
                            "projects_p95": o.projects_p95,
                            "trivial_p50": o.trivial_p50,
                            "trivial_p95": o.trivial_p95,
                            "complete": o.complete,
                            "rss_burst_peak_mb": o.rss_burst_peak_mb,
                            "rss_hwm_mb": o.rss_hwm_mb,
                            "met": o.met,
                        }
                        for o in outcomes
                    ],
                },
                indent=1,
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, action="append", help="projects (and trivial workflows)")
    parser.add_argument("--quick", action="store_true", help="N=100 only: a smoke run")
    parser.add_argument("--concurrency", type=int, default=50, help="steps in flight at once")
    parser.add_argument(
        "--margin", type=float, default=30.0, help="seconds of quiet planned before T and T2"
    )
    parser.add_argument(
        "--timeout", type=float, default=900.0, help="give up on the burst after this long"
    )
    parser.add_argument("--log-level", default="INFO", help="the workers' log level")
    parser.add_argument(
        "--worker-cache",
        type=int,
        help="workflows a worker caches (default: the production setting)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=compose_replicas(),
        help="worker processes on each side (default: docker-compose.yml's replicas)",
    )
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    parser.add_argument(
        "--stages",
        type=int,
        default=200,
        help="workflows per side whose history is read for the wake-up's stages",
    )
    parser.add_argument(
        "--profile", type=Path, help="py-spy each side's worker during its burst, into this dir"
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--unsandboxed",
        action="store_true",
        help="the production worker without the workflow sandbox (what the sandbox costs; "
        "not how production runs)",
    )
    # a worker child process
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--target", help=argparse.SUPPRESS)
    parser.add_argument("--task-queue", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    # the product's packages live at the repository's root
    sys.path.insert(0, str(HERE.parent))
    code = 0
    try:
        asyncio.run(worker_main(args) if args.worker else bench(args))
    except Exception:
        import traceback

        traceback.print_exc()
        code = 1
    from lives import children

    for pid in children(os.getpid()):  # whatever this run started and left behind
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    sys.stdout.flush()
    sys.stderr.flush()
    sys.exit(code)


if __name__ == "__main__":
    main()
