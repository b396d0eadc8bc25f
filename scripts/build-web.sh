#!/usr/bin/env bash
# Builds the web wallet (web/, index.html, Trunk.toml) into dist/ with Trunk,
# offline, in the size-optimised `wasm-release` profile; writes a Brotli
# (quality 11) and a gzip (-9) copy beside every file (`x.br`, `x.gz`: the
# relay serves them by Accept-Encoding); prints what a first load transfers
# (scripts/first-load-size.sh). Expects scripts/setup.sh to have run (it
# installs brotli).
# Usage: bash scripts/build-web.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# Trunk runs offline (Trunk.toml): it takes wasm-bindgen and wasm-opt from
# PATH at the versions Trunk.toml pins, and cargo with --offline.
export PATH="$ROOT/.tools/binaryen/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export TRUNK_SKIP_VERSION_CHECK=true
cargo fetch
echo "build-web: trunk build --release --cargo-profile wasm-release"
trunk build --release --cargo-profile wasm-release
command -v brotli >/dev/null 2>&1 || { echo "build-web: no brotli: run bash scripts/setup.sh" >&2; exit 1; }
# Trunk writes dist/ anew each build: no stale copy is left behind. -n: no
# name or time in the gzip header, so a rebuild gives the same bytes.
while IFS= read -r f; do
    gzip -9 -n -c "$f" >"$f.gz"
    brotli -q 11 -c "$f" >"$f.br"
done < <(find dist -type f ! -name '*.br' ! -name '*.gz')
echo "build-web: wrote .br (brotli -q 11) and .gz (gzip -9) beside every file in dist/"
bash scripts/first-load-size.sh dist
