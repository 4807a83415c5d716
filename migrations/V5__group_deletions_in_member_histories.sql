-- A group's deletion now names the members it ends (group_deleted, payload
-- version 2), so that each member's history shows it. The history query
-- finds membership events through this index; widen its predicate to the
-- deletion.

DROP INDEX group_events_members_idx;

CREATE INDEX group_events_members_idx ON group_events USING gin ((payload->'members'))
    WHERE event_type IN ('group_created', 'group_members_added', 'group_members_removed',
                         'group_deleted');
