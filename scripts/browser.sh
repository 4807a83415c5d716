#!/usr/bin/env bash
# Finds, or installs, the headless browser of the panel's end-to-end tests:
# Chromium and its WebDriver, chromedriver, from the system's packages.
#
#   scripts/browser.sh ensure   prints CHROMIUM=<path> and CHROMEDRIVER=<path>
#
# CHROMIUM and CHROMEDRIVER, when set, name the binaries to use. Otherwise
# they are looked up on PATH; when missing, Debian's chromium and
# chromium-driver packages are installed with apt-get (as root or through
# passwordless sudo), and anywhere else the script says what to install.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

find_browser() {
    CHROMIUM="${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}"
    CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver || true)}"
    [[ -n "$CHROMIUM" && -x "$CHROMIUM" && -n "$CHROMEDRIVER" && -x "$CHROMEDRIVER" ]]
}

install_browser() {
    local wanted="Chromium and chromedriver (Debian/Ubuntu packages: chromium chromium-driver)"
    command -v apt-get >/dev/null 2>&1 ||
        die "the panel's end-to-end tests need $wanted; install them, or set CHROMIUM and CHROMEDRIVER"
    can_be_root || die "the panel's end-to-end tests need $wanted; install them with:" \
        "sudo apt-get install chromium chromium-driver"
    log "installing chromium and chromium-driver with apt-get for the panel's end-to-end tests"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
    as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends chromium chromium-driver >&2
}

case "${1:-}" in
    ensure)
        if ! find_browser; then
            install_browser
            find_browser || die "installed chromium but still cannot find chromium and chromedriver"
        fi
        printf 'CHROMIUM=%s\nCHROMEDRIVER=%s\n' "$CHROMIUM" "$CHROMEDRIVER"
        ;;
    *)
        die "usage: scripts/browser.sh ensure"
        ;;
esac
