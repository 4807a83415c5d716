-- Indexes for SCIM filters on multi-valued attributes.
--
-- `emails.value` is caseExact=false (RFC 7643 §4.1.2), so a containment
-- test on the stored JSON (`resource->'emails' @> '[{"value": ...}]'`) would
-- be case-sensitive and therefore wrong. Instead the filter translation
-- compares against the lower-cased values of the array, computed by one
-- function that the index and the query share, so both always agree.

-- The lower-cased `value` of every element of a SCIM multi-valued attribute;
-- an empty array when the attribute is absent or not an array. Immutable:
-- it reads nothing but its argument, which lets it back an index.
CREATE FUNCTION scim_lower_values(elements jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ARRAY(
    SELECT lower(element->>'value')
    FROM jsonb_array_elements(
        CASE WHEN jsonb_typeof(elements) = 'array' THEN elements ELSE '[]'::jsonb END
    ) AS element
    WHERE element->>'value' IS NOT NULL
);

-- `emails[value eq "..."]`, `emails.value eq "..."` and `emails eq "..."`
-- become `scim_lower_values(resource->'emails') @> ARRAY[lower($n)]`. Only
-- live users are listed over SCIM, so deleted ones stay out of the index.
CREATE INDEX users_email_values_idx ON users
    USING gin (scim_lower_values(resource->'emails'))
    WHERE status <> 'deleted';
