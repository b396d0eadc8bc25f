#!/usr/bin/env bash
# Installs what building, running and testing Lockstep needs, skipping
# whatever is already present at the right version. Safe to run again.
#
# Assumes a Debian 12 machine with the Rust toolchain from rustup. Installs:
#   - a C toolchain (apt build-essential) if there is no `cc` (rustc links with it)
#   - rustup targets wasm32-unknown-unknown and x86_64-unknown-linux-musl
#   - apt musl-tools (for the static relay build)
#   - wasm-bindgen-cli at exactly the wasm-bindgen version in Cargo.lock
#   - apt chromium and chromium-driver (headless browser tests)
#   - apt brotli (the web build's precompressed .br copies)
#   - trunk (cargo install) and wasm-opt (binaryen from npm, into .tools/)
#   - wasm-pack (cargo install): `wasm-pack test --headless --chrome` runs the
#     in-browser suites offline with the wasm-bindgen-test-runner above
#   - axe-core (npm, into .tools/axe-core/: the end-to-end accessibility check)
#   - terser (npm, into .tools/terser/: minifies the page's JS after the build)
#
# Usage: bash scripts/setup.sh [--dry-run]
#   --dry-run  print what would be installed, change nothing.
# Sourcing this file defines the functions without running anything.
set -euo pipefail

SETUP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SETUP_DRY_RUN="${SETUP_DRY_RUN:-0}"
RUST_TARGETS=(wasm32-unknown-unknown x86_64-unknown-linux-musl)

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: ERROR: %s\n' "$*" >&2; exit 1; }

# Runs a command, echoing it first; in dry-run mode only echoes it.
run() {
    if [ "$SETUP_DRY_RUN" = 1 ]; then
        printf 'setup: would run: %s\n' "$*"
    else
        printf 'setup: running: %s\n' "$*"
        "$@"
    fi
}

# sudo only when not root; never prompt when there is no terminal (CI).
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        run "$@"
    elif [ -t 0 ]; then
        run sudo "$@"
    else
        run sudo -n "$@"
    fi
}

# The version of wasm-bindgen that the lock file $1 pins (exactly one is expected).
lockfile_wasm_bindgen_version() {
    local lock=$1 versions
    [ -f "$lock" ] || die "$lock not found"
    versions=$(awk '
        /^\[\[package\]\]/ { name = "" }
        /^name = /         { name = $3 }
        /^version = / && name == "\"wasm-bindgen\"" { gsub(/"/, "", $3); print $3 }
    ' "$lock" | sort -u)
    case "$(printf '%s' "$versions" | grep -c .)" in
        1) printf '%s\n' "$versions" ;;
        0) die "no wasm-bindgen package in $lock" ;;
        *) die "several wasm-bindgen versions in $lock: $(tr '\n' ' ' <<<"$versions")" ;;
    esac
}

# Prints the version a tool reports as "<name> <version>", or nothing.
tool_version() {
    command -v "$1" >/dev/null 2>&1 || return 0
    "$1" --version 2>/dev/null | awk 'NR == 1 { print $2 }' || true
}

# Succeeds when both wasm-bindgen binaries report exactly version $1.
wasm_bindgen_cli_ok() {
    [ "$(tool_version wasm-bindgen)" = "$1" ] && [ "$(tool_version wasm-bindgen-test-runner)" = "$1" ]
}

# Installed version of a Debian package, or nothing.
deb_version() {
    dpkg-query -W -f='${Status}|${Version}' "$1" 2>/dev/null \
        | awk -F'|' '$1 == "install ok installed" { print $2 }' || true
}

# The Debian packages still to install, space-separated.
missing_debs() {
    local missing=()
    if ! command -v cc >/dev/null 2>&1; then
        missing+=(build-essential)
    fi
    if [ -z "$(deb_version musl-tools)" ] || ! command -v musl-gcc >/dev/null 2>&1; then
        missing+=(musl-tools)
    fi
    if ! command -v brotli >/dev/null 2>&1; then
        missing+=(brotli)
    fi
    # chromedriver only drives the chromium of the same version: Debian builds
    # both from one source, so require the two packages at one version.
    local chromium driver
    chromium=$(deb_version chromium)
    driver=$(deb_version chromium-driver)
    if [ -z "$chromium" ] || [ -z "$driver" ] || [ "$chromium" != "$driver" ] \
        || [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
        missing+=(chromium chromium-driver)
    fi
    echo "${missing[*]}"
}

# The rustup targets still to add, space-separated.
missing_rust_targets() {
    local installed missing=() t
    installed=$(rustup target list --installed)
    for t in "${RUST_TARGETS[@]}"; do
        grep -qx "$t" <<<"$installed" || missing+=("$t")
    done
    echo "${missing[*]}"
}

setup_debs() {
    local debs
    debs=$(missing_debs)
    if [ -z "$debs" ]; then
        say "apt packages: present (chromium $(deb_version chromium), chromium-driver, musl-tools, brotli, cc)"
        return
    fi
    command -v apt-get >/dev/null 2>&1 || die "need apt-get to install: $debs"
    say "apt packages missing: $debs"
    as_root apt-get update
    # shellcheck disable=SC2086 # word splitting of the package list is intended
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y $debs
}

setup_rust_targets() {
    local targets
    targets=$(missing_rust_targets)
    if [ -z "$targets" ]; then
        say "rustup targets: present (${RUST_TARGETS[*]})"
        return
    fi
    # shellcheck disable=SC2086
    run rustup target add $targets
}

setup_wasm_bindgen_cli() {
    local want have
    want=$(lockfile_wasm_bindgen_version "$SETUP_ROOT/Cargo.lock")
    have=$(tool_version wasm-bindgen)
    if wasm_bindgen_cli_ok "$want"; then
        say "wasm-bindgen-cli: $want present (matches Cargo.lock)"
        return
    fi
    say "wasm-bindgen-cli: need $want (Cargo.lock), found ${have:-none}; building it (about 3 minutes)"
    # Not --locked: the CLI's own lock file wants crates the reachable
    # registry mirror does not have (see TOOLCHAIN.md). --force replaces a
    # copy of another version, or one cargo remembers but is gone from PATH.
    run cargo install wasm-bindgen-cli --version "$want" --force
    if [ "$SETUP_DRY_RUN" != 1 ] && ! wasm_bindgen_cli_ok "$want"; then
        die "wasm-bindgen $want was installed but \`wasm-bindgen --version\` on PATH says $(tool_version wasm-bindgen); is another copy earlier on PATH?"
    fi
}

# ---- Trunk + wasm-opt (the web wallet's build) -----------------------------
TRUNK_VERSION=0.21.14
BINARYEN_VERSION=132
# wasm-opt from npm's binaryen (Debian's is too old to read current Rust
# wasm); scripts put this directory first on PATH.
BINARYEN_BIN="${SETUP_BINARYEN_BIN:-$SETUP_ROOT/.tools/binaryen/node_modules/.bin}"

setup_trunk() {
    local have
    have=$(tool_version trunk)
    if [ "$have" = "$TRUNK_VERSION" ]; then
        say "trunk: $TRUNK_VERSION present"
    else
        say "trunk: need $TRUNK_VERSION, found ${have:-none}; building it (about 13 minutes, 2 GB of memory)"
        run cargo install --locked "trunk@$TRUNK_VERSION" --force
    fi
}

setup_wasm_opt() {
    local have
    have=$("$BINARYEN_BIN/wasm-opt" --version 2>/dev/null | awk '{ print $3 }' || true)
    if [ "$have" = "$BINARYEN_VERSION" ]; then
        say "wasm-opt: binaryen $BINARYEN_VERSION present (.tools/binaryen)"
        return
    fi
    setup_npm_package wasm-opt binaryen "$BINARYEN_VERSION" binaryen "$have"
}

# wasm-pack, for `wasm-pack test --headless --chrome`. Offline it takes the
# wasm-bindgen-test-runner on PATH (the one above, matching Cargo.lock) when
# run with `--mode no-install`, and chromedriver from `--chromedriver`.
WASM_PACK_VERSION=0.15.1
setup_wasm_pack() {
    local have
    have=$(tool_version wasm-pack)
    if [ "$have" = "$WASM_PACK_VERSION" ]; then
        say "wasm-pack: $WASM_PACK_VERSION present"
        return
    fi
    say "wasm-pack: need $WASM_PACK_VERSION, found ${have:-none}; building it (about 4 minutes)"
    run cargo install "wasm-pack@$WASM_PACK_VERSION" --force
}

# axe-core, the accessibility rules the end-to-end suite runs in every
# screen (tests/src/a11y.rs injects its axe.min.js through WebDriver).
AXE_CORE_VERSION=4.14.1
AXE_CORE_DIR="${SETUP_AXE_CORE_DIR:-$SETUP_ROOT/.tools/axe-core/node_modules/axe-core}"

setup_axe_core() {
    local have=""
    [ -f "$AXE_CORE_DIR/axe.min.js" ] && have=$(package_version "$AXE_CORE_DIR")
    if [ "$have" = "$AXE_CORE_VERSION" ]; then
        say "axe-core: $AXE_CORE_VERSION present (.tools/axe-core)"
        return
    fi
    setup_npm_package axe-core axe-core "$AXE_CORE_VERSION" axe-core "$have"
}

# terser, which minifies the page's JS after the build (scripts/build-web.sh,
# scripts/minify-web.mjs): Trunk's own JS minifier fails on wasm-bindgen's glue.
TERSER_VERSION=5.51.4
TERSER_DIR="${SETUP_TERSER_DIR:-$SETUP_ROOT/.tools/terser/node_modules/terser}"

setup_terser() {
    local have
    have=$(package_version "$TERSER_DIR")
    if [ "$have" = "$TERSER_VERSION" ]; then
        say "terser: $TERSER_VERSION present (.tools/terser)"
        return
    fi
    setup_npm_package terser terser "$TERSER_VERSION" terser "$have"
}

# The version in an npm package's package.json (directory $1), or nothing.
package_version() {
    [ -f "$1/package.json" ] || return 0
    awk -F'"' '$2 == "version" { print $4; exit }' "$1/package.json"
}

# Installs npm package $2 at version $3 into .tools/$4 (installing npm
# first when missing); $1 names the tool in messages, $5 is what was found.
setup_npm_package() { # LABEL PACKAGE VERSION TOOLS_DIR FOUND
    command -v npm >/dev/null 2>&1 || setup_npm
    say "$1: need $3 from npm, found ${5:-none}"
    run npm install --no-audit --no-fund --prefix "$SETUP_ROOT/.tools/$4" "$2@$3"
}

# npm itself, from Debian, when missing.
setup_npm() {
    say "npm: missing; installing Debian's npm"
    as_root apt-get update
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y npm
}
# ---------------------------------------------------------------------------

main() {
    case "${1:-}" in
        --dry-run) SETUP_DRY_RUN=1 ;;
        "") ;;
        *) die "usage: bash scripts/setup.sh [--dry-run]" ;;
    esac
    # Tools from `cargo install` land here; CI shells may not have it on PATH.
    export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
    if ! command -v cargo >/dev/null 2>&1 || ! command -v rustup >/dev/null 2>&1; then
        die "cargo and rustup are needed first: https://rustup.rs"
    fi
    say "checking what is missing (root: $SETUP_ROOT)"
    setup_debs
    setup_rust_targets
    setup_wasm_bindgen_cli
    setup_trunk
    setup_wasm_opt
    setup_wasm_pack
    setup_axe_core
    setup_terser
    say "done"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    main "$@"
fi
