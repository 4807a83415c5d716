-- usertrail core schema: organizations, API tokens, the append-only user
-- event log, and the `users` projection derived from it.

CREATE TABLE organizations (
    id           uuid PRIMARY KEY,
    slug         text NOT NULL,
    display_name text NOT NULL,
    created_at   timestamptz NOT NULL,
    CONSTRAINT organizations_slug_key UNIQUE (slug),
    CONSTRAINT organizations_slug_format CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$')
);

-- Bearer tokens. Only the SHA-256 of the secret is stored: tokens are long
-- random strings, so a fast hash is enough and lets us look them up by hash.
CREATE TABLE api_tokens (
    id          uuid PRIMARY KEY,
    org_id      uuid NOT NULL REFERENCES organizations (id),
    kind        text NOT NULL,
    label       text NOT NULL,
    secret_hash bytea NOT NULL,
    created_at  timestamptz NOT NULL,
    revoked_at  timestamptz,
    CONSTRAINT api_tokens_secret_hash_key UNIQUE (secret_hash),
    CONSTRAINT api_tokens_kind_check CHECK (kind IN ('scim', 'service', 'auditor'))
);

CREATE INDEX api_tokens_org_idx ON api_tokens (org_id);

-- The log. One row per change to a user; never updated, never deleted.
CREATE TABLE user_events (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id       uuid NOT NULL,
    org_id         uuid NOT NULL REFERENCES organizations (id),
    user_id        uuid NOT NULL,
    version        bigint NOT NULL,
    event_type     text NOT NULL,
    schema_version smallint NOT NULL,
    source         text NOT NULL,
    actor_kind     text NOT NULL,
    actor_id       text NOT NULL,
    actor_display  text NOT NULL,
    request_id     text,
    client_addr    inet,
    user_agent     text,
    occurred_at    timestamptz NOT NULL,
    -- The writing transaction, so that a sealer can later order committed
    -- events without a global lock (see docs/architecture.md).
    tx_id          xid8 NOT NULL DEFAULT pg_current_xact_id(),
    payload        jsonb NOT NULL,
    diff           jsonb NOT NULL,
    CONSTRAINT user_events_event_id_key UNIQUE (event_id),
    CONSTRAINT user_events_version_key UNIQUE (org_id, user_id, version),
    CONSTRAINT user_events_version_positive CHECK (version > 0),
    CONSTRAINT user_events_source_check CHECK (source IN (
        'scim', 'invite', 'self_registration', 'sso', 'email_domain',
        'admin', 'self_service', 'api', 'system')),
    CONSTRAINT user_events_actor_kind_check CHECK (actor_kind IN (
        'scim_client', 'user', 'api_token', 'system')),
    CONSTRAINT user_events_diff_is_array CHECK (jsonb_typeof(diff) = 'array')
);

CREATE INDEX user_events_org_occurred_idx ON user_events (org_id, occurred_at, id);

-- Shared by every log table: the log is evidence, so a change to a stored
-- row is refused whoever asks. A superuser can still disable the trigger;
-- detecting that is the job of the hash chain, not of this trigger.
CREATE FUNCTION reject_log_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is an append-only log: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation',
              HINT = 'Record a new event instead of changing or removing an old one.';
END;
$$;

CREATE TRIGGER user_events_append_only
    BEFORE UPDATE OR DELETE ON user_events
    FOR EACH ROW EXECUTE FUNCTION reject_log_change();

CREATE TRIGGER user_events_no_truncate
    BEFORE TRUNCATE ON user_events
    FOR EACH STATEMENT EXECUTE FUNCTION reject_log_change();

-- The projection: the current state of every user, rebuilt from the log on
-- demand. Deleted users stay, with status 'deleted', so that diagnostics and
-- history survive a SCIM DELETE.
CREATE TABLE users (
    org_id                uuid NOT NULL REFERENCES organizations (id),
    id                    uuid NOT NULL,
    version               bigint NOT NULL,
    status                text NOT NULL,
    user_name             text NOT NULL,
    external_id           text,
    active                boolean NOT NULL,
    display_name          text,
    email                 text,
    resource              jsonb NOT NULL,
    created_at            timestamptz NOT NULL,
    created_source        text NOT NULL,
    created_actor_kind    text NOT NULL,
    created_actor_id      text NOT NULL,
    created_actor_display text NOT NULL,
    updated_at            timestamptz NOT NULL,
    updated_source        text NOT NULL,
    updated_actor_kind    text NOT NULL,
    updated_actor_id      text NOT NULL,
    updated_actor_display text NOT NULL,
    last_event_type       text NOT NULL,
    PRIMARY KEY (org_id, id),
    CONSTRAINT users_status_check CHECK (status IN ('active', 'pending', 'deactivated', 'deleted'))
);

-- userName is unique per organization regardless of case (RFC 7643 §4.1.1
-- makes it case-insensitive), among users that still exist.
CREATE UNIQUE INDEX users_user_name_key ON users (org_id, lower(user_name))
    WHERE status <> 'deleted';
CREATE INDEX users_external_id_idx ON users (org_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX users_created_idx ON users (org_id, created_at, id);
CREATE INDEX users_updated_idx ON users (org_id, updated_at, id);
