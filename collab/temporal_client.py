"""Connecting to Temporal with the data converter every part of the system uses: pydantic's,
with people's names and e-mails sealed in every payload (collab.payload_sealing)."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from collab.payload_sealing import sealing
from collab.settings import Settings
from eventstore.postgres import PostgresEventStore

# one runtime a process: its Prometheus endpoint binds its address once
_runtimes: dict[str, Runtime] = {}


def sdk_metrics_runtime(bind_address: str) -> Runtime:
    """A Temporal runtime that serves the SDK's own metrics (the worker's slots, polls,
    latencies) in Prometheus' format at `bind_address` (host:port)."""
    runtime = _runtimes.get(bind_address)
    if runtime is None:
        runtime = Runtime(
            telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=bind_address))
        )
        _runtimes[bind_address] = runtime
    return runtime


async def connect_client(
    settings: Settings, store: PostgresEventStore, *, worker_metrics: bool = False
) -> Client:
    """`store`: where people's keys are kept. `worker_metrics`: this client runs the
    process's worker; with Settings.temporal_metrics_address set, the SDK's metrics are
    served there."""
    address = settings.temporal_metrics_address if worker_metrics else None
    return await Client.connect(
        settings.temporal_target,
        namespace=settings.temporal_namespace,
        data_converter=sealing(pydantic_data_converter, store),
        runtime=sdk_metrics_runtime(address) if address else None,
    )
