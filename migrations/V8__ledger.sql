-- The audit ledger: a contiguous per-organization sequence and a hash chain
-- over every sealed log event, signed checkpoints of its head, the log of
-- who read the audit trail, stored idempotent responses, and the service
-- role that may only read and append to all of these (docs/adr/0012, 0013).

-- The sealer walks the logs in (tx_id, log, id) order.
CREATE INDEX user_events_tx_idx ON user_events (tx_id, id);
CREATE INDEX group_events_tx_idx ON group_events (tx_id, id);
CREATE INDEX org_events_tx_idx ON org_events (tx_id, id);

-- One row per sealed event: its place in the organization's chain and the
-- chain hash after it, SHA-256(previous hash || canonical event), see
-- docs/audit.md. `log` and `log_row_id` say where the event is stored.
CREATE TABLE ledger (
    org_id     uuid NOT NULL REFERENCES organizations (id),
    sequence   bigint NOT NULL,
    log        text NOT NULL,
    log_row_id bigint NOT NULL,
    event_id   uuid NOT NULL,
    tx_id      xid8 NOT NULL,
    hash       bytea NOT NULL,
    sealed_at  timestamptz NOT NULL,
    PRIMARY KEY (org_id, sequence),
    -- Each event is sealed exactly once.
    CONSTRAINT ledger_log_row_key UNIQUE (log, log_row_id),
    CONSTRAINT ledger_event_id_key UNIQUE (event_id),
    CONSTRAINT ledger_sequence_positive CHECK (sequence > 0),
    CONSTRAINT ledger_hash_is_sha256 CHECK (octet_length(hash) = 32)
);

-- Where the sealer resumes: the last sealed (tx_id, log, log_row_id).
CREATE INDEX ledger_seal_order_idx ON ledger (tx_id, log, log_row_id);

CREATE TRIGGER ledger_append_only
    BEFORE UPDATE OR DELETE ON ledger
    FOR EACH ROW EXECUTE FUNCTION reject_log_change();
CREATE TRIGGER ledger_no_truncate
    BEFORE TRUNCATE ON ledger
    FOR EACH STATEMENT EXECUTE FUNCTION reject_log_change();

-- Signed heads of a chain. The signature covers the canonical JSON of the
-- checkpoint as the API returns it, without the signature (docs/audit.md).
CREATE TABLE ledger_checkpoints (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id     uuid NOT NULL REFERENCES organizations (id),
    sequence   bigint NOT NULL,
    hash       bytea NOT NULL,
    signed_at  timestamptz NOT NULL,
    key_id     text NOT NULL,
    signature  bytea NOT NULL,
    CONSTRAINT ledger_checkpoints_sequence_check CHECK (sequence >= 0),
    CONSTRAINT ledger_checkpoints_hash_is_sha256 CHECK (octet_length(hash) = 32),
    CONSTRAINT ledger_checkpoints_signature_is_ed25519 CHECK (octet_length(signature) = 64)
);

CREATE INDEX ledger_checkpoints_org_idx ON ledger_checkpoints (org_id, id);

CREATE TRIGGER ledger_checkpoints_append_only
    BEFORE UPDATE OR DELETE ON ledger_checkpoints
    FOR EACH ROW EXECUTE FUNCTION reject_log_change();
CREATE TRIGGER ledger_checkpoints_no_truncate
    BEFORE TRUNCATE ON ledger_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION reject_log_change();

-- Every read of the audit trail by an auditor: who, what, when, how many rows.
-- An export writes a row when it starts (row_count NULL) and one when it ends.
CREATE TABLE audit_access_log (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id        uuid NOT NULL REFERENCES organizations (id),
    token_id      uuid NOT NULL,
    token_label   text NOT NULL,
    action        text NOT NULL,
    filter        jsonb NOT NULL,
    row_count     bigint,
    request_id    text,
    accessed_at   timestamptz NOT NULL,
    CONSTRAINT audit_access_log_action_check CHECK (action IN (
        'events_query', 'events_export', 'events_export_finished', 'verify', 'proof',
        'access_log_query'))
);

CREATE INDEX audit_access_log_org_idx ON audit_access_log (org_id, id);

CREATE TRIGGER audit_access_log_append_only
    BEFORE UPDATE OR DELETE ON audit_access_log
    FOR EACH ROW EXECUTE FUNCTION reject_log_change();
CREATE TRIGGER audit_access_log_no_truncate
    BEFORE TRUNCATE ON audit_access_log
    FOR EACH STATEMENT EXECUTE FUNCTION reject_log_change();

-- The first response to a non-SCIM write with an Idempotency-Key, replayed
-- to a retry. Written once in the transaction of the write it answers.
CREATE TABLE idempotency_keys (
    org_id        uuid NOT NULL REFERENCES organizations (id),
    token_id      uuid NOT NULL,
    key           text NOT NULL,
    fingerprint   bytea NOT NULL,
    status        smallint NOT NULL,
    body          jsonb NOT NULL,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (org_id, token_id, key)
);

-- The role the service connects through (as a member of it). Roles belong
-- to the cluster, not the database: an operator creates it beforehand when
-- the migrating role may not create roles; otherwise it is made here, and
-- several databases (and concurrent migrators) may race to: either error
-- means it exists.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'usertrail_service') THEN
        BEGIN
            CREATE ROLE usertrail_service NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END;
    END IF;
END
$$;

-- Everything the service needs on every table there is now, then less on
-- each append-only table: any table guarded by reject_log_change(), which
-- includes tables of other migrations that use the same trigger.
DO $$
DECLARE
    log_table regclass;
BEGIN
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO usertrail_service;
    GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO usertrail_service;
    FOR log_table IN
        SELECT DISTINCT t.tgrelid::regclass FROM pg_trigger t
        WHERE t.tgfoid = 'reject_log_change'::regproc
    LOOP
        EXECUTE format('REVOKE ALL ON %s FROM usertrail_service', log_table);
        EXECUTE format('GRANT SELECT, INSERT ON %s TO usertrail_service', log_table);
    END LOOP;
END
$$;

REVOKE ALL ON refinery_schema_history FROM usertrail_service;
