-- Co-funding beside CNRS's (ContributionRecorded): each project's contributions in euros at
-- the rates stated, over every year, folded by the projector from the project's state.
-- No event of that type existed before this migration: nothing to fill.
ALTER TABLE portfolio ADD COLUMN cofunding_eur bigint NOT NULL DEFAULT 0;
