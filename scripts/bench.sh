#!/usr/bin/env bash
# Benchmark: SCIM user creation through the whole service, next to the raw
# speed of durable single-row inserts of the same shape into the same
# PostgreSQL. The ratio says how much of the database's write capacity the
# service turns into SCIM creates.
#
#   1. build usertrail and loadgen (release)
#   2. fresh database ut_bench in the throwaway cluster (or BENCH_DATABASE_URL)
#   3. migrate, create an org and a SCIM token, start `usertrail serve` on a
#      free loopback port, wait for GET /healthz
#   4. loadgen: 32 connections, 2 s warm-up, 10 s measured (at most 200k
#      requests); the server's peak RSS; stop the server
#   5. pgbench: 32 clients, 10 s, one INSERT of an event-log-shaped row per
#      transaction
#   6. summary table; drop ut_bench
#
# Everything runs on loopback, and every step is bounded in time.
#
# Settings (environment or .env):
#   BENCH_DATABASE_URL  superuser URL of a cluster to use instead of the
#                       throwaway one; ut_bench is created and dropped in it
#   BENCH_CONNECTIONS   default 32 (loadgen connections and pgbench clients)
#   BENCH_DURATION      seconds measured, for loadgen and pgbench; default 10
#   BENCH_WARMUP        loadgen warm-up in seconds; default 2
#   BENCH_MAX_REQUESTS  loadgen request cap; default 200000
#   BENCH_RUST_LOG      the server's RUST_LOG; default info, as in production
#   BENCH_KEEP_DB=1     keep ut_bench afterwards, for a look at the data
#   BENCH_PARTS         which parts to run: "scim pgbench" (default), or one
#                       of them (pgbench alone needs no usertrail build)
#   USERTRAIL_BIN       a prebuilt usertrail binary to benchmark instead of
#                       building target/release/usertrail
# Results (loadgen JSON, pgbench output and log, server log) are kept in
# .local/bench/<time>/.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
load_dotenv
cd "$REPO"

CONNECTIONS="${BENCH_CONNECTIONS:-32}"
DURATION="${BENCH_DURATION:-10}"
WARMUP="${BENCH_WARMUP:-2}"
MAX_REQUESTS="${BENCH_MAX_REQUESTS:-200000}"
BENCH_DB=ut_bench
PARTS=" ${BENCH_PARTS:-scim pgbench} "
want() { [[ "$PARTS" == *" $1 "* ]]; }
for setting in CONNECTIONS DURATION WARMUP MAX_REQUESTS; do
    [[ "${!setting}" =~ ^[0-9]+$ ]] || die "BENCH_$setting must be a whole number, got '${!setting}'"
done

RESULTS="$REPO/.local/bench/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$RESULTS"

# --- build ------------------------------------------------------------------

if want scim; then
    bin_dir="$(target_dir)/release"
    loadgen="$bin_dir/loadgen"
    if [[ -n "${USERTRAIL_BIN:-}" ]]; then
        usertrail="$USERTRAIL_BIN"
        log "building loadgen (release); using usertrail from USERTRAIL_BIN=$usertrail"
        cargo build --release -p usertrail-bench --bin loadgen >&2
    else
        usertrail="$bin_dir/usertrail"
        log "building usertrail and loadgen (release)"
        cargo build --release -p usertrail-server --bin usertrail -p usertrail-bench --bin loadgen >&2
    fi
    [[ -x "$usertrail" && -x "$loadgen" ]] || die "binaries missing: $usertrail, $loadgen"
fi

# --- database -----------------------------------------------------------------

if [[ -n "${BENCH_DATABASE_URL:-}" ]]; then
    admin_url="$BENCH_DATABASE_URL"
else
    admin_url="$("$REPO/scripts/devdb.sh" start)"
fi
psql="$(pg_tool psql)"
pgbench="$(pg_tool pgbench)"
bench_url="$(url_with_database "$admin_url" "$BENCH_DB")"

admin_sql() {
    PGOPTIONS="-c client_min_messages=warning" \
        "$psql" "$admin_url" -X -q -v ON_ERROR_STOP=1 -c "$1" >&2
}

server_pid=""
cleanup() {
    local status=$?
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        log "stopping the server (pid $server_pid)"
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [[ "${BENCH_KEEP_DB:-0}" == 1 ]]; then
        log "keeping database $BENCH_DB (BENCH_KEEP_DB=1)"
    else
        admin_sql "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" || log "could not drop $BENCH_DB"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "creating a fresh database $BENCH_DB on $(redact_url "$admin_url")"
admin_sql "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)"
admin_sql "CREATE DATABASE $BENCH_DB"

# --- helpers for the server -----------------------------------------------------

# A TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
    local port _
    for _ in $(seq 1 50); do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            printf '%s\n' "$port"
            return 0
        fi
    done
    return 1
}

# The HTTP status of GET http://127.0.0.1:$1$2, or nothing. Plain bash, so
# the benchmark needs no curl.
http_status() {
    (
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$2" >&3
        IFS= read -r -t 5 status_line <&3 || exit 1
        [[ "$status_line" =~ ^HTTP/1\.[01]\ ([0-9]{3}) ]] && printf '%s\n' "${BASH_REMATCH[1]}"
    ) 2>/dev/null
}

# A numeric (or null) field of a flat JSON object on stdin.
json_field() {
    sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p"
}

# --- SCIM creates through the service -------------------------------------------

scim_json='{}'
rss_mb="n/a"

run_scim() {
    export DATABASE_URL="$bench_url"
    log "migrating"
    "$usertrail" migrate >&2
    "$usertrail" org create bench --name "Benchmark" >&2
    local token port tries rss_kb
    token="$("$usertrail" token create --org bench --kind scim --name "bench $(date -u +%FT%TZ)")"
    [[ -n "$token" ]] || die "usertrail token create printed no token"

    port="$(free_port)" || die "found no free TCP port on 127.0.0.1"
    log "starting usertrail serve on 127.0.0.1:$port (log: $RESULTS/server.log)"
    LISTEN_ADDR="127.0.0.1:$port" RUST_LOG="${BENCH_RUST_LOG:-info}" LOG_FORMAT=json \
        "$usertrail" serve >"$RESULTS/server.log" 2>&1 &
    server_pid=$!

    for ((tries = 0; ; tries++)); do
        [[ "$(http_status "$port" /healthz || true)" == 200 ]] && break
        kill -0 "$server_pid" 2>/dev/null || {
            tail -n 20 "$RESULTS/server.log" >&2
            die "the server exited during start-up (log above)"
        }
        ((tries < 120)) || die "GET /healthz did not answer 200 within 60 s"
        sleep 0.5
    done

    log "loadgen: $CONNECTIONS connections, ${WARMUP}s warm-up, ${DURATION}s measured, at most $MAX_REQUESTS requests"
    # The token goes through the environment: arguments show up in `ps`.
    scim_json="$(LOADGEN_TOKEN="$token" "$loadgen" scim-create \
        --url "http://127.0.0.1:$port" --connections "$CONNECTIONS" \
        --duration "${DURATION}s" --warmup "${WARMUP}s" --max-requests "$MAX_REQUESTS")" ||
        die "loadgen failed (server log: $RESULTS/server.log)"
    printf '%s\n' "$scim_json" | tee "$RESULTS/loadgen.json" >&2

    # Peak resident memory of the server over its life, before it exits.
    rss_mb="n/a"
    if [[ -r "/proc/$server_pid/status" ]]; then
        rss_kb="$(awk '/^VmHWM:/ {print $2}' "/proc/$server_pid/status")"
        if [[ -n "$rss_kb" ]]; then
            rss_mb="$(awk -v kb="$rss_kb" 'BEGIN {printf "%.1f", kb / 1024}')"
        fi
    fi

    log "stopping the server (SIGTERM)"
    kill -TERM "$server_pid"
    for ((tries = 0; tries < 30; tries++)); do
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.5
    done
    if kill -0 "$server_pid" 2>/dev/null; then
        log "warning: the server ignored SIGTERM for 15 s; killing it"
        kill -KILL "$server_pid" 2>/dev/null || true
    fi
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}

# --- raw inserts with pgbench -------------------------------------------------

pg_tps="n/a"
pg_avg="n/a"
pg_p50="n/a"
pg_p99="n/a"

run_pgbench() {

    # The shape of the event log, without its triggers, projections or ledger:
    # the cost of one durable row, which bounds what the service can reach.
    "$psql" "$bench_url" -X -q -v ON_ERROR_STOP=1 >&2 <<'SQL'
CREATE TABLE bench_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id uuid NOT NULL UNIQUE,
    org_id uuid NOT NULL,
    user_id uuid NOT NULL,
    version bigint NOT NULL,
    event_type text NOT NULL,
    source text NOT NULL,
    actor_kind text,
    actor_id text,
    payload jsonb NOT NULL,
    diff jsonb NOT NULL,
    occurred_at timestamptz NOT NULL,
    UNIQUE (org_id, user_id, version)
);
SQL

    # One transaction = one INSERT, committed (and so flushed) on its own,
    # like one SCIM create. The payload is a SCIM User of ~330 bytes as JSON
    # text; the diff a JSON Patch of a few operations, as a create records.
    # :n is cast to text because a prepared statement cannot infer a
    # parameter's type from ||. pgbench takes every ":word" for a variable,
    # even inside strings and comments: hence no comments in the script, and
    # the replace() that spells the schema URN.
    cat >"$RESULTS/insert.sql" <<'SQL'
\set n random(1, 1000000000)
INSERT INTO bench_events (event_id, org_id, user_id, version, event_type, source,
                          actor_kind, actor_id, payload, diff, occurred_at)
VALUES (gen_random_uuid(), '00000000-0000-4000-8000-000000000001', gen_random_uuid(), 1,
        'UserCreated', 'scim', 'scim_client', 'bench-token',
        jsonb_build_object(
            'schemas', jsonb_build_array(replace('urn|ietf|params|scim|schemas|core|2.0|User', '|', ':')),
            'userName', 'pgbench-' || :n::text || '@example.com',
            'name', jsonb_build_object('givenName', 'B', 'familyName', 'N' || :n::text),
            'emails', jsonb_build_array(jsonb_build_object(
                'value', 'pgbench-' || :n::text || '@example.com', 'type', 'work', 'primary', true)),
            'active', true,
            'externalId', 'ext-' || :n::text,
            'displayName', 'Bench User ' || :n::text),
        jsonb_build_array(
            jsonb_build_object('op', 'add', 'path', '/userName',
                               'value', 'pgbench-' || :n::text || '@example.com'),
            jsonb_build_object('op', 'add', 'path', '/active', 'value', true)),
        now());
SQL

    log "pgbench: $CONNECTIONS clients, ${DURATION}s, one durable INSERT per transaction"
    # -n: no vacuum of pgbench's own tables (there are none); -M prepared like
    # the service's driver; --log writes one line per transaction, whose third
    # field is its latency in microseconds, for percentiles.
    (cd "$RESULTS" && "$pgbench" -n -M prepared -c "$CONNECTIONS" -j 2 -T "$DURATION" \
        -f insert.sql --log --log-prefix=pgbench_log "$bench_url") >"$RESULTS/pgbench.txt" 2>&1 || {
        cat "$RESULTS/pgbench.txt" >&2
        die "pgbench failed"
    }
    grep -E '^(number of transactions actually processed|number of failed|latency average|tps)' \
        "$RESULTS/pgbench.txt" >&2 || true

    pg_tps="$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$RESULTS/pgbench.txt" | head -n1)"
    pg_tps="$(awk -v tps="$pg_tps" 'BEGIN {printf "%.1f", tps}')"
    pg_avg="$(sed -n 's/^latency average = \([0-9.]*\) ms.*/\1/p' "$RESULTS/pgbench.txt")"
    # p50 and p99 by nearest rank over every transaction's latency.
    read -r pg_p50 pg_p99 < <(cat "$RESULTS"/pgbench_log.* | awk '{print $3}' | sort -n |
        awk '{v[NR] = $1} END {
        if (NR == 0) { print "n/a n/a"; exit }
        i50 = int(NR * 0.50); if (i50 < NR * 0.50) i50++
        i99 = int(NR * 0.99); if (i99 < NR * 0.99) i99++
        printf "%.3f %.3f\n", v[i50] / 1000, v[i99] / 1000
    }')
    rm -f "$RESULTS"/pgbench_log.*
}

if want scim; then
    run_scim
fi
if want pgbench; then
    run_pgbench
fi

# --- summary -----------------------------------------------------------------------

# A field of loadgen's JSON line, or n/a when that part did not run.
scim_field() {
    local value
    value="$(json_field "$1" <<<"$scim_json")"
    printf '%s\n' "${value:-n/a}"
}
scim_rate="$(scim_field rate)"
scim_p50="$(scim_field p50_ms)"
scim_p99="$(scim_field p99_ms)"
scim_errors="$(scim_field errors)"
ratio="n/a"
if [[ "$scim_rate" != n/a && "$pg_tps" != n/a ]]; then
    ratio="$(awk -v a="$scim_rate" -v b="$pg_tps" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "n/a"}')"
fi

summary="$(
    printf '%-32s %12s\n' "measure" "value"
    printf '%-32s %12s\n' "SCIM creates/s" "$scim_rate"
    printf '%-32s %12s\n' "SCIM create p50 (ms)" "$scim_p50"
    printf '%-32s %12s\n' "SCIM create p99 (ms)" "$scim_p99"
    printf '%-32s %12s\n' "SCIM errors (non-201)" "$scim_errors"
    printf '%-32s %12s\n' "server peak RSS (MB)" "$rss_mb"
    printf '%-32s %12s\n' "pgbench inserts/s" "$pg_tps"
    printf '%-32s %12s\n' "pgbench latency avg (ms)" "$pg_avg"
    printf '%-32s %12s\n' "pgbench latency p50 (ms)" "$pg_p50"
    printf '%-32s %12s\n' "pgbench latency p99 (ms)" "$pg_p99"
    printf '%-32s %12s\n' "ratio creates/s / inserts/s" "$ratio"
)"
printf '%s\n' "$summary" >"$RESULTS/summary.txt"
printf '\n%s\n\n' "$summary"
log "results in $RESULTS"
