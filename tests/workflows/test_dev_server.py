"""Against the real Temporal dev server: the yearly Schedule, and a worker process killed
mid-life (SIGKILL) and restarted while projects move on."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from application.audit import Audit, read_digest
from application.projects import ProjectService
from collab.embedded_temporal import temporal_binary
from collab.payload_sealing import sealing
from collab.schedules import DIGEST_SCHEDULE_ID, IEA_CALL_SCHEDULE_ID, ensure_iea_call_schedule
from domain.actors import OPERATOR
from domain.commands import (
    AssignReviewer,
    DecideApplication,
    SubmitApplication,
    SubmitReview,
    TerminateProject,
)
from domain.events import Recommendation
from domain.policy import DEFAULT_POLICY, iea_call_window
from domain.state import Phase, ProjectState, TrancheStatus
from eventstore.event_records import from_record
from eventstore.postgres import PostgresEventStore
from tests.builders import DERCI, INSTITUTE, application, pi_actor, reviewer, reviewer_actor
from workflows.iea_call import IeaCallWorkflow
from workflows.messages import iea_call_workflow_id

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
async def dev_env(tmp_path_factory) -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        dev_server_database_filename=str(tmp_path_factory.mktemp("temporal") / "t.db"),
        data_converter=pydantic_data_converter,
    )
    try:
        yield env
    finally:
        await env.shutdown()


class WorkerProcess:
    """`python worker.py` as operators run it, configured by environment variables."""

    def __init__(self, address: str, database_url: str, task_queue: str, log: Path) -> None:
        self.env = {
            **os.environ,
            "COLLAB_TEMPORAL_ADDRESS": address,
            "COLLAB_DATABASE_URL": database_url,
            "COLLAB_TASK_QUEUE": task_queue,
            "COLLAB_LOG_FORMAT": "json",
        }
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None
        self.kills = 0

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, str(ROOT / "worker.py")],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=out,
            )

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.kills += 1

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


# what a call meets while the worker or the server is down: ask again
_TRANSIENT = (RPCStatusCode.CANCELLED, RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.UNAVAILABLE)


def address_of(env: WorkflowEnvironment) -> str:
    return env.client.service_client.config.target_host


def service_client(env: WorkflowEnvironment, store: PostgresEventStore) -> Client:
    """The server's client as the service's own (worker.py's): names sealed with the
    people's keys in `store` (collab.payload_sealing)."""
    config = env.client.config()
    config["data_converter"] = sealing(pydantic_data_converter, store)
    return Client(**config)


async def test_schedule_opens_the_iea_call_each_june(dev_env, event_store, database_url, tmp_path):
    queue = f"tq-{uuid.uuid4()}"
    worker = WorkerProcess(address_of(dev_env), database_url, queue, tmp_path / "worker.log")
    worker.start()
    try:
        client = dev_env.client
        handle = await ensure_iea_call_schedule(client, queue)
        again = await ensure_iea_call_schedule(client, queue)  # idempotent at every start-up
        assert again.id == handle.id == IEA_CALL_SCHEDULE_ID
        desc = await handle.describe()
        cal = desc.schedule.spec.calendars[0]
        assert [r.start for r in cal.month] == [6] and [r.start for r in cal.day_of_month] == [1]
        next_run = desc.info.next_action_times[0]
        assert (next_run.month, next_run.day) == (6, 1)

        await handle.trigger()  # what the schedule does each June, now
        year = datetime.now(UTC).year
        call = client.get_workflow_handle_for(IeaCallWorkflow.run, iea_call_workflow_id(year))
        for _ in range(100):
            try:
                status = await call.query(IeaCallWorkflow.status)
                break
            except Exception:
                await asyncio.sleep(0.1)
        assert status.window == iea_call_window(year, DEFAULT_POLICY)

        # an IEA application is taken only while that call is open
        service = ProjectService(client, queue)
        now = datetime.now(UTC)
        command = SubmitApplication(
            command_id=uuid.uuid4(),
            actor=pi_actor(),
            at=now,
            project_id=f"IEA-{uuid.uuid4().hex[:6]}",
            application=application("IEA"),
        )
        if status.window.is_open_at(now):
            assert (await service.submit(command)).phase is Phase.SUBMITTED
        else:
            with pytest.raises(WorkflowUpdateFailedError) as err:
                await service.submit(command)
            refusal = str(err.value.cause)
            assert "an IEA application is accepted only during DERCI's annual call; " in refusal
            assert "the next call opens on 1 June " in refusal
            assert await event_store.read_stream(command.project_id) == []
    finally:
        worker.stop()


async def test_the_daily_digest_schedule_writes_a_signed_digest_the_record_extends(
    dev_env, event_store, database_url, make_events, tmp_path
):
    """The worker schedules the ledger's digest each day; triggered as the schedule would,
    it seals, signs with the key kept in a file and writes the digest outside the database."""
    client = dev_env.client
    with contextlib.suppress(RPCError):  # an earlier worker of this module made it
        await client.get_schedule_handle(DIGEST_SCHEDULE_ID).delete()
    await event_store.append("IRP-DIGEST", make_events("IRP-DIGEST", 3), 0)
    queue = f"tq-{uuid.uuid4()}"
    worker = WorkerProcess(address_of(dev_env), database_url, queue, tmp_path / "worker.log")
    worker.env["COLLAB_DATA_DIR"] = str(tmp_path / "data")
    worker.env["COLLAB_DIGEST_DIR"] = str(tmp_path / "digests")
    worker.start()
    try:
        handle = client.get_schedule_handle(DIGEST_SCHEDULE_ID)
        for _ in range(200):  # the worker creates it as it starts
            with contextlib.suppress(RPCError):
                desc = await handle.describe()
                break
            await asyncio.sleep(0.1)
        assert desc.schedule.action.task_queue == queue
        assert [r.start for r in desc.schedule.spec.calendars[0].hour] == [2]
        await handle.trigger()  # what the schedule does each night, now
        written: list[Path] = []
        for _ in range(300):
            written = sorted((tmp_path / "digests").glob("digest-*.json"))
            if written:
                break
            await asyncio.sleep(0.1)
        assert written, (tmp_path / "worker.log").read_text()[-2000:]
        head = read_digest(written[0].read_text())
        assert head.tree_size >= 3
        key = tmp_path / "data" / "keys" / "ledger-ed25519.pem"
        report = await Audit(event_store, key).verify(OPERATOR, head)
        assert report.intact and report.covered == head.tree_size
    finally:
        worker.stop()


async def test_a_service_first_started_during_the_call_opens_it_at_once(dev_env):
    """The Schedule runs nothing for a 1 June already past: a service installed in July
    must still take that year's IEA applications."""
    client, queue = dev_env.client, f"tq-{uuid.uuid4()}"
    year = 2031 + uuid.uuid4().int % 900  # a year no other test opened
    july = datetime(year, 7, 2, tzinfo=UTC)
    await ensure_iea_call_schedule(client, queue, now=july)
    call = client.get_workflow_handle(iea_call_workflow_id(year))
    first = await call.describe()
    assert first.status is WorkflowExecutionStatus.RUNNING
    await ensure_iea_call_schedule(client, queue, now=july + timedelta(days=1))  # a restart
    assert (await call.describe()).run_id == first.run_id  # the same call, not a second

    november = datetime(year + 1, 11, 2, tzinfo=UTC)  # outside the call: nothing opened
    await ensure_iea_call_schedule(client, queue, now=november)
    with pytest.raises(RPCError) as err:
        await client.get_workflow_handle(iea_call_workflow_id(year + 1)).describe()
    assert err.value.status is RPCStatusCode.NOT_FOUND
    await call.terminate(reason="test over")


async def test_a_refused_submission_raises_once_and_leaves_no_stray_error(dev_env):
    """The start's error reaches the caller; asyncio must not also log it as an error
    nobody retrieved (it did, once per submission, while Temporal was restarting)."""
    import gc

    stray: list[dict[str, object]] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _loop, context: stray.append(context))
    try:
        # a namespace the server does not have: it refuses the start at once
        client = Client(dev_env.client.service_client, namespace=f"missing-{uuid.uuid4()}")
        service = ProjectService(client, "tq")
        command = SubmitApplication(
            command_id=uuid.uuid4(),
            actor=pi_actor(),
            at=datetime.now(UTC),
            project_id=f"IRP-{uuid.uuid4()}",
            application=application("IRP"),
        )
        refused = None
        try:
            await service.submit(command)
        except RPCError as error:  # not pytest.raises: it would keep the frames alive
            refused = error.status
        assert refused is RPCStatusCode.NOT_FOUND
        gc.collect()  # an unretrieved future's error is reported when it is collected
        await asyncio.sleep(0)
        assert [c.get("message") for c in stray] == []
    finally:
        loop.set_exception_handler(None)


async def test_worker_killed_mid_life_loses_and_duplicates_nothing(
    dev_env, event_store, database_url, tmp_path
):
    queue = f"tq-{uuid.uuid4()}"
    worker = WorkerProcess(address_of(dev_env), database_url, queue, tmp_path / "worker.log")
    worker.start()
    service = ProjectService(service_client(dev_env, event_store), queue)
    projects = [f"IRP-kill-{i}-{uuid.uuid4().hex[:4]}" for i in range(6)]
    stop = asyncio.Event()

    async def chaos() -> None:
        # kills go on until every life is through its timers, so they land around the term start
        while not stop.is_set() and worker.kills < 12:
            await asyncio.sleep(2.5)
            worker.kill()
            await asyncio.sleep(0.3)
            worker.start()

    async def reached(pid: str, done: Callable[[ProjectState], bool]) -> None:
        # a query to a workflow whose worker was just killed waits for the next worker and
        # may time out: that says nothing about the life, so ask again
        while True:
            try:
                if done(await service.state(pid)):
                    return
            except RPCError as err:
                # a query meant for the killed worker's own queue, before the server gives
                # up on it: "no poller seen for task queue recently"
                killed = err.status is RPCStatusCode.FAILED_PRECONDITION and "poller" in str(err)
                if err.status not in _TRANSIENT and not killed:
                    raise
            await asyncio.sleep(0.3)

    async def send(pid: str, command) -> None:
        # the same command again is the same update (its id comes from the command id):
        # retrying one whose call timed out during a kill cannot apply it twice
        while True:
            try:
                if isinstance(command, SubmitApplication):
                    await service.submit(command)
                else:
                    await service.execute(pid, command)
                return
            except WorkflowUpdateRPCTimeoutOrCancelledError:
                await asyncio.sleep(0.5)
            except RPCError as err:
                if err.status not in _TRANSIENT:
                    raise
                await asyncio.sleep(0.5)

    async def life(pid: str) -> None:
        def cmd(cls, actor, **fields):
            return cls(command_id=uuid.uuid4(), actor=actor, at=datetime.now(UTC), **fields)

        await send(
            pid,
            SubmitApplication(
                command_id=uuid.uuid4(),
                actor=pi_actor(),
                at=datetime.now(UTC),
                project_id=pid,
                application=application("IRP"),
            ),
        )
        await reached(pid, lambda s: s.phase is Phase.UNDER_EVALUATION)
        await send(pid, cmd(AssignReviewer, INSTITUTE, reviewer=reviewer()))
        await send(
            pid,
            cmd(
                SubmitReview,
                reviewer_actor(),
                scores={"science": 5},
                recommendation=Recommendation.FUND,
            ),
        )
        # an update caught by kills waits out the sticky queue timeout (10 s), maybe more than
        # once; if it lands after the start it named, the rule refuses it (nothing recorded)
        # and the officer decides again with a later start, as a person would
        while True:
            try:
                await send(
                    pid,
                    cmd(
                        DecideApplication,
                        INSTITUTE,
                        approve=True,
                        awarded_eur=60_000,
                        term_starts_at=datetime.now(UTC) + timedelta(seconds=25),
                        reason="fund",
                    ),
                )
                break
            except WorkflowUpdateFailedError as err:
                if "is before the decision" not in str(err.cause):
                    raise
        # the term starts and tranche 1 is paid by timers, across kills
        await reached(
            pid, lambda s: s.term is not None and s.tranche(1).status is TrancheStatus.RELEASED
        )
        await send(pid, cmd(TerminateProject, DERCI, reason="end of test"))
        outcome = await service.handle(pid).result()
        assert outcome.phase is Phase.TERMINATED

    chaos_task = asyncio.create_task(chaos())
    try:
        await asyncio.wait_for(asyncio.gather(*(life(p) for p in projects)), timeout=240)
    finally:
        stop.set()
        await chaos_task
        worker.stop()

    assert worker.kills >= 3
    expected = [
        "ApplicationSubmitted",
        "EligibilityConfirmed",
        "ReviewerAssigned",
        "ReviewSubmitted",
        "ApplicationApproved",
        "TermStarted",
        "TrancheReleased",
        "ProjectTerminated",
    ]
    for pid in projects:
        events = [from_record(e) for e in await event_store.read_stream(pid)]
        assert [e.type for e in events] == expected, pid
        assert [e.version for e in events] == list(range(1, 9))
    assert await event_store.verify() is None
