"""The worker: every workflow and activity of collab-lifecycle on one task queue, built the
same way for the service, the tests and the benchmarks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.digests import DigestActivities
from activities.notifications import LogNotifier, NotificationActivities, Notifier
from activities.persistence import PersistenceActivities
from activities.policy import PolicyActivities
from collab.settings import WORKER_MAX_CACHED_WORKFLOWS
from collab.worker_memory import CollabWorker, worker_data_converter
from eventstore.recorder import EventRecorder
from workflows.iea_call import IeaCallOpener, IeaCallWorkflow
from workflows.ledger_digest import LedgerDigestWorkflow
from workflows.project import ProjectWorkflow

WORKFLOWS = [ProjectWorkflow, IeaCallWorkflow, IeaCallOpener, LedgerDigestWorkflow]
# The sandbox stays on: each workflow run gets its own restricted importer, builtins and
# module proxies. Our workflow modules are passed through instead of re-imported for every
# run (and again after every eviction): they hold no state (constants and classes only) and
# their code is deterministic, like `domain` and `workflows.messages` which they already
# import passed through. A re-import cost a cached project about 33 KB of Python objects (the
# module's code objects, functions and class, compiled again: 3-5 ms) and left a cycle of
# garbage per finished run. tests/workflows/test_replay.py still replays the saved
# histories with the SDK's default sandbox, which re-imports and restricts these modules.
WORKFLOW_RUNNER = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules("workflows")
)


def build_worker(
    client: Client,
    store: EventRecorder,
    task_queue: str,
    notifier: Notifier | None = None,
    *,
    max_cached_workflows: int = WORKER_MAX_CACHED_WORKFLOWS,
    workflow_runner: WorkflowRunner = WORKFLOW_RUNNER,
    digests: DigestActivities | None = None,
) -> Worker:
    """The worker; `max_cached_workflows` (Settings.worker_max_cached_workflows) bounds its
    memory: past it, the least recently used workflow is evicted and replayed from its
    history when it next has work. Tests pass the SDK's default sandbox as
    `workflow_runner`: it re-imports and restricts our workflow modules, so a workflow
    calling the clock, a random source or I/O fails there (production passes them through).
    `digests`: the daily digest's activity (the service's workers have it)."""
    persistence = PersistenceActivities(store)
    notifications = NotificationActivities(notifier or LogNotifier())
    activities: list[Callable[..., Any]] = [
        persistence.append_events,
        notifications.deliver_reminder,
        PolicyActivities(store).policy_in_force,
    ]
    if digests is not None:
        activities.append(digests.write_digest)
    config = client.config()
    converter = worker_data_converter(config["data_converter"])
    if converter is not config["data_converter"]:
        config["data_converter"] = converter
        client = Client(**config)  # the same connection
    return CollabWorker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=activities,
        max_cached_workflows=max_cached_workflows,
        workflow_runner=workflow_runner,
    )
