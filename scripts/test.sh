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

# How many of wallet-core's unit tests libtest reported as passed in log $1;
# nothing if that test binary did not finish.
wallet_core_unit_tests_in() {
    sed 's/\x1b\[[0-9;]*m//g' "$1" | awk '
        /^ +Running / { inside = index($0, "unittests src/lib.rs") && index($0, "/wallet_core-") }
        inside && /^test result: ok\. [0-9]+ passed/ { print $4; exit }
    '
}

# A passing wasm run is not enough: the runner must have used Chrome and run
# every unit test (a tests module without the wasm `test` import is silently
# skipped there). Reads $browser_tests and $native_lib_tests.
check_browser_run() {
    local log="$LOGS/wasm-chromium.log"
    if ! grep -q "Running headless tests in Chrome" "$log"; then
        echo "the runner did not report running in headless Chrome"
        return 1
    fi
    if [ -z "$browser_tests" ] || [ "$browser_tests" -eq 0 ]; then
        echo "no wallet-core unit test ran in the browser"
        return 1
    fi
    if [ -z "$native_lib_tests" ]; then
        echo "no native count to compare with (native step failed)"
        return 1
    fi
    if [ "$browser_tests" -ne "$native_lib_tests" ]; then
        echo "$browser_tests wallet-core unit tests ran in Chromium but $native_lib_tests natively:"
        echo "a tests module lacks \`#[cfg(target_arch = \"wasm32\")] use wasm_bindgen_test::wasm_bindgen_test as test;\`"
        return 1
    fi
    echo "$browser_tests wallet-core unit tests ran in headless Chrome, as many as natively"
}

step setup-selftest bash scripts/test-setup.sh || true
step fmt cargo fmt --all -- --check || true
step clippy cargo clippy --workspace --all-targets -- -D warnings || true
if step native cargo test --workspace; then
    native_lib_tests=$(wallet_core_unit_tests_in "$LOGS/native.log")
fi

# wallet-core's unit tests in headless Chromium (wasm-bindgen-test).
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
export CHROMEDRIVER=/usr/bin/chromedriver
export WASM_BINDGEN_TEST_WEBDRIVER_JSON="$ROOT/wallet-core/webdriver.json"
if step wasm-chromium cargo test -p wallet-core --target wasm32-unknown-unknown; then
    browser_tests=$(wallet_core_unit_tests_in "$LOGS/wasm-chromium.log")
    step browser-count check_browser_run || true
fi

# End-to-end tests (real relay, real page in Chromium) go here once they exist.

summary="native lib tests: ${native_lib_tests:-?}, in Chromium: ${browser_tests:-?}"
echo
if [ "${#failed[@]}" -eq 0 ]; then
    echo "test.sh: PASS (${passed[*]}; $summary)"
else
    echo "test.sh: FAIL (failed: ${failed[*]}; $summary)"
    exit 1
fi
