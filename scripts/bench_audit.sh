# shellcheck shell=bash
# The audit part of scripts/bench.sh (sourced by it, sharing its helpers and
# variables): on a log of BENCH_AUDIT_EVENTS events (default 1 000 000),
# seeded with INSERT ... SELECT generate_series rather than HTTP,
#   1. sealing rate: a server seals the whole log; events/s
#   2. NDJSON export rate through GET /api/v1/events/export on a fresh
#      server, with that server's peak RSS, next to COPY of the ledger's
#      sealed records by psql (what PostgreSQL alone does to hand the lines'
#      bytes out, docs/adr/0017)
#   3. the same export filtered by source=scim, which every seeded event
#      matches: the filtered path's cost per row next to the unfiltered one
#   4. full-chain verification rate through GET /api/v1/audit/verify, next
#      to COPY of the ledger joined to the log by psql (the rows the walk
#      rebuilds every record from; the screen reads the same rows inside
#      PostgreSQL, docs/adr/0018), and which method ran
#   5. one page of GET /api/v1/events for filters that match nothing (an
#      actor, an event type), next to the newest page with no filter: the
#      filtered page should cost about as much, not a walk of the ledger
# and, during the SCIM create load of the scim part, the sealing lag that
# GET /readyz reports, sampled twice a second (sealing_lag_sampler).

AUDIT_EVENTS="${BENCH_AUDIT_EVENTS:-1000000}"
[[ "$AUDIT_EVENTS" =~ ^[0-9]+$ ]] && ((AUDIT_EVENTS > 0)) ||
    die "BENCH_AUDIT_EVENTS must be a whole number above 0, got '$AUDIT_EVENTS'"
command -v curl >/dev/null 2>&1 || die "curl is needed for the audit part"

audit_seal_rate="n/a"
audit_seal_seconds="n/a"
audit_export_rate="n/a"
audit_export_mb="n/a"
audit_export_rss_mb="n/a"
audit_filtered_rate="n/a"
audit_copy_rate="n/a"
audit_records_copy_rate="n/a"
audit_verify_rate="n/a"
audit_verify_ok="n/a"
audit_verify_method="n/a"
audit_page_ms="n/a"
audit_page_actor_ms="n/a"
audit_page_type_ms="n/a"
lag_max_seconds="n/a"
lag_max_unsealed="n/a"

now_seconds() {
    date +%s.%N
}

# Events per second: $1 events in the time from $2 to $3.
per_second() {
    awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN {if (b > a) printf "%.0f\n", n / (b - a); else print "n/a"}'
}

# Samples GET /readyz on port $1 twice a second into $2 until killed.
sealing_lag_sampler() {
    while true; do
        curl -s --max-time 2 "http://127.0.0.1:$1/readyz" >>"$2" || true
        printf '\n' >>"$2"
        sleep 0.5
    done
}

# The largest lag_seconds and unsealed_events among the samples in $1.
summarise_lag() {
    lag_max_seconds="$(sed -n 's/.*"lag_seconds":\([0-9.e+-]*\).*/\1/p' "$1" |
        awk 'BEGIN {m = 0} {if ($1 > m) m = $1} END {printf "%.3f\n", m}')"
    lag_max_unsealed="$(sed -n 's/.*"unsealed_events":\([0-9]*\).*/\1/p' "$1" |
        awk 'BEGIN {m = 0} {if ($1 > m) m = $1} END {print m}')"
}

# BENCH_AUDIT_EVENTS user_created events of distinct users, in transactions
# of 100 000, as the server writes them for loadgen's scim-create: the same
# payload and diff, in the same text (compact, members sorted).
seed_audit_events() {
    log "seeding $AUDIT_EVENTS events into user_events"
    "$psql" "$bench_url" -X -q -v ON_ERROR_STOP=1 -v events="$AUDIT_EVENTS" >&2 <<'SQL'
SELECT format($q$
INSERT INTO user_events (event_id, org_id, user_id, version, event_type, schema_version,
    source, actor_kind, actor_id, actor_display, request_id, client_addr, user_agent,
    occurred_at, payload, diff)
SELECT gen_random_uuid(), org.id, gen_random_uuid(), 1, 'user_created', 1, 'scim',
    'scim_client', token.id::text, token.label, gen_random_uuid()::text, '127.0.0.1',
    'loadgen', now() - (%2$s - n) * interval '1 microsecond',
    format('{"profile":%%s}', seeded.profile)::json,
    format('[{"op":"add","path":"/idp_managed","value":true},'
        '{"op":"add","path":"/profile","value":%%s},'
        '{"op":"add","path":"/role","value":"member"},'
        '{"op":"add","path":"/status","value":"active"}]', seeded.profile)::json
FROM organizations AS org
JOIN api_tokens AS token ON token.org_id = org.id AND token.kind = 'scim'
CROSS JOIN generate_series(%1$s, least(%1$s + 99999, %2$s - 1)) AS n
CROSS JOIN LATERAL (SELECT format('{"active":true,"emails":[{"primary":true,"type":"work",'
    '"value":"audit-%%1$s@example.com"}],"name":{"familyName":"N%%1$s","givenName":"B"},'
    '"userName":"audit-%%1$s@example.com"}', n) AS profile) AS seeded
WHERE org.slug = 'bench'$q$, start, :events)
FROM generate_series(0, :events - 1, 100000) AS start \gexec
VACUUM (ANALYZE) user_events;
CHECKPOINT;
SQL
}

# The median time in ms of five requests for the first page (100 entries)
# of GET /api/v1/events?$1, with the auditor token $auditor.
page_ms() {
    local i
    for ((i = 0; i < 5; i++)); do
        curl -s --fail --max-time 60 -o /dev/null -w '%{time_total}\n' \
            -H "Authorization: Bearer $auditor" \
            "http://127.0.0.1:$port/api/v1/events?limit=100&$1"
    done | sort -n | awk '{t[NR] = $1} END {if (NR == 5) printf "%.1f\n", t[3] * 1000; else print "n/a"}'
}

# Unsealed events as GET /readyz reports them (empty when unreadable).
unsealed_events() {
    curl -s --max-time 5 "http://127.0.0.1:$port/readyz" |
        sed -n 's/.*"unsealed_events":\([0-9]*\).*/\1/p'
}

run_audit() {
    local start end unsealed auditor tries lines bytes report org_id
    seed_audit_events
    auditor="$("$usertrail" token create --org bench --kind auditor --name "bench auditor")"
    org_id="$("$psql" "$bench_url" -X -At -c "SELECT id FROM organizations WHERE slug = 'bench'")"

    start_server audit-seal
    start="$(now_seconds)"
    # Bounded: at most 10 minutes for the whole log.
    for ((tries = 0; tries < 1200; tries++)); do
        unsealed="$(unsealed_events)"
        [[ "$unsealed" == 0 ]] && break
        sleep 0.5
    done
    end="$(now_seconds)"
    [[ "$unsealed" == 0 ]] || die "the sealer did not finish within 10 minutes"
    local sealed
    sealed="$("$psql" "$bench_url" -X -At -c "SELECT count(*) FROM ledger")"
    audit_seal_rate="$(per_second "$sealed" "$start" "$end")"
    audit_seal_seconds="$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.1f\n", b - a}')"
    stop_server
    # The ledger grew by a million rows within a minute; autovacuum would
    # analyse it before long, and until then plans assume it is tiny.
    "$psql" "$bench_url" -X -q -v ON_ERROR_STOP=1 -c "VACUUM (ANALYZE) ledger" >&2

    # A fresh server, so that its peak RSS is that of the export alone.
    start_server audit-export
    log "exporting $sealed events as NDJSON"
    start="$(now_seconds)"
    # One reader counting lines and bytes, as the COPY below has one wc.
    read -r lines bytes < <(curl -s --fail -H "Authorization: Bearer $auditor" \
        "http://127.0.0.1:$port/api/v1/events/export?format=ndjson" | wc -lc)
    end="$(now_seconds)"
    [[ "$lines" == "$sealed" ]] || die "the export had $lines lines, not $sealed"
    audit_export_rate="$(per_second "$lines" "$start" "$end")"
    audit_export_rss_mb="$(server_peak_rss_mb)"
    audit_export_mb="$(awk -v b="$bytes" 'BEGIN {printf "%.0f\n", b / 1048576}')"

    log "exporting the same events filtered by source=scim"
    local scim_events
    scim_events="$("$psql" "$bench_url" -X -At -c "SELECT count(*) FROM ledger WHERE source = 'scim'")"
    start="$(now_seconds)"
    lines="$(curl -s --fail -H "Authorization: Bearer $auditor" \
        "http://127.0.0.1:$port/api/v1/events/export?format=ndjson&source=scim" | wc -l)"
    end="$(now_seconds)"
    [[ "$lines" == "$scim_events" ]] || die "the filtered export had $lines lines, not $scim_events"
    audit_filtered_rate="$(per_second "$lines" "$start" "$end")"

    log "verifying the chain of $sealed events"
    start="$(now_seconds)"
    report="$(curl -s --fail --max-time 600 -H "Authorization: Bearer $auditor" \
        "http://127.0.0.1:$port/api/v1/audit/verify")"
    end="$(now_seconds)"
    printf '%s\n' "$report" >"$RESULTS/verify.json"
    audit_verify_ok="$(json_field ok <<<"$report")"
    audit_verify_method="$(json_field method <<<"$report" | tr -d '"')"
    audit_verify_rate="$(per_second "$sealed" "$start" "$end")"

    log "timing a page of events with and without a filter"
    audit_page_ms="$(page_ms "order=desc")"
    audit_page_actor_ms="$(page_ms "actor_kind=user&actor_id=nobody")"
    audit_page_type_ms="$(page_ms "event_type=user_deleted")"
    stop_server

    log "COPY of the same join by psql, for comparison"
    start="$(now_seconds)"
    # Binary, as the server reads rows.
    "$psql" "$bench_url" -X -q -v ON_ERROR_STOP=1 -c "COPY (SELECT l.sequence, l.hash, e.* \
        FROM ledger l JOIN user_events e ON e.id = l.log_row_id AND l.log = 'user_events' \
        WHERE l.org_id = '$org_id' ORDER BY l.sequence) TO STDOUT (FORMAT binary)" |
        wc -c >/dev/null
    end="$(now_seconds)"
    audit_copy_rate="$(per_second "$sealed" "$start" "$end")"

    log "COPY of the ledger's sealed records by psql, for comparison"
    start="$(now_seconds)"
    "$psql" "$bench_url" -X -q -v ON_ERROR_STOP=1 -c "COPY (SELECT l.sequence, l.hash, l.record \
        FROM ledger l WHERE l.org_id = '$org_id' ORDER BY l.sequence) TO STDOUT (FORMAT binary)" |
        wc -c >/dev/null
    end="$(now_seconds)"
    audit_records_copy_rate="$(per_second "$sealed" "$start" "$end")"
}

audit_summary() {
    printf '\n'
    printf '%-32s %12s\n' "audit (log of $AUDIT_EVENTS)" "value"
    printf '%-32s %12s\n' "sealing lag under creates, max s" "$lag_max_seconds"
    printf '%-32s %12s\n' "unsealed under creates, max" "$lag_max_unsealed"
    printf '%-32s %12s\n' "sealing rate (events/s)" "$audit_seal_rate"
    printf '%-32s %12s\n' "sealing the whole log (s)" "$audit_seal_seconds"
    printf '%-32s %12s\n' "NDJSON export (events/s)" "$audit_export_rate"
    printf '%-32s %12s\n' "NDJSON export size (MB)" "$audit_export_mb"
    printf '%-32s %12s\n' "server peak RSS, export (MB)" "$audit_export_rss_mb"
    printf '%-32s %12s\n' "export, source=scim (events/s)" "$audit_filtered_rate"
    printf '%-32s %12s\n' "ratio filtered / unfiltered" "$(ratio_of "$audit_filtered_rate" "$audit_export_rate")"
    printf '%-32s %12s\n' "psql COPY of records (rows/s)" "$audit_records_copy_rate"
    printf '%-32s %12s\n' "ratio export / COPY of records" "$(ratio_of "$audit_export_rate" "$audit_records_copy_rate")"
    printf '%-32s %12s\n' "psql COPY of the join (rows/s)" "$audit_copy_rate"
    printf '%-32s %12s\n' "verify (events/s)" "$audit_verify_rate"
    printf '%-32s %12s\n' "ratio verify / COPY" "$(ratio_of "$audit_verify_rate" "$audit_copy_rate")"
    printf '%-32s %12s\n' "verify ok" "$audit_verify_ok"
    printf '%-32s %12s\n' "verify method" "$audit_verify_method"
    printf '%-32s %12s\n' "events page, no filter (ms)" "$audit_page_ms"
    printf '%-32s %12s\n' "page, unknown actor (ms)" "$audit_page_actor_ms"
    printf '%-32s %12s\n' "ratio unknown actor / no filter" "$(ratio_of "$audit_page_actor_ms" "$audit_page_ms")"
    printf '%-32s %12s\n' "page, absent event type (ms)" "$audit_page_type_ms"
    printf '%-32s %12s\n' "ratio absent type / no filter" "$(ratio_of "$audit_page_type_ms" "$audit_page_ms")"
}
