"""Saved histories stand for projects running in production: today's workflow code must
replay them exactly, or a deployment would break running projects."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from collab.worker_build import WORKFLOW_RUNNER, WORKFLOWS
from collab.worker_memory import worker_data_converter

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def test_histories_are_present():
    names = {p.stem for p in HISTORIES}
    assert {"iea-late-report-run1", "irp-renewed-run1", "irp-renewed-run2"} <= names


# The SDK's default sandbox re-imports the workflow modules for each run and restricts them:
# a workflow module calling what a workflow must not (datetime.now(), random, I/O) fails
# there even though the production worker passes it through. The production settings are
# the worker's own runner (workflow modules passed through) and data converter (one payload
# converter shared by all workflow instances).
REPLAYERS = {
    "default-sandbox": lambda: Replayer(
        workflows=WORKFLOWS, data_converter=pydantic_data_converter
    ),
    "production-worker": lambda: Replayer(
        workflows=WORKFLOWS,
        workflow_runner=WORKFLOW_RUNNER,
        data_converter=worker_data_converter(pydantic_data_converter),
    ),
}


@pytest.mark.parametrize("settings", REPLAYERS)
@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_current_code_replays_saved_history(path: Path, settings: str):
    history = WorkflowHistory.from_json(f"project-{path.stem}", path.read_text())
    result = await REPLAYERS[settings]().replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None


async def test_a_breaking_change_is_caught(monkeypatch):
    """The replay test must be able to fail: change how steps are scheduled and replay."""
    import domain.automation as automation

    real = automation.next_step

    def shifted(state, policy):
        step = real(state, policy)
        if step is None:
            return None
        return type(step)(
            due_at=step.due_at.replace(year=step.due_at.year + 1),
            label=step.label,
            build=step.build,
        )

    # the sandbox re-imports the workflow module, which picks the patched function up
    monkeypatch.setattr(automation, "next_step", shifted)
    path = next(p for p in HISTORIES if p.stem == "irp-renewed-run1")
    history = WorkflowHistory.from_json("project-irp", path.read_text())
    replayer = Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is not None


def test_saved_histories_include_runs_ended_by_the_history_bound():
    """A run that continued as new within its term (the history bound, not a new term)
    is replayed: the patched bound is covered."""
    bounded = 0
    for path in HISTORIES:
        history = WorkflowHistory.from_json(path.stem, path.read_text())
        last = history.events[-1]
        if last.HasField("workflow_execution_continued_as_new_event_attributes"):
            bounded += len(history.events) < 100
    assert bounded >= 3


def test_due_steps_together_is_asked_as_each_run_begins():
    """Since patches-at-run-start, due-steps-together's marker (and the search attribute
    upsert that comes with it) is recorded in a run's first workflow task, never in the one
    a timer wakes: every term starting on 1 January would record it at that instant."""
    recorded = 0
    for path in HISTORIES:
        history = WorkflowHistory.from_json(path.stem, path.read_text())
        tasks_done, at_start = 0, False
        for event in history.events:
            if event.HasField("workflow_task_completed_event_attributes"):
                tasks_done += 1
            if not event.HasField("marker_recorded_event_attributes"):
                continue
            patch = event.marker_recorded_event_attributes.details.get("patch-data")
            patch_id = json.loads(patch.payloads[0].data)["id"] if patch else None
            if patch_id == "patches-at-run-start":
                at_start = tasks_done == 1
            elif patch_id == "due-steps-together" and at_start:
                assert tasks_done == 1, path.stem
                recorded += 1
    assert recorded >= 10
