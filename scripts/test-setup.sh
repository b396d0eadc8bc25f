#!/usr/bin/env bash
# Checks scripts/setup.sh's decisions ("what is missing, what would it run")
# against a fake PATH of stub tools, in --dry-run mode: nothing is installed.
# Usage: bash scripts/test-setup.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
WANT=$(bash -c "source '$ROOT/scripts/setup.sh'; lockfile_wasm_bindgen_version '$ROOT/Cargo.lock'")
failures=0

# Basic utilities the script needs, and nothing else from the real PATH.
mkdir -p "$WORK/base"
for tool in awk grep sort tr dirname cat id env; do
    ln -s "$(command -v "$tool")" "$WORK/base/$tool"
done

stub() { # stub DIR NAME BODY
    printf '#!/bin/bash\n%s\n' "$3" >"$1/$2"
    chmod +x "$1/$2"
}

# A machine described by: installed debs ("name=version ..."), installed rust
# targets, wasm-bindgen version ("" = absent), uid, and whether cc exists.
make_machine() { # DIR DEBS TARGETS WB_VERSION UID HAVE_CC [TRUNK_VERSION [BINARYEN_VERSION [AXE_CORE_VERSION [WASM_PACK_VERSION [TERSER_VERSION]]]]]
    local dir=$1
    mkdir -p "$dir" "$dir/binaryen" "$dir/axe-core" "$dir/terser"
    stub "$dir" cargo 'exit 0'
    stub "$dir" apt-get 'exit 0'
    stub "$dir" rustup "[ \"\$1 \$2 \$3\" = 'target list --installed' ] && printf '%s\n' $3"
    stub "$dir" dpkg-query "for kv in $2; do [ \"\${kv%%=*}\" = \"\${@: -1}\" ] && { printf 'install ok installed|%s' \"\${kv#*=}\"; exit 0; }; done; echo 'dpkg-query: no packages found' >&2; exit 1"
    if [ -n "$4" ]; then
        stub "$dir" wasm-bindgen "echo 'wasm-bindgen $4'"
        stub "$dir" wasm-bindgen-test-runner "echo 'wasm-bindgen-test-runner $4'"
    fi
    stub "$dir" id "[ \"\$1\" = -u ] && echo $5"
    [ -n "${7:-}" ] && stub "$dir" trunk "echo 'trunk ${7}'"
    [ -n "${8:-}" ] && stub "$dir/binaryen" wasm-opt "echo 'wasm-opt version ${8} (version_${8})'"
    if [ -n "${9:-}" ]; then
        printf '{\n  "name": "axe-core",\n  "version": "%s",\n  "license": "MPL-2.0"\n}\n' "$9" >"$dir/axe-core/package.json"
        echo '/* axe */' >"$dir/axe-core/axe.min.js"
    fi
    [ -n "${10:-}" ] && stub "$dir" wasm-pack "echo 'wasm-pack ${10}'"
    [ -n "${11:-}" ] && printf '{\n  "name": "terser",\n  "version": "%s"\n}\n' "${11}" >"$dir/terser/package.json"
    stub "$dir" npm 'exit 0'
    [ "$6" = yes ] && stub "$dir" cc 'exit 0'
    case " $2 " in *" musl-tools="*) stub "$dir" musl-gcc 'exit 0' ;; esac
    case " $2 " in *" brotli="*) stub "$dir" brotli 'exit 0' ;; esac
    return 0
}

run_setup() { # DIR -> dry-run output (stdout+stderr), never fails
    PATH="$1:$WORK/base" CARGO_HOME="$1/nonexistent" SETUP_BINARYEN_BIN="$1/binaryen" \
        SETUP_AXE_CORE_DIR="$1/axe-core" SETUP_TERSER_DIR="$1/terser" \
        /bin/bash "$ROOT/scripts/setup.sh" --dry-run </dev/null 2>&1 || true
}

expect() { # NAME OUTPUT PATTERN [absent]
    if [ "${4:-}" = absent ]; then
        if grep -qF -- "$3" <<<"$2"; then
            echo "FAIL $1: output has '$3'"; failures=$((failures + 1))
        else
            echo "ok   $1: no '$3'"
        fi
    elif grep -qF -- "$3" <<<"$2"; then
        echo "ok   $1: '$3'"
    else
        echo "FAIL $1: output lacks '$3'"; failures=$((failures + 1))
        printf '%s\n' "$2" | sed 's/^/       | /'
    fi
}

all_debs="chromium=156.0-1 chromium-driver=156.0-1 musl-tools=1.2.3-1 brotli=1.0.9-2"
all_targets="x86_64-unknown-linux-gnu wasm32-unknown-unknown x86_64-unknown-linux-musl"

# 1. Everything present: nothing to do.
make_machine "$WORK/m1" "$all_debs" "$all_targets" "$WANT" 0 yes 0.21.14 132 4.14.1 0.15.1 5.51.4
out=$(run_setup "$WORK/m1")
expect complete "$out" "would run" absent
expect complete "$out" "wasm-bindgen-cli: $WANT present"
expect complete "$out" "axe-core: 4.14.1 present"
expect complete "$out" "wasm-pack: 0.15.1 present"
expect complete "$out" "terser: 5.51.4 present"
expect complete "$out" "setup: done"

# 2. A fresh machine as non-root: everything missing.
make_machine "$WORK/m2" "" "x86_64-unknown-linux-gnu" "" 1000 no
out=$(run_setup "$WORK/m2")
expect fresh "$out" "would run: sudo -n apt-get update"
expect fresh "$out" "apt-get install -y build-essential musl-tools brotli chromium chromium-driver"
expect fresh "$out" "would run: rustup target add wasm32-unknown-unknown x86_64-unknown-linux-musl"
expect fresh "$out" "would run: cargo install wasm-bindgen-cli --version $WANT --force"
expect fresh "$out" "wasm-bindgen-cli --version $WANT --force --locked" absent
expect fresh "$out" "wasm-bindgen-cli --locked" absent
expect fresh "$out" "would run: cargo install --locked trunk@0.21.14 --force"
expect fresh "$out" "binaryen@132"
expect fresh "$out" "axe-core@4.14.1"
expect fresh "$out" "would run: npm install --no-audit --no-fund --prefix $ROOT/.tools/terser terser@5.51.4"
expect fresh "$out" "would run: cargo install wasm-pack@0.15.1 --force"

# 3. Wrong wasm-bindgen-cli version, chromium-driver of another version, one
#    target missing, as root: reinstall only those, no sudo.
make_machine "$WORK/m3" "chromium=156.0-1 chromium-driver=150.0-1 musl-tools=1.2.3-1 brotli=1.0.9-2" \
    "x86_64-unknown-linux-gnu wasm32-unknown-unknown" "0.2.100" 0 yes 0.22.0 108 4.8.0 0.13.1 5.1.0
out=$(run_setup "$WORK/m3")
expect mismatch "$out" "need $WANT (Cargo.lock), found 0.2.100"
expect mismatch "$out" "would run: cargo install wasm-bindgen-cli --version $WANT --force"
expect mismatch "$out" "would run: apt-get update"
expect mismatch "$out" "apt-get install -y chromium chromium-driver"
expect mismatch "$out" "sudo" absent
expect mismatch "$out" "would run: rustup target add x86_64-unknown-linux-musl"
expect mismatch "$out" "trunk: need 0.21.14, found 0.22.0"
expect mismatch "$out" "found 108"
expect mismatch "$out" "axe-core: need 4.14.1 from npm, found 4.8.0"
expect mismatch "$out" "wasm-pack: need 0.15.1, found 0.13.1"
expect mismatch "$out" "terser: need 5.51.4 from npm, found 5.1.0"

# 4. Only apt packages present: no apt-get update at all.
make_machine "$WORK/m4" "$all_debs" "x86_64-unknown-linux-gnu" "$WANT" 0 yes 0.21.14 132 4.14.1 0.15.1 5.51.4
out=$(run_setup "$WORK/m4")
expect apt-present "$out" "apt-get" absent

# 4b. Only brotli missing: just brotli from apt.
make_machine "$WORK/m4b" "chromium=156.0-1 chromium-driver=156.0-1 musl-tools=1.2.3-1" \
    "$all_targets" "$WANT" 0 yes 0.21.14 132 4.14.1 0.15.1 5.51.4
out=$(run_setup "$WORK/m4b")
expect brotli-missing "$out" "would run: env DEBIAN_FRONTEND=noninteractive apt-get install -y brotli"

# 5. Cargo.lock parsing: one version, none, two.
lock="$WORK/Cargo.lock"
printf '[[package]]\nname = "wasm-bindgen"\nversion = "0.2.99"\n\n[[package]]\nname = "wasm-bindgen-shared"\nversion = "0.2.1"\n' >"$lock"
out=$(bash -c "source '$ROOT/scripts/setup.sh'; lockfile_wasm_bindgen_version '$lock'" 2>&1 || true)
expect lock-one "$out" "0.2.99"
printf '[[package]]\nname = "wasm-bindgen-shared"\nversion = "0.2.1"\n' >"$lock"
out=$(bash -c "source '$ROOT/scripts/setup.sh'; lockfile_wasm_bindgen_version '$lock'" 2>&1 || true)
expect lock-none "$out" "no wasm-bindgen package"
printf '[[package]]\nname = "wasm-bindgen"\nversion = "0.2.99"\n\n[[package]]\nname = "wasm-bindgen"\nversion = "0.2.100"\n' >"$lock"
out=$(bash -c "source '$ROOT/scripts/setup.sh'; lockfile_wasm_bindgen_version '$lock'" 2>&1 || true)
expect lock-two "$out" "several wasm-bindgen versions"

if [ "$failures" -ne 0 ]; then
    echo "test-setup: $failures check(s) FAILED"
    exit 1
fi
echo "test-setup: all checks passed"
