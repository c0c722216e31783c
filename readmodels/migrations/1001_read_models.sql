-- Read models: disposable, rebuilt from the events at any time (collab projections rebuild).
-- Versions 1001+ share schema_migrations with the event store's 0001+.

CREATE TABLE projection_checkpoints (
    name     text PRIMARY KEY,
    tx_id    bigint NOT NULL,
    position bigint NOT NULL
);

-- the folded domain state of each project, so each event is applied once, in order
CREATE TABLE project_states (
    project_id text PRIMARY KEY,
    version    integer NOT NULL,
    state      jsonb NOT NULL
);

CREATE TABLE portfolio (
    project_id     text PRIMARY KEY,
    instrument     text NOT NULL,
    title          text NOT NULL,
    phase          text NOT NULL,
    coordinator_id text NOT NULL,
    coordinator    text NOT NULL,
    labs           jsonb NOT NULL,
    countries      text[] NOT NULL,
    call_id        text,
    requested_eur  integer NOT NULL,
    awarded_eur    integer,
    released_eur   integer NOT NULL,
    term_number    integer,
    term_starts_at timestamptz,
    term_ends_at   timestamptz,
    renewals       integer NOT NULL,
    successor_id   text,
    version        integer NOT NULL,
    updated_at     timestamptz NOT NULL
);
CREATE INDEX portfolio_instrument_phase ON portfolio (instrument, phase);

CREATE TABLE deadlines (
    project_id text NOT NULL,
    kind       text NOT NULL,
    ref        text NOT NULL,
    due_at     timestamptz NOT NULL,
    label      text NOT NULL,
    PRIMARY KEY (project_id, kind, ref)
);
CREATE INDEX deadlines_due_at ON deadlines (due_at);

-- every fact that carries a reason: who decided what, when and why, across projects
CREATE TABLE decisions (
    event_id    uuid PRIMARY KEY,
    project_id  text NOT NULL,
    version     integer NOT NULL,
    type        text NOT NULL,
    occurred_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL,
    actor_id    text NOT NULL,
    actor_role  text NOT NULL,
    reason      text NOT NULL
);
CREATE INDEX decisions_project ON decisions (project_id, version);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'collab_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE
            ON projection_checkpoints, project_states, portfolio, deadlines, decisions
            TO collab_app;
    END IF;
END
$$;
