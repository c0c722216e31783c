"""Who a token or a session names, kept by a process that answers requests
(identity.remembered): kept while the directory does not change, dropped when a change
made anywhere commits, never kept while nothing would tell of a change."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import asyncpg
import httpx
import pytest

from application.service import assemble
from collab.http import http_app
from eventstore.postgres import PostgresEventStore
from eventstore.watch import Watch
from identity.people import PeopleDirectory, Person, migrate_people
from identity.remembered import CHANNEL, Remembered
from identity.sessions import SessionStore
from tests.api.conftest import PEOPLE

PI = PEOPLE["coordinator"]
# a notification arrives milliseconds after its commit; a loaded CI machine gets this long
NOTICE_S = 5.0


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[PostgresEventStore]:
    """The serving process's store (its own pool, its own listening connection)."""
    store = await PostgresEventStore.connect(database_url, max_size=4)
    await migrate_people(database_url)  # after the store made the role it grants to
    yield store
    await store.close()


@pytest.fixture
async def elsewhere(database_url: str, store: PostgresEventStore) -> AsyncIterator[PeopleDirectory]:
    """The directory as another process sees it (the CLI of an operator): its own pool."""
    other = await PostgresEventStore.connect(database_url, max_size=2, run_migrations=False)
    yield PeopleDirectory(other)
    await other.close()


async def until(check: Callable[[], Awaitable[bool]], within_s: float = NOTICE_S) -> float:
    """Seconds until `check()` holds; fails after `within_s`."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    while not await check():
        assert loop.time() - began < within_s, "not seen in time"
        await asyncio.sleep(0.005)
    return loop.time() - began


async def listening(store: PostgresEventStore) -> Watch:
    """The store's watch of the directory, listening."""
    watch = store.watch(CHANNEL)
    assert watch is not None and await watch.started()
    return watch


async def cut(watch: Watch, owner: asyncpg.Connection) -> None:
    """The listening connection dies (a restarted database, a cut network)."""
    pid = await owner.fetchval(
        "SELECT pid FROM pg_stat_activity WHERE query LIKE $1", f"LISTEN %{CHANNEL}%"
    )
    assert pid is not None
    await owner.execute("SELECT pg_terminate_backend($1)", pid)

    async def not_listening() -> bool:
        return watch.mark() is None

    await until(not_listening)


async def test_a_token_revoked_elsewhere_is_refused_by_the_api(
    store: PostgresEventStore, elsewhere: PeopleDirectory
) -> None:
    tokens = await elsewhere.add(PI, operator="test")
    app = http_app(assemble(store, None, serving=True), secrets.token_bytes(32), False)
    await listening(store)
    me = {"Authorization": f"Bearer {tokens.api}"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as api:
        assert (await api.get("/me", headers=me)).json()["person_id"] == PI.person_id
        assert (await api.get("/me", headers=me)).status_code == 200  # from what was kept
        assert await elsewhere.revoke(PI.person_id, operator="test")

        async def refused() -> bool:
            return (await api.get("/me", headers=me)).status_code == 401

        await until(refused)


async def test_kept_answers_are_not_asked_again_until_a_change(
    store: PostgresEventStore, elsewhere: PeopleDirectory, owner: asyncpg.Connection
) -> None:
    tokens = await elsewhere.add(PI, operator="test")
    watch = await listening(store)
    kept: Remembered[str, Person] = Remembered(watch)
    asked = 0

    async def ask() -> Person | None:
        nonlocal asked
        asked += 1
        return await PeopleDirectory(store).authenticate(tokens.api)

    for _ in range(5):
        assert await kept.get("pi", ask) == PI
    assert asked == 1
    # a new calendar link changes the person's row: what was kept is dropped
    assert await elsewhere.new_calendar_token(PI.person_id)
    await until(lambda: _asked_again(kept, ask, lambda: asked, 1))
    # a row added changes nothing kept (and is not announced)
    await elsewhere.add(PI.model_copy(update={"person_id": "pi-other"}), operator="test")
    before = asked
    await asyncio.sleep(0.2)
    assert await kept.get("pi", ask) == PI and asked == before


async def _asked_again(
    kept: Remembered[str, Person],
    ask: Callable[[], Awaitable[Person | None]],
    asked: Callable[[], int],
    before: int,
) -> bool:
    await kept.get("pi", ask)
    return asked() > before


async def test_nothing_is_kept_while_not_listening(
    store: PostgresEventStore, elsewhere: PeopleDirectory, owner: asyncpg.Connection
) -> None:
    tokens = await elsewhere.add(PI, operator="test")
    serving = PeopleDirectory(store, remember=True)
    watch = await listening(store)
    assert await serving.authenticate(tokens.api) == PI
    await cut(watch, owner)
    # a revocation whose notification nobody hears is still seen at once
    assert await elsewhere.revoke(PI.person_id, operator="test")
    assert await serving.authenticate(tokens.api) is None


async def test_listening_resumes_after_a_lost_connection(
    store: PostgresEventStore, elsewhere: PeopleDirectory, owner: asyncpg.Connection
) -> None:
    tokens = await elsewhere.add(PI, operator="test")
    serving = PeopleDirectory(store, remember=True)
    watch = await listening(store)
    await cut(watch, owner)
    assert await watch.started()  # what the next request past the retry delay does
    assert await serving.authenticate(tokens.api) == PI
    assert await elsewhere.revoke(PI.person_id, operator="test")

    async def refused() -> bool:
        return await serving.authenticate(tokens.api) is None

    await until(refused)


async def test_a_change_nothing_announces_is_seen_once_the_answer_is_old(
    store: PostgresEventStore, elsewhere: PeopleDirectory, owner: asyncpg.Connection
) -> None:
    """The bound on a kept answer's age: what a listening connection that died silently
    could otherwise leave stale."""
    tokens = await elsewhere.add(PI, operator="test")
    watch = await listening(store)
    kept: Remembered[str, Person] = Remembered(watch, keep_s=0.5)
    directory = PeopleDirectory(store)

    async def ask() -> Person | None:
        return await directory.authenticate(tokens.api)

    assert await kept.get("pi", ask) == PI
    await owner.execute("ALTER TABLE people DISABLE TRIGGER people_changed")
    assert await elsewhere.revoke(PI.person_id, operator="test")
    assert await kept.get("pi", ask) == PI  # kept: nothing said it changed
    await asyncio.sleep(0.6)
    assert await kept.get("pi", ask) is None


async def test_a_session_ended_elsewhere_signs_nobody_in(
    store: PostgresEventStore, database_url: str
) -> None:
    await PeopleDirectory(store).add(PI, operator="test")
    serving = SessionStore(store, remember=True)
    other = await PostgresEventStore.connect(database_url, max_size=2, run_migrations=False)
    try:
        await listening(store)
        session = await serving.open(PI.person_id, timedelta(hours=8))
        assert await serving.live(session.session_id) == session
        await SessionStore(other).end(session.session_id)  # signed out on another server

        async def ended() -> bool:
            return await serving.live(session.session_id) is None

        await until(ended)
        # and one ended here is over here at once
        again = await serving.open(PI.person_id, timedelta(hours=8))
        assert await serving.live(again.session_id) == again
        await serving.end(again.session_id)
        assert await serving.live(again.session_id) is None
    finally:
        await other.close()


async def test_a_kept_session_past_its_end_is_over(store: PostgresEventStore) -> None:
    await PeopleDirectory(store).add(PI, operator="test")
    serving = SessionStore(store, remember=True)
    await listening(store)
    session = await serving.open(PI.person_id, timedelta(seconds=1))
    assert await serving.live(session.session_id) == session
    await asyncio.sleep(1.1)
    assert await serving.live(session.session_id) is None
