"""Whether the read models reflect an event yet: read-your-writes without a read that
writes. A step returns the global position of its last event; a read made after it waits
(within a bound) until the projector's checkpoint has passed that event."""

from __future__ import annotations

from eventstore.postgres import PostgresEventStore
from readmodels.projector import NAME

# the feed's order is (tx_id, position): the checkpoint has passed an event when the
# event's pair is not after the checkpoint's
_REFLECTS = """
    SELECT (e.tx_id, e.position) <= (c.tx_id::text::xid8, c.position)
    FROM events e, projection_checkpoints c
    WHERE e.position = $1 AND c.name = $2
"""


async def reflects(store: PostgresEventStore, position: int) -> bool:
    """True when the read models include the event at `position` (or no such event is
    stored: nothing to wait for)."""
    async with store.connection() as conn:
        found = await conn.fetchval(_REFLECTS, position, NAME)
        if found is None:
            exists = await conn.fetchval("SELECT 1 FROM events WHERE position = $1", position)
            return exists is None
    return bool(found)
