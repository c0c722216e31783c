-- The subject (`sub`) an institution's identity provider (OpenID Connect) gives a person,
-- stored by an operator where the pages' sign-on finds people by subject rather than by
-- e-mail (COLLAB_OIDC_MATCH=subject): `collab users link-subject`. One subject per person
-- and provider; a subject names one person.
CREATE TABLE people_subjects (
    issuer    text NOT NULL,
    subject   text NOT NULL,
    person_id text NOT NULL,
    operator  text NOT NULL,
    linked_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (issuer, subject),
    UNIQUE (issuer, person_id)
);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'collab_app') THEN
        GRANT SELECT, INSERT, DELETE ON people_subjects TO collab_app;
    END IF;
END
$$;
