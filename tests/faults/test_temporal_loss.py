"""Temporal's store lost mid-life, and the lives come back from the record (issue 20).

The drill: lives of mixed instruments run on the Temporal dev server (`temporal server
start-dev`, SQLite file in tmp) with the production worker (`python worker.py`). Mid-life
the server is stopped and its database file deleted; a fresh server starts on the same
port; recovery runs through the application layer (`Application.recovery`, the code of
`collab recover`); every life then finishes. Each project's events are compared with
an undisturbed twin run of the same scripts on its own server and database, on the same
timeline (the twin waits out the outage as long as the drill took):

- the same event types in the same order, the same amounts, the same data;
- the same business dates, exactly: a decision's term start, the term's end, each
  tranche's and report's due date (all fixed by the script, relative to the run's start);
- the same moments (`occurred_at`, and dates the domain derives from a moment, such as
  an evaluation deadline) within the wall clock's jitter, except an automatic step that
  fell due while Temporal was down: it is taken when the life comes back, not before its
  due date and not long after the recovery.

The restore drill: backup, more steps, the site lost (Temporal's store deleted, the
database restored from the backup), the restored ledger verified against the backup's
digest, recovery, and the lives finish from where the backup left them.

The default suite runs 8 lives; `pytest -m slow tests/faults/test_temporal_loss.py` the 50
of the issue."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import math
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError

from application.audit import read_digest
from application.projects import ProjectService
from application.service import Application, assemble
from collab.embedded_temporal import launch_dev_server, wait_for_port
from collab.payload_sealing import sealing
from domain.actors import OPERATOR, Role
from domain.commands import (
    AmendBudget,
    AssignReviewer,
    DecideApplication,
    SubmitApplication,
    SubmitReview,
    TerminateProject,
)
from domain.events import DomainEvent, Recommendation
from domain.state import Phase, ProjectState, TrancheStatus
from eventstore.embedded import with_database
from eventstore.event_records import from_record
from eventstore.postgres import PostgresEventStore
from tests.builders import DERCI, INSTITUTE, application, pi_actor, reviewer, reviewer_actor
from workflows.messages import project_workflow_id

ROOT = Path(__file__).resolve().parents[2]
NAMESPACE = "default"
# how far apart the same moment may land in two runs: the update's round trip and the
# worker's latency on a loaded two-core machine (the 50 lives' drill allows more)
JITTER = timedelta(seconds=4)
# dates the domain derives from the moment a step was taken, not from the script
MOMENT_DERIVED = {"evaluation_deadline", "call_closes_at"}

AWARDS = {"IRP": (50_000, 75_000), "IRL": (75_000, 100_000), "IRN": (50_000, 75_000)}
KINDS = (
    "started",  # term started before the outage; terminated after it
    "starts_in_outage",  # term start due while Temporal is down: taken at recovery
    "starts_after",  # term start due after the recovery: the recovered workflow's timer
    "in_evaluation",  # reviewer assigned before; review and decision after
    "amended",  # like starts_after, then a budget amendment
    "rejected",  # finished before the outage: recovery leaves it alone
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass(frozen=True)
class Life:
    pid: str
    instrument: str
    kind: str
    award: int
    start: float = 0.0  # its first step, seconds after the run's start


def portfolio(n: int) -> list[Life]:
    lives = []
    for i in range(n):
        code = ("IRP", "IRL", "IRN")[i % 3]
        low, high = AWARDS[code]
        award = low + (i * 1_000) % (high - low - 5_000)  # room for a +5,000 amendment
        start = i * 0.25  # submissions paced, four a second
        lives.append(Life(f"{code}-drill-{i:03d}", code, KINDS[i % len(KINDS)], award, start))
    return lives


@dataclass(frozen=True)
class Timeline:
    """Seconds after a run's start (t0). `resumed` is measured in the disturbed run (the
    fresh server up and recovery done); the twin waits until the same offset."""

    started: float  # term start of "started" lives
    outage: float  # the server stops (at the latest: once every life is at its barrier)
    after: float  # term start of "starts_after" and "amended" lives
    pace: float = 1.0  # seconds between a life's steps before the outage
    resumed: float | None = None

    @property
    def in_outage(self) -> float:
        return self.outage + 1.0

    @property
    def back(self) -> float:
        """The first whole second after the lives came back: where their steps go on."""
        assert self.resumed is not None
        return float(math.ceil(self.resumed) + 1)


async def patiently(call: Callable[..., Awaitable[Any]], *args: Any) -> Any:
    """Retry what an outage interrupted, with the same arguments (an Update's id is its
    command id: a retry of a step that landed returns its first result)."""
    for _ in range(240):
        try:
            return await call(*args)
        except (TimeoutError, RPCError, WorkflowUpdateRPCTimeoutOrCancelledError):
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise  # the SDK says a cancelled update this way: the drill is over
            await asyncio.sleep(0.5)
    raise AssertionError(f"{call} never succeeded")


@dataclass
class Site:
    """One Temporal dev server (SQLite file in tmp), one worker process (`worker.py`, as
    production runs it), one database of the session's PostgreSQL."""

    tmp: Path
    database_url: str
    task_queue: str = field(default_factory=lambda: f"drill-{uuid.uuid4().hex[:6]}")
    port: int = field(default_factory=free_port)
    temporal: subprocess.Popen[bytes] | None = None
    worker: subprocess.Popen[bytes] | None = None

    @property
    def sqlite(self) -> Path:
        return self.tmp / "temporal" / "temporal.sqlite"

    async def start_temporal(self) -> None:
        self.temporal = launch_dev_server(
            self.tmp / "temporal", self.port, free_port(), self.tmp / "temporal.log"
        )
        await wait_for_port("127.0.0.1", self.port, within=180)

    async def lose_temporal(self) -> None:
        """The server stops and its database file is deleted; a fresh one starts on the
        same port, knowing nothing."""
        assert self.temporal is not None
        self.temporal.terminate()
        try:
            await asyncio.to_thread(self.temporal.wait, 30)
        except subprocess.TimeoutExpired:
            self.temporal.kill()
            await asyncio.to_thread(self.temporal.wait)
        files = list(self.sqlite.parent.glob(self.sqlite.name + "*"))
        assert self.sqlite in files, f"no database file at {self.sqlite}"
        for f in files:  # the file and its -wal / -shm companions
            f.unlink()
        await self.start_temporal()

    def start_worker(self) -> None:
        env = {
            **os.environ,
            "COLLAB_TEMPORAL_ADDRESS": f"127.0.0.1:{self.port}",
            "COLLAB_DATABASE_URL": self.database_url,
            "COLLAB_TASK_QUEUE": self.task_queue,
            "COLLAB_LOG_FORMAT": "json",
            "COLLAB_DATA_DIR": str(self.tmp / "data"),
        }
        with (self.tmp / "worker.log").open("ab") as log:
            self.worker = subprocess.Popen(
                [sys.executable, str(ROOT / "worker.py")],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=log,
            )

    def stop_worker(self) -> None:
        if self.worker and self.worker.poll() is None:
            self.worker.send_signal(signal.SIGINT)
            try:
                self.worker.wait(15)
            except subprocess.TimeoutExpired:
                self.worker.kill()
                self.worker.wait()

    async def connect(self, store: PostgresEventStore) -> Client:
        """A client as the service's own: people's names sealed with their keys in `store`."""
        return await Client.connect(
            f"127.0.0.1:{self.port}",
            namespace=NAMESPACE,
            data_converter=sealing(pydantic_data_converter, store),
        )

    async def worker_polls(self, client: Client, within: float = 120) -> None:
        """Wait until the worker polls its task queue (it imports, migrates, connects)."""
        deadline = time.monotonic() + within
        request = DescribeTaskQueueRequest(
            namespace=NAMESPACE,
            task_queue=TaskQueue(name=self.task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
        while time.monotonic() < deadline:
            assert self.worker is not None and self.worker.poll() is None, self.log_tail()
            with contextlib.suppress(RPCError):
                found = await client.workflow_service.describe_task_queue(request)
                if found.pollers:
                    return
            await asyncio.sleep(0.3)
        raise AssertionError(f"the worker never polled\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        log = self.tmp / "worker.log"
        text = log.read_text(errors="replace") if log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def close(self) -> None:
        self.stop_worker()
        if self.temporal and self.temporal.poll() is None:
            self.temporal.kill()
            self.temporal.wait()


@contextlib.asynccontextmanager
async def site(
    postgres_url: str, tmp: Path
) -> AsyncIterator[tuple[Site, Application, PostgresEventStore]]:
    """A site up: its database (migrated by the store first), server, worker, and the
    application as `collab` assembles it (its owner login for backups)."""
    name = f"drill_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(postgres_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = with_database(postgres_url, name)
    here = Site(tmp, url)
    store = await PostgresEventStore.connect(url)
    try:
        await here.start_temporal()
        here.start_worker()
        client = await here.connect(store)
        await here.worker_polls(client)

        async def owner() -> str:
            return url

        projects = ProjectService(client, here.task_queue)
        yield here, assemble(store, projects, tmp / "keys" / "ledger.pem", owner), store
    finally:
        here.close()
        await store.close()


# -- the lives ---------------------------------------------------------------------------


class Run:
    """One run of the scripts on one site: every step at its offset from t0."""

    def __init__(self, service: ProjectService, timeline: Timeline) -> None:
        self.service = service
        self.timeline = timeline
        self.t0 = datetime.now(UTC)
        self._t0 = time.monotonic()
        self.resumed = asyncio.Event()  # the lives may go on past the outage
        self.barrier = 0.0  # when every life had reached the outage

    def moment(self, offset: float) -> datetime:
        return self.t0 + timedelta(seconds=offset)

    def elapsed(self) -> float:
        return time.monotonic() - self._t0

    async def until(self, offset: float) -> None:
        await asyncio.sleep(max(0.0, offset - self.elapsed()))

    async def state(self, pid: str) -> ProjectState:
        state: ProjectState = await patiently(self.service.state, pid)
        return state

    async def wait_for(self, pid: str, predicate: Callable[[ProjectState], bool]) -> None:
        for _ in range(300):  # a query is a task for the worker: not too often
            if predicate(await self.state(pid)):
                return
            await asyncio.sleep(0.5)
        raise AssertionError(f"{pid}: never reached the expected state")

    async def step(self, pid: str, cls: type[Any], actor: Any, **fields: Any) -> None:
        command = cls(command_id=uuid.uuid4(), actor=actor, at=datetime.now(UTC), **fields)
        await patiently(self.service.execute, pid, command)

    async def decide(self, life: Life, starts_at: float) -> None:
        starts = self.moment(starts_at)
        assert self.elapsed() < starts_at - 0.3, (
            f"{life.pid}: the decision came too late for its term start ({self.elapsed():.1f} s "
            f"after the start, term at {starts_at} s): give the timeline more room"
        )
        await self.step(
            life.pid,
            DecideApplication,
            INSTITUTE,
            approve=True,
            awarded_eur=life.award,
            term_starts_at=starts,
            reason="strong reviews",
        )

    async def live(self, life: Life, at_barrier: Callable[[], None]) -> None:
        t, pid = self.timeline, life.pid
        await self.until(life.start)
        submit = SubmitApplication(
            command_id=uuid.uuid4(),
            actor=pi_actor(),
            at=datetime.now(UTC),
            project_id=pid,
            application=application(life.instrument),
        )
        await patiently(self.service.submit, submit)
        await self.wait_for(pid, lambda s: s.phase is Phase.UNDER_EVALUATION)
        await self.until(life.start + t.pace)  # each step at its moment, in both runs
        await self.step(pid, AssignReviewer, INSTITUTE, reviewer=reviewer())
        await self.until(life.start + 2 * t.pace)
        if life.kind != "in_evaluation":
            fund = Recommendation.DO_NOT_FUND if life.kind == "rejected" else Recommendation.FUND
            scores = {"science": 2 if life.kind == "rejected" else 5}
            review = {"scores": scores, "recommendation": fund}
            await self.step(pid, SubmitReview, reviewer_actor(), **review)
        await self.until(life.start + 3 * t.pace)
        if life.kind == "rejected":
            await self.step(pid, DecideApplication, INSTITUTE, approve=False, reason="weak reviews")
        elif life.kind == "started":
            await self.decide(life, t.started)
            await self.wait_for(pid, released(1))
        elif life.kind == "starts_in_outage":
            await self.decide(life, t.in_outage)
        elif life.kind in ("starts_after", "amended"):
            await self.decide(life, t.after)
        at_barrier()

        await self.resumed.wait()  # the outage: nothing is asked of the lives meanwhile
        t = self.timeline  # now with the moment the lives were let go on
        await self.until(t.resumed or 0.0)
        back = t.back
        if life.kind == "rejected":
            return
        if life.kind == "in_evaluation":
            await self.until(back)
            review = {"scores": {"science": 4}, "recommendation": Recommendation.FUND}
            await self.step(pid, SubmitReview, reviewer_actor(), **review)
            await self.decide(life, back + max(3.0, 4 * t.pace))
            await self.wait_for(pid, released(1))
            await self.until(back + max(5.0, 4 * t.pace + 2))
        elif life.kind in ("starts_after", "amended"):
            await self.wait_for(pid, released(1))
            later = max(back, t.after)
            if life.kind == "amended":
                await self.until(later + 1)
                await self.step(
                    pid,
                    AmendBudget,
                    INSTITUTE,
                    awarded_eur=life.award + 5_000,
                    reason="institute top-up",
                )
            await self.until(later + 3)
        else:  # started, starts_in_outage: the term has started (or starts at recovery)
            await self.wait_for(pid, released(1))
            await self.until(back + 1)
        await self.step(pid, TerminateProject, DERCI, reason="end of the drill")
        await self.wait_for(pid, lambda s: s.phase is Phase.TERMINATED)


def released(year: int) -> Callable[[ProjectState], bool]:
    def paid(state: ProjectState) -> bool:
        tranche = state.tranche(year) if state.term is not None else None
        return tranche is not None and tranche.status is TrancheStatus.RELEASED

    return paid


def unfinished_at_outage(lives: list[Life]) -> set[str]:
    return {life.pid for life in lives if life.kind != "rejected"}


async def drive(run: Run, lives: list[Life], outage: Callable[[], Awaitable[float]]) -> float:
    """Play every life; at the barrier (every life waiting, and not before the timeline's
    outage) run `outage`, which returns the offset at which the lives go on."""
    waiting = 0
    all_waiting = asyncio.Event()

    def at_barrier() -> None:
        nonlocal waiting
        waiting += 1
        if waiting == len(lives):
            all_waiting.set()

    tasks = [asyncio.ensure_future(run.live(life, at_barrier)) for life in lives]
    work: asyncio.Future[list[None]] = asyncio.gather(*tasks)
    barrier: asyncio.Future[Any] = asyncio.ensure_future(all_waiting.wait())
    try:
        done, _ = await asyncio.wait(
            [barrier, work],
            timeout=600,
            return_when=asyncio.FIRST_COMPLETED,
        )
        if work in done:
            await work  # a life failed before the barrier
        assert all_waiting.is_set(), "the lives never all reached the outage"
        run.barrier = run.elapsed()
        await run.until(run.timeline.outage)
        resumed = await outage()
        run.timeline = dataclasses.replace(run.timeline, resumed=resumed)
        run.resumed.set()
        await asyncio.wait_for(work, timeout=600)
        return resumed
    finally:  # one life failed, or the drill did: none is left running
        barrier.cancel()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


# -- the record, compared ----------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """An event as the comparison sees it: times as offsets from the run's start."""

    type: str
    actor: str
    data: Any  # every field; datetimes as offsets, those derived from a moment as None
    at: timedelta  # occurred_at
    moments: tuple[timedelta, ...]  # the dates derived from a moment


def seen(event: DomainEvent, t0: datetime) -> Seen:
    moments: list[timedelta] = []

    def walk(node: Any, key: str = "") -> Any:
        if isinstance(node, dict):
            return {k: walk(v, k) for k, v in sorted(node.items())}
        if isinstance(node, list | tuple):
            return tuple(walk(v, key) for v in node)
        if isinstance(node, datetime):
            if key in MOMENT_DERIVED:
                moments.append(node - t0)
                return None
            return node - t0
        return node

    data = walk(event.data.model_dump(mode="python"))
    return Seen(event.type, event.actor.id, data, event.occurred_at - t0, tuple(moments))


async def recorded(store: PostgresEventStore, pids: list[str]) -> dict[str, list[DomainEvent]]:
    return {pid: [from_record(e) for e in await store.read_stream(pid)] for pid in pids}


def compare(
    pid: str,
    drill: list[DomainEvent],
    drill_t0: datetime,
    twin: list[DomainEvent],
    twin_t0: datetime,
    timeline: Timeline,
    jitter: timedelta = JITTER,
) -> int:
    """Assert the drill's events are the twin's; returns how many automatic steps came
    late (due while Temporal was down)."""
    a = [seen(e, drill_t0) for e in drill]
    b = [seen(e, twin_t0) for e in twin]
    assert [(e.type, e.actor) for e in a] == [(e.type, e.actor) for e in b], pid
    assert [e.version for e in drill] == list(range(1, len(drill) + 1)), pid
    late = 0
    outage = timedelta(seconds=timeline.outage)
    assert timeline.resumed is not None
    resumed = timedelta(seconds=timeline.resumed)
    for mine, theirs, event in zip(a, b, drill, strict=True):
        where = f"{pid} v{event.version} {event.type}"
        # amounts, business dates, reviewers, plans: exactly the twin's
        assert mine.data == theirs.data, where
        automatic = event.actor.role is Role.SYSTEM
        if automatic and outage <= theirs.at <= resumed:
            # due while Temporal was down: taken once the life is back, never before
            assert theirs.at - jitter <= mine.at <= resumed + jitter, (where, mine.at, theirs.at)
            late += 1
            continue
        assert abs(mine.at - theirs.at) <= jitter, (where, mine.at, theirs.at)
        for m, t in zip(mine.moments, theirs.moments, strict=True):
            assert abs(m - t) <= jitter, (where, m, t)
    return late


async def finished(
    app: Application, store: PostgresEventStore, client: Client, pids: list[str]
) -> None:
    """Every life's record is complete and no workflow is left running."""
    states = await app.recovery.reconcile()
    assert states == [], states
    for pid in pids:
        events = (await recorded(store, [pid]))[pid]
        assert events[-1].type in ("ProjectTerminated", "ApplicationRejected"), pid
        handle = client.get_workflow_handle(project_workflow_id(pid))
        with contextlib.suppress(RPCError):  # a life ended before the outage is not known
            described = await handle.describe()
            assert described.status is WorkflowExecutionStatus.COMPLETED, (pid, described.status)


# -- the drill ---------------------------------------------------------------------------


async def drill(
    postgres_url: str,
    tmp: Path,
    lives: list[Life],
    timeline: Timeline,
    *,
    side_by_side: bool,
    jitter: timedelta = JITTER,
) -> str:
    """The drill and its twin, which lives the same timeline undisturbed and waits as long
    as the drill's Temporal was lost and recovered: side by side from the same moment, or
    (less load on the machine) one after the other."""
    pids = [life.pid for life in lives]
    timings: dict[str, float] = {}
    async with contextlib.AsyncExitStack() as stack:
        started = time.monotonic()
        (here, app, store), (_, twin_app, twin_store) = await asyncio.gather(
            stack.enter_async_context(site(postgres_url, tmp / "drill")),
            stack.enter_async_context(site(postgres_url, tmp / "twin")),
        )
        timings["sites up"] = time.monotonic() - started
        run = Run(app.recovery.projects, timeline)
        twin = Run(twin_app.recovery.projects, timeline)
        back_at: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        recovered: list[Any] = []

        async def lose_temporal_and_recover() -> float:
            lost = time.monotonic()
            await here.lose_temporal()
            timings["fresh server"] = time.monotonic() - lost
            # what `collab recover --dry-run`, then `collab recover`, do
            listed = await patiently(functools.partial(app.recovery.recover, dry_run=True))
            assert {r.project_id for r in listed} == unfinished_at_outage(lives)
            assert not any(r.started for r in listed)
            recovered.extend(await patiently(app.recovery.recover))
            timings["outage"] = time.monotonic() - lost
            back_at.set_result(run.elapsed())
            return back_at.result()

        async def wait_as_long() -> float:
            offset = await back_at
            await twin.until(offset)
            return offset

        started = time.monotonic()
        if side_by_side:
            async with asyncio.TaskGroup() as both:
                both.create_task(drive(run, lives, lose_temporal_and_recover))
                both.create_task(drive(twin, lives, wait_as_long))
        else:
            await drive(run, lives, lose_temporal_and_recover)
            twin = Run(twin_app.recovery.projects, timeline)
            await drive(twin, lives, wait_as_long)
        timings["lives"] = time.monotonic() - started
        timings["barrier at"] = max(run.barrier, twin.barrier)

        assert {r.project_id for r in recovered} == unfinished_at_outage(lives)
        assert all(r.started for r in recovered)
        assert await app.recovery.recover() == []  # nothing more to start
        await finished(app, store, await here.connect(store), pids)
        assert (await app.audit.verify(OPERATOR, seal=True)).intact
        mine = await recorded(store, pids)
        theirs = await recorded(twin_store, pids)

    late = sum(
        compare(pid, mine[pid], run.t0, theirs[pid], twin.t0, run.timeline, jitter) for pid in pids
    )
    # the lives whose term started while Temporal was down: their TermStarted and first
    # tranche came when they were recovered
    in_outage = sum(life.kind == "starts_in_outage" for life in lives)
    assert late >= 2 * in_outage, late
    events = sum(len(v) for v in mine.values())
    return (
        f"{len(lives)} lives, {events} events as the twin's, {late} automatic steps taken "
        f"at recovery; " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())
    )


async def test_temporal_store_lost_mid_life_every_life_finishes_as_its_twin(postgres_url, tmp_path):
    report = await drill(
        postgres_url,
        tmp_path,
        portfolio(8),
        Timeline(started=6, outage=9, after=15, pace=0.8),
        side_by_side=True,
    )
    print("\n" + report)


@pytest.mark.slow
async def test_temporal_store_lost_with_50_lives_running(postgres_url, tmp_path):
    report = await drill(
        postgres_url,
        tmp_path,
        portfolio(50),
        Timeline(started=30, outage=40, after=55, pace=2.0),
        side_by_side=False,
        jitter=timedelta(seconds=10),
    )
    print("\n" + report)


# -- the restore drill -------------------------------------------------------------------


async def test_restore_drill_backup_more_steps_site_lost_restore_verify_recover(
    postgres_url, tmp_path
):
    """Backup; more steps; the site lost (worker stopped, Temporal's store deleted, the
    database put back from the backup); the restored ledger verified against the
    backup's digest; recovery starts every life at its backed-up state; the lives finish.
    The steps taken after the backup are gone with it, and nothing else is."""
    lives = [life for life in portfolio(6) if life.kind in ("started", "starts_after")][:2]
    lives += [Life("IRN-restore-1", "IRN", "started", 60_000)]
    lives += [Life("IRL-restore-2", "IRL", "started", 90_000)]
    pids = [life.pid for life in lives]
    async with site(postgres_url, tmp_path) as (here, app, store):
        run = Run(app.recovery.projects, Timeline(started=4, outage=0, after=0))

        async def up_to_a_running_term(life: Life) -> None:
            submit = SubmitApplication(
                command_id=uuid.uuid4(),
                actor=pi_actor(),
                at=datetime.now(UTC),
                project_id=life.pid,
                application=application(life.instrument),
            )
            await patiently(run.service.submit, submit)
            await run.wait_for(life.pid, lambda s: s.phase is Phase.UNDER_EVALUATION)
            await run.step(life.pid, AssignReviewer, INSTITUTE, reviewer=reviewer())
            review = {"scores": {"science": 5}, "recommendation": Recommendation.FUND}
            await run.step(life.pid, SubmitReview, reviewer_actor(), **review)
            await run.decide(life, run.timeline.started)
            await run.wait_for(life.pid, released(1))

        await asyncio.gather(*(up_to_a_running_term(life) for life in lives))
        made = await app.backups.backup(tmp_path / "backup")
        kept = await recorded(store, pids)
        assert made.events == sum(len(v) for v in kept.values())

        # more steps, which the restore will take back
        first, second = pids[:2]
        await run.step(first, AmendBudget, INSTITUTE, awarded_eur=lives[0].award + 5_000,
                       reason="institute top-up")  # fmt: skip
        await run.step(second, TerminateProject, DERCI, reason="partner withdrew")
        assert len((await recorded(store, [first]))[first]) == len(kept[first]) + 1

        # the site lost: the service stopped, Temporal's store gone, the database restored
        here.stop_worker()
        await here.lose_temporal()
        done = await app.backups.restore(tmp_path / "backup", replace=True)
        assert done.replaced_events == made.events + 2
        assert done.audit.intact and done.audit.covered == made.ledger_size
        assert await recorded(store, pids) == kept
        digest = read_digest((tmp_path / "backup" / "digest.json").read_text())
        verified = await app.audit.verify(OPERATOR, digest)  # `collab audit verify --digest`
        assert verified.intact and verified.covered == made.ledger_size and verified.newer == 0

        here.start_worker()
        client = await here.connect(store)
        await here.worker_polls(client)
        listed = await patiently(functools.partial(app.recovery.recover, dry_run=True))
        assert {(r.project_id, r.version) for r in listed} == {
            (pid, len(kept[pid])) for pid in pids
        }
        assert {r.project_id for r in await app.recovery.recover()} == set(pids)
        assert await app.recovery.reconcile() == []
        assert await recorded(store, pids) == kept  # nothing appended by recovering

        # the lives go on from the backup's state (the termination taken back is taken again)
        await run.step(second, TerminateProject, DERCI, reason="partner withdrew")
        for pid in pids:
            if pid != second:
                await run.step(pid, TerminateProject, DERCI, reason="end of the drill")
        for pid in pids:
            await run.wait_for(pid, lambda s: s.phase is Phase.TERMINATED)
        await finished(app, store, client, pids)
        after = await recorded(store, pids)
        for pid in pids:
            assert after[pid][: len(kept[pid])] == kept[pid], pid
            assert [e.type for e in after[pid][len(kept[pid]) :]] == ["ProjectTerminated"], pid
        verified = await app.audit.verify(OPERATOR, digest, seal=True)
        assert verified.intact and verified.covered == made.ledger_size
        assert verified.newer == len(pids)
