#!/usr/bin/env bash
# Benchmark: SCIM user creation and SCIM userName lookups through the whole
# service, each next to pgbench running the equivalent SQL on the same
# PostgreSQL. The ratios say how much of the database's capacity the service
# turns into SCIM requests.
#
#   1. build usertrail and loadgen (release)
#   2. fresh database ut_bench in the throwaway cluster (or BENCH_DATABASE_URL)
#   3. migrate, create an org and a SCIM token
#   scim part:
#   4. start `usertrail serve` on a free loopback port, wait for GET /healthz
#   5. loadgen scim-create: 32 connections, 2 s warm-up, 10 s measured (at
#      most 200k requests); the server's peak RSS; stop the server
#   pgbench part:
#   6. pgbench: 32 clients, 10 s, one INSERT of an event-log-shaped row per
#      transaction
#   filter part:
#   7. seed 100 000 users into the organization with one INSERT ... SELECT
#   8. start a fresh server; loadgen scim-filter: GET /scim/v2/Users?filter=
#      userName eq "..." for random seeded users, same bounds; peak RSS and
#      CPU ticks of PostgreSQL, the server and loadgen; stop the server
#   9. pgbench: 32 clients, 10 s, the page SELECT (with its window count) the server runs
#      for that request
#   audit part (scripts/bench_audit.sh): seed BENCH_AUDIT_EVENTS (1 000 000)
#      events with SQL; time the sealer over them, an NDJSON export (with the
#      server's peak RSS, next to psql COPY of the same rows) and a full
#      verification; the scim part also samples the sealing lag from /readyz
#  10. summary tables; drop ut_bench
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
#   BENCH_USERS         users seeded for the filter part; default 100000
#   BENCH_RUST_LOG      the server's RUST_LOG; default info, as in production
#   BENCH_KEEP_DB=1     keep ut_bench afterwards, for a look at the data
#   BENCH_AUDIT_EVENTS  events seeded for the audit part; default 1000000
#   BENCH_PARTS         which parts to run, any of "scim pgbench filter audit"
#                       (default: all four); pgbench alone needs no
#                       usertrail build
#   USERTRAIL_BIN       a prebuilt usertrail binary to benchmark instead of
#                       building target/release/usertrail
# Results (loadgen JSON, pgbench output and logs, server logs) are kept in
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
USERS="${BENCH_USERS:-100000}"
BENCH_DB=ut_bench
PARTS=" ${BENCH_PARTS:-scim pgbench filter audit} "
want() { [[ "$PARTS" == *" $1 "* ]]; }
for setting in CONNECTIONS DURATION WARMUP MAX_REQUESTS USERS; do
    [[ "${!setting}" =~ ^[0-9]+$ ]] || die "BENCH_$setting must be a whole number, got '${!setting}'"
done
((USERS > 0)) || die "BENCH_USERS must be at least 1"
for part in $PARTS; do
    [[ " scim pgbench filter audit " == *" $part "* ]] ||
        die "unknown BENCH_PARTS entry '$part' (use scim, pgbench, filter, audit)"
done

RESULTS="$REPO/.local/bench/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$RESULTS"

# --- build ------------------------------------------------------------------

if want scim || want filter || want audit; then
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

# --- the service -----------------------------------------------------------------

token=""
port=""

# Migrates ut_bench and creates the organization "bench" with a SCIM token
# (in $token), once for every part that goes through the service.
prepare_service() {
    # Migrate as the superuser; serve as a role that may only append to the log.
    ensure_service_roles "$admin_url" usertrail_app
    export MIGRATION_DATABASE_URL="$bench_url"
    export DATABASE_URL="$(url_with_user "$bench_url" usertrail_app)"
    log "migrating"
    "$usertrail" migrate >&2
    "$usertrail" org create bench --name "Benchmark" >&2
    token="$("$usertrail" token create --org bench --kind scim --name "bench $(date -u +%FT%TZ)")"
    [[ -n "$token" ]] || die "usertrail token create printed no token"
}

# Starts `usertrail serve` on a free loopback port (in $port), logging to
# $RESULTS/server-$1.log, and waits until GET /healthz answers 200.
start_server() {
    local server_log="$RESULTS/server-$1.log" tries
    port="$(free_port)" || die "found no free TCP port on 127.0.0.1"
    log "starting usertrail serve on 127.0.0.1:$port (log: $server_log)"
    # One database connection per client connection, as pgbench has.
    LISTEN_ADDR="127.0.0.1:$port" RUST_LOG="${BENCH_RUST_LOG:-info}" LOG_FORMAT=json \
        DATABASE_POOL_SIZE="$CONNECTIONS" \
        "$usertrail" serve >"$server_log" 2>&1 &
    server_pid=$!

    for ((tries = 0; ; tries++)); do
        [[ "$(http_status "$port" /healthz || true)" == 200 ]] && break
        kill -0 "$server_pid" 2>/dev/null || {
            tail -n 20 "$server_log" >&2
            die "the server exited during start-up (log above)"
        }
        ((tries < 120)) || die "GET /healthz did not answer 200 within 60 s"
        sleep 0.5
    done
}

# Peak resident memory of the running server over its life, in MB.
server_peak_rss_mb() {
    local rss_kb=""
    if [[ -r "/proc/$server_pid/status" ]]; then
        rss_kb="$(awk '/^VmHWM:/ {print $2}' "/proc/$server_pid/status")"
    fi
    if [[ -n "$rss_kb" ]]; then
        awk -v kb="$rss_kb" 'BEGIN {printf "%.1f\n", kb / 1024}'
    else
        printf 'n/a\n'
    fi
}

stop_server() {
    local tries
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

# shellcheck source=scripts/bench_audit.sh
source "$REPO/scripts/bench_audit.sh"

# --- CPU accounting from /proc ---------------------------------------------------

# CPU time is read in clock ticks from /proc/<pid>/stat, counting fields
# after the ")" that ends the command name (which may contain spaces):
# utime and stime, and cutime and cstime, the ticks of children the process
# has waited for. Other work shares these cores (other clusters, other
# databases of this one), so only the processes of the benchmark count.
CLOCK_TICKS="$(getconf CLK_TCK 2>/dev/null || echo 100)"

# utime + stime of the processes $@ that are still running, summed.
ticks_of() {
    local pid stat sum=0
    for pid in "$@"; do
        stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || continue
        sum=$((sum + $(awk '{print $12 + $13}' <<<"${stat##*) }")))
    done
    printf '%s\n' "$sum"
}

# Ticks of this shell's finished children: a load generator run in the
# background and waited for, or in a command substitution, counts here.
children_ticks() {
    local stat
    stat="$(cat "/proc/$$/stat")"
    awk '{print $14 + $15}' <<<"${stat##*) }"
}

# The PostgreSQL backends serving ut_bench, but not the psql asking.
bench_backends() {
    "$psql" "$bench_url" -X -At -c "SELECT pid FROM pg_stat_activity
        WHERE datname = current_database() AND backend_type = 'client backend'
          AND pid <> pg_backend_pid()"
}

# "pid ticks" (utime + stime) for each of the PostgreSQL backends $@ still
# running. One cat and one awk for them all: under full load, a fork per
# backend would take long enough to move the end of the window. A backend's
# command name is "postgres", without spaces, so plain field numbers work.
backend_ticks() {
    (($# > 0)) || return 0
    # A backend that has exited is simply missing from the output.
    (cd /proc && cat "${@/%//stat}" 2>/dev/null || true) | awk '{print $1, $14 + $15}'
}

# Ticks the backends of ut_bench use in a window inside a running load:
# waits $1 s for the load to settle (connections made, warm-up over), then
# counts for $2 s. Backends come and go with their clients, hence the window
# rather than the whole run; one that exits inside it is left out, and the
# number of backends counted goes to the log.
backend_ticks_in_window() {
    local pids before after sum counted
    sleep "$1"
    mapfile -t pids < <(bench_backends)
    before="$(backend_ticks "${pids[@]}")"
    sleep "$2"
    after="$(backend_ticks "${pids[@]}")"
    read -r sum counted < <(awk 'NR == FNR {start[$1] = $2; next}
         $1 in start {sum += $2 - start[$1]; n++}
         END {print sum + 0, n + 0}' <(printf '%s\n' "$before") <(printf '%s\n' "$after"))
    log "CPU of $counted of ${#pids[@]} PostgreSQL backends counted over ${2}s"
    printf '%s\n' "$sum"
}

# CPU milliseconds per request: $1 ticks over $2 requests, or n/a.
ms_per_request() {
    awk -v ticks="$1" -v n="$2" -v hz="$CLOCK_TICKS" \
        'BEGIN {if (n > 0 && ticks != "") printf "%.3f\n", ticks * 1000 / hz / n; else print "n/a"}'
}

# --- SCIM creates through the service -------------------------------------------

scim_json='{}'
rss_mb="n/a"

run_scim() {
    start_server scim
    log "loadgen scim-create: $CONNECTIONS connections, ${WARMUP}s warm-up, ${DURATION}s measured, at most $MAX_REQUESTS requests"
    # The token goes through the environment: arguments show up in `ps`.
    # The sealer's lag under this load, as /readyz reports it.
    sealing_lag_sampler "$port" "$RESULTS/readyz-scim.log" &
    local sampler_pid=$!
    scim_json="$(LOADGEN_TOKEN="$token" "$loadgen" scim-create \
        --url "http://127.0.0.1:$port" --connections "$CONNECTIONS" \
        --duration "${DURATION}s" --warmup "${WARMUP}s" --max-requests "$MAX_REQUESTS")" ||
        die "loadgen failed (server log: $RESULTS/server-scim.log)"
    printf '%s\n' "$scim_json" | tee "$RESULTS/loadgen-scim.json" >&2
    # Read before the server exits: VmHWM is the peak over its whole life.
    rss_mb="$(server_peak_rss_mb)"
    kill "$sampler_pid" 2>/dev/null || true
    wait "$sampler_pid" 2>/dev/null || true
    summarise_lag "$RESULTS/readyz-scim.log"
    stop_server
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
    payload json NOT NULL,
    diff json NOT NULL,
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
        json_build_object(
            'schemas', json_build_array(replace('urn|ietf|params|scim|schemas|core|2.0|User', '|', ':')),
            'userName', 'pgbench-' || :n::text || '@example.com',
            'name', json_build_object('givenName', 'B', 'familyName', 'N' || :n::text),
            'emails', json_build_array(json_build_object(
                'value', 'pgbench-' || :n::text || '@example.com', 'type', 'work', 'primary', true)),
            'active', true,
            'externalId', 'ext-' || :n::text,
            'displayName', 'Bench User ' || :n::text),
        json_build_array(
            json_build_object('op', 'add', 'path', '/userName',
                               'value', 'pgbench-' || :n::text || '@example.com'),
            json_build_object('op', 'add', 'path', '/active', 'value', true)),
        now());
SQL

    log "pgbench: $CONNECTIONS clients, ${DURATION}s, one durable INSERT per transaction"
    local result
    result="$(run_pgbench_script insert)"
    read -r pg_tps pg_avg pg_p50 pg_p99 _ <<<"$result"
}

# Runs pgbench with $RESULTS/$1.sql (further arguments go to pgbench) and
# prints "tps avg_ms p50_ms p99_ms transactions" on one line. Its output is
# kept in $RESULTS/pgbench-$1.txt.
run_pgbench_script() {
    local name="$1" output="$RESULTS/pgbench-$1.txt" tps avg transactions
    shift
    # -n: no vacuum of pgbench's own tables (there are none); -M prepared like
    # the service's driver; --log writes one line per transaction, whose third
    # field is its latency in microseconds, for percentiles.
    (cd "$RESULTS" && "$pgbench" -n -M prepared -c "$CONNECTIONS" -j 2 -T "$DURATION" \
        "$@" -f "$name.sql" --log --log-prefix="pgbench_log_$name" "$bench_url") >"$output" 2>&1 || {
        cat "$output" >&2
        die "pgbench failed"
    }
    grep -E '^(number of transactions actually processed|number of failed|latency average|tps)' \
        "$output" >&2 || true

    tps="$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$output" | head -n1)"
    tps="$(awk -v tps="$tps" 'BEGIN {printf "%.1f", tps}')"
    avg="$(sed -n 's/^latency average = \([0-9.]*\) ms.*/\1/p' "$output")"
    transactions="$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$output")"
    # p50 and p99 by nearest rank over every transaction's latency.
    cat "$RESULTS/pgbench_log_$name".* | awk '{print $3}' | sort -n |
        awk -v head="$tps ${avg:-n/a}" -v tail="${transactions:-0}" '{v[NR] = $1} END {
        if (NR == 0) { print head, "n/a n/a", tail; exit }
        i50 = int(NR * 0.50); if (i50 < NR * 0.50) i50++
        i99 = int(NR * 0.99); if (i99 < NR * 0.99) i99++
        printf "%s %.3f %.3f %s\n", head, v[i50] / 1000, v[i99] / 1000, tail
    }'
    rm -f "$RESULTS/pgbench_log_$name".*
}

# --- SCIM userName lookups at BENCH_USERS users ---------------------------------

filter_json='{}'
org_users="n/a"
filter_rss_mb="n/a"
filter_cpu_pg="n/a"
filter_cpu_server="n/a"
filter_cpu_loadgen="n/a"
pgf_tps="n/a"
pgf_avg="n/a"
pgf_p50="n/a"
pgf_p99="n/a"
pgf_cpu_pg="n/a"
pgf_cpu_pgbench="n/a"

# Writes BENCH_USERS users named bench-<n>@example.com, n in 0..BENCH_USERS,
# straight into the users projection, in the shape the server gives a user
# created by POST /scim/v2/Users with loadgen's scim-create body through the
# bench token: version 1, resource without schemas/id/meta, the token as the
# actor. The event log is not seeded: the read path reads the projection
# only, and 100 000 rows through the service would take most of a minute.
seed_users() {
    log "seeding $USERS users into the users projection"
    "$psql" "$bench_url" -X -q -v ON_ERROR_STOP=1 -v users="$USERS" >&2 <<'SQL'
INSERT INTO users (org_id, id, version, status, user_name, external_id, active, display_name,
                   email, resource,
                   created_at, created_source, created_actor_kind, created_actor_id,
                   created_actor_display,
                   updated_at, updated_source, updated_actor_kind, updated_actor_id,
                   updated_actor_display, last_event_type)
SELECT org.id, gen_random_uuid(), 1, 'active', seeded.user_name, NULL, true, NULL,
       seeded.user_name,
       jsonb_build_object(
           'userName', seeded.user_name,
           'name', jsonb_build_object('givenName', 'B', 'familyName', 'N' || n),
           'emails', jsonb_build_array(jsonb_build_object(
               'value', seeded.user_name, 'type', 'work', 'primary', true)),
           'active', true),
       seeded.at, 'scim', 'scim_client', token.id::text, token.label,
       seeded.at, 'scim', 'scim_client', token.id::text, token.label, 'user_created'
FROM organizations AS org
JOIN api_tokens AS token ON token.org_id = org.id AND token.kind = 'scim'
CROSS JOIN generate_series(0, :users - 1) AS n
-- One millisecond apart, in the order of n, as a provisioning run would.
CROSS JOIN LATERAL (
    SELECT 'bench-' || n || '@example.com' AS user_name,
           now() - (:users - n) * interval '1 millisecond' AS at
) AS seeded
WHERE org.slug = 'bench';
-- VACUUM as well as ANALYZE: it sets the hint bits and the visibility map
-- now, so that neither the first reads nor autovacuum do that work inside
-- the measured window.
VACUUM (ANALYZE) users;
-- And write the seeded pages out now rather than in a timed checkpoint
-- during the measurement.
CHECKPOINT;
SQL
}

run_filter() {
    local before_server before_children loadgen_pid pgbench_pid window requests org_id result
    local backend_ticks transactions

    seed_users
    org_id="$("$psql" "$bench_url" -X -At -v ON_ERROR_STOP=1 \
        -c "SELECT id FROM organizations WHERE slug = 'bench'")"
    [[ -n "$org_id" ]] || die "organization bench not found"
    org_users="$("$psql" "$bench_url" -X -At -v ON_ERROR_STOP=1 -c "SELECT count(*) FROM users
        WHERE org_id = '$org_id' AND status <> 'deleted'")"

    # A fresh server, so that its peak RSS is that of the lookups alone.
    start_server filter
    log "loadgen scim-filter: $CONNECTIONS connections, ${WARMUP}s warm-up, ${DURATION}s measured, at most $MAX_REQUESTS requests, $org_users users"
    before_server="$(ticks_of "$server_pid")"
    before_children="$(children_ticks)"
    LOADGEN_TOKEN="$token" "$loadgen" scim-filter \
        --url "http://127.0.0.1:$port" --connections "$CONNECTIONS" \
        --duration "${DURATION}s" --warmup "${WARMUP}s" --max-requests "$MAX_REQUESTS" \
        --users "$USERS" --user-name-pattern 'bench-{n}@example.com' \
        >"$RESULTS/loadgen-filter.json" &
    loadgen_pid=$!
    # The database's share is counted over the measured window less a
    # second at each end; the rest over the whole run, warm-up included.
    window=$((DURATION - 2))
    if ((window > 0)); then
        backend_ticks="$(backend_ticks_in_window $((WARMUP + 1)) "$window")"
    fi
    wait "$loadgen_pid" || die "loadgen failed (server log: $RESULTS/server-filter.log)"
    filter_json="$(cat "$RESULTS/loadgen-filter.json")"
    printf '%s\n' "$filter_json" >&2
    requests=$(($(json_field requests <<<"$filter_json") + $(json_field warmup_requests <<<"$filter_json")))
    filter_cpu_server="$(ms_per_request $(($(ticks_of "$server_pid") - before_server)) "$requests")"
    filter_cpu_loadgen="$(ms_per_request $(($(children_ticks) - before_children)) "$requests")"
    if ((window > 0)); then
        filter_cpu_pg="$(ms_per_request "$backend_ticks" \
            "$(awk -v r="$(json_field rate <<<"$filter_json")" -v s="$window" 'BEGIN {print r * s}')")"
    fi
    filter_rss_mb="$(server_peak_rss_mb)"
    stop_server

    # The statement crates/store/src/listing.rs (scim_list_sql, run_list)
    # runs for GET /Users?filter=userName eq "..." with the default count
    # (100) and startIndex (1) when a user matches: the page, whose rows
    # carry the total as a window count (the count alone runs only when no
    # row comes back, which never happens here). Same parameters: the
    # organization, the userName, then offset and limit. The server
    # authenticates from a cache, so this is all it sends per request. The
    # columns are USER_COLUMNS of crates/store/src/projection.rs and the
    # groups subquery USER_GROUPS_COLUMN of listing.rs: keep them in step. The server binds the mixed-case name as one parameter; here
    # it is built from :n, which costs a concatenation and nothing more.
    cat >"$RESULTS/filter.sql" <<'SQL'
\set n random(0, :users - 1)
SELECT id, version, status, resource, created_at, created_source, created_actor_kind, created_actor_id, created_actor_display, updated_at, updated_source, updated_actor_kind, updated_actor_id, updated_actor_display, last_event_type, (SELECT jsonb_agg(jsonb_build_array(g.id, g.display_name) ORDER BY lower(g.display_name), g.id) FROM group_members gm JOIN groups g ON g.org_id = gm.org_id AND g.id = gm.group_id WHERE gm.org_id = users.org_id AND gm.user_id = users.id) AS member_of, count(*) OVER () AS total FROM users WHERE org_id = :org AND status <> 'deleted' AND (lower(user_name) = lower('bench-' || :n::text || '@example.com')) ORDER BY created_at, id OFFSET :offset LIMIT :limit;
SQL

    log "pgbench: $CONNECTIONS clients, ${DURATION}s, the server's page SELECT (with its window count) per transaction"
    before_children="$(children_ticks)"
    run_pgbench_script filter -D org="$org_id" -D users="$USERS" -D offset=0 -D limit=100 \
        >"$RESULTS/pgbench-filter.result" &
    pgbench_pid=$!
    if ((window > 0)); then
        backend_ticks="$(backend_ticks_in_window 1 "$window")"
    fi
    wait "$pgbench_pid" || die "pgbench failed"
    result="$(cat "$RESULTS/pgbench-filter.result")"
    read -r pgf_tps pgf_avg pgf_p50 pgf_p99 transactions <<<"$result"
    pgf_cpu_pgbench="$(ms_per_request $(($(children_ticks) - before_children)) "$transactions")"
    if ((window > 0)); then
        pgf_cpu_pg="$(ms_per_request "$backend_ticks" \
            "$(awk -v r="$pgf_tps" -v s="$window" 'BEGIN {print r * s}')")"
    fi
}

if want scim || want filter || want audit; then
    prepare_service
fi
if want scim; then
    run_scim
fi
if want pgbench; then
    run_pgbench
fi
if want filter; then
    run_filter
fi
if want audit; then
    run_audit
fi

# --- summary -----------------------------------------------------------------------

# A field of a loadgen JSON line ($2), or n/a when that part did not run.
report_field() {
    local value
    value="$(json_field "$1" <<<"$2")"
    printf '%s\n' "${value:-n/a}"
}

# $1 / $2 to two decimals, or n/a.
ratio_of() {
    if [[ "$1" != n/a && "$2" != n/a ]]; then
        awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f\n", a / b; else print "n/a"}'
    else
        printf 'n/a\n'
    fi
}

scim_rate="$(report_field rate "$scim_json")"
filter_rate="$(report_field rate "$filter_json")"

summary="$(
    printf '%-32s %12s\n' "measure" "value"
    printf '%-32s %12s\n' "SCIM creates/s" "$scim_rate"
    printf '%-32s %12s\n' "SCIM create p50 (ms)" "$(report_field p50_ms "$scim_json")"
    printf '%-32s %12s\n' "SCIM create p99 (ms)" "$(report_field p99_ms "$scim_json")"
    printf '%-32s %12s\n' "SCIM errors (non-201)" "$(report_field errors "$scim_json")"
    printf '%-32s %12s\n' "server peak RSS (MB)" "$rss_mb"
    printf '%-32s %12s\n' "pgbench inserts/s" "$pg_tps"
    printf '%-32s %12s\n' "pgbench latency avg (ms)" "$pg_avg"
    printf '%-32s %12s\n' "pgbench latency p50 (ms)" "$pg_p50"
    printf '%-32s %12s\n' "pgbench latency p99 (ms)" "$pg_p99"
    printf '%-32s %12s\n' "ratio creates/s / inserts/s" "$(ratio_of "$scim_rate" "$pg_tps")"
    printf '\n'
    printf '%-32s %12s\n' "filter reads" "value"
    printf '%-32s %12s\n' "live users in the organization" "$org_users"
    printf '%-32s %12s\n' "SCIM filter reads/s" "$filter_rate"
    printf '%-32s %12s\n' "SCIM filter p50 (ms)" "$(report_field p50_ms "$filter_json")"
    printf '%-32s %12s\n' "SCIM filter p99 (ms)" "$(report_field p99_ms "$filter_json")"
    printf '%-32s %12s\n' "SCIM errors (not 1 result)" "$(report_field errors "$filter_json")"
    printf '%-32s %12s\n' "server peak RSS (MB)" "$filter_rss_mb"
    printf '%-32s %12s\n' "pgbench page/s" "$pgf_tps"
    printf '%-32s %12s\n' "pgbench latency avg (ms)" "$pgf_avg"
    printf '%-32s %12s\n' "pgbench latency p50 (ms)" "$pgf_p50"
    printf '%-32s %12s\n' "pgbench latency p99 (ms)" "$pgf_p99"
    printf '%-32s %12s\n' "ratio reads/s / pgbench tps" "$(ratio_of "$filter_rate" "$pgf_tps")"
    printf '%-32s %12s\n' "CPU ms/read: postgres" "$filter_cpu_pg"
    printf '%-32s %12s\n' "CPU ms/read: usertrail" "$filter_cpu_server"
    printf '%-32s %12s\n' "CPU ms/read: loadgen" "$filter_cpu_loadgen"
    printf '%-32s %12s\n' "CPU ms/pgbench tx: postgres" "$pgf_cpu_pg"
    printf '%-32s %12s\n' "CPU ms/pgbench tx: pgbench" "$pgf_cpu_pgbench"
    audit_summary
)"
printf '%s\n' "$summary" >"$RESULTS/summary.txt"
printf '\n%s\n\n' "$summary"
log "results in $RESULTS"
