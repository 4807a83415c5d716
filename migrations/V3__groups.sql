-- Groups: the append-only group event log, and the `groups` and
-- `group_members` projections derived from it.
--
-- Membership changes are logged as deltas (group_members_added /
-- group_members_removed), so a change of one member of a large group stores
-- one id; the projection is moved along by inserting or deleting only the
-- rows concerned.

CREATE TABLE group_events (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id       uuid NOT NULL,
    org_id         uuid NOT NULL REFERENCES organizations (id),
    group_id       uuid NOT NULL,
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
    -- The writing transaction, for gap-free sealing (see user_events).
    tx_id          xid8 NOT NULL DEFAULT pg_current_xact_id(),
    payload        jsonb NOT NULL,
    diff           jsonb NOT NULL,
    CONSTRAINT group_events_event_id_key UNIQUE (event_id),
    CONSTRAINT group_events_version_key UNIQUE (org_id, group_id, version),
    CONSTRAINT group_events_version_positive CHECK (version > 0),
    CONSTRAINT group_events_source_check CHECK (source IN (
        'scim', 'invite', 'self_registration', 'sso', 'email_domain',
        'admin', 'self_service', 'api', 'system')),
    CONSTRAINT group_events_actor_kind_check CHECK (actor_kind IN (
        'scim_client', 'user', 'api_token', 'system')),
    CONSTRAINT group_events_diff_is_array CHECK (jsonb_typeof(diff) = 'array')
);

CREATE INDEX group_events_org_occurred_idx ON group_events (org_id, occurred_at, id);

-- A user's history shows the membership events that name them: `payload->'members'`
-- is an array of user ids on exactly these event types, and `?` finds one in it.
CREATE INDEX group_events_members_idx ON group_events USING gin ((payload->'members'))
    WHERE event_type IN ('group_created', 'group_members_added', 'group_members_removed');

CREATE TRIGGER group_events_append_only
    BEFORE UPDATE OR DELETE ON group_events
    FOR EACH ROW EXECUTE FUNCTION reject_log_change();

CREATE TRIGGER group_events_no_truncate
    BEFORE TRUNCATE ON group_events
    FOR EACH STATEMENT EXECUTE FUNCTION reject_log_change();

-- The current state of every group. Deleted groups stay, with status
-- 'deleted', so that their history still answers and their name is free.
CREATE TABLE groups (
    org_id                uuid NOT NULL REFERENCES organizations (id),
    id                    uuid NOT NULL,
    version               bigint NOT NULL,
    status                text NOT NULL,
    display_name          text NOT NULL,
    external_id           text,
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
    CONSTRAINT groups_status_check CHECK (status IN ('active', 'deleted'))
);

-- displayName is unique per organization regardless of case, among groups
-- that still exist; a violation is the SCIM 409 `uniqueness`.
CREATE UNIQUE INDEX groups_display_name_key ON groups (org_id, lower(display_name))
    WHERE status <> 'deleted';
CREATE INDEX groups_external_id_idx ON groups (org_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX groups_created_idx ON groups (org_id, created_at, id);

-- Who is in which live group. Rows of a deleted group are removed; rows of
-- a deleted user stay (the group's log never removed them) and every read
-- joins `users` to leave them out.
CREATE TABLE group_members (
    org_id   uuid NOT NULL REFERENCES organizations (id),
    group_id uuid NOT NULL,
    user_id  uuid NOT NULL,
    PRIMARY KEY (org_id, group_id, user_id)
);

-- The other direction: a user's groups (the User `groups` attribute).
CREATE INDEX group_members_user_idx ON group_members (org_id, user_id, group_id);
