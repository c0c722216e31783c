-- An event is inserted only as the append function inserts it: its transaction id and
-- position are the inserting transaction's and the sequence's own, and its hash covers
-- its recorded time (scheme 2). A row forged with an old transaction id or position would
-- otherwise sit behind the ledger's sealer, which reads the feed after its checkpoint,
-- and never be sealed. (Someone who disables the triggers can still; `collab audit
-- verify` reports any event behind the checkpoint that the ledger does not hold.)
ALTER TABLE events ALTER COLUMN hash_scheme SET DEFAULT 2;

CREATE FUNCTION events_guard_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.tx_id <> pg_current_xact_id()
       OR NEW.position <> currval('events_position_seq')
       OR NEW.hash_scheme <> 2 THEN
        RAISE EXCEPTION 'events: % v% must be inserted with this transaction''s id, the next '
                        'position and hash scheme 2', NEW.stream_id, NEW.version
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER events_guard_insert BEFORE INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION events_guard_insert();
