"""The outbox leases rows and sends with no transaction open."""

from __future__ import annotations

import contextlib
import uuid
from datetime import UTC, datetime, timedelta

from eventstore.event_records import to_record
from readmodels.outbox import Outbox
from readmodels.projector import migrate_read_models
from tests.domain.test_lifecycle import funded


async def queue(store, n: int = 1) -> None:
    async with store.connection() as conn:
        for i in range(n):
            await conn.execute(
                "INSERT INTO notifications (event_id, project_id, kind, reminder_key, "
                "recipients, subject, due_at) VALUES ($1, 'P-1', 'report_due', $2, "
                "ARRAY['pi-durand'], 'report due', now())",
                uuid.uuid4(),
                f"k{i}",
            )


async def test_sending_does_not_hold_back_the_event_feed(event_store, database_url):
    await migrate_read_models(database_url)
    await queue(event_store)
    life = funded("IRP", "IRP-feed")
    seen: list[int] = []

    async def send(note):
        # while an e-mail is on its way, a new event is written and must be readable
        await event_store.append("IRP-feed", [to_record(e) for e in life.events], 0)
        seen.append(len(await event_store.read_all()))
        return ["claire@cnrs.example.fr"]

    assert await Outbox(event_store).deliver_due(send, datetime.now(UTC)) == 1
    assert seen == [len(life.events)]


async def test_a_sender_that_died_mid_send_is_relieved_after_its_lease(event_store, database_url):
    await migrate_read_models(database_url)
    await queue(event_store)
    outbox = Outbox(event_store)
    now = datetime.now(UTC)

    async def dies(note):
        raise SystemExit  # not an Exception: the row stays leased, as after a crash

    with contextlib.suppress(SystemExit):
        await outbox.deliver_due(dies, now)
    sent: list[str] = []

    async def send(note):
        sent.append(note.reminder_key)
        return ["x@cnrs.example.fr"]

    assert await outbox.deliver_due(send, now + timedelta(minutes=1)) == 0  # still leased
    assert await outbox.deliver_due(send, now + timedelta(minutes=6)) == 1
    assert sent == ["k0"] and await outbox.by_status() == {"sent": 1}
