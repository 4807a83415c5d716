-- Each ledger entry keeps the exact bytes its hash covers: the event's
-- record in the canonical form (RFC 8785), as the sealer wrote and hashed
-- it. An NDJSON export then reads the ledger alone, in sequence order,
-- instead of joining every entry to its log row (docs/adr/0017).
--
-- The bytes are protected by the chain itself: an entry's hash is
-- sha256(previous hash || record), so anyone holding the export can check
-- them. Verification also compares them with the log row the entry points
-- at and reports a difference as a changed event at that sequence.
--
-- The sealer writes it for every entry from now on. Entries sealed before
-- this migration keep NULL, and their records are read from the log as
-- before: nothing is rewritten, and the migration is instant. NULL is never
-- wrong, only slower to export, so no constraint requires the bytes.

ALTER TABLE ledger ADD COLUMN record bytea;
