#!/usr/bin/env bash
# Runs every test: sets up what is missing, then formatting, clippy, the
# native tests of the whole workspace, and wallet-core's unit tests compiled
# to wasm32 and run in headless Chromium. Every step runs even when an
# earlier one failed; the last line sums up, and the exit status is non-zero
# if any step failed.
# Usage: bash scripts/test.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/setup.sh
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

LOGS=$(mktemp -d)
trap 'rm -rf "$LOGS"' EXIT
passed=()
failed=()
native_lib_tests=""
browser_tests=""

# step NAME COMMAND...: runs the command, output also kept in $LOGS/NAME.log.
step() {
    local name=$1
    shift
    printf '\n==> %s: %s\n' "$name" "$*"
    if "$@" 2>&1 | tee "$LOGS/$name.log"; then
        passed+=("$name")
        return 0
    fi
    failed+=("$name")
    printf '==> %s FAILED\n' "$name"
    return 1
}

# The wallet-core unit tests (lib test binary) that passed, one name a line,
# from cargo test output in log $1; nothing if that binary did not finish.
wallet_core_unit_tests_in() {
    sed 's/\x1b\[[0-9;]*m//g' "$1" | awk '
        /^ +Running / { inside = index($0, "unittests src/lib.rs") && index($0, "/wallet_core-") }
        !inside { next }
        /^test .* \.\.\. ok$/ { sub(/^test /, ""); sub(/ \.\.\. ok$/, ""); names[++n] = $0 }
        /^test result: / { if ($3 == "ok.") for (i = 1; i <= n; i++) print names[i]; exit }
    ' | sort
}

# A passing wasm run is not enough: the runner must have used Chrome and run
# every unit test that ran natively (a tests module without the wasm `test`
# import is silently skipped there, and the runner exits 0 when it finds no
# browser tests at all).
check_browser_run() {
    local log="$LOGS/wasm-chromium.log" missing
    if ! grep -q "Running headless tests in Chrome" "$log"; then
        echo "the runner did not report running in headless Chrome"
        return 1
    fi
    if [ ! -s "$LOGS/browser-tests" ]; then
        echo "no wallet-core unit test ran in the browser"
        return 1
    fi
    if [ ! -s "$LOGS/native-tests" ]; then
        echo "no native list to compare with (the native step failed)"
        return 1
    fi
    missing=$(comm -23 "$LOGS/native-tests" "$LOGS/browser-tests")
    if [ -n "$missing" ]; then
        echo "these wallet-core unit tests ran natively but not in Chromium:"
        # shellcheck disable=SC2001 # indent every line, not one substitution
        sed 's/^/    /' <<<"$missing"
        echo "(does their tests module have \`#[cfg(target_arch = \"wasm32\")] use wasm_bindgen_test::wasm_bindgen_test as test;\`?)"
        return 1
    fi
    echo "$browser_tests wallet-core unit tests ran in headless Chrome, including all $native_lib_tests that ran natively"
}

# The relay's tests need PostgreSQL at 127.0.0.1:5432 (user postgres, trust
# auth): start the local cluster when it is installed but not running.
start_postgres() {
    local version
    if ! command -v pg_lsclusters >/dev/null 2>&1; then
        echo "test: PostgreSQL is not installed; the relay's PostgreSQL tests will fail"
        return 0
    fi
    if pg_lsclusters -h 2>/dev/null | awk '$4 == "online" { up = 1 } END { exit !up }'; then
        return 0
    fi
    version=$(find /etc/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -V | tail -n 1)
    [ -n "$version" ] || { echo "test: no PostgreSQL cluster in /etc/postgresql"; return 0; }
    echo "test: starting PostgreSQL $version/main"
    if [ "$(id -u)" -eq 0 ]; then
        pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    else
        sudo -n pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    fi
}
start_postgres

step setup-selftest bash scripts/test-setup.sh || true
step fmt cargo fmt --all -- --check || true
step clippy cargo clippy --workspace --all-targets -- -D warnings || true
# The end-to-end tests (crate e2e, in tests/) need the web build: they run
# last, after web-build.
if step native cargo test --workspace --exclude e2e; then
    wallet_core_unit_tests_in "$LOGS/native.log" >"$LOGS/native-tests"
    native_lib_tests=$(grep -c . "$LOGS/native-tests" || true)
fi

# The in-browser suites run as the project's users run them:
# `wasm-pack test --headless --chrome`, offline (--mode no-install: it takes
# the wasm-bindgen-test-runner on PATH, which setup.sh matched to Cargo.lock)
# with Debian's chromedriver (wasm-pack does not read $CHROMEDRIVER).
wasm_pack_test() { # CRATE_DIR [CARGO TEST OPTIONS...]
    local dir=$1
    shift
    WASM_BINDGEN_TEST_WEBDRIVER_JSON="$ROOT/$dir/webdriver.json" \
        wasm-pack test --mode no-install --headless --chrome --chromedriver /usr/bin/chromedriver "$dir" "$@"
}
# In headless mode the runner's timeout (default 20 s) bounds the whole
# browser run, not each test; the suite alone takes about 15 s here.
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-600}"
# wallet-core's unit tests in headless Chromium (wasm-bindgen-test).
if step wasm-chromium wasm_pack_test wallet-core; then
    wallet_core_unit_tests_in "$LOGS/wasm-chromium.log" >"$LOGS/browser-tests"
    browser_tests=$(grep -c . "$LOGS/browser-tests" || true)
    step browser-check check_browser_run || true
fi

# The first §7 verification in a fresh page, after the web wallet's idle
# warm-up (bar: 50 ms), and without it for comparison: optimised builds, each
# test file in a page of its own (wallet-core/tests/first_verification*.rs).
step verifier-warm wasm_pack_test wallet-core --release --features testkit \
    --test first_verification --test first_verification_cold -- --nocapture || true

# The web wallet: clippy for its real target, its unit and storage tests
# (real IndexedDB) in headless Chromium, and the Trunk release build.
web_browser_check() {
    local log="$LOGS/web-chromium.log" n
    grep -q "Running headless tests in Chrome" "$log" || { echo "the web tests did not run in headless Chrome"; return 1; }
    n=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -c '^test .* \.\.\. ok$' || true)
    [ "$n" -gt 0 ] || { echo "no web test ran in the browser"; return 1; }
    echo "$n web tests ran in headless Chrome"
}
step web-clippy-wasm cargo clippy -p web -p qr-encoder -p qr-decoder --target wasm32-unknown-unknown --all-targets -- -D warnings || true
if step web-chromium wasm_pack_test web; then
    step web-browser-check web_browser_check || true
fi
# End to end: the real page (dist/) served by the real relay, two or three
# headless Chromium sessions through chromedriver, and the real `lockstep`
# binary for the CLI <-> web swaps; the `relay` binary for the test that
# stops the relay's process. Screenshots: artifacts/e2e/<test>/.
e2e() {
    cargo build -p cli -p relay || return 1
    cargo test -p e2e --no-fail-fast -- --test-threads=1 || return 1
    echo "e2e: screenshots in $ROOT/artifacts/e2e/"
}
if step web-build bash scripts/build-web.sh; then
    step e2e e2e || true
fi

# The relay as one statically linked binary (musl), checked with file and
# ldd and started once; a clean release build, 3-5.5 minutes on 2 cores.
step static-relay bash scripts/static-relay.sh || true


summary="native lib tests: ${native_lib_tests:-?}, in Chromium: ${browser_tests:-?}"
echo
if [ "${#failed[@]}" -eq 0 ]; then
    echo "test.sh: PASS (${passed[*]}; $summary)"
else
    echo "test.sh: FAIL (failed: ${failed[*]}; $summary)"
    exit 1
fi
