# shellcheck shell=bash
# Helpers shared by the scripts in this folder. Source it, don't run it:
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Everything here writes to stderr, so that a script's stdout stays free for
# the one value a caller may capture (a URL, a token).

# The repository root: the parent of the folder holding this file.
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export REPO

# The name a script logs under, e.g. "devdb" for scripts/devdb.sh.
SCRIPT_NAME="$(basename "${BASH_SOURCE[1]:-$0}" .sh)"

log() {
    printf '%s: %s\n' "$SCRIPT_NAME" "$*" >&2
}

die() {
    printf '%s: error: %s\n' "$SCRIPT_NAME" "$*" >&2
    exit 1
}

is_root() {
    [[ "$(id -u)" -eq 0 ]]
}

# Runs a command as root: directly when we are root, through passwordless
# sudo otherwise; fails when neither is possible.
as_root() {
    if is_root; then
        "$@"
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo -n "$@"
    else
        return 1
    fi
}

can_be_root() {
    is_root || { command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; }
}

# Reads KEY=VALUE lines from the repository's .env, exporting each key that
# is not already set. The server itself reads .env too (dotenvy), but the
# scripts decide things before it runs (whether to start the throwaway
# cluster, which port it uses), so they must see the same settings. Values
# already in the environment win, as they do for dotenvy.
load_dotenv() {
    local file="$REPO/.env" line key value
    [[ -f "$file" ]] || return 0
    while IFS= read -r line || [[ -n "$line" ]]; do
        line="${line#"${line%%[![:space:]]*}"}"
        line="${line#export }"
        [[ "$line" =~ ^([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || continue
        key="${BASH_REMATCH[1]}"
        value="${BASH_REMATCH[2]}"
        # Strip one pair of matching surrounding quotes.
        if [[ "$value" =~ ^\"(.*)\"$ || "$value" =~ ^\'(.*)\'$ ]]; then
            value="${BASH_REMATCH[1]}"
        fi
        if [[ -z "${!key+set}" ]]; then
            export "$key=$value"
        fi
    done <"$file"
}

# Directory holding a usable PostgreSQL *server* installation (initdb,
# pg_ctl, postgres), printed on stdout; returns 1 when none is found.
# Order: pg_config's bindir, then the highest /usr/lib/postgresql/N/bin
# (Debian, Ubuntu), then wherever `initdb` on PATH really lives.
# pg_config alone is not enough: libpq-dev ships it without a server.
find_pg_bindir() {
    local dir candidates=()
    if command -v pg_config >/dev/null 2>&1; then
        dir="$(pg_config --bindir 2>/dev/null || true)"
        [[ -n "$dir" ]] && candidates+=("$dir")
    fi
    if compgen -G '/usr/lib/postgresql/*/bin' >/dev/null; then
        while IFS= read -r dir; do
            candidates+=("$dir")
        done < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -t/ -k4,4nr)
    fi
    if command -v initdb >/dev/null 2>&1; then
        # Resolve symlinks: a link in /usr/local/bin may point into a
        # versioned directory that also holds pg_isready, psql, pgbench.
        dir="$(dirname "$(readlink -f "$(command -v initdb)")")"
        candidates+=("$dir")
    fi
    for dir in "${candidates[@]}"; do
        if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" && -x "$dir/postgres" ]]; then
            printf '%s\n' "$dir"
            return 0
        fi
    done
    return 1
}

# Prints the path of a PostgreSQL client program (psql, pgbench,
# pg_isready): from the server's bindir when there is one, else from PATH.
pg_tool() {
    local name="$1" dir
    if dir="$(find_pg_bindir)" && [[ -x "$dir/$name" ]]; then
        printf '%s\n' "$dir/$name"
    elif command -v "$name" >/dev/null 2>&1; then
        command -v "$name"
    else
        die "'$name' not found: install the PostgreSQL client programs" \
            "(Debian/Ubuntu: apt-get install postgresql-client)"
    fi
}

# The cargo target directory, as cargo itself resolves it (CARGO_TARGET_DIR,
# .cargo/config.toml, or the default).
target_dir() {
    local dir
    dir="$(cd "$REPO" && cargo metadata --no-deps --format-version 1 2>/dev/null |
        sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
    printf '%s\n' "${dir:-$REPO/target}"
}

# A database URL with its password (if any) replaced by ***, for logs.
redact_url() {
    printf '%s\n' "$1" | sed -E 's#^([a-z]+://[^:/@]*):[^/]*@#\1:***@#'
}

# Replaces the user (and drops any password) of a postgres:// URL.
url_with_user() {
    local url="$1" user="$2"
    local scheme="${url%%://*}" rest="${url#*://}"
    local authority="${rest%%/*}" path=""
    [[ "$rest" == */* ]] && path="/${rest#*/}"
    printf '%s://%s@%s%s\n' "$scheme" "$user" "${authority##*@}" "$path"
}

# Makes sure the cluster at the superuser URL $1 has the roles usertrail
# runs with: usertrail_service (NOLOGIN, what migrations grant to) and the
# login role $2 that is a member of it and nothing else. Roles belong to the
# whole cluster and other scripts may create them at the same moment, so an
# existing role is not an error. Trust authentication (the throwaway
# cluster) needs no password; elsewhere set one yourself.
ensure_service_roles() {
    local admin_url="$1" login="$2" psql
    psql="$(pg_tool psql)"
    "$psql" "$admin_url" -X -q -v ON_ERROR_STOP=1 -v login="$login" >&2 <<'SQL'
SELECT format($f$DO $$ BEGIN CREATE ROLE %I %s;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$$f$, name, options)
FROM (VALUES ('usertrail_service', 'NOLOGIN'), (:'login', 'LOGIN')) AS r(name, options) \gexec
SELECT format('GRANT usertrail_service TO %I', :'login') \gexec
SQL
}

# Replaces the database name (the path) of a postgres:// URL, keeping any
# ?query. Used to point the cluster's admin URL at another database.
url_with_database() {
    local url="$1" database="$2" query=""
    if [[ "$url" == *\?* ]]; then
        query="?${url#*\?}"
        url="${url%%\?*}"
    fi
    # scheme://authority is everything before the first / after "://".
    local rest="${url#*://}"
    printf '%s://%s/%s%s\n' "${url%%://*}" "${rest%%/*}" "$database" "$query"
}
