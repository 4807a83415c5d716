-- Idempotency keys expire (IDEMPOTENCY_KEY_TTL_HOURS); serve deletes the
-- expired ones in batches, oldest first, through this index.
CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);
