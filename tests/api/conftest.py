"""The API in process (ASGI transport: real HTTP semantics, no socket), on the test's
database and time-skipping Temporal, with one registered person per role."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from application.service import assemble
from collab.http import http_app
from eventstore.postgres import PostgresEventStore
from identity.people import PeopleDirectory, Person, migrate_people
from readmodels.freshness import reflects
from readmodels.projector import Projector, migrate_read_models

PEOPLE = {
    "coordinator": Person(
        person_id="pi-durand",
        name="Claire Durand",
        email="claire.durand@cnrs.example.fr",
        lab="LIG Grenoble",
        country="FR",
        role="coordinator",
    ),
    "other_coordinator": Person(
        person_id="pi-other",
        name="Omar Other",
        email="omar.other@cnrs.example.fr",
        lab="LPENS Paris",
        country="FR",
        role="coordinator",
    ),
    "reviewer": Person(
        person_id="rev-1",
        name="Anna Keller",
        email="anna.keller@ethz.example.ch",
        lab="ETH Zurich D-PHYS",
        country="CH",
        role="reviewer",
    ),
    "partner_reviewer": Person(
        person_id="rev-lig",
        name="Luc Partner",
        email="luc.partner@cnrs.example.fr",
        lab="LIG Grenoble",
        country="FR",
        role="reviewer",
    ),
    "institute_officer": Person(
        person_id="insu-dupont",
        name="Marie Dupont",
        email="marie.dupont@cnrs.example.fr",
        lab="INSU",
        country="FR",
        role="institute_officer",
    ),
    "derci_officer": Person(
        person_id="derci-martin",
        name="Paul Martin",
        email="paul.martin@cnrs.example.fr",
        lab="DERCI",
        country="FR",
        role="derci_officer",
    ),
    "auditor": Person(
        person_id="audit-leroy",
        name="Inès Leroy",
        email="ines.leroy@cnrs.example.fr",
        lab="Audit",
        country="FR",
        role="auditor",
    ),
}


@dataclass
class Api:
    http: httpx.AsyncClient
    tokens: dict[str, str]
    calendars: dict[str, str]
    store: PostgresEventStore

    def as_(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    async def post(self, who: str, path: str, body: dict) -> httpx.Response:
        return await self.http.post(path, json=body, headers=self.as_(who))

    async def get(self, who: str, path: str, **params) -> httpx.Response:
        await self.caught_up()
        return await self.http.get(path, params=params, headers=self.as_(who))

    async def every(self, who: str, path: str, key: str, **params) -> list[dict]:
        """Every row of a paged list (/projects, /deadlines), following `next` page by
        page, each page checked against the list's total."""
        rows: list[dict] = []
        cursor = None
        while True:
            r = await self.get(who, path, **params, **({"cursor": cursor} if cursor else {}))
            assert r.status_code == 200, r.text
            page = r.json()
            assert set(page) == {key, "next", "total"}, page.keys()
            rows += page[key]
            cursor = page["next"]
            if cursor is None:
                assert len(rows) == page["total"]
                return rows

    async def caught_up(self) -> None:
        """Until the running projector reflects every stored event: what a person who
        reads after the timers fired sees (reads never fold events themselves)."""
        await caught_up(self.store)


async def caught_up(store: PostgresEventStore, within: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        async with store.connection() as conn:
            last = await conn.fetchval("SELECT max(position) FROM events")
        if last is None or await reflects(store, last):
            return
        assert asyncio.get_running_loop().time() < deadline, "the projector fell behind"
        await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def projector_running(store: PostgresEventStore) -> AsyncIterator[None]:
    """The read models follow the store as `collab up`'s projector keeps them."""
    task = asyncio.create_task(Projector(store).run(poll_interval=0.02))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.fixture
async def api(service, event_store, database_url) -> AsyncIterator[Api]:
    await migrate_read_models(database_url)
    await migrate_people(database_url)
    people = PeopleDirectory(event_store)
    issued = {role: await people.add(p, operator="test") for role, p in PEOPLE.items()}
    tokens = {role: t.api for role, t in issued.items()}
    calendars = {role: t.calendar for role, t in issued.items()}
    app = http_app(assemble(event_store, service), secrets.token_bytes(32))
    transport = httpx.ASGITransport(app=app)
    async with (
        projector_running(event_store),
        httpx.AsyncClient(transport=transport, base_url="http://collab.test") as http,
    ):
        yield Api(http, tokens, calendars, event_store)
