#!/usr/bin/env bash
# Fuzzes the SCIM filter parser and the PATCH path parser (fuzz/, cargo-fuzz
# layout, its own workspace) for a bounded time per target. A target fails
# when the parser panics, or when a parsed input prints as text that does not
# parse back to the same tree; libFuzzer then saves the input under
# fuzz/artifacts/<target>/ and this script exits non-zero.
#
# Settings (environment):
#   FUZZ_SECONDS  seconds per target; default 60
#   FUZZ_TARGETS  which targets; default "filter patch_path"
#
# libFuzzer needs unstable compiler flags; RUSTC_BOOTSTRAP=1 lets the stable
# toolchain accept them, so no nightly toolchain has to be installed.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO/fuzz"

SECONDS_PER_TARGET="${FUZZ_SECONDS:-60}"
TARGETS="${FUZZ_TARGETS:-filter patch_path}"
[[ "$SECONDS_PER_TARGET" =~ ^[0-9]+$ ]] || die "FUZZ_SECONDS must be a whole number, got '$SECONDS_PER_TARGET'"

if ! cargo fuzz --version >/dev/null 2>&1; then
    log "installing cargo-fuzz (about a minute)"
    cargo install cargo-fuzz --locked >&2
fi

export RUSTC_BOOTSTRAP=1
for target in $TARGETS; do
    # The working corpus grows between runs and stays out of git; the seeds
    # are checked in.
    mkdir -p "corpus/$target"
    log "fuzzing $target for ${SECONDS_PER_TARGET}s"
    cargo fuzz run --release "$target" "corpus/$target" "seeds/$target" -- \
        -max_total_time="$SECONDS_PER_TARGET" -print_final_stats=1 >&2 ||
        die "$target failed; the input is in fuzz/artifacts/$target/"
done
log "no crash in: $TARGETS"
