"""What operators see: /metrics (Prometheus' text format, parsed with the client library's
own parser), /healthz and /readyz, on the real database and the running app; and that
none of them names a person or a project."""

from __future__ import annotations

import asyncio
import secrets
import socket
import urllib.request
import uuid

import httpx
from prometheus_client.parser import text_string_to_metric_families

from application.service import assemble
from collab.http import http_app
from collab.settings import Settings
from collab.temporal_client import sdk_metrics_runtime
from eventstore.postgres import PostgresEventStore
from readmodels.projector import migrate_read_models
from tests.api.conftest import PEOPLE
from tests.builders import application

APP = application("IRP").model_dump(mode="json")


async def scrape(http: httpx.AsyncClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    r = await http.get("/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(r.text)
        for s in family.samples
    }


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_a_taken_and_a_refused_step_move_the_counters(api):
    before = await scrape(api.http)
    pid = f"IRP-{uuid.uuid4().hex[:6]}"
    r = await api.post("coordinator", "/projects", {"project_id": pid, "application": APP})
    assert r.status_code == 201, r.text
    # refused by a rule: the person named is no registered reviewer
    r = await api.post("institute_officer", f"/projects/{pid}/reviewers", {"reviewer_id": "nobody"})
    assert r.status_code == 422 and r.json()["detail"]["rule"] == "reviewer.unknown", r.text
    await api.caught_up()
    await asyncio.sleep(1.05)  # the gauges are read from the database at most once a second
    after = await scrape(api.http)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("collab_steps_total", command="SubmitApplication", outcome="taken") == 1
    assert moved("collab_steps_total", command="AssignReviewer", outcome="rule") == 1
    assert moved("collab_step_refusals_total", rule="reviewer.unknown") == 1
    # the worker ran in this process: its append was timed
    assert moved("collab_append_seconds_count") >= 1
    # the gauges read from the database: every event projected, none waiting to be sent
    for gauge in (
        "collab_projector_lag_events",
        "collab_projector_lag_seconds",
        "collab_ledger_unsealed_events",
        "collab_ledger_unsealed_seconds",
        "collab_outbox_oldest_unsent_seconds",
    ):
        assert (gauge, ()) in after, gauge
    assert value(after, "collab_projector_lag_events") == 0
    assert value(after, "collab_ledger_unsealed_events") >= 1  # no sealer runs here
    for state in ("queued", "sending", "sent", "failed"):
        assert ("collab_reminders", (("state", state),)) in after

    # nobody's name, id or address, and no project's id, in any label
    personal = {pid, "nobody"} | {
        text for p in PEOPLE.values() for text in (p.person_id, p.name, p.email, p.lab)
    }
    labels = {v for (_, pairs) in after for (_, v) in pairs}
    assert not labels & personal, labels & personal
    assert not any(pid in v for v in labels)


async def test_healthz_and_readyz_when_ready(api):
    r = await api.http.get("/healthz")
    assert r.status_code == 200 and len(r.content) < 16
    await api.caught_up()
    r = await api.http.get("/readyz")
    assert r.status_code == 200, r.text
    assert r.json() == {"ready": True, "not_ready": {}}


async def test_readyz_503_while_the_projector_lags_past_its_bound(
    event_store, database_url, make_events
):
    await migrate_read_models(database_url)
    app = http_app(
        assemble(event_store, None), secrets.token_bytes(32), ready_max_projector_lag_s=0
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://collab.test"
    ) as http:
        assert (await http.get("/readyz")).status_code == 200  # nothing stored: nothing behind
        await event_store.append("PRJ-unprojected", make_events("PRJ-unprojected"), 0)
        r = await http.get("/readyz")
        assert r.status_code == 503
        body = r.json()
        assert body["ready"] is False and set(body["not_ready"]) == {"projector"}
        assert "1 events behind" in body["not_ready"]["projector"]
        assert "PRJ-unprojected" not in r.text
        samples = await scrape(http)
        assert value(samples, "collab_projector_lag_events") == 1
        assert value(samples, "collab_projector_lag_seconds") > 0
        assert "PRJ-unprojected" not in (await http.get("/metrics")).text


async def test_readyz_503_when_the_database_is_unreachable(database_url):
    store = await PostgresEventStore.connect(database_url, max_size=2)
    await migrate_read_models(database_url)
    await store.close()  # its pool is gone: no connection can be had
    app = http_app(assemble(store, None), secrets.token_bytes(32))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://collab.test"
    ) as http:
        assert (await http.get("/healthz")).status_code == 200  # the process is up all the same
        r = await http.get("/readyz")
        assert r.status_code == 503, r.text
        assert set(r.json()["not_ready"]) == {"database"}
        # the metrics still answer (the gauges read nothing; the failed read is counted)
        samples = await scrape(http)
        assert value(samples, "collab_metrics_read_errors_total") >= 1


def test_the_sdk_metrics_endpoint_is_served_where_the_setting_says():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"127.0.0.1:{port}"
    runtime = sdk_metrics_runtime(address)
    assert sdk_metrics_runtime(address) is runtime  # bound once a process
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=5) as r:
        assert r.status == 200
    assert Settings(temporal_metrics_address="").temporal_metrics_address is None  # off
