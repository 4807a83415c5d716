#!/usr/bin/env bash
# A throwaway PostgreSQL cluster under the repository, for `make run`,
# `make test` and `make bench` when no database URL is given.
#
#   scripts/devdb.sh start     start (initialising if needed); prints the URL
#   scripts/devdb.sh url       prints the superuser URL of the maintenance db
#   scripts/devdb.sh status    says whether it runs; exit 0 if so, 3 if not
#   scripts/devdb.sh stop      fast shutdown, if running
#   scripts/devdb.sh destroy   stop and delete .local/pg
#   scripts/devdb.sh bindir    prints the PostgreSQL server bindir in use
#
# Settings: USERTRAIL_PG_PORT (default 25432), from the environment or .env.
#
# The cluster trusts every connection from this machine (it listens only on
# 127.0.0.1 and its own socket dir): fine for a dev box, never for a server.
# stdout carries only what `url` prints, so `url=$(scripts/devdb.sh start)`
# works; all progress goes to stderr.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
load_dotenv

PG_ROOT="$REPO/.local/pg"
PG_DATA="$PG_ROOT/data"
PG_RUN="$PG_ROOT/run"
PG_LOG="$PG_ROOT/log"
PG_HOST=127.0.0.1
PG_PORT="${USERTRAIL_PG_PORT:-25432}"
# PostgreSQL refuses to run as root; as root we run it as this OS user.
PG_OS_USER=postgres

if ! [[ "$PG_PORT" =~ ^[0-9]+$ ]] || ((PG_PORT < 1 || PG_PORT > 65535)); then
    die "USERTRAIL_PG_PORT must be a TCP port number, got '$PG_PORT'"
fi

admin_url() {
    printf 'postgres://postgres@%s:%s/postgres\n' "$PG_HOST" "$PG_PORT"
}

# --- finding or installing the server binaries --------------------------

install_postgres() {
    if command -v apt-get >/dev/null 2>&1; then
        can_be_root || die "PostgreSQL server not found; install it with:" \
            "sudo apt-get install postgresql"
        log "PostgreSQL server not found; installing it with apt-get (package postgresql)"
        # The package's own cluster on port 5432 is left alone; we use ours.
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
        as_root env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -q --no-install-recommends postgresql >&2
    elif command -v dnf >/dev/null 2>&1 || command -v yum >/dev/null 2>&1; then
        local pm
        pm="$(command -v dnf || command -v yum)"
        can_be_root || die "PostgreSQL server not found; install it with:" \
            "sudo $(basename "$pm") install postgresql-server"
        log "PostgreSQL server not found; installing it with $(basename "$pm") (postgresql-server)"
        as_root "$pm" install -y postgresql-server >&2
    elif command -v brew >/dev/null 2>&1; then
        # Homebrew installs into the user's prefix and refuses to run as root.
        is_root && die "PostgreSQL server not found; install it with: brew install postgresql"
        log "PostgreSQL server not found; installing it with brew (postgresql)"
        brew install postgresql >&2
    else
        die "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found and no" \
            "known package manager; install PostgreSQL 15 or newer and put its bin" \
            "directory on PATH"
    fi
}

PG_BINDIR=""
ensure_bindir() {
    [[ -n "$PG_BINDIR" ]] && return 0
    if ! PG_BINDIR="$(find_pg_bindir)"; then
        install_postgres
        PG_BINDIR="$(find_pg_bindir)" ||
            die "installed PostgreSQL but still cannot find initdb/pg_ctl/postgres"
    fi
    log "using PostgreSQL binaries in $PG_BINDIR"
}

# --- running PostgreSQL's programs as the right user ---------------------

# Runs a PostgreSQL program as the cluster's owner, from inside PG_ROOT so
# that it never tries to read a working directory it cannot enter (/root).
as_owner() {
    if is_root; then
        (cd "$PG_ROOT" && runuser -u "$PG_OS_USER" -- "$@")
    else
        (cd "$PG_ROOT" && "$@")
    fi
}

# As root, the cluster's files belong to the postgres user, and that user
# must be able to walk from / down to PG_ROOT. Repositories often live under
# /root (mode 700), so grant search (x) permission on each directory that
# lacks it: with an ACL for that one user when setfacl exists, else o+x.
# Search permission lets the user pass through, not list the directory.
prepare_owner() {
    mkdir -p "$PG_ROOT" "$PG_RUN"
    is_root || return 0

    command -v runuser >/dev/null 2>&1 ||
        die "running as root needs runuser (util-linux) to start PostgreSQL as '$PG_OS_USER'"
    id -u "$PG_OS_USER" >/dev/null 2>&1 ||
        die "running as root, but there is no '$PG_OS_USER' OS user to own the cluster;" \
            "create one (useradd --system $PG_OS_USER) or run as an ordinary user"

    local dir="$PG_ROOT"
    local parents=()
    while [[ "$dir" != "/" ]]; do
        dir="$(dirname "$dir")"
        parents=("$dir" "${parents[@]}")
    done
    for dir in "${parents[@]}"; do
        if ! runuser -u "$PG_OS_USER" -- test -x "$dir" 2>/dev/null; then
            if command -v setfacl >/dev/null 2>&1; then
                log "granting '$PG_OS_USER' search permission on $dir (setfacl u:$PG_OS_USER:x)"
                setfacl -m "u:$PG_OS_USER:x" "$dir"
            else
                log "granting search permission on $dir (chmod o+x) so '$PG_OS_USER' can reach $PG_ROOT"
                chmod o+x "$dir"
            fi
        fi
    done
    chown -R "$PG_OS_USER:" "$PG_ROOT"
    chmod 700 "$PG_ROOT"
}

# --- state ----------------------------------------------------------------

is_initialised() {
    [[ -f "$PG_DATA/PG_VERSION" ]]
}

# True when our postmaster is alive (pg_ctl checks the pid in postmaster.pid).
# A postmaster killed a moment ago can linger as a zombie until its parent
# reaps it, and pg_ctl counts that as alive; on Linux we know better.
is_running() {
    is_initialised || return 1
    ensure_bindir
    as_owner "$PG_BINDIR/pg_ctl" status -D "$PG_DATA" >/dev/null 2>&1 || return 1
    local pid
    pid="$(head -n1 "$PG_DATA/postmaster.pid" 2>/dev/null || true)"
    if [[ -r "/proc/$pid/stat" ]] && [[ "$(awk '{print $3}' "/proc/$pid/stat")" == Z ]]; then
        return 1
    fi
}

# The port the running cluster listens on: line 4 of postmaster.pid.
running_port() {
    sed -n 4p "$PG_DATA/postmaster.pid" 2>/dev/null || true
}

# After a crash or a container restart, postmaster.pid may name a pid that
# now belongs to an unrelated process; pg_ctl then believes the server runs
# and postgres refuses to start. Remove the file when its pid is not a
# postgres process. (A pid that no longer exists pg_ctl handles by itself.)
clear_stale_pidfile() {
    local pidfile="$PG_DATA/postmaster.pid" pid comm=""
    [[ -f "$pidfile" ]] || return 0
    pid="$(head -n1 "$pidfile" 2>/dev/null || true)"
    [[ "$pid" =~ ^[0-9]+$ ]] || {
        log "removing unreadable $pidfile"
        rm -f "$pidfile"
        return 0
    }
    if [[ -r "/proc/$pid/comm" ]]; then
        comm="$(cat "/proc/$pid/comm" 2>/dev/null || true)"
    elif command -v ps >/dev/null 2>&1; then
        comm="$(ps -p "$pid" -o comm= 2>/dev/null || true)"
    fi
    # A postmaster killed a moment ago may still be a zombie: it holds its
    # pid (and so its lock files) until reaped. Give that a few seconds.
    local waited=0
    while [[ -r "/proc/$pid/stat" && "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" == Z ]] &&
        ((waited < 20)); do
        sleep 0.5
        waited=$((waited + 1))
    done
    [[ -e "/proc/$pid" ]] || comm=""
    if [[ -z "$comm" ]]; then
        log "removing stale $pidfile (process $pid is gone)"
        rm -f "$pidfile"
    elif [[ "$comm" != *postgres* && "$comm" != *postmaster* ]]; then
        log "removing stale $pidfile (pid $pid is now '$comm', not PostgreSQL)"
        rm -f "$pidfile"
    fi
}

# True when something accepts TCP connections on 127.0.0.1:PORT.
port_in_use() {
    (exec 3<>"/dev/tcp/$PG_HOST/$PG_PORT") 2>/dev/null
}

# --- commands ---------------------------------------------------------------

init_cluster() {
    log "initialising a new cluster in $PG_DATA"
    # C.UTF-8 gives byte-order collation (fast, deterministic) while lower()
    # and upper() still know non-ASCII letters, which case-insensitive
    # userName uniqueness relies on. Fall back to the plain C locale where
    # the system lacks C.UTF-8 (macOS).
    local locale_args=(--locale=C.UTF-8)
    if command -v locale >/dev/null 2>&1 && ! locale -a 2>/dev/null | grep -qix 'c\.utf-\?8'; then
        locale_args=(--no-locale)
    fi
    # --no-sync only skips flushing initdb's own files; the running server
    # keeps fsync on.
    # initdb is chatty; keep its output in a file and show it on failure.
    if ! as_owner "$PG_BINDIR/initdb" -D "$PG_DATA" -U postgres -E UTF8 "${locale_args[@]}" \
        --auth-local=trust --auth-host=trust --no-sync >"$PG_ROOT/initdb.log" 2>&1; then
        cat "$PG_ROOT/initdb.log" >&2
        die "initdb failed (output above, also in $PG_ROOT/initdb.log)"
    fi
    # Our settings live in their own file, rewritten at every start, so that
    # a change to this script reaches clusters that already exist.
    printf '\n# Settings managed by scripts/devdb.sh\ninclude_if_exists = %s\n' \
        "'usertrail.conf'" | as_owner tee -a "$PG_DATA/postgresql.conf" >/dev/null
}

write_settings() {
    # unix_socket_directories is quoted: the repository path may hold spaces.
    as_owner tee "$PG_DATA/usertrail.conf" >/dev/null <<EOF
# Written by scripts/devdb.sh at each start; edits here are overwritten.
listen_addresses = '$PG_HOST'
port = $PG_PORT
unix_socket_directories = '$PG_RUN'
max_connections = 200
shared_buffers = 256MB
# Benchmarks and tests must see durable commits: never turn these off here.
fsync = on
synchronous_commit = on
full_page_writes = on
logging_collector = off
log_line_prefix = '%m [%p] %q%u@%d '
EOF
}

cmd_start() {
    ensure_bindir
    prepare_owner

    if is_running; then
        local port
        port="$(running_port)"
        if [[ "$port" != "$PG_PORT" ]]; then
            die "the cluster in $PG_DATA is already running on port $port, but" \
                "USERTRAIL_PG_PORT asks for $PG_PORT; run 'scripts/devdb.sh stop' first"
        fi
        log "already running on $PG_HOST:$PG_PORT"
    else
        is_initialised || init_cluster
        clear_stale_pidfile
        if port_in_use; then
            die "port $PG_PORT on $PG_HOST is already in use by another program;" \
                "set USERTRAIL_PG_PORT to a free port (e.g. USERTRAIL_PG_PORT=$((PG_PORT + 1)))"
        fi
        write_settings
        start_postmaster
    fi

    wait_ready
    admin_url
}

# Starts the server. When the port is taken but nothing listens on it, the
# holder is a passing connection: the default port lies in Linux's ephemeral
# range (32768-60999), so an outgoing connection of another program may use
# it as its source port and leave it in TIME_WAIT for up to 60 s. Retry for
# a little longer than that before giving up.
start_postmaster() {
    local waited=0
    while true; do
        log "starting PostgreSQL on $PG_HOST:$PG_PORT (log: $PG_LOG)"
        if as_owner "$PG_BINDIR/pg_ctl" start -D "$PG_DATA" -l "$PG_LOG" -w -t 60 >&2; then
            return 0
        fi
        if ((waited < 66)) && tail -n 10 "$PG_LOG" | grep -q 'Address already in use' &&
            ! port_in_use; then
            log "port $PG_PORT is held by a passing connection, not a listener;" \
                "retrying in 3 s (waited ${waited} s of 66)"
            sleep 3
            waited=$((waited + 3))
            continue
        fi
        break
    done
    log "last lines of $PG_LOG:"
    tail -n 20 "$PG_LOG" >&2 || true
    if tail -n 10 "$PG_LOG" | grep -q 'Address already in use'; then
        die "port $PG_PORT on $PG_HOST is in use; set USERTRAIL_PG_PORT to a free port"
    fi
    die "PostgreSQL failed to start"
}

wait_ready() {
    local isready="$PG_BINDIR/pg_isready" tries=0
    [[ -x "$isready" ]] || isready="$(pg_tool pg_isready)"
    until "$isready" -q -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres; do
        tries=$((tries + 1))
        ((tries < 60)) || die "PostgreSQL on $PG_HOST:$PG_PORT not ready after 30 s; see $PG_LOG"
        sleep 0.5
    done
}

cmd_stop() {
    if is_running; then
        log "stopping PostgreSQL in $PG_DATA"
        as_owner "$PG_BINDIR/pg_ctl" stop -D "$PG_DATA" -m fast -w -t 60 >&2
    else
        log "not running"
    fi
}

cmd_destroy() {
    cmd_stop
    # Guard the rm -rf: only ever the .local/pg folder of this repository.
    [[ "$PG_ROOT" == "$REPO/.local/pg" && -n "$REPO" ]] || die "refusing to remove '$PG_ROOT'"
    if [[ -e "$PG_ROOT" ]]; then
        log "removing $PG_ROOT"
        rm -rf -- "$PG_ROOT"
    fi
}

cmd_status() {
    if ! is_initialised; then
        echo "not initialised ($PG_DATA does not exist)"
        return 3
    fi
    if is_running; then
        echo "running on $PG_HOST:$(running_port), data $PG_DATA, log $PG_LOG"
        echo "url: $(admin_url)"
    else
        echo "stopped (data $PG_DATA)"
        return 3
    fi
}

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
}

main() {
    local cmd="${1:-}"
    case "$cmd" in
        start) cmd_start ;;
        url) admin_url ;;
        stop) cmd_stop ;;
        destroy) cmd_destroy ;;
        status) cmd_status ;;
        bindir) find_pg_bindir ;;
        -h | --help | help) usage ;;
        *)
            usage
            die "unknown command '${cmd}'"
            ;;
    esac
}

main "$@"
