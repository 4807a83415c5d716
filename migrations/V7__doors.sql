-- The product's doors (issue 4): roles and invitations as user state, the token that
-- made a change, personal access tokens, invitation codes, single sign-on identities,
-- and the organization's settings as an append-only log of their own.

-- The token that authenticated the request behind an event. With a service token acting
-- for a user (`X-Actor-User`) or a personal token, the actor is the user and this is the
-- token; otherwise it repeats the actor's token id. NULL for events written before this
-- migration and for changes without a token (the CLI, usertrail itself).
ALTER TABLE user_events ADD COLUMN actor_token_id uuid;
ALTER TABLE group_events ADD COLUMN actor_token_id uuid;

-- User state that is not a SCIM attribute. The defaults only cover rows written before
-- this migration; a rebuild writes every column from the log.
ALTER TABLE users
    ADD COLUMN role text NOT NULL DEFAULT 'member',
    ADD COLUMN invite_expires_at timestamptz,
    ADD COLUMN identities jsonb NOT NULL DEFAULT '[]',
    -- Every user before this migration came from SCIM, so the IdP manages them.
    ADD COLUMN idp_managed boolean NOT NULL DEFAULT true,
    ADD CONSTRAINT users_role_check CHECK (role IN ('admin', 'editor', 'viewer', 'member')),
    ADD CONSTRAINT users_invite_expiry_only_pending CHECK (
        invite_expires_at IS NULL OR status = 'pending');

-- The invitation list.
CREATE INDEX users_pending_idx ON users (org_id, created_at, id) WHERE status = 'pending';
-- Users a SCIM create may adopt (they came through a product door), by userName and email.
CREATE INDEX users_adoptable_name_idx ON users (org_id, lower(user_name))
    WHERE NOT idp_managed AND status <> 'deleted';
CREATE INDEX users_adoptable_email_idx ON users (org_id, lower(email))
    WHERE NOT idp_managed AND status <> 'deleted';

-- Single sign-on identities -> user: a projection of `identity_linked` and of joins that
-- came with an identity, so that one (issuer, subject) names at most one live user.
CREATE TABLE user_identities (
    org_id  uuid NOT NULL REFERENCES organizations (id),
    issuer  text NOT NULL,
    subject text NOT NULL,
    user_id uuid NOT NULL,
    CONSTRAINT user_identities_pkey PRIMARY KEY (org_id, issuer, subject)
);
CREATE INDEX user_identities_user_idx ON user_identities (org_id, user_id);

-- Personal access tokens belong to one user of the token's organization.
ALTER TABLE api_tokens
    ADD COLUMN user_id uuid,
    DROP CONSTRAINT api_tokens_kind_check,
    ADD CONSTRAINT api_tokens_kind_check CHECK (
        kind IN ('scim', 'service', 'auditor', 'personal')),
    ADD CONSTRAINT api_tokens_personal_has_user CHECK ((kind = 'personal') = (user_id IS NOT NULL));
CREATE INDEX api_tokens_user_idx ON api_tokens (org_id, user_id) WHERE user_id IS NOT NULL;

-- Invitation codes. Like passwords, they are secrets beside the log, not in it: the log
-- records user_invited / user_invite_renewed / user_invite_revoked / user_invite_accepted,
-- this table holds the SHA-256 of each code and what became of it. A code is closed
-- exactly once (used, revoked, or superseded by a resend).
CREATE TABLE invitations (
    id         uuid PRIMARY KEY,
    org_id     uuid NOT NULL REFERENCES organizations (id),
    user_id    uuid NOT NULL,
    code_hash  bytea NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    state      text NOT NULL DEFAULT 'open',
    closed_at  timestamptz,
    CONSTRAINT invitations_code_hash_key UNIQUE (code_hash),
    CONSTRAINT invitations_state_check CHECK (
        state IN ('open', 'used', 'revoked', 'superseded')),
    CONSTRAINT invitations_closed_at CHECK ((state = 'open') = (closed_at IS NULL))
);
-- At most one open code per invited user.
CREATE UNIQUE INDEX invitations_one_open_key ON invitations (org_id, user_id)
    WHERE state = 'open';

-- The organization's settings log: allowed email domains, self-registration, the default
-- role, IdP ownership of identity fields. Same shape and guarantees as user_events.
CREATE TABLE org_events (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id       uuid NOT NULL,
    org_id         uuid NOT NULL REFERENCES organizations (id),
    version        bigint NOT NULL,
    event_type     text NOT NULL,
    schema_version smallint NOT NULL,
    source         text NOT NULL,
    actor_kind     text NOT NULL,
    actor_id       text NOT NULL,
    actor_display  text NOT NULL,
    actor_token_id uuid,
    request_id     text,
    client_addr    inet,
    user_agent     text,
    occurred_at    timestamptz NOT NULL,
    tx_id          xid8 NOT NULL DEFAULT pg_current_xact_id(),
    payload        jsonb NOT NULL,
    diff           jsonb NOT NULL,
    CONSTRAINT org_events_event_id_key UNIQUE (event_id),
    CONSTRAINT org_events_version_key UNIQUE (org_id, version),
    CONSTRAINT org_events_version_positive CHECK (version > 0),
    CONSTRAINT org_events_source_check CHECK (source IN (
        'scim', 'invite', 'self_registration', 'sso', 'email_domain',
        'admin', 'self_service', 'api', 'system')),
    CONSTRAINT org_events_actor_kind_check CHECK (actor_kind IN (
        'scim_client', 'user', 'api_token', 'system')),
    CONSTRAINT org_events_diff_is_array CHECK (jsonb_typeof(diff) = 'array')
);

CREATE INDEX org_events_org_occurred_idx ON org_events (org_id, occurred_at, id);

CREATE TRIGGER org_events_append_only
    BEFORE UPDATE OR DELETE ON org_events
    FOR EACH ROW EXECUTE FUNCTION reject_log_change();

CREATE TRIGGER org_events_no_truncate
    BEFORE TRUNCATE ON org_events
    FOR EACH STATEMENT EXECUTE FUNCTION reject_log_change();

-- The fold of org_events: one row per organization that changed a setting. An
-- organization without a row has the defaults.
CREATE TABLE org_settings (
    org_id                uuid PRIMARY KEY REFERENCES organizations (id),
    version               bigint NOT NULL,
    settings              jsonb NOT NULL,
    updated_at            timestamptz NOT NULL,
    updated_source        text NOT NULL,
    updated_actor_kind    text NOT NULL,
    updated_actor_id      text NOT NULL,
    updated_actor_display text NOT NULL,
    last_event_type       text NOT NULL
);
