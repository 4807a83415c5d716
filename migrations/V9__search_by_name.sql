-- The panel's text search (`q` of GET /api/v1/users) also finds users by the
-- parts of their name, which SCIM clients often send without a displayName.
-- The expression is SEARCH_TEXT of crates/store/src/listing.rs, character for
-- character: keep the two in step.

DROP INDEX users_search_idx;

CREATE INDEX users_search_idx ON users USING gin ((lower(
    user_name || ' ' || coalesce(display_name, '') || ' ' || coalesce(email, '') || ' '
    || coalesce(resource->'name'->>'givenName', '') || ' '
    || coalesce(resource->'name'->>'familyName', '') || ' '
    || coalesce(resource->'name'->>'formatted', '')
)) gin_trgm_ops);
