"""Traces (collab/tracing.py): off without an OTLP endpoint; on, one trace follows a request
from the API through the workflow update to the activity and the store's append, and the
log lines made within it carry its trace id."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import opentelemetry.trace
import pytest
import structlog
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from application.projects import ProjectService
from application.service import assemble
from collab import logging_setup, tracing
from collab.http import http_app
from collab.settings import Settings
from collab.worker_build import WORKFLOW_RUNNER, WORKFLOWS, build_worker
from collab.worker_memory import worker_data_converter
from tests.api.conftest import api  # noqa: F401 -- the API in process, over `service` below
from tests.api.test_api import REVIEWER, submitted

HISTORIES = sorted((Path(__file__).parent / "workflows" / "histories").glob("*.json"))


def _reset_global_provider() -> None:
    # the OpenTelemetry API sets its provider once a process; tests put it back
    opentelemetry.trace._TRACER_PROVIDER = None
    opentelemetry.trace._TRACER_PROVIDER_SET_ONCE = opentelemetry.util._once.Once()


def test_nothing_is_installed_without_an_endpoint():
    settings = Settings(otlp_endpoint="")  # compose's unset variable
    assert settings.otlp_endpoint is None
    assert tracing.configure_tracing(settings) is None
    assert not tracing.active()
    assert not isinstance(opentelemetry.trace.get_tracer_provider(), TracerProvider)
    # the HTTP app has no span middleware (no store needed to build it: nothing is read)
    app = http_app(assemble(cast(Any, object()), None), b"x" * 32)
    assert tracing.RequestSpans not in [m.cls for m in app.user_middleware]


def test_an_endpoint_is_the_collectors_traces_url():
    assert tracing.traces_url("http://collector:4318") == "http://collector:4318/v1/traces"
    assert tracing.traces_url("http://collector:4318/") == "http://collector:4318/v1/traces"
    assert tracing.traces_url("https://otel.example/in/traces") == "https://otel.example/in/traces"


@pytest.fixture
def spans(monkeypatch) -> Iterator[InMemorySpanExporter]:
    """Tracing on, as the service installs it, with spans kept in memory; the logs in JSON
    as the service writes them (kept for the test in `spans.log`)."""
    exporter = InMemorySpanExporter()
    monkeypatch.setattr(tracing, "_provider", None)  # put back (off) after the test
    provider = tracing.configure_tracing(Settings(otlp_endpoint=None), exporter=exporter)
    assert provider is not None and tracing.active()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    saved = structlog.get_config()
    monkeypatch.setattr(logging_setup, "_forward_temporal_core_logs", lambda: None)
    logging_setup.configure_logging("json", "INFO")
    log = io.StringIO()
    root.handlers[0].setStream(log)  # type: ignore[attr-defined]
    exporter.log = log  # type: ignore[attr-defined]
    try:
        yield exporter
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        structlog.configure(**saved)
        # tracers already handed out keep the provider: the exporter, stopped, drops
        # what later tests' appends make, quietly (a stopped processor would warn)
        exporter.shutdown()
        _reset_global_provider()


@pytest.fixture
async def service(spans, ts_env, event_store, notifier) -> AsyncIterator[ProjectService]:
    """The `api` fixture's service, on the traced client as the service wires it."""
    client = tracing.traced_client(ts_env.client)
    assert client is not ts_env.client
    task_queue = f"tq-{uuid.uuid4()}"
    async with build_worker(
        client, event_store, task_queue, notifier, workflow_runner=SandboxedWorkflowRunner()
    ):
        yield ProjectService(client, task_queue)


def _trace_of(spans: list[ReadableSpan], name: str) -> list[ReadableSpan]:
    [request] = [s for s in spans if s.name == name]
    assert request.parent is None
    return [s for s in spans if s.context.trace_id == request.context.trace_id]


def _names(spans: list[ReadableSpan]) -> list[str]:
    return sorted(s.name for s in spans)


async def test_one_trace_from_the_request_to_the_store(spans, api, ts_env):  # noqa: F811
    pid = await submitted(api)
    submit = _trace_of(list(spans.get_finished_spans()), "POST /projects")
    assert {
        "POST /projects",
        "StartUpdateWithStartWorkflow:Project",
        "HandleUpdate:execute",
        "StartActivity:append_events",
        "RunActivity:append_events",
        "eventstore.append",
    } <= set(_names(submit)), _names(submit)
    append = next(s for s in submit if s.name == "eventstore.append")
    run = next(s for s in submit if s.name == "RunActivity:append_events")
    assert append.parent is not None and append.parent.span_id == run.context.span_id
    assert dict(append.attributes or {}) == {"collab.stream_id": pid, "collab.event_count": 1}

    # a later step on the running workflow: its own trace, not the submission's
    await ts_env.sleep(timedelta(hours=1))
    r = await api.post("institute_officer", f"/projects/{pid}/reviewers", REVIEWER)
    assert r.status_code == 200, r.text
    step = _trace_of(list(spans.get_finished_spans()), "POST /projects/{project_id}/reviewers")
    assert {
        "StartWorkflowUpdate:execute",
        "HandleUpdate:execute",
        "StartActivity:append_events",
        "RunActivity:append_events",
        "eventstore.append",
    } <= set(_names(step)), _names(step)
    assert step[0].context.trace_id != submit[0].context.trace_id
    [request] = [s for s in step if s.name.startswith("POST")]
    assert dict(request.attributes or {}) == {
        "http.request.method": "POST",
        "http.response.status_code": 200,
        "http.route": "/projects/{project_id}/reviewers",
    }

    lines = [json.loads(line) for line in spans.log.getvalue().splitlines()]  # type: ignore[attr-defined]
    recorded = {line["event_type"]: line for line in lines if line.get("event") == "event recorded"}
    assert recorded["ApplicationSubmitted"]["trace_id"] == _hex(submit[0])
    assert recorded["ReviewerAssigned"]["trace_id"] == _hex(step[0])
    # the step the workflow's timer took (eligibility) is in a trace of its own
    assert recorded["EligibilityConfirmed"]["trace_id"] not in (_hex(submit[0]), _hex(step[0]))
    assert all(len(line["span_id"]) == 16 for line in recorded.values())


def _hex(span: ReadableSpan) -> str:
    return format(span.context.trace_id, "032x")


async def test_saved_histories_replay_with_the_tracing_interceptor():
    """The interceptor changes no command: every saved history replays with it, on the
    production worker's settings (tests/workflows/test_replay.py replays them without)."""
    replayer = Replayer(
        workflows=WORKFLOWS,
        workflow_runner=WORKFLOW_RUNNER,
        data_converter=worker_data_converter(pydantic_data_converter),
        interceptors=[tracing.CollabTracingInterceptor()],
    )
    assert len(HISTORIES) >= 3

    async def histories() -> AsyncIterator[WorkflowHistory]:
        for p in HISTORIES:
            yield WorkflowHistory.from_json(f"project-{p.stem}", p.read_text())

    async with replayer.workflow_replay_iterator(histories()) as results:
        replayed = 0
        async for result in results:
            assert result.replay_failure is None, result.history.workflow_id
            replayed += 1
    assert replayed == len(HISTORIES)
