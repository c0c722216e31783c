-- The application role may insert an event only with the columns it supplies: the
-- transaction id, the position and the hash scheme are the defaults' (the inserting
-- transaction's id, the sequence's next value, scheme 2). A row forged with an old
-- transaction id would stand before the ledger's sealer, which reads the feed after its
-- checkpoint in (tx_id, position) order, and never be sealed; column privileges refuse it
-- at no cost per row, where 0008's row trigger cost 4-6 % of the append throughput with 8
-- writers (bench/store_append.py). A superuser or the owner can still insert anything;
-- `collab audit verify` names any event behind the checkpoint that the ledger does not
-- hold.
--
-- The append function leaves hash_scheme to its default from here on.

CREATE OR REPLACE FUNCTION eventstore_append(
    p_stream_id text,
    p_expected_version integer,
    p_event_ids uuid[],
    p_types text[],
    p_schema_versions integer[],
    p_occurred_at timestamptz[],
    p_actor_ids text[],
    p_actor_roles text[],
    p_reasons text[],
    p_data text[],
    p_canonical bytea[]
) RETURNS bigint[]
LANGUAGE plpgsql AS $$
DECLARE
    v_count integer := cardinality(p_event_ids);
    v_version integer;
    v_hash bytea;
    v_hashes bytea[] := '{}';
    v_prev_hashes bytea[] := '{}';
    v_positions bigint[];
    -- one recorded time for the append, taken once the stream is locked, so that the
    -- hash can cover it
    v_recorded timestamptz;
    v_recorded_text bytea;
BEGIN
    -- Lock the stream row; create it on the stream's first append. Each statement of a
    -- volatile function takes a fresh snapshot, so when our INSERT had to wait for a
    -- concurrent first append and then did nothing, the second SELECT sees its row.
    SELECT version, last_hash INTO v_version, v_hash
        FROM streams WHERE stream_id = p_stream_id FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO streams (stream_id, version) VALUES (p_stream_id, 0)
            ON CONFLICT (stream_id) DO NOTHING
            RETURNING version, last_hash INTO v_version, v_hash;
        IF NOT FOUND THEN
            SELECT version, last_hash INTO v_version, v_hash
                FROM streams WHERE stream_id = p_stream_id FOR UPDATE;
        END IF;
    END IF;

    IF v_version <> p_expected_version THEN
        RAISE EXCEPTION 'stream %: expected version %, actual version %',
                quote_literal(p_stream_id), p_expected_version, v_version
            USING ERRCODE = 'VC409', DETAIL = 'actual_version=' || v_version;
    END IF;

    v_recorded := clock_timestamp();
    v_recorded_text := convert_to(
        to_char(v_recorded AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '+00:00',
        'UTF8');
    FOR i IN 1 .. v_count LOOP
        v_prev_hashes := array_append(v_prev_hashes, v_hash);
        v_hash := sha256(coalesce(v_hash, '\x'::bytea) || p_canonical[i] || '\x0a'::bytea
                         || v_recorded_text);
        v_hashes := array_append(v_hashes, v_hash);
    END LOOP;

    IF v_count = 1 THEN
        -- The common case (one command, one event): a plain VALUES insert costs the
        -- server noticeably less than unnest + sort + aggregate.
        INSERT INTO events (event_id, stream_id, version, type, schema_version, occurred_at,
                            actor_id, actor_role, reason, data, hash, prev_hash,
                            recorded_at)
        VALUES (p_event_ids[1], p_stream_id, p_expected_version + 1, p_types[1],
                p_schema_versions[1], p_occurred_at[1], p_actor_ids[1], p_actor_roles[1],
                p_reasons[1], p_data[1]::jsonb, v_hashes[1], v_prev_hashes[1],
                v_recorded)
        RETURNING ARRAY[position] INTO v_positions;
    ELSE
        WITH inserted AS (
            INSERT INTO events (event_id, stream_id, version, type, schema_version,
                                occurred_at, actor_id, actor_role, reason, data, hash,
                                prev_hash, recorded_at)
            SELECT e.event_id, p_stream_id, p_expected_version + e.ord::integer, e.type,
                   e.schema_version, e.occurred_at, e.actor_id, e.actor_role, e.reason,
                   e.data::jsonb, e.hash, e.prev_hash, v_recorded
            FROM unnest(p_event_ids, p_types, p_schema_versions, p_occurred_at, p_actor_ids,
                        p_actor_roles, p_reasons, p_data, v_hashes, v_prev_hashes)
                 WITH ORDINALITY AS e(event_id, type, schema_version, occurred_at, actor_id,
                                      actor_role, reason, data, hash, prev_hash, ord)
            ORDER BY e.ord  -- positions ascend with versions
            RETURNING position
        )
        SELECT array_agg(position ORDER BY position) INTO v_positions FROM inserted;
    END IF;

    UPDATE streams SET version = p_expected_version + v_count, last_hash = v_hash
        WHERE stream_id = p_stream_id;
    RETURN v_positions;
END;
$$;

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'collab_app') THEN
        REVOKE INSERT ON events FROM collab_app;
        GRANT INSERT (event_id, stream_id, version, type, schema_version, occurred_at,
                      actor_id, actor_role, reason, data, hash, prev_hash, recorded_at)
            ON events TO collab_app;
    END IF;
END
$$;

DROP TRIGGER events_guard_insert ON events;
DROP FUNCTION events_guard_insert();
