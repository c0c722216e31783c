"""OpenTelemetry traces, off unless Settings.otlp_endpoint is set: one trace follows a request
from the API through the workflow update it sends to the activity and the store's append.

Off (the default), no tracer provider is installed: the spans the code opens (the store's
append) are the OpenTelemetry API's no-op ones, the Temporal client gets no interceptor and
the HTTP app no middleware. On, spans go in batches to an OTLP/HTTP collector; the usual
OTEL_* variables (OTEL_EXPORTER_OTLP_HEADERS, OTEL_TRACES_SAMPLER,
OTEL_RESOURCE_ATTRIBUTES...) still apply. No span carries a person's data or SQL text."""

from __future__ import annotations

import contextlib
import inspect
from typing import Any
from urllib.parse import urlsplit

import opentelemetry.context
import opentelemetry.propagate
import opentelemetry.trace
import temporalio.worker
from fastapi import FastAPI
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.trace import SpanKind
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.client import Client
from temporalio.contrib.opentelemetry import (
    TracingInterceptor,
    TracingWorkflowInboundInterceptor,
)

from collab.settings import Settings

_provider: TracerProvider | None = None
# FastAPI(**FASTAPI_NATIVE_TRACING_OFF): versions with native telemetry take the argument
FASTAPI_NATIVE_TRACING_OFF: dict[str, Any] = (
    {"telemetry": {"tracing": False}}
    if "telemetry" in inspect.signature(FastAPI.__init__).parameters
    else {}
)
_tracer = opentelemetry.trace.get_tracer("collab.http")


def configure_tracing(
    settings: Settings, *, exporter: SpanExporter | None = None
) -> TracerProvider | None:
    """Install the process's tracer provider when Settings.otlp_endpoint is set (or, for
    tests, `exporter` is given: spans go to it as each ends). Returns it, or None when
    tracing stays off. Idempotent: the provider is the process's, installed once."""
    global _provider
    if _provider is not None:
        return _provider
    if exporter is None and settings.otlp_endpoint is None:
        return None
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: settings.service_name}))
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        assert settings.otlp_endpoint is not None
        otlp = OTLPSpanExporter(endpoint=traces_url(settings.otlp_endpoint))
        provider.add_span_processor(BatchSpanProcessor(otlp))
    opentelemetry.trace.set_tracer_provider(provider)
    _provider = provider
    return provider


def traces_url(endpoint: str) -> str:
    """The OTLP/HTTP traces URL: a bare collector address (http://collector:4318) gets the
    standard path /v1/traces; an address with a path is taken as it is."""
    if urlsplit(endpoint).path in ("", "/"):
        return endpoint.rstrip("/") + "/v1/traces"
    return endpoint


def active() -> bool:
    """Whether configure_tracing installed a provider in this process."""
    return _provider is not None


def traced_client(client: Client) -> Client:
    """`client` with the tracing interceptor when tracing is on (the same connection), else
    `client` itself. A worker built on it inherits the interceptor: its workflows and
    activities continue the trace of the update or start that reached them."""
    if not active() or any(
        isinstance(i, TracingInterceptor) for i in client.config()["interceptors"]
    ):
        return client
    config = client.config()
    config["interceptors"] = [*config["interceptors"], CollabTracingInterceptor()]
    return Client(**config)


class CollabTracingInterceptor(TracingInterceptor):
    """The SDK's tracing interceptor, with an update continuing its own trace.

    The SDK's workflow side runs an update's handler in the trace of the workflow's start
    and only links the update's: every step of a project would land in the trace of its
    submission (continued as new, for its whole life). Here the handler runs under the
    update's own context, so the activity it calls and the store's append are in the trace
    of the request that sent the step. Steps the workflow takes itself (timers) are not in
    the trace of its start (a project lives for years): their activity starts its own.
    Spans are never made on replay (the SDK's rule), and the context changes no command:
    replay is unaffected."""

    def workflow_interceptor_class(
        self, input: temporalio.worker.WorkflowInterceptorClassInput
    ) -> type[TracingWorkflowInboundInterceptor]:
        super().workflow_interceptor_class(input)
        return _UpdateInItsOwnTrace


class _UpdateInItsOwnTrace(TracingWorkflowInboundInterceptor):
    async def execute_workflow(self, input: temporalio.worker.ExecuteWorkflowInput) -> Any:
        # RunWorkflow in the trace of the start; the run itself (steps its timers take, for
        # years, and the next run it continues as) in none: each such step's activity
        # begins a trace of its own rather than joining the submission's
        with self._top_level_workflow_context(success_is_complete=False):
            self._completed_span(
                f"RunWorkflow:{temporalio.workflow.info().workflow_type}", kind=SpanKind.SERVER
            )
        context = self._set_on_context(opentelemetry.context.Context())
        token = opentelemetry.context.attach(context)
        try:
            return await self.next.execute_workflow(input)
        finally:
            _detach(context, token)

    def _update_context(
        self, input: temporalio.worker.HandleUpdateInput
    ) -> opentelemetry.context.Context | None:
        header = input.headers.get(self.header_key)
        if not header:
            return None
        carrier = self.payload_converter.from_payloads([header])[0]
        if not carrier:
            return None
        return self._set_on_context(self.text_map_propagator.extract(carrier))

    def handle_update_validator(self, input: temporalio.worker.HandleUpdateInput) -> None:
        context = self._update_context(input)
        if context is None:  # an untraced client's: in no trace, as the run
            self.next.handle_update_validator(input)
            return
        token = opentelemetry.context.attach(context)
        try:
            self._completed_span(f"ValidateUpdate:{input.update}", kind=SpanKind.SERVER)
            self.next.handle_update_validator(input)
        finally:
            _detach(context, token)

    async def handle_update_handler(self, input: temporalio.worker.HandleUpdateInput) -> Any:
        context = self._update_context(input)
        if context is None:
            return await self.next.handle_update_handler(input)
        token = opentelemetry.context.attach(context)
        try:
            self._completed_span(f"HandleUpdate:{input.update}", kind=SpanKind.SERVER)
            return await self.next.handle_update_handler(input)
        finally:
            _detach(context, token)


def _detach(context: opentelemetry.context.Context, token: Any) -> None:
    # as the SDK's attached_context: an evicted workflow's handler may be finalized in
    # another contextvars.Context, where the token is not valid and nothing is attached
    if context is opentelemetry.context.get_current():
        with contextlib.suppress(ValueError):
            token.var.reset(token)


class RequestSpans:
    """A server span for each HTTP request (pure ASGI), named by its route's template
    (`POST /projects/{project_id}/reviewers`): never the path itself, which may carry a
    calendar token. A traceparent header from a traced proxy is continued."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        method = scope["method"]
        carrier = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        parent = opentelemetry.propagate.extract(carrier)
        with _tracer.start_as_current_span(
            f"{method}", context=parent, kind=SpanKind.SERVER
        ) as span:
            span.set_attribute("http.request.method", method)

            async def status_noted(message: Message) -> None:
                if message["type"] == "http.response.start":
                    status = message["status"]
                    span.set_attribute("http.response.status_code", status)
                    if status >= 500:
                        span.set_status(opentelemetry.trace.StatusCode.ERROR)
                await send(message)

            try:
                await self._app(scope, receive, status_noted)
            finally:
                route = getattr(scope.get("route"), "path", None)
                if route:
                    span.set_attribute("http.route", route)
                    span.update_name(f"{method} {route}")
