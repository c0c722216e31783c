-- Read-your-writes: a step answers with the global position of its last event, and a read
-- made after it asks whether the projector's checkpoint has passed that event, found by
-- its position. The sequence makes positions unique; the index makes that look-up cheap.
CREATE UNIQUE INDEX events_position_key ON events (position);
