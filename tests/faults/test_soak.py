"""Project lives keep going while everything under them fails: the worker process is
SIGKILLed again and again, PostgreSQL restarts, the Temporal dev server restarts (its
SQLite file kept). At the end every life has finished and the event store holds exactly
the expected events: none lost, none duplicated, every hash chain intact.

The default run is short; `pytest -m slow tests/faults` runs the full soak (200 lives,
20 kills, 3 PostgreSQL restarts, 1 Temporal restart)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from temporalio.client import (
    Client,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError

from application.projects import ProjectService
from collab.embedded_temporal import launch_dev_server, wait_for_port
from collab.payload_sealing import sealing
from domain.commands import (
    AssignReviewer,
    DecideApplication,
    SubmitApplication,
    SubmitReview,
    TerminateProject,
)
from domain.events import Recommendation
from domain.state import Phase, TrancheStatus
from eventstore.embedded import start_embedded_postgres, with_database
from eventstore.postgres import PostgresEventStore
from tests.builders import DERCI, INSTITUTE, application, pi_actor, reviewer, reviewer_actor

ROOT = Path(__file__).resolve().parents[2]
LIFE = [
    "ApplicationSubmitted",
    "EligibilityConfirmed",
    "ReviewerAssigned",
    "ReviewSubmitted",
    "ApplicationApproved",
    "TermStarted",
    "TrancheReleased",
    "ProjectTerminated",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Chaos:
    """The machinery under test, with a hand on every switch."""

    tmp: Path
    task_queue: str = field(default_factory=lambda: f"soak-{uuid.uuid4().hex[:6]}")
    port: int = field(default_factory=free_port)
    counts: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.db_url, self.pg = start_embedded_postgres(self.tmp / "pg", cleanup_mode="delete")
        self.temporal: subprocess.Popen[bytes] | None = None
        self.worker: subprocess.Popen[bytes] | None = None

    async def start_temporal(self) -> None:
        self.temporal = launch_dev_server(
            self.tmp / "temporal", self.port, free_port(), self.tmp / "temporal.log"
        )
        await wait_for_port("127.0.0.1", self.port, within=180)

    async def restart_temporal(self) -> None:
        assert self.temporal is not None
        self.temporal.terminate()
        try:
            await asyncio.to_thread(self.temporal.wait, 30)
        except subprocess.TimeoutExpired:
            # a loaded machine can stall a graceful stop: the SQLite file survives a kill
            self.temporal.kill()
            await asyncio.to_thread(self.temporal.wait)
        await asyncio.sleep(1)
        await self.start_temporal()  # same SQLite file: every workflow is still there
        self.counts["temporal restarts"] += 1

    def start_worker(self, database_url: str) -> None:
        env = {
            **os.environ,
            "COLLAB_TEMPORAL_ADDRESS": f"127.0.0.1:{self.port}",
            "COLLAB_DATABASE_URL": database_url,
            "COLLAB_TASK_QUEUE": self.task_queue,
            "COLLAB_LOG_FORMAT": "json",
        }
        with (self.tmp / "worker.log").open("ab") as log:
            self.worker = subprocess.Popen(
                [sys.executable, str(ROOT / "worker.py")],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=log,
            )

    def kill_worker(self) -> None:
        assert self.worker is not None
        self.worker.send_signal(signal.SIGKILL)
        self.worker.wait()
        self.counts["worker kills"] += 1

    async def restart_postgres(self) -> None:
        await asyncio.to_thread(self.pg.stop)
        await asyncio.sleep(1)
        await asyncio.to_thread(self.pg.start)
        self.counts["postgres restarts"] += 1

    def close(self) -> None:
        for proc in (self.worker, self.temporal):
            if proc and proc.poll() is None:
                proc.kill()
                proc.wait()
        self.pg.cleanup()


async def patiently(call: Any, *args: Any) -> Any:
    """Retry what the outage interrupted, with the same arguments: an Update's id is its
    command id, so a retry of a step that did land returns its first result."""
    for _ in range(240):
        try:
            return await call(*args)
        except (
            TimeoutError,
            RPCError,
            WorkflowUpdateRPCTimeoutOrCancelledError,
            OSError,  # the database restarting: people's keys unreadable a moment
            asyncpg.PostgresError,
            asyncpg.InterfaceError,
        ):
            await asyncio.sleep(0.5)
    raise AssertionError(f"{call} never succeeded")


async def decide_with_a_term_start_ahead(service: ProjectService, pid: str, cmd: Any) -> None:
    """Approve with a term starting a few seconds ahead. An outage can hold the decision
    until its term start has passed: the workflow then refuses it (a term cannot start
    before its decision) and nothing is recorded, so the institute decides again with a
    later start, as a user would."""
    for _ in range(20):
        starts = datetime.now(UTC) + timedelta(seconds=random.uniform(1, 6))
        decide = cmd(
            DecideApplication,
            INSTITUTE,
            approve=True,
            awarded_eur=60_000,
            term_starts_at=starts,
            reason="fund",
        )
        try:
            await patiently(service.execute, pid, decide)
            return
        except WorkflowUpdateFailedError as refused:
            if "is before the decision" not in str(refused.cause):
                raise
    raise AssertionError(f"{pid}: every decision came after its term start")


async def live(service: ProjectService, pid: str, faults_over: asyncio.Event) -> None:
    def cmd(cls: type[Any], actor: Any, **fields: Any) -> Any:
        return cls(command_id=uuid.uuid4(), actor=actor, at=datetime.now(UTC), **fields)

    async def until(predicate: Any) -> None:
        while not predicate(await patiently(service.state, pid)):
            await asyncio.sleep(0.3)

    submit = SubmitApplication(
        command_id=uuid.uuid4(),
        actor=pi_actor(),
        at=datetime.now(UTC),
        project_id=pid,
        application=application("IRP"),
    )
    await patiently(service.submit, submit)
    await until(lambda s: s.phase is Phase.UNDER_EVALUATION)
    await patiently(service.execute, pid, cmd(AssignReviewer, INSTITUTE, reviewer=reviewer()))
    review = cmd(
        SubmitReview, reviewer_actor(), scores={"science": 5}, recommendation=Recommendation.FUND
    )
    await patiently(service.execute, pid, review)
    await decide_with_a_term_start_ahead(service, pid, cmd)
    await until(lambda s: s.term is not None and s.tranche(1).status is TrancheStatus.RELEASED)
    # the lives under way hold their last step until every planned fault has struck them
    await faults_over.wait()
    await patiently(service.execute, pid, cmd(TerminateProject, DERCI, reason="end of soak"))
    await until(lambda s: s.phase is Phase.TERMINATED)


async def soak(tmp: Path, lives: int, kills: int, pg_restarts: int, temporal_restarts: int):
    chaos = Chaos(tmp)
    admin = await asyncpg.connect(chaos.db_url)
    await admin.execute("CREATE DATABASE soak")
    await admin.close()
    url = with_database(chaos.db_url, "soak")
    keys: PostgresEventStore | None = None
    try:
        await chaos.start_temporal()
        chaos.start_worker(url)
        # a client as the service's own: people's names sealed with their keys, read from
        # the database the chaos restarts (a step then waits for it, as everything does)
        keys = await PostgresEventStore.connect(url)
        client = await Client.connect(
            f"127.0.0.1:{chaos.port}", data_converter=sealing(pydantic_data_converter, keys)
        )
        service = ProjectService(client, chaos.task_queue)
        pids = [f"IRP-soak-{i:03d}" for i in range(lives)]
        gate = asyncio.Semaphore(25)
        faults_over = asyncio.Event()

        async def one(pid: str) -> None:
            async with gate:
                await live(service, pid, faults_over)

        work = asyncio.gather(*(one(p) for p in pids))
        try:
            await _faults_then_wait(
                chaos, work, faults_over, url, kills, pg_restarts, temporal_restarts
            )
        finally:
            if not work.done():  # never leave lives running behind a failed soak
                work.cancel()
                with contextlib.suppress(BaseException):
                    await work

        store = await PostgresEventStore.connect(url)
        try:
            per_life = {pid: [e.type for e in await store.read_stream(pid)] for pid in pids}
            broken = await store.verify()
            async with store.connection() as conn:
                total = await conn.fetchval("SELECT count(*) FROM events")
                ids = await conn.fetchval("SELECT count(DISTINCT event_id) FROM events")
        finally:
            await store.close()
        return chaos.counts, per_life, broken, total, ids
    finally:
        if keys is not None:
            await keys.close()
        chaos.close()


async def _faults_then_wait(
    chaos: Chaos,
    work: Any,
    faults_over: asyncio.Event,
    url: str,
    kills: int,
    pg_restarts: int,
    temporal_restarts: int,
) -> None:
    # faults spread over the run; a restart of the dev server in the middle
    plan = ["kill"] * kills + ["pg"] * pg_restarts + ["temporal"] * temporal_restarts
    random.Random(7).shuffle(plan)
    for fault in plan:
        await asyncio.sleep(random.uniform(0.8, 2.0))
        if work.done():  # lives wait for the faults: only a failed life ends this early
            await work
        if fault == "kill":
            chaos.kill_worker()
            await asyncio.sleep(0.3)
            chaos.start_worker(url)
        elif fault == "pg":
            await chaos.restart_postgres()
        else:
            await chaos.restart_temporal()
    faults_over.set()
    started = time.monotonic()
    await asyncio.wait_for(work, timeout=900)
    chaos.counts["seconds after the last fault"] = round(time.monotonic() - started)


def check(result: tuple, lives: int) -> None:
    counts, per_life, broken, total, ids = result
    wrong = {pid: types for pid, types in per_life.items() if types != LIFE}
    assert not wrong, f"lives with lost, duplicated or extra events: {wrong}"
    assert total == ids == lives * len(LIFE), (total, ids)
    assert broken is None
    print(f"\nsoak: {lives} lives, {total} events exactly as expected; faults: {dict(counts)}")


async def test_lives_survive_kills_and_restarts(tmp_path):
    result = await soak(tmp_path, lives=24, kills=5, pg_restarts=1, temporal_restarts=1)
    faults = result[0]
    assert faults["worker kills"] == 5 and faults["postgres restarts"] == 1
    assert faults["temporal restarts"] == 1
    check(result, 24)


@pytest.mark.slow
async def test_soak_200_lives_20_kills_3_postgres_restarts_1_temporal_restart(tmp_path):
    result = await soak(tmp_path, lives=200, kills=20, pg_restarts=3, temporal_restarts=1)
    faults = result[0]
    assert faults["worker kills"] == 20 and faults["postgres restarts"] == 3
    assert faults["temporal restarts"] == 1
    check(result, 200)
