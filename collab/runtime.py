"""The service's processes: `collab up` (everything on one machine: embedded PostgreSQL and
the Temporal dev server start only where no external server is configured), and the API,
the projector and the worker each alone, as production runs them."""

from __future__ import annotations

import asyncio
import contextlib
import secrets

import structlog
import uvicorn
from temporalio.client import Client
from temporalio.worker import Worker

from activities.digests import DigestActivities
from application.projects import ProjectService
from application.service import Application, assemble
from collab.database import open_store
from collab.embedded_temporal import start_dev_server
from collab.http import http_app
from collab.logging_setup import configure_logging, redact_calendar_tokens
from collab.mailer import DigestMailer, run_mailer
from collab.retention import run_retention
from collab.schedules import ensure_digest_schedule, ensure_iea_call_schedule
from collab.settings import Settings
from collab.temporal_client import connect_client
from collab.tracing import configure_tracing, traced_client
from collab.worker_build import build_worker
from eventstore.ledger import Ledger
from eventstore.postgres import PostgresEventStore
from readmodels.projector import Projector
from web.oidc import SignOnSettings

log = structlog.get_logger("collab.up")


async def run_service(settings: Settings) -> None:
    data_dir = settings.data_dir
    await asyncio.to_thread(data_dir.mkdir, parents=True, exist_ok=True)
    configure_tracing(settings)
    temporal = None
    if settings.temporal_address is None:
        temporal = await start_dev_server(
            data_dir / "temporal",
            settings.embedded_temporal_port,
            settings.embedded_temporal_ui_port,
            data_dir / "temporal.log",
        )
    try:
        async with open_store(settings, stop_embedded=True) as store:
            # one client (and its tracing interceptor) for the API and the worker
            client = traced_client(await connect_client(settings, store, worker_metrics=True))
            worker = await service_worker(settings, client, store)
            print(f"collab-lifecycle is up (data in {data_dir})", flush=True)
            print(f"  PostgreSQL : {_where_db(settings)}", flush=True)
            print(f"  Temporal   : {settings.temporal_target}", flush=True)
            if temporal is not None:
                print(f"  Web UI     : http://127.0.0.1:{settings.embedded_temporal_ui_port}")
            print(f"  worker     : task queue {settings.task_queue}", flush=True)
            print("  projector  : read models follow the event store", flush=True)
            app = assemble(
                store,
                ProjectService(client, settings.task_queue),
                settings.ledger_key_path,
                serving=True,
            )
            api = api_server(settings, app)
            print(f"  HTTP API   : http://{settings.api_host}:{settings.api_port} (docs: /docs)")
            print(f"  web pages  : http://{settings.api_host}:{settings.api_port}/ui/")
            print(f"  public URL : {settings.public_base} (COLLAB_PUBLIC_URL)")
            print("  operators  : /metrics (Prometheus), /healthz, /readyz", flush=True)
            if settings.otlp_endpoint:
                print(f"  traces     : OTLP to {settings.otlp_endpoint}")
            if settings.temporal_metrics_address:
                print(f"  SDK metrics: http://{settings.temporal_metrics_address}/metrics")
            if settings.smtp_host:
                print(f"  reminders  : e-mailed via {settings.smtp_host}:{settings.smtp_port}")
            else:
                print("  reminders  : kept in the outbox (set COLLAB_SMTP_HOST to e-mail them)")
            print("Ctrl-C stops everything.", flush=True)
            async with asyncio.TaskGroup() as tasks:
                tasks.create_task(worker.run())
                tasks.create_task(Projector(store).run())
                tasks.create_task(Ledger(store).run())
                tasks.create_task(api.serve())
                if settings.smtp_host:
                    tasks.create_task(run_mailer(settings, store))
                tasks.create_task(run_retention(settings, store, app.privacy))
    finally:
        if temporal is not None:
            temporal.terminate()
            with contextlib.suppress(Exception):
                await asyncio.to_thread(temporal.wait, 15)
        log.info("stopped")


def api_server(settings: Settings, app: Application) -> uvicorn.Server:
    secret = (
        settings.session_secret.encode() if settings.session_secret else secrets.token_bytes(32)
    )
    redact_calendar_tokens()
    config = uvicorn.Config(
        http_app(
            app,
            secret,
            settings.cookie_secure,
            public_url=settings.public_base,
            ready_max_projector_lag_s=settings.ready_max_projector_lag_s,
            sign_on=sign_on_settings(settings),
        ),
        host=settings.api_host,
        port=settings.api_port,
        log_config=None,
        lifespan="off",
    )
    server = uvicorn.Server(config)
    # ours stop everything (the TaskGroup of `collab up`, the CLI's signal handling)
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    return server


def sign_on_settings(settings: Settings) -> SignOnSettings | None:
    """The pages' sign-on with the institution's identity provider, when configured."""
    if not settings.oidc_discovery_url or not settings.oidc_client_id:
        return None
    return SignOnSettings(
        discovery_url=settings.oidc_discovery_url,
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret or None,  # compose passes "" for none
        match=settings.oidc_match,
        token_form=settings.oidc_token_form,
    )


async def run_api(settings: Settings) -> None:
    """The API and pages alone (a service of its own in production)."""
    configure_tracing(settings)
    async with open_store(settings) as store:
        client = traced_client(await connect_client(settings, store))
        projects = ProjectService(client, settings.task_queue)
        app = assemble(store, projects, settings.ledger_key_path, serving=True)
        await api_server(settings, app).serve()


def _where_db(settings: Settings) -> str:
    if settings.database_app_url:
        return "configured COLLAB_DATABASE_APP_URL"
    if settings.database_url:
        return "configured COLLAB_DATABASE_URL"
    return f"embedded, cluster in {settings.data_dir / 'postgres'}"


async def run_projector(settings: Settings) -> None:
    """The projector alone (a service of its own in production): follows the event store."""
    async with open_store(settings) as store:
        log.info("projector started", database=_where_db(settings))
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(Projector(store).run())
            tasks.create_task(Ledger(store).run())
            if settings.smtp_host:
                tasks.create_task(run_mailer(settings, store))
            # the people it erases have no project running: no workflow to tell
            privacy = assemble(store, None).privacy
            tasks.create_task(run_retention(settings, store, privacy))


async def service_worker(settings: Settings, client: Client, store: PostgresEventStore) -> Worker:
    """The worker as the service runs it. Every worker start makes sure (idempotently) that
    DERCI's yearly IEA call and the ledger's daily digest are scheduled."""
    await ensure_iea_call_schedule(client, settings.task_queue)
    await ensure_digest_schedule(client, settings.task_queue, settings.digest_hour_utc)
    deliver = DigestMailer(settings, store) if settings.smtp_host else None
    digests = DigestActivities(store, settings.ledger_key_path, settings.digest_path, deliver)
    return build_worker(
        client,
        store,
        settings.task_queue,
        max_cached_workflows=settings.worker_max_cached_workflows,
        digests=digests,
    )


async def run_worker(settings: Settings) -> None:
    configure_tracing(settings)
    async with open_store(settings) as store:
        # the worker inherits the client's tracing interceptor (collab.tracing)
        client = traced_client(await connect_client(settings, store, worker_metrics=True))
        worker = await service_worker(settings, client, store)
        log.info(
            "worker started",
            temporal=settings.temporal_target,
            namespace=settings.temporal_namespace,
            task_queue=settings.task_queue,
            max_cached_workflows=settings.worker_max_cached_workflows,
            sdk_metrics=settings.temporal_metrics_address or "off",
            traces=settings.otlp_endpoint or "off",
        )
        await worker.run()


def worker_main() -> None:
    settings = Settings()
    configure_logging(settings.log_format, settings.log_level)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_worker(settings))
