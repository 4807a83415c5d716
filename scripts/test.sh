#!/usr/bin/env bash
# Runs the test suite against a real PostgreSQL.
#
# The Rust test harness reads TEST_DATABASE_URL (a superuser URL) and makes
# one template database per run plus a copy per test. When the variable is
# not set (environment or .env), the throwaway cluster of scripts/devdb.sh is
# started and used.
#
# Settings:
#   TEST_DATABASE_URL  superuser URL; default: the throwaway cluster
#   CHROMIUM, CHROMEDRIVER  the browser of the panel's end-to-end tests;
#                      default: found on PATH, else installed (browser.sh)
#   TEST_CARGO_ARGS    what follows `cargo test`; default
#                      "--workspace --all-targets" (e.g. "-p usertrail-bench")
# Extra arguments to this script are passed on to cargo test, e.g.
#   scripts/test.sh -- --nocapture
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
load_dotenv
cd "$REPO"

if [[ -z "${TEST_DATABASE_URL:-}" ]]; then
    TEST_DATABASE_URL="$("$REPO/scripts/devdb.sh" start)"
fi
export TEST_DATABASE_URL

# Databases left by earlier runs that crashed or were interrupted: each test
# makes a ut_test_* copy, and a killed run never drops its copies. Templates
# (ut_tpl_*) are the harness's own business. Names are quoted by format(%I)
# on the server, and \gexec runs each DROP as its own statement (DROP
# DATABASE cannot run inside a transaction block).
drop_leftover_test_databases() {
    local psql
    psql="$(pg_tool psql)"
    log "dropping leftover ut_test_* databases"
    "$psql" "$TEST_DATABASE_URL" -X -q -v ON_ERROR_STOP=1 >&2 <<'SQL'
SELECT format('DROP DATABASE IF EXISTS %I WITH (FORCE)', datname)
FROM pg_database
WHERE datname LIKE 'ut\_test\_%'
\gexec
SQL
}
drop_leftover_test_databases

# The panel's end-to-end tests (crates/server/tests/e2e) drive a headless
# Chromium; find it, or install it as the database is installed.
while IFS='=' read -r name value; do
    export "$name=$value"
done < <("$REPO/scripts/browser.sh" ensure)

read -r -a cargo_args <<<"${TEST_CARGO_ARGS:---workspace --all-targets}"
log "cargo test ${cargo_args[*]} $* (TEST_DATABASE_URL=$(redact_url "$TEST_DATABASE_URL"))"
exec cargo test "${cargo_args[@]}" "$@"
