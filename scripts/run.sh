#!/usr/bin/env bash
# Runs usertrail locally with a demo organization and fresh tokens.
#
# Uses DATABASE_URL when it is set (environment or .env); otherwise starts
# the throwaway cluster of scripts/devdb.sh and a database `usertrail` in it.
# Then builds the server, migrates as the owner role, makes sure the org
# `demo` exists, mints a SCIM, a service and an auditor token, prints how to
# reach the service, and replaces itself with `usertrail serve` as the
# service role.
#
# Settings: DATABASE_URL (with MIGRATION_DATABASE_URL for the owner),
# SIGNING_KEY_PATH (default: a key made once under .local/keys), LISTEN_ADDR
# (default 127.0.0.1:8080), LOG_FORMAT, RUST_LOG, USERTRAIL_PG_PORT; see
# .env.example. USERTRAIL_BIN, when set, names a prebuilt usertrail binary to
# run instead of building one.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
load_dotenv
cd "$REPO"

DEMO_ORG_SLUG=demo
DEMO_ORG_NAME="Demo Organization"
export LISTEN_ADDR="${LISTEN_ADDR:-127.0.0.1:8080}"

# Creates the login role $3 and database $2 owned by it, through the
# superuser URL $1, unless they exist; refuses a database of another owner
# (made by an older `make run`), whose tables $3 could not migrate.
ensure_owned_database() {
    local admin_url="$1" database="$2" owner="$3" psql current
    psql="$(pg_tool psql)"
    "$psql" "$admin_url" -X -q -v ON_ERROR_STOP=1 -v owner="$owner" >&2 <<'SQL'
SELECT format($f$DO $$ BEGIN CREATE ROLE %I LOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$$f$, :'owner') \gexec
SQL
    current="$("$psql" "$admin_url" -XAt -v ON_ERROR_STOP=1 -v db="$database" \
        <<<"SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = :'db'")"
    if [[ -z "$current" ]]; then
        log "creating database $database owned by $owner"
        "$psql" "$admin_url" -X -q -v ON_ERROR_STOP=1 -v db="$database" -v owner="$owner" \
            <<<'CREATE DATABASE :"db" OWNER :"owner"' >&2
    elif [[ "$current" != "$owner" ]]; then
        die "database $database belongs to $current, not $owner (an older make run made it);" \
            "drop it with: make db-destroy"
    fi
}

if [[ -z "${DATABASE_URL:-}" ]]; then
    admin_url="$("$REPO/scripts/devdb.sh" start)"
    ensure_service_roles "$admin_url" usertrail_app
    ensure_owned_database "$admin_url" usertrail usertrail_owner
    owner_url="$(url_with_database "$admin_url" usertrail)"
    MIGRATION_DATABASE_URL="$(url_with_user "$owner_url" usertrail_owner)"
    DATABASE_URL="$(url_with_user "$owner_url" usertrail_app)"
    export MIGRATION_DATABASE_URL
fi
export DATABASE_URL
log "database: $(redact_url "$DATABASE_URL")"

# USERTRAIL_BIN runs an already built binary instead of building one.
if [[ -n "${USERTRAIL_BIN:-}" ]]; then
    usertrail="$USERTRAIL_BIN"
    [[ -x "$usertrail" ]] || die "USERTRAIL_BIN=$usertrail is not an executable file"
else
    log "building usertrail (debug)"
    cargo build -p usertrail-server --bin usertrail >&2
    usertrail="$(target_dir)/debug/usertrail"
    [[ -x "$usertrail" ]] || die "cargo build succeeded but $usertrail is missing"
fi

# The key that signs checkpoints; made once, kept with the throwaway cluster.
if [[ -z "${SIGNING_KEY_PATH:-}" ]]; then
    SIGNING_KEY_PATH="$REPO/.local/keys/signing.key"
    mkdir -p "$(dirname "$SIGNING_KEY_PATH")"
    [[ -f "$SIGNING_KEY_PATH" ]] || "$usertrail" keys generate --secret-key-file "$SIGNING_KEY_PATH" >&2
fi
export SIGNING_KEY_PATH

log "applying migrations"
"$usertrail" migrate >&2

# `org create` fails with "already exists" when the slug is taken, which is
# the normal case from the second run on; any other failure is real.
if org_out="$("$usertrail" org create "$DEMO_ORG_SLUG" --name "$DEMO_ORG_NAME" 2>&1)"; then
    log "created organization $DEMO_ORG_SLUG ($org_out)"
elif [[ "$org_out" == *"already exists"* ]]; then
    log "organization $DEMO_ORG_SLUG already exists"
else
    printf '%s\n' "$org_out" >&2
    die "could not create organization $DEMO_ORG_SLUG"
fi

stamp="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
scim_token="$("$usertrail" token create --org "$DEMO_ORG_SLUG" --kind scim \
    --name "make run scim $stamp")" || die "could not create the SCIM token"
service_token="$("$usertrail" token create --org "$DEMO_ORG_SLUG" --kind service \
    --name "make run service $stamp")" || die "could not create the service token"
auditor_token="$("$usertrail" token create --org "$DEMO_ORG_SLUG" --kind auditor \
    --name "make run auditor $stamp")" || die "could not create the auditor token"

# A wildcard listen address is not something curl can connect to.
host_port="$LISTEN_ADDR"
case "$host_port" in
    0.0.0.0:*) host_port="127.0.0.1:${host_port#0.0.0.0:}" ;;
    "[::]:"*) host_port="[::1]:${host_port#\[::\]:}" ;;
esac

cat <<EOF

  usertrail is starting on http://$host_port  (org: $DEMO_ORG_SLUG)

  SCIM base URL   http://$host_port/scim/v2
  SCIM token      $scim_token
  service token   $service_token
  auditor token   $auditor_token
  signing key     $SIGNING_KEY_PATH (public: $SIGNING_KEY_PATH.pub)
  web panel       http://$host_port/ui/#token=$service_token
                  (opens the demo organization: the page moves the token into
                  the tab's session storage and out of the address at once;
                  the fragment after # never reaches the server)
  database        $(redact_url "$DATABASE_URL")

  Try it:
    curl -H "Authorization: Bearer $scim_token" http://$host_port/scim/v2/Users

EOF

exec "$usertrail" serve
