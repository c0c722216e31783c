"""Reminders become notifications: the database copies them from the events it stores,
except a reminder stored in an older shape, which goes through its upcaster first."""

from __future__ import annotations

import dataclasses
from typing import Any

from bench.lifegen import generate_life
from domain.events import ReminderSent
from eventstore.event_records import to_record
from eventstore.postgres import PostgresEventStore
from eventstore.upcasting import Upcasters
from readmodels.projector import Projector, migrate_read_models


async def notifications(store: PostgresEventStore) -> list[tuple[Any, ...]]:
    async with store.connection() as conn:
        rows = await conn.fetch(
            "SELECT event_id, project_id, kind, reminder_key, recipients, subject, due_at,"
            " status FROM notifications ORDER BY event_id"
        )
    return [tuple(r) for r in rows]


def expected(reminders: list[ReminderSent]) -> list[tuple[Any, ...]]:
    rows = [
        (
            r.event_id,
            r.project_id,
            r.data.kind.value,
            r.data.key,
            list(r.data.recipients),
            r.data.subject,
            r.data.due_at,
            "pending",
        )
        for r in reminders
    ]
    return sorted(rows, key=lambda row: row[0])


async def test_every_reminder_is_queued_once_as_it_was_sent(event_store, database_url):
    await migrate_read_models(database_url)
    lives = [generate_life(n, seed=3) for n in range(6)]
    reminders: list[ReminderSent] = []
    for life in lives:
        events = [e for unit in life.units for e in unit]
        await event_store.append(life.project_id, [to_record(e) for e in events], 0)
        reminders += [e for e in events if isinstance(e, ReminderSent)]
    assert len(reminders) > 20

    await Projector(event_store).catch_up(batch_size=7)  # reminders across batch ends
    assert await notifications(event_store) == expected(reminders)

    async with event_store.connection() as conn:
        await conn.execute("UPDATE notifications SET status = 'sent'")
    await Projector(event_store).rebuild()
    rows = await notifications(event_store)
    assert len(rows) == len(reminders)  # not queued again, not sent again
    assert {row[-1] for row in rows} == {"sent"}


async def test_a_reminder_stored_in_an_older_shape_is_queued_in_the_current_one(
    event_store, database_url
):
    await migrate_read_models(database_url)
    life = generate_life(1, seed=3)
    events = [e for unit in life.units for e in unit]
    reminders = [e for e in events if isinstance(e, ReminderSent)]
    old = reminders[0]
    records = []
    for e in events:
        record = to_record(e)
        if e is old:  # as an older release wrote it: version 1, one recipient, "to"
            data = dict(record.data)
            data["to"] = data.pop("recipients")[0]
            record = dataclasses.replace(record, data=data)
        elif isinstance(e, ReminderSent):  # the current shape: version 2
            record = dataclasses.replace(record, schema_version=2)
        records.append(record)
    await event_store.append(life.project_id, records, 0)

    upcasters = Upcasters()
    upcasters.register(
        "ReminderSent",
        1,
        lambda d: {**{k: v for k, v in d.items() if k != "to"}, "recipients": [d["to"]]},
    )
    reader = await PostgresEventStore.connect(database_url, upcasters=upcasters)
    try:
        await Projector(reader).catch_up()
    finally:
        await reader.close()
    recipients = {"recipients": old.data.recipients[:1]}
    first = old.model_copy(update={"data": old.data.model_copy(update=recipients)})
    assert await notifications(event_store) == expected([first, *reminders[1:]])
