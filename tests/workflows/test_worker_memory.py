"""What the worker does to keep a cached project small (bench/lives.py measures it): the
workflow modules are passed through the sandbox instead of re-imported for each run, and
every workflow instance shares one payload converter."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime

from temporalio.contrib.pydantic import PydanticPayloadConverter, pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from collab.worker_build import WORKFLOW_RUNNER, build_worker
from collab.worker_memory import _SharedPydanticPayloadConverter, worker_data_converter
from domain.commands import Command, TerminateProject
from tests.builders import DERCI
from workflows.messages import AppendOutcome, ProjectInput


def test_the_sandbox_stays_on_with_only_our_workflow_modules_passed_through():
    assert isinstance(WORKFLOW_RUNNER, SandboxedWorkflowRunner)
    restrictions = WORKFLOW_RUNNER.restrictions
    assert not restrictions.passthrough_all_modules
    assert restrictions.passthrough_modules - SandboxRestrictions.default.passthrough_modules == {
        "workflows"
    }
    # nothing else relaxed: the same invalid modules and module members as the default
    assert restrictions == SandboxRestrictions.default.with_passthrough_modules("workflows")


def test_workflow_instances_share_one_pydantic_payload_converter():
    converter = worker_data_converter(pydantic_data_converter)
    first, second = converter.payload_converter_class(), converter.payload_converter_class()
    assert first is second
    assert isinstance(first, PydanticPayloadConverter)
    # everything else of the client's converter is kept
    assert converter.failure_converter_class is pydantic_data_converter.failure_converter_class
    assert converter.payload_codec is pydantic_data_converter.payload_codec


def test_the_shared_converter_converts_as_pydantic_s_own():
    ours = worker_data_converter(pydantic_data_converter).payload_converter
    theirs = pydantic_data_converter.payload_converter
    command = TerminateProject(
        command_id=uuid.uuid4(), actor=DERCI, at=datetime.now(UTC), reason="partner withdrew"
    )
    values = [
        ProjectInput(project_id="IRP-1"),
        AppendOutcome(last_version=3, positions=(7,), written=True),
        command,
    ]
    hints: list[type] = [ProjectInput, AppendOutcome, Command]  # type: ignore[list-item]
    payloads = ours.to_payloads(values)
    assert [p.data for p in payloads] == [p.data for p in theirs.to_payloads(values)]
    assert ours.from_payloads(payloads, hints) == theirs.from_payloads(payloads, hints) == values


def test_other_data_converters_are_left_alone():
    plain = DataConverter.default
    assert worker_data_converter(plain) is plain
    custom = dataclasses.replace(pydantic_data_converter, payload_converter_class=_Custom)
    assert worker_data_converter(custom) is custom


async def test_the_worker_uses_the_shared_converter_over_the_client_s_own_connection(
    ts_env, event_store
):
    client = ts_env.client
    worker = build_worker(client, event_store, f"tq-{uuid.uuid4()}")
    ours = worker.client
    assert ours.data_converter.payload_converter_class is _SharedPydanticPayloadConverter
    # the same connection, namespace and interceptors: only the converter differs
    assert ours.service_client is client.service_client
    assert ours.namespace == client.namespace
    assert ours.config()["interceptors"] == client.config()["interceptors"]
    assert worker.config()["workflow_runner"] is WORKFLOW_RUNNER


class _Custom(PydanticPayloadConverter):
    pass
