"""A time-skipping Temporal server and a worker per test, bound to the test's fresh
database (`event_store`, from tests/conftest.py)."""

from __future__ import annotations

import shutil
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from collab.projects import ProjectService
from worker import build_worker
from workflows.messages import ReminderNotice


def binary(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        raise RuntimeError(f"{name} not found: pip install the project's dependencies")
    return found


@pytest.fixture
async def ts_env() -> AsyncIterator[WorkflowEnvironment]:
    # one server per test (about a second to start): a test that fails mid-life leaves
    # timers behind that would hold the next test's virtual clock
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=binary("temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    try:
        yield env
    finally:
        await env.shutdown()


class RecordingNotifier:
    """Keeps what was handed over, so tests see what would reach people."""

    def __init__(self) -> None:
        self.sent: list[ReminderNotice] = []

    async def notify(self, notice: ReminderNotice) -> None:
        self.sent.append(notice)


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
async def service(ts_env, event_store, notifier) -> AsyncIterator[ProjectService]:
    client: Client = ts_env.client
    task_queue = f"tq-{uuid.uuid4()}"
    async with build_worker(client, event_store, task_queue, notifier):
        yield ProjectService(client, task_queue)
