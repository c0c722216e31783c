"""The load bench in small: many interleaved lives, projected as they are appended and
rebuilt from nothing, give the same read models, and those follow from the lives."""

from __future__ import annotations

import asyncio
import random

from bench.lifegen import generate_life
from bench.load import append_in_order, feed_order
from readmodels.projector import Projector, migrate_read_models
from tests.readmodels.test_projector import snapshot


async def test_live_projection_and_rebuilds_agree_over_interleaved_lives(event_store, database_url):
    await migrate_read_models(database_url)
    lives = [generate_life(n, seed=8) for n in range(24)]  # a seed with every kind of life
    units = feed_order(lives)
    events = sum(len(u) for u in units)
    assert {life.project_id[:3] for life in lives} == {"IEA", "IRL", "IRN", "IRP"}
    assert {life.state.phase.value for life in lives} == {"closed", "rejected", "terminated"}
    kinds = {e.type for u in units for e in u}
    assert {"TrancheWithheld", "RenewalRefused", "ReportRejected", "SuccessorLinked"} <= kinds

    # live: projectors follow the appends, in batches of every size, some with a cold
    # start (their states read back from the table), one with a cache of two states
    rng = random.Random(3)
    followers = [Projector(event_store), Projector(event_store, max_cached_states=2)]
    done = 0
    while done < len(units):
        step = rng.randint(1, 400)
        await append_in_order(event_store, units[done : done + step], writers=4)
        done += step
        follower = rng.choice([*followers, Projector(event_store)])
        await follower.catch_up(batch_size=rng.choice([1, 7, 50, 1000]))
    await followers[0].catch_up()
    live = await snapshot(event_store)

    # every project's state is the one its life folded to; each reason made a decision
    states = {row[0]: row for row in live[3]}
    for life in lives:
        assert states[life.project_id][1] == life.state.version
    decided = sum(1 for u in units for e in u if e.reason)
    assert len(live[2]) == decided
    async with event_store.connection() as conn:
        stored = {
            r["project_id"]: r["state"]
            for r in await conn.fetch("SELECT project_id, state::text FROM project_states")
        }
        reminders = await conn.fetchval("SELECT count(*) FROM notifications")
    for life in lives:
        assert type(life.state).model_validate_json(stored[life.project_id]) == life.state
    assert reminders == sum(1 for u in units for e in u if e.type == "ReminderSent")

    # rebuilt from nothing, in big and in small batches, with and without a state cache
    assert await Projector(event_store).rebuild() == events
    assert await snapshot(event_store) == live
    assert await Projector(event_store, max_cached_states=1).rebuild(batch_size=97) == events
    assert await snapshot(event_store) == live
    async with event_store.connection() as conn:
        assert await conn.fetchval("SELECT count(*) FROM notifications") == reminders


async def test_a_catch_up_racing_rebuilds_restarts_and_agrees(event_store, database_url):
    """A rebuild (or another projector) moving the checkpoint under a pipelined catch-up:
    the catch-up's batch in flight is not applied, and the batch it was folding meanwhile
    must not be folded onto states that miss it; it starts again from the checkpoint."""
    await migrate_read_models(database_url)
    lives = [generate_life(n, seed=8) for n in range(8)]
    units = feed_order(lives)
    await append_in_order(event_store, units, writers=4)
    events = sum(len(u) for u in units)
    assert await Projector(event_store).rebuild() == events
    expected = await snapshot(event_store)

    for batch in (7, 30, 100):
        await Projector(event_store).rebuild(batch_size=batch)  # nothing left to catch up
        racer = Projector(event_store)

        async def rebuilds(batch: int = batch) -> None:
            for _ in range(3):
                await asyncio.sleep(0)
                await Projector(event_store).rebuild(batch_size=batch)

        async with event_store.connection() as conn:  # the racer starts from scratch
            await conn.execute("DELETE FROM projection_checkpoints")
        await asyncio.gather(racer.catch_up(batch_size=batch), rebuilds())
        await Projector(event_store).catch_up()
        assert await snapshot(event_store) == expected
