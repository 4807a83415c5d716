-- What the admin panel (/ui) reads besides the projections: a text search
-- over users that stays indexed at 100 000 users, and the activity of each
-- SCIM token, so that an admin sees when provisioning stopped.

-- pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may
-- create it. It ships with PostgreSQL's own packages.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- `q` of GET /api/v1/users matches this text with ILIKE '%...%'.
CREATE INDEX users_search_idx ON users USING gin (
    (lower(user_name || ' ' || coalesce(display_name, '') || ' ' || coalesce(email, '')))
    gin_trgm_ops
);

-- Requests per SCIM token and hour. Counted in memory by each server and
-- added here every few seconds; operational data, not evidence, so it is not
-- a log table and old hours may be deleted.
CREATE TABLE token_activity (
    token_id        uuid NOT NULL REFERENCES api_tokens (id),
    hour            timestamptz NOT NULL,
    requests        bigint NOT NULL,
    errors          bigint NOT NULL,
    last_request_at timestamptz NOT NULL,
    PRIMARY KEY (token_id, hour),
    CONSTRAINT token_activity_counts CHECK (requests >= 0 AND errors >= 0 AND errors <= requests)
);
