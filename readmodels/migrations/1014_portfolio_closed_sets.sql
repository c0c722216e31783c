-- A page of the API's portfolio is written in JSON by PostgreSQL (readmodels.views.
-- portfolio_page_documents), its rows no longer read into models that would refuse an
-- instrument, a state or an institute outside the domain's closed sets. The table refuses
-- them instead, when the projector writes one: a row written wrong is never stored, so
-- never shown. The sets are the domain's enums (InstrumentCode, Phase, Institute);
-- tests/readmodels/test_row_documents.py checks they stay the same.
ALTER TABLE portfolio
    ADD CONSTRAINT portfolio_instrument_known
        CHECK (instrument IN ('IEA', 'IRN', 'IRP', 'IRL')),
    ADD CONSTRAINT portfolio_phase_known
        CHECK (phase IN ('new', 'submitted', 'ineligible', 'under_evaluation', 'approved',
                         'rejected', 'active', 'closed', 'terminated')),
    ADD CONSTRAINT portfolio_institute_known
        CHECK (institute IN ('INSB', 'INC', 'INEE', 'INSHS', 'INS2I', 'INSIS', 'INSMI',
                             'INP', 'IN2P3', 'INSU'));
