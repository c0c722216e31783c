"""The database out of reach while the service runs (a restart, a failover): a person
reading a page is told so in their language and a program gets a 503 refusal with when to
try again, never a bare 500; the projector waits it out; and once it is back, the very
next request is answered, on fresh connections, and new events are projected again."""

from __future__ import annotations

import asyncio
import html
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from application.refusals import RETRY_AFTER_S
from application.service import assemble
from collab.http import http_app
from eventstore.embedded import start_embedded_postgres, with_database
from eventstore.event_records import to_record
from eventstore.postgres import PostgresEventStore
from identity.people import PeopleDirectory, Person, migrate_people
from readmodels.projector import Projector, migrate_read_models
from tests.domain.test_lifecycle import funded
from tests.web.http_client import sign_in

BASE = "http://service"
OFFICER = Person(
    person_id="derci-martin",
    name="Claire Martin",
    email="claire.martin@cnrs.example.fr",
    lab="DERCI",
    country="FR",
    role="derci_officer",
)


@pytest.fixture
async def own_postgres(tmp_path: Path) -> AsyncIterator[tuple[str, object]]:
    """A server of this test's own, to stop and start again."""
    root, server = await asyncio.to_thread(start_embedded_postgres, tmp_path, cleanup_mode="delete")
    admin = await asyncpg.connect(root)
    await admin.execute("CREATE DATABASE away")
    await admin.close()
    try:
        yield with_database(root, "away"), server
    finally:
        await asyncio.to_thread(server.cleanup)


async def test_the_database_away_is_said_and_its_return_answered_at_once(own_postgres):
    url, server = own_postgres
    store = await PostgresEventStore.connect(url, max_size=4)
    await migrate_read_models(url)
    await migrate_people(url)
    token = (await PeopleDirectory(store).add(OFFICER, operator="test")).api
    web = http_app(
        assemble(store, None, serving=True), secrets.token_bytes(32), False, public_url=BASE
    )
    api = {"Authorization": f"Bearer {token}"}
    projecting = asyncio.create_task(Projector(store).run(poll_interval=0.05))
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=web, raise_app_exceptions=True), base_url=BASE
        ) as http:
            assert (await sign_in(http, token, Origin=BASE)).status_code == 303
            for path in ("/projects", "/deadlines", "/ui/portfolio", "/ui/deadlines"):
                answer = await http.get(path, headers=api)  # its connections now kept
                assert answer.status_code == 200, (path, answer.text[:200])

            await asyncio.to_thread(server.stop)  # type: ignore[attr-defined]
            for path in ("/projects", "/me", "/projects/IRP-1"):
                refused = await http.get(path, headers={**api, "Accept-Language": "fr"})
                assert refused.status_code == 503, (path, refused.text[:200])
                assert refused.headers["retry-after"] == str(RETRY_AFTER_S)
                assert refused.json()["detail"] == {
                    "message": "la base de données est hors d'atteinte\u00a0: rien n'a été "
                    "enregistré\u00a0; réessayez dans un instant",
                    "rule": "store.unreachable",
                    "field": None,
                }
            for lang, title in (
                ("en", "The service cannot answer right now"),
                ("fr", "Le service ne peut pas répondre pour l'instant"),
            ):
                page = await http.get("/ui/portfolio", params={"lang": lang})
                assert page.status_code == 503
                assert page.headers["content-type"].startswith("text/html")
                assert page.headers["retry-after"] == str(RETRY_AFTER_S)
                said = html.unescape(page.text)
                assert title in said and "Internal Server Error" not in said
            # the operator's probe names the driver's own error
            ready = await http.get("/readyz")
            assert ready.status_code == 503
            why = ready.json()["not_ready"]["database"]
            assert why.startswith("unreachable (") and "StoreUnreachable" not in why, why
            assert "the database is out of reach" in html.unescape(
                (await http.get("/ui/deadlines", params={"lang": "en"})).text
            )

            await asyncio.to_thread(server.start)  # type: ignore[attr-defined]
            # the first request after the return is answered: no connection kept from
            # before the restart is used again
            for path in ("/projects", "/deadlines", "/ui/portfolio", "/ui/deadlines"):
                answer = await http.get(path, headers=api)
                assert answer.status_code == 200, (path, answer.text[:200])

            # the projector waited the outage out, and follows the record again
            assert not projecting.done()
            life = funded("IRP", "IRP-away01")
            await store.append(life.project_id, [to_record(e) for e in life.events], 0)
            for _ in range(200):
                listed = (await http.get("/projects", headers=api)).json()
                if listed["total"] == 1:
                    break
                await asyncio.sleep(0.05)
            assert [p["project_id"] for p in listed["projects"]] == ["IRP-away01"]
    finally:
        projecting.cancel()
        await asyncio.gather(projecting, return_exceptions=True)
        await store.close()
