-- Each ledger entry keeps a copy of the fields the auditor's queries filter
-- by: event type, source, actor and time. A query such as "events by this
-- actor" then reads the ledger through an index of its own instead of
-- joining every entry to its log row until a page is full (docs/adr/0016).
-- The sealer writes the copies, so writers pay nothing for these indexes.
--
-- The copies are not hashed; the record they come from is. Verification
-- compares each entry's copies with its log row and reports a difference
-- as a changed event at that sequence.

ALTER TABLE ledger
    ADD COLUMN event_type  text,
    ADD COLUMN source      text,
    ADD COLUMN actor_kind  text,
    ADD COLUMN actor_id    text,
    ADD COLUMN occurred_at timestamptz;

-- Entries sealed before this migration get their copies from the log. The
-- append-only trigger is off for these statements only; an entry whose log
-- row is already gone keeps NULLs (verification reports it as removed).
ALTER TABLE ledger DISABLE TRIGGER ledger_append_only;

UPDATE ledger l
SET event_type = e.event_type, source = e.source, actor_kind = e.actor_kind,
    actor_id = e.actor_id, occurred_at = e.occurred_at
FROM user_events e
WHERE l.log = 'user_events' AND l.log_row_id = e.id;

UPDATE ledger l
SET event_type = e.event_type, source = e.source, actor_kind = e.actor_kind,
    actor_id = e.actor_id, occurred_at = e.occurred_at
FROM group_events e
WHERE l.log = 'group_events' AND l.log_row_id = e.id;

UPDATE ledger l
SET event_type = e.event_type, source = e.source, actor_kind = e.actor_kind,
    actor_id = e.actor_id, occurred_at = e.occurred_at
FROM org_events e
WHERE l.log = 'org_events' AND l.log_row_id = e.id;

ALTER TABLE ledger ENABLE TRIGGER ledger_append_only;

-- Every entry sealed from now on has all five (NOT VALID: the check is not
-- run over the entries above).
ALTER TABLE ledger ADD CONSTRAINT ledger_filter_fields_present CHECK (
    event_type IS NOT NULL AND source IS NOT NULL AND actor_kind IS NOT NULL
    AND actor_id IS NOT NULL AND occurred_at IS NOT NULL) NOT VALID;

-- One index per filter, each ending in the sequence so that a page in
-- either order is a range of it. The time range is found by its own index.
CREATE INDEX ledger_event_type_idx ON ledger (org_id, event_type, sequence);
CREATE INDEX ledger_source_idx ON ledger (org_id, source, sequence);
CREATE INDEX ledger_actor_kind_idx ON ledger (org_id, actor_kind, sequence);
CREATE INDEX ledger_actor_id_idx ON ledger (org_id, actor_id, sequence);
CREATE INDEX ledger_occurred_idx ON ledger (org_id, occurred_at);
