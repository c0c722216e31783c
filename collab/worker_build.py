"""The worker: every workflow and activity of collab-lifecycle on one task queue, built the
same way for the service, the tests and the benchmarks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
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

# How long a workflow task waits on this worker's sticky queue (the worker that caches the
# workflow) before the server moves it to the task queue that every worker polls. A moved
# task comes with the run's whole history: the worker drops the cached workflow and replays
# the run (about 60 events) where it had one timer's firing to apply, and the one poller of
# the normal queue (nonsticky_to_sticky_poll_ratio 0.2 of 5) takes such tasks. The SDK's
# 10 s is shorter than a burst of wake-ups can take on a loaded machine: 1,000 terms
# starting at one instant, load 4-8, 61 of 200 projects sampled had their task moved and
# the burst's last 15 s went at about 20 projects a second instead of 80 (bench/burst.py).
# The cost of a longer wait: a task already on the queue of a worker that was killed waits
# this long for another worker (one that shuts down tells the server; new tasks skip a
# sticky queue nobody has polled for 10 s).
STICKY_QUEUE_TIMEOUT = timedelta(seconds=30)
# Workflow tasks the worker holds at once, each activated on a thread of its own. Every
# activation thread and the event loop (polls, completions, every append activity) queue
# for the one GIL: with the SDK's 100, a burst's activations ran one at a time anyway and
# each took 0.8 s from its start to its completion instead of 0.04 s (the SDK's 2 s
# deadlock limit counts that wait), the appends waited on the loop (1.5 s), so their slots
# stayed full and new activities were no longer handed over eagerly (bench/burst.py,
# N=1,000, load 3-4). 20 still starved the loop (appends 1.1 s, the burst 13.3 s where 10
# took 8.5 s). The tasks beyond these wait on the server, in order.
MAX_CONCURRENT_WORKFLOW_TASKS = 10


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
        sticky_queue_schedule_to_start_timeout=STICKY_QUEUE_TIMEOUT,
        max_concurrent_workflow_tasks=MAX_CONCURRENT_WORKFLOW_TASKS,
    )
