-- Reads of the audit trail with the CLI (`usertrail export`, `usertrail
-- verify`) are in the access log too: they have no token, but an operator,
-- named by the operating-system user, the host and the database role.
ALTER TABLE audit_access_log
    ALTER COLUMN token_id DROP NOT NULL,
    ALTER COLUMN token_label DROP NOT NULL,
    ADD COLUMN operator text,
    ADD CONSTRAINT audit_access_log_reader_check CHECK (
        (token_id IS NOT NULL AND token_label IS NOT NULL AND operator IS NULL)
        OR (token_id IS NULL AND token_label IS NULL AND operator IS NOT NULL));
