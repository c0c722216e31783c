-- A call's applications, read together by the call round (domain.call_round): ranking,
-- the proposal, the call page.
CREATE INDEX portfolio_call ON portfolio (call_id) WHERE call_id IS NOT NULL;
