-- A deadline's label as a message (domain.said): its template and values, so that each
-- reader gets it in their language (application.language). `label` keeps the English.
-- Rows projected before this migration have none and read in English until the read
-- models are rebuilt (`collab projections rebuild`).
ALTER TABLE deadlines ADD COLUMN label_said jsonb;
