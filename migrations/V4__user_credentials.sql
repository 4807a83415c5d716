-- Password hashes, kept out of the log on purpose: the log is read and
-- exported by auditors, and even a memory-hard hash is what an offline
-- guesser needs. The log records that a password changed
-- (`user_password_changed`, empty payload); this table holds the current
-- hash only. It is not a projection: it cannot be rebuilt from the log, and
-- a user's row goes when the user is deleted.
CREATE TABLE user_credentials (
    org_id        uuid NOT NULL REFERENCES organizations (id),
    user_id       uuid NOT NULL,
    password_hash text NOT NULL,
    changed_at    timestamptz NOT NULL,
    PRIMARY KEY (org_id, user_id),
    CONSTRAINT user_credentials_phc_format CHECK (password_hash LIKE '$argon2id$%')
);
