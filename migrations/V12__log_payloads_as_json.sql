-- The log keeps each event's payload and diff as the JSON text it was
-- written with (`json`), not PostgreSQL's binary form (`jsonb`): the log is
-- written once and read whole, by exports, verification and folds, and
-- turning `jsonb` back into text was the largest part of PostgreSQL's cost
-- in reading it (docs/adr/0015). The projections keep `jsonb`.
--
-- The text of the events already written is `jsonb`'s own output, so the
-- canonical bytes the chain hashed are unchanged: RFC 8785 sorts members,
-- drops whitespace and reprints numbers, whichever text it starts from.
-- Changing a column's type rewrites the table; no row trigger fires.

ALTER TABLE user_events DROP CONSTRAINT user_events_diff_is_array;
ALTER TABLE group_events DROP CONSTRAINT group_events_diff_is_array;
ALTER TABLE org_events DROP CONSTRAINT org_events_diff_is_array;

-- The membership index is on a `jsonb` expression; it is built again on the cast.
DROP INDEX group_events_members_idx;

ALTER TABLE user_events
    ALTER COLUMN payload TYPE json USING payload::json,
    ALTER COLUMN diff TYPE json USING diff::json,
    ADD CONSTRAINT user_events_diff_is_array CHECK (json_typeof(diff) = 'array');

ALTER TABLE group_events
    ALTER COLUMN payload TYPE json USING payload::json,
    ALTER COLUMN diff TYPE json USING diff::json,
    ADD CONSTRAINT group_events_diff_is_array CHECK (json_typeof(diff) = 'array');

ALTER TABLE org_events
    ALTER COLUMN payload TYPE json USING payload::json,
    ALTER COLUMN diff TYPE json USING diff::json,
    ADD CONSTRAINT org_events_diff_is_array CHECK (json_typeof(diff) = 'array');

-- Queries name the same expression: `(payload::jsonb)->'members' ? <user id>`.
CREATE INDEX group_events_members_idx ON group_events USING gin (((payload::jsonb)->'members'))
    WHERE event_type IN ('group_created', 'group_members_added', 'group_members_removed',
                         'group_deleted');
